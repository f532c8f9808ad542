"""VGG-ish functional CNN assembled from a helper block and loops over filter sizes."""

import keras
import numpy as np
from keras import layers


def conv_block(x, filters, pool=True):
    x = layers.Conv2D(filters, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    if pool:
        x = layers.MaxPooling2D(pool_size=2)(x)
    return x


inputs = keras.Input(shape=(48, 48, 3))
x = layers.ZeroPadding2D(padding=2)(inputs)
x = layers.Cropping2D(cropping=((2, 2), (2, 2)))(x)
for filters in [32, 64, 128]:
    x = layers.Conv2D(filters, 3, padding="same")(x)
x = conv_block(x, 32)
x = conv_block(x, 64)
x = conv_block(x, 128, pool=False)
x = layers.AveragePooling2D(pool_size=(2, 2))(x)
x = layers.Flatten()(x)
x = layers.Dense(256, activation="relu")(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(7, activation="softmax")(x)
model = keras.Model(inputs, outputs)

faces = np.random.rand(16, 48, 48, 3).astype("float32")
emotions = keras.utils.to_categorical(np.random.randint(0, 7, size=16), num_classes=7)
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(faces, emotions, epochs=1, batch_size=8, verbose=0)

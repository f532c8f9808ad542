"""A tiny ResNet: residual blocks with identity and 1x1 projection shortcuts."""

import keras
import numpy as np
from keras import layers


def residual_block(x, filters, stride=1):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if stride != 1 or x.shape[-1] != filters:
        # Projection shortcut so that the two branches can be added.
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    out = layers.Add()([y, shortcut])
    return layers.Activation("relu")(out)


inputs = keras.Input(shape=(32, 32, 3))
x = layers.Conv2D(16, 3, padding="same")(inputs)
x = layers.BatchNormalization()(x)
x = layers.ReLU()(x)

x = residual_block(x, 16)
x = residual_block(x, 32, stride=2)
x = residual_block(x, 32)
x = residual_block(x, 64, stride=2)

x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="mini_resnet")

images = np.random.rand(16, 32, 32, 3).astype("float32")
labels = np.random.randint(0, 10, 16)
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
model.fit(images, labels, epochs=1, batch_size=8, verbose=0)

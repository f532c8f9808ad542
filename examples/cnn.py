"""A small image classifier: two conv blocks, pooling, dense head."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

num_classes = 10
img_size = 32

inputs = keras.Input(shape=(img_size, img_size, 3))
x = layers.Rescaling(1.0 / 255)(inputs)
for filters in [32, 64]:
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(2)(x)
x = layers.Conv2D(128, 3, activation="relu")(x)
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.3)(x)
outputs = layers.Dense(num_classes, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="small_cnn")

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
images = np.random.rand(64, img_size, img_size, 3).astype("float32")
labels = np.random.randint(0, num_classes, size=(64,))
model.fit(images, labels, batch_size=16, epochs=1, verbose=0)
probs = model.predict(images[:8], verbose=0)
best = tf.argmax(probs, axis=-1)

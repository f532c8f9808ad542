"""A model fed the wrong thing: the classic mistakes shapelens exists to catch."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    layers.Dense(32, activation="relu", input_shape=(10,)),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")

data = np.random.rand(100, 10).astype("float32")
subset = data[:16, :5]
predictions = model.predict(subset)  # the model expects 10 features, not 5

x = tf.random.normal((32, 10))
w = tf.random.normal((10, 5))
broken = tf.matmul(x, w) + x[:, :2]  # (32, 5) + (32, 2) cannot broadcast

left = layers.Input(shape=(8, 8, 16))
right = layers.Input(shape=(4, 4, 16))
merged = layers.Concatenate()([left, right])  # spatial sizes differ: 8x8 vs 4x4

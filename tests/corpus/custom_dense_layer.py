"""A hand-written Dense layer (build + add_weight + tf.matmul) used in two kinds of models."""

import numpy as np
import tensorflow as tf
from tensorflow import keras


class Linear(keras.layers.Layer):
    def __init__(self, units=32, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            trainable=True,
            name="kernel",
        )
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="bias")

    def call(self, inputs):
        y = tf.matmul(inputs, self.w) + self.b
        return self.activation(y)


class L2Normalize(keras.layers.Layer):
    def call(self, inputs):
        return tf.math.l2_normalize(inputs, axis=-1)


x_data = np.random.randn(64, 20).astype("float32")
y_data = np.random.randn(64, 1).astype("float32")

inputs = keras.Input(shape=(20,))
h = Linear(64, activation="relu")(inputs)
h = Linear(32, activation="relu")(h)
h = L2Normalize()(h)
out = Linear(1)(h)
functional = keras.Model(inputs, out)
functional.compile(optimizer="adam", loss="mse")
functional.fit(x_data, y_data, epochs=1, batch_size=32, verbose=0)

stacked = keras.Sequential([keras.Input(shape=(20,)), Linear(16, activation="tanh"), Linear(4)])
direct = Linear(8)(tf.ones((3, 5)))
stacked_out = stacked(x_data[:6])

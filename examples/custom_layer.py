"""A custom layer with its own weights, used inside a subclassed model."""

import tensorflow as tf
from tensorflow import keras


class ScaledDense(keras.layers.Layer):
    def __init__(self, units, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.scale = scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        projected = tf.matmul(inputs, self.w) + self.b
        return projected * self.scale


class TwoTower(keras.Model):
    def __init__(self):
        super().__init__()
        self.left = ScaledDense(32, scale=0.5)
        self.right = ScaledDense(32)
        self.head = keras.layers.Dense(1)

    def call(self, inputs):
        a = self.left(inputs)
        b = self.right(inputs)
        joined = tf.concat([a, b], axis=-1)
        return self.head(joined)


batch = tf.random.normal((16, 12))
model = TwoTower()
scores = model(batch)

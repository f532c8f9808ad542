"""Lambda layers wrapping TF ops and small helper functions inside a functional model."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def channel_stats(t):
    mean = tf.reduce_mean(t, axis=-1, keepdims=True)
    maximum = tf.reduce_max(t, axis=-1, keepdims=True)
    return tf.concat([mean, maximum], axis=-1)


inputs = keras.Input(shape=(16, 16, 8))
scaled = layers.Lambda(lambda t: t * 2.0 - 1.0)(inputs)
stats = layers.Lambda(channel_stats)(scaled)
attention = layers.Conv2D(1, 7, padding="same", activation="sigmoid")(stats)
refined = layers.Multiply()([scaled, attention])
flat = layers.Lambda(lambda t: tf.reshape(t, (-1, 16 * 16 * 8)))(refined)
squared = layers.Lambda(lambda t: tf.square(t), name="square")(flat)
summed = layers.Lambda(lambda t: tf.reduce_sum(t, axis=1, keepdims=True))(squared)
transposed = layers.Lambda(lambda t: tf.transpose(t, perm=[0, 3, 1, 2]))(refined)
outputs = layers.Dense(3)(flat)

model = keras.Model(inputs, [outputs, summed, transposed])
model.compile(optimizer="adam", loss=["mse", "mse", "mse"])
x = np.random.rand(16, 16, 16, 8).astype("float32")
y1, y2, y3 = model.predict(x, verbose=0)

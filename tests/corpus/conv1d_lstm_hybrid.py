"""Sensor activity recognition: Conv1D feature extractor followed by an LSTM."""

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

n_timesteps, n_features, n_outputs = 128, 9, 6

X = np.random.randn(32, n_timesteps, n_features).astype("float32")
y = tf.keras.utils.to_categorical(np.random.randint(0, n_outputs, size=32), n_outputs)

model = tf.keras.Sequential()
model.add(layers.Conv1D(filters=64, kernel_size=3, activation="relu", input_shape=(n_timesteps, n_features)))
model.add(layers.Conv1D(filters=64, kernel_size=3, activation="relu"))
model.add(layers.SpatialDropout1D(0.2))
model.add(layers.MaxPooling1D(pool_size=2))
model.add(layers.GaussianNoise(0.05))
model.add(layers.LSTM(50, return_sequences=True))
model.add(layers.GlobalAveragePooling1D())
model.add(layers.Dense(100, activation="relu"))
model.add(layers.Dense(n_outputs, activation="softmax"))

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(X, y, epochs=1, batch_size=16, verbose=0)

flat_model = tf.keras.Sequential(
    [
        layers.Input(shape=(n_timesteps, n_features)),
        layers.Conv1D(32, 5, strides=2, padding="same"),
        layers.MaxPooling1D(4),
        layers.Flatten(),
        layers.Dense(n_outputs),
    ]
)
flat_logits = flat_model.predict(X[:2], verbose=0)

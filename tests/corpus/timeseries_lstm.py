"""Univariate forecasting: sliding windows over a sine wave, stacked LSTMs."""

import numpy as np
import tensorflow as tf

series = np.sin(np.arange(400) * 0.1) + 0.1 * np.random.randn(400)
window = 24
horizon = 1

windows = np.stack([series[i : i + window] for i in range(len(series) - window - horizon)])
targets = series[window + horizon - 1 : len(series) - 1]
windows = windows[..., np.newaxis].astype("float32")
targets = targets.astype("float32")

model = tf.keras.models.Sequential(
    [
        tf.keras.layers.LSTM(32, return_sequences=True, input_shape=(window, 1)),
        tf.keras.layers.LSTM(16),
        tf.keras.layers.Dense(8, activation="relu"),
        tf.keras.layers.Dense(horizon),
    ]
)
model.compile(loss="mse", optimizer="adam", metrics=["mae"])
model.fit(windows[:64], targets[:64], epochs=1, batch_size=32, verbose=0)
forecast = model.predict(windows[-3:], verbose=0)

"""Sequence autoencoder for anomaly detection: LSTM encoder, RepeatVector, LSTM decoder."""

import numpy as np
from tensorflow.keras import Model, Sequential
from tensorflow.keras.layers import (
    LSTM,
    Dense,
    Flatten,
    Input,
    Permute,
    RepeatVector,
    Reshape,
    TimeDistributed,
)

timesteps = 30
n_features = 3

signals = np.random.randn(64, timesteps * n_features).astype("float32")
signals = signals.reshape((-1, timesteps, n_features))

model = Sequential(
    [
        Input(shape=(timesteps, n_features)),
        LSTM(64, activation="relu", return_sequences=True),
        LSTM(16, activation="relu"),
        RepeatVector(timesteps),
        LSTM(16, activation="relu", return_sequences=True),
        LSTM(64, activation="relu", return_sequences=True),
        TimeDistributed(Dense(n_features)),
    ]
)
model.compile(optimizer="adam", loss="mae")
model.fit(signals, signals, epochs=1, batch_size=32, verbose=0)
reconstructed = model.predict(signals[:4], verbose=0)
errors = np.mean(np.abs(reconstructed - signals[:4]), axis=(1, 2))

inp = Input(shape=(timesteps, n_features))
swapped = Permute((2, 1))(inp)
flat = Flatten()(swapped)
back = Reshape((n_features, timesteps))(flat)
channel_model = Model(inp, back)

"""Reshaping a flat time series into (samples, timesteps, features) for an LSTM.

Answer to the classic "expected ndim=3, found ndim=2" question: build sliding
windows with numpy, reshape to 3D, then train a stacked LSTM on it.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

np.random.seed(42)
tf.random.set_seed(42)

N_POINTS = 300
N_FEATURES = 3
LOOKBACK = 20
HORIZON = 1
BATCH_SIZE = 32


def make_series(n, n_features):
    t = np.arange(n, dtype="float32")
    cols = [np.sin(t * (0.05 * (i + 1))) + 0.1 * np.random.randn(n) for i in range(n_features)]
    return np.stack(cols, axis=-1).astype("float32")  # (n, n_features)


def create_windows(data, lookback, horizon, target_col=0):
    """Turn a 2D array (time, features) into X: (samples, lookback, features), y: (samples,)."""
    X, y = [], []
    for i in range(len(data) - lookback - horizon + 1):
        X.append(data[i:i + lookback])
        y.append(data[i + lookback + horizon - 1, target_col])
    return np.array(X), np.array(y)


series = make_series(N_POINTS, N_FEATURES)
print("raw series:", series.shape)

X, y = create_windows(series, LOOKBACK, HORIZON)
print("windowed X:", X.shape, "y:", y.shape)

# Someone's data often arrives flattened, e.g. from a CSV with lookback*features columns.
X_flat = X.reshape(X.shape[0], -1)
print("flattened (what the question had):", X_flat.shape)

# ...and the fix is to reshape it back to (samples, timesteps, features)
X_3d = X_flat.reshape((X_flat.shape[0], LOOKBACK, N_FEATURES))
assert np.allclose(X_3d, X)

split = int(0.8 * len(X_3d))
X_train, X_val = X_3d[:split], X_3d[split:]
y_train, y_val = y[:split], y[split:]

model = keras.Sequential([
    keras.Input(shape=(LOOKBACK, N_FEATURES)),
    layers.LSTM(32, return_sequences=True),   # -> (batch, LOOKBACK, 32)
    layers.LSTM(16),                          # -> (batch, 16)
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.summary()

history = model.fit(X_train, y_train, validation_data=(X_val, y_val),
                    epochs=1, batch_size=BATCH_SIZE, verbose=2)

# Univariate case: a 1D series needs a trailing feature axis
uni = series[:, 0]
Xu, yu = create_windows(uni[:, None], LOOKBACK, HORIZON)
print("univariate windows:", Xu.shape)
Xu_alt = np.expand_dims(Xu[..., 0], axis=-1)  # same thing the other common way
assert Xu_alt.shape == (len(Xu), LOOKBACK, 1)

uni_model = keras.Sequential([
    keras.Input(shape=(LOOKBACK, 1)),
    layers.LSTM(8),
    layers.Dense(1),
])
uni_model.compile("adam", "mse")
uni_model.fit(Xu, yu, epochs=1, batch_size=BATCH_SIZE, verbose=0)

# Sequence-to-sequence: return_sequences + TimeDistributed predicts every step
seq_model = keras.Sequential([
    keras.Input(shape=(LOOKBACK, N_FEATURES)),
    layers.LSTM(16, return_sequences=True),
    layers.TimeDistributed(layers.Dense(N_FEATURES)),
])
seq_model.compile("adam", "mse")
# target: the next step for every timestep, shape (samples, LOOKBACK, N_FEATURES)
y_seq = np.stack([series[i + 1:i + 1 + LOOKBACK] for i in range(len(X))])
seq_model.fit(X, y_seq, epochs=1, batch_size=BATCH_SIZE, verbose=0)
print("seq2seq output:", seq_model.predict(X[:4], verbose=0).shape)

# Predicting the next value from the most recent window
last_window = series[-LOOKBACK:]               # (LOOKBACK, N_FEATURES)
pred = model.predict(last_window[np.newaxis, ...], verbose=0)
print("next value prediction:", pred.shape, float(pred[0, 0]))

"""Forecasting next value of a noisy series with an LSTM.

The original version of this script fed X with shape (n, WINDOW) straight to an
LSTM(input_shape=(WINDOW,)) which raised
    "Input 0 of layer lstm is incompatible: expected ndim=3, found ndim=2".
LSTM wants (batch, timesteps, features). Here the series is univariate, so
features == 1 and every window gets reshaped to (WINDOW, 1).
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras


@dataclass
class Config:
    n_points: int = 900
    window: int = 24
    n_features: int = 1
    lstm_units: tuple = (32, 16)
    epochs: int = 2
    batch_size: int = 32
    seed: int = 42


cfg = Config()
keras.utils.set_random_seed(cfg.seed)


def make_series(n):
    t = np.arange(n, dtype="float32")
    return (np.sin(t * 0.07) + 0.5 * np.sin(t * 0.23)
            + np.random.normal(0, 0.1, n)).astype("float32")


def to_windows(series, window):
    # list comprehension instead of stride tricks: easy to read, fine for small n
    X = np.array([series[i:i + window] for i in range(len(series) - window)])
    y = np.array([series[i + window] for i in range(len(series) - window)])
    return X, y


series = make_series(cfg.n_points)
X, y = to_windows(series, cfg.window)
print(f"windows X={X.shape} y={y.shape}")

# the actual fix
X = X.reshape((X.shape[0], X.shape[1], cfg.n_features))
print(f"reshaped X={X.shape}")

n_train = int(len(X) * 0.85)
X_train, y_train = X[:n_train], y[:n_train]
X_test, y_test = X[n_train:], y[n_train:]


def build(cfg):
    model = keras.Sequential(name="lstm_forecaster")
    model.add(keras.layers.Input(shape=(cfg.window, cfg.n_features)))
    for i, units in enumerate(cfg.lstm_units):
        last = i == len(cfg.lstm_units) - 1
        # all but the last LSTM must return full sequences, otherwise the next
        # LSTM receives a 2D tensor -> same ndim error as before
        model.add(keras.layers.LSTM(units, return_sequences=not last, name=f"lstm_{i}"))
        print(f"  after lstm_{i}: model.output_shape = {model.output_shape}")
    model.add(keras.layers.Dense(1))
    return model


model = build(cfg)
print("final output_shape:", model.output_shape)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
model.fit(X_train, y_train, epochs=cfg.epochs, batch_size=cfg.batch_size, verbose=2)

# --- predict / evaluate with different batch sizes ---
# Results should match (up to float noise); only speed / memory changes.
print("\nevaluate with different batch sizes")
for bs in (1, 8, 32, len(X_test)):
    loss, mae = model.evaluate(X_test, y_test, batch_size=bs, verbose=0)
    print(f"  batch_size={bs:>4}: mse={loss:.5f} mae={mae:.5f}")

preds = {bs: model.predict(X_test, batch_size=bs, verbose=0) for bs in (1, 16, 128)}
base = preds[128]
for bs, p in preds.items():
    print(f"  predict batch_size={bs:>3}: shape={p.shape} max|diff| vs 128 = {np.abs(p - base).max():.2e}")

# --- one step ahead from the last observed window ---
last_window = series[-cfg.window:]                       # (24,)
x_one = last_window.reshape(1, cfg.window, cfg.n_features)  # (1, 24, 1)
next_val = model.predict(x_one, verbose=0)
print(f"\nlast window {last_window.shape} -> model input {x_one.shape} -> next {next_val[0, 0]:.4f}")

# calling the model directly is the cheaper route for a single sample
direct = model(tf.convert_to_tensor(x_one), training=False).numpy()
print("model(...) direct:", direct.ravel(), "same as predict:", np.allclose(direct, next_val, atol=1e-5))

# multi-step rollout feeding predictions back in
window = list(last_window)
future = []
for _ in range(5):
    inp = np.array(window[-cfg.window:], dtype="float32")[np.newaxis, :, np.newaxis]
    nxt = float(model(inp, training=False)[0, 0])
    future.append(nxt)
    window.append(nxt)
print("5-step rollout:", [round(v, 3) for v in future])

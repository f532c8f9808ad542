"""LSTM autoencoder for multivariate sensor anomaly detection.

Classic seq2seq reconstruction setup (encoder LSTM -> RepeatVector ->
decoder LSTM -> TimeDistributed Dense). Sliding windows are scored by MAE,
a threshold is taken from the training-window error distribution, and
window-level flags are mapped back to individual timesteps.
Synthetic "pump sensor" signals with injected spikes and drift.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "n_sensors": 4,
    "train_len": 2000,
    "test_len": 600,
    "window": 32,
    "stride": 1,
    "units": 32,
    "latent": 16,
    "batch_size": 64,
    "epochs": 1,
    "threshold_mode": "max",  # "max" (Keras tutorial style) or "percentile"
    "percentile": 99.5,
}

rng = np.random.default_rng(0)
keras.utils.set_random_seed(0)


def generate_signals(length, n_sensors, rng, t0=0):
    t = np.arange(t0, t0 + length, dtype="float32")
    cols = []
    for s in range(n_sensors):
        period = 50 + 17 * s
        cols.append(np.sin(2 * np.pi * t / period) + 0.3 * np.cos(2 * np.pi * t / (period * 3.1)))
    sig = np.stack(cols, axis=-1)
    return sig + rng.normal(0, 0.05, size=sig.shape).astype("float32")


def inject_anomalies(signal, rng):
    sig = signal.copy()
    labels = np.zeros(len(sig), dtype="int32")
    # spikes
    for pos in rng.choice(np.arange(50, len(sig) - 50), size=3, replace=False):
        sensor = rng.integers(sig.shape[1])
        sig[pos:pos + 4, sensor] += rng.choice([-3.0, 3.0])
        labels[pos:pos + 4] = 1
    # slow drift on one sensor
    start = len(sig) // 2
    sig[start:start + 80, 0] += np.linspace(0, 2.0, 80)
    labels[start:start + 80] = 1
    return sig, labels


def make_windows(arr, window, stride=1):
    """(T, F) -> (N, window, F) using stride tricks, no copy until astype."""
    view = np.lib.stride_tricks.sliding_window_view(arr, window_shape=window, axis=0)
    # sliding_window_view puts the window axis last: (N, F, window)
    return np.transpose(view[::stride], (0, 2, 1)).astype("float32")


train_raw = generate_signals(CONFIG["train_len"], CONFIG["n_sensors"], rng)
test_raw, test_labels = inject_anomalies(
    generate_signals(CONFIG["test_len"], CONFIG["n_sensors"], rng, t0=CONFIG["train_len"]), rng)

mean, std = train_raw.mean(axis=0), train_raw.std(axis=0)
train_norm = (train_raw - mean) / std
test_norm = (test_raw - mean) / std

x_train = make_windows(train_norm, CONFIG["window"], CONFIG["stride"])
x_test = make_windows(test_norm, CONFIG["window"])
print("train windows:", x_train.shape, "test windows:", x_test.shape)


def build_lstm_autoencoder(window, n_features, units, latent):
    inputs = keras.Input(shape=(window, n_features))
    x = layers.LSTM(units, return_sequences=True, name="enc_lstm_1")(inputs)
    x = layers.LSTM(latent, return_sequences=False, name="enc_lstm_2")(x)
    x = layers.RepeatVector(window, name="repeat")(x)
    x = layers.LSTM(latent, return_sequences=True, name="dec_lstm_1")(x)
    x = layers.LSTM(units, return_sequences=True, name="dec_lstm_2")(x)
    outputs = layers.TimeDistributed(layers.Dense(n_features), name="recon")(x)
    return keras.Model(inputs, outputs, name="lstm_ae")


model = build_lstm_autoencoder(CONFIG["window"], CONFIG["n_sensors"], CONFIG["units"], CONFIG["latent"])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0), loss="mae")
model.summary()

history = model.fit(
    x_train, x_train,
    epochs=CONFIG["epochs"],
    batch_size=CONFIG["batch_size"],
    validation_split=0.1,
    verbose=2,
)
print("final loss:", {k: round(v[-1], 4) for k, v in history.history.items()})


def window_mae(model, windows):
    pred = model.predict(windows, batch_size=256, verbose=0)
    # mean over time, keep per-sensor so we can tell *which* sensor broke
    per_sensor = ops.mean(ops.abs(pred - windows), axis=1)
    return ops.convert_to_numpy(per_sensor)


train_err = window_mae(model, x_train)            # (N, F)
train_score = train_err.mean(axis=1)
if CONFIG["threshold_mode"] == "max":
    threshold = float(train_score.max())
else:
    threshold = float(np.percentile(train_score, CONFIG["percentile"]))
print(f"reconstruction threshold ({CONFIG['threshold_mode']}): {threshold:.4f}")

test_err = window_mae(model, x_test)
test_score = test_err.mean(axis=1)
anomalous_windows = test_score > threshold
print("anomalous windows:", int(anomalous_windows.sum()), "/", len(anomalous_windows))

# A timestep is anomalous if *all* windows covering it are anomalous
# (the conservative rule from the Keras timeseries AE tutorial).
W = CONFIG["window"]
ts_flags = np.zeros(len(test_norm), dtype=bool)
for t in range(W - 1, len(test_norm) - W + 1):
    if np.all(anomalous_windows[t - W + 1:t + 1]):
        ts_flags[t] = True

# Softer alternative: average the window scores onto timesteps
score_sum = np.zeros(len(test_norm))
counts = np.zeros(len(test_norm))
for i, s in enumerate(test_score):
    score_sum[i:i + W] += s
    counts[i:i + W] += 1
ts_score = score_sum / np.maximum(counts, 1)
soft_flags = ts_score > threshold

for name, flags in [("strict", ts_flags), ("averaged", soft_flags)]:
    tp = np.sum(flags & (test_labels == 1))
    print(f"{name:>8}: flagged {flags.sum():4d} timesteps, {tp} overlap with {test_labels.sum()} labelled")

worst = np.argsort(test_score)[-3:][::-1]
for w in worst:
    print(f"window {w:4d} score={test_score[w]:.3f} worst sensor={int(np.argmax(test_err[w]))}")

# LSTM autoencoder for anomaly detection on a univariate signal.
# Train on clean windows only, score every window by reconstruction error,
# threshold at a high percentile of the training errors, then map window
# flags back to individual time steps.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

TIME_STEPS = 30
LATENT_DIM = 16
THRESH_PCT = 99.0
rng = np.random.default_rng(2024)


def clean_signal(n):
    t = np.arange(n)
    return (np.sin(t * 2 * np.pi / 40) + 0.3 * np.sin(t * 2 * np.pi / 7)
            + 0.1 * rng.standard_normal(n)).astype("float32")


def inject_anomalies(x, n_events=5, min_len=5, max_len=15):
    x = x.copy()
    labels = np.zeros_like(x, dtype=bool)
    kinds = ["spike", "level_shift", "flatline"]
    for i in range(n_events):
        start = int(rng.integers(TIME_STEPS, len(x) - max_len))
        length = int(rng.integers(min_len, max_len))
        kind = kinds[i % len(kinds)]
        seg = slice(start, start + length)
        if kind == "spike":
            x[seg] += rng.choice([-1, 1]) * 3.0
        elif kind == "level_shift":
            x[seg] += 1.5
        else:
            x[seg] = x[start]
        labels[seg] = True
        print(f"  injected {kind:<11s} at [{start}, {start + length})")
    return x, labels


def to_windows(x, size):
    idx = np.arange(size)[None, :] + np.arange(len(x) - size + 1)[:, None]
    return x[idx][..., None]


def build_autoencoder(time_steps, latent_dim):
    inp = layers.Input(shape=(time_steps, 1))
    x = layers.LSTM(32, return_sequences=True)(inp)
    z = layers.LSTM(latent_dim, name="bottleneck")(x)
    x = layers.RepeatVector(time_steps)(z)
    x = layers.LSTM(latent_dim, return_sequences=True)(x)
    x = layers.LSTM(32, return_sequences=True)(x)
    out = layers.TimeDistributed(layers.Dense(1))(x)
    return keras.Model(inp, out, name="lstm_ae")


def window_errors(model, windows, batch_size=128):
    recon = model.predict(windows, batch_size=batch_size, verbose=0)
    return np.mean(np.abs(recon - windows), axis=(1, 2))


def windows_to_points(flags, n_points, size):
    """A point is anomalous if any window covering it is flagged."""
    point_flags = np.zeros(n_points, dtype=bool)
    for i in np.flatnonzero(flags):
        point_flags[i:i + size] = True
    return point_flags


def prf(pred, truth):
    tp = np.sum(pred & truth)
    fp = np.sum(pred & ~truth)
    fn = np.sum(~pred & truth)
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return precision, recall, f1


train_series = clean_signal(700)
mean, std = train_series.mean(), train_series.std()
norm = lambda s: (s - mean) / std

print("test anomalies:")
test_series, test_labels = inject_anomalies(clean_signal(500))

x_train = to_windows(norm(train_series), TIME_STEPS)
x_test = to_windows(norm(test_series), TIME_STEPS)
print("train windows:", x_train.shape, "test windows:", x_test.shape)

ae = build_autoencoder(TIME_STEPS, LATENT_DIM)
ae.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mae")
ae.fit(x_train, x_train, epochs=2, batch_size=64, validation_split=0.1, shuffle=True, verbose=2)

train_err = window_errors(ae, x_train)
threshold = np.percentile(train_err, THRESH_PCT)
print(f"threshold (p{THRESH_PCT:.0f} of train MAE): {threshold:.4f}")

test_err = window_errors(ae, x_test)
window_flags = test_err > threshold
point_flags = windows_to_points(window_flags, len(test_series), TIME_STEPS)
p, r, f1 = prf(point_flags, test_labels)
print(f"flagged windows: {window_flags.sum()}/{len(window_flags)}")
print(f"point-level precision={p:.3f} recall={r:.3f} f1={f1:.3f}")

# top scoring windows
top = np.argsort(test_err)[::-1][:5]
for i in top:
    overlap = test_labels[i:i + TIME_STEPS].any()
    print(f"window {i:4d} score={test_err[i]:.3f} contains_anomaly={overlap}")

# LSTM autoencoder for unsupervised anomaly detection on multichannel machine
# sensor data (pump / bearing vibration style). Train on "healthy" data only,
# then flag windows whose reconstruction error exceeds a threshold fitted on
# the training error distribution.
import tempfile
import os

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models, callbacks, optimizers

SEED = 42
TIME_STEPS = 48
N_SENSORS = 4
LATENT = 16
BATCH = 64

np.random.seed(SEED)
tf.random.set_seed(SEED)


def generate_sensor_stream(n_points, n_sensors, anomaly_ranges=()):
    t = np.linspace(0, 60 * np.pi, n_points)
    base_freqs = np.linspace(1.0, 2.5, n_sensors)
    signal = np.stack([np.sin(f * t) + 0.3 * np.sin(3.1 * f * t) for f in base_freqs], axis=1)
    signal += np.random.normal(scale=0.08, size=signal.shape)
    labels = np.zeros(n_points, dtype=bool)
    for start, stop in anomaly_ranges:
        # spikes + drift on a random subset of sensors
        chans = np.random.choice(n_sensors, size=2, replace=False)
        signal[start:stop, chans] += np.linspace(0, 2.0, stop - start)[:, None]
        signal[start:stop, chans] += np.random.normal(scale=0.5, size=(stop - start, 2))
        labels[start:stop] = True
    return signal.astype(np.float32), labels


def create_sequences(values, time_steps=TIME_STEPS, stride=1):
    idx = np.arange(0, len(values) - time_steps + 1, stride)
    return np.stack([values[i:i + time_steps] for i in idx]), idx


class StandardScaler3D:
    def fit(self, x):
        self.mean_ = x.mean(axis=0)
        self.scale_ = x.std(axis=0) + 1e-8
        return self

    def transform(self, x):
        return (x - self.mean_) / self.scale_


def build_autoencoder(time_steps, n_features, latent_dim=LATENT):
    model = models.Sequential(name="lstm_autoencoder")
    model.add(layers.Input(shape=(time_steps, n_features)))
    model.add(layers.LSTM(64, return_sequences=True, name="enc_lstm_1"))
    model.add(layers.LSTM(latent_dim, return_sequences=False, name="enc_lstm_2"))
    model.add(layers.RepeatVector(time_steps, name="bottleneck_repeat"))
    model.add(layers.LSTM(latent_dim, return_sequences=True, name="dec_lstm_1"))
    model.add(layers.LSTM(64, return_sequences=True, name="dec_lstm_2"))
    model.add(layers.TimeDistributed(layers.Dense(n_features), name="reconstruction"))
    return model


def window_errors(model, windows, batch_size=256):
    recon = model.predict(windows, batch_size=batch_size, verbose=0)
    per_step = np.abs(recon - windows).mean(axis=-1)  # (n_windows, time_steps)
    return per_step.mean(axis=1), per_step


def point_scores(per_step_err, starts, n_points):
    """Average overlapping window errors back onto the original timeline."""
    score = np.zeros(n_points)
    counts = np.zeros(n_points)
    for s, err in zip(starts, per_step_err):
        score[s:s + len(err)] += err
        counts[s:s + len(err)] += 1
    return score / np.maximum(counts, 1)


def precision_recall_f1(y_true, y_pred):
    tp = np.sum(y_true & y_pred)
    fp = np.sum(~y_true & y_pred)
    fn = np.sum(y_true & ~y_pred)
    p = tp / max(tp + fp, 1)
    r = tp / max(tp + fn, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def main():
    train_raw, _ = generate_sensor_stream(2000, N_SENSORS)
    test_raw, test_labels = generate_sensor_stream(1200, N_SENSORS, anomaly_ranges=[(300, 360), (800, 880)])

    scaler = StandardScaler3D().fit(train_raw)
    x_train, _ = create_sequences(scaler.transform(train_raw), stride=4)
    x_test, test_starts = create_sequences(scaler.transform(test_raw), stride=2)
    print("train windows:", x_train.shape, "test windows:", x_test.shape)

    model = build_autoencoder(TIME_STEPS, N_SENSORS)
    model.compile(optimizer=optimizers.Adam(learning_rate=1e-3), loss="mae")
    model.summary()

    ckpt_dir = tempfile.mkdtemp(prefix="lstm_ae_")
    cbs = [
        callbacks.EarlyStopping(monitor="val_loss", patience=3, mode="min", restore_best_weights=True),
        callbacks.ModelCheckpoint(os.path.join(ckpt_dir, "best.weights.h5"), save_weights_only=True, save_best_only=True),
    ]
    history = model.fit(
        x_train, x_train,
        epochs=1,
        batch_size=BATCH,
        validation_split=0.1,
        shuffle=True,
        callbacks=cbs,
        verbose=2,
    )
    print("final train loss: %.4f" % history.history["loss"][-1])

    # --- thresholds from the healthy-data error distribution ---
    train_err, _ = window_errors(model, x_train)
    thresholds = {
        "max": float(np.max(train_err)),
        "mean+3std": float(train_err.mean() + 3 * train_err.std()),
        "p99": float(np.percentile(train_err, 99)),
        "mad": float(np.median(train_err) + 3.5 * 1.4826 * np.median(np.abs(train_err - np.median(train_err)))),
    }

    test_err, test_step_err = window_errors(model, x_test)
    window_labels = np.array([test_labels[s:s + TIME_STEPS].any() for s in test_starts])
    scores = point_scores(test_step_err, test_starts, len(test_raw))

    print(f"{'rule':>10s} {'thr':>7s} {'win_P':>6s} {'win_R':>6s} {'win_F1':>6s} {'pt_F1':>6s}")
    for name, thr in thresholds.items():
        win_pred = test_err > thr
        p, r, f1 = precision_recall_f1(window_labels, win_pred)
        _, _, pt_f1 = precision_recall_f1(test_labels, scores > thr)
        print(f"{name:>10s} {thr:7.4f} {p:6.3f} {r:6.3f} {f1:6.3f} {pt_f1:6.3f}")

    # contiguous anomalous segments under the p99 rule
    flags = np.concatenate([[0], (scores > thresholds["p99"]).astype(int), [0]])
    edges = np.flatnonzero(np.diff(flags))
    segments = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]
    print("detected segments (p99):", segments[:10])


if __name__ == "__main__":
    main()

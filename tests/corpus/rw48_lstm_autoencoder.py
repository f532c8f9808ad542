"""LSTM autoencoder for sensor anomaly detection.

Train on "normal" windows only, score every window by reconstruction error,
then pick a threshold (percentile or mean + k*std) and flag anomalies.
Classic RepeatVector / TimeDistributed architecture.
"""
import numpy as np
import keras
from keras import layers

TIME_STEPS = 24
N_SENSORS = 3


def generate_sensor_data(n=1000, n_anomalies=6, seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0, 80 * np.pi, n)
    base = np.stack(
        [np.sin(t), np.cos(0.5 * t), 0.5 * np.sin(2 * t + 1.0)], axis=-1
    )
    data = base + rng.normal(0, 0.05, size=base.shape)
    labels = np.zeros(n, dtype=bool)
    # inject spikes and level shifts into the second half
    starts = rng.choice(np.arange(n // 2, n - 25), size=n_anomalies, replace=False)
    for i, s in enumerate(starts):
        length = rng.integers(5, 20)
        if i % 2 == 0:
            data[s:s + length, rng.integers(N_SENSORS)] += rng.uniform(1.5, 3.0)
        else:
            data[s:s + length] *= -1.0
        labels[s:s + length] = True
    return data.astype("float32"), labels


def create_sequences(values, time_steps=TIME_STEPS):
    # (n - time_steps + 1, time_steps, features) view, then copy
    windows = np.lib.stride_tricks.sliding_window_view(values, time_steps, axis=0)
    return np.ascontiguousarray(windows.transpose(0, 2, 1))


def build_autoencoder(time_steps, n_features, latent_dim=16):
    inputs = keras.Input(shape=(time_steps, n_features), name="window")
    encoded = layers.LSTM(latent_dim, name="bottleneck")(inputs)
    x = layers.RepeatVector(time_steps)(encoded)
    x = layers.LSTM(32, return_sequences=True, name="decoder")(x)
    outputs = layers.TimeDistributed(layers.Dense(n_features), name="recon")(x)
    model = keras.Model(inputs, outputs, name="lstm_autoencoder")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="mae")
    return model


def reconstruction_errors(model, windows, batch_size=256):
    recon = model.predict(windows, batch_size=batch_size, verbose=0)
    # per-window MAE, averaged over time and sensors
    return np.mean(np.abs(recon - windows), axis=(1, 2))


def choose_threshold(errors, method="percentile", q=99.0, k=3.0):
    if method == "percentile":
        return float(np.percentile(errors, q))
    elif method == "sigma":
        return float(errors.mean() + k * errors.std())
    raise ValueError(f"unknown threshold method {method!r}")


def windows_to_points(window_flags, n_points, time_steps=TIME_STEPS):
    """A point is anomalous if every window covering it... too strict; use any()."""
    point_flags = np.zeros(n_points, dtype=bool)
    for i in np.flatnonzero(window_flags):
        point_flags[i:i + time_steps] = True
    return point_flags


def precision_recall(pred, truth):
    tp = np.sum(pred & truth)
    fp = np.sum(pred & ~truth)
    fn = np.sum(~pred & truth)
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    return precision, recall


def main():
    keras.utils.set_random_seed(42)
    data, labels = generate_sensor_data()
    split = len(data) // 2
    train_raw = data[:split]

    mu, sigma = train_raw.mean(axis=0), train_raw.std(axis=0)
    scaled = (data - mu) / sigma

    x_train = create_sequences(scaled[:split])
    x_all = create_sequences(scaled)
    print("train windows:", x_train.shape, "all windows:", x_all.shape)

    model = build_autoencoder(TIME_STEPS, N_SENSORS)
    model.summary()
    model.fit(
        x_train,
        x_train,
        epochs=1,
        batch_size=64,
        validation_split=0.1,
        shuffle=True,
        verbose=2,
    )

    train_err = reconstruction_errors(model, x_train)
    all_err = reconstruction_errors(model, x_all)

    for method in ("percentile", "sigma"):
        thr = choose_threshold(train_err, method=method)
        window_flags = all_err > thr
        point_flags = windows_to_points(window_flags, len(data))
        p, r = precision_recall(point_flags, labels)
        print(f"[{method:>10}] threshold={thr:.4f} flagged windows={window_flags.sum():4d} "
              f"precision={p:.2f} recall={r:.2f}")


if __name__ == "__main__":
    main()

"""Anomaly detection on multivariate sensor windows with an LSTM/Conv autoencoder.

Pipeline (mirrors the predictive-maintenance batch job):
  1. simulate healthy telemetry for a pump (vibration, temperature,
     pressure, current) and inject a few faults into a held-out stream,
  2. standardise with statistics from the healthy training split,
  3. slice into overlapping windows,
  4. train a reconstruction autoencoder on healthy windows only,
  5. pick a threshold from the training-error distribution and flag
     anomalous windows / timesteps in numpy.
"""
import numpy as np
import keras
from keras import layers

SENSORS = ["vibration", "temperature", "pressure", "current"]
WINDOW = 32
STRIDE = 8
LATENT = 8
THRESHOLD_QUANTILE = 0.99


def simulate_stream(n_steps, rng, faults=()):
    t = np.arange(n_steps, dtype="float32")
    base = np.stack(
        [
            0.5 * np.sin(2 * np.pi * t / 50.0),
            60.0 + 2.0 * np.sin(2 * np.pi * t / 400.0),
            3.0 + 0.2 * np.cos(2 * np.pi * t / 80.0),
            10.0 + 0.5 * np.sin(2 * np.pi * t / 25.0),
        ],
        axis=1,
    )
    noise = rng.normal(scale=[0.05, 0.3, 0.02, 0.1], size=base.shape)
    signal = (base + noise).astype("float32")
    labels = np.zeros(n_steps, dtype=bool)
    for start, length, sensor, magnitude in faults:
        signal[start:start + length, sensor] += magnitude
        labels[start:start + length] = True
    return signal, labels


class StandardScaler:
    def fit(self, x):
        self.mean_ = x.mean(axis=0)
        self.std_ = x.std(axis=0) + 1e-6
        return self

    def transform(self, x):
        return (x - self.mean_) / self.std_


def make_windows(x, window=WINDOW, stride=STRIDE):
    starts = np.arange(0, len(x) - window + 1, stride)
    return np.stack([x[s:s + window] for s in starts]), starts


def build_autoencoder(window, n_features, latent=LATENT):
    inp = keras.Input(shape=(window, n_features), name="window")
    x = layers.Conv1D(16, 5, padding="same", activation="relu")(inp)
    x = layers.MaxPooling1D(2)(x)
    x = layers.LSTM(32, return_sequences=False, name="encoder_lstm")(x)
    z = layers.Dense(latent, name="bottleneck")(x)
    encoder = keras.Model(inp, z, name="encoder")

    dec_in = keras.Input(shape=(latent,), name="code")
    y = layers.RepeatVector(window // 2)(dec_in)
    y = layers.LSTM(32, return_sequences=True, name="decoder_lstm")(y)
    y = layers.UpSampling1D(2)(y)
    y = layers.Conv1D(16, 5, padding="same", activation="relu")(y)
    out = layers.TimeDistributed(layers.Dense(n_features), name="reconstruction")(y)
    decoder = keras.Model(dec_in, out, name="decoder")

    autoencoder = keras.Model(inp, decoder(encoder(inp)), name="sensor_ae")
    return autoencoder, encoder, decoder


def reconstruction_errors(model, windows, batch_size=64):
    recon = model.predict(windows, batch_size=batch_size, verbose=0)
    per_step = np.mean(np.square(recon - windows), axis=-1)  # (N, window)
    return per_step.mean(axis=1), per_step


def window_errors_to_timesteps(per_step, starts, n_steps):
    """Average the per-step errors from overlapping windows back onto the timeline."""
    acc = np.zeros(n_steps)
    counts = np.zeros(n_steps)
    for err, s in zip(per_step, starts):
        acc[s:s + len(err)] += err
        counts[s:s + len(err)] += 1
    return np.divide(acc, counts, out=np.zeros_like(acc), where=counts > 0)


def precision_recall(pred, truth):
    tp = np.sum(pred & truth)
    precision = tp / max(pred.sum(), 1)
    recall = tp / max(truth.sum(), 1)
    return precision, recall


def main():
    rng = np.random.default_rng(3)
    keras.utils.set_random_seed(3)

    train_raw, _ = simulate_stream(2400, rng)
    faults = [(300, 40, 0, 1.5), (900, 60, 1, 8.0), (1500, 30, 2, -0.8)]
    test_raw, test_labels = simulate_stream(2000, rng, faults=faults)

    scaler = StandardScaler().fit(train_raw)
    train_windows, _ = make_windows(scaler.transform(train_raw))
    test_windows, test_starts = make_windows(scaler.transform(test_raw))
    print("train windows:", train_windows.shape, "test windows:", test_windows.shape)

    model, encoder, _ = build_autoencoder(WINDOW, len(SENSORS))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    val_split = int(0.9 * len(train_windows))
    model.fit(
        train_windows[:val_split], train_windows[:val_split],
        validation_data=(train_windows[val_split:], train_windows[val_split:]),
        epochs=1, batch_size=32, shuffle=True, verbose=2,
    )

    train_err, _ = reconstruction_errors(model, train_windows)
    threshold = float(np.quantile(train_err, THRESHOLD_QUANTILE))
    print(f"threshold (q={THRESHOLD_QUANTILE}): {threshold:.4f}")

    test_err, per_step = reconstruction_errors(model, test_windows)
    window_truth = np.array([test_labels[s:s + WINDOW].any() for s in test_starts])
    window_pred = test_err > threshold
    p, r = precision_recall(window_pred, window_truth)
    print(f"window-level precision={p:.3f} recall={r:.3f} flagged={window_pred.sum()}/{len(window_pred)}")

    step_scores = window_errors_to_timesteps(per_step, test_starts, len(test_raw))
    step_pred = step_scores > threshold
    p, r = precision_recall(step_pred, test_labels)
    print(f"timestep-level precision={p:.3f} recall={r:.3f}")

    codes = encoder.predict(test_windows[:16], verbose=0)
    print("latent code stats: mean=%.3f std=%.3f" % (codes.mean(), codes.std()))

    # per-sensor attribution for the worst window
    worst = int(np.argmax(test_err))
    recon = model(test_windows[worst:worst + 1], training=False).numpy()[0]
    sensor_err = np.mean(np.square(recon - test_windows[worst]), axis=0)
    ranked = sorted(zip(SENSORS, sensor_err), key=lambda kv: -kv[1])
    print(f"worst window starts at t={test_starts[worst]}:",
          ", ".join(f"{name}={err:.3f}" for name, err in ranked))


if __name__ == "__main__":
    main()

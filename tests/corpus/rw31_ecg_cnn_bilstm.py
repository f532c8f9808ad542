#!/usr/bin/env python
# ECG arrhythmia classification: 1D CNN feature extractor + BiLSTM.
# Long recordings get chopped into overlapping windows with numpy stride tricks,
# each window is labelled by majority vote of the beat annotations inside it.
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models, callbacks
from tensorflow.keras.layers import Conv1D, Bidirectional, LSTM


@dataclass
class ECGConfig:
    fs: int = 125              # Hz
    n_records: int = 6
    record_seconds: int = 40
    window: int = 250          # 2 s
    stride: int = 125          # 50% overlap
    n_leads: int = 2
    classes: tuple = ("N", "S", "V", "F")
    conv_filters: list = field(default_factory=lambda: [16, 32, 32])
    lstm_units: int = 32
    batch_size: int = 32
    epochs: int = 1


def simulate_record(cfg, rng):
    """Very rough synthetic ECG: gaussian 'QRS' spikes at a jittered heart rate."""
    n = cfg.fs * cfg.record_seconds
    t = np.arange(n) / cfg.fs
    sig = 0.05 * np.sin(2 * np.pi * 0.3 * t)  # baseline wander
    labels = np.zeros(n, dtype=np.int64)
    beat_t = 0.5
    while beat_t < cfg.record_seconds - 0.5:
        cls = rng.choice(len(cfg.classes), p=[0.6, 0.15, 0.15, 0.1])
        width = 0.02 if cls != 2 else 0.05  # PVCs are wide
        amp = 1.0 + 0.3 * (cls == 3)
        sig = sig + amp * np.exp(-((t - beat_t) ** 2) / (2 * width ** 2))
        idx = int(beat_t * cfg.fs)
        labels[max(0, idx - 20): idx + 20] = cls
        rr = 0.8 if cls != 1 else 0.5  # premature atrial beats come early
        beat_t += rr + rng.normal(0, 0.05)
    leads = [sig + rng.normal(0, 0.03, n)]
    for _ in range(cfg.n_leads - 1):
        leads.append(0.7 * sig + rng.normal(0, 0.05, n))
    return np.stack(leads, axis=-1).astype(np.float32), labels


def bandpass_like(x, k=5):
    # cheap moving-average detrend instead of a real butterworth filter
    kernel = np.ones(k) / k
    smooth = np.apply_along_axis(lambda c: np.convolve(c, kernel, mode="same"), 0, x)
    return x - np.apply_along_axis(lambda c: np.convolve(c, np.ones(61) / 61, mode="same"), 0, smooth)


def window_record(sig, labels, cfg):
    # sliding_window_view puts the window axis last -> (n_win, leads, window)
    win = np.lib.stride_tricks.sliding_window_view(sig, cfg.window, axis=0)[:: cfg.stride]
    win = np.transpose(win, (0, 2, 1))
    lab_win = np.lib.stride_tricks.sliding_window_view(labels, cfg.window)[:: cfg.stride]
    y = np.array([np.bincount(w, minlength=len(cfg.classes))[1:].argmax() + 1
                  if np.any(w > 0) else 0 for w in lab_win])
    return win, y


def build_dataset(cfg, seed=0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for r in range(cfg.n_records):
        sig, lab = simulate_record(cfg, rng)
        sig = bandpass_like(sig)
        sig = (sig - sig.mean(0)) / (sig.std(0) + 1e-6)
        w, y = window_record(sig, lab, cfg)
        xs.append(w)
        ys.append(y)
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def build_model(cfg):
    inp = layers.Input(shape=(cfg.window, cfg.n_leads))
    x = inp
    for i, f in enumerate(cfg.conv_filters):
        x = Conv1D(f, kernel_size=7 if i == 0 else 5, padding="same", name=f"conv_{i}")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if i < len(cfg.conv_filters) - 1:
            x = layers.MaxPool1D(2)(x)
    x = Bidirectional(LSTM(cfg.lstm_units, return_sequences=True), name="bilstm")(x)
    # simple additive attention pooling over time
    score = layers.Dense(1, activation="tanh")(x)
    score = layers.Softmax(axis=1)(score)
    x = layers.Dot(axes=1)([score, x])
    x = layers.Flatten()(x)
    x = layers.Dropout(0.25)(x)
    out = layers.Dense(len(cfg.classes), activation="softmax")(x)
    return models.Model(inp, out, name="ecg_cnn_bilstm")


def class_weights(y, n_classes):
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    counts[counts == 0] = 1
    w = counts.sum() / (n_classes * counts)
    return {i: float(v) for i, v in enumerate(w)}


if __name__ == "__main__":
    cfg = ECGConfig()
    np.random.seed(1)
    tf.random.set_seed(1)

    X, y = build_dataset(cfg)
    print(f"windows: {X.shape}, label dist: {np.bincount(y, minlength=len(cfg.classes))}")

    perm = np.random.permutation(len(X))
    X, y = X[perm], y[perm]
    cut = int(len(X) * 0.8)

    def add_noise(x, lab):
        return x + tf.random.normal(tf.shape(x), stddev=0.02), lab

    train_ds = (tf.data.Dataset.from_tensor_slices((X[:cut], y[:cut]))
                .map(add_noise)
                .batch(cfg.batch_size)
                .prefetch(2))
    val_ds = tf.data.Dataset.from_tensor_slices((X[cut:], y[cut:])).batch(cfg.batch_size)

    model = build_model(cfg)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])

    cbs = [callbacks.EarlyStopping(patience=3, restore_best_weights=True),
           callbacks.ReduceLROnPlateau(factor=0.5, patience=2)]
    model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs,
              class_weight=class_weights(y[:cut], len(cfg.classes)),
              callbacks=cbs, verbose=2)

    probs = model.predict(X[cut:], verbose=0)
    pred = probs.argmax(-1)
    for k, name in enumerate(cfg.classes):
        tp = np.sum((pred == k) & (y[cut:] == k))
        support = np.sum(y[cut:] == k)
        print(f"  {name}: recall {tp / max(support, 1):.2f} (n={support})")

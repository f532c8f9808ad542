#!/usr/bin/env python
# ECG rhythm classification on synthetic recordings.
#  - generate long single-lead "ECG" records (gaussian P/QRS/T bumps at each beat)
#  - cut them into overlapping windows (tf.signal.frame), z-score each window
#  - residual 1-D CNN on windows, then average window probabilities per record
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

FS = 125                 # Hz
RECORD_SEC = 20
WINDOW_SEC = 4
HOP_SEC = 2
WIN = FS * WINDOW_SEC
HOP = FS * HOP_SEC
RHYTHMS = ("normal", "tachy", "brady", "irregular")
RECORDS_PER_CLASS = 24

np.random.seed(3)
tf.random.set_seed(3)


def beat_template(t, center, amp=1.0):
    """One heartbeat as a sum of gaussians: P, Q, R, S, T."""
    waves = [  # (offset s, width s, amplitude)
        (-0.20, 0.025, 0.12),
        (-0.03, 0.010, -0.15),
        (0.00, 0.012, 1.00),
        (0.03, 0.010, -0.25),
        (0.25, 0.050, 0.30),
    ]
    return amp * sum(a * np.exp(-((t - center - o) ** 2) / (2 * w ** 2)) for o, w, a in waves)


def synth_record(rhythm):
    n = FS * RECORD_SEC
    t = np.arange(n) / FS
    hr = {"normal": np.random.uniform(60, 90),
          "tachy": np.random.uniform(120, 160),
          "brady": np.random.uniform(35, 50),
          "irregular": np.random.uniform(70, 110)}[rhythm]
    rr_mean = 60.0 / hr
    beats, cur = [], np.random.uniform(0, rr_mean)
    while cur < RECORD_SEC:
        beats.append(cur)
        jitter = 0.35 if rhythm == "irregular" else 0.03
        cur += rr_mean * (1 + np.random.uniform(-jitter, jitter))
    sig = np.zeros(n)
    for b in beats:
        sig += beat_template(t, b, amp=np.random.uniform(0.85, 1.15))
    # baseline wander + mains hum + white noise
    sig += 0.15 * np.sin(2 * np.pi * 0.3 * t + np.random.rand() * 6)
    sig += 0.03 * np.sin(2 * np.pi * 50 * t)
    sig += np.random.normal(0, 0.04, n)
    return sig.astype(np.float32)


def window_records(records, labels):
    """records: (R, N) -> windows (R*W, WIN, 1), labels repeated, record ids."""
    frames = tf.signal.frame(records, frame_length=WIN, frame_step=HOP, axis=-1)  # (R, W, WIN)
    r, w = frames.shape[0], frames.shape[1]
    frames = tf.reshape(frames, (r * w, WIN))
    mean = tf.reduce_mean(frames, axis=1, keepdims=True)
    std = tf.math.reduce_std(frames, axis=1, keepdims=True)
    frames = (frames - mean) / (std + 1e-6)
    return frames[..., None].numpy(), np.repeat(labels, w), np.repeat(np.arange(r), w)


def residual_block(x, filters, stride, name):
    shortcut = x
    y = layers.Conv1D(filters, 7, strides=stride, padding="same", use_bias=False, name=f"{name}_c1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.Activation("relu")(y)
    y = layers.Dropout(0.1)(y)
    y = layers.Conv1D(filters, 7, padding="same", use_bias=False, name=f"{name}_c2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv1D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(shortcut)
        shortcut = layers.BatchNormalization(name=f"{name}_bnp")(shortcut)
    out = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_out")(out)


def build_resnet1d(n_classes, stages=((16, 1), (32, 2), (32, 1), (64, 2))):
    inp = keras.Input((WIN, 1))
    x = layers.Conv1D(16, 15, strides=2, padding="same", name="stem")(inp)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    for i, (filters, stride) in enumerate(stages):
        x = residual_block(x, filters, stride, name=f"res{i}")
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(n_classes, activation="softmax")(x)
    return keras.Model(inp, out, name="ecg_resnet1d")


# ---------------------------------------------------------------- data
rec_labels = np.repeat(np.arange(len(RHYTHMS)), RECORDS_PER_CLASS)
records = np.stack([synth_record(RHYTHMS[c]) for c in rec_labels])
order = np.random.permutation(len(records))
records, rec_labels = records[order], rec_labels[order]

# split by record so windows of one record never leak across sets
n_test = len(records) // 5
X_tr, y_tr, _ = window_records(records[n_test:], rec_labels[n_test:])
X_te, y_te, rid_te = window_records(records[:n_test], rec_labels[:n_test])
print(f"train windows {X_tr.shape}  test windows {X_te.shape}")
print("class counts (train):", dict(zip(RHYTHMS, np.bincount(y_tr).tolist())))

# ---------------------------------------------------------------- model
model = build_resnet1d(len(RHYTHMS))
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
print(f"params: {model.count_params():,}")

ckpt_path = os.path.join(tempfile.mkdtemp(dir="/tmp"), "ecg_best.keras")
callbacks = [
    keras.callbacks.ModelCheckpoint(ckpt_path, monitor="val_loss", save_best_only=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
]
model.fit(X_tr, y_tr, batch_size=32, epochs=2, validation_split=0.15,
          callbacks=callbacks, verbose=2)

best = keras.models.load_model(ckpt_path)
win_probs = best.predict(X_te, batch_size=64, verbose=0)
print(f"window-level acc: {(win_probs.argmax(1) == y_te).mean():.3f}")

# record-level vote: average window probabilities of each record
rec_ids = np.unique(rid_te)
rec_pred = np.array([win_probs[rid_te == r].mean(0).argmax() for r in rec_ids])
rec_true = np.array([y_te[rid_te == r][0] for r in rec_ids])
print(f"record-level acc: {(rec_pred == rec_true).mean():.3f}")
for r in rec_ids[:6]:
    print(f"  record {r:2d}: true={RHYTHMS[rec_true[r]]:<9s} pred={RHYTHMS[rec_pred[r]]}")

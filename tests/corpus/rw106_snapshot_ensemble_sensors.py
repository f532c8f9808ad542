"""Human-activity sensor classification with a snapshot ensemble.

- 3-axis accelerometer segments are generated with numpy
- hand-crafted window statistics go in as a second input next to the raw signal
- a cyclic cosine LR callback takes a weight snapshot at the end of every cycle
- snapshots + a second seed are averaged, plus shift-based test-time augmentation
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEQ_LEN = 64
CHANNELS = 3
CLASSES = ["walk", "run", "sit", "stairs"]
N_PER_CLASS = 90
BATCH = 32
EPOCHS = 2
N_CYCLES = 3
SNAP_DIR = tempfile.mkdtemp(prefix="rw106_snapshots_", dir="/tmp")


def synth_segment(label, rng):
    t = np.linspace(0, 2, SEQ_LEN)
    freq, amp = {0: (2.0, 1.0), 1: (3.2, 2.0), 2: (0.2, 0.1), 3: (1.6, 1.3)}[label]
    phase = rng.uniform(0, 2 * np.pi, CHANNELS)
    sig = amp * np.sin(2 * np.pi * freq * t[:, None] + phase)
    if label == 3:  # stairs: extra vertical drift
        sig[:, 2] += 0.8 * t
    sig += rng.normal(0, 0.3, sig.shape)
    return sig.astype(np.float32)


def make_dataset(seed):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(CLASSES)), N_PER_CLASS)
    X = np.stack([synth_segment(lbl, rng) for lbl in y])
    order = rng.permutation(len(y))
    return X[order], y[order]


def window_stats(X):
    """Classic hand-made features per channel: mean, std, min, max, energy, zero crossings, dominant fft bin."""
    centered = X - X.mean(axis=1, keepdims=True)
    zc = (np.diff(np.sign(centered), axis=1) != 0).sum(axis=1)
    spec = np.abs(np.fft.rfft(centered, axis=1))
    dom = spec[:, 1:].argmax(axis=1) + 1
    mag = np.linalg.norm(X, axis=2)
    feats = [X.mean(1), X.std(1), X.min(1), X.max(1), (X ** 2).mean(1), zc, dom,
             mag.mean(1, keepdims=True), mag.std(1, keepdims=True)]
    return np.concatenate(feats, axis=1).astype(np.float32)


X, y = make_dataset(0)
S = window_stats(X)
n_val = len(y) // 5
X_tr, S_tr, y_tr = X[n_val:], S[n_val:], y[n_val:]
X_va, S_va, y_va = X[:n_val], S[:n_val], y[:n_val]
s_mu, s_sd = S_tr.mean(0), S_tr.std(0) + 1e-6
S_tr, S_va = (S_tr - s_mu) / s_sd, (S_va - s_mu) / s_sd
print(f"signals {X_tr.shape}, stats {S_tr.shape}, val {len(y_va)}, snapshots -> {SNAP_DIR}")


def random_scale_shift(x, s, label):
    x = x * tf.random.uniform([1, CHANNELS], 0.9, 1.1)
    x = tf.roll(x, shift=tf.random.uniform([], 0, 8, dtype=tf.int32), axis=0)
    return (x, s), label


train_ds = (tf.data.Dataset.from_tensor_slices((X_tr, S_tr, y_tr))
            .shuffle(len(y_tr))
            .map(random_scale_shift, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(BATCH)
            .prefetch(2))


def make_model(seed):
    keras.utils.set_random_seed(seed)
    sig_in = layers.Input((SEQ_LEN, CHANNELS), name="signal")
    stat_in = layers.Input((S_tr.shape[1],), name="stats")
    x = sig_in
    for filters, k in [(16, 7), (32, 5), (32, 3)]:
        x = layers.Conv1D(filters, k, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.MaxPooling1D(2)(x)
    x = layers.GlobalAveragePooling1D()(x)
    s = layers.Dense(16, activation="relu")(stat_in)
    h = layers.Concatenate()([x, s])
    h = layers.Dropout(0.3)(h)
    out = layers.Dense(len(CLASSES), activation="softmax")(h)
    model = keras.Model([sig_in, stat_in], out)
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class CosineSnapshot(keras.callbacks.Callback):
    """Cosine annealing restarted N times; weights are written at the bottom of each cycle."""

    def __init__(self, total_steps, n_cycles, lr_max, prefix):
        super().__init__()
        self.cycle_len = total_steps // n_cycles
        self.n_cycles, self.lr_max, self.prefix = n_cycles, lr_max, prefix
        self.step, self.paths = 0, []

    def on_train_batch_begin(self, batch, logs=None):
        pos = (self.step % self.cycle_len) / self.cycle_len
        self.model.optimizer.learning_rate.assign(self.lr_max / 2 * (np.cos(np.pi * pos) + 1))

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        if self.step % self.cycle_len == 0 and len(self.paths) < self.n_cycles:
            path = os.path.join(SNAP_DIR, f"{self.prefix}_cycle{len(self.paths)}.weights.h5")
            self.model.save_weights(path)
            self.paths.append(path)
            print(f"    snapshot {len(self.paths)}/{self.n_cycles} saved at step {self.step}")


steps_total = EPOCHS * int(np.ceil(len(y_tr) / BATCH))
va_inputs = {"signal": X_va, "stats": S_va}


def predict_tta(model, shifts=(0, 4, -4)):
    probs = [model.predict({"signal": np.roll(X_va, s, axis=1), "stats": S_va}, verbose=0) for s in shifts]
    return np.mean(probs, axis=0)


snapshot_probs = {}
for seed in (1, 2):
    print(f"--- seed {seed} ---")
    model = make_model(seed)
    cb = CosineSnapshot(steps_total, N_CYCLES, lr_max=0.05, prefix=f"seed{seed}")
    model.fit(train_ds, epochs=EPOCHS, verbose=0, callbacks=[cb])
    for i, path in enumerate(cb.paths):
        model.load_weights(path)
        snapshot_probs[f"s{seed}_c{i}"] = predict_tta(model)

accuracy = lambda p: float((p.argmax(1) == y_va).mean())
log_loss = lambda p: float(-np.mean(np.log(p[np.arange(len(y_va)), y_va] + 1e-9)))

print("\nindividual snapshots:")
for name, p in snapshot_probs.items():
    print(f"  {name}: acc={accuracy(p):.3f}  logloss={log_loss(p):.3f}")

stack = np.stack(list(snapshot_probs.values()))
arith = stack.mean(0)
geo = np.exp(np.log(stack + 1e-9).mean(0))
geo /= geo.sum(1, keepdims=True)
last_only = np.mean([p for k, p in snapshot_probs.items() if k.endswith(f"c{N_CYCLES - 1}")], axis=0)
for label, p in [("arithmetic mean (all)", arith), ("geometric mean (all)", geo), ("last snapshot per seed", last_only)]:
    print(f"{label:>24s}: acc={accuracy(p):.3f}  logloss={log_loss(p):.3f}")

cm = np.zeros((len(CLASSES),) * 2, dtype=int)
np.add.at(cm, (y_va, arith.argmax(1)), 1)
print("confusion (rows=true):")
print("        " + " ".join(f"{c:>6s}" for c in CLASSES))
for c, row in zip(CLASSES, cm):
    print(f"{c:>7s} " + " ".join(f"{v:6d}" for v in row))

for f in os.listdir(SNAP_DIR):
    os.remove(os.path.join(SNAP_DIR, f))
os.rmdir(SNAP_DIR)

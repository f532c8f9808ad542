"""1D sensor-signal classifier trained with a hand-written loop.

The network has parallel Conv1D branches with different dilation rates joined
by Concatenate (a WaveNet-ish multi-scale front end), a custom attention-pool
layer, and a K.* based Lambda for feature scaling.  Training uses a
tf.function step with per-sample class weights gathered from a dict.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras import backend as K

SEQ_LEN = 128
N_CHANNELS = 3
N_CLASSES = 4
N_SAMPLES = 500
BATCH_SIZE = 32
EPOCHS = 2
LR = 2e-3
DILATIONS = [1, 2, 4, 8]


def simulate_signals(n, seed=0):
    r = np.random.default_rng(seed)
    labels = r.choice(N_CLASSES, size=n, p=[0.5, 0.25, 0.15, 0.1])
    t = np.linspace(0, 1, SEQ_LEN, dtype=np.float32)
    x = r.normal(0, 0.3, size=(n, SEQ_LEN, N_CHANNELS)).astype(np.float32)
    base_freq = np.array([2.0, 5.0, 9.0, 14.0])
    for i, lab in enumerate(labels):
        f = base_freq[lab] * r.uniform(0.9, 1.1)
        for ch in range(N_CHANNELS):
            x[i, :, ch] += np.sin(2 * np.pi * f * t + ch * 0.7).astype(np.float32)
        if lab == 3:  # burst event for the rare class
            start = r.integers(0, SEQ_LEN - 16)
            x[i, start:start + 16, :] += 2.0
    return x, labels


class AttentionPool1D(layers.Layer):
    """Soft attention over time steps, returns weighted sum of features."""

    def __init__(self, hidden=32, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden

    def build(self, input_shape):
        d = input_shape[-1]
        self.w = self.add_weight(name="w", shape=(d, self.hidden), initializer="glorot_uniform")
        self.v = self.add_weight(name="v", shape=(self.hidden, 1), initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, x):
        scores = tf.matmul(tf.tanh(tf.matmul(x, self.w)), self.v)  # (B, T, 1)
        alpha = tf.nn.softmax(scores, axis=1)
        return tf.reduce_sum(alpha * x, axis=1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"hidden": self.hidden})
        return cfg


def build_net():
    inp = layers.Input(shape=(SEQ_LEN, N_CHANNELS), name="signal")
    # per-sample, per-channel standardisation, Keras-2 style
    x = layers.Lambda(
        lambda s: (s - K.mean(s, axis=1, keepdims=True)) / (K.std(s, axis=1, keepdims=True) + 1e-6),
        name="zscore",
    )(inp)
    branches = []
    for d in DILATIONS:
        b = layers.Conv1D(16, 3, dilation_rate=d, padding="causal", activation="relu",
                          name=f"dil{d}_a")(x)
        b = layers.Conv1D(16, 3, dilation_rate=d, padding="causal", activation="relu",
                          name=f"dil{d}_b")(b)
        branches.append(b)
    x = layers.Concatenate(name="multi_scale")(branches)
    x = layers.MaxPooling1D(2)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv1D(48, 5, padding="same", activation="relu")(x)
    x = AttentionPool1D(hidden=24, name="attn_pool")(x)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dropout(0.3)(x)
    logits = layers.Dense(N_CLASSES, name="logits")(x)
    return keras.Model(inp, logits, name="multiscale_tcn")


x_all, y_all = simulate_signals(N_SAMPLES, seed=11)
y_onehot = keras.utils.to_categorical(y_all, N_CLASSES).astype(np.float32)

# manual validation split (last 20%), mirroring validation_split semantics
n_val = int(0.2 * N_SAMPLES)
x_tr, y_tr = x_all[:-n_val], y_onehot[:-n_val]
x_va, y_va = x_all[-n_val:], y_onehot[-n_val:]

counts = np.bincount(y_all[:-n_val], minlength=N_CLASSES)
class_weight = {i: float(np.sqrt(counts.max() / c)) for i, c in enumerate(counts)}
cw_table = tf.constant([class_weight[i] for i in range(N_CLASSES)], dtype=tf.float32)
print("class counts", counts.tolist(), "weights", {k: round(v, 3) for k, v in class_weight.items()})

train_ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
            .shuffle(1024, seed=3)
            .batch(BATCH_SIZE, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(64)

model = build_net()
optimizer = keras.optimizers.Adam(learning_rate=LR)
ce = keras.losses.CategoricalCrossentropy(from_logits=True, reduction="none")
train_loss = keras.metrics.Mean(name="train_loss")
train_acc = keras.metrics.CategoricalAccuracy(name="train_acc")
val_loss = keras.metrics.Mean(name="val_loss")
val_acc = keras.metrics.CategoricalAccuracy(name="val_acc")


@tf.function
def train_step(xb, yb):
    with tf.GradientTape() as tape:
        logits = model(xb, training=True)
        per_example = ce(yb, logits)
        sample_w = tf.gather(cw_table, tf.argmax(yb, axis=-1))
        loss = tf.reduce_sum(per_example * sample_w) / tf.reduce_sum(sample_w)
    grads = tape.gradient(loss, model.trainable_variables)
    # replace any NaN grads with zeros instead of branching on them
    grads = [tf.where(tf.math.is_finite(g), g, tf.zeros_like(g)) for g in grads]
    grads, gnorm = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    train_acc.update_state(yb, logits)
    return gnorm


@tf.function
def val_step(xb, yb):
    logits = model(xb, training=False)
    val_loss.update_state(tf.reduce_mean(ce(yb, logits)))
    val_acc.update_state(yb, logits)


for epoch in range(1, EPOCHS + 1):
    t0 = time.time()
    for m in (train_loss, train_acc, val_loss, val_acc):
        m.reset_state()
    norms = []
    for step, (xb, yb) in enumerate(train_ds):
        norms.append(float(train_step(xb, yb)))
    for xb, yb in val_ds:
        val_step(xb, yb)
    print(f"epoch {epoch}/{EPOCHS} steps={step + 1} "
          f"loss={train_loss.result():.4f} acc={train_acc.result():.3f} "
          f"val_loss={val_loss.result():.4f} val_acc={val_acc.result():.3f} "
          f"mean|g|={np.mean(norms):.3f} ({time.time() - t0:.1f}s)")

probs = tf.nn.softmax(model(x_va[:6], training=False)).numpy()
print("pred:", probs.argmax(1), "true:", y_va[:6].argmax(1))

"""Probabilistic multi-step forecasting with a pinball (quantile) loss.

Everything is hand-rolled: the loss, a coverage metric, a sMAPE metric on the
median, and a tf.function training step with GradientTape.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

QUANTILES = (0.1, 0.5, 0.9)
LOOKBACK, HORIZON = 32, 8
BATCH = 32
STEPS_PER_EPOCH = 12
EPOCHS = 2

tf.random.set_seed(11)
np.random.seed(11)


# ---------------------------------------------------------------- data
def heteroscedastic_series(n):
    t = np.arange(n, dtype="float32")
    level = 10 + 2 * np.sin(2 * np.pi * t / 60)
    # noise grows in the second half of every cycle -> quantiles should widen
    scale = 0.2 + 0.6 * (np.sin(2 * np.pi * t / 60) > 0)
    return (level + scale * np.random.randn(n)).astype("float32")


series = heteroscedastic_series(1000)


def window_ds(values, shuffle):
    ds = tf.keras.utils.timeseries_dataset_from_array(
        values[:-HORIZON], None, sequence_length=LOOKBACK + HORIZON,
        sequence_stride=1, batch_size=None, shuffle=False)
    ds = ds.map(lambda w: (w[:LOOKBACK, None], w[LOOKBACK:]))
    if shuffle:
        ds = ds.shuffle(500, reshuffle_each_iteration=True)
    return ds.batch(BATCH, drop_remainder=True)


split = 800
train_ds = window_ds(series[:split], shuffle=True).repeat()
val_ds = window_ds(series[split - LOOKBACK:], shuffle=False)


# ---------------------------------------------------------------- loss / metrics
class PinballLoss(keras.losses.Loss):
    def __init__(self, quantiles, name="pinball"):
        super().__init__(name=name)
        self.q = tf.constant(quantiles, dtype="float32")

    def call(self, y_true, y_pred):
        # y_true (B, H), y_pred (B, H, Q)
        err = y_true[..., None] - y_pred
        loss = tf.maximum(self.q * err, (self.q - 1.0) * err)
        return tf.reduce_mean(loss, axis=[-2, -1])


class IntervalCoverage(keras.metrics.Metric):
    """Fraction of targets falling between the lowest and highest quantile."""

    def __init__(self, name="coverage", **kw):
        super().__init__(name=name, **kw)
        self.inside = self.add_variable(shape=(), initializer="zeros", name="inside")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        lo, hi = y_pred[..., 0], y_pred[..., -1]
        ok = ops.cast(ops.logical_and(y_true >= lo, y_true <= hi), "float32")
        self.inside.assign_add(ops.sum(ok))
        self.count.assign_add(ops.cast(ops.size(ok), "float32"))

    def result(self):
        return ops.divide_no_nan(self.inside, self.count)

    def reset_state(self):
        self.inside.assign(0.0)
        self.count.assign(0.0)


class SMAPE(keras.metrics.Mean):
    def __init__(self, median_index, name="smape", **kw):
        super().__init__(name=name, **kw)
        self.median_index = median_index

    def update_state(self, y_true, y_pred, sample_weight=None):
        med = y_pred[..., self.median_index]
        denom = tf.abs(y_true) + tf.abs(med)
        val = 200.0 * tf.math.divide_no_nan(tf.abs(y_true - med), denom)
        return super().update_state(val, sample_weight)


# ---------------------------------------------------------------- model
def build_model():
    inp = keras.Input((LOOKBACK, 1))
    x = layers.Normalization(axis=None, mean=float(series[:split].mean()),
                             variance=float(series[:split].var()))(inp)
    x = layers.Conv1D(16, 5, padding="causal", activation="gelu")(x)
    x = layers.GRU(32)(x)
    x = layers.Dense(HORIZON * len(QUANTILES))(x)
    x = layers.Reshape((HORIZON, len(QUANTILES)))(x)
    # enforce non-crossing quantiles: median + cumulative positive offsets
    base = x[..., 1:2]
    lower = base - ops.softplus(x[..., 0:1])
    upper = base + ops.softplus(x[..., 2:3])
    out = layers.Concatenate(axis=-1)([lower, base, upper])
    # rescale back to the original level
    out = layers.Rescaling(scale=float(series[:split].std()), offset=float(series[:split].mean()))(out)
    return keras.Model(inp, out)


model = build_model()
loss_fn = PinballLoss(QUANTILES)
optimizer = keras.optimizers.Adam(learning_rate=5e-3)
train_metrics = {"loss": keras.metrics.Mean(), "coverage": IntervalCoverage()}
val_metrics = {"loss": keras.metrics.Mean(), "coverage": IntervalCoverage(),
               "smape": SMAPE(QUANTILES.index(0.5))}


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        pred = model(x, training=True)
        loss = loss_fn(y, pred)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_metrics["loss"].update_state(loss)
    train_metrics["coverage"].update_state(y, pred)
    return loss


@tf.function
def val_step(x, y):
    pred = model(x, training=False)
    val_metrics["loss"].update_state(loss_fn(y, pred))
    val_metrics["coverage"].update_state(y, pred)
    val_metrics["smape"].update_state(y, pred)


train_iter = iter(train_ds)
for epoch in range(EPOCHS):
    for m in (*train_metrics.values(), *val_metrics.values()):
        m.reset_state()
    t0 = time.time()
    for step in range(STEPS_PER_EPOCH):
        x, y = next(train_iter)
        train_step(x, y)
    for x, y in val_ds:
        val_step(x, y)
    tr = " ".join(f"{k}={float(m.result()):.3f}" for k, m in train_metrics.items())
    va = " ".join(f"val_{k}={float(m.result()):.3f}" for k, m in val_metrics.items())
    print(f"epoch {epoch + 1}/{EPOCHS} [{time.time() - t0:.1f}s] {tr} {va}")

xb, yb = next(iter(val_ds))
pred = model(xb[:1], training=False).numpy()[0]
print("step | q10    q50    q90   | actual")
for h in range(HORIZON):
    print(f"{h + 1:4d} | " + " ".join(f"{v:6.2f}" for v in pred[h]) + f" | {float(yb[0, h]):6.2f}")
assert np.all(pred[:, 0] <= pred[:, 1]) and np.all(pred[:, 1] <= pred[:, 2])

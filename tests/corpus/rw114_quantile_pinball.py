"""Probabilistic demand forecast with quantile (pinball) loss.

Two flavours:
  A) one named output per quantile, each compiled with its own pinball loss
  B) a single non-crossing head: base quantile + cumulative softplus increments,
     trained with a vectorised PinballLoss class.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

QUANTILES = [0.1, 0.5, 0.9]
LOOKBACK = 24
HORIZON = 6
SEED = 99

keras.utils.set_random_seed(SEED)
rng = np.random.default_rng(SEED)


# ----------------------------------------------------------------------------
# data: heteroscedastic series, noise grows with the level
def heteroscedastic_series(n=600):
    t = np.arange(n)
    level = 10 + 5 * np.sin(2 * np.pi * t / 24) + 0.01 * t
    noise = rng.normal(0, 0.1 + 0.15 * np.abs(level - 10), n)
    return (level + noise).astype("float32")


def window_xy(series, lookback, horizon):
    windows = np.lib.stride_tricks.sliding_window_view(series, lookback + horizon)
    return windows[:, :lookback, None].copy(), windows[:, lookback:].copy()


raw = heteroscedastic_series()
split = 480
mu, sd = raw[:split].mean(), raw[:split].std()
z = (raw - mu) / sd
X_train, Y_train = window_xy(z[:split], LOOKBACK, HORIZON)
X_test, Y_test = window_xy(z[split - LOOKBACK:], LOOKBACK, HORIZON)
print(f"train X{X_train.shape} Y{Y_train.shape} | test X{X_test.shape} Y{Y_test.shape}")


# ----------------------------------------------------------------------------
# loss helpers
def pinball(q):
    """Closure returning a pinball loss for a single quantile."""

    def loss(y_true, y_pred):
        err = y_true - y_pred
        return ops.mean(ops.maximum(q * err, (q - 1.0) * err), axis=-1)

    loss.__name__ = f"pinball_{int(q * 100)}"
    return loss


class PinballLoss(keras.losses.Loss):
    """y_true: (batch, horizon); y_pred: (batch, horizon, n_quantiles)."""

    def __init__(self, quantiles, name="pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = list(quantiles)

    def call(self, y_true, y_pred):
        q = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        err = ops.expand_dims(y_true, -1) - y_pred
        per_q = ops.maximum(q * err, (q - 1.0) * err)
        return ops.mean(per_q, axis=[-2, -1])

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


class IntervalCoverage(keras.metrics.Metric):
    """Fraction of targets inside [lowest quantile, highest quantile]."""

    def __init__(self, name="coverage", **kwargs):
        super().__init__(name=name, **kwargs)
        self.hits = self.add_weight(name="hits", initializer="zeros")
        self.total = self.add_weight(name="total", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        lo, hi = y_pred[..., 0], y_pred[..., -1]
        inside = ops.cast(ops.logical_and(y_true >= lo, y_true <= hi), "float32")
        self.hits.assign_add(ops.sum(inside))
        self.total.assign_add(ops.cast(ops.size(inside), "float32"))

    def result(self):
        return ops.divide_no_nan(self.hits, self.total)

    def reset_state(self):
        self.hits.assign(0.0)
        self.total.assign(0.0)


def shared_trunk(inp):
    x = layers.GRU(32, return_sequences=True)(inp)
    x = layers.GRU(32)(x)
    return layers.Dense(32, activation="gelu")(x)


# ----------------------------------------------------------------------------
# A) separate output per quantile
inp_a = keras.Input((LOOKBACK, 1))
trunk_a = shared_trunk(inp_a)
outputs_a = {f"q{int(q * 100)}": layers.Dense(HORIZON, name=f"q{int(q * 100)}")(trunk_a) for q in QUANTILES}
model_a = keras.Model(inp_a, outputs_a, name="per_quantile_heads")
model_a.compile(
    optimizer="adam",
    loss={f"q{int(q * 100)}": pinball(q) for q in QUANTILES},
)
y_dict = {f"q{int(q * 100)}": Y_train for q in QUANTILES}
hist_a = model_a.fit(X_train, y_dict, batch_size=32, epochs=2, validation_split=0.1, verbose=2)

preds_a = model_a.predict(X_test, verbose=0)
stacked_a = np.stack([preds_a[f"q{int(q * 100)}"] for q in QUANTILES], axis=-1)
crossings = np.mean(np.diff(stacked_a, axis=-1) < 0)
print(f"[A] fraction of crossed quantile pairs: {crossings:.3f}")


# ----------------------------------------------------------------------------
# B) single monotone head
class MonotoneQuantileHead(layers.Layer):
    def __init__(self, horizon, n_quantiles, **kwargs):
        super().__init__(**kwargs)
        self.horizon = horizon
        self.n_quantiles = n_quantiles
        self.base = layers.Dense(horizon)
        self.deltas = layers.Dense(horizon * (n_quantiles - 1))

    def call(self, h):
        base = ops.expand_dims(self.base(h), -1)                     # (B, H, 1)
        inc = ops.softplus(self.deltas(h))
        inc = ops.reshape(inc, (-1, self.horizon, self.n_quantiles - 1))
        upper = base + ops.cumsum(inc, axis=-1)                       # (B, H, Q-1)
        return ops.concatenate([base, upper], axis=-1)                # (B, H, Q)

    def get_config(self):
        return {**super().get_config(), "horizon": self.horizon, "n_quantiles": self.n_quantiles}


inp_b = keras.Input((LOOKBACK, 1))
out_b = MonotoneQuantileHead(HORIZON, len(QUANTILES), name="quantiles")(shared_trunk(inp_b))
model_b = keras.Model(inp_b, out_b, name="monotone_quantiles")
model_b.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=PinballLoss(QUANTILES),
    metrics=[IntervalCoverage()],
)
train_ds = tf.data.Dataset.from_tensor_slices((X_train, Y_train)).shuffle(512).batch(32)
test_ds = tf.data.Dataset.from_tensor_slices((X_test, Y_test)).batch(64)
model_b.fit(train_ds, epochs=2, verbose=2)
res = model_b.evaluate(test_ds, return_dict=True, verbose=0)
print(f"[B] test pinball={res['loss']:.4f}  80% interval coverage={res['coverage']:.3f}")

q_pred = model_b.predict(X_test[:1], verbose=0)[0] * sd + mu
truth = Y_test[0] * sd + mu
for h in range(HORIZON):
    band = " / ".join(f"{v:6.2f}" for v in q_pred[h])
    print(f"  t+{h + 1}: [{band}]  actual {truth[h]:6.2f}")

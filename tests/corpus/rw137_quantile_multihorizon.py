"""Probabilistic multi-horizon forecasting with quantile (pinball) loss.

The network outputs a (horizon, n_quantiles) grid. To avoid quantile crossing,
the head predicts the median plus positive softplus increments above/below it,
so q10 <= q50 <= q90 holds by construction.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

QUANTILES = (0.1, 0.5, 0.9)
WINDOW = 48
HORIZON = 8
BATCH = 32
EPOCHS = 2


def heteroscedastic_series(n=1000, seed=42):
    """Noise level itself varies seasonally -> good test for intervals."""
    r = np.random.default_rng(seed)
    t = np.arange(n)
    mean = 2.0 * np.sin(2 * np.pi * t / 40)
    scale = 0.2 + 0.6 * (1 + np.sin(2 * np.pi * t / 200)) / 2
    return (mean + scale * r.standard_normal(n)).astype("float32")


def to_windows(x, window, horizon, stride=1):
    idx = np.arange(0, len(x) - window - horizon + 1, stride)
    X = np.stack([x[i:i + window] for i in idx])[..., None]
    Y = np.stack([x[i + window:i + window + horizon] for i in idx])
    return X, Y


class PinballLoss(keras.losses.Loss):
    def __init__(self, quantiles, name="pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = list(quantiles)

    def call(self, y_true, y_pred):
        # y_true: (B, H)    y_pred: (B, H, Q)
        q = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        err = ops.expand_dims(y_true, -1) - y_pred
        loss = ops.maximum(q * err, (q - 1.0) * err)
        return ops.mean(loss, axis=(-2, -1))

    def get_config(self):
        return {**super().get_config(), "quantiles": self.quantiles}


class MonotoneQuantileHead(layers.Layer):
    """Outputs sorted quantiles: median +/- cumulative softplus deltas."""

    def __init__(self, horizon, quantiles, **kwargs):
        super().__init__(**kwargs)
        self.horizon = horizon
        self.quantiles = list(quantiles)
        self.median_idx = self.quantiles.index(0.5)
        self.n_below = self.median_idx
        self.n_above = len(self.quantiles) - self.median_idx - 1
        self.proj = layers.Dense(horizon * len(self.quantiles))

    def call(self, h):
        raw = ops.reshape(self.proj(h), (-1, self.horizon, len(self.quantiles)))
        median = raw[..., self.median_idx:self.median_idx + 1]
        below = ops.softplus(raw[..., :self.n_below])
        above = ops.softplus(raw[..., self.median_idx + 1:])
        # cumulate outward from the median
        lower = median - ops.flip(ops.cumsum(ops.flip(below, axis=-1), axis=-1), axis=-1)
        upper = median + ops.cumsum(above, axis=-1)
        return ops.concatenate([lower, median, upper], axis=-1)


def build(window, horizon, quantiles):
    inp = keras.Input((window, 1))
    x = layers.Conv1D(16, 5, padding="causal", activation="relu")(inp)
    x = layers.GRU(32)(x)
    x = layers.Dense(32, activation="gelu")(x)
    out = MonotoneQuantileHead(horizon, quantiles, name="quantiles")(x)
    return keras.Model(inp, out, name="quantile_forecaster")


def coverage_report(y, pred, quantiles):
    lo, hi = quantiles.index(0.1), quantiles.index(0.9)
    inside = (y >= pred[..., lo]) & (y <= pred[..., hi])
    width = (pred[..., hi] - pred[..., lo]).mean()
    print(f"80% interval empirical coverage: {inside.mean():.1%}, mean width {width:.3f}")
    for j, q in enumerate(quantiles):
        frac_below = (y <= pred[..., j]).mean()
        print(f"  q={q:.1f}: fraction of targets below = {frac_below:.3f}")
    crossing = np.any(np.diff(pred, axis=-1) < 0)
    print("quantile crossing detected:", bool(crossing))


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    series = heteroscedastic_series()
    X, Y = to_windows(series, WINDOW, HORIZON, stride=2)
    n_tr = int(0.8 * len(X))
    X_tr, Y_tr, X_te, Y_te = X[:n_tr], Y[:n_tr], X[n_tr:], Y[n_tr:]
    print("train", X_tr.shape, Y_tr.shape, "test", X_te.shape, Y_te.shape)

    model = build(WINDOW, HORIZON, QUANTILES)
    model.compile(optimizer=keras.optimizers.Adam(5e-3), loss=PinballLoss(QUANTILES))
    model.fit(X_tr, Y_tr, batch_size=BATCH, epochs=EPOCHS, validation_split=0.1,
              callbacks=[keras.callbacks.TerminateOnNaN()], verbose=2)

    pred = model.predict(X_te, batch_size=128, verbose=0)
    print("prediction grid shape:", pred.shape)
    coverage_report(Y_te, pred, list(QUANTILES))

    # horizon-wise pinball loss
    loss_fn = PinballLoss(QUANTILES)
    for h in (0, HORIZON // 2, HORIZON - 1):
        l = loss_fn(Y_te[:, h:h + 1], pred[:, h:h + 1, :])
        print(f"pinball loss at t+{h + 1}: {float(l):.4f}")

"""N-BEATS (Oreshkin et al., ICLR 2020) in Keras 3.

Interpretable configuration: a trend stack (polynomial basis) followed by a
seasonality stack (Fourier basis), plus an optional generic stack. Each block
emits a backcast that is subtracted from the running residual and a forecast
that is summed into the final prediction (doubly residual stacking).
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

LOOKBACK_MULT = 3
HORIZON = 14
LOOKBACK = LOOKBACK_MULT * HORIZON
STACKS = [
    # (block type, n_blocks, units, theta_dim / basis size, share weights)
    ("trend", 2, 128, 3, True),
    ("seasonality", 2, 128, None, True),
    ("generic", 1, 128, 16, False),
]


def _linspace(backcast_len, forecast_len):
    lin = np.arange(backcast_len + forecast_len, dtype="float32") / (backcast_len + forecast_len)
    return lin[:backcast_len], lin[backcast_len:]


@keras.saving.register_keras_serializable(package="nbeats")
class NBeatsBlock(layers.Layer):
    """FC stack -> theta -> (backcast, forecast) through a basis expansion."""

    def __init__(self, kind, units, theta_dim, backcast_len, forecast_len, n_layers=4, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        self.units = units
        self.backcast_len = backcast_len
        self.forecast_len = forecast_len
        self.n_layers = n_layers
        if kind == "seasonality":
            # Fourier harmonics up to forecast_len / 2 (+ constant term)
            theta_dim = 2 * int(math.floor(forecast_len / 2 - 1)) + 1
        self.theta_dim = theta_dim
        self.fc = [layers.Dense(units, activation="relu", name=f"fc{i}") for i in range(n_layers)]
        if kind == "generic":
            self.theta_b = layers.Dense(theta_dim, use_bias=False, name="theta_b")
            self.theta_f = layers.Dense(theta_dim, use_bias=False, name="theta_f")
            self.backcast_basis = layers.Dense(backcast_len, name="g_b")
            self.forecast_basis = layers.Dense(forecast_len, name="g_f")
        else:
            # trend/seasonality share theta between backcast and forecast
            self.theta = layers.Dense(theta_dim, use_bias=False, name="theta")
            tb, tf_ = _linspace(backcast_len, forecast_len)
            self.basis_b, self.basis_f = self._make_basis(tb, tf_)

    def _make_basis(self, tb, tf_):
        if self.kind == "trend":
            powers = np.arange(self.theta_dim, dtype="float32")
            return (np.power(tb[None, :], powers[:, None]), np.power(tf_[None, :], powers[:, None]))
        n_harm = (self.theta_dim - 1) // 2
        freqs = np.arange(1, n_harm + 1, dtype="float32")

        def fourier(t):
            ang = 2 * np.pi * freqs[:, None] * t[None, :]
            return np.concatenate([np.ones((1, len(t)), "float32"), np.cos(ang), np.sin(ang)], axis=0)

        return fourier(tb), fourier(tf_)

    def call(self, x):
        h = x
        for dense in self.fc:
            h = dense(h)
        if self.kind == "generic":
            return self.backcast_basis(self.theta_b(h)), self.forecast_basis(self.theta_f(h))
        theta = self.theta(h)  # (batch, theta_dim)
        backcast = ops.matmul(theta, ops.convert_to_tensor(self.basis_b))
        forecast = ops.matmul(theta, ops.convert_to_tensor(self.basis_f))
        return backcast, forecast

    def get_config(self):
        config = super().get_config()
        config.update(
            kind=self.kind, units=self.units, theta_dim=self.theta_dim,
            backcast_len=self.backcast_len, forecast_len=self.forecast_len, n_layers=self.n_layers,
        )
        return config


def build_nbeats(lookback=LOOKBACK, horizon=HORIZON, stacks=STACKS):
    inp = keras.Input(shape=(lookback,), name="history")
    # scale by the last-window level, a common trick for M4 style series
    level = layers.Lambda(lambda t: ops.mean(ops.abs(t), axis=-1, keepdims=True) + 1e-3, name="level")(inp)
    residual = layers.Lambda(lambda ab: ab[0] / ab[1], name="scaled")([inp, level])
    forecast = None
    stack_outputs = {}
    for kind, n_blocks, units, theta_dim, share in stacks:
        shared = NBeatsBlock(kind, units, theta_dim, lookback, horizon, name=f"{kind}_block") if share else None
        stack_fc = []
        for b in range(n_blocks):
            block = shared or NBeatsBlock(kind, units, theta_dim, lookback, horizon, name=f"{kind}_block{b}")
            backcast, block_fc = block(residual)
            residual = layers.Subtract(name=f"{kind}_res{b}")([residual, backcast])
            stack_fc.append(block_fc)
        stack_sum = stack_fc[0] if len(stack_fc) == 1 else layers.Add(name=f"{kind}_forecast")(stack_fc)
        stack_outputs[kind] = stack_sum
        forecast = stack_sum if forecast is None else layers.Add(name=f"sum_after_{kind}")([forecast, stack_sum])
    forecast = layers.Multiply(name="forecast")([forecast, level])
    return keras.Model(inp, forecast, name="nbeats"), keras.Model(inp, stack_outputs, name="nbeats_decomp")


def smape_loss(y_true, y_pred):
    denom = ops.abs(y_true) + ops.abs(y_pred) + 1e-6
    return 200.0 * ops.mean(ops.abs(y_true - y_pred) / denom, axis=-1)


def synthetic_m4_daily(n_series=64, length=400, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(length, dtype="float32")
    level = rng.uniform(50, 500, size=(n_series, 1))
    slope = rng.normal(0, 0.3, size=(n_series, 1))
    weekly = rng.uniform(0, 0.15, size=(n_series, 1)) * np.sin(2 * np.pi * t / 7 + rng.uniform(0, 6, (n_series, 1)))
    noise = rng.normal(0, 0.02, size=(n_series, length))
    return ((level + slope * t) * (1 + weekly + noise)).astype("float32")


def sample_windows(series, n_samples, rng):
    ids = rng.integers(0, series.shape[0], n_samples)
    cut = rng.integers(LOOKBACK, series.shape[1] - HORIZON, n_samples)
    x = np.stack([series[i, c - LOOKBACK:c] for i, c in zip(ids, cut)])
    y = np.stack([series[i, c:c + HORIZON] for i, c in zip(ids, cut)])
    return x.astype("float32"), y.astype("float32")


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    series = synthetic_m4_daily()
    train, test = series[:, :-HORIZON], series[:, -(LOOKBACK + HORIZON):]
    x_tr, y_tr = sample_windows(train, 2048, rng)
    ds = tf.data.Dataset.from_tensor_slices((x_tr, y_tr)).shuffle(2048).batch(128).repeat()

    model, decomp = build_nbeats()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=smape_loss, metrics=["mae"])
    model.fit(ds, epochs=1, steps_per_epoch=12, verbose=2)
    print("params:", model.count_params())

    x_te, y_te = test[:, :LOOKBACK], test[:, LOOKBACK:]
    y_hat = model.predict(x_te, verbose=0)
    naive = np.repeat(x_te[:, -1:], HORIZON, axis=1)
    print("test sMAPE model: %.3f" % float(ops.mean(smape_loss(y_te, y_hat))))
    print("test sMAPE naive: %.3f" % float(ops.mean(smape_loss(y_te, naive))))

    parts = decomp(x_te[:4])
    for k, v in parts.items():
        print(f"{k:>12s} component (scaled) shape={tuple(v.shape)} mean={float(ops.mean(v)):.4f}")

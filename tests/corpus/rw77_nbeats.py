"""N-BEATS (Oreshkin et al., 2019) in Keras 3.

Implements the doubly-residual stacking with generic, trend (polynomial basis)
and seasonality (Fourier basis) blocks. Trained on a toy univariate series with
windows cut via keras.utils.timeseries_dataset_from_array.
"""
import numpy as np
import keras
from keras import layers, ops

CONFIG = {
    "backcast_length": 60,
    "forecast_length": 10,
    "hidden_units": 64,
    "n_layers_per_block": 3,
    "stacks": [
        {"type": "trend", "blocks": 2, "theta_dim": 3},
        {"type": "seasonality", "blocks": 2, "theta_dim": None},
        {"type": "generic", "blocks": 1, "theta_dim": 8},
    ],
    "share_weights_in_stack": False,
    "batch_size": 128,
    "steps_per_epoch": 20,
    "lr": 1e-3,
}

keras.utils.set_random_seed(42)


# --------------------------------------------------------------------------- #
# Blocks
# --------------------------------------------------------------------------- #
class NBeatsBlock(layers.Layer):
    """FC stack -> theta -> (backcast, forecast) via a basis expansion."""

    def __init__(self, units, n_layers, theta_dim, backcast_length, forecast_length, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.n_layers = n_layers
        self.theta_dim = theta_dim
        self.backcast_length = backcast_length
        self.forecast_length = forecast_length
        self.fc_layers = [layers.Dense(units, activation="relu") for _ in range(n_layers)]

    def build(self, input_shape):
        self.theta_b = layers.Dense(self.theta_dim, use_bias=False, name="theta_b")
        self.theta_f = layers.Dense(self.theta_dim, use_bias=False, name="theta_f")
        super().build(input_shape)

    def _fixed_basis(self, name, value):
        # non-trainable weight so the basis is tracked (and saved) with the layer;
        # a raw tensor created in build() would leak out of the tracing graph
        value = np.asarray(value, dtype="float32")
        return self.add_weight(
            name=name,
            shape=value.shape,
            initializer=keras.initializers.Constant(value),
            trainable=False,
        )

    def basis(self, theta_b, theta_f):
        raise NotImplementedError

    def call(self, x):
        h = x
        for fc in self.fc_layers:
            h = fc(h)
        return self.basis(self.theta_b(h), self.theta_f(h))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(
            units=self.units,
            n_layers=self.n_layers,
            theta_dim=self.theta_dim,
            backcast_length=self.backcast_length,
            forecast_length=self.forecast_length,
        )
        return cfg


class GenericBlock(NBeatsBlock):
    def build(self, input_shape):
        super().build(input_shape)
        self.backcast_proj = layers.Dense(self.backcast_length, name="g_backcast")
        self.forecast_proj = layers.Dense(self.forecast_length, name="g_forecast")

    def basis(self, theta_b, theta_f):
        return self.backcast_proj(theta_b), self.forecast_proj(theta_f)


def _linspace(backcast_length, forecast_length):
    lin = np.arange(-backcast_length, forecast_length, dtype="float32") / max(
        backcast_length, forecast_length
    )
    return lin[:backcast_length], lin[backcast_length:]


class TrendBlock(NBeatsBlock):
    """Polynomial basis of degree theta_dim - 1; theta is the coefficient vector."""

    def build(self, input_shape):
        super().build(input_shape)
        b_ls, f_ls = _linspace(self.backcast_length, self.forecast_length)
        powers = np.arange(self.theta_dim, dtype="float32")
        # T has shape (theta_dim, length)
        self.T_b = self._fixed_basis("T_b", np.power(b_ls[None, :], powers[:, None]))
        self.T_f = self._fixed_basis("T_f", np.power(f_ls[None, :], powers[:, None]))

    def basis(self, theta_b, theta_f):
        return ops.matmul(theta_b, self.T_b), ops.matmul(theta_f, self.T_f)


class SeasonalityBlock(NBeatsBlock):
    """Fourier basis: cos / sin harmonics up to forecast_length // 2."""

    def __init__(self, units, n_layers, theta_dim, backcast_length, forecast_length, **kwargs):
        n_harm = forecast_length // 2
        theta_dim = theta_dim or 2 * n_harm
        super().__init__(units, n_layers, theta_dim, backcast_length, forecast_length, **kwargs)

    def build(self, input_shape):
        super().build(input_shape)
        b_ls, f_ls = _linspace(self.backcast_length, self.forecast_length)
        p1, p2 = (self.theta_dim // 2, self.theta_dim - self.theta_dim // 2)

        def fourier(ls):
            s1 = np.stack([np.cos(2 * np.pi * i * ls) for i in range(p1)])
            s2 = np.stack([np.sin(2 * np.pi * i * ls) for i in range(p2)])
            return np.concatenate([s1, s2], axis=0).astype("float32")

        self.S_b = self._fixed_basis("S_b", fourier(b_ls))
        self.S_f = self._fixed_basis("S_f", fourier(f_ls))

    def basis(self, theta_b, theta_f):
        return ops.matmul(theta_b, self.S_b), ops.matmul(theta_f, self.S_f)


BLOCK_TYPES = {"generic": GenericBlock, "trend": TrendBlock, "seasonality": SeasonalityBlock}


# --------------------------------------------------------------------------- #
# Model
# --------------------------------------------------------------------------- #
class NBeats(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.stacks = []
        for s_idx, stack_cfg in enumerate(cfg["stacks"]):
            block_cls = BLOCK_TYPES[stack_cfg["type"]]
            blocks = []
            for b_idx in range(stack_cfg["blocks"]):
                if cfg["share_weights_in_stack"] and blocks:
                    blocks.append(blocks[0])
                    continue
                blocks.append(
                    block_cls(
                        cfg["hidden_units"],
                        cfg["n_layers_per_block"],
                        stack_cfg["theta_dim"],
                        cfg["backcast_length"],
                        cfg["forecast_length"],
                        name=f"{stack_cfg['type']}_s{s_idx}_b{b_idx}",
                    )
                )
            self.stacks.append(blocks)

    def call(self, x, return_stack_forecasts=False):
        residual = x
        forecast = ops.zeros((ops.shape(x)[0], self.cfg["forecast_length"]), dtype=x.dtype)
        stack_outputs = []
        for blocks in self.stacks:
            stack_forecast = ops.zeros_like(forecast)
            for block in blocks:
                b, f = block(residual)
                residual = residual - b
                stack_forecast = stack_forecast + f
            forecast = forecast + stack_forecast
            stack_outputs.append(stack_forecast)
        if return_stack_forecasts:
            return forecast, stack_outputs
        return forecast


# --------------------------------------------------------------------------- #
# Data
# --------------------------------------------------------------------------- #
def toy_series(n=4000):
    t = np.arange(n, dtype="float32")
    y = 0.002 * t + np.sin(2 * np.pi * t / 24) + 0.3 * np.sin(2 * np.pi * t / 7)
    y += 0.1 * np.random.randn(n)
    return y.astype("float32")


def make_windows(series, cfg, shuffle=True):
    L, H = cfg["backcast_length"], cfg["forecast_length"]
    ds = keras.utils.timeseries_dataset_from_array(
        series, None, sequence_length=L + H, batch_size=cfg["batch_size"], shuffle=shuffle, seed=1
    )

    def split(window):
        x, y = window[:, :L], window[:, L:]
        # per-window scaling by the last backcast value level (common N-BEATS trick)
        level = ops.mean(ops.abs(x), axis=1, keepdims=True) + 1e-3
        return x / level, y / level

    return ds.map(split)


series = toy_series()
split_at = int(len(series) * 0.8)
train_ds = make_windows(series[:split_at], CONFIG).repeat()
val_ds = make_windows(series[split_at:], CONFIG, shuffle=False)

model = NBeats(CONFIG, name="nbeats")
model(ops.zeros((1, CONFIG["backcast_length"])))  # build
model.summary()


def smape(y_true, y_pred):
    num = ops.abs(y_true - y_pred)
    den = (ops.abs(y_true) + ops.abs(y_pred)) / 2.0 + 1e-6
    return 100.0 * ops.mean(num / den)


model.compile(optimizer=keras.optimizers.Adam(CONFIG["lr"]), loss="mae", metrics=[smape])
history = model.fit(
    train_ds, validation_data=val_ds, epochs=1, steps_per_epoch=CONFIG["steps_per_epoch"], verbose=2
)

# interpretability: decompose a forecast into per-stack contributions
x_val, y_val = next(iter(val_ds))
total, per_stack = model(x_val[:4], return_stack_forecasts=True)
for stack_cfg, f in zip(CONFIG["stacks"], per_stack):
    print(f"{stack_cfg['type']:>12s} contribution shape={tuple(f.shape)} "
          f"mean|f|={float(ops.mean(ops.abs(f))):.3f}")
print("total forecast:", tuple(total.shape), "target:", tuple(y_val[:4].shape))

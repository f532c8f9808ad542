"""N-BEATS (Oreshkin et al., 2019) in Keras 3.

Interpretable configuration: a trend stack (polynomial basis) followed by a
seasonality stack (Fourier basis), plus an optional generic stack. Each block
emits a backcast that is subtracted from the running residual and a forecast
that is summed into the final prediction.

Trained on a toy synthetic series (trend + two seasonalities + noise) for a
single epoch just to show the wiring works.
"""
import numpy as np
import keras
from keras import layers, ops

# ---------------------------------------------------------------------------
# hyper-parameters
# ---------------------------------------------------------------------------
LOOKBACK = 48          # backcast length (2 x horizon is a common choice in the paper)
HORIZON = 24           # forecast length
HIDDEN = 64
N_LAYERS_FC = 3
BLOCKS_PER_STACK = 2
POLY_DEGREE = 3
N_HARMONICS = 6
BATCH_SIZE = 64
EPOCHS = 1
SEED = 7

rng = np.random.default_rng(SEED)
keras.utils.set_random_seed(SEED)


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def make_series(n=3000):
    t = np.arange(n, dtype="float32")
    trend = 0.002 * t + 0.5 * np.sin(t / 400.0)
    daily = np.sin(2 * np.pi * t / 24.0)
    weekly = 0.5 * np.sin(2 * np.pi * t / 168.0)
    noise = 0.1 * rng.standard_normal(n).astype("float32")
    return (trend + daily + weekly + noise).astype("float32")


def sliding_windows(series, lookback, horizon, stride=1):
    """Vectorised windowing with numpy stride tricks -> (N, lookback), (N, horizon)."""
    total = lookback + horizon
    windows = np.lib.stride_tricks.sliding_window_view(series, total)[::stride]
    return windows[:, :lookback].copy(), windows[:, lookback:].copy()


# ---------------------------------------------------------------------------
# basis functions
# ---------------------------------------------------------------------------
def trend_basis(degree, length):
    t = np.arange(length, dtype="float32") / length
    return np.stack([t ** p for p in range(degree + 1)], axis=0)  # (degree+1, length)


def seasonality_basis(harmonics, length):
    t = np.arange(length, dtype="float32") / length
    freqs = np.arange(1, harmonics + 1, dtype="float32")
    cos = np.cos(2 * np.pi * freqs[:, None] * t[None, :])
    sin = np.sin(2 * np.pi * freqs[:, None] * t[None, :])
    ones = np.ones((1, length), dtype="float32")
    return np.concatenate([ones, cos, sin], axis=0)  # (2H+1, length)


# ---------------------------------------------------------------------------
# blocks
# ---------------------------------------------------------------------------
class NBeatsBlock(layers.Layer):
    """Fully-connected stack -> theta_b / theta_f -> basis expansion."""

    def __init__(self, units, n_fc, backcast_len, forecast_len,
                 block_type="generic", degree=3, harmonics=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.n_fc = n_fc
        self.backcast_len = backcast_len
        self.forecast_len = forecast_len
        self.block_type = block_type
        self.degree = degree
        self.harmonics = harmonics

        self.fc = [layers.Dense(units, activation="relu", name=f"fc{i}") for i in range(n_fc)]

        if block_type == "trend":
            self._back_basis = trend_basis(degree, backcast_len)
            self._fore_basis = trend_basis(degree, forecast_len)
        elif block_type == "seasonality":
            self._back_basis = seasonality_basis(harmonics, backcast_len)
            self._fore_basis = seasonality_basis(harmonics, forecast_len)
        else:
            self._back_basis = None
            self._fore_basis = None

        if self._back_basis is not None:
            theta_dim = self._back_basis.shape[0]
            self.theta_b = layers.Dense(theta_dim, use_bias=False, name="theta_b")
            self.theta_f = layers.Dense(theta_dim, use_bias=False, name="theta_f")
        else:
            # generic block: learn the basis as a linear projection
            self.theta_b = layers.Dense(units // 2, use_bias=False, name="theta_b")
            self.theta_f = layers.Dense(units // 2, use_bias=False, name="theta_f")
            self.back_proj = layers.Dense(backcast_len, name="backcast_proj")
            self.fore_proj = layers.Dense(forecast_len, name="forecast_proj")

    def build(self, input_shape):
        if self._back_basis is not None:
            # fixed (non-trainable) basis matrices
            self.back_basis = self.add_weight(
                name="back_basis", shape=self._back_basis.shape,
                initializer=keras.initializers.Constant(self._back_basis), trainable=False)
            self.fore_basis = self.add_weight(
                name="fore_basis", shape=self._fore_basis.shape,
                initializer=keras.initializers.Constant(self._fore_basis), trainable=False)
        super().build(input_shape)

    def call(self, x):
        h = x
        for dense in self.fc:
            h = dense(h)
        tb = self.theta_b(h)
        tf_ = self.theta_f(h)
        if self.block_type == "generic":
            return self.back_proj(tb), self.fore_proj(tf_)
        # (B, P) @ (P, L) -> (B, L)
        backcast = ops.matmul(tb, self.back_basis)
        forecast = ops.matmul(tf_, self.fore_basis)
        return backcast, forecast

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, n_fc=self.n_fc, backcast_len=self.backcast_len,
                   forecast_len=self.forecast_len, block_type=self.block_type,
                   degree=self.degree, harmonics=self.harmonics)
        return cfg


def build_nbeats(stack_types=("trend", "seasonality")):
    inputs = keras.Input(shape=(LOOKBACK,), name="history")
    residual = inputs
    forecast = None
    stack_forecasts = {}

    for s_idx, stype in enumerate(stack_types):
        stack_fc = None
        for b_idx in range(BLOCKS_PER_STACK):
            block = NBeatsBlock(HIDDEN, N_LAYERS_FC, LOOKBACK, HORIZON,
                                block_type=stype, degree=POLY_DEGREE,
                                harmonics=N_HARMONICS,
                                name=f"{stype}_s{s_idx}_b{b_idx}")
            backcast, block_fc = block(residual)
            residual = layers.Subtract(name=f"residual_{s_idx}_{b_idx}")([residual, backcast])
            stack_fc = block_fc if stack_fc is None else layers.Add()([stack_fc, block_fc])
        stack_forecasts[stype] = stack_fc
        forecast = stack_fc if forecast is None else layers.Add(name=f"sum_stack_{s_idx}")([forecast, stack_fc])

    model = keras.Model(inputs, forecast, name="nbeats")
    # handy side model for the interpretable decomposition
    decomposer = keras.Model(inputs, stack_forecasts, name="nbeats_decomposition")
    return model, decomposer


def smape(y_true, y_pred):
    num = ops.abs(y_pred - y_true)
    den = ops.abs(y_true) + ops.abs(y_pred) + keras.backend.epsilon()
    return 200.0 * ops.mean(num / den, axis=-1)


def main():
    series = make_series()
    split = int(len(series) * 0.8)
    # normalise with train statistics only
    mu, sigma = series[:split].mean(), series[:split].std()
    series = (series - mu) / sigma

    x_train, y_train = sliding_windows(series[:split], LOOKBACK, HORIZON, stride=2)
    x_val, y_val = sliding_windows(series[split - LOOKBACK:], LOOKBACK, HORIZON, stride=HORIZON)
    print("train windows:", x_train.shape, y_train.shape)
    print("val windows:  ", x_val.shape, y_val.shape)

    model, decomposer = build_nbeats()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mae", metrics=[smape])
    model.summary(line_length=100)

    model.fit(x_train, y_train, validation_data=(x_val, y_val),
              batch_size=BATCH_SIZE, epochs=EPOCHS, verbose=2)

    parts = decomposer.predict(x_val[:4], verbose=0)
    for name, arr in parts.items():
        print(f"{name:12s} component -> {arr.shape}, mean={arr.mean():+.3f}")

    preds = model.predict(x_val[:4], verbose=0)
    recon = sum(parts.values())
    print("decomposition sums to forecast:", np.allclose(preds, recon, atol=1e-4))


if __name__ == "__main__":
    main()

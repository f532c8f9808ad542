"""Feature-window engineering in numpy for a multi-step energy-load forecaster.

Builds (samples, lookback, features) tensors with numpy stride tricks, adds
lag / rolling-window features and known-future calendar covariates, then
trains a Conv1D+GRU model with a separate "future covariates" input branch.
Evaluates with a rolling-origin backtest on the last part of the series.
"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view, as_strided
import tensorflow as tf
import keras
from keras import layers, ops

cfg = dict(
    lookback=72,
    horizon=24,
    stride=2,               # subsample windows to decorrelate training examples
    lags=(24, 168),
    rolling=(6, 24),
    batch_size=64,
    epochs=1,
    conv_filters=32,
    gru_units=32,
    val_frac=0.15,
    seed=11,
)
rng = np.random.default_rng(cfg["seed"])
keras.utils.set_random_seed(cfg["seed"])

# ------------------------------------------------------------------ raw data
HOURS = 24 * 120
t = np.arange(HOURS)
hour, dow = t % 24, (t // 24) % 7
temp = 12 + 8 * np.sin(2 * np.pi * (t - 6) / 24) + np.cumsum(rng.normal(0, 0.1, HOURS))
load = (
    50
    + 15 * np.sin(2 * np.pi * (hour - 8) / 24)
    - 8 * (dow >= 5)
    + 0.6 * np.abs(temp - 18)
    + rng.normal(0, 2, HOURS)
)
load[rng.choice(HOURS, 20, replace=False)] = np.nan      # sensor dropouts


def ffill(a):
    """Forward-fill NaNs along axis 0 (vectorised, pandas-free)."""
    mask = np.isnan(a)
    idx = np.where(~mask, np.arange(len(a)), 0)
    np.maximum.accumulate(idx, out=idx)
    return a[idx]


load = ffill(load)


# ------------------------------------------------------------------ features
def lag_features(x, lags):
    out = np.full((len(x), len(lags)), np.nan, dtype=np.float64)
    for j, lag in enumerate(lags):
        out[lag:, j] = x[:-lag]
    return out


def rolling_mean_std(x, window):
    """Trailing rolling mean/std via sliding_window_view, NaN-padded at the start."""
    win = sliding_window_view(x, window)             # (T - window + 1, window)
    mean = np.full(len(x), np.nan)
    std = np.full(len(x), np.nan)
    mean[window - 1:] = win.mean(axis=1)
    std[window - 1:] = win.std(axis=1)
    return np.stack([mean, std], axis=1)


def calendar_features(hour, dow):
    return np.stack(
        [
            np.sin(2 * np.pi * hour / 24),
            np.cos(2 * np.pi * hour / 24),
            np.sin(2 * np.pi * dow / 7),
            np.cos(2 * np.pi * dow / 7),
            (dow >= 5).astype(float),
        ],
        axis=1,
    )


past_feats = np.concatenate(
    [load[:, None], temp[:, None], lag_features(load, cfg["lags"])]
    + [rolling_mean_std(load, w) for w in cfg["rolling"]],
    axis=1,
)
cal = calendar_features(hour, dow)
past_feats = np.concatenate([past_feats, cal], axis=1)

# drop warm-up rows where the longest lag is not available
warmup = max(max(cfg["lags"]), max(cfg["rolling"]))
past_feats, cal, target = past_feats[warmup:], cal[warmup:], load[warmup:]
print("feature matrix:", past_feats.shape, "nan left:", int(np.isnan(past_feats).sum()))


# ------------------------------------------------------------------ windows
def strided_windows(a, window, step=1):
    """as_strided version: (n_windows, window, *a.shape[1:]) with no copy."""
    n = (a.shape[0] - window) // step + 1
    shape = (n, window) + a.shape[1:]
    strides = (a.strides[0] * step,) + a.strides
    return as_strided(a, shape=shape, strides=strides, writeable=False)


def make_supervised(past, future_cov, y, lookback, horizon, step):
    total = lookback + horizon
    past_w = strided_windows(past[:-horizon], lookback, step)
    fut_w = strided_windows(future_cov[lookback:], horizon, step)
    y_w = strided_windows(y[lookback:], horizon, step)
    n = min(len(past_w), len(fut_w), len(y_w))
    assert total <= len(y)
    return past_w[:n].copy(), fut_w[:n].copy(), y_w[:n].copy()


n_val = int(len(target) * cfg["val_frac"])
split = len(target) - n_val

# scale using train portion only; target scaled with its own stats
f_mean = past_feats[:split].mean(0)
f_std = past_feats[:split].std(0) + 1e-8
y_mean, y_std = target[:split].mean(), target[:split].std()
past_s = ((past_feats - f_mean) / f_std).astype("float32")
y_s = ((target - y_mean) / y_std).astype("float32")
cal_s = cal.astype("float32")

Xp_tr, Xf_tr, Y_tr = make_supervised(
    past_s[:split], cal_s[:split], y_s[:split], cfg["lookback"], cfg["horizon"], cfg["stride"]
)
Xp_va, Xf_va, Y_va = make_supervised(
    past_s[split - cfg["lookback"]:], cal_s[split - cfg["lookback"]:], y_s[split - cfg["lookback"]:],
    cfg["lookback"], cfg["horizon"], cfg["horizon"],
)
print("train:", Xp_tr.shape, Xf_tr.shape, Y_tr.shape, "| val:", Xp_va.shape)

# sanity check the strided windows against a naive loop
i = 5
naive = y_s[cfg["lookback"] + i * cfg["stride"]: cfg["lookback"] + i * cfg["stride"] + cfg["horizon"]]
np.testing.assert_allclose(Y_tr[i], naive)

# recency weighting: later windows count more
sample_w = np.linspace(0.5, 1.0, len(Y_tr)).astype("float32")

train_ds = (
    tf.data.Dataset.from_tensor_slices(({"past": Xp_tr, "future": Xf_tr}, Y_tr, sample_w))
    .shuffle(2048, seed=cfg["seed"])
    .batch(cfg["batch_size"])
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices(({"past": Xp_va, "future": Xf_va}, Y_va)).batch(64)


# ------------------------------------------------------------------ model
def build_model(n_past_feats, n_future_feats, cfg):
    past_in = keras.Input((cfg["lookback"], n_past_feats), name="past")
    fut_in = keras.Input((cfg["horizon"], n_future_feats), name="future")

    x = layers.Conv1D(cfg["conv_filters"], 5, padding="causal", activation="relu")(past_in)
    x = layers.Conv1D(cfg["conv_filters"], 5, padding="causal", dilation_rate=2, activation="relu")(x)
    x = layers.MaxPooling1D(2)(x)
    context = layers.GRU(cfg["gru_units"])(x)                     # (b, units)

    # broadcast the context across the forecast horizon and join with future covariates
    ctx_rep = layers.RepeatVector(cfg["horizon"])(context)        # (b, H, units)
    h = layers.Concatenate(axis=-1)([ctx_rep, fut_in])
    h = layers.TimeDistributed(layers.Dense(32, activation="relu"))(h)
    out = layers.TimeDistributed(layers.Dense(1))(h)
    out = layers.Reshape((cfg["horizon"],))(out)

    # residual: add last observed (scaled) load as a level, a cheap but strong baseline
    level = layers.Lambda(lambda p: ops.expand_dims(p[:, -1, 0], -1), name="last_level")(past_in)
    out = layers.Add(name="forecast")([out, level])
    return keras.Model([past_in, fut_in], out, name="conv_gru_direct")


model = build_model(Xp_tr.shape[-1], Xf_tr.shape[-1], cfg)
model.summary()
model.compile(
    optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
    loss="mse",
    metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
)
model.fit(train_ds, validation_data=val_ds, epochs=cfg["epochs"], verbose=2)


# ------------------------------------------------------------------ backtest
def rolling_origin_backtest(model, Xp, Xf, Y):
    """Each val window is a forecast origin; report per-horizon MAE in MW."""
    pred = model.predict({"past": Xp, "future": Xf}, verbose=0)
    err = np.abs(pred - Y) * y_std
    return err.mean(axis=0)


mae_by_h = rolling_origin_backtest(model, Xp_va, Xf_va, Y_va)
seasonal_naive = np.abs(Y_va - Xp_va[:, -cfg["horizon"]:, 0]).mean(0) * y_std
print("MAE by horizon (model)   :", np.round(mae_by_h[[0, 5, 11, 23]], 2))
print("MAE by horizon (s-naive) :", np.round(seasonal_naive[[0, 5, 11, 23]], 2))

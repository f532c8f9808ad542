"""Multivariate forecasting model factory: TCN, GRU and MLP baselines.

Includes a `make_windows` utility that turns a (T, C) series into
(input_window, horizon) pairs with tf.data, plus per-channel standardisation
fitted on the training split only. Models are registered with a decorator,
a pattern common in forecasting repos.
"""
import argparse
import functools

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

MODEL_REGISTRY = {}


def register(name):
    def deco(fn):
        MODEL_REGISTRY[name] = fn
        return fn
    return deco


CausalConv = functools.partial(layers.Conv1D, padding="causal")

CONFIG = {
    "window": 48,
    "horizon": 6,
    "n_channels": 3,
    "target_channel": 0,
    "batch_size": 32,
    "model": {"name": "tcn", "act_layer": "ReLU", "hidden": 32, "dropout": 0.1},
    "tcn": {"dilations": [1, 2, 4, 8], "kernel_size": 3},
    "gru": {"layers": 2},
    "mlp": {"depth": 2},
    "optim": {"lr": 1e-3, "epochs": 1},
}


@register("tcn")
def build_tcn(cfg, **kwargs):
    m, t = cfg["model"], cfg["tcn"]
    inp = keras.Input((cfg["window"], cfg["n_channels"]), name="history")
    x = layers.Conv1D(m["hidden"], 1, name="input_proj")(inp)
    for d in t["dilations"]:
        y = CausalConv(m["hidden"], t["kernel_size"], dilation_rate=d, name=f"tcn_d{d}_conv1", **kwargs)(x)
        y = getattr(layers, m["act_layer"])(name=f"tcn_d{d}_act1")(y)
        y = layers.SpatialDropout1D(m["dropout"], name=f"tcn_d{d}_drop")(y)
        y = CausalConv(m["hidden"], t["kernel_size"], dilation_rate=d, name=f"tcn_d{d}_conv2", **kwargs)(y)
        x = layers.Add(name=f"tcn_d{d}_res")([x, y])
        x = getattr(layers, m["act_layer"])(name=f"tcn_d{d}_out")(x)
    x = layers.Cropping1D((cfg["window"] - 1, 0), name="last_step")(x)
    x = layers.Flatten(name="flatten")(x)
    out = layers.Dense(cfg["horizon"], name="forecast")(x)
    return keras.Model(inp, out, name="tcn")


@register("gru")
def build_gru(cfg, **kwargs):
    m = cfg["model"]
    inp = keras.Input((cfg["window"], cfg["n_channels"]), name="history")
    x = inp
    n = cfg["gru"]["layers"]
    for i in range(n):
        x = layers.GRU(m["hidden"], return_sequences=i < n - 1, dropout=m["dropout"],
                       name=f"gru_{i}", **kwargs)(x)
    out = layers.Dense(cfg["horizon"], name="forecast")(x)
    return keras.Model(inp, out, name="gru")


@register("mlp")
def build_mlp(cfg, **kwargs):
    m = cfg["model"]
    inp = keras.Input((cfg["window"], cfg["n_channels"]), name="history")
    x = layers.Flatten(name="flatten")(inp)
    for i in range(cfg["mlp"]["depth"]):
        x = layers.Dense(m["hidden"] * 2, name=f"fc{i}", **kwargs)(x)
        x = getattr(layers, m["act_layer"])(name=f"fc{i}_act")(x)
        x = layers.Dropout(m["dropout"], name=f"fc{i}_drop")(x)
    out = layers.Dense(cfg["horizon"], name="forecast")(x)
    return keras.Model(inp, out, name="mlp")


def get_model(cfg, **kwargs):
    return MODEL_REGISTRY[cfg["model"]["name"]](cfg, **kwargs)


def make_windows(series, window, horizon, target_channel, batch_size, shuffle=False):
    """Slice a (T, C) array into (window, C) inputs and (horizon,) targets."""
    ds = tf.data.Dataset.from_tensor_slices(series.astype("float32"))
    ds = ds.window(window + horizon, shift=1, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(window + horizon))
    ds = ds.map(lambda w: (w[:window], w[window:, target_channel]),
                num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(512, seed=0)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def synthetic_series(n_steps, n_channels, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)[:, None]
    periods = rng.uniform(12, 60, size=(1, n_channels))
    return np.sin(2 * np.pi * t / periods) * 5 + 0.05 * t + rng.normal(0, 0.3, (n_steps, n_channels)) + 10


class Trainer:
    def __init__(self, cfg):
        self.cfg = cfg
        self.model = get_model(cfg)
        self.model.compile(optimizer=keras.optimizers.Adam(cfg["optim"]["lr"]),
                           loss="mse", metrics=["mae", keras.metrics.RootMeanSquaredError(name="rmse")])

    def fit(self, train_ds, val_ds):
        return self.model.fit(train_ds, validation_data=val_ds,
                              epochs=self.cfg["optim"]["epochs"], verbose=2)

    def evaluate(self, ds):
        return self.model.evaluate(ds, verbose=0, return_dict=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--model", default="all", choices=["all", *MODEL_REGISTRY])
    p.add_argument("--steps", type=int, default=400, help="length of synthetic series")
    p.add_argument("--window", type=int, default=CONFIG["window"])
    args = p.parse_args()

    series = synthetic_series(args.steps, CONFIG["n_channels"])
    split = int(0.8 * len(series))
    mean, std = series[:split].mean(0), series[:split].std(0) + 1e-6
    series = (series - mean) / std

    names = list(MODEL_REGISTRY) if args.model == "all" else [args.model]
    for name in names:
        cfg = {**CONFIG, "window": args.window, "model": {**CONFIG["model"], "name": name}}
        win = functools.partial(make_windows, window=cfg["window"], horizon=cfg["horizon"],
                                target_channel=cfg["target_channel"], batch_size=cfg["batch_size"])
        train_ds = win(series[:split], shuffle=True)
        val_ds = win(series[split - cfg["window"]:])
        trainer = Trainer(cfg)
        trainer.fit(train_ds, val_ds)
        print(name, {k: round(v, 4) for k, v in trainer.evaluate(val_ds).items()})


if __name__ == "__main__":
    main()

"""Multivariate weather-style forecasting with a Conv1D + LSTM encoder.

Loosely follows the Jena climate notebooks: features are normalised with
training statistics, windows are produced by
keras.utils.timeseries_dataset_from_array, and the model predicts the next
`HORIZON` steps of a subset of target columns.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "n_timesteps": 1200,
    "feature_names": ["p_mbar", "T_degC", "rh_pct", "wv_ms", "max_wv_ms", "rho_gm3", "sin_day", "cos_day"],
    "target_names": ["T_degC", "p_mbar"],
    "past": 72,
    "horizon": 12,
    "sampling_rate": 2,
    "batch_size": 32,
    "train_frac": 0.7,
    "conv_filters": [32, 64],
    "lstm_units": 48,
    "dropout": 0.1,
    "lr": 1e-3,
}


def make_synthetic_weather(n, names, seed=7):
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype="float32")
    day = 2 * np.pi * t / 144.0
    cols = {
        "p_mbar": 990 + 5 * np.sin(t / 500.0) + rng.normal(0, 0.5, n),
        "T_degC": 10 + 8 * np.sin(day) + 0.002 * t + rng.normal(0, 0.4, n),
        "rh_pct": 70 - 15 * np.sin(day) + rng.normal(0, 2, n),
        "wv_ms": np.abs(rng.gamma(2.0, 1.0, n)),
        "rho_gm3": 1250 - 3 * np.sin(day) + rng.normal(0, 1, n),
        "sin_day": np.sin(day),
        "cos_day": np.cos(day),
    }
    cols["max_wv_ms"] = cols["wv_ms"] * 1.6 + rng.normal(0, 0.1, n)
    return np.stack([cols[k] for k in names], axis=-1).astype("float32")


def normalise(data, train_split):
    mean = data[:train_split].mean(axis=0)
    std = data[:train_split].std(axis=0) + 1e-6
    return (data - mean) / std, mean, std


def build_windows(features, targets, cfg, start, end, shuffle):
    past, horizon, rate = cfg["past"], cfg["horizon"], cfg["sampling_rate"]
    x = features[start:end - horizon]
    # label for a window starting at i = the `horizon` target rows right after it
    future = np.lib.stride_tricks.sliding_window_view(
        targets[start + past:end], horizon, axis=0
    ).transpose(0, 2, 1)
    n_windows = len(x) - past + 1
    ds = keras.utils.timeseries_dataset_from_array(
        x[: n_windows + past - 1],
        future[:n_windows],
        sequence_length=past // rate,
        sampling_rate=rate,
        batch_size=cfg["batch_size"],
        shuffle=shuffle,
        seed=11,
    )
    return ds.prefetch(tf.data.AUTOTUNE)


def conv_block(x, filters, kernel_size=5, name=None):
    x = layers.Conv1D(filters, kernel_size, padding="same", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation("gelu", name=f"{name}_act")(x)
    return layers.MaxPooling1D(2, name=f"{name}_pool")(x)


def build_model(cfg, n_features, n_targets):
    seq_len = cfg["past"] // cfg["sampling_rate"]
    inputs = keras.Input(shape=(seq_len, n_features), name="history")
    x = inputs
    for i, f in enumerate(cfg["conv_filters"]):
        x = conv_block(x, f, name=f"enc{i}")
    x = layers.LSTM(cfg["lstm_units"], return_sequences=True, name="lstm_seq")(x)
    context = layers.LSTM(cfg["lstm_units"], name="lstm_last")(x)
    context = layers.Dropout(cfg["dropout"])(context)
    # Skip path from the last observed step to help the model keep level.
    last_obs = layers.Lambda(lambda t: t[:, -1, :], name="last_obs")(inputs)
    h = layers.Concatenate()([context, last_obs])
    h = layers.Dense(128, activation="relu")(h)
    out = layers.Dense(cfg["horizon"] * n_targets, name="flat_forecast")(h)
    out = layers.Reshape((cfg["horizon"], n_targets), name="forecast")(out)
    return keras.Model(inputs, out, name="conv_lstm_forecaster")


def main():
    cfg = CONFIG
    names = cfg["feature_names"]
    raw = make_synthetic_weather(cfg["n_timesteps"], names)
    split = int(cfg["train_frac"] * len(raw))
    data, mean, std = normalise(raw, split)
    target_idx = [names.index(n) for n in cfg["target_names"]]
    targets = data[:, target_idx]

    train_ds = build_windows(data, targets, cfg, 0, split, shuffle=True)
    val_ds = build_windows(data, targets, cfg, split, len(data), shuffle=False)

    for xb, yb in train_ds.take(1):
        print("batch x:", xb.shape, "batch y:", yb.shape)

    model = build_model(cfg, data.shape[-1], len(target_idx))
    model.compile(
        optimizer=keras.optimizers.Adam(cfg["lr"]),
        loss=keras.losses.Huber(),
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    model.summary(line_length=100)
    model.fit(train_ds, validation_data=val_ds, epochs=1, steps_per_epoch=8, validation_steps=3, verbose=2)

    preds = model.predict(val_ds.take(2), verbose=0)
    # De-normalise back into physical units for the target columns.
    preds_phys = preds * std[target_idx] + mean[target_idx]
    print("forecast shape:", preds_phys.shape)
    for j, name in enumerate(cfg["target_names"]):
        print(f"{name}: first-step mean={preds_phys[:, 0, j].mean():.2f} last-step mean={preds_phys[:, -1, j].mean():.2f}")


if __name__ == "__main__":
    main()

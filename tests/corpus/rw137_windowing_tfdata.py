"""Sliding-window pipelines for univariate forecasting.

Builds the same windows two ways (manual tf.data window/flat_map and
keras.utils.timeseries_dataset_from_array), checks they agree, then trains a
small dense multi-horizon forecaster on them.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
INPUT_WIDTH = 24
HORIZON = 6
BATCH_SIZE = 32
N_STEPS = 600

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_series(n=N_STEPS):
    t = np.arange(n, dtype="float32")
    daily = np.sin(2 * np.pi * t / 24.0)
    weekly = 0.5 * np.sin(2 * np.pi * t / (24.0 * 7))
    trend = 0.002 * t
    noise = 0.1 * np.random.randn(n).astype("float32")
    return (daily + weekly + trend + noise).astype("float32")


def split(series, train_frac=0.7, val_frac=0.15):
    n = len(series)
    i_tr = int(n * train_frac)
    i_va = int(n * (train_frac + val_frac))
    return series[:i_tr], series[i_tr:i_va], series[i_va:]


def windowed_dataset(series, input_width, horizon, batch_size, shuffle=False):
    """Classic window -> flat_map -> split recipe."""
    total = input_width + horizon
    ds = tf.data.Dataset.from_tensor_slices(series)
    ds = ds.window(total, shift=1, drop_remainder=True)
    ds = ds.flat_map(lambda w: w.batch(total))
    ds = ds.map(lambda w: (w[:input_width], w[input_width:]),
                num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle:
        ds = ds.shuffle(500, seed=SEED)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def keras_windowed_dataset(series, input_width, horizon, batch_size):
    """Same windows, built with keras.utils.timeseries_dataset_from_array."""
    n_windows = len(series) - input_width - horizon + 1
    inputs = series[:n_windows + input_width - 1]
    # target for a window starting at i is series[i+input_width : i+input_width+horizon]
    target_matrix = np.stack(
        [series[i + input_width:i + input_width + horizon] for i in range(n_windows)]
    )
    return keras.utils.timeseries_dataset_from_array(
        data=inputs,
        targets=target_matrix,
        sequence_length=input_width,
        sequence_stride=1,
        batch_size=batch_size,
        shuffle=False,
    )


def build_model(input_width, horizon, hidden=(64, 32)):
    inp = keras.Input(shape=(input_width,), name="history")
    x = layers.Reshape((input_width, 1))(inp)
    x = layers.Conv1D(16, kernel_size=3, padding="causal", activation="relu")(x)
    x = layers.Flatten()(x)
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
    out = layers.Dense(horizon, name="horizon")(x)
    return keras.Model(inp, out, name="dense_multi_horizon")


def main():
    series = make_series()
    mean, std = series[:int(0.7 * len(series))].mean(), series[:int(0.7 * len(series))].std()
    series = (series - mean) / std
    train, val, test = split(series)

    manual = windowed_dataset(train, INPUT_WIDTH, HORIZON, BATCH_SIZE)
    via_keras = keras_windowed_dataset(train, INPUT_WIDTH, HORIZON, BATCH_SIZE)

    xa, ya = next(iter(manual))
    xb, yb = next(iter(via_keras))
    print("manual batch:", xa.shape, ya.shape, "| keras batch:", xb.shape, yb.shape)
    np.testing.assert_allclose(xa.numpy(), xb.numpy(), atol=1e-6)
    np.testing.assert_allclose(ya.numpy(), yb.numpy(), atol=1e-6)
    print("window pipelines agree")

    train_ds = windowed_dataset(train, INPUT_WIDTH, HORIZON, BATCH_SIZE, shuffle=True)
    val_ds = windowed_dataset(val, INPUT_WIDTH, HORIZON, BATCH_SIZE)
    test_ds = windowed_dataset(test, INPUT_WIDTH, HORIZON, BATCH_SIZE)

    model = build_model(INPUT_WIDTH, HORIZON)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
    model.summary()
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    loss, mae = model.evaluate(test_ds, verbose=0)
    print(f"test mse={loss:.4f} mae={mae:.4f}")

    # naive "repeat last value" baseline for comparison
    errs = []
    for x, y in test_ds:
        last = tf.repeat(x[:, -1:], HORIZON, axis=1)
        errs.append(tf.reduce_mean(tf.abs(y - last)).numpy())
    print(f"naive baseline mae={np.mean(errs):.4f}")

    last_window = series[-INPUT_WIDTH:][None, :]
    forecast = model.predict(last_window, verbose=0)[0] * std + mean
    print("next", HORIZON, "steps:", np.round(forecast, 3))


if __name__ == "__main__":
    main()

"""
Direct multi-horizon forecaster for an hourly energy-load-like series.

The network sees LOOKBACK steps of all features and emits every future step
at once: Dense(HORIZON * N_TARGETS) -> Reshape((HORIZON, N_TARGETS)).
Windows come from keras.utils.timeseries_dataset_from_array.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

LOOKBACK = 48
HORIZON = 12
TARGET_COLS = [0, 1]           # load, temperature
N_TARGETS = len(TARGET_COLS)
BATCH_SIZE = 32
T_STEPS = 700


def generate_series(n_steps, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype="float32")
    daily = np.sin(2 * math.pi * t / 24)
    weekly = np.sin(2 * math.pi * t / (24 * 7))
    temperature = 15 + 8 * daily + 3 * weekly + rng.normal(0, 0.8, n_steps)
    load = 100 + 25 * daily + 10 * weekly - 0.9 * (temperature - 15) + rng.normal(0, 3, n_steps)
    hour_sin = np.sin(2 * math.pi * (t % 24) / 24)
    hour_cos = np.cos(2 * math.pi * (t % 24) / 24)
    return np.stack([load, temperature, hour_sin, hour_cos], axis=-1).astype("float32")


def split_series(series, fractions=(0.7, 0.15)):
    n = len(series)
    i1 = int(n * fractions[0])
    i2 = int(n * (fractions[0] + fractions[1]))
    return series[:i1], series[i1:i2], series[i2:]


def make_windows(array, shuffle):
    """Windows of LOOKBACK+HORIZON rows, then split into (past, future targets)."""
    ds = keras.utils.timeseries_dataset_from_array(
        data=array,
        targets=None,
        sequence_length=LOOKBACK + HORIZON,
        sequence_stride=1,
        shuffle=shuffle,
        batch_size=BATCH_SIZE,
        seed=42,
    )

    def split_window(window):
        past = window[:, :LOOKBACK, :]
        future = tf.gather(window[:, LOOKBACK:, :], TARGET_COLS, axis=-1)
        past.set_shape([None, LOOKBACK, array.shape[-1]])
        future.set_shape([None, HORIZON, N_TARGETS])
        return past, future

    return ds.map(split_window, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


series = generate_series(T_STEPS)
train_raw, val_raw, test_raw = split_series(series)

# normalize with training statistics only
normalizer = layers.Normalization(axis=-1)
normalizer.adapt(train_raw)
mean = normalizer.mean.numpy().reshape(-1)
std = np.sqrt(normalizer.variance.numpy().reshape(-1))
scale = lambda a: (a - mean) / std
train, val, test = (scale(a) for a in (train_raw, val_raw, test_raw))

train_ds = make_windows(train, shuffle=True)
val_ds = make_windows(val, shuffle=False)
test_ds = make_windows(test, shuffle=False)

for xb, yb in train_ds.take(1):
    print("input window:", xb.shape, "target block:", yb.shape)


def direct_forecaster(n_features, conv_filters=(32, 32), lstm_units=32):
    inp = keras.Input(shape=(LOOKBACK, n_features), name="history")
    x = inp
    for i, f in enumerate(conv_filters):
        x = layers.Conv1D(f, kernel_size=3, padding="causal", activation="relu", name=f"conv_{i}")(x)
    x = layers.LSTM(lstm_units, name="summary_lstm")(x)
    # skip connection: last observed targets, repeated across horizon later
    last_obs = layers.Lambda(lambda h: tf.gather(h[:, -1, :], TARGET_COLS, axis=-1), name="last_obs")(inp)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dense(HORIZON * N_TARGETS, kernel_initializer="zeros", name="flat_head")(x)
    delta = layers.Reshape((HORIZON, N_TARGETS), name="delta")(x)
    baseline = layers.RepeatVector(HORIZON, name="persist")(last_obs)
    out = layers.Add(name="forecast")([baseline, delta])
    return keras.Model(inp, out, name="direct_multi_horizon")


model = direct_forecaster(series.shape[-1])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=["mae"])
model.summary()

callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True)]
model.fit(train_ds, validation_data=val_ds, epochs=2, callbacks=callbacks, verbose=2)

# per-horizon error on test set (in original units)
y_true, y_pred = [], []
for xb, yb in test_ds:
    y_true.append(yb.numpy())
    y_pred.append(model(xb, training=False).numpy())
y_true = np.concatenate(y_true)
y_pred = np.concatenate(y_pred)
t_std = std[TARGET_COLS]
mae_by_step = np.abs(y_true - y_pred).mean(axis=0) * t_std  # (HORIZON, N_TARGETS)
names = ["load", "temp"]
for h in (0, HORIZON // 2, HORIZON - 1):
    parts = ", ".join(f"{n}={mae_by_step[h, j]:.2f}" for j, n in enumerate(names))
    print(f"t+{h + 1:>2d}: MAE {parts}")

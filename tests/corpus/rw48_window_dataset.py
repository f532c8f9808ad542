"""Univariate + covariate forecasting with keras.utils.timeseries_dataset_from_array.

Generates a synthetic "energy load" series with daily/weekly seasonality, builds
rolling-window features with numpy, windows everything with
timeseries_dataset_from_array and fits a small stacked LSTM to predict the value
HORIZON steps ahead.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
N_STEPS = 3000
SEQ_LEN = 48          # two "days" of hourly data
HORIZON = 6           # predict 6 hours ahead
BATCH_SIZE = 64
SAMPLING_RATE = 1
TRAIN_FRAC, VAL_FRAC = 0.7, 0.15

np.random.seed(SEED)
keras.utils.set_random_seed(SEED)


def make_series(n):
    t = np.arange(n, dtype="float32")
    daily = 10.0 * np.sin(2 * np.pi * t / 24.0)
    weekly = 4.0 * np.sin(2 * np.pi * t / (24.0 * 7))
    trend = 0.002 * t
    noise = np.random.normal(scale=1.5, size=n)
    temp = 15 + 8 * np.sin(2 * np.pi * (t - 6) / 24.0) + np.random.normal(scale=1.0, size=n)
    load = 50 + daily + weekly + trend + 0.6 * temp + noise
    return load.astype("float32"), temp.astype("float32")


def rolling_mean(x, window):
    # cumulative-sum trick, left-padded so output has same length as input
    c = np.cumsum(np.insert(x, 0, 0.0))
    out = (c[window:] - c[:-window]) / window
    return np.concatenate([np.full(window - 1, out[0]), out]).astype("float32")


def rolling_std(x, window):
    view = np.lib.stride_tricks.sliding_window_view(x, window)
    std = view.std(axis=-1)
    return np.concatenate([np.full(window - 1, std[0]), std]).astype("float32")


def build_features(load, temp):
    hour = np.arange(len(load)) % 24
    feats = np.stack(
        [
            load,
            temp,
            rolling_mean(load, 24),
            rolling_std(load, 24),
            np.diff(load, prepend=load[0]),
            np.sin(2 * np.pi * hour / 24.0),
            np.cos(2 * np.pi * hour / 24.0),
        ],
        axis=-1,
    ).astype("float32")
    return feats


load, temp = make_series(N_STEPS)
features = build_features(load, temp)
print("feature matrix:", features.shape)

n_train = int(TRAIN_FRAC * N_STEPS)
n_val = int(VAL_FRAC * N_STEPS)

# normalise with train statistics only
mean = features[:n_train].mean(axis=0)
std = features[:n_train].std(axis=0) + 1e-6
features = (features - mean) / std
target = features[:, 0]  # normalised load

# target for window starting at i is load at i + SEQ_LEN + HORIZON - 1
delay = SEQ_LEN + HORIZON - 1


def make_ds(start, end, shuffle):
    return keras.utils.timeseries_dataset_from_array(
        data=features[start:end - HORIZON],
        targets=target[start + delay:end],
        sequence_length=SEQ_LEN,
        sampling_rate=SAMPLING_RATE,
        batch_size=BATCH_SIZE,
        shuffle=shuffle,
        seed=SEED,
    )


train_ds = make_ds(0, n_train, shuffle=True)
val_ds = make_ds(n_train, n_train + n_val, shuffle=False)
test_ds = make_ds(n_train + n_val, N_STEPS, shuffle=False)

for xb, yb in train_ds.take(1):
    print("batch x:", xb.shape, "batch y:", yb.shape)

n_features = features.shape[-1]
model = keras.Sequential(
    [
        keras.Input(shape=(SEQ_LEN, n_features)),
        layers.LSTM(32, return_sequences=True),
        layers.Dropout(0.1),
        layers.LSTM(16),
        layers.Dense(16, activation="relu"),
        layers.Dense(1),
    ],
    name="lstm_forecaster",
)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
model.summary()

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
]
history = model.fit(
    train_ds.take(10),
    validation_data=val_ds.take(3),
    epochs=1,
    callbacks=callbacks,
    verbose=2,
)

# naive baseline: "value HORIZON steps ahead equals last observed value"
naive_errs, model_errs = [], []
for xb, yb in test_ds.take(3):
    last_obs = xb[:, -1, 0]
    naive_errs.append(np.abs(last_obs.numpy() - yb.numpy()).mean())
    pred = model(xb, training=False)
    model_errs.append(np.abs(tf.squeeze(pred, -1).numpy() - yb.numpy()).mean())

scale = std[0]
print(f"naive MAE (denorm): {np.mean(naive_errs) * scale:.3f}")
print(f"model MAE (denorm): {np.mean(model_errs) * scale:.3f}")

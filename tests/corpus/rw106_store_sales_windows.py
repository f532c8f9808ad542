"""Store sales forecasting -- sliding windows over many synthetic store series.

Kaggle-style notebook flow: build the raw series, engineer calendar features with
numpy, cut windows with tf.data, then fit a small Conv1D + LSTM model with a
couple of callbacks.
"""
import os
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
N_STORES = 12
N_DAYS = 220
WINDOW = 28
HORIZON = 7
BATCH_SIZE = 64
EPOCHS = 2

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_store_series(n_stores, n_days):
    t = np.arange(n_days, dtype=np.float32)
    series = []
    for s in range(n_stores):
        level = np.random.uniform(50, 150)
        trend = np.random.uniform(-0.05, 0.15)
        weekly = np.random.uniform(5, 20) * np.sin(2 * np.pi * t / 7 + s)
        yearly = np.random.uniform(2, 10) * np.sin(2 * np.pi * t / 365.25)
        noise = np.random.normal(0, 4, size=n_days)
        series.append(level + trend * t + weekly + yearly + noise)
    return np.stack(series).astype(np.float32)  # (stores, days)


def calendar_features(n_days):
    day = np.arange(n_days)
    dow = day % 7
    feats = [
        np.sin(2 * np.pi * dow / 7),
        np.cos(2 * np.pi * dow / 7),
        np.sin(2 * np.pi * day / 30.5),
        np.cos(2 * np.pi * day / 30.5),
        (dow >= 5).astype(np.float32),
    ]
    return np.stack(feats, axis=-1).astype(np.float32)  # (days, 5)


sales = make_store_series(N_STORES, N_DAYS)
cal = calendar_features(N_DAYS)

# per-store scaling, computed on the training part only
split_day = int(N_DAYS * 0.8)
mu = sales[:, :split_day].mean(axis=1, keepdims=True)
sd = sales[:, :split_day].std(axis=1, keepdims=True) + 1e-6
sales_z = (sales - mu) / sd

print(f"sales shape={sales.shape}, calendar shape={cal.shape}, split at day {split_day}")


def windows_for_store(store_idx, start, stop):
    """Return (x, y) windows for one store between day indices [start, stop)."""
    x_list, y_list = [], []
    for i in range(start, stop - WINDOW - HORIZON + 1):
        past = sales_z[store_idx, i:i + WINDOW][:, None]
        feats = cal[i:i + WINDOW]
        x_list.append(np.concatenate([past, feats], axis=-1))
        y_list.append(sales_z[store_idx, i + WINDOW:i + WINDOW + HORIZON])
    return np.array(x_list), np.array(y_list)


def build_split(start, stop):
    xs, ys = zip(*[windows_for_store(s, start, stop) for s in range(N_STORES)])
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.float32)


x_train, y_train = build_split(0, split_day)
x_valid, y_valid = build_split(split_day - WINDOW, N_DAYS)
print("train windows:", x_train.shape, y_train.shape)
print("valid windows:", x_valid.shape, y_valid.shape)


def add_noise(x, y):
    # light augmentation on the sales channel only
    noise = tf.random.normal(tf.shape(x[:, :1]), stddev=0.02)
    x = tf.concat([x[:, :1] + noise, x[:, 1:]], axis=-1)
    return x, y


train_ds = (
    tf.data.Dataset.from_tensor_slices((x_train, y_train))
    .shuffle(len(x_train), seed=SEED)
    .map(add_noise, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(BATCH_SIZE)
    .prefetch(tf.data.AUTOTUNE)
)
valid_ds = tf.data.Dataset.from_tensor_slices((x_valid, y_valid)).batch(BATCH_SIZE)


def build_model(n_features, filters=(32, 32), lstm_units=48):
    inp = keras.Input(shape=(WINDOW, n_features), name="window")
    x = inp
    for i, f in enumerate(filters):
        x = layers.Conv1D(f, kernel_size=3, padding="causal", activation="relu",
                          dilation_rate=2 ** i, name=f"conv_{i}")(x)
    x = layers.LSTM(lstm_units, name="lstm")(x)
    x = layers.Dropout(0.1)(x)
    out = layers.Dense(HORIZON, name="forecast")(x)
    model = keras.Model(inp, out, name="conv_lstm_forecaster")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=3e-3),
        loss=keras.losses.Huber(delta=1.0),
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    return model


model = build_model(x_train.shape[-1])
model.summary()

ckpt_path = "/tmp/blind/rw106/store_sales_best.weights.h5"
callbacks = [
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-5, verbose=1),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
    keras.callbacks.ModelCheckpoint(ckpt_path, monitor="val_loss", save_best_only=True, save_weights_only=True),
]

history = model.fit(train_ds, validation_data=valid_ds, epochs=EPOCHS, callbacks=callbacks, verbose=2)

model.load_weights(ckpt_path)
pred_z = model.predict(x_valid, batch_size=256, verbose=0)

# undo scaling: every store contributes the same number of validation windows
per_store = len(x_valid) // N_STORES
store_ids = np.repeat(np.arange(N_STORES), per_store)
pred = pred_z * sd[store_ids] + mu[store_ids]
true = y_valid * sd[store_ids] + mu[store_ids]

smape = np.mean(2 * np.abs(pred - true) / (np.abs(pred) + np.abs(true) + 1e-6)) * 100
naive = np.repeat(x_valid[:, -1:, 0], HORIZON, axis=1) * sd[store_ids] + mu[store_ids]
naive_smape = np.mean(2 * np.abs(naive - true) / (np.abs(naive) + np.abs(true) + 1e-6)) * 100
print(f"SMAPE model={smape:.2f}%  naive last-value={naive_smape:.2f}%")
for h in range(HORIZON):
    print(f"  horizon d+{h + 1}: MAE={np.mean(np.abs(pred[:, h] - true[:, h])):.3f}")

if os.path.exists(ckpt_path):
    os.remove(ckpt_path)

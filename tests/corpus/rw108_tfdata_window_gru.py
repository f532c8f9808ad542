# Forecasting with tf.data windowing: Dataset.window -> flat_map -> map(split)
# Multivariate input (temperature + humidity + pressure), predict next 6 temps.
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "n_steps": 1200,
    "input_width": 36,
    "label_width": 6,
    "shift": 6,
    "batch": 64,
    "shuffle_buffer": 256,
    "gru_units": 48,
    "epochs": 2,
    "lr": 2e-3,
}
FEATURES = ["temp", "humidity", "pressure"]
TARGET = "temp"

rng = np.random.default_rng(123)


def synth_weather(n):
    t = np.arange(n)
    temp = 15 + 8 * np.sin(2 * math.pi * t / 24) + rng.normal(0, 0.8, n)
    humidity = 60 - 1.5 * (temp - 15) + rng.normal(0, 2.0, n)
    pressure = 1013 + np.cumsum(rng.normal(0, 0.05, n))
    return np.stack([temp, humidity, pressure], axis=-1).astype("float32")


class WindowGenerator:
    """Turn a 2-D array into (inputs, labels) windows using tf.data only."""

    def __init__(self, input_width, label_width, shift, feature_names, label_name):
        self.input_width = input_width
        self.label_width = label_width
        self.shift = shift
        self.total = input_width + shift
        self.label_idx = feature_names.index(label_name)

    def split(self, window):
        inputs = window[: self.input_width, :]
        labels = window[self.total - self.label_width:, self.label_idx]
        inputs.set_shape([self.input_width, None])
        labels.set_shape([self.label_width])
        return inputs, labels

    def make_dataset(self, data, batch, shuffle=False):
        ds = tf.data.Dataset.from_tensor_slices(data)
        ds = ds.window(self.total, shift=1, drop_remainder=True)
        ds = ds.flat_map(lambda w: w.batch(self.total))
        ds = ds.map(self.split, num_parallel_calls=tf.data.AUTOTUNE)
        if shuffle:
            ds = ds.shuffle(CFG["shuffle_buffer"], seed=1)
        return ds.batch(batch).prefetch(tf.data.AUTOTUNE)

    def __repr__(self):
        return (f"WindowGenerator(in={self.input_width}, out={self.label_width}, "
                f"shift={self.shift})")


def standardize(train, *others):
    mean = train.mean(axis=0)
    std = train.std(axis=0) + 1e-6
    return [(a - mean) / std for a in (train, *others)], mean, std


data = synth_weather(CFG["n_steps"])
n = len(data)
train_raw, val_raw, test_raw = data[: int(0.7 * n)], data[int(0.7 * n): int(0.85 * n)], data[int(0.85 * n):]
(train_df, val_df, test_df), mean, std = standardize(train_raw, val_raw, test_raw)

wg = WindowGenerator(CFG["input_width"], CFG["label_width"], CFG["shift"], FEATURES, TARGET)
print(wg)
train_ds = wg.make_dataset(train_df, CFG["batch"], shuffle=True)
val_ds = wg.make_dataset(val_df, CFG["batch"])
test_ds = wg.make_dataset(test_df, CFG["batch"])

for xb, yb in train_ds.take(1):
    print("batch shapes:", xb.shape, yb.shape)

model = keras.Sequential(
    [
        keras.Input(shape=(CFG["input_width"], len(FEATURES))),
        layers.GRU(CFG["gru_units"], return_sequences=True),
        layers.GRU(CFG["gru_units"] // 2),
        layers.Dense(CFG["label_width"] * 2, activation="relu"),
        layers.Dense(CFG["label_width"]),
    ],
    name="gru_forecaster",
)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=CFG["lr"], clipnorm=1.0),
    loss=keras.losses.Huber(delta=1.0),
    metrics=[keras.metrics.MeanAbsoluteError(name="mae"),
             keras.metrics.RootMeanSquaredError(name="rmse")],
)
model.summary()

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
]
history = model.fit(train_ds, validation_data=val_ds, epochs=CFG["epochs"],
                    callbacks=callbacks, verbose=2)

scores = model.evaluate(test_ds, verbose=0, return_dict=True)
print({k: round(float(v), 4) for k, v in scores.items()})

# error in degrees, by horizon step
tgt = FEATURES.index(TARGET)
errs = []
for xb, yb in test_ds:
    pred = model(xb, training=False).numpy()
    errs.append(np.abs(pred - yb.numpy()) * std[tgt])
errs = np.concatenate(errs)
for step, e in enumerate(errs.mean(axis=0), start=1):
    print(f"t+{step}: MAE {e:.3f} degC")

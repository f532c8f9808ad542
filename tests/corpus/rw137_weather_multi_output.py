# ---------------------------------------------------------------------------
# Multivariate "weather station" forecasting, notebook style.
#  - synthetic hourly data with 5 sensors
#  - keras.utils.timeseries_dataset_from_array with sampling_rate (hourly ->
#    every 2 hours) and an offset target
#  - Normalization layer adapted on the training split
#  - CNN + bidirectional LSTM trunk with three named heads (t+2h, t+12h, t+24h)
# ---------------------------------------------------------------------------
import tempfile
import os
import numpy as np
import tensorflow as tf
import keras
from keras import layers

OUT_DIR = os.path.join(tempfile.gettempdir(), "rw137_weather_ckpt")
os.makedirs(OUT_DIR, exist_ok=True)
keras.utils.set_random_seed(2024)

# %% synthetic data ----------------------------------------------------------
HOURS = 24 * 60
t = np.arange(HOURS, dtype=np.float32)
day = 2 * np.pi * t / 24
year_like = 2 * np.pi * t / (24 * 30)

temperature = 12 + 6 * np.sin(day - 1.0) + 4 * np.sin(year_like) + np.random.normal(0, 0.7, HOURS)
humidity = 70 - 2.0 * (temperature - 12) + np.random.normal(0, 3, HOURS)
pressure = 1013 + np.cumsum(np.random.normal(0, 0.3, HOURS))
wind = np.abs(3 + 2 * np.sin(day + 0.5) + np.random.normal(0, 1, HOURS))
radiation = np.clip(np.sin(day - np.pi / 2), 0, None) * 800 + np.random.normal(0, 20, HOURS)

FEATURES = ["temperature", "humidity", "pressure", "wind", "radiation"]
raw = np.stack([temperature, humidity, pressure, wind, radiation], axis=1).astype("float32")
TARGET_COL = FEATURES.index("temperature")
print("raw data:", raw.shape, {f: round(float(raw[:, i].mean()), 1) for i, f in enumerate(FEATURES)})

# %% windowing -----------------------------------------------------------------
SAMPLING_RATE = 2          # keep one row every 2 hours inside the window
PAST_HOURS = 72
SEQ_LEN = PAST_HOURS // SAMPLING_RATE
LEADS = {"h2": 2, "h12": 12, "h24": 24}   # hours after the last observed row
BATCH = 64

n_train = int(0.7 * HOURS)
n_val = int(0.15 * HOURS)
splits = {
    "train": raw[:n_train],
    "val": raw[n_train:n_train + n_val],
    "test": raw[n_train + n_val:],
}


def make_ds(arr, shuffle):
    """For window starting at i the last observed row is i + PAST_HOURS - SAMPLING_RATE."""
    last_offset = PAST_HOURS - SAMPLING_RATE
    max_lead = max(LEADS.values())
    n_windows = len(arr) - last_offset - max_lead
    targets = np.stack(
        [arr[last_offset + lead:last_offset + lead + n_windows, TARGET_COL] for lead in LEADS.values()],
        axis=1,
    )
    ds = keras.utils.timeseries_dataset_from_array(
        arr,
        targets,
        sequence_length=SEQ_LEN,
        sampling_rate=SAMPLING_RATE,
        batch_size=BATCH,
        shuffle=shuffle,
        seed=7,
        end_index=n_windows + last_offset,
    )
    names = list(LEADS)
    # split the target matrix into a dict matching the named output heads
    return ds.map(lambda x, y: (x, {n: y[:, i] for i, n in enumerate(names)}),
                  num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


train_ds = make_ds(splits["train"], shuffle=True)
val_ds = make_ds(splits["val"], shuffle=False)
test_ds = make_ds(splits["test"], shuffle=False)

for xb, yb in train_ds.take(1):
    print("window batch:", xb.shape, {k: v.shape for k, v in yb.items()})

# sanity check the alignment against raw numpy indexing
x0, y0 = next(iter(make_ds(splits["val"], shuffle=False)))
last_idx = PAST_HOURS - SAMPLING_RATE
assert np.allclose(x0[0, -1].numpy(), splits["val"][last_idx])
assert np.isclose(y0["h12"][0].numpy(), splits["val"][last_idx + 12, TARGET_COL])
print("window/target alignment OK")

# %% model ---------------------------------------------------------------------
norm = layers.Normalization(axis=-1, name="feature_norm")
norm.adapt(splits["train"])

# targets are scaled with the same temperature statistics
t_mean = float(splits["train"][:, TARGET_COL].mean())
t_std = float(splits["train"][:, TARGET_COL].std())

inputs = keras.Input(shape=(SEQ_LEN, len(FEATURES)), name="sensors")
x = norm(inputs)
x = layers.Conv1D(32, 3, padding="same", activation="relu")(x)
x = layers.MaxPooling1D(2)(x)
x = layers.Bidirectional(layers.LSTM(24))(x)
x = layers.Dropout(0.2)(x)

outputs = {}
for name in LEADS:
    h = layers.Dense(16, activation="relu", name=f"{name}_hidden")(x)
    z = layers.Dense(1, name=f"{name}_z")(h)
    # un-standardise inside the model so predictions are in degrees
    y = layers.Rescaling(scale=t_std, offset=t_mean)(z)
    outputs[name] = layers.Reshape((), name=name)(y)

model = keras.Model(inputs, outputs, name="weather_multi_head")
model.compile(
    optimizer=keras.optimizers.RMSprop(learning_rate=2e-3),
    loss={name: keras.losses.Huber(delta=2.0) for name in LEADS},
    loss_weights={"h2": 1.0, "h12": 0.7, "h24": 0.5},
    metrics={name: ["mae"] for name in LEADS},
)
model.summary(expand_nested=False, show_trainable=True)

callbacks = [
    keras.callbacks.ModelCheckpoint(os.path.join(OUT_DIR, "best.weights.h5"),
                                    monitor="val_loss", save_best_only=True,
                                    save_weights_only=True),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
    keras.callbacks.CSVLogger(os.path.join(OUT_DIR, "history.csv")),
]
history = model.fit(train_ds, validation_data=val_ds, epochs=2, callbacks=callbacks, verbose=2)

# %% evaluation ------------------------------------------------------------------
results = model.evaluate(test_ds, return_dict=True, verbose=0)
for k in sorted(results):
    if k.endswith("mae"):
        print(f"{k:>10s}: {results[k]:.3f} degC")

model.load_weights(os.path.join(OUT_DIR, "best.weights.h5"))
with open(os.path.join(OUT_DIR, "history.csv")) as fh:
    print("logged epochs:", len(fh.readlines()) - 1)

# persistence baseline: predict "same temperature as the last observed reading"
pers = {name: [] for name in LEADS}
for xb, yb in test_ds:
    last_temp = xb[:, -1, TARGET_COL]
    for name in LEADS:
        pers[name].append(np.abs(yb[name].numpy() - last_temp.numpy()))
print("persistence MAE:", {n: round(float(np.concatenate(v).mean()), 3) for n, v in pers.items()})

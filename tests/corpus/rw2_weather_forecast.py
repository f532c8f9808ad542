"""
Timeseries forecasting for weather prediction.

Jena-climate style setup without pandas: we synthesize a small multivariate
hourly-ish feature matrix with numpy, normalize it with training statistics,
slice it with keras.utils.timeseries_dataset_from_array and fit an LSTM that
predicts the temperature 12 steps into the future.
"""
import numpy as np
import keras

np.random.seed(2024)

titles = [
    "Pressure",
    "Temperature",
    "Saturation vapor pressure",
    "Vapor pressure deficit",
    "Specific humidity",
    "Airtight",
    "Wind speed",
]
selected_features = [0, 1, 2, 3, 4, 5, 6]

# config (scaled way down from the tutorial: 300k rows -> 1200 rows)
config = {
    "split_fraction": 0.715,
    "step": 6,
    "past": 120,
    "future": 12,
    "learning_rate": 0.001,
    "batch_size": 16,
    "epochs": 1,
}

n_rows = 1200
t = np.arange(n_rows, dtype="float32")
raw = np.stack(
    [
        1000 + 5 * np.sin(t / 50.0) + np.random.randn(n_rows),
        10 + 8 * np.sin(t / 24.0) + 0.5 * np.random.randn(n_rows),
        12 + 3 * np.cos(t / 24.0) + 0.2 * np.random.randn(n_rows),
        2 + np.abs(np.random.randn(n_rows)),
        6 + np.sin(t / 30.0),
        1200 + 10 * np.random.randn(n_rows),
        np.abs(2 + np.random.randn(n_rows)),
    ],
    axis=1,
).astype("float32")
print("The selected parameters are:", ", ".join([titles[i] for i in selected_features]))

train_split = int(config["split_fraction"] * int(raw.shape[0]))
step = config["step"]
past = config["past"]
future = config["future"]
batch_size = config["batch_size"]
learning_rate = config["learning_rate"]
epochs = config["epochs"]


def normalize(data, train_split):
    data_mean = data[:train_split].mean(axis=0)
    data_std = data[:train_split].std(axis=0)
    return (data - data_mean) / data_std


features = raw[:, selected_features]
features = normalize(features, train_split)

train_data = features[0 : train_split - 1]
val_data = features[train_split:]

# ---------------------------------------------------------------------------
# Training dataset
# ---------------------------------------------------------------------------
start = past + future
end = start + train_split

x_train = train_data[:, : len(selected_features)]
y_train = features[start:end][:, 1]

sequence_length = int(past / step)

dataset_train = keras.utils.timeseries_dataset_from_array(
    x_train,
    y_train,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

# ---------------------------------------------------------------------------
# Validation dataset
# ---------------------------------------------------------------------------
x_end = len(val_data) - past - future

label_start = train_split + past + future

x_val = val_data[:x_end][:, : len(selected_features)]
y_val = features[label_start:][:, 1]

dataset_val = keras.utils.timeseries_dataset_from_array(
    x_val,
    y_val,
    sequence_length=sequence_length,
    sampling_rate=step,
    batch_size=batch_size,
)

for batch in dataset_train.take(1):
    inputs, targets = batch

print("Input shape:", inputs.numpy().shape)
print("Target shape:", targets.numpy().shape)

# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
inputs = keras.layers.Input(shape=(inputs.shape[1], inputs.shape[2]))
lstm_out = keras.layers.LSTM(32)(inputs)
outputs = keras.layers.Dense(1)(lstm_out)

model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
model.summary()

es_callback = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0, patience=5)

history = model.fit(
    dataset_train,
    epochs=epochs,
    validation_data=dataset_val,
    callbacks=[es_callback],
    verbose=2,
)

print("train loss:", history.history["loss"])
print("val loss:", history.history["val_loss"])

# ---------------------------------------------------------------------------
# Prediction on a few validation windows
# ---------------------------------------------------------------------------
for x, y in dataset_val.take(2):
    pred = model.predict(x, verbose=0)
    print("window batch", x.shape, "-> pred", pred.shape, "true", y.shape)
    print("first true/pred:", float(y[0].numpy()), float(pred[0][0]))

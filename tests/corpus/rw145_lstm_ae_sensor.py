"""LSTM autoencoder (RepeatVector + TimeDistributed) for sensor time-series anomalies.

Synthetic vibration signal from a pump: two sine components + noise.
An anomaly window is injected (frequency shift + spike) in the test stream.
"""
import math

import numpy as np
import tensorflow as tf

TIMESTEPS = 30
N_FEATURES = 3
STRIDE = 2
BATCH_SIZE = 32
LATENT = 16
EPOCHS = 2
THRESH_PERCENTILE = 99


def simulate_sensor(n_steps, anomaly_at=None, seed=0):
    r = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype=np.float32)
    vib = np.sin(2 * math.pi * t / 25) + 0.5 * np.sin(2 * math.pi * t / 7)
    temp = 0.2 * np.sin(2 * math.pi * t / 200)
    press = np.cos(2 * math.pi * t / 25)
    sig = np.stack([vib, temp, press], axis=-1)
    sig += 0.05 * r.standard_normal(sig.shape)
    if anomaly_at is not None:
        s, e = anomaly_at
        seg = np.arange(e - s)
        sig[s:e, 0] = np.sin(2 * math.pi * seg / 4) * 1.5
        sig[s:e, 2] += 1.0
    return sig.astype(np.float32)


def sliding_windows(series, window, stride):
    idx = np.arange(0, len(series) - window + 1, stride)
    return np.stack([series[i:i + window] for i in idx]), idx


def make_dataset(windows, shuffle):
    ds = tf.data.Dataset.from_tensor_slices(windows)
    if shuffle:
        ds = ds.shuffle(len(windows), seed=1)
    ds = ds.map(lambda w: (w, w), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def lstm_autoencoder(timesteps, n_features, latent):
    inputs = tf.keras.Input(shape=(timesteps, n_features))
    x = tf.keras.layers.LSTM(32, return_sequences=True)(inputs)
    encoded = tf.keras.layers.LSTM(latent, return_sequences=False)(x)
    x = tf.keras.layers.RepeatVector(timesteps)(encoded)
    x = tf.keras.layers.LSTM(latent, return_sequences=True)(x)
    x = tf.keras.layers.LSTM(32, return_sequences=True)(x)
    outputs = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(n_features))(x)
    return tf.keras.Model(inputs, outputs, name="lstm_ae")


train_series = simulate_sensor(1200, seed=1)
test_series = simulate_sensor(500, anomaly_at=(300, 340), seed=2)

mean, std = train_series.mean(0), train_series.std(0) + 1e-6
train_series = (train_series - mean) / std
test_series = (test_series - mean) / std

x_train, _ = sliding_windows(train_series, TIMESTEPS, STRIDE)
x_test, test_starts = sliding_windows(test_series, TIMESTEPS, 1)
print("train windows:", x_train.shape, "test windows:", x_test.shape)

model = lstm_autoencoder(TIMESTEPS, N_FEATURES, LATENT)
model.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="mae")
model.fit(make_dataset(x_train, shuffle=True), epochs=EPOCHS, verbose=2)

train_pred = model.predict(x_train, verbose=0)
train_mae = np.mean(np.abs(train_pred - x_train), axis=(1, 2))
threshold = float(np.percentile(train_mae, THRESH_PERCENTILE))
print(f"reconstruction MAE threshold: {threshold:.4f}")

test_pred = model.predict(x_test, verbose=0)
test_mae = np.mean(np.abs(test_pred - x_test), axis=(1, 2))
anomalous_windows = test_mae > threshold
print(f"anomalous windows: {anomalous_windows.sum()} / {len(test_mae)}")

# A timestep is anomalous if all windows covering it are anomalous
point_flags = np.zeros(len(test_series), dtype=bool)
n_windows = len(anomalous_windows)
for t in range(len(test_series)):
    covering = [c for c in range(max(0, t - TIMESTEPS + 1), t + 1) if c < n_windows]
    if covering and all(anomalous_windows[c] for c in covering):
        point_flags[t] = True

flagged = np.flatnonzero(point_flags)
if flagged.size:
    print(f"flagged timesteps range: {flagged.min()} .. {flagged.max()} ({flagged.size} points)")
else:
    print("no individual timesteps flagged")

#!/usr/bin/env python
# %% [markdown]
# # Machine vibration anomaly detection with a Conv1D autoencoder
# Windows are cut with numpy's `sliding_window_view`, the AE is trained on "healthy" data only,
# and the reconstruction-error threshold is picked from the training error distribution.

# %%
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 1234
N_CHANNELS = 3          # x/y/z accelerometer
WIN = 128
STRIDE = 16
LATENT_FILTERS = 8
np.random.seed(SEED)
keras.utils.set_random_seed(SEED)

# %% synthetic sensor stream
def vibration_stream(n_steps, fault_spans=()):
    t = np.arange(n_steps)
    base_freqs = np.array([0.05, 0.083, 0.12])
    sig = np.stack([np.sin(2 * np.pi * f * t + i) for i, f in enumerate(base_freqs)], axis=-1)
    sig += 0.3 * np.sin(2 * np.pi * 0.011 * t)[:, None]
    sig += np.random.normal(0, 0.15, size=sig.shape)
    labels = np.zeros(n_steps, dtype=np.int8)
    for start, stop in fault_spans:
        # bearing fault: high-frequency bursts + amplitude change on channel 0 and 2
        burst = 1.2 * np.sin(2 * np.pi * 0.37 * t[start:stop])
        sig[start:stop, 0] += burst
        sig[start:stop, 2] *= 1.8
        labels[start:stop] = 1
    return sig.astype(np.float32), labels


train_raw, _ = vibration_stream(6000)
test_raw, test_lbl = vibration_stream(3000, fault_spans=[(700, 900), (2100, 2400)])

mean = train_raw.mean(axis=0)
std = train_raw.std(axis=0)
train_norm = (train_raw - mean) / std
test_norm = (test_raw - mean) / std

# %% windowing
def make_windows(arr, win=WIN, stride=STRIDE):
    # sliding_window_view on (T, C) along axis 0 gives (T-win+1, C, win) -> move window axis in front of C
    w = sliding_window_view(arr, window_shape=win, axis=0)[::stride]
    return np.ascontiguousarray(np.transpose(w, (0, 2, 1)))


x_train = make_windows(train_norm)
x_test = make_windows(test_norm)
# a test window is "anomalous" if any of its samples falls inside a fault span
y_test = sliding_window_view(test_lbl, WIN)[::STRIDE].max(axis=1)
print(f"train windows {x_train.shape}, test windows {x_test.shape}, anomalous test windows {y_test.sum()}")

# %% model
autoencoder = keras.Sequential(
    [
        keras.Input(shape=(WIN, N_CHANNELS)),
        layers.Conv1D(32, 7, strides=2, padding="same", activation="relu"),
        layers.Dropout(0.1),
        layers.Conv1D(16, 7, strides=2, padding="same", activation="relu"),
        layers.Conv1D(LATENT_FILTERS, 7, strides=2, padding="same", activation="relu", name="latent"),
        layers.Conv1DTranspose(16, 7, strides=2, padding="same", activation="relu"),
        layers.Dropout(0.1),
        layers.Conv1DTranspose(32, 7, strides=2, padding="same", activation="relu"),
        layers.Conv1DTranspose(32, 7, strides=2, padding="same", activation="relu"),
        layers.Conv1D(N_CHANNELS, 7, padding="same"),
    ],
    name="conv_ae",
)
autoencoder.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3), loss="mse")
autoencoder.summary()

# %% train
history = autoencoder.fit(
    x_train, x_train,
    epochs=2,
    batch_size=32,
    validation_split=0.1,
    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)],
    verbose=2,
)

# %% threshold + evaluation
def window_errors(model, x):
    recon = model.predict(x, batch_size=128, verbose=0)
    return np.mean(np.abs(recon - x), axis=(1, 2))


train_err = window_errors(autoencoder, x_train)
threshold = np.percentile(train_err, 99)
test_err = window_errors(autoencoder, x_test)
pred = (test_err > threshold).astype(int)

tp = int(np.sum((pred == 1) & (y_test == 1)))
fp = int(np.sum((pred == 1) & (y_test == 0)))
fn = int(np.sum((pred == 0) & (y_test == 1)))
precision = tp / max(tp + fp, 1)
recall = tp / max(tp + fn, 1)
print(f"threshold (p99 train MAE) = {threshold:.4f}")
print(f"precision={precision:.3f} recall={recall:.3f} (tp={tp}, fp={fp}, fn={fn})")

# map window scores back to per-timestep scores (max over covering windows)
per_step = np.zeros(len(test_norm))
for i, err in enumerate(test_err):
    s = i * STRIDE
    per_step[s:s + WIN] = np.maximum(per_step[s:s + WIN], err)
flagged = np.flatnonzero(per_step > threshold)
if flagged.size:
    print(f"first flagged step: {flagged[0]}, last flagged step: {flagged[-1]}")

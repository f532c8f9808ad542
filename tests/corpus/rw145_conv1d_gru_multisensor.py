# Multi-sensor anomaly detector: Conv1D encoder -> RepeatVector -> GRU decoder -> TimeDistributed(Dense)
# Includes a custom scoring layer, a callback that tracks a percentile threshold per epoch,
# per-channel thresholds for root-cause hints, and a save/load roundtrip under /tmp.
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from tensorflow.keras import layers

SENSORS = ["flow", "pressure", "temp", "current"]
WINDOW = 24
N_CH = len(SENSORS)
HP = dict(filters=(16, 32), kernel=5, code=12, gru_units=24, lr=2e-3, epochs=2, batch=32, pct=98.0)

np.random.seed(11)
tf.random.set_seed(11)


def plant_stream(length, faults=()):
    t = np.arange(length)
    flow = 1.0 + 0.3 * np.sin(t / 9.0)
    pressure = 0.8 * flow + 0.05 * np.cos(t / 3.0)
    temp = 0.5 + 0.1 * np.sin(t / 40.0) + 0.2 * flow
    current = 0.6 * flow ** 2
    x = np.stack([flow, pressure, temp, current], axis=1)
    x += np.random.normal(0, 0.02, x.shape)
    for start, stop, ch, delta in faults:
        x[start:stop, ch] += delta
    return x.astype(np.float32)


def to_windows(stream, step):
    return np.stack([stream[i:i + WINDOW] for i in range(0, len(stream) - WINDOW + 1, step)])


@keras.saving.register_keras_serializable(package="rw145")
class ReconstructionError(layers.Layer):
    """Returns per-window, per-channel mean squared error between two tensors."""

    def call(self, inputs):
        original, recon = inputs
        return tf.reduce_mean(tf.square(original - recon), axis=1)  # (batch, channels)


def build_model(hp):
    inp = keras.Input((WINDOW, N_CH), name="window")
    x = inp
    for f in hp["filters"]:
        x = layers.Conv1D(f, hp["kernel"], padding="same", activation="relu")(x)
        x = layers.MaxPooling1D(2)(x)
    x = layers.GlobalAveragePooling1D()(x)
    code = layers.Dense(hp["code"], activation="tanh", name="code")(x)
    x = layers.RepeatVector(WINDOW)(code)
    x = layers.GRU(hp["gru_units"], return_sequences=True)(x)
    recon = layers.TimeDistributed(layers.Dense(N_CH), name="recon")(x)
    ae = keras.Model(inp, recon, name="conv_gru_ae")
    err = ReconstructionError(name="channel_err")([inp, recon])
    scorer = keras.Model(inp, err, name="scorer")
    return ae, scorer


class ThresholdTracker(keras.callbacks.Callback):
    def __init__(self, scorer, x_ref, pct):
        super().__init__()
        self.scorer, self.x_ref, self.pct = scorer, x_ref, pct
        self.history = []

    def on_epoch_end(self, epoch, logs=None):
        s = self.scorer.predict(self.x_ref, verbose=0).mean(axis=1)
        thr = float(np.percentile(s, self.pct))
        self.history.append(thr)
        print(f"  [epoch {epoch + 1}] p{self.pct:g} window threshold -> {thr:.5f}")


train_stream = plant_stream(1500)
faults = [(200, 240, 2, 0.6), (420, 450, 3, -0.5)]  # temp spike, current drop
test_stream = plant_stream(600, faults=faults)

norm = layers.Normalization(axis=-1)
norm.adapt(train_stream)
train_n = norm(train_stream).numpy()
test_n = norm(test_stream).numpy()

x_train = to_windows(train_n, step=3)
x_test = to_windows(test_n, step=WINDOW // 2)
print("x_train", x_train.shape, "x_test", x_test.shape)

ae, scorer = build_model(HP)
ae.compile(optimizer=keras.optimizers.RMSprop(HP["lr"]), loss="mse")
tracker = ThresholdTracker(scorer, x_train[::4], HP["pct"])
ae.fit(x_train, x_train, batch_size=HP["batch"], epochs=HP["epochs"], callbacks=[tracker], verbose=2)

train_ch_err = scorer.predict(x_train, verbose=0)
window_thr = np.percentile(train_ch_err.mean(axis=1), HP["pct"])
channel_thr = np.percentile(train_ch_err, HP["pct"], axis=0)
print("per-channel thresholds:", {s: round(float(v), 4) for s, v in zip(SENSORS, channel_thr)})

test_ch_err = scorer.predict(x_test, verbose=0)
window_flags = test_ch_err.mean(axis=1) > window_thr
for w in np.flatnonzero(window_flags):
    start = w * (WINDOW // 2)
    culprits = [SENSORS[c] for c in np.flatnonzero(test_ch_err[w] > channel_thr)]
    print(f"window {w:2d} [t={start}-{start + WINDOW}] score={test_ch_err[w].mean():.3f} culprits={culprits}")

# save / reload the scorer and verify identical scores
path = os.path.join(tempfile.mkdtemp(), "scorer.keras")
scorer.save(path)
reloaded = keras.models.load_model(path)
same = np.allclose(reloaded.predict(x_test, verbose=0), test_ch_err, atol=1e-5)
print(f"saved to {path}; reload consistent: {same}")

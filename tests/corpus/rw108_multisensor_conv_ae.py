"""
Multivariate sensor anomaly detection (pump with 6 sensors).

- normal operation: correlated sensors driven by a shared load profile
- faults: one sensor drifts / sticks / decouples from the others
- model: denoising Conv1D autoencoder, subclassed keras.Model with a custom
  train_step / test_step, fed by a tf.data pipeline that corrupts inputs
- scoring: per-sensor reconstruction error, z-scored against training errors
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

SENSORS = ["flow", "pressure_in", "pressure_out", "motor_temp", "vibration", "current"]
N_SENSORS = len(SENSORS)
SEQ_LEN = 64
STRIDE = 8
MASK_RATE = 0.1
BATCH = 32

CONFIG = dict(filters=[32, 16], kernel=5, latent_channels=8, epochs=2, lr=2e-3)


def simulate_pump(n_steps, seed, fault=None):
    r = np.random.default_rng(seed)
    t = np.arange(n_steps)
    load = 0.6 + 0.3 * np.sin(2 * np.pi * t / 200) + 0.05 * r.standard_normal(n_steps).cumsum() / 30
    flow = 50 * load
    p_in = 2.0 + 0.2 * r.standard_normal(n_steps) * 0.1
    p_out = p_in + 3.5 * load ** 2
    temp = 40 + 25 * np.convolve(load, np.ones(30) / 30, mode="same")
    vib = 0.5 + 0.4 * load + 0.05 * np.abs(r.standard_normal(n_steps))
    current = 10 + 12 * load
    data = np.stack([flow, p_in, p_out, temp, vib, current], axis=1)
    data += 0.02 * data.std(axis=0) * r.standard_normal(data.shape)
    labels = np.zeros(n_steps, dtype=bool)

    if fault is not None:
        kind, sensor, start, length = fault
        j = SENSORS.index(sensor)
        sl = slice(start, start + length)
        if kind == "drift":
            data[sl, j] += np.linspace(0, 4 * data[:, j].std(), length)
        elif kind == "stuck":
            data[sl, j] = data[start, j]
        elif kind == "decouple":
            data[sl, j] = r.permutation(data[sl, j])
        labels[sl] = True
    return data.astype("float32"), labels


def frame(data, seq_len, stride):
    starts = range(0, len(data) - seq_len + 1, stride)
    return np.stack([data[s:s + seq_len] for s in starts]), np.array(list(starts))


def corrupt(x):
    """Randomly zero out MASK_RATE of the readings (denoising objective)."""
    keep = tf.random.uniform(tf.shape(x)) > MASK_RATE
    noisy = tf.where(keep, x, tf.zeros_like(x))
    return noisy, x


class SensorAutoencoder(keras.Model):
    def __init__(self, n_sensors, filters, kernel, latent_channels, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.Normalization(axis=-1, name="sensor_norm")
        self.encoder = keras.Sequential(
            [layers.Conv1D(f, kernel, strides=2, padding="same", activation="relu") for f in filters]
            + [layers.Conv1D(latent_channels, 3, padding="same", name="latent")],
            name="encoder",
        )
        self.decoder = keras.Sequential(
            [layers.Conv1DTranspose(f, kernel, strides=2, padding="same", activation="relu")
             for f in reversed(filters)]
            + [layers.Conv1D(n_sensors, 3, padding="same", name="recon")],
            name="decoder",
        )
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.per_sensor = [keras.metrics.Mean(name=f"mse_{s}") for s in SENSORS]

    @property
    def metrics(self):
        return [self.loss_tracker, *self.per_sensor]

    def call(self, x, training=False):
        z = self.encoder(self.norm(x), training=training)
        return self.decoder(z, training=training)

    def _errors(self, clean, recon):
        target = self.norm(clean)
        return tf.reduce_mean(tf.square(target - recon), axis=1)  # (B, sensors)

    def _update(self, err):
        loss = tf.reduce_mean(err)
        self.loss_tracker.update_state(loss)
        for i, m in enumerate(self.per_sensor):
            m.update_state(err[:, i])
        return loss

    def train_step(self, data):
        noisy, clean = data
        with tf.GradientTape() as tape:
            recon = self(noisy, training=True)
            err = self._errors(clean, recon)
            loss = tf.reduce_mean(err)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self._update(err)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        noisy, clean = data
        err = self._errors(clean, self(clean, training=False))
        self._update(err)
        return {m.name: m.result() for m in self.metrics}

    def sensor_scores(self, x):
        return self._errors(x, self(x, training=False)).numpy()


# ---------------------------------------------------------------- data
train_raw, _ = simulate_pump(3000, seed=0)
val_raw, _ = simulate_pump(800, seed=1)
faults = [("drift", "motor_temp", 300, 200), ("stuck", "pressure_out", 250, 150),
          ("decouple", "vibration", 400, 120)]
tests = [simulate_pump(900, seed=10 + i, fault=f) for i, f in enumerate(faults)]

x_train, _ = frame(train_raw, SEQ_LEN, STRIDE)
x_val, _ = frame(val_raw, SEQ_LEN, STRIDE)
print(f"train windows {x_train.shape}, val windows {x_val.shape}")

train_ds = (tf.data.Dataset.from_tensor_slices(x_train)
            .shuffle(len(x_train), seed=0)
            .map(corrupt, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(BATCH)
            .prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((x_val, x_val)).batch(BATCH)

# ---------------------------------------------------------------- model
model = SensorAutoencoder(N_SENSORS, CONFIG["filters"], CONFIG["kernel"], CONFIG["latent_channels"])
model.norm.adapt(train_raw)
model.compile(optimizer=keras.optimizers.Adam(CONFIG["lr"]))
model(x_train[:2])  # build
model.summary()
hist = model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2)

# ---------------------------------------------------------------- scoring
ref = model.sensor_scores(x_train)
mu, sd = ref.mean(axis=0), ref.std(axis=0) + 1e-8
Z_LIMIT = 4.0

for (kind, sensor, start, length), (data, labels) in zip(faults, tests):
    windows, starts = frame(data, SEQ_LEN, STRIDE)
    z = (model.sensor_scores(windows) - mu) / sd
    win_labels = np.array([labels[s:s + SEQ_LEN].any() for s in starts])
    flagged = z.max(axis=1) > Z_LIMIT
    blamed = [SENSORS[k] for k in np.argmax(z[flagged], axis=1)] if flagged.any() else []
    top = max(set(blamed), key=blamed.count) if blamed else "-"
    tp = int((flagged & win_labels).sum())
    fp = int((flagged & ~win_labels).sum())
    print(f"{kind:>9s} on {sensor:<12s}: flagged {flagged.sum():3d} windows "
          f"(tp={tp}, fp={fp}, faulty={win_labels.sum()}), most blamed sensor: {top}")

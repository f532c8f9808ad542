"""
DCASE-style anomalous machine sound detection with a dense autoencoder.

"Normal" machine: harmonic hum with slowly drifting pitch.
"Anomalous" machine: same hum + clicks / noise bursts + an extra rattle tone.

Pipeline:
  waveform --(tf.signal.stft)--> log-mel frames --(context stacking)--> AE
The AE is trained only on normal clips with a hand-written tf.function loop;
anomaly score = mean reconstruction MSE over a clip's stacked frames.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

# ---------------------------------------------------------------- config
SR = 16000
DURATION = 1.0
N_FFT = 512
HOP = 256
N_MELS = 64
CONTEXT = 5                    # frames stacked per AE input vector
LATENT = 8
BATCH = 128
EPOCHS = 2
N_TRAIN, N_TEST = 120, 40

rng = np.random.default_rng(2024)
tf.random.set_seed(2024)


def machine_hum(anomalous=False):
    n = int(SR * DURATION)
    t = np.arange(n) / SR
    f0 = 120 * (1 + 0.02 * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * t))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    x = sum(np.sin(k * phase) / k for k in range(1, 6))
    x += rng.normal(0, 0.05, n)
    if anomalous:
        for _ in range(rng.integers(3, 7)):           # clicks / bursts
            s = rng.integers(0, n - 800)
            x[s:s + 800] += rng.normal(0, 0.6, 800) * np.hanning(800)
        x += 0.3 * np.sin(2 * np.pi * rng.uniform(2500, 4000) * t)  # rattle
    return (0.3 * x).astype(np.float32)


mel_fb = tf.signal.linear_to_mel_weight_matrix(N_MELS, N_FFT // 2 + 1, SR, 50.0, 8000.0)


def logmel_frames(wav):
    spec = tf.signal.stft(wav, frame_length=N_FFT, frame_step=HOP, fft_length=N_FFT)
    mel = tf.matmul(tf.abs(spec) ** 2, mel_fb)
    logmel = 10.0 * tf.math.log(mel + 1e-8) / tf.math.log(10.0)
    # stack CONTEXT consecutive frames -> (n_vectors, CONTEXT * N_MELS)
    stacked = tf.signal.frame(logmel, CONTEXT, 1, axis=0)
    return tf.reshape(stacked, (-1, CONTEXT * N_MELS))


train_wavs = np.stack([machine_hum() for _ in range(N_TRAIN)])
test_wavs = np.stack([machine_hum(anomalous=bool(i % 2)) for i in range(N_TEST)])
test_is_anom = np.array([i % 2 for i in range(N_TEST)])

# feature normalisation stats from the normal training data only
all_train_vecs = tf.concat([logmel_frames(w) for w in train_wavs[:20]], axis=0)
feat_mean = tf.reduce_mean(all_train_vecs, axis=0)
feat_std = tf.math.reduce_std(all_train_vecs, axis=0) + 1e-5
INPUT_DIM = int(all_train_vecs.shape[-1])
print("vectors per clip:", logmel_frames(train_wavs[0]).shape[0], "dim:", INPUT_DIM)


def normalise(v):
    return (v - feat_mean) / feat_std


train_ds = (
    tf.data.Dataset.from_tensor_slices(train_wavs)
    .map(lambda w: normalise(logmel_frames(w)), num_parallel_calls=tf.data.AUTOTUNE)
    .unbatch()                       # clip-level -> frame-vector level
    .shuffle(4096, seed=1)
    .batch(BATCH, drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)


class DenseAutoencoder(keras.Model):
    def __init__(self, input_dim, hidden=(128, 64, 32), latent=LATENT, **kw):
        super().__init__(**kw)
        enc = [keras.layers.Dense(h, activation="relu") for h in hidden]
        dec = [keras.layers.Dense(h, activation="relu") for h in reversed(hidden)]
        self.encoder = keras.Sequential(enc + [keras.layers.Dense(latent, name="z")], name="encoder")
        self.decoder = keras.Sequential(dec + [keras.layers.Dense(input_dim)], name="decoder")

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training), training=training)


ae = DenseAutoencoder(INPUT_DIM)
optimizer = keras.optimizers.Adam(1e-3)
mse = keras.losses.MeanSquaredError()
train_loss = keras.metrics.Mean()


@tf.function
def train_step(x):
    with tf.GradientTape() as tape:
        recon = ae(x, training=True)
        loss = mse(x, recon)
    grads = tape.gradient(loss, ae.trainable_variables)
    optimizer.apply_gradients(zip(grads, ae.trainable_variables))
    train_loss.update_state(loss)


@tf.function
def clip_score(wav):
    v = normalise(logmel_frames(wav))
    r = ae(v, training=False)
    return tf.reduce_mean(tf.square(v - r))


for epoch in range(EPOCHS):
    t0 = time.time()
    train_loss.reset_state()
    for step, xb in enumerate(train_ds):
        train_step(xb)
    print(f"epoch {epoch + 1}/{EPOCHS}  steps={step + 1}  loss={train_loss.result():.4f}  "
          f"({time.time() - t0:.1f}s)")

ae.encoder.summary()

scores = np.array([float(clip_score(w)) for w in test_wavs])
normal_s, anom_s = scores[test_is_anom == 0], scores[test_is_anom == 1]
print(f"mean score normal={normal_s.mean():.3f}  anomalous={anom_s.mean():.3f}")


def roc_auc(pos, neg):
    # probability that a random anomaly scores higher than a random normal clip
    greater = (pos[:, None] > neg[None, :]).mean()
    ties = (pos[:, None] == neg[None, :]).mean()
    return greater + 0.5 * ties


print(f"AUC: {roc_auc(anom_s, normal_s):.3f}")
threshold = np.percentile(normal_s, 90)
flagged = scores > threshold
print(f"threshold (90th pct of normal) = {threshold:.3f}; "
      f"recall={flagged[test_is_anom == 1].mean():.2f}, fpr={flagged[test_is_anom == 0].mean():.2f}")

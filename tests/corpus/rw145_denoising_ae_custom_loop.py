# Denoising autoencoder trained with a hand-written tf.function loop.
# Corruption happens inside the tf.data pipeline (Gaussian noise + random masking).
# Scoring: reconstruction error of the *clean* input; anomalies are samples from a
# shifted distribution. Threshold = mean + k*std and also a percentile, compared.
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

DIM = 32
NOISE_STD = 0.2
MASK_RATE = 0.1
BATCH = 64
EPOCHS = 2
LR = 3e-3

tf.random.set_seed(42)
rs = np.random.RandomState(42)


def gen_normal(n):
    # correlated features: smooth curves sampled at DIM points
    grid = np.linspace(0, 1, DIM)
    amp = rs.uniform(0.5, 1.5, size=(n, 1))
    phase = rs.uniform(0, np.pi, size=(n, 1))
    return (amp * np.sin(2 * np.pi * grid + phase)).astype(np.float32)


def gen_anomalous(n):
    x = gen_normal(n)
    kinds = rs.randint(0, 3, size=n)
    for i, k in enumerate(kinds):
        if k == 0:
            x[i] += rs.normal(0, 0.8, DIM)  # very noisy sensor
        elif k == 1:
            x[i, DIM // 2:] = 0.0  # dead half
        else:
            x[i] = np.sign(x[i])  # saturated
    return x.astype(np.float32)


def corrupt(x):
    noise = tf.random.normal(tf.shape(x), stddev=NOISE_STD)
    keep = tf.cast(tf.random.uniform(tf.shape(x)) > MASK_RATE, x.dtype)
    return (x + noise) * keep, x


class DenoisingAE(keras.Model):
    def __init__(self, dim, widths=(64, 16), **kw):
        super().__init__(**kw)
        self.enc = [keras.layers.Dense(w, activation="gelu") for w in widths]
        self.dec = [keras.layers.Dense(w, activation="gelu") for w in widths[-2::-1]]
        self.out = keras.layers.Dense(dim)

    def call(self, x, training=False):
        h = x
        for layer in self.enc + self.dec:
            h = layer(h)
        return self.out(h)


x_train = gen_normal(512)
x_val_normal = gen_normal(100)
x_val_anom = gen_anomalous(25)

train_ds = (
    tf.data.Dataset.from_tensor_slices(x_train)
    .shuffle(512)
    .batch(BATCH)
    .map(corrupt, num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(2)
)

model = DenoisingAE(DIM)
opt = keras.optimizers.Adam(LR)
loss_fn = keras.losses.MeanSquaredError()
loss_tracker = keras.metrics.Mean(name="loss")


@tf.function
def train_step(noisy, clean):
    with tf.GradientTape() as tape:
        recon = model(noisy, training=True)
        loss = loss_fn(clean, recon)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))
    loss_tracker.update_state(loss)
    return loss


@tf.function
def score(x):
    recon = model(x, training=False)
    return tf.reduce_mean(tf.square(x - recon), axis=-1)


for epoch in range(EPOCHS):
    t0 = time.time()
    loss_tracker.reset_state()
    for step, (noisy, clean) in enumerate(train_ds):
        train_step(noisy, clean)
    print(f"epoch {epoch + 1}/{EPOCHS}  steps={step + 1}  loss={loss_tracker.result():.4f}  "
          f"({time.time() - t0:.1f}s)")

train_scores = score(tf.constant(x_train)).numpy()
thr_pct = np.percentile(train_scores, 97.5)
thr_sigma = train_scores.mean() + 3 * train_scores.std()
print(f"threshold percentile={thr_pct:.4f}  mean+3sd={thr_sigma:.4f}")

s_norm = score(x_val_normal).numpy()
s_anom = score(x_val_anom).numpy()
for name, thr in [("p97.5", thr_pct), ("3sigma", thr_sigma)]:
    fpr = np.mean(s_norm > thr)
    tpr = np.mean(s_anom > thr)
    print(f"[{name:>6}] FPR={fpr:.2f} TPR={tpr:.2f}")

# denoising sanity check: does the model actually remove noise?
noisy_val, clean_val = corrupt(tf.constant(x_val_normal))
denoised = model(noisy_val)
print("MSE noisy vs clean   :", float(tf.reduce_mean(tf.square(noisy_val - clean_val))))
print("MSE denoised vs clean:", float(tf.reduce_mean(tf.square(denoised - clean_val))))

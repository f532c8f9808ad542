#!/usr/bin/env python
# coding: utf-8
# ## Tiny DDPM on synthetic 16x16 rings
#
# A minimal denoising diffusion model:
#   * linear beta schedule computed in numpy
#   * sinusoidal timestep embedding
#   * small U-Net-ish epsilon predictor (two down blocks, two up blocks, skips)
#   * keras.Model subclass with a custom train_step (predict the noise, MSE)
#   * ancestral sampling loop at the end

import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---- hyper-parameters -------------------------------------------------------
IMG = 16
CHANNELS = 1
T_STEPS = 100          # diffusion steps (kept tiny)
_SCALE = 1000 / T_STEPS  # rescale the usual DDPM betas for fewer steps
BETA_START, BETA_END = 1e-4 * _SCALE, 0.02 * _SCALE
EMB_DIM = 32
WIDTHS = [16, 32]      # U-Net widths per resolution
BATCH = 32
N_TRAIN = 256
EPOCHS = 2
SAMPLE_STEPS_SHOWN = 5

np.random.seed(0)
tf.random.set_seed(0)


# ---- data: rings of random radius ------------------------------------------
def make_rings(n):
    yy, xx = np.mgrid[:IMG, :IMG]
    c = (IMG - 1) / 2.0
    r = np.sqrt((yy - c) ** 2 + (xx - c) ** 2)[None]
    radii = np.random.uniform(3.0, 6.5, size=(n, 1, 1))
    width = np.random.uniform(0.8, 1.6, size=(n, 1, 1))
    imgs = np.exp(-((r - radii) ** 2) / (2 * width ** 2))
    return (imgs * 2.0 - 1.0)[..., None].astype("float32")


x_train = make_rings(N_TRAIN)
print("data:", x_train.shape, x_train.min().round(2), x_train.max().round(2))

# ---- noise schedule (numpy) -------------------------------------------------
betas = np.linspace(BETA_START, BETA_END, T_STEPS, dtype=np.float64)
alphas = 1.0 - betas
alphas_cumprod = np.cumprod(alphas)
alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
posterior_var = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)

schedule = {
    name: tf.constant(arr, dtype=tf.float32)
    for name, arr in {
        "betas": betas,
        "sqrt_ac": np.sqrt(alphas_cumprod),
        "sqrt_1m_ac": np.sqrt(1.0 - alphas_cumprod),
        "sqrt_recip_alpha": 1.0 / np.sqrt(alphas),
        "posterior_var": posterior_var,
    }.items()
}
print(f"alpha_bar[0]={alphas_cumprod[0]:.4f}  alpha_bar[-1]={alphas_cumprod[-1]:.4f}")


def extract(coefs, t):
    """Gather per-timestep coefficients and reshape to broadcast on images."""
    return tf.reshape(tf.gather(coefs, t), (-1, 1, 1, 1))


# ---- model ------------------------------------------------------------------
class SinusoidalEmbedding(layers.Layer):
    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        half = dim // 2
        self.freqs = tf.exp(
            -math.log(10000.0) * tf.range(half, dtype=tf.float32) / float(half)
        )

    def call(self, t):
        t = tf.cast(tf.reshape(t, (-1, 1)), tf.float32)
        args = t * self.freqs[None, :]
        return tf.concat([tf.sin(args), tf.cos(args)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def res_block(x, t_emb, width):
    skip = x if x.shape[-1] == width else layers.Conv2D(width, 1)(x)
    h = layers.GroupNormalization(groups=4)(x)
    h = layers.Activation("swish")(h)
    h = layers.Conv2D(width, 3, padding="same")(h)
    # add the time embedding as a per-channel bias
    t = layers.Dense(width)(t_emb)
    h = h + layers.Reshape((1, 1, width))(t)
    h = layers.GroupNormalization(groups=4)(h)
    h = layers.Activation("swish")(h)
    h = layers.Conv2D(width, 3, padding="same")(h)
    return layers.Add()([h, skip])


def build_unet():
    x_in = keras.Input((IMG, IMG, CHANNELS), name="noisy")
    t_in = keras.Input((), dtype="int32", name="t")

    t_emb = SinusoidalEmbedding(EMB_DIM)(t_in)
    t_emb = layers.Dense(EMB_DIM * 2, activation="swish")(t_emb)
    t_emb = layers.Dense(EMB_DIM * 2, activation="swish")(t_emb)

    x = layers.Conv2D(WIDTHS[0], 3, padding="same")(x_in)
    skips = []
    for w in WIDTHS:
        x = res_block(x, t_emb, w)
        skips.append(x)
        x = layers.AveragePooling2D(pool_size=2)(x)

    x = res_block(x, t_emb, WIDTHS[-1] * 2)  # bottleneck

    for w, skip in zip(reversed(WIDTHS), reversed(skips)):
        x = layers.UpSampling2D(interpolation="nearest")(x)
        x = layers.Concatenate()([x, skip])
        x = res_block(x, t_emb, w)

    out = layers.Conv2D(CHANNELS, 1, kernel_initializer="zeros", name="eps")(x)
    return keras.Model([x_in, t_in], out, name="tiny_unet")


class DiffusionModel(keras.Model):
    def __init__(self, network, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.loss_tracker = keras.metrics.Mean(name="loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def q_sample(self, x0, t, noise):
        return extract(schedule["sqrt_ac"], t) * x0 + extract(schedule["sqrt_1m_ac"], t) * noise

    def train_step(self, x0):
        batch = tf.shape(x0)[0]
        t = tf.random.uniform((batch,), 0, T_STEPS, dtype=tf.int32)
        noise = tf.random.normal(tf.shape(x0))
        x_t = self.q_sample(x0, t, noise)
        with tf.GradientTape() as tape:
            eps_pred = self.network([x_t, t], training=True)
            loss = tf.reduce_mean(tf.square(noise - eps_pred))
        grads = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.network.trainable_weights))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @tf.function
    def p_step(self, x_t, t_scalar):
        """One reverse step x_t -> x_{t-1}. t_scalar is an int32 tensor."""
        n = tf.shape(x_t)[0]
        t = tf.fill((n,), t_scalar)
        eps = self.network([x_t, t], training=False)
        coef = extract(schedule["betas"], t) / extract(schedule["sqrt_1m_ac"], t)
        mean = extract(schedule["sqrt_recip_alpha"], t) * (x_t - coef * eps)
        noise = tf.random.normal(tf.shape(x_t))
        sigma = tf.sqrt(extract(schedule["posterior_var"], t))
        # no noise on the final step -- tensor-valued condition, so tf.where
        return tf.where(t_scalar > 0, mean + sigma * noise, mean)

    def sample(self, n):
        x = tf.random.normal((n, IMG, IMG, CHANNELS))
        snapshots = {}
        show_at = set(np.linspace(0, T_STEPS - 1, SAMPLE_STEPS_SHOWN).astype(int).tolist())
        for i in reversed(range(T_STEPS)):
            x = self.p_step(x, tf.constant(i, dtype=tf.int32))
            if i in show_at:
                snapshots[i] = float(tf.math.reduce_std(x))
        return tf.clip_by_value(x, -1.0, 1.0), snapshots


# ---- train ------------------------------------------------------------------
ds = (
    tf.data.Dataset.from_tensor_slices(x_train)
    .shuffle(N_TRAIN)
    .map(lambda x: tf.image.random_flip_left_right(x), num_parallel_calls=tf.data.AUTOTUNE)
    .batch(BATCH, drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)

unet = build_unet()
print(f"U-Net params: {unet.count_params():,}")
model = DiffusionModel(unet)
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4))
model.fit(ds, epochs=EPOCHS, verbose=2)

# ---- sample -----------------------------------------------------------------
samples, snaps = model.sample(8)
for step, std in sorted(snaps.items(), reverse=True):
    print(f"  t={step:3d}  std(x_t)={std:.3f}")
print("final samples:", samples.shape, "mean", float(tf.reduce_mean(samples)))

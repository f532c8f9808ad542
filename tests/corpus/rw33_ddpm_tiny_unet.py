"""
Minimal DDPM (Ho et al. 2020) in Keras.
Small UNet-ish convnet, sinusoidal timestep embedding injected into each res block.
Trained for a handful of steps on random 16x16 "textures" -- the point is the plumbing,
not the samples.
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 16
CHANNELS = 3
T_STEPS = 50  # short schedule so sampling finishes quickly on CPU
BATCH = 8
TRAIN_STEPS = 4
BASE_CH = 24
USE_TF_FUNCTION = False  # tracing costs more than it saves for a few steps


def linear_beta_schedule(T, beta_start=1e-4, beta_end=0.02):
    betas = np.linspace(beta_start, beta_end, T, dtype=np.float64)
    alphas = 1.0 - betas
    alphas_cumprod = np.cumprod(alphas)
    alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
    posterior_var = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
    sched = dict(
        betas=betas,
        alphas=alphas,
        alphas_cumprod=alphas_cumprod,
        sqrt_ac=np.sqrt(alphas_cumprod),
        sqrt_one_minus_ac=np.sqrt(1.0 - alphas_cumprod),
        posterior_var=posterior_var,
    )
    return {k: tf.constant(v, dtype=tf.float32) for k, v in sched.items()}


class SinusoidalEmbedding(layers.Layer):
    def __init__(self, dim, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.max_period = max_period

    def call(self, t):
        half = self.dim // 2
        freqs = tf.exp(-math.log(self.max_period) * tf.range(half, dtype=tf.float32) / half)
        args = tf.cast(t, tf.float32)[:, None] * freqs[None, :]
        return tf.concat([tf.sin(args), tf.cos(args)], axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(dim=self.dim, max_period=self.max_period)
        return cfg


class ResBlock(layers.Layer):
    """conv -> +time -> conv, with a 1x1 skip when channels change."""

    def __init__(self, filters, groups=8, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.norm1 = layers.GroupNormalization(groups)
        self.conv1 = layers.Conv2D(filters, 3, padding="same")
        self.time_proj = layers.Dense(filters)
        self.norm2 = layers.GroupNormalization(groups)
        self.conv2 = layers.Conv2D(filters, 3, padding="same")
        self.skip = None

    def build(self, input_shape):
        x_shape, _ = input_shape
        if x_shape[-1] != self.filters:
            self.skip = layers.Conv2D(self.filters, 1)

    def call(self, inputs):
        x, t_emb = inputs
        h = self.conv1(tf.nn.silu(self.norm1(x)))
        # broadcast time embedding over H, W
        h = h + self.time_proj(tf.nn.silu(t_emb))[:, None, None, :]
        h = self.conv2(tf.nn.silu(self.norm2(h)))
        residual = self.skip(x) if self.skip is not None else x
        return h + residual


def build_unet(img_size=IMG_SIZE, channels=CHANNELS, base=BASE_CH, mults=(1, 2)):
    x_in = keras.Input((img_size, img_size, channels), name="noisy_image")
    t_in = keras.Input((), dtype="int32", name="timestep")

    temb = SinusoidalEmbedding(base)(t_in)
    temb = layers.Dense(base * 4, activation="swish")(temb)
    temb = layers.Dense(base * 4)(temb)

    h = layers.Conv2D(base, 3, padding="same")(x_in)
    skips = []
    for i, m in enumerate(mults):
        h = ResBlock(base * m, name=f"down_res{i}")([h, temb])
        skips.append(h)
        h = layers.AveragePooling2D(pool_size=2)(h)

    h = ResBlock(base * mults[-1] * 2, name="mid_res")([h, temb])

    for i, m in reversed(list(enumerate(mults))):
        h = layers.UpSampling2D(interpolation="nearest")(h)
        h = layers.Concatenate()([h, skips.pop()])
        h = ResBlock(base * m, name=f"up_res{i}")([h, temb])

    h = layers.GroupNormalization(8)(h)
    h = layers.Activation("swish")(h)
    eps_out = layers.Conv2D(channels, 3, padding="same", kernel_initializer="zeros")(h)
    return keras.Model([x_in, t_in], eps_out, name="tiny_unet")


def synthetic_images(n, seed=0):
    """Stripes + gradients in [-1, 1], vaguely structured so the net has something to model."""
    rng = np.random.default_rng(seed)
    xs = np.linspace(0, 1, IMG_SIZE)
    xx, yy = np.meshgrid(xs, xs)
    out = np.empty((n, IMG_SIZE, IMG_SIZE, CHANNELS), np.float32)
    for i in range(n):
        freq = rng.uniform(1, 4)
        angle = rng.uniform(0, np.pi)
        wave = np.sin(2 * np.pi * freq * (np.cos(angle) * xx + np.sin(angle) * yy))
        for c in range(CHANNELS):
            out[i, :, :, c] = wave * rng.uniform(0.5, 1.0) + rng.normal(0, 0.05, wave.shape)
    return np.clip(out, -1, 1)


class Diffusion:
    def __init__(self, model, schedule, lr=2e-4, compile_step=USE_TF_FUNCTION):
        self.model = model
        self.s = schedule
        self.T = int(schedule["betas"].shape[0])
        self.opt = keras.optimizers.AdamW(learning_rate=lr, weight_decay=1e-4)
        self.train_step = tf.function(self._train_step) if compile_step else self._train_step

    def q_sample(self, x0, t, noise):
        a = tf.gather(self.s["sqrt_ac"], t)[:, None, None, None]
        b = tf.gather(self.s["sqrt_one_minus_ac"], t)[:, None, None, None]
        return a * x0 + b * noise

    def _train_step(self, x0):
        bs = tf.shape(x0)[0]
        t = tf.random.uniform((bs,), 0, self.T, dtype=tf.int32)
        noise = tf.random.normal(tf.shape(x0))
        xt = self.q_sample(x0, t, noise)
        with tf.GradientTape() as tape:
            pred = self.model([xt, t], training=True)
            loss = tf.reduce_mean(tf.square(noise - pred))
        grads = tape.gradient(loss, self.model.trainable_variables)
        self.opt.apply_gradients(zip(grads, self.model.trainable_variables))
        return loss

    def p_sample_loop(self, n, num_steps=None, seed=0):
        """Ancestral sampling; optionally only run the last `num_steps` steps (debug)."""
        gen = tf.random.Generator.from_seed(seed)
        x = gen.normal((n, IMG_SIZE, IMG_SIZE, CHANNELS))
        start = self.T if num_steps is None else min(num_steps, self.T)
        for i in reversed(range(start)):
            t = tf.fill((n,), i)
            eps = self.model([x, t], training=False)
            beta = self.s["betas"][i]
            mean = (x - beta / self.s["sqrt_one_minus_ac"][i] * eps) / tf.sqrt(self.s["alphas"][i])
            if i > 0:
                x = mean + tf.sqrt(self.s["posterior_var"][i]) * gen.normal(tf.shape(x))
            else:
                x = mean
        return tf.clip_by_value(x, -1.0, 1.0)


def main():
    tf.random.set_seed(7)
    data = synthetic_images(48)
    ds = (
        tf.data.Dataset.from_tensor_slices(data)
        .shuffle(48)
        .map(lambda im: tf.image.random_flip_left_right(im))
        .batch(BATCH, drop_remainder=True)
        .repeat()
    )

    unet = build_unet()
    print(f"UNet params: {unet.count_params():,}")
    diffusion = Diffusion(unet, linear_beta_schedule(T_STEPS))

    t0 = time.time()
    for step, batch in enumerate(ds.take(TRAIN_STEPS)):
        loss = diffusion.train_step(batch)
        print(f"step {step}  loss {loss.numpy():.4f}")
    print(f"training took {time.time() - t0:.1f}s")

    samples = diffusion.p_sample_loop(n=4, num_steps=5)
    samples = ((samples.numpy() + 1.0) * 127.5).astype(np.uint8)
    print("samples:", samples.shape, samples.dtype, "mean px", samples.mean().round(2))


if __name__ == "__main__":
    main()

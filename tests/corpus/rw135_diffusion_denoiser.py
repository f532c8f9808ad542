"""
Tiny DDPM-style denoiser on 16x16 synthetic stripe images.

- cosine-free linear beta schedule, T small so sampling is quick
- sinusoidal timestep embedding as a custom layer
- small conv net with FiLM-style time conditioning
- hand-written training loop with a tf.function step
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

H = W = 16
T_STEPS = 40
BETA_START, BETA_END = 1e-4, 0.05
TIME_EMB_DIM = 32
BASE_CH = 16
BATCH = 32
TRAIN_STEPS = 40
LR = 2e-3

tf.random.set_seed(0)
np.random.seed(0)


# ---------------------------------------------------------------- data
def stripes(n):
    xs = np.arange(W, dtype=np.float32)
    freq = np.random.uniform(0.3, 1.2, size=(n, 1, 1))
    phase = np.random.uniform(0, 2 * np.pi, size=(n, 1, 1))
    angle = np.random.choice([0, 1], size=(n, 1, 1))
    grid_x = np.broadcast_to(xs[None, None, :], (n, H, W))
    grid_y = np.broadcast_to(xs[None, :, None], (n, H, W))
    coord = np.where(angle == 0, grid_x, grid_y)
    img = np.sin(freq * coord + phase)
    return img[..., None].astype(np.float32)  # already in [-1, 1]


# ---------------------------------------------------------------- schedule
betas = np.linspace(BETA_START, BETA_END, T_STEPS, dtype=np.float64)
alphas = 1.0 - betas
alpha_bars = np.cumprod(alphas)

betas_tf = tf.constant(betas, dtype=tf.float32)
alphas_tf = tf.constant(alphas, dtype=tf.float32)
alpha_bars_tf = tf.constant(alpha_bars, dtype=tf.float32)


def q_sample(x0, t, noise):
    """Forward diffusion: sqrt(abar_t) x0 + sqrt(1-abar_t) eps."""
    ab = tf.gather(alpha_bars_tf, t)[:, None, None, None]
    return tf.sqrt(ab) * x0 + tf.sqrt(1.0 - ab) * noise


# ---------------------------------------------------------------- model
class SinusoidalTimeEmbedding(layers.Layer):
    def __init__(self, dim, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.max_period = max_period

    def call(self, t):
        half = self.dim // 2
        t = tf.cast(tf.reshape(t, (-1, 1)), tf.float32)
        freqs = tf.exp(-math.log(self.max_period) * tf.range(half, dtype=tf.float32) / half)
        args = t * freqs[None, :]
        return tf.concat([tf.sin(args), tf.cos(args)], axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(dim=self.dim, max_period=self.max_period)
        return cfg


class TimeResBlock(layers.Layer):
    """conv -> (+ scale/shift from time emb) -> conv, with residual."""

    def __init__(self, channels, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.norm1 = layers.GroupNormalization(groups=8)
        self.conv1 = layers.Conv2D(channels, 3, padding="same")
        self.time_proj = layers.Dense(2 * channels)
        self.norm2 = layers.GroupNormalization(groups=8)
        self.conv2 = layers.Conv2D(channels, 3, padding="same")
        self.skip = None

    def build(self, input_shape):
        x_shape, _ = input_shape
        if x_shape[-1] != self.channels:
            self.skip = layers.Conv2D(self.channels, 1)

    def call(self, inputs):
        x, temb = inputs
        h = self.conv1(tf.nn.silu(self.norm1(x)))
        scale, shift = tf.split(self.time_proj(temb)[:, None, None, :], 2, axis=-1)
        h = self.norm2(h) * (1.0 + scale) + shift
        h = self.conv2(tf.nn.silu(h))
        res = self.skip(x) if self.skip is not None else x
        return h + res


def build_denoiser():
    x_in = keras.Input((H, W, 1), name="x_t")
    t_in = keras.Input((), dtype="int32", name="t")

    temb = SinusoidalTimeEmbedding(TIME_EMB_DIM)(t_in)
    temb = layers.Dense(TIME_EMB_DIM * 2, activation="swish")(temb)
    temb = layers.Dense(TIME_EMB_DIM * 2)(temb)

    h = layers.Conv2D(BASE_CH, 3, padding="same")(x_in)
    h1 = TimeResBlock(BASE_CH, name="down_block")([h, temb])
    h = layers.AveragePooling2D(pool_size=2)(h1)
    h = TimeResBlock(BASE_CH * 2, name="mid_block")([h, temb])
    h = layers.UpSampling2D(interpolation="nearest")(h)
    h = layers.Concatenate()([h, h1])
    h = TimeResBlock(BASE_CH, name="up_block")([h, temb])
    eps_hat = layers.Conv2D(1, 3, padding="same", kernel_initializer="zeros")(h)
    return keras.Model([x_in, t_in], eps_hat, name="eps_model")


# ---------------------------------------------------------------- training
model = build_denoiser()
optimizer = keras.optimizers.Adam(LR)
mse = keras.losses.MeanSquaredError()


@tf.function
def train_step(x0):
    b = tf.shape(x0)[0]
    t = tf.random.uniform((b,), 0, T_STEPS, dtype=tf.int32)
    noise = tf.random.normal(tf.shape(x0))
    x_t = q_sample(x0, t, noise)
    with tf.GradientTape() as tape:
        pred = model([x_t, t], training=True)
        loss = mse(noise, pred)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, gnorm = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, gnorm


@tf.function
def reverse_step(x, t_scalar):
    """One ancestral DDPM step x_t -> x_{t-1}. t_scalar is an int32 tensor."""
    b = tf.shape(x)[0]
    t_vec = tf.fill((b,), t_scalar)
    eps = model([x, t_vec], training=False)
    beta = tf.gather(betas_tf, t_scalar)
    alpha = tf.gather(alphas_tf, t_scalar)
    ab = tf.gather(alpha_bars_tf, t_scalar)
    mean = (x - beta / tf.sqrt(1.0 - ab) * eps) / tf.sqrt(alpha)
    noise = tf.random.normal(tf.shape(x))
    # no noise on the final step; t is a tensor so use tf.where rather than `if`
    sigma = tf.where(t_scalar > 0, tf.sqrt(beta), 0.0)
    return mean + sigma * noise


def sample(n):
    x = tf.random.normal((n, H, W, 1))
    for t in reversed(range(T_STEPS)):
        x = reverse_step(x, tf.constant(t, dtype=tf.int32))
    return x.numpy()


if __name__ == "__main__":
    data = stripes(384)
    ds = (tf.data.Dataset.from_tensor_slices(data)
          .shuffle(384)
          .repeat()
          .map(lambda x: tf.image.random_flip_left_right(x), num_parallel_calls=tf.data.AUTOTUNE)
          .batch(BATCH, drop_remainder=True)
          .prefetch(tf.data.AUTOTUNE))

    print(f"denoiser params: {model.count_params():,}")
    t0 = time.time()
    running = None
    for step, batch in enumerate(ds.take(TRAIN_STEPS), start=1):
        loss, gnorm = train_step(batch)
        loss = float(loss)
        running = loss if running is None else 0.9 * running + 0.1 * loss
        if step % 10 == 0 or step == 1:
            print(f"step {step:3d}  loss {loss:.4f}  ema {running:.4f}  |g| {float(gnorm):.3f}")
    print(f"training took {time.time() - t0:.1f}s")

    samples = sample(8)
    print("sample stats: mean={:.3f} std={:.3f} min={:.2f} max={:.2f}".format(
        samples.mean(), samples.std(), samples.min(), samples.max()))

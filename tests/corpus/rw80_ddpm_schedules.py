"""Minimal DDPM (Ho et al. 2020) in Keras 3: noise schedules, tiny UNet, ancestral sampler.

* `GaussianDiffusion` precomputes linear / cosine beta schedules with numpy and
  implements q(x_t | x_0), the posterior q(x_{t-1} | x_t, x_0) and p_sample.
* `DiffusionModel.train_step` is the usual epsilon-prediction MSE objective.
* Sampling runs the reverse chain for T steps (T is tiny here so it's fast).
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

# ----------------------------------------------------------------- hyperparams
IMG_SIZE = 16
IMG_CHANNELS = 1
TIMESTEPS = 50
SCHEDULE = "cosine"  # or "linear"
BATCH_SIZE = 16
NUM_TRAIN = 96
FIRST_CHANNELS = 16
CHANNEL_MULT = (1, 2)
TIME_EMB_DIM = FIRST_CHANNELS * 4
LEARNING_RATE = 2e-4
CLIP_MIN, CLIP_MAX = -1.0, 1.0


def linear_beta_schedule(timesteps, beta_start=1e-4, beta_end=0.02):
    # scale so the schedule matches the paper's T=1000 endpoints for small T
    scale = 1000 / timesteps
    return np.linspace(scale * beta_start, scale * beta_end, timesteps, dtype=np.float64)


def cosine_beta_schedule(timesteps, s=0.008):
    """Improved DDPM (Nichol & Dhariwal 2021) cosine schedule."""
    steps = timesteps + 1
    x = np.linspace(0, timesteps, steps, dtype=np.float64)
    alphas_cumprod = np.cos(((x / timesteps) + s) / (1 + s) * math.pi * 0.5) ** 2
    alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
    betas = 1 - (alphas_cumprod[1:] / alphas_cumprod[:-1])
    return np.clip(betas, 0.0, 0.999)


class GaussianDiffusion:
    """Forward / reverse process utilities."""

    def __init__(self, timesteps=1000, schedule="linear", clip_min=-1.0, clip_max=1.0):
        self.timesteps = int(timesteps)
        self.clip_min = clip_min
        self.clip_max = clip_max

        if schedule == "linear":
            betas = linear_beta_schedule(timesteps)
        elif schedule == "cosine":
            betas = cosine_beta_schedule(timesteps)
        else:
            raise ValueError(f"unknown schedule {schedule!r}")

        alphas = 1.0 - betas
        alphas_cumprod = np.cumprod(alphas, axis=0)
        alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])

        to_tf = lambda a: tf.constant(a, dtype=tf.float32)
        self.betas = to_tf(betas)
        self.alphas_cumprod = to_tf(alphas_cumprod)
        self.alphas_cumprod_prev = to_tf(alphas_cumprod_prev)

        self.sqrt_alphas_cumprod = to_tf(np.sqrt(alphas_cumprod))
        self.sqrt_one_minus_alphas_cumprod = to_tf(np.sqrt(1.0 - alphas_cumprod))
        self.log_one_minus_alphas_cumprod = to_tf(np.log(1.0 - alphas_cumprod))
        self.sqrt_recip_alphas_cumprod = to_tf(np.sqrt(1.0 / alphas_cumprod))
        self.sqrt_recipm1_alphas_cumprod = to_tf(np.sqrt(1.0 / alphas_cumprod - 1))

        posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
        self.posterior_variance = to_tf(posterior_variance)
        # log calculation clipped because the posterior variance is 0 at t=0
        self.posterior_log_variance_clipped = to_tf(np.log(np.maximum(posterior_variance, 1e-20)))
        self.posterior_mean_coef1 = to_tf(
            betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod))
        self.posterior_mean_coef2 = to_tf(
            (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod))

    @staticmethod
    def _extract(a, t, x_shape):
        """Gather a[t] per batch element and reshape to broadcast over (H, W, C)."""
        batch_size = x_shape[0]
        out = tf.gather(a, t)
        return tf.reshape(out, [batch_size, 1, 1, 1])

    def q_mean_variance(self, x_start, t):
        x_start_shape = tf.shape(x_start)
        mean = self._extract(self.sqrt_alphas_cumprod, t, x_start_shape) * x_start
        variance = self._extract(1.0 - self.alphas_cumprod, t, x_start_shape)
        log_variance = self._extract(self.log_one_minus_alphas_cumprod, t, x_start_shape)
        return mean, variance, log_variance

    def q_sample(self, x_start, t, noise):
        x_start_shape = tf.shape(x_start)
        return (self._extract(self.sqrt_alphas_cumprod, t, x_start_shape) * x_start
                + self._extract(self.sqrt_one_minus_alphas_cumprod, t, x_start_shape) * noise)

    def predict_start_from_noise(self, x_t, t, noise):
        x_t_shape = tf.shape(x_t)
        return (self._extract(self.sqrt_recip_alphas_cumprod, t, x_t_shape) * x_t
                - self._extract(self.sqrt_recipm1_alphas_cumprod, t, x_t_shape) * noise)

    def q_posterior(self, x_start, x_t, t):
        x_t_shape = tf.shape(x_t)
        posterior_mean = (self._extract(self.posterior_mean_coef1, t, x_t_shape) * x_start
                          + self._extract(self.posterior_mean_coef2, t, x_t_shape) * x_t)
        posterior_variance = self._extract(self.posterior_variance, t, x_t_shape)
        posterior_log_variance = self._extract(self.posterior_log_variance_clipped, t, x_t_shape)
        return posterior_mean, posterior_variance, posterior_log_variance

    def p_mean_variance(self, pred_noise, x, t, clip_denoised=True):
        x_recon = self.predict_start_from_noise(x, t=t, noise=pred_noise)
        if clip_denoised:
            x_recon = tf.clip_by_value(x_recon, self.clip_min, self.clip_max)
        return self.q_posterior(x_start=x_recon, x_t=x, t=t)

    def p_sample(self, pred_noise, x, t, clip_denoised=True):
        model_mean, _, model_log_variance = self.p_mean_variance(
            pred_noise, x=x, t=t, clip_denoised=clip_denoised)
        noise = tf.random.normal(shape=tf.shape(x), dtype=x.dtype)
        # no noise when t == 0 -- done with a mask, not a Python branch
        nonzero_mask = tf.reshape(1.0 - tf.cast(tf.equal(t, 0), tf.float32), [tf.shape(x)[0], 1, 1, 1])
        return model_mean + nonzero_mask * tf.exp(0.5 * model_log_variance) * noise


# ----------------------------------------------------------------------- UNet
class TimeEmbedding(layers.Layer):
    """Sinusoidal position embedding of the integer timestep."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.half_dim = dim // 2
        emb = math.log(10000) / (self.half_dim - 1)
        self.emb = tf.exp(tf.range(self.half_dim, dtype=tf.float32) * -emb)

    def call(self, inputs):
        inputs = tf.cast(inputs, dtype=tf.float32)
        emb = inputs[:, None] * self.emb[None, :]
        return tf.concat([tf.sin(emb), tf.cos(emb)], axis=-1)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim}


def ResidualBlock(width, groups=8):
    def apply(inputs):
        x, t = inputs
        input_width = x.shape[3]
        if input_width == width:
            residual = x
        else:
            residual = layers.Conv2D(width, kernel_size=1)(x)

        temb = layers.Activation("swish")(t)
        temb = layers.Dense(width)(temb)[:, None, None, :]

        x = layers.GroupNormalization(groups=groups)(x)
        x = layers.Activation("swish")(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same")(x)
        x = layers.Add()([x, temb])
        x = layers.GroupNormalization(groups=groups)(x)
        x = layers.Activation("swish")(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same")(x)
        return layers.Add()([x, residual])

    return apply


def build_unet(img_size, img_channels, first_channels, channel_mult, groups=8):
    image_input = layers.Input(shape=(img_size, img_size, img_channels), name="image_input")
    time_input = keras.Input(shape=(), dtype="int64", name="time_input")

    x = layers.Conv2D(first_channels, kernel_size=3, padding="same")(image_input)

    temb = TimeEmbedding(dim=first_channels * 4)(time_input)
    temb = layers.Dense(TIME_EMB_DIM, activation="swish")(temb)
    temb = layers.Dense(TIME_EMB_DIM)(temb)

    widths = [first_channels * m for m in channel_mult]
    skips = [x]
    for i, w in enumerate(widths):
        x = ResidualBlock(w, groups=groups)([x, temb])
        skips.append(x)
        if i != len(widths) - 1:
            x = layers.Conv2D(w, 3, strides=2, padding="same")(x)
            skips.append(x)

    x = ResidualBlock(widths[-1], groups=groups)([x, temb])

    for i, w in reversed(list(enumerate(widths))):
        x = layers.Concatenate(axis=-1)([x, skips.pop()])
        x = ResidualBlock(w, groups=groups)([x, temb])
        if i != 0:
            x = layers.Concatenate(axis=-1)([x, skips.pop()])
            x = ResidualBlock(w, groups=groups)([x, temb])
            x = layers.UpSampling2D(size=2, interpolation="nearest")(x)
            x = layers.Conv2D(w, 3, padding="same")(x)

    x = layers.GroupNormalization(groups=groups)(x)
    x = layers.Activation("swish")(x)
    x = layers.Conv2D(img_channels, 3, padding="same", kernel_initializer="zeros")(x)
    return keras.Model([image_input, time_input], x, name="unet")


class DiffusionModel(keras.Model):
    def __init__(self, network, gdf_util, timesteps):
        super().__init__()
        self.network = network
        self.gdf_util = gdf_util
        self.timesteps = timesteps

    def train_step(self, images):
        batch_size = tf.shape(images)[0]
        t = tf.random.uniform(minval=0, maxval=self.timesteps, shape=(batch_size,), dtype=tf.int64)

        with tf.GradientTape() as tape:
            noise = tf.random.normal(shape=tf.shape(images), dtype=images.dtype)
            images_t = self.gdf_util.q_sample(images, t, noise)
            pred_noise = self.network([images_t, t], training=True)
            loss = self.compute_loss(y=noise, y_pred=pred_noise)

        gradients = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.network.trainable_weights))
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    def generate_images(self, num_images=4):
        samples = tf.random.normal((num_images, IMG_SIZE, IMG_SIZE, IMG_CHANNELS))
        for t in reversed(range(self.timesteps)):
            tt = tf.fill([num_images], tf.constant(t, dtype=tf.int64))
            pred_noise = self.network([samples, tt], training=False)
            samples = self.gdf_util.p_sample(pred_noise, samples, tt, clip_denoised=True)
        return samples


def toy_images(n):
    """Random rectangles in [-1, 1]; replace with tfds 'oxford_flowers102' etc."""
    rng = np.random.default_rng(3)
    out = -np.ones((n, IMG_SIZE, IMG_SIZE, IMG_CHANNELS), np.float32)
    for i in range(n):
        y0, x0 = rng.integers(0, IMG_SIZE // 2, size=2)
        h, w = rng.integers(3, IMG_SIZE // 2, size=2)
        out[i, y0:y0 + h, x0:x0 + w] = 1.0
    return out


if __name__ == "__main__":
    for name in ("linear", "cosine"):
        gd = GaussianDiffusion(TIMESTEPS, schedule=name)
        ac = gd.alphas_cumprod.numpy()
        print(f"{name:>6} schedule: alpha_bar[0]={ac[0]:.4f} alpha_bar[T/2]={ac[TIMESTEPS // 2]:.4f} "
              f"alpha_bar[T-1]={ac[-1]:.5f}")

    gdf_util = GaussianDiffusion(timesteps=TIMESTEPS, schedule=SCHEDULE,
                                 clip_min=CLIP_MIN, clip_max=CLIP_MAX)
    network = build_unet(IMG_SIZE, IMG_CHANNELS, FIRST_CHANNELS, CHANNEL_MULT)
    print("UNet params:", network.count_params())

    ds = (tf.data.Dataset.from_tensor_slices(toy_images(NUM_TRAIN))
          .shuffle(NUM_TRAIN)
          .batch(BATCH_SIZE, drop_remainder=True)
          .prefetch(tf.data.AUTOTUNE))

    model = DiffusionModel(network=network, gdf_util=gdf_util, timesteps=TIMESTEPS)
    model.compile(loss=keras.losses.MeanSquaredError(),
                  optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE))
    model.fit(ds, epochs=1, verbose=2)

    generated = model.generate_images(num_images=4)
    generated = tf.clip_by_value(generated * 127.5 + 127.5, 0.0, 255.0)
    generated = tf.cast(generated, tf.uint8).numpy()
    print("generated:", generated.shape, "pixel range:", generated.min(), generated.max())

"""Minimal DDPM (Ho et al. 2020) on toy 32x32 images.

A small U-Net conditioned on sinusoidal timestep embeddings predicts the noise
added at step t. Trained with a custom train_step on synthetic blobs so it runs
anywhere; swap `make_dataset` for real images to get something interesting.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

# ---------------------------------------------------------------------------
# hyper-parameters
# ---------------------------------------------------------------------------
IMG_SIZE = 32
IMG_CHANNELS = 3
BATCH_SIZE = 16
NUM_SAMPLES = 64
TIMESTEPS = 100          # small for the demo, paper uses 1000
BETA_START = 1e-4
BETA_END = 0.02
EMBED_DIM = 64
WIDTHS = [32, 64]
BLOCK_DEPTH = 1
LEARNING_RATE = 2e-4
EMA_DECAY = 0.999


def make_dataset(n=NUM_SAMPLES):
    """Random gaussian blobs in [-1, 1] as stand-in images."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:IMG_SIZE, 0:IMG_SIZE].astype("float32")
    imgs = np.zeros((n, IMG_SIZE, IMG_SIZE, IMG_CHANNELS), dtype="float32")
    for i in range(n):
        cx, cy = rng.uniform(8, 24, size=2)
        r = rng.uniform(3, 8)
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r ** 2))
        color = rng.uniform(0.2, 1.0, size=IMG_CHANNELS)
        imgs[i] = blob[..., None] * color
    imgs = imgs * 2.0 - 1.0
    ds = tf.data.Dataset.from_tensor_slices(imgs)
    ds = ds.shuffle(n).batch(BATCH_SIZE, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    return ds


# ---------------------------------------------------------------------------
# noise schedule
# ---------------------------------------------------------------------------
class GaussianDiffusion:
    def __init__(self, timesteps=TIMESTEPS, beta_start=BETA_START, beta_end=BETA_END):
        self.timesteps = timesteps
        betas = np.linspace(beta_start, beta_end, timesteps, dtype=np.float64)
        alphas = 1.0 - betas
        alphas_cumprod = np.cumprod(alphas, axis=0)
        alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])

        self.betas = tf.constant(betas, dtype=tf.float32)
        self.alphas_cumprod = tf.constant(alphas_cumprod, dtype=tf.float32)
        self.sqrt_alphas_cumprod = tf.constant(np.sqrt(alphas_cumprod), dtype=tf.float32)
        self.sqrt_one_minus_alphas_cumprod = tf.constant(
            np.sqrt(1.0 - alphas_cumprod), dtype=tf.float32
        )
        self.sqrt_recip_alphas = tf.constant(np.sqrt(1.0 / alphas), dtype=tf.float32)
        posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
        self.posterior_variance = tf.constant(posterior_variance, dtype=tf.float32)

    @staticmethod
    def _extract(a, t, x_shape):
        """Gather a[t] and reshape to broadcast against a batch of images."""
        batch_size = tf.shape(t)[0]
        out = tf.gather(a, t)
        return tf.reshape(out, [batch_size, 1, 1, 1])

    def q_sample(self, x_start, t, noise):
        sqrt_ac = self._extract(self.sqrt_alphas_cumprod, t, tf.shape(x_start))
        sqrt_om = self._extract(self.sqrt_one_minus_alphas_cumprod, t, tf.shape(x_start))
        return sqrt_ac * x_start + sqrt_om * noise

    def p_sample(self, model, x, t_int):
        """One reverse step x_t -> x_{t-1}. t_int is a python int."""
        batch = tf.shape(x)[0]
        t = tf.fill([batch], t_int)
        eps = model([x, t], training=False)
        betas_t = self._extract(self.betas, t, tf.shape(x))
        sqrt_om = self._extract(self.sqrt_one_minus_alphas_cumprod, t, tf.shape(x))
        sqrt_recip = self._extract(self.sqrt_recip_alphas, t, tf.shape(x))
        mean = sqrt_recip * (x - betas_t * eps / sqrt_om)
        if t_int == 0:
            return mean
        var = self._extract(self.posterior_variance, t, tf.shape(x))
        return mean + tf.sqrt(var) * tf.random.normal(tf.shape(x))


# ---------------------------------------------------------------------------
# network
# ---------------------------------------------------------------------------
class SinusoidalTimeEmbedding(layers.Layer):
    """Transformer-style positional encoding of the integer timestep."""

    def __init__(self, dim, max_period=10000.0, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.max_period = max_period

    def call(self, t):
        half = self.dim // 2
        freqs = ops.exp(
            -math.log(self.max_period) * ops.arange(0, half, dtype="float32") / half
        )
        args = ops.cast(t, "float32")[:, None] * freqs[None, :]
        emb = ops.concatenate([ops.sin(args), ops.cos(args)], axis=-1)
        return emb

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"dim": self.dim, "max_period": self.max_period})
        return cfg


def residual_block(width):
    def apply(x, temb):
        in_ch = x.shape[-1]
        residual = x if in_ch == width else layers.Conv2D(width, 1)(x)
        h = layers.GroupNormalization(groups=8)(x)
        h = layers.Activation("swish")(h)
        # bias is redundant right before a normalisation layer
        h = layers.Conv2D(width, 3, padding="same", use_bias=False)(h)
        # inject timestep: project and broadcast over H, W
        t = layers.Dense(width)(layers.Activation("swish")(temb))
        t = layers.Reshape((1, 1, width))(t)
        h = layers.Add()([h, t])
        h = layers.GroupNormalization(groups=8)(h)
        h = layers.Activation("swish")(h)
        h = layers.Conv2D(width, 3, padding="same")(h)
        return layers.Add()([h, residual])

    return apply


def build_unet(img_size=IMG_SIZE, channels=IMG_CHANNELS, widths=WIDTHS, block_depth=BLOCK_DEPTH):
    image_in = keras.Input(shape=(img_size, img_size, channels), name="noisy_images")
    time_in = keras.Input(shape=(), dtype="int32", name="timesteps")

    temb = SinusoidalTimeEmbedding(EMBED_DIM)(time_in)
    temb = layers.Dense(EMBED_DIM * 4, activation="swish")(temb)
    temb = layers.Dense(EMBED_DIM * 4)(temb)

    x = layers.Conv2D(widths[0], 3, padding="same")(image_in)
    skips = []
    for i, w in enumerate(widths):
        for _ in range(block_depth):
            x = residual_block(w)(x, temb)
            skips.append(x)
        if i < len(widths) - 1:
            x = layers.AveragePooling2D(2)(x)

    x = residual_block(widths[-1])(x, temb)

    for i, w in reversed(list(enumerate(widths))):
        for _ in range(block_depth):
            x = layers.Concatenate()([x, skips.pop()])
            x = residual_block(w)(x, temb)
        if i > 0:
            x = layers.UpSampling2D(2, interpolation="nearest")(x)

    x = layers.GroupNormalization(groups=8)(x)
    x = layers.Activation("swish")(x)
    out = layers.Conv2D(channels, 3, padding="same", kernel_initializer="zeros")(x)
    return keras.Model([image_in, time_in], out, name="ddpm_unet")


class DiffusionModel(keras.Model):
    def __init__(self, network, diffusion, ema_decay=EMA_DECAY, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.ema_network = keras.models.clone_model(network)
        self.ema_network.set_weights(network.get_weights())
        self.diffusion = diffusion
        self.ema_decay = ema_decay
        self.loss_tracker = keras.metrics.Mean(name="noise_loss")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, images):
        batch = tf.shape(images)[0]
        t = tf.random.uniform([batch], 0, self.diffusion.timesteps, dtype=tf.int32)
        noise = tf.random.normal(tf.shape(images))
        noisy = self.diffusion.q_sample(images, t, noise)

        with tf.GradientTape() as tape:
            pred_noise = self.network([noisy, t], training=True)
            loss = tf.reduce_mean(tf.square(noise - pred_noise))

        grads = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.network.trainable_weights))

        for w, ema_w in zip(self.network.weights, self.ema_network.weights):
            ema_w.assign(self.ema_decay * ema_w + (1.0 - self.ema_decay) * w)

        self.loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    def generate(self, num_images, steps=None):
        x = tf.random.normal((num_images, IMG_SIZE, IMG_SIZE, IMG_CHANNELS))
        steps = steps or self.diffusion.timesteps
        for t in reversed(range(steps)):
            x = self.diffusion.p_sample(self.ema_network, x, t)
        return tf.clip_by_value(x, -1.0, 1.0)


def main():
    tf.random.set_seed(42)
    ds = make_dataset()
    unet = build_unet()
    unet.summary(line_length=100, print_fn=lambda s: None)  # keep logs short
    print("U-Net params:", unet.count_params())

    model = DiffusionModel(unet, GaussianDiffusion())
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate=LEARNING_RATE, weight_decay=1e-4))
    history = model.fit(ds, epochs=1, verbose=2)
    print("final loss:", history.history["noise_loss"][-1])

    # sampling with only a handful of reverse steps to keep the demo fast
    samples = model.generate(num_images=4, steps=5)
    print("samples:", samples.shape, "range", float(tf.reduce_min(samples)), float(tf.reduce_max(samples)))


if __name__ == "__main__":
    main()

"""Minimal DDPM (Ho et al., 2020) on toy 16x16 images.

A small UNet with sinusoidal timestep embeddings predicts the noise that was
added at a random diffusion step. Training is done through a subclassed
keras.Model with a custom train_step; sampling runs the full reverse chain
(with a shortened schedule so it finishes quickly on CPU).
"""
import math

import numpy as np
import keras
from keras import layers, ops
import tensorflow as tf

# ---------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------
IMG_SIZE = 16
IMG_CHANNELS = 3
BATCH_SIZE = 8
NUM_SAMPLES = 64
TIMESTEPS = 20          # the paper uses 1000; 20 is plenty for a smoke run
BETA_START = 1e-4
BETA_END = 0.02
TIME_EMB_DIM = 32
WIDTHS = [16, 32]         # channels per UNet resolution
NUM_GROUPS = 8
LEARNING_RATE = 2e-4
EPOCHS = 1

keras.utils.set_random_seed(42)


# ---------------------------------------------------------------------------
# Noise schedule
# ---------------------------------------------------------------------------
class GaussianDiffusion:
    """Holds the linear beta schedule and the q(x_t | x_0) / p(x_{t-1} | x_t) math."""

    def __init__(self, beta_start=BETA_START, beta_end=BETA_END, timesteps=TIMESTEPS,
                 clip_min=-1.0, clip_max=1.0):
        self.timesteps = timesteps
        self.clip_min = clip_min
        self.clip_max = clip_max

        betas = np.linspace(beta_start, beta_end, timesteps, dtype=np.float64)
        alphas = 1.0 - betas
        alphas_cumprod = np.cumprod(alphas, axis=0)
        alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])

        self.betas = tf.constant(betas, dtype=tf.float32)
        self.alphas_cumprod = tf.constant(alphas_cumprod, dtype=tf.float32)
        self.sqrt_alphas_cumprod = tf.constant(np.sqrt(alphas_cumprod), dtype=tf.float32)
        self.sqrt_one_minus_alphas_cumprod = tf.constant(
            np.sqrt(1.0 - alphas_cumprod), dtype=tf.float32)
        self.sqrt_recip_alphas_cumprod = tf.constant(
            np.sqrt(1.0 / alphas_cumprod), dtype=tf.float32)
        self.sqrt_recipm1_alphas_cumprod = tf.constant(
            np.sqrt(1.0 / alphas_cumprod - 1), dtype=tf.float32)

        posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
        self.posterior_variance = tf.constant(posterior_variance, dtype=tf.float32)
        self.posterior_log_variance_clipped = tf.constant(
            np.log(np.maximum(posterior_variance, 1e-20)), dtype=tf.float32)
        self.posterior_mean_coef1 = tf.constant(
            betas * np.sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod), dtype=tf.float32)
        self.posterior_mean_coef2 = tf.constant(
            (1.0 - alphas_cumprod_prev) * np.sqrt(alphas) / (1.0 - alphas_cumprod),
            dtype=tf.float32)

    @staticmethod
    def _extract(a, t, x_shape):
        """Gather a[t] and reshape to (batch, 1, 1, 1) for broadcasting."""
        batch_size = x_shape[0]
        out = tf.gather(a, t)
        return tf.reshape(out, [batch_size, 1, 1, 1])

    def q_sample(self, x_start, t, noise):
        x_shape = tf.shape(x_start)
        return (self._extract(self.sqrt_alphas_cumprod, t, x_shape) * x_start
                + self._extract(self.sqrt_one_minus_alphas_cumprod, t, x_shape) * noise)

    def predict_start_from_noise(self, x_t, t, noise):
        x_shape = tf.shape(x_t)
        return (self._extract(self.sqrt_recip_alphas_cumprod, t, x_shape) * x_t
                - self._extract(self.sqrt_recipm1_alphas_cumprod, t, x_shape) * noise)

    def q_posterior(self, x_start, x_t, t):
        x_shape = tf.shape(x_t)
        mean = (self._extract(self.posterior_mean_coef1, t, x_shape) * x_start
                + self._extract(self.posterior_mean_coef2, t, x_shape) * x_t)
        log_var = self._extract(self.posterior_log_variance_clipped, t, x_shape)
        return mean, log_var

    def p_sample(self, pred_noise, x, t):
        x_recon = self.predict_start_from_noise(x, t, pred_noise)
        x_recon = tf.clip_by_value(x_recon, self.clip_min, self.clip_max)
        model_mean, model_log_variance = self.q_posterior(x_recon, x, t)
        noise = tf.random.normal(shape=tf.shape(x), dtype=x.dtype)
        # no noise when t == 0
        nonzero_mask = tf.reshape(1.0 - tf.cast(tf.equal(t, 0), tf.float32),
                                  [tf.shape(x)[0], 1, 1, 1])
        return model_mean + nonzero_mask * tf.exp(0.5 * model_log_variance) * noise


# ---------------------------------------------------------------------------
# UNet building blocks
# ---------------------------------------------------------------------------
class TimeEmbedding(layers.Layer):
    """Transformer-style sinusoidal embedding of the integer timestep."""

    def __init__(self, dim, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.half_dim = dim // 2
        emb = math.log(10000) / (self.half_dim - 1)
        self.freqs = ops.exp(ops.arange(self.half_dim, dtype="float32") * -emb)

    def call(self, inputs):
        inputs = ops.cast(inputs, dtype="float32")
        emb = inputs[:, None] * self.freqs[None, :]
        return ops.concatenate([ops.sin(emb), ops.cos(emb)], axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"dim": self.dim})
        return config


def kernel_init(scale):
    scale = max(scale, 1e-10)
    return keras.initializers.VarianceScaling(scale, mode="fan_avg", distribution="uniform")


def ResidualBlock(width, groups=NUM_GROUPS, activation_fn=keras.activations.swish):
    def apply(inputs):
        x, t = inputs
        input_width = x.shape[-1]

        if input_width == width:
            residual = x
        else:
            residual = layers.Conv2D(width, kernel_size=1,
                                     kernel_initializer=kernel_init(1.0))(x)

        temb = activation_fn(t)
        temb = layers.Dense(width, kernel_initializer=kernel_init(1.0))(temb)[:, None, None, :]

        x = layers.GroupNormalization(groups=groups)(x)
        x = activation_fn(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same",
                          kernel_initializer=kernel_init(1.0))(x)

        x = layers.Add()([x, temb])
        x = layers.GroupNormalization(groups=groups)(x)
        x = activation_fn(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same",
                          kernel_initializer=kernel_init(0.0))(x)
        x = layers.Add()([x, residual])
        return x

    return apply


class AttentionBlock(layers.Layer):
    """Single-head spatial self-attention used at the lowest resolution."""

    def __init__(self, units, groups=NUM_GROUPS, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.groups = groups
        self.norm = layers.GroupNormalization(groups=groups)
        self.query = layers.Dense(units, kernel_initializer=kernel_init(1.0))
        self.key = layers.Dense(units, kernel_initializer=kernel_init(1.0))
        self.value = layers.Dense(units, kernel_initializer=kernel_init(1.0))
        self.proj = layers.Dense(units, kernel_initializer=kernel_init(0.0))

    def call(self, inputs):
        batch_size = ops.shape(inputs)[0]
        height = ops.shape(inputs)[1]
        width = ops.shape(inputs)[2]
        scale = ops.cast(self.units, "float32") ** (-0.5)

        x = self.norm(inputs)
        q = self.query(x)
        k = self.key(x)
        v = self.value(x)

        attn_score = ops.einsum("bhwc,bHWc->bhwHW", q, k) * scale
        attn_score = ops.reshape(attn_score, [batch_size, height, width, height * width])
        attn_score = ops.softmax(attn_score, axis=-1)
        attn_score = ops.reshape(attn_score, [batch_size, height, width, height, width])

        out = ops.einsum("bhwHW,bHWc->bhwc", attn_score, v)
        out = self.proj(out)
        return inputs + out


def DownSample(width):
    def apply(x):
        return layers.Conv2D(width, kernel_size=3, strides=2, padding="same",
                             kernel_initializer=kernel_init(1.0))(x)
    return apply


def UpSample(width, interpolation="nearest"):
    def apply(x):
        x = layers.UpSampling2D(size=2, interpolation=interpolation)(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same",
                          kernel_initializer=kernel_init(1.0))(x)
        return x
    return apply


def TimeMLP(units, activation_fn=keras.activations.swish):
    def apply(inputs):
        temb = layers.Dense(units, activation=activation_fn,
                            kernel_initializer=kernel_init(1.0))(inputs)
        temb = layers.Dense(units, kernel_initializer=kernel_init(1.0))(temb)
        return temb
    return apply


def build_unet(img_size, img_channels, widths, has_attention, num_res_blocks=1,
               norm_groups=NUM_GROUPS, interpolation="nearest",
               activation_fn=keras.activations.swish):
    image_input = layers.Input(shape=(img_size, img_size, img_channels), name="image_input")
    time_input = keras.Input(shape=(), dtype="int64", name="time_input")

    x = layers.Conv2D(widths[0], kernel_size=(3, 3), padding="same",
                      kernel_initializer=kernel_init(1.0))(image_input)

    temb = TimeEmbedding(dim=TIME_EMB_DIM)(time_input)
    temb = TimeMLP(units=TIME_EMB_DIM * 4, activation_fn=activation_fn)(temb)

    skips = [x]

    # Down path
    for i in range(len(widths)):
        for _ in range(num_res_blocks):
            x = ResidualBlock(widths[i], groups=norm_groups, activation_fn=activation_fn)([x, temb])
            if has_attention[i]:
                x = AttentionBlock(widths[i], groups=norm_groups)(x)
            skips.append(x)

        if widths[i] != widths[-1]:
            x = DownSample(widths[i])(x)
            skips.append(x)

    # Middle
    x = ResidualBlock(widths[-1], groups=norm_groups, activation_fn=activation_fn)([x, temb])
    x = AttentionBlock(widths[-1], groups=norm_groups)(x)
    x = ResidualBlock(widths[-1], groups=norm_groups, activation_fn=activation_fn)([x, temb])

    # Up path
    for i in reversed(range(len(widths))):
        for _ in range(num_res_blocks + 1):
            x = layers.Concatenate(axis=-1)([x, skips.pop()])
            x = ResidualBlock(widths[i], groups=norm_groups, activation_fn=activation_fn)([x, temb])
            if has_attention[i]:
                x = AttentionBlock(widths[i], groups=norm_groups)(x)

        if i != 0:
            x = UpSample(widths[i], interpolation=interpolation)(x)

    # End block
    x = layers.GroupNormalization(groups=norm_groups)(x)
    x = activation_fn(x)
    x = layers.Conv2D(img_channels, (3, 3), padding="same", kernel_initializer=kernel_init(0.0))(x)
    return keras.Model([image_input, time_input], x, name="unet")


# ---------------------------------------------------------------------------
# Diffusion model wrapper
# ---------------------------------------------------------------------------
class DiffusionModel(keras.Model):
    def __init__(self, network, ema_network, timesteps, gdf_util, ema=0.999):
        super().__init__()
        self.network = network
        self.ema_network = ema_network
        self.timesteps = timesteps
        self.gdf_util = gdf_util
        self.ema = ema
        self.noise_loss = keras.losses.MeanSquaredError()
        self.loss_tracker = keras.metrics.Mean(name="noise_mse")

    @property
    def metrics(self):
        return [self.loss_tracker]

    def train_step(self, images):
        batch_size = tf.shape(images)[0]
        t = tf.random.uniform(minval=0, maxval=self.timesteps, shape=(batch_size,), dtype=tf.int64)

        with tf.GradientTape() as tape:
            noise = tf.random.normal(shape=tf.shape(images), dtype=images.dtype)
            images_t = self.gdf_util.q_sample(images, t, noise)
            pred_noise = self.network([images_t, t], training=True)
            loss = self.noise_loss(noise, pred_noise)

        gradients = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.network.trainable_weights))

        # EMA update of the weights used for sampling
        for weight, ema_weight in zip(self.network.weights, self.ema_network.weights):
            ema_weight.assign(self.ema * ema_weight + (1 - self.ema) * weight)

        self.loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    @tf.function
    def _denoise_step(self, samples, tt):
        pred_noise = self.ema_network([samples, tt], training=False)
        return self.gdf_util.p_sample(pred_noise, samples, tt)

    def generate_images(self, num_images=4):
        samples = tf.random.normal(shape=(num_images, IMG_SIZE, IMG_SIZE, IMG_CHANNELS))
        for t in reversed(range(0, self.timesteps)):
            tt = tf.cast(tf.fill([num_images], t), dtype=tf.int64)
            samples = self._denoise_step(samples, tt)
        return samples


def make_toy_dataset(n, size, channels):
    """Blurry coloured blobs in [-1, 1] as a stand-in for a real image set."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32") / size
    imgs = []
    rng = np.random.default_rng(0)
    for _ in range(n):
        cx, cy = rng.uniform(0.2, 0.8, size=2)
        r = rng.uniform(0.1, 0.3)
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r ** 2))
        colour = rng.uniform(-1, 1, size=channels)
        imgs.append(blob[..., None] * colour[None, None, :])
    return np.clip(np.stack(imgs), -1.0, 1.0).astype("float32")


def main():
    x_train = make_toy_dataset(NUM_SAMPLES, IMG_SIZE, IMG_CHANNELS)
    train_ds = (tf.data.Dataset.from_tensor_slices(x_train)
                .shuffle(NUM_SAMPLES)
                .batch(BATCH_SIZE, drop_remainder=True)
                .prefetch(tf.data.AUTOTUNE))

    has_attention = [False, True]
    network = build_unet(IMG_SIZE, IMG_CHANNELS, WIDTHS, has_attention)
    ema_network = build_unet(IMG_SIZE, IMG_CHANNELS, WIDTHS, has_attention)
    ema_network.set_weights(network.get_weights())
    print("UNet params:", network.count_params())

    gdf_util = GaussianDiffusion(timesteps=TIMESTEPS)
    model = DiffusionModel(network=network, ema_network=ema_network,
                           gdf_util=gdf_util, timesteps=TIMESTEPS)
    # XLA compilation of the whole UNet step is slow on CPU; plain graph mode is fine here
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE), jit_compile=False)

    history = model.fit(train_ds, epochs=EPOCHS, steps_per_epoch=2, verbose=2)
    print("final loss:", history.history["noise_mse"][-1])

    samples = model.generate_images(num_images=2)
    samples = ((samples + 1.0) * 127.5).numpy().clip(0, 255).astype("uint8")
    print("generated:", samples.shape, samples.dtype)


if __name__ == "__main__":
    main()

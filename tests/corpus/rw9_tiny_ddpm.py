'''
tiny DDPM (denoising diffusion probabilistic model) - toy version.

- linear beta schedule computed in numpy
- sinusoidal timestep embedding as a custom layer
- very small U-Net (2 down / 2 up) conditioned on t
- DiffusionModel(tf.keras.Model) with custom train_step (predict the noise, MSE)
- a few reverse sampling steps at the end
Data is random 16x16x3 "images" so this runs in seconds on CPU.
'''
import math
import numpy as np
import tensorflow as tf

L = tf.keras.layers

IMG_SIZE = 16
CH = 3
T = 100  # diffusion steps (small on purpose)
BATCH = 8

# ---------------- noise schedule (numpy) ----------------
betas = np.linspace(1e-4, 0.02, T, dtype=np.float64)
alphas = 1.0 - betas
alphas_cumprod = np.cumprod(alphas, axis=0)
alphas_cumprod_prev = np.append(1.0, alphas_cumprod[:-1])
sqrt_ac = np.sqrt(alphas_cumprod)
sqrt_one_minus_ac = np.sqrt(1.0 - alphas_cumprod)
posterior_var = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)

# constant tensors we gather from inside train_step
sqrt_ac_t = tf.constant(sqrt_ac, dtype=tf.float32)
sqrt_1m_ac_t = tf.constant(sqrt_one_minus_ac, dtype=tf.float32)


class SinusoidalEmbedding(L.Layer):
    def __init__(self, dim=32, **kw):
        super().__init__(**kw)
        self.dim = dim

    def call(self, t):
        half = self.dim // 2
        freqs = tf.exp(-math.log(10000.0) * tf.range(half, dtype=tf.float32) / (half - 1))
        t = tf.cast(t, tf.float32)
        args = t[:, None] * freqs[None, :]
        return tf.concat([tf.sin(args), tf.cos(args)], axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"dim": self.dim})
        return cfg


def res_block(x, temb, width):
    h = L.GroupNormalization(groups=8)(x) if x.shape[-1] % 8 == 0 else x
    h = L.Activation("swish")(h)
    h = L.Conv2D(width, 3, padding="same")(h)
    t = L.Dense(width)(L.Activation("swish")(temb))
    h = h + t[:, None, None, :]
    h = L.Activation("swish")(L.GroupNormalization(groups=8)(h))
    h = L.Conv2D(width, 3, padding="same")(h)
    if x.shape[-1] != width:
        x = L.Conv2D(width, 1)(x)
    return L.Add()([x, h])


def build_unet(widths=(16, 32)):
    img_in = tf.keras.Input((IMG_SIZE, IMG_SIZE, CH), name="noisy_image")
    t_in = tf.keras.Input((), dtype="int32", name="timestep")

    temb = SinusoidalEmbedding(32)(t_in)
    temb = L.Dense(64, activation="swish")(temb)
    temb = L.Dense(64)(temb)

    x = L.Conv2D(widths[0], 3, padding="same")(img_in)
    skips = []
    for w in widths:
        x = res_block(x, temb, w)
        skips.append(x)
        x = L.AveragePooling2D(pool_size=2)(x)

    x = res_block(x, temb, widths[-1])  # bottleneck

    for w in reversed(widths):
        x = L.UpSampling2D(interpolation="nearest")(x)
        x = L.Concatenate()([x, skips.pop()])
        x = res_block(x, temb, w)

    out = L.Conv2D(CH, 3, padding="same", kernel_initializer="zeros")(x)
    return tf.keras.Model([img_in, t_in], out, name="tiny_unet")


class DiffusionModel(tf.keras.Model):
    def __init__(self, network, **kwargs):
        super().__init__(**kwargs)
        self.network = network
        self.noise_loss_tracker = tf.keras.metrics.Mean(name="n_loss")

    @property
    def metrics(self):
        return [self.noise_loss_tracker]

    def q_sample(self, x0, t, noise):
        a = tf.gather(sqrt_ac_t, t)[:, None, None, None]
        b = tf.gather(sqrt_1m_ac_t, t)[:, None, None, None]
        return a * x0 + b * noise

    def train_step(self, images):
        bs = tf.shape(images)[0]
        t = tf.random.uniform((bs,), minval=0, maxval=T, dtype=tf.int32)
        noise = tf.random.normal(tf.shape(images))
        noisy = self.q_sample(images, t, noise)
        with tf.GradientTape() as tape:
            pred_noise = self.network([noisy, t], training=True)
            loss = tf.reduce_mean(tf.square(noise - pred_noise))
        grads = tape.gradient(loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.network.trainable_weights))
        self.noise_loss_tracker.update_state(loss)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, images):
        bs = tf.shape(images)[0]
        t = tf.random.uniform((bs,), minval=0, maxval=T, dtype=tf.int32)
        noise = tf.random.normal(tf.shape(images))
        pred_noise = self.network([self.q_sample(images, t, noise), t], training=False)
        self.noise_loss_tracker.update_state(tf.reduce_mean(tf.square(noise - pred_noise)))
        return {m.name: m.result() for m in self.metrics}

    def sample(self, n, steps=None):
        x = tf.random.normal((n, IMG_SIZE, IMG_SIZE, CH))
        steps = steps or T
        for i in reversed(range(T - steps, T)):
            tt = tf.fill((n,), i)
            eps = self.network([x, tt], training=False)
            coef = betas[i] / sqrt_one_minus_ac[i]
            mean = (x - coef * eps) / np.sqrt(alphas[i])
            if i > 0:
                x = mean + np.sqrt(posterior_var[i]) * tf.random.normal(tf.shape(x))
            else:
                x = mean
        return tf.clip_by_value(x, -1.0, 1.0)


if __name__ == "__main__":
    data = np.random.uniform(-1, 1, size=(48, IMG_SIZE, IMG_SIZE, CH)).astype("float32")
    train_ds = tf.data.Dataset.from_tensor_slices(data[:40]).batch(BATCH, drop_remainder=True)
    val_ds = tf.data.Dataset.from_tensor_slices(data[40:]).batch(BATCH)

    unet = build_unet()
    unet.summary()

    model = DiffusionModel(unet)
    model.compile(optimizer=tf.keras.optimizers.AdamW(learning_rate=2e-4, weight_decay=1e-4))
    hist = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
    print(hist.history)

    samples = model.sample(2, steps=5)  # only last few steps, just a smoke test
    print("samples:", samples.shape, float(tf.reduce_mean(samples)))

"""Convolutional VAE, Keras 3 style.

Instead of a backend-specific `train_step` with GradientTape, the KL term is
added inside `compute_loss`, which keeps the model backend agnostic. The
reparameterization trick uses `keras.random.normal` with a SeedGenerator.
Data: synthetic 16x16 "blob" images.
"""
import numpy as np
import keras
from keras import layers, ops

IMG = 16
LATENT_DIM = 4
BATCH_SIZE = 32
EPOCHS = 2
BETA = 0.5


class Sampling(layers.Layer):
    """z = mu + sigma * eps, eps ~ N(0, I)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps


def make_encoder():
    inp = keras.Input((IMG, IMG, 1))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(x)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var",
                             kernel_initializer="zeros")(x)
    z = Sampling(seed=1337, name="z")([z_mean, z_log_var])
    return keras.Model(inp, [z_mean, z_log_var, z], name="encoder")


def make_decoder():
    lat = keras.Input((LATENT_DIM,))
    s = IMG // 4
    x = layers.Dense(s * s * 32, activation="relu")(lat)
    x = layers.Reshape((s, s, 32))(x)
    x = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(x)
    out = layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model(lat, out, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.recon_tracker = keras.metrics.Mean(name="recon")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def call(self, x, training=False):
        z_mean, z_log_var, z = self.encoder(x, training=training)
        recon = self.decoder(z, training=training)
        # stash for compute_loss; these are symbolic/eager tensors per step
        self._last_stats = (z_mean, z_log_var)
        return recon

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                     training=True):
        z_mean, z_log_var = self._last_stats
        # per-pixel BCE summed over the image, averaged over batch
        bce = keras.losses.binary_crossentropy(
            ops.expand_dims(x, -1), ops.expand_dims(y_pred, -1))
        recon = ops.mean(ops.sum(bce, axis=(1, 2, 3)))
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl = ops.mean(ops.sum(kl, axis=1))
        self.recon_tracker.update_state(recon)
        self.kl_tracker.update_state(kl)
        return recon + self.beta * kl

    @property
    def metrics(self):
        return [self.recon_tracker, self.kl_tracker]


def blob_images(n, rng):
    yy, xx = np.mgrid[0:IMG, 0:IMG].astype("float32")
    cx = rng.uniform(3, IMG - 3, size=(n, 1, 1))
    cy = rng.uniform(3, IMG - 3, size=(n, 1, 1))
    r = rng.uniform(1.5, 4.0, size=(n, 1, 1))
    d2 = (xx[None] - cx) ** 2 + (yy[None] - cy) ** 2
    imgs = np.exp(-d2 / (2 * r ** 2))
    return imgs[..., None].astype("float32")


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    data = blob_images(320, rng)
    print("data:", data.shape, data.dtype, f"[{data.min():.2f}, {data.max():.2f}]")

    encoder, decoder = make_encoder(), make_decoder()
    encoder.summary()
    decoder.summary()

    vae = VAE(encoder, decoder, beta=BETA)
    vae.compile(optimizer=keras.optimizers.Adam(2e-3))
    history = vae.fit(data, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)

    # interpolate between two encoded images in latent space
    z_a = encoder.predict(data[:1], verbose=0)[0]
    z_b = encoder.predict(data[1:2], verbose=0)[0]
    alphas = ops.reshape(ops.linspace(0.0, 1.0, 5), (-1, 1))
    z_path = (1.0 - alphas) * z_a + alphas * z_b
    frames = decoder.predict(z_path, verbose=0)
    print("interpolation frames:", frames.shape)

    # random draws from the prior
    prior = keras.random.normal((8, LATENT_DIM), seed=3)
    samples = ops.convert_to_numpy(decoder(prior))
    print("prior samples:", samples.shape, "mean pixel:", round(float(samples.mean()), 4))

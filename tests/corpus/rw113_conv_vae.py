"""Convolutional VAE on synthetic 28x28 "blob" images.

Custom Sampling layer (reparameterization trick) + a keras.Model subclass
that overrides train_step / test_step so that the KL term and the
reconstruction loss are tracked separately.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
IMG_SIZE = 28
LATENT_DIM = 8
BATCH_SIZE = 32
N_SAMPLES = 320
EPOCHS = 2
BETA = 1.0

tf.random.set_seed(SEED)
rng = np.random.default_rng(SEED)


def make_blob_images(n, size=IMG_SIZE):
    """Gaussian blobs at random positions/widths -> values in [0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    cx = rng.uniform(6, size - 6, size=(n, 1, 1)).astype("float32")
    cy = rng.uniform(6, size - 6, size=(n, 1, 1)).astype("float32")
    sigma = rng.uniform(2.0, 5.0, size=(n, 1, 1)).astype("float32")
    imgs = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma ** 2))
    imgs += rng.normal(0, 0.03, size=imgs.shape).astype("float32")
    return np.clip(imgs, 0.0, 1.0)[..., None].astype("float32")


class Sampling(layers.Layer):
    """z = mu + exp(0.5 * log_var) * eps."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_gen = keras.random.SeedGenerator(SEED)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(tf.shape(z_mean), seed=self.seed_gen)
        return z_mean + tf.exp(0.5 * z_log_var) * eps


def build_encoder(latent_dim=LATENT_DIM):
    inp = keras.Input(shape=(IMG_SIZE, IMG_SIZE, 1), name="image")
    x = inp
    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling(name="z")([z_mean, z_log_var])
    return keras.Model(inp, [z_mean, z_log_var, z], name="encoder")


def build_decoder(latent_dim=LATENT_DIM):
    latent = keras.Input(shape=(latent_dim,), name="z")
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent)
    x = layers.Reshape((7, 7, 64))(x)
    for filters in (64, 32):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
    out = layers.Conv2DTranspose(1, 3, padding="same", activation="sigmoid", name="recon")(x)
    return keras.Model(latent, out, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, beta=BETA, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.recon_tracker = keras.metrics.Mean(name="recon_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_tracker, self.recon_tracker, self.kl_tracker]

    def call(self, inputs, training=False):
        _, _, z = self.encoder(inputs, training=training)
        return self.decoder(z, training=training)

    def _compute_losses(self, x, training):
        z_mean, z_log_var, z = self.encoder(x, training=training)
        recon = self.decoder(z, training=training)
        bce = keras.losses.binary_crossentropy(x, recon)  # (B, H, W)
        recon_loss = tf.reduce_mean(tf.reduce_sum(bce, axis=(1, 2)))
        kl = -0.5 * (1 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var))
        kl_loss = tf.reduce_mean(tf.reduce_sum(kl, axis=1))
        return recon_loss, kl_loss

    def _update(self, recon_loss, kl_loss):
        total = recon_loss + self.beta * kl_loss
        self.total_tracker.update_state(total)
        self.recon_tracker.update_state(recon_loss)
        self.kl_tracker.update_state(kl_loss)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            recon_loss, kl_loss = self._compute_losses(x, training=True)
            total = recon_loss + self.beta * kl_loss
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update(recon_loss, kl_loss)

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        recon_loss, kl_loss = self._compute_losses(x, training=False)
        return self._update(recon_loss, kl_loss)


def main():
    images = make_blob_images(N_SAMPLES)
    split = int(0.8 * N_SAMPLES)
    train_ds = (
        tf.data.Dataset.from_tensor_slices(images[:split])
        .shuffle(256, seed=SEED)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices(images[split:]).batch(BATCH_SIZE)

    encoder, decoder = build_encoder(), build_decoder()
    encoder.summary()
    decoder.summary()

    vae = VAE(encoder, decoder, name="conv_vae")
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = vae.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    print({k: round(float(v[-1]), 3) for k, v in history.history.items()})

    # sample from the prior
    z = tf.random.normal((6, LATENT_DIM), seed=SEED)
    samples = decoder.predict(z, verbose=0)
    print(f"generated samples: {samples.shape}, range=({samples.min():.3f}, {samples.max():.3f})")

    # interpolate between two encodings
    z_mean, _, _ = encoder.predict(images[:2], verbose=0)
    alphas = np.linspace(0.0, 1.0, 5, dtype="float32")[:, None]
    z_path = (1 - alphas) * z_mean[0] + alphas * z_mean[1]
    interp = decoder.predict(z_path, verbose=0)
    print("interpolation mean intensity per step:", [f"{m:.3f}" for m in interp.mean(axis=(1, 2, 3))])


if __name__ == "__main__":
    main()

"""Dense VAE on synthetic 'blob' images.

Sampling layer with the reparameterization trick, KL term added with
self.add_loss inside the encoder's call, and a custom train_step that
tracks reconstruction / KL separately.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 16
LATENT_DIM = 4
N_SAMPLES = 512
BATCH_SIZE = 64
EPOCHS = 2
SEED = 7

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_blob_images(n, size=IMG_SIZE):
    """Gaussian blobs at random positions / widths, values in [0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    cx = rng.uniform(3, size - 3, size=(n, 1, 1)).astype("float32")
    cy = rng.uniform(3, size - 3, size=(n, 1, 1)).astype("float32")
    sigma = rng.uniform(1.0, 3.0, size=(n, 1, 1)).astype("float32")
    imgs = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))
    imgs += rng.normal(0, 0.03, size=imgs.shape).astype("float32")
    return np.clip(imgs, 0.0, 1.0).reshape(n, size * size).astype("float32")


class Sampling(layers.Layer):
    """z = mu + exp(0.5 * logvar) * eps"""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_gen = keras.random.SeedGenerator(seed if seed is not None else 1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(tf.shape(z_mean), seed=self.seed_gen)
        return z_mean + tf.exp(0.5 * z_log_var) * eps


class Encoder(keras.Model):
    def __init__(self, latent_dim, hidden=(128, 64), kl_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight
        self.hidden_layers = [layers.Dense(h, activation="relu", name=f"enc_dense_{i}")
                              for i, h in enumerate(hidden)]
        self.mean_head = layers.Dense(latent_dim, name="z_mean")
        self.logvar_head = layers.Dense(latent_dim, name="z_log_var")
        self.sampler = Sampling(seed=SEED)

    def call(self, x):
        h = x
        for dense in self.hidden_layers:
            h = dense(h)
        z_mean = self.mean_head(h)
        z_log_var = self.logvar_head(h)
        kl = -0.5 * tf.reduce_sum(
            1.0 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=-1
        )
        self.add_loss(self.kl_weight * tf.reduce_mean(kl))
        z = self.sampler([z_mean, z_log_var])
        return z_mean, z_log_var, z


def build_decoder(latent_dim, out_dim, hidden=(64, 128)):
    inp = keras.Input(shape=(latent_dim,), name="z")
    x = inp
    for i, h in enumerate(hidden):
        x = layers.Dense(h, activation="relu", name=f"dec_dense_{i}")(x)
    out = layers.Dense(out_dim, activation="sigmoid", name="x_hat")(x)
    return keras.Model(inp, out, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.recon_tracker = keras.metrics.Mean(name="recon")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.total_tracker, self.recon_tracker, self.kl_tracker]

    def call(self, x, training=False):
        _, _, z = self.encoder(x, training=training)
        return self.decoder(z, training=training)

    def _vae_terms(self, x, training):
        _, _, z = self.encoder(x, training=training)
        x_hat = self.decoder(z, training=training)
        recon = tf.reduce_mean(
            tf.reduce_sum(keras.losses.binary_crossentropy(
                x[..., None], x_hat[..., None]), axis=-1)
        )
        kl = tf.add_n(self.encoder.losses)
        return recon, kl

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            recon, kl = self._vae_terms(x, training=True)
            total = recon + kl
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_tracker.update_state(total)
        self.recon_tracker.update_state(recon)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        recon, kl = self._vae_terms(x, training=False)
        self.total_tracker.update_state(recon + kl)
        self.recon_tracker.update_state(recon)
        self.kl_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}


def main():
    data = make_blob_images(N_SAMPLES)
    split = int(0.85 * N_SAMPLES)
    train_ds = (tf.data.Dataset.from_tensor_slices(data[:split])
                .shuffle(split, seed=SEED)
                .batch(BATCH_SIZE)
                .prefetch(tf.data.AUTOTUNE))
    val_ds = tf.data.Dataset.from_tensor_slices(data[split:]).batch(BATCH_SIZE)

    encoder = Encoder(LATENT_DIM, kl_weight=0.5, name="encoder")
    decoder = build_decoder(LATENT_DIM, IMG_SIZE * IMG_SIZE)
    vae = VAE(encoder, decoder, name="vae")
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))

    history = vae.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)
    for k, v in history.history.items():
        print(f"{k:>12s}: {[round(float(x), 3) for x in v]}")

    # decode a grid walk along the first latent dim
    z_walk = np.zeros((5, LATENT_DIM), dtype="float32")
    z_walk[:, 0] = np.linspace(-2, 2, 5)
    samples = decoder.predict(z_walk, verbose=0).reshape(-1, IMG_SIZE, IMG_SIZE)
    print("walk sample means:", np.round(samples.mean(axis=(1, 2)), 4))

    recon = vae.predict(data[:8], verbose=0)
    mse = np.mean((recon - data[:8]) ** 2)
    print(f"reconstruction MSE on 8 samples: {mse:.5f}")


if __name__ == "__main__":
    main()

"""Project 3 (generative models): convolutional VAE on Fashion-MNIST.

Follows the Keras "Variational AutoEncoder" example structure: a Sampling
layer for the reparameterization trick, separate encoder / decoder models,
and a VAE subclass overriding train_step so the KL term is tracked
separately. Uses keras.ops throughout so it is backend-agnostic.
Fake data (random blobs) because the cluster nodes are air-gapped.
"""
import numpy as np
import keras
from keras import layers, ops
import tensorflow as tf

LATENT_DIM = 2
IMG_SHAPE = (28, 28, 1)
BATCH_SIZE = 64
EPOCHS = 1
BETA = 1.0  # beta-VAE weight on the KL term (part d asks to try 4.0)

keras.utils.set_random_seed(1337)


class Sampling(layers.Layer):
    """z = mu + sigma * eps, eps ~ N(0, I)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        batch = ops.shape(z_mean)[0]
        dim = ops.shape(z_mean)[1]
        epsilon = keras.random.normal(shape=(batch, dim), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * epsilon


def build_encoder(latent_dim):
    enc_in = keras.Input(shape=IMG_SHAPE)
    x = layers.Conv2D(32, 3, activation="relu", strides=2, padding="same")(enc_in)   # 14x14
    x = layers.Conv2D(64, 3, activation="relu", strides=2, padding="same")(x)        # 7x7
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling()([z_mean, z_log_var])
    return keras.Model(enc_in, [z_mean, z_log_var, z], name="encoder")


def build_decoder(latent_dim):
    latent_in = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_in)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", strides=2, padding="same")(x)  # 14x14
    x = layers.Conv2DTranspose(32, 3, activation="relu", strides=2, padding="same")(x)  # 28x28
    dec_out = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same")(x)
    return keras.Model(latent_in, dec_out, name="decoder")


class VAE(keras.Model):
    def __init__(self, encoder, decoder, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.recon_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.recon_loss_tracker, self.kl_loss_tracker]

    def call(self, x):
        _, _, z = self.encoder(x)
        return self.decoder(z)

    def compute_losses(self, data):
        z_mean, z_log_var, z = self.encoder(data)
        reconstruction = self.decoder(z)
        recon = ops.mean(
            ops.sum(keras.losses.binary_crossentropy(data, reconstruction), axis=(1, 2))
        )
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl = ops.mean(ops.sum(kl, axis=1))
        return recon, kl

    def train_step(self, data):
        with tf.GradientTape() as tape:
            recon, kl = self.compute_losses(data)
            total = recon + self.beta * kl
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.total_loss_tracker.update_state(total)
        self.recon_loss_tracker.update_state(recon)
        self.kl_loss_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        recon, kl = self.compute_losses(data)
        self.total_loss_tracker.update_state(recon + self.beta * kl)
        self.recon_loss_tracker.update_state(recon)
        self.kl_loss_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}


def fake_fashion(n):
    """Gaussian blobs at random positions -- vaguely clothing-like, in [0,1]."""
    yy, xx = np.mgrid[0:28, 0:28]
    cy = np.random.uniform(8, 20, size=(n, 1, 1))
    cx = np.random.uniform(8, 20, size=(n, 1, 1))
    s = np.random.uniform(3, 7, size=(n, 1, 1))
    imgs = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s ** 2))
    return imgs[..., None].astype("float32")


if __name__ == "__main__":
    x_train = fake_fashion(1024)
    x_test = fake_fashion(128)
    print("data:", x_train.shape, x_train.min(), x_train.max())

    encoder = build_encoder(LATENT_DIM)
    decoder = build_decoder(LATENT_DIM)
    encoder.summary()
    decoder.summary()

    vae = VAE(encoder, decoder, beta=BETA)
    vae.compile(optimizer=keras.optimizers.Adam())
    vae.fit(x_train, epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)
    print("test:", vae.evaluate(x_test, batch_size=BATCH_SIZE, verbose=0, return_dict=True))

    # (e) decode a 5x5 grid over the 2-D latent space, stitch into one image
    n, digit_size = 5, 28
    grid_x = np.linspace(-2, 2, n)
    grid_y = np.linspace(-2, 2, n)[::-1]
    zs = np.array([[xi, yi] for yi in grid_y for xi in grid_x], dtype="float32")
    decoded = ops.convert_to_numpy(decoder.predict(zs, verbose=0))   # (25, 28, 28, 1)
    canvas = decoded[..., 0].reshape(n, n, digit_size, digit_size)
    canvas = canvas.transpose(0, 2, 1, 3).reshape(n * digit_size, n * digit_size)
    print("latent grid canvas:", canvas.shape)

    # (f) encode the test set; the means should be roughly N(0, 1)
    z_mean, z_log_var, _ = encoder.predict(x_test, verbose=0)
    print("z_mean mean/std:", z_mean.mean(axis=0), z_mean.std(axis=0))

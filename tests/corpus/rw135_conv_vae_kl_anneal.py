#!/usr/bin/env python
# Convolutional VAE built with the functional API.
# The KL term is injected by a pass-through layer that calls self.add_loss()
# inside call(); the reconstruction loss is the normal compile() loss, so
# plain model.fit(x, x) works.  A callback anneals the KL weight (beta).

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SIZE = 24
CHANNELS = 1
LATENT = 6
FILTERS = [16, 32]
BATCH = 48
EPOCHS = 2
WARMUP_EPOCHS = 2
MAX_BETA = 1.0

keras.utils.set_random_seed(11)


def ring_images(n, size=SIZE):
    """Annuli with random radius / thickness / center."""
    yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    out = np.empty((n, size, size, 1), np.float32)
    for i in range(n):
        cy, cx = np.random.uniform(8, size - 8, 2)
        rad = np.random.uniform(3, 7)
        thick = np.random.uniform(1.0, 2.5)
        d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
        out[i, ..., 0] = (np.abs(d - rad) < thick).astype(np.float32)
    return out


class KLDivergenceLayer(layers.Layer):
    """Identity on (mu, logvar) that registers beta * KL(q||N(0,I)) as a loss."""

    def __init__(self, beta_var, **kwargs):
        super().__init__(**kwargs)
        self.beta_var = beta_var

    def call(self, inputs):
        mu, log_var = inputs
        kl_per_sample = -0.5 * ops.sum(1 + log_var - ops.square(mu) - ops.exp(log_var), axis=-1)
        self.add_loss(self.beta_var * ops.mean(kl_per_sample))
        return mu, log_var


class Reparameterize(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed = keras.random.SeedGenerator(99)

    def call(self, inputs):
        mu, log_var = inputs
        eps = keras.random.normal(ops.shape(mu), seed=self.seed)
        return mu + ops.exp(log_var / 2) * eps


def make_vae(beta_var):
    # encoder
    x_in = keras.Input((SIZE, SIZE, CHANNELS), name="image")
    h = x_in
    for f in FILTERS:
        h = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(h)
    conv_shape = tuple(h.shape[1:])
    h = layers.Flatten()(h)
    h = layers.Dense(64, activation="relu")(h)
    mu = layers.Dense(LATENT, name="mu")(h)
    log_var = layers.Dense(LATENT, name="log_var")(h)
    mu, log_var = KLDivergenceLayer(beta_var, name="kl")([mu, log_var])
    z = Reparameterize(name="z")([mu, log_var])
    encoder = keras.Model(x_in, [mu, log_var, z], name="encoder")

    # decoder
    z_in = keras.Input((LATENT,), name="z_in")
    g = layers.Dense(int(np.prod(conv_shape)), activation="relu")(z_in)
    g = layers.Reshape(conv_shape)(g)
    for f in reversed(FILTERS):
        g = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")(g)
    x_out = layers.Conv2D(CHANNELS, 3, padding="same", activation="sigmoid", name="recon")(g)
    decoder = keras.Model(z_in, x_out, name="decoder")

    # full VAE
    _, _, z_full = encoder(x_in)
    vae = keras.Model(x_in, decoder(z_full), name="conv_vae")
    return vae, encoder, decoder


class BetaWarmup(keras.callbacks.Callback):
    def __init__(self, beta_var, warmup_epochs, max_beta):
        super().__init__()
        self.beta_var = beta_var
        self.warmup_epochs = warmup_epochs
        self.max_beta = max_beta

    def on_epoch_begin(self, epoch, logs=None):
        new_beta = self.max_beta * min(1.0, (epoch + 1) / self.warmup_epochs)
        self.beta_var.assign(new_beta)
        print(f"  [BetaWarmup] epoch {epoch + 1}: beta = {new_beta:.2f}")


def pixel_bce(y_true, y_pred):
    # sum over pixels, mean over batch -> same scale as the KL term
    bce = keras.losses.binary_crossentropy(y_true, y_pred)  # (B, H, W)
    return ops.sum(bce, axis=(1, 2))


if __name__ == "__main__":
    x = ring_images(400)
    x_train, x_val = x[:340], x[340:]
    print("train", x_train.shape, "val", x_val.shape, "mean pixel", round(float(x.mean()), 3))

    beta = tf.Variable(0.0, trainable=False, dtype=tf.float32, name="beta")
    vae, encoder, decoder = make_vae(beta)
    encoder.summary()

    vae.compile(optimizer=keras.optimizers.RMSprop(1e-3), loss=pixel_bce)
    vae.fit(
        x_train, x_train,
        validation_data=(x_val, x_val),
        batch_size=BATCH,
        epochs=EPOCHS,
        callbacks=[BetaWarmup(beta, WARMUP_EPOCHS, MAX_BETA)],
        verbose=2,
    )

    mu_val, logvar_val, _ = encoder.predict(x_val, verbose=0)
    active = np.sum(np.var(mu_val, axis=0) > 1e-2)
    print(f"active latent dims: {active}/{LATENT}")
    print("mean posterior sigma per dim:", np.round(np.exp(0.5 * logvar_val).mean(0), 3))

    prior_samples = decoder.predict(np.random.randn(6, LATENT).astype("float32"), verbose=0)
    print("prior sample pixel means:", [round(float(s.mean()), 3) for s in prior_samples])

"""Tiny convolutional VAE in Keras 3, KL term added via `add_loss`.

The encoder ends in a `KLSampling` layer which draws z with the
reparameterisation trick and registers the (beta-weighted) KL divergence
through `self.add_loss`, so plain `compile(loss=...)` only has to handle the
reconstruction term. Everything is serializable; at the end the whole VAE is
saved to a temp directory and the encoder / decoder are reloaded and checked.
"""
from dataclasses import dataclass, asdict
import os
import tempfile

import numpy as np
import keras
from keras import layers, ops


@dataclass
class VAEConfig:
    image_size: int = 16
    channels: int = 1
    latent_dim: int = 4
    filters: tuple = (16, 32)
    beta: float = 0.5
    batch_size: int = 32
    n_samples: int = 256
    learning_rate: float = 1e-3


@keras.saving.register_keras_serializable(package="rw79")
class KLSampling(layers.Layer):
    """z = mu + sigma * eps, and add beta * KL(q(z|x) || N(0, I)) to the model losses."""

    def __init__(self, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = beta
        self.seed_generator = keras.random.SeedGenerator(1337)

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs
        kl = -0.5 * ops.sum(
            1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1
        )
        self.add_loss(self.beta * ops.mean(kl))
        if not training:
            return z_mean
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "beta": self.beta}


def build_encoder(cfg: VAEConfig):
    inp = keras.Input((cfg.image_size, cfg.image_size, cfg.channels), name="image")
    x = inp
    for i, f in enumerate(cfg.filters):
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"enc_conv{i}")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    z_mean = layers.Dense(cfg.latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(cfg.latent_dim, name="z_log_var")(x)
    z = KLSampling(beta=cfg.beta, name="z")([z_mean, z_log_var])
    return keras.Model(inp, z, name="encoder")


def build_decoder(cfg: VAEConfig):
    down = 2 ** len(cfg.filters)
    side = cfg.image_size // down
    last = cfg.filters[-1]
    z = keras.Input((cfg.latent_dim,), name="z")
    x = layers.Dense(side * side * last, activation="relu")(z)
    x = layers.Reshape((side, side, last))(x)
    for i, f in enumerate(reversed(cfg.filters)):
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu", name=f"dec_deconv{i}")(x)
    out = layers.Conv2D(cfg.channels, 3, padding="same", activation="sigmoid", name="recon")(x)
    return keras.Model(z, out, name="decoder")


@keras.saving.register_keras_serializable(package="rw79")
class VAE(keras.Model):
    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder

    def call(self, x, training=None):
        z = self.encoder(x, training=training)
        return self.decoder(z, training=training)

    def get_config(self):
        base = super().get_config()
        base.update(
            encoder=keras.saving.serialize_keras_object(self.encoder),
            decoder=keras.saving.serialize_keras_object(self.decoder),
        )
        return base

    @classmethod
    def from_config(cls, config):
        encoder = keras.saving.deserialize_keras_object(config.pop("encoder"))
        decoder = keras.saving.deserialize_keras_object(config.pop("decoder"))
        return cls(encoder, decoder, **config)


@keras.saving.register_keras_serializable(package="rw79")
def reconstruction_loss(y_true, y_pred):
    # sum over pixels, mean over batch -> same scale as the KL term
    bce = keras.losses.binary_crossentropy(y_true, y_pred)  # (B, H, W)
    return ops.sum(bce, axis=(1, 2))


def blobs(cfg: VAEConfig, seed=0):
    """Gaussian blobs at random positions: cheap stand-in for MNIST."""
    rng = np.random.default_rng(seed)
    s = cfg.image_size
    yy, xx = np.mgrid[0:s, 0:s]
    cy = rng.uniform(3, s - 3, size=(cfg.n_samples, 1, 1))
    cx = rng.uniform(3, s - 3, size=(cfg.n_samples, 1, 1))
    r = rng.uniform(1.5, 3.0, size=(cfg.n_samples, 1, 1))
    img = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r**2))
    return img[..., None].astype("float32")


def main():
    cfg = VAEConfig()
    print("config:", asdict(cfg))
    keras.utils.set_random_seed(3)

    vae = VAE(build_encoder(cfg), build_decoder(cfg), name="vae")
    vae.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate), loss=reconstruction_loss)

    x = blobs(cfg)
    vae.fit(x, x, batch_size=cfg.batch_size, epochs=1, verbose=2)

    sample = x[:4]
    recon = vae(sample, training=False)
    # after a forward pass, model.losses holds the KL term from KLSampling
    print("recon shape:", tuple(recon.shape), "| KL loss terms:", len(vae.losses))
    print("KL value:", float(ops.convert_to_numpy(vae.losses[0])))

    # sample from the prior
    z = keras.random.normal((3, cfg.latent_dim), seed=0)
    gen = vae.decoder.predict(z, verbose=0)
    print("generated batch:", gen.shape, "min/max", gen.min().round(3), gen.max().round(3))

    with tempfile.TemporaryDirectory() as tmp:
        full_path = os.path.join(tmp, "vae.keras")
        dec_path = os.path.join(tmp, "decoder.keras")
        vae.save(full_path)
        vae.decoder.save(dec_path)

        vae2 = keras.models.load_model(full_path)
        dec2 = keras.models.load_model(dec_path)

    np.testing.assert_allclose(
        ops.convert_to_numpy(recon), ops.convert_to_numpy(vae2(sample, training=False)), atol=1e-5
    )
    np.testing.assert_allclose(gen, dec2.predict(z, verbose=0), atol=1e-5)
    print("reloaded VAE beta:", vae2.encoder.get_layer("z").beta)


if __name__ == "__main__":
    main()

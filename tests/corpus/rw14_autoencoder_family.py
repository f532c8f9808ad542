"""Autoencoder family (dense / conv / variational) behind one factory.

Every builder returns (autoencoder, encoder) so downstream code can reuse
the encoder for embeddings. The VAE adds its KL term through a custom
sampling layer (`add_loss`), so all three variants share the same
compile/fit path in the Trainer.
"""
import argparse
import functools
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class AEConfig:
    kind: str = "conv"
    image_size: int = 28
    channels: int = 1
    latent_dim: int = 8
    filters: tuple = (16, 32)
    dense_units: tuple = (128, 64)
    act_layer: str = "ReLU"
    kl_weight: float = 1e-3
    lr: float = 1e-3
    batch_size: int = 32
    epochs: int = 1


ConvDown = functools.partial(layers.Conv2D, kernel_size=3, strides=2, padding="same")
ConvUp = functools.partial(layers.Conv2DTranspose, kernel_size=3, strides=2, padding="same")


def _act(cfg, name):
    return getattr(layers, cfg.act_layer)(name=name)


def _inputs(cfg):
    return keras.Input((cfg.image_size, cfg.image_size, cfg.channels), name="image")


def build_dense_ae(cfg: AEConfig, **kwargs):
    inp = _inputs(cfg)
    x = layers.Flatten(name="enc_flatten")(inp)
    for i, u in enumerate(cfg.dense_units):
        x = _act(cfg, f"enc_act{i}")(layers.Dense(u, name=f"enc_fc{i}", **kwargs)(x))
    z = layers.Dense(cfg.latent_dim, name="z")(x)
    x = z
    for i, u in enumerate(reversed(cfg.dense_units)):
        x = _act(cfg, f"dec_act{i}")(layers.Dense(u, name=f"dec_fc{i}", **kwargs)(x))
    x = layers.Dense(cfg.image_size ** 2 * cfg.channels, activation="sigmoid", name="dec_out")(x)
    out = layers.Reshape((cfg.image_size, cfg.image_size, cfg.channels), name="recon")(x)
    return keras.Model(inp, out, name="dense_ae"), keras.Model(inp, z, name="dense_encoder")


def _conv_encoder_trunk(inp, cfg, **kwargs):
    x = inp
    for i, f in enumerate(cfg.filters):
        x = _act(cfg, f"enc_act{i}")(ConvDown(f, name=f"enc_conv{i}", **kwargs)(x))
    return layers.Flatten(name="enc_flatten")(x), x.shape[1:]


def _conv_decoder(z, cfg, feat_shape, **kwargs):
    x = layers.Dense(int(np.prod(feat_shape)), name="dec_fc")(z)
    x = layers.Reshape(tuple(feat_shape), name="dec_reshape")(x)
    for i, f in enumerate(reversed(cfg.filters)):
        x = _act(cfg, f"dec_act{i}")(ConvUp(f, name=f"dec_deconv{i}", **kwargs)(x))
    return layers.Conv2D(cfg.channels, 3, padding="same", activation="sigmoid", name="recon")(x)


def build_conv_ae(cfg: AEConfig, **kwargs):
    inp = _inputs(cfg)
    h, feat_shape = _conv_encoder_trunk(inp, cfg, **kwargs)
    z = layers.Dense(cfg.latent_dim, name="z")(h)
    out = _conv_decoder(z, cfg, feat_shape, **kwargs)
    return keras.Model(inp, out, name="conv_ae"), keras.Model(inp, z, name="conv_encoder")


class Sampling(layers.Layer):
    """Reparameterisation trick; registers the KL divergence as a layer loss."""

    def __init__(self, kl_weight=1.0, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight
        self.seed = keras.random.SeedGenerator(1337)

    def call(self, inputs):
        mean, log_var = inputs
        kl = -0.5 * tf.reduce_mean(tf.reduce_sum(1 + log_var - tf.square(mean) - tf.exp(log_var), axis=-1))
        self.add_loss(self.kl_weight * kl)
        eps = keras.random.normal(tf.shape(mean), seed=self.seed)
        return mean + tf.exp(0.5 * log_var) * eps


def build_vae(cfg: AEConfig, **kwargs):
    inp = _inputs(cfg)
    h, feat_shape = _conv_encoder_trunk(inp, cfg, **kwargs)
    z_mean = layers.Dense(cfg.latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(cfg.latent_dim, name="z_log_var")(h)
    z = Sampling(cfg.kl_weight, name="sampling")([z_mean, z_log_var])
    out = _conv_decoder(z, cfg, feat_shape, **kwargs)
    return keras.Model(inp, out, name="vae"), keras.Model(inp, z_mean, name="vae_encoder")


MODELS = {"dense": build_dense_ae, "conv": build_conv_ae, "vae": build_vae}


def get_model(cfg: AEConfig, **kwargs):
    return MODELS[cfg.kind](cfg, **kwargs)


class Trainer:
    def __init__(self, cfg: AEConfig):
        self.cfg = cfg
        self.model, self.encoder = get_model(cfg, kernel_initializer="glorot_uniform")
        self.model.compile(optimizer=keras.optimizers.Adam(cfg.lr), loss="binary_crossentropy")

    def fit(self, x):
        return self.model.fit(x, x, batch_size=self.cfg.batch_size, epochs=self.cfg.epochs, verbose=2)

    def evaluate(self, x):
        recon_loss = self.model.evaluate(x, x, verbose=0)
        emb = self.encoder.predict(x, verbose=0)
        return {"loss": float(recon_loss), "latent_std": float(emb.std())}


def toy_images(cfg: AEConfig, n=128, seed=0):
    """Random blurry blobs in [0, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:cfg.image_size, :cfg.image_size]
    cx, cy = rng.uniform(6, cfg.image_size - 6, size=(2, n, 1, 1))
    r = rng.uniform(2, 6, size=(n, 1, 1))
    imgs = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r ** 2))
    return imgs[..., None].astype("float32").repeat(cfg.channels, axis=-1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--kind", default="all", choices=["all", *MODELS])
    p.add_argument("--latent-dim", type=int, default=8)
    p.add_argument("--epochs", type=int, default=1)
    args = p.parse_args()
    kinds = list(MODELS) if args.kind == "all" else [args.kind]
    for kind in kinds:
        keras.backend.clear_session()
        cfg = AEConfig(kind=kind, latent_dim=args.latent_dim, epochs=args.epochs)
        trainer = Trainer(cfg)
        trainer.fit(toy_images(cfg))
        print(kind, trainer.evaluate(toy_images(cfg, n=32, seed=1)))


if __name__ == "__main__":
    main()

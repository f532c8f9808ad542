#!/usr/bin/env python
# Conditional VAE on fake 28x28 "digits" (random blobs whose position depends on the label).
# The label goes through an Embedding and is concatenated to the encoder input
# (as an extra image channel) and to the decoder input (next to z).

import os
import argparse
import numpy as np
import tensorflow as tf
import keras
from keras import layers
from keras import ops

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

NUM_CLASSES = 10
IMG_SHAPE = (28, 28, 1)


def make_fake_digits(n, seed=0):
    """Each class gets a gaussian blob at a class-specific location, plus noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=n)
    yy, xx = np.mgrid[0:28, 0:28]
    centers = [(7 + 14 * (c // 5), 4 + 5 * (c % 5)) for c in range(NUM_CLASSES)]
    imgs = np.zeros((n, 28, 28), dtype=np.float32)
    for i, lab in enumerate(labels):
        cy, cx = centers[lab]
        cy += rng.normal(0, 1.0)
        cx += rng.normal(0, 1.0)
        imgs[i] = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 3.0 ** 2))
    imgs += rng.uniform(0, 0.1, imgs.shape)
    imgs = np.clip(imgs, 0, 1)
    return imgs[..., None], labels.astype(np.int32)


class Sampling(layers.Layer):
    """Reparameterisation trick."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_gen = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_gen)
        return z_mean + ops.exp(0.5 * z_log_var) * eps


def build_encoder(latent_dim, embed_dim=16):
    img = keras.Input(shape=IMG_SHAPE, name="image")
    label = keras.Input(shape=(), dtype="int32", name="label")

    # label -> embedding -> broadcast as a 28x28 channel
    emb = layers.Embedding(NUM_CLASSES, embed_dim)(label)
    emb = layers.Dense(28 * 28)(emb)
    emb = layers.Reshape((28, 28, 1))(emb)
    x = layers.Concatenate(axis=-1)([img, emb])

    for filters in (32, 64):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    z = Sampling(seed=123)([z_mean, z_log_var])
    return keras.Model([img, label], [z_mean, z_log_var, z], name="encoder")


def build_decoder(latent_dim, embed_dim=16):
    z_in = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(), dtype="int32", name="label")
    emb = layers.Embedding(NUM_CLASSES, embed_dim)(label)
    x = layers.Concatenate()([z_in, emb])
    x = layers.Dense(7 * 7 * 64, activation="relu")(x)
    x = layers.Reshape((7, 7, 64))(x)
    for filters in (64, 32):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", activation="relu")(x)
    out = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(x)
    return keras.Model([z_in, label], out, name="decoder")


class CVAE(keras.Model):
    def __init__(self, encoder, decoder, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.recon_tracker = keras.metrics.Mean(name="recon")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.total_tracker, self.recon_tracker, self.kl_tracker]

    def call(self, inputs):
        img, label = inputs
        _, _, z = self.encoder([img, label])
        return self.decoder([z, label])

    def train_step(self, data):
        img, label = data
        with tf.GradientTape() as tape:
            z_mean, z_log_var, z = self.encoder([img, label], training=True)
            recon = self.decoder([z, label], training=True)
            bce = keras.losses.binary_crossentropy(img, recon)
            recon_loss = ops.mean(ops.sum(bce, axis=(1, 2)))
            kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl, axis=1))
            total = recon_loss + self.beta * kl_loss
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))

        self.total_tracker.update_state(total)
        self.recon_tracker.update_state(recon_loss)
        self.kl_tracker.update_state(kl_loss)
        return {m.name: m.result() for m in self.metrics}


def make_dataset(images, labels, batch_size):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(images)).map(
        lambda x, y: (tf.cast(x, tf.float32), tf.cast(y, tf.int32)),
        num_parallel_calls=tf.data.AUTOTUNE,
    )
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def generate_grid(decoder, latent_dim, per_class=2, seed=0):
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(NUM_CLASSES), per_class).astype("int32")
    z = rng.standard_normal((len(labels), latent_dim)).astype("float32")
    imgs = decoder.predict([z, labels], verbose=0)
    # tile into a (per_class*28, 10*28) mosaic
    imgs = imgs.reshape(NUM_CLASSES, per_class, 28, 28)
    mosaic = imgs.transpose(1, 2, 0, 3).reshape(per_class * 28, NUM_CLASSES * 28)
    return mosaic


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-samples", type=int, default=64)
    ap.add_argument("--latent-dim", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--beta", type=float, default=1.0)
    args = ap.parse_args()

    x, y = make_fake_digits(args.n_samples)
    print("data:", x.shape, y.shape, "class counts:", np.bincount(y, minlength=NUM_CLASSES))

    enc = build_encoder(args.latent_dim)
    dec = build_decoder(args.latent_dim)
    cvae = CVAE(enc, dec, beta=args.beta)
    cvae.compile(optimizer=keras.optimizers.Adam(1e-3))

    hist = cvae.fit(make_dataset(x, y, args.batch_size), epochs=args.epochs, verbose=2)
    print({k: round(float(v[-1]), 3) for k, v in hist.history.items()})

    recon = cvae.predict([x[:4], y[:4]], verbose=0)
    print("recon mse on 4 samples:", float(np.mean((recon - x[:4]) ** 2)))

    grid = generate_grid(dec, args.latent_dim)
    np.save("/tmp/cvae_samples.npy", grid)
    print("saved sample mosaic", grid.shape, "to /tmp/cvae_samples.npy")

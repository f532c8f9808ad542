"""Conditional DCGAN on 28x28 grayscale images (MNIST-style, synthetic here).

The class label goes through an Embedding layer:
  * generator:     embedding is concatenated with the latent noise vector
  * discriminator: embedding is projected to a 28x28 map and stacked as an
                   extra image channel
Trained with an explicit GradientTape loop wrapped in tf.function.
"""
from dataclasses import dataclass
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class GANConfig:
    num_classes: int = 10
    latent_dim: int = 64
    label_embed_dim: int = 32
    img_rows: int = 28
    img_cols: int = 28
    channels: int = 1
    batch_size: int = 32
    n_samples: int = 320
    epochs: int = 1
    gen_lr: float = 2e-4
    disc_lr: float = 2e-4
    beta_1: float = 0.5
    label_smoothing: float = 0.1

    @property
    def img_shape(self):
        return (self.img_rows, self.img_cols, self.channels)


cfg = GANConfig()


def build_generator(cfg: GANConfig) -> keras.Model:
    noise = keras.Input(shape=(cfg.latent_dim,), name="noise")
    label = keras.Input(shape=(1,), dtype="int32", name="label")

    label_emb = layers.Embedding(cfg.num_classes, cfg.label_embed_dim)(label)  # (B, 1, E)
    label_emb = layers.Flatten()(label_emb)                                      # (B, E)
    x = layers.Concatenate()([noise, label_emb])                                 # (B, Z+E)

    x = layers.Dense(7 * 7 * 128, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((7, 7, 128))(x)

    x = layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False)(x)  # 14x14
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False)(x)  # 28x28
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    img = layers.Conv2D(cfg.channels, 7, padding="same", activation="tanh")(x)
    return keras.Model([noise, label], img, name="generator")


def build_discriminator(cfg: GANConfig) -> keras.Model:
    img = keras.Input(shape=cfg.img_shape, name="image")
    label = keras.Input(shape=(1,), dtype="int32", name="label")

    n_pix = cfg.img_rows * cfg.img_cols
    label_map = layers.Embedding(cfg.num_classes, cfg.label_embed_dim)(label)
    label_map = layers.Dense(n_pix)(label_map)                      # (B, 1, H*W)
    label_map = layers.Reshape((cfg.img_rows, cfg.img_cols, 1))(label_map)

    x = layers.Concatenate(axis=-1)([img, label_map])               # (B, H, W, C+1)
    x = layers.Conv2D(64, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Conv2D(128, 3, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1)(x)
    return keras.Model([img, label], logit, name="discriminator")


def make_fake_mnist(cfg: GANConfig):
    """Each class k gets a vertical bar at column 2 + 2k plus noise, scaled to [-1, 1]."""
    rng = np.random.default_rng(123)
    labels = rng.integers(0, cfg.num_classes, size=(cfg.n_samples,))
    imgs = rng.normal(0.0, 0.05, size=(cfg.n_samples,) + cfg.img_shape).astype("float32")
    for i, k in enumerate(labels):
        col = 2 + 2 * int(k)
        imgs[i, 4:24, col:col + 2, 0] += 1.0
    imgs = np.clip(imgs, 0, 1) * 2.0 - 1.0
    ds = tf.data.Dataset.from_tensor_slices((imgs, labels.astype("int32")))
    return ds.shuffle(1024).batch(cfg.batch_size, drop_remainder=True).prefetch(2)


generator = build_generator(cfg)
discriminator = build_discriminator(cfg)
generator.summary()
discriminator.summary()

bce = keras.losses.BinaryCrossentropy(from_logits=True)
g_opt = keras.optimizers.Adam(cfg.gen_lr, beta_1=cfg.beta_1)
d_opt = keras.optimizers.Adam(cfg.disc_lr, beta_1=cfg.beta_1)


def discriminator_loss(real_logits, fake_logits):
    real_targets = tf.ones_like(real_logits) * (1.0 - cfg.label_smoothing)
    real_loss = bce(real_targets, real_logits)
    fake_loss = bce(tf.zeros_like(fake_logits), fake_logits)
    return real_loss + fake_loss


def generator_loss(fake_logits):
    return bce(tf.ones_like(fake_logits), fake_logits)


@tf.function
def train_step(real_images, labels):
    batch_size = tf.shape(real_images)[0]
    labels = tf.reshape(labels, (-1, 1))
    noise = tf.random.normal((batch_size, cfg.latent_dim))

    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake_images = generator([noise, labels], training=True)
        real_logits = discriminator([real_images, labels], training=True)
        fake_logits = discriminator([fake_images, labels], training=True)
        d_loss = discriminator_loss(real_logits, fake_logits)
        g_loss = generator_loss(fake_logits)

    d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
    g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
    d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
    g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))

    d_acc = 0.5 * (
        tf.reduce_mean(tf.cast(real_logits > 0, tf.float32))
        + tf.reduce_mean(tf.cast(fake_logits < 0, tf.float32))
    )
    return d_loss, g_loss, d_acc


def sample_grid(n_per_class=2):
    """One row per class, handy for eyeballing conditional control."""
    labels = np.repeat(np.arange(cfg.num_classes), n_per_class).reshape(-1, 1)
    noise = np.random.normal(size=(labels.shape[0], cfg.latent_dim)).astype("float32")
    imgs = generator.predict([noise, labels], verbose=0)
    imgs = (imgs + 1.0) / 2.0
    grid = imgs.reshape(cfg.num_classes, n_per_class, cfg.img_rows, cfg.img_cols)
    grid = grid.transpose(0, 2, 1, 3).reshape(cfg.num_classes * cfg.img_rows, n_per_class * cfg.img_cols)
    return grid


if __name__ == "__main__":
    dataset = make_fake_mnist(cfg)
    for epoch in range(cfg.epochs):
        start = time.time()
        d_hist, g_hist, acc_hist = [], [], []
        for step, (imgs, lbls) in enumerate(dataset):
            d_loss, g_loss, d_acc = train_step(imgs, lbls)
            d_hist.append(float(d_loss))
            g_hist.append(float(g_loss))
            acc_hist.append(float(d_acc))
            if step % 5 == 0:
                print(f"  step {step:3d}  d_loss={d_loss:.4f}  g_loss={g_loss:.4f}  d_acc={d_acc:.2f}")
        print(
            f"epoch {epoch + 1}/{cfg.epochs}  d={np.mean(d_hist):.4f}  g={np.mean(g_hist):.4f}  "
            f"acc={np.mean(acc_hist):.2f}  ({time.time() - start:.1f}s)"
        )

    grid = sample_grid()
    print("sample grid:", grid.shape, "min/max", grid.min().round(3), grid.max().round(3))

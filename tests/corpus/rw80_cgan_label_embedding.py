"""Conditional GAN (cGAN) with learned label embeddings.

Generator:     z (*) Embedding(y)   -> Dense -> ConvTranspose stack -> image
Discriminator: image ++ label map   -> Conv stack -> [adv logit] + projection term
The label embedding is broadcast to a spatial "label map" and concatenated as an
extra input channel; the discriminator also uses a projection head
(Miyato & Koyama, 2018). Trained with a hand-written GradientTape loop.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

NUM_CLASSES = 10
LATENT_DIM = 100
EMBED_DIM = 50
IMG_SHAPE = (28, 28, 1)
BATCH_SIZE = 32
STEPS = 6
LOG_EVERY = 2

tf.random.set_seed(0)
np.random.seed(0)


# --------------------------------------------------------------------------- data
def synthetic_labeled_images(n=256):
    """Each class k gets a horizontal bar at row 2k+4 plus noise."""
    labels = np.random.randint(0, NUM_CLASSES, size=(n,)).astype("int32")
    images = np.random.normal(0, 0.1, size=(n,) + IMG_SHAPE).astype("float32")
    for i, k in enumerate(labels):
        row = 2 * k + 4
        images[i, row:row + 2, 4:24, 0] += 1.0
    images = np.clip(images, -1.0, 1.0)
    return images, labels


def make_dataset(images, labels):
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.shuffle(len(images)).batch(BATCH_SIZE, drop_remainder=True)
    # random horizontal flip as light augmentation; class identity is kept
    ds = ds.map(lambda x, y: (tf.image.random_flip_left_right(x), y),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.repeat().prefetch(tf.data.AUTOTUNE)


# ------------------------------------------------------------------------- models
def build_generator():
    noise = keras.Input(shape=(LATENT_DIM,), name="noise")
    label = keras.Input(shape=(1,), dtype="int32", name="label")

    label_emb = layers.Embedding(NUM_CLASSES, LATENT_DIM)(label)  # (B, 1, LATENT_DIM)
    label_emb = layers.Flatten()(label_emb)                         # (B, LATENT_DIM)
    h = layers.Multiply()([noise, label_emb])                       # multiplicative conditioning

    h = layers.Dense(7 * 7 * 128, use_bias=False)(h)
    h = layers.BatchNormalization()(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Reshape((7, 7, 128))(h)
    h = layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False)(h)  # 14x14
    h = layers.BatchNormalization()(h)
    h = layers.LeakyReLU(0.2)(h)
    h = layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False)(h)  # 28x28
    h = layers.BatchNormalization()(h)
    h = layers.LeakyReLU(0.2)(h)
    out = layers.Conv2D(IMG_SHAPE[-1], 3, padding="same", activation="tanh")(h)
    return keras.Model([noise, label], out, name="cgan_generator")


class ProjectionDiscriminator(keras.Model):
    """Conv discriminator with a label-map input channel and a projection head."""

    def __init__(self, num_classes, embed_dim, **kwargs):
        super().__init__(**kwargs)
        h, w, _ = IMG_SHAPE
        self.label_to_map = keras.Sequential(
            [layers.Embedding(num_classes, embed_dim), layers.Flatten(),
             layers.Dense(h * w), layers.Reshape((h, w, 1))],
            name="label_map",
        )
        self.features = keras.Sequential(
            [
                layers.Conv2D(64, 4, strides=2, padding="same"),
                layers.LeakyReLU(0.2),
                layers.Conv2D(128, 4, strides=2, padding="same"),
                layers.LeakyReLU(0.2),
                layers.GlobalAveragePooling2D(),
            ],
            name="features",
        )
        self.adv_head = layers.Dense(1, name="adv_head")
        self.class_proj = layers.Embedding(num_classes, 128, name="class_projection")

    def call(self, inputs, training=False):
        images, labels = inputs
        label_map = self.label_to_map(labels)
        x = tf.concat([images, label_map], axis=-1)        # (B, 28, 28, C+1)
        feats = self.features(x, training=training)        # (B, 128)
        logits = self.adv_head(feats)                      # (B, 1)
        proj = tf.squeeze(self.class_proj(labels), axis=1)  # (B, 128)
        logits += tf.reduce_sum(feats * proj, axis=-1, keepdims=True)
        return logits


generator = build_generator()
discriminator = ProjectionDiscriminator(NUM_CLASSES, EMBED_DIM, name="cgan_discriminator")
discriminator([tf.zeros((1,) + IMG_SHAPE), tf.zeros((1, 1), tf.int32)])  # build

bce = keras.losses.BinaryCrossentropy(from_logits=True)
g_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
d_opt = keras.optimizers.Adam(2e-4, beta_1=0.5)


def d_loss_fn(real_logits, fake_logits):
    # one-sided label smoothing on the real targets
    real_loss = bce(tf.ones_like(real_logits) * 0.9, real_logits)
    fake_loss = bce(tf.zeros_like(fake_logits), fake_logits)
    return real_loss + fake_loss


def g_loss_fn(fake_logits):
    return bce(tf.ones_like(fake_logits), fake_logits)


@tf.function
def train_step(real_images, real_labels):
    batch_size = tf.shape(real_images)[0]
    labels = tf.reshape(real_labels, (-1, 1))
    noise = tf.random.normal((batch_size, LATENT_DIM))

    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake_images = generator([noise, labels], training=True)
        real_logits = discriminator([real_images, labels], training=True)
        fake_logits = discriminator([fake_images, labels], training=True)
        d_loss = d_loss_fn(real_logits, fake_logits)
        g_loss = g_loss_fn(fake_logits)

    d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
    g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
    d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
    g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))

    d_acc = tf.reduce_mean(tf.cast(
        tf.concat([real_logits > 0, fake_logits < 0], axis=0), tf.float32))
    return {"d_loss": d_loss, "g_loss": g_loss, "d_acc": d_acc}


def sample_per_class(n_per_class=2):
    """Same noise vector for every class, so each row shows class-controlled variation."""
    noise = tf.random.normal((n_per_class, LATENT_DIM))
    noise = tf.repeat(noise, NUM_CLASSES, axis=0)                        # (n*K, z)
    labels = tf.tile(tf.range(NUM_CLASSES), [n_per_class])[:, None]     # (n*K, 1)
    imgs = generator([noise, labels], training=False)
    grid = tf.reshape(imgs, (n_per_class, NUM_CLASSES) + IMG_SHAPE)
    grid = tf.transpose(grid, (0, 2, 1, 3, 4))                          # rows, h, cols, w, c
    grid = tf.reshape(grid, (n_per_class * IMG_SHAPE[0], NUM_CLASSES * IMG_SHAPE[1], IMG_SHAPE[2]))
    return grid


def main():
    images, labels = synthetic_labeled_images()
    dataset = make_dataset(images, labels)
    generator.summary(line_length=90)
    print("discriminator params:", discriminator.count_params())

    start = time.time()
    for step, (x, y) in enumerate(dataset.take(STEPS), start=1):
        logs = train_step(x, y)
        if step % LOG_EVERY == 0:
            msg = " ".join(f"{k}={float(v):.4f}" for k, v in logs.items())
            print(f"step {step:3d} | {msg} | {time.time() - start:.1f}s")

    grid = sample_per_class()
    print("sample grid:", grid.shape)


if __name__ == "__main__":
    main()

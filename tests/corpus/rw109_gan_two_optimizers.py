"""Tiny GAN on synthetic 2D "ring" data with a hand-written training loop.

Generator and discriminator each get their own Adam optimizer; both updates
happen in one tf.function-compiled step.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
LATENT_DIM = 8
BATCH_SIZE = 64
N_REAL = 512
EPOCHS = 2
GEN_LR = 2e-4
DISC_LR = 1e-4

tf.random.set_seed(SEED)
rng = np.random.default_rng(SEED)


def make_ring(n, radius=2.0, noise=0.05):
    theta = rng.uniform(0, 2 * np.pi, size=n)
    pts = np.stack([np.cos(theta), np.sin(theta)], axis=1) * radius
    pts += rng.normal(scale=noise, size=pts.shape)
    return pts.astype("float32")


def build_generator(latent_dim, hidden=(32, 32)):
    z = keras.Input(shape=(latent_dim,), name="z")
    x = z
    for i, units in enumerate(hidden):
        x = layers.Dense(units, name=f"gen_dense_{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
    out = layers.Dense(2, name="gen_out")(x)
    return keras.Model(z, out, name="generator")


def build_discriminator(hidden=(32, 16)):
    inp = keras.Input(shape=(2,), name="point")
    x = inp
    for i, units in enumerate(hidden):
        x = layers.Dense(units, name=f"disc_dense_{i}")(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        x = layers.Dropout(0.1)(x)
    logit = layers.Dense(1, name="disc_logit")(x)
    return keras.Model(inp, logit, name="discriminator")


generator = build_generator(LATENT_DIM)
discriminator = build_discriminator()

g_opt = keras.optimizers.Adam(GEN_LR, beta_1=0.5)
d_opt = keras.optimizers.Adam(DISC_LR, beta_1=0.5)
bce = keras.losses.BinaryCrossentropy(from_logits=True)

g_loss_tracker = keras.metrics.Mean(name="g_loss")
d_loss_tracker = keras.metrics.Mean(name="d_loss")
d_acc = keras.metrics.BinaryAccuracy(threshold=0.0, name="d_acc")


def discriminator_loss(real_logits, fake_logits, label_smoothing=0.9):
    real_loss = bce(tf.ones_like(real_logits) * label_smoothing, real_logits)
    fake_loss = bce(tf.zeros_like(fake_logits), fake_logits)
    return real_loss + fake_loss


def generator_loss(fake_logits):
    return bce(tf.ones_like(fake_logits), fake_logits)


@tf.function
def train_step(real_batch):
    batch_size = tf.shape(real_batch)[0]
    noise = tf.random.normal((batch_size, LATENT_DIM))

    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake = generator(noise, training=True)
        real_logits = discriminator(real_batch, training=True)
        fake_logits = discriminator(fake, training=True)
        d_loss = discriminator_loss(real_logits, fake_logits)
        g_loss = generator_loss(fake_logits)

    d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
    g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
    d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))
    g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))

    g_loss_tracker.update_state(g_loss)
    d_loss_tracker.update_state(d_loss)
    labels = tf.concat([tf.ones_like(real_logits), tf.zeros_like(fake_logits)], axis=0)
    d_acc.update_state(labels, tf.concat([real_logits, fake_logits], axis=0))
    return g_loss, d_loss


def main():
    real = make_ring(N_REAL)
    ds = (
        tf.data.Dataset.from_tensor_slices(real)
        .shuffle(N_REAL, seed=SEED)
        .batch(BATCH_SIZE, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )

    for epoch in range(EPOCHS):
        start = time.time()
        for tracker in (g_loss_tracker, d_loss_tracker, d_acc):
            tracker.reset_state()
        for step, batch in enumerate(ds):
            train_step(batch)
        print(
            f"epoch {epoch + 1}/{EPOCHS} steps={step + 1} "
            f"g_loss={float(g_loss_tracker.result()):.4f} "
            f"d_loss={float(d_loss_tracker.result()):.4f} "
            f"d_acc={float(d_acc.result()):.3f} "
            f"({time.time() - start:.1f}s)"
        )

    samples = generator(tf.random.normal((256, LATENT_DIM)), training=False).numpy()
    radii = np.linalg.norm(samples, axis=1)
    print(f"generated radius mean={radii.mean():.3f} std={radii.std():.3f} (target 2.0)")
    print("optimizer iterations:", int(g_opt.iterations.numpy()), int(d_opt.iterations.numpy()))


if __name__ == "__main__":
    main()

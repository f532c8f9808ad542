"""WGAN-GP on tiny synthetic 16x16 "blob" images, with a hand-written
gradient penalty (Gulrajani et al. 2017) and an optional R1 penalty
(Mescheder et al. 2018) for comparison.

The penalty needs the gradient of the critic w.r.t. its *input*, so we nest
a GradientTape inside the critic's outer tape (double backprop).
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

hparams = dict(
    img_size=16,
    latent_dim=32,
    batch_size=32,
    n_critic=3,           # critic updates per generator update
    gp_weight=10.0,
    penalty="wgan-gp",    # "wgan-gp" | "r1"
    r1_gamma=5.0,
    gen_steps=8,
    lr=2e-4,
)


def blob_images(n, size, seed=0):
    """Gaussian blobs at random positions -> easy-ish distribution to learn."""
    rs = np.random.RandomState(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    cx = rs.uniform(4, size - 4, (n, 1, 1))
    cy = rs.uniform(4, size - 4, (n, 1, 1))
    sigma = rs.uniform(1.5, 3.0, (n, 1, 1))
    img = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma ** 2))
    return (img[..., None] * 2.0 - 1.0).astype("float32")   # [-1, 1]


def build_generator(latent_dim):
    z = keras.Input((latent_dim,))
    x = layers.Dense(4 * 4 * 64, use_bias=False)(z)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((4, 4, 64))(x)
    x = layers.Conv2DTranspose(32, 4, strides=2, padding="same", use_bias=False)(x)  # 8x8
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2DTranspose(16, 4, strides=2, padding="same")(x)                 # 16x16
    x = layers.LeakyReLU(0.2)(x)
    img = layers.Conv2D(1, 3, padding="same", activation="tanh")(x)
    return keras.Model(z, img, name="generator")


def build_critic(img_size):
    # no BatchNorm in the critic: GP is per-sample, BN mixes samples.
    img = keras.Input((img_size, img_size, 1))
    x = layers.Conv2D(32, 4, strides=2, padding="same")(img)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Conv2D(64, 4, strides=2, padding="same")(x)
    x = layers.LayerNormalization(axis=[1, 2, 3])(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    score = layers.Dense(1)(x)          # linear, unbounded
    return keras.Model(img, score, name="critic")


def gradient_penalty(critic, real, fake):
    """E[(||grad_x D(x_hat)||_2 - 1)^2] with x_hat on lines between real/fake."""
    batch = tf.shape(real)[0]
    eps = tf.random.uniform([batch, 1, 1, 1], 0.0, 1.0)   # broadcast over H,W,C
    interp = real + eps * (fake - real)
    with tf.GradientTape() as gp_tape:
        gp_tape.watch(interp)
        pred = critic(interp, training=True)
    grads = gp_tape.gradient(pred, [interp])[0]
    norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
    return tf.reduce_mean(tf.square(norm - 1.0))


def r1_penalty(critic, real):
    """gamma/2 * E[||grad_x D(x)||^2] on real samples only."""
    with tf.GradientTape() as r1_tape:
        r1_tape.watch(real)
        pred = critic(real, training=True)
    grads = r1_tape.gradient(pred, real)
    return tf.reduce_mean(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]))


class WGANTrainer:
    def __init__(self, hp):
        self.hp = hp
        self.gen = build_generator(hp["latent_dim"])
        self.critic = build_critic(hp["img_size"])
        # the WGAN-GP paper uses Adam(beta_1=0, beta_2=0.9)
        self.g_opt = keras.optimizers.Adam(hp["lr"], beta_1=0.0, beta_2=0.9)
        self.c_opt = keras.optimizers.Adam(hp["lr"], beta_1=0.0, beta_2=0.9)
        self.use_r1 = hp["penalty"] == "r1"

    @tf.function
    def critic_step(self, real):
        batch = tf.shape(real)[0]
        z = tf.random.normal([batch, self.hp["latent_dim"]])
        with tf.GradientTape() as tape:
            fake = self.gen(z, training=True)
            d_real = self.critic(real, training=True)
            d_fake = self.critic(fake, training=True)
            wdist = tf.reduce_mean(d_real) - tf.reduce_mean(d_fake)
            if self.use_r1:     # python-level config switch, traced once
                penalty = 0.5 * self.hp["r1_gamma"] * r1_penalty(self.critic, real)
            else:
                penalty = self.hp["gp_weight"] * gradient_penalty(self.critic, real, fake)
            # small drift term keeps critic outputs from wandering off
            drift = 1e-3 * tf.reduce_mean(tf.square(d_real))
            c_loss = -wdist + penalty + drift
        grads = tape.gradient(c_loss, self.critic.trainable_variables)
        self.c_opt.apply_gradients(zip(grads, self.critic.trainable_variables))
        return c_loss, wdist, penalty

    @tf.function
    def generator_step(self, batch_size):
        z = tf.random.normal([batch_size, self.hp["latent_dim"]])
        with tf.GradientTape() as tape:
            fake = self.gen(z, training=True)
            g_loss = -tf.reduce_mean(self.critic(fake, training=True))
        grads = tape.gradient(g_loss, self.gen.trainable_variables)
        self.g_opt.apply_gradients(zip(grads, self.gen.trainable_variables))
        return g_loss

    def fit(self, dataset):
        it = iter(dataset)
        t0 = time.time()
        for g_step in range(self.hp["gen_steps"]):
            for _ in range(self.hp["n_critic"]):
                c_loss, wdist, pen = self.critic_step(next(it))
            g_loss = self.generator_step(self.hp["batch_size"])
            print(f"[{g_step + 1}/{self.hp['gen_steps']}] c_loss={c_loss:.3f} "
                  f"W={wdist:.3f} {self.hp['penalty']}={pen:.3f} g_loss={g_loss:.3f}")
        print(f"trained in {time.time() - t0:.1f}s")


def main():
    real = blob_images(512, hparams["img_size"])
    print("real batch:", real.shape, real.min(), real.max())
    ds = (tf.data.Dataset.from_tensor_slices(real)
          .shuffle(512)
          .batch(hparams["batch_size"], drop_remainder=True)
          .repeat())

    for penalty in ("wgan-gp", "r1"):
        print(f"\n=== penalty: {penalty} ===")
        trainer = WGANTrainer(dict(hparams, penalty=penalty))
        if penalty == "wgan-gp":
            trainer.gen.summary()
            trainer.critic.summary()
        trainer.fit(ds)
        samples = trainer.gen(tf.random.normal([4, hparams["latent_dim"]]), training=False)
        print("samples:", samples.shape, "range [%.2f, %.2f]" %
              (float(tf.reduce_min(samples)), float(tf.reduce_max(samples))))


if __name__ == "__main__":
    main()

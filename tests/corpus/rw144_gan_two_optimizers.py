"""Tiny GAN on a 2-D ring of Gaussians.

Generator and discriminator are separate sub-models, each with its own
optimizer passed through a custom compile(). A callback reports how well the
generated samples cover the ring after every epoch.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras

LATENT_DIM = 8
N_MODES = 6
RADIUS = 2.0
N_REAL = 768
BATCH = 64
EPOCHS = 2


def ring_of_gaussians(n, modes=N_MODES, radius=RADIUS, std=0.05, seed=1):
    rng = np.random.default_rng(seed)
    angles = 2 * math.pi * rng.integers(0, modes, n) / modes
    pts = np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1)
    return (pts + rng.normal(0, std, pts.shape)).astype("float32")


def mlp(out_dim, hidden, name, out_activation=None, input_dim=None):
    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=(input_dim,)))
    for units in hidden:
        model.add(keras.layers.Dense(units))
        model.add(keras.layers.LeakyReLU(negative_slope=0.2))
    model.add(keras.layers.Dense(out_dim, activation=out_activation))
    return model


class GAN(keras.Model):
    def __init__(self, generator, discriminator, latent_dim):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")
        self.d_real_acc = keras.metrics.BinaryAccuracy(name="d_real_acc", threshold=0.0)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric, self.d_real_acc]

    def call(self, z):
        return self.generator(z)

    def train_step(self, real):
        bs = tf.shape(real)[0]

        # --- discriminator update ---
        z = tf.random.normal((bs, self.latent_dim))
        fake = self.generator(z, training=False)
        with tf.GradientTape() as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            # one-sided label smoothing on the real side
            d_loss = (self.loss_fn(tf.ones_like(real_logits) * 0.9, real_logits)
                      + self.loss_fn(tf.zeros_like(fake_logits), fake_logits))
        d_vars = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))

        # --- generator update (discriminator frozen by only touching G vars) ---
        z = tf.random.normal((bs, self.latent_dim))
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=False)
            g_loss = self.loss_fn(tf.ones_like(fake_logits), fake_logits)
        g_vars = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        self.d_real_acc.update_state(tf.ones_like(real_logits), real_logits)
        return {m.name: m.result() for m in self.metrics}


class ModeCoverage(keras.callbacks.Callback):
    """Counts how many ring modes have at least one generated sample nearby."""

    def __init__(self, n_samples=512, tol=0.5):
        super().__init__()
        self.n_samples = n_samples
        self.tol = tol
        angles = 2 * np.pi * np.arange(N_MODES) / N_MODES
        self.centers = RADIUS * np.stack([np.cos(angles), np.sin(angles)], 1)

    def on_epoch_end(self, epoch, logs=None):
        z = tf.random.normal((self.n_samples, self.model.latent_dim))
        pts = self.model.generator(z, training=False).numpy()
        d = np.linalg.norm(pts[:, None, :] - self.centers[None], axis=-1)
        nearest = d.argmin(1)
        close = d.min(1) < self.tol
        covered = len(set(nearest[close].tolist()))
        logs = logs if logs is not None else {}
        logs["modes_covered"] = covered
        print(f"\n[epoch {epoch + 1}] modes covered {covered}/{N_MODES}, "
              f"high-quality fraction {close.mean():.2f}, "
              f"g_lr={float(self.model.g_optimizer.learning_rate):.1e}")


real = ring_of_gaussians(N_REAL)
dataset = tf.data.Dataset.from_tensor_slices(real).shuffle(N_REAL).batch(BATCH, drop_remainder=True)

gen = mlp(2, [64, 64], "generator", input_dim=LATENT_DIM)
disc = mlp(1, [64, 64], "discriminator", input_dim=2)
gen.summary()

gan = GAN(gen, disc, LATENT_DIM)
gan.compile(
    d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    g_optimizer=keras.optimizers.RMSprop(5e-4),
    loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
)
history = gan.fit(dataset, epochs=EPOCHS, callbacks=[ModeCoverage()], verbose=2)

print("d optimizer steps:", int(gan.d_optimizer.iterations.numpy()))
print("g optimizer steps:", int(gan.g_optimizer.iterations.numpy()))
print("final losses:", {k: round(v[-1], 4) for k, v in history.history.items()})

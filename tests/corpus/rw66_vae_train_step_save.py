"""Dense VAE with a custom train_step, saved to .keras and reloaded to resume training.

Follows the Keras 3 VAE example structure: a Sampling layer using keras.random,
encoder/decoder as functional sub-models, and a subclassed `keras.Model` that
overrides train_step/test_step and tracks its own Mean metrics. The model
implements get_config/from_config so the whole thing round-trips through
`model.save("vae.keras")`.
"""
import os
import shutil
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

INPUT_DIM = 64      # e.g. flattened 8x8 patches
LATENT_DIM = 4
HIDDEN = (48, 24)
BETA = 0.5


@keras.saving.register_keras_serializable(package="rw66_vae")
class Sampling(layers.Layer):
    """Reparameterization trick: z = mean + exp(0.5 * log_var) * eps."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def build_encoder():
    x_in = keras.Input((INPUT_DIM,), name="x")
    h = x_in
    for i, units in enumerate(HIDDEN):
        h = layers.Dense(units, activation="relu", name=f"enc_{i}")(h)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(h)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(h)
    z = Sampling(seed=3, name="z")([z_mean, z_log_var])
    return keras.Model(x_in, [z_mean, z_log_var, z], name="encoder")


def build_decoder():
    z_in = keras.Input((LATENT_DIM,), name="z")
    h = z_in
    for i, units in enumerate(reversed(HIDDEN)):
        h = layers.Dense(units, activation="relu", name=f"dec_{i}")(h)
    x_out = layers.Dense(INPUT_DIM, activation="sigmoid", name="x_hat")(h)
    return keras.Model(z_in, x_out, name="decoder")


@keras.saving.register_keras_serializable(package="rw66_vae")
class VAE(keras.Model):
    def __init__(self, encoder, decoder, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.beta = beta
        self.total_loss_tracker = keras.metrics.Mean(name="loss")
        self.recon_loss_tracker = keras.metrics.Mean(name="recon")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.recon_loss_tracker, self.kl_loss_tracker]

    def call(self, x, training=False):
        _, _, z = self.encoder(x, training=training)
        return self.decoder(z, training=training)

    def vae_losses(self, x, training):
        z_mean, z_log_var, z = self.encoder(x, training=training)
        x_hat = self.decoder(z, training=training)
        recon = ops.mean(ops.sum(keras.losses.binary_crossentropy(
            ops.expand_dims(x, -1), ops.expand_dims(x_hat, -1)), axis=1))
        kl = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
        kl = ops.mean(ops.sum(kl, axis=1))
        return recon + self.beta * kl, recon, kl

    def _update_trackers(self, total, recon, kl):
        self.total_loss_tracker.update_state(total)
        self.recon_loss_tracker.update_state(recon)
        self.kl_loss_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            total, recon, kl = self.vae_losses(x, training=True)
        grads = tape.gradient(total, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        return self._update_trackers(total, recon, kl)

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        total, recon, kl = self.vae_losses(x, training=False)
        return self._update_trackers(total, recon, kl)

    def get_config(self):
        config = super().get_config()
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "beta": self.beta,
        })
        return config

    @classmethod
    def from_config(cls, config):
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)


def fake_patches(n, seed=0):
    """Blurry binary-ish patches from a few random prototypes."""
    rng = np.random.default_rng(seed)
    protos = (rng.uniform(size=(6, INPUT_DIM)) > 0.5).astype("float32")
    picks = rng.integers(0, len(protos), size=n)
    noise = rng.uniform(-0.2, 0.2, size=(n, INPUT_DIM))
    return np.clip(protos[picks] * 0.8 + 0.1 + noise, 0, 1).astype("float32")


def main():
    keras.utils.set_random_seed(0)
    x_train = fake_patches(768, seed=0)
    x_val = fake_patches(128, seed=1)

    vae = VAE(build_encoder(), build_decoder(), beta=BETA, name="vae")
    _ = vae(x_train[:2])   # build eagerly so save() records a build_config
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    hist = vae.fit(x_train, epochs=2, batch_size=64, validation_data=(x_val,), verbose=2)
    print("history keys:", sorted(hist.history))

    out_dir = tempfile.mkdtemp(prefix="rw66_vae_")
    path = os.path.join(out_dir, "vae.keras")
    try:
        vae.save(path)
        restored = keras.saving.load_model(path)
        print("restored type:", type(restored).__name__, "beta =", restored.beta)

        # Encoder means are deterministic, so they must match exactly.
        m_orig = vae.encoder.predict(x_val[:8], verbose=0)[0]
        m_rest = restored.encoder.predict(x_val[:8], verbose=0)[0]
        print("z_mean max diff:", float(np.max(np.abs(m_orig - m_rest))))

        # Resume training from the restored optimizer state.
        restored.fit(x_train, epochs=1, batch_size=64, verbose=2)
        print("iterations:", int(restored.optimizer.iterations.numpy()))

        # Generate a few samples from the prior.
        z = keras.random.normal((4, LATENT_DIM), seed=7)
        samples = restored.decoder(z)
        print("generated:", tuple(samples.shape),
              "mean intensity %.3f" % float(ops.mean(samples)))
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

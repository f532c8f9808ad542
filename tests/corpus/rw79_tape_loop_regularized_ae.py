"""Sparse denoising autoencoder trained with a hand-written GradientTape loop.

Custom layers contribute extra penalties through `add_loss`:
  * `SparseCode`   - L1 activity penalty + KL sparsity target on the code
  * `TiedDense`    - decoder layer reusing the transposed encoder kernel, with
                     a soft orthogonality penalty on that kernel
The training step collects `model.losses` (which Keras 3 resets on every
call) and adds them to the reconstruction loss. Weights are checkpointed with
save_weights and restored into a fresh model.
"""
import os
import tempfile
import time

import numpy as np
import tensorflow as tf
import keras

INPUT_DIM = 64
HIDDEN = 32
CODE_DIM = 12
BATCH = 64
EPOCHS = 2
NOISE_STD = 0.2
LR = 2e-3


@keras.saving.register_keras_serializable(package="rw79_ae")
class SparseCode(keras.layers.Layer):
    def __init__(self, units, l1=1e-4, target_rho=0.05, kl_weight=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.l1 = l1
        self.target_rho = target_rho
        self.kl_weight = kl_weight

    def build(self, input_shape):
        in_dim = int(input_shape[-1])
        self.kernel = self.add_weight(
            name="kernel", shape=(in_dim, self.units), initializer="he_normal"
        )
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, x):
        code = tf.sigmoid(tf.matmul(x, self.kernel) + self.bias)
        rho_hat = tf.clip_by_value(tf.reduce_mean(code, axis=0), 1e-6, 1 - 1e-6)
        rho = self.target_rho
        kl = rho * tf.math.log(rho / rho_hat) + (1 - rho) * tf.math.log((1 - rho) / (1 - rho_hat))
        self.add_loss(self.kl_weight * tf.reduce_sum(kl))
        self.add_loss(self.l1 * tf.reduce_mean(tf.reduce_sum(tf.abs(code), axis=-1)))
        return code

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units, l1=self.l1, target_rho=self.target_rho, kl_weight=self.kl_weight
        )
        return config


@keras.saving.register_keras_serializable(package="rw79_ae")
class TiedDense(keras.layers.Layer):
    """Dense layer whose kernel is the transpose of another Dense's kernel."""

    def __init__(self, tied_to, activation=None, ortho_weight=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.tied_to = tied_to
        self.activation = keras.activations.get(activation)
        self.ortho_weight = ortho_weight

    def build(self, input_shape):
        out_dim = self.tied_to.kernel.shape[0]
        self.bias = self.add_weight(name="bias", shape=(out_dim,), initializer="zeros")

    def call(self, x):
        w = self.tied_to.kernel  # (out_dim, in_dim)
        gram = tf.matmul(w, w, transpose_a=True)
        eye = tf.eye(tf.shape(gram)[0], dtype=gram.dtype)
        self.add_loss(self.ortho_weight * tf.reduce_sum(tf.square(gram - eye)))
        return self.activation(tf.matmul(x, w, transpose_b=True) + self.bias)

    def get_config(self):
        # note: the tie is structural, so this layer is rebuilt by build_autoencoder()
        config = super().get_config()
        config.update(
            activation=keras.activations.serialize(self.activation),
            ortho_weight=self.ortho_weight,
        )
        return config


class DenoisingAE(keras.Model):
    def __init__(self, input_dim, hidden, code_dim, **kwargs):
        super().__init__(**kwargs)
        self.noise = keras.layers.GaussianNoise(NOISE_STD)
        self.enc = keras.layers.Dense(hidden, activation="relu", name="enc")
        self.code = SparseCode(code_dim, name="code")
        self.dec_hidden = keras.layers.Dense(hidden, activation="relu", name="dec_hidden")
        self.dec_out = None
        self.input_dim = input_dim

    def build(self, input_shape):
        # build every sublayer up front so load_weights() finds all variables
        batch = input_shape[0]
        self.enc.build(input_shape)
        self.code.build((batch, self.enc.units))
        self.dec_hidden.build((batch, self.code.units))
        self.dec_out = TiedDense(self.enc, activation=None, name="dec_out")
        self.dec_out.build((batch, self.dec_hidden.units))
        super().build(input_shape)

    def call(self, x, training=False):
        h = self.enc(self.noise(x, training=training))
        z = self.code(h)
        return self.dec_out(self.dec_hidden(z))

    def encode(self, x):
        return self.code(self.enc(x))


def make_dataset(n, seed):
    rng = np.random.default_rng(seed)
    # data lives on a low-dim manifold: 6 latent factors through a random mixing matrix
    latent = rng.normal(size=(n, 6))
    mix = rng.normal(size=(6, INPUT_DIM)) / np.sqrt(6)
    x = np.tanh(latent @ mix).astype("float32")
    return (
        tf.data.Dataset.from_tensor_slices(x)
        .shuffle(n, seed=seed)
        .batch(BATCH, drop_remainder=True)
        .prefetch(2)
    )


def main():
    keras.utils.set_random_seed(21)
    train_ds = make_dataset(1024, 0)
    val_ds = make_dataset(256, 1)

    model = DenoisingAE(INPUT_DIM, HIDDEN, CODE_DIM, name="sparse_dae")
    model.build((None, INPUT_DIM))
    optimizer = keras.optimizers.Adam(LR)
    mse = keras.losses.MeanSquaredError()
    train_recon = keras.metrics.Mean("train_recon")
    train_reg = keras.metrics.Mean("train_reg")
    val_recon = keras.metrics.Mean("val_recon")

    @tf.function(reduce_retracing=True)
    def train_step(x):
        with tf.GradientTape() as tape:
            x_hat = model(x, training=True)
            recon = mse(x, x_hat)
            reg = tf.add_n(model.losses)
            total = recon + reg
        grads = tape.gradient(total, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_recon.update_state(recon)
        train_reg.update_state(reg)

    @tf.function
    def val_step(x):
        val_recon.update_state(mse(x, model(x, training=False)))

    for epoch in range(EPOCHS):
        t0 = time.time()
        for m in (train_recon, train_reg, val_recon):
            m.reset_state()
        for xb in train_ds:
            train_step(xb)
        for xb in val_ds:
            val_step(xb)
        print(
            f"epoch {epoch + 1}/{EPOCHS} "
            f"recon={train_recon.result():.4f} reg={train_reg.result():.4f} "
            f"val_recon={val_recon.result():.4f} ({time.time() - t0:.1f}s)"
        )

    print("aux loss terms per forward pass:", len(model.losses))
    sample = next(iter(val_ds))
    codes = model.encode(sample).numpy()
    print("code shape:", codes.shape, "mean activation:", codes.mean().round(4))

    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "sparse_dae.weights.h5")
        model.save_weights(ckpt)
        fresh = DenoisingAE(INPUT_DIM, HIDDEN, CODE_DIM, name="sparse_dae")
        fresh.build((None, INPUT_DIM))
        fresh.load_weights(ckpt)

    a = model(sample, training=False).numpy()
    b = fresh(sample, training=False).numpy()
    np.testing.assert_allclose(a, b, atol=1e-6)
    # the tied decoder should really share the encoder variable
    assert fresh.dec_out.tied_to.kernel is fresh.enc.kernel
    print("weights restored, outputs match; SparseCode config:", fresh.code.get_config()["units"])


if __name__ == "__main__":
    main()

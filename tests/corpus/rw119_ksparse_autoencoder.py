#!/usr/bin/env python
"""k-sparse denoising autoencoder on synthetic 12x12 "glyph" images.

The latent code keeps only its k largest activations per sample (top_k + where),
the encoder input is corrupted with keras.random noise, and the model has a
custom train_step / test_step with its own loss trackers.
"""
import argparse
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

ops = keras.ops


def parse_args(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--latent", type=int, default=48)
    p.add_argument("--k", type=int, default=8)
    p.add_argument("--noise", type=float, default=0.2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--out", default="/tmp/rw119_ksparse_ae.keras")
    return p.parse_args(argv)


def glyphs(n, size=12, seed=0):
    """Random combos of horizontal/vertical strokes."""
    r = np.random.RandomState(seed)
    imgs = np.zeros((n, size, size), dtype="float32")
    for img in imgs:
        for _ in range(r.randint(1, 4)):
            pos, lo = r.randint(1, size - 1), r.randint(0, size // 2)
            hi = lo + r.randint(3, size // 2 + 1)
            if r.rand() < 0.5:
                img[pos, lo:hi] = 1.0
            else:
                img[lo:hi, pos] = 1.0
    return imgs.reshape(n, -1)


@keras.utils.register_keras_serializable(package="rw119_ae")
class KSparse(layers.Layer):
    """Zero everything except the k largest entries of each row."""

    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def call(self, z):
        kth = ops.top_k(z, k=self.k)[0][:, -1:]          # k-th largest value per row
        return ops.where(z >= kth, z, ops.zeros_like(z))

    def get_config(self):
        return {**super().get_config(), "k": self.k}


@keras.utils.register_keras_serializable(package="rw119_ae")
class KSparseAE(keras.Model):
    def __init__(self, input_dim, latent=48, k=8, noise=0.2, seed=42, **kwargs):
        super().__init__(**kwargs)
        self.input_dim, self.latent, self.k, self.noise, self.seed = input_dim, latent, k, noise, seed
        self.enc = keras.Sequential([layers.Dense(96, activation="relu"),
                                     layers.Dense(latent, activation="relu")], name="enc")
        self.sparse = KSparse(k, name="ksparse")
        self.dec = keras.Sequential([layers.Dense(96, activation="relu"),
                                     layers.Dense(input_dim)], name="dec")
        self.noise_gen = keras.random.SeedGenerator(seed)
        self.recon_tracker = keras.metrics.Mean(name="recon")
        self.active_tracker = keras.metrics.Mean(name="active_units")

    @property
    def metrics(self):
        return [self.recon_tracker, self.active_tracker]

    def encode(self, x):
        return self.sparse(self.enc(x))

    def call(self, x, training=False):
        return ops.sigmoid(self.dec(self.encode(x)))

    def _recon_loss(self, x, logits):
        # BCE with logits, written out with keras.ops
        per_pixel = ops.maximum(logits, 0) - logits * x + ops.log1p(ops.exp(-ops.abs(logits)))
        return ops.mean(ops.sum(per_pixel, axis=-1))

    def _corrupt(self, x):
        drop = keras.random.uniform(ops.shape(x), seed=self.noise_gen) < self.noise
        return ops.where(drop, ops.zeros_like(x), x)

    def train_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        noisy = self._corrupt(x)
        with tf.GradientTape() as tape:
            z = self.encode(noisy)
            loss = self._recon_loss(x, self.dec(z))
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        self.recon_tracker.update_state(loss)
        self.active_tracker.update_state(ops.mean(ops.sum(ops.cast(z > 0, "float32"), axis=-1)))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x = data[0] if isinstance(data, tuple) else data
        z = self.encode(x)
        self.recon_tracker.update_state(self._recon_loss(x, self.dec(z)))
        self.active_tracker.update_state(ops.mean(ops.sum(ops.cast(z > 0, "float32"), axis=-1)))
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        return {"input_dim": self.input_dim, "latent": self.latent, "k": self.k,
                "noise": self.noise, "seed": self.seed, "name": self.name}


def main(args):
    x = glyphs(400)
    x_train, x_val = x[:320], x[320:]
    train_ds = tf.data.Dataset.from_tensor_slices(x_train).shuffle(320, seed=1).batch(args.batch)
    val_ds = tf.data.Dataset.from_tensor_slices(x_val).batch(args.batch)

    ae = KSparseAE(x.shape[1], latent=args.latent, k=args.k, noise=args.noise, name="ksparse_ae")
    ae.compile(optimizer=keras.optimizers.Adam(2e-3))
    t0 = time.time()
    ae.fit(train_ds, validation_data=val_ds, epochs=args.epochs, verbose=2)
    print(f"trained in {time.time() - t0:.1f}s")

    codes = ops.convert_to_numpy(ae.encode(x_val[:64]))
    nnz = (codes != 0).sum(axis=1)
    print(f"non-zeros per code: min={nnz.min()} max={nnz.max()} (k={args.k})")

    # config round trip -> fresh, untrained model with identical hyper-parameters
    twin = KSparseAE.from_config(ae.get_config())
    twin(x_val[:1])
    twin.set_weights(ae.get_weights())
    print("twin matches:", np.allclose(twin(x_val[:8]), ae(x_val[:8]), atol=1e-6))

    ae.save(args.out)
    restored = keras.models.load_model(args.out)
    err = [float(np.mean((m(x_val) - x_val) ** 2)) for m in (ae, restored)]
    print("val mse original / restored: {:.5f} / {:.5f}".format(*err))
    print("restored sparsity k:", restored.sparse.k)


if __name__ == "__main__":
    main(parse_args([]))

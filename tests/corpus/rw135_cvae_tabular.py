"""
Conditional VAE for mixed tabular data (a few continuous features),
conditioned on a one-hot class label.

Shows: a serializable custom sampling layer, KL loss added with add_loss in
the model's call(), a train_step/test_step override that relies on
compute_loss (compile loss + add_loss terms), and a weights round-trip
through /tmp.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_FEATURES = 8
N_CLASSES = 4
LATENT_DIM = 3
HIDDEN = [64, 32]
ROWS = 800
BATCH_SIZE = 64
EPOCHS = 2

rng = np.random.default_rng(2024)
keras.utils.set_random_seed(2024)


def make_table(n_rows):
    """Each class has its own mean vector and a shared random correlation."""
    class_means = rng.normal(0, 2, size=(N_CLASSES, N_FEATURES))
    mixing = rng.normal(0, 0.5, size=(N_FEATURES, N_FEATURES))
    labels = rng.integers(0, N_CLASSES, size=n_rows)
    base = rng.normal(size=(n_rows, N_FEATURES)) @ mixing
    x = base + class_means[labels]
    # one skewed column, like a price or a count
    x[:, -1] = np.log1p(np.exp(x[:, -1]))
    return x.astype(np.float32), labels.astype(np.int32)


def standardize(train, *others):
    mu = train.mean(axis=0, keepdims=True)
    sd = train.std(axis=0, keepdims=True) + 1e-6
    return [(a - mu) / sd for a in (train, *others)], (mu, sd)


@keras.saving.register_keras_serializable(package="rw135")
class GaussianSample(layers.Layer):
    def __init__(self, seed=0, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self._gen = keras.random.SeedGenerator(seed)

    def call(self, mean, log_var):
        noise = keras.random.normal(keras.ops.shape(mean), seed=self._gen)
        return mean + keras.ops.exp(0.5 * log_var) * noise

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def mlp(sizes, name):
    return keras.Sequential(
        [layers.Dense(s, activation="gelu", name=f"{name}_{i}") for i, s in enumerate(sizes)],
        name=name,
    )


class CVAE(keras.Model):
    def __init__(self, n_features, n_classes, latent_dim, hidden, **kwargs):
        super().__init__(**kwargs)
        self.n_classes = n_classes
        self.latent_dim = latent_dim
        self.enc_body = mlp(hidden, "enc")
        self.to_stats = layers.Dense(2 * latent_dim, name="enc_stats")
        self.sampler = GaussianSample(seed=7, name="sampler")
        self.dec_body = mlp(hidden[::-1], "dec")
        self.out_layer = layers.Dense(n_features, name="dec_out")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    def encode(self, x, y_onehot):
        stats = self.to_stats(self.enc_body(tf.concat([x, y_onehot], axis=-1)))
        mean, log_var = tf.split(stats, 2, axis=-1)
        return mean, tf.clip_by_value(log_var, -8.0, 8.0)

    def decode(self, z, y_onehot):
        return self.out_layer(self.dec_body(tf.concat([z, y_onehot], axis=-1)))

    def call(self, inputs, training=False):
        x, y = inputs
        y_onehot = tf.one_hot(y, self.n_classes)
        mean, log_var = self.encode(x, y_onehot)
        z = self.sampler(mean, log_var) if training else mean
        kl = -0.5 * tf.reduce_mean(
            tf.reduce_sum(1.0 + log_var - tf.square(mean) - tf.exp(log_var), axis=1))
        self.add_loss(kl)
        self._last_kl = kl
        return self.decode(z, y_onehot)

    def generate(self, labels):
        labels = tf.convert_to_tensor(labels, tf.int32)
        z = tf.random.normal((tf.shape(labels)[0], self.latent_dim))
        return self.decode(z, tf.one_hot(labels, self.n_classes))

    @property
    def metrics(self):
        return [self.loss_tracker, self.kl_tracker] + list(self._compiled_metric_list())

    def _compiled_metric_list(self):
        # compile(metrics=...) are wrapped by keras in a CompileMetrics object
        cm = getattr(self, "_compile_metrics", None)
        return [cm] if cm is not None else []

    def train_step(self, data):
        (x, y), target = data
        with tf.GradientTape() as tape:
            recon = self((x, y), training=True)
            # compute_loss = compiled loss + everything registered via add_loss
            loss = self.compute_loss(x=(x, y), y=target, y_pred=recon)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._update(loss, target, recon)

    def test_step(self, data):
        (x, y), target = data
        recon = self((x, y), training=False)
        loss = self.compute_loss(x=(x, y), y=target, y_pred=recon)
        return self._update(loss, target, recon)

    def _update(self, loss, target, recon):
        self.loss_tracker.update_state(loss)
        self.kl_tracker.update_state(self._last_kl)
        logs = {"loss": self.loss_tracker.result(), "kl": self.kl_tracker.result()}
        for m in self._compiled_metric_list():
            m.update_state(target, recon)
            logs.update(m.result())
        return logs


def to_dataset(x, y, shuffle):
    ds = tf.data.Dataset.from_tensor_slices(((x, y), x))
    if shuffle:
        ds = ds.shuffle(len(x), reshuffle_each_iteration=True)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def build_model():
    model = CVAE(N_FEATURES, N_CLASSES, LATENT_DIM, HIDDEN, name="cvae")
    model((tf.zeros((1, N_FEATURES)), tf.zeros((1,), tf.int32)))
    model.compile(optimizer=keras.optimizers.AdamW(3e-3, weight_decay=1e-4),
                  loss="mse", metrics=["mae"])
    return model


def main():
    x, y = make_table(ROWS)
    cut = int(0.8 * ROWS)
    (x_tr, x_va), (mu, sd) = standardize(x[:cut], x[cut:])
    y_tr, y_va = y[:cut], y[cut:]

    model = build_model()
    model.fit(to_dataset(x_tr, y_tr, True), validation_data=to_dataset(x_va, y_va, False),
              epochs=EPOCHS, verbose=2)

    # weights round trip
    path = os.path.join(tempfile.mkdtemp(), "cvae.weights.h5")
    model.save_weights(path)
    clone = build_model()
    clone.load_weights(path)
    a = model((x_va[:5], y_va[:5])).numpy()
    b = clone((x_va[:5], y_va[:5])).numpy()
    print(f"weights saved to {path}; reload max diff = {np.abs(a - b).max():.2e}")

    # class-conditional generation, compare per-class means in original units
    for c in range(N_CLASSES):
        gen = model.generate(np.full(200, c)).numpy() * sd + mu
        real = x[y == c]
        err = np.abs(gen.mean(0) - real.mean(0)).mean()
        print(f"class {c}: n_real={len(real):3d}  mean |gen-real| feature gap = {err:.3f}")


if __name__ == "__main__":
    main()

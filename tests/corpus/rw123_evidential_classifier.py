"""Evidential deep learning for classification (Dirichlet outputs).

The network outputs non-negative "evidence" e_k; alpha = e + 1 parameterises a
Dirichlet over class probabilities. Loss = expected squared error under the
Dirichlet + annealed KL towards the uniform Dirichlet for misleading evidence.
Uncertainty mass u = K / sum(alpha).
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class Settings:
    num_classes: int = 3
    dim: int = 8
    n_train: int = 450
    n_test: int = 150
    epochs: int = 2
    batch_size: int = 30
    anneal_epochs: int = 2
    lr: float = 1e-3
    seed: int = 11


S = Settings()
keras.utils.set_random_seed(S.seed)


def gaussian_blobs(n, k, d, rng, spread=2.2):
    centers = rng.normal(0, 1.5, size=(k, d))
    y = rng.integers(0, k, size=n)
    x = centers[y] + spread * rng.normal(size=(n, d))
    return x.astype("float32"), y.astype("int32"), centers


class Evidence(layers.Layer):
    """softplus -> evidence >= 0."""

    def call(self, logits):
        return tf.nn.softplus(logits)


def kl_to_uniform_dirichlet(alpha):
    k = tf.cast(tf.shape(alpha)[-1], alpha.dtype)
    s = tf.reduce_sum(alpha, axis=-1, keepdims=True)
    first = (tf.math.lgamma(s) - tf.math.lgamma(k)
             - tf.reduce_sum(tf.math.lgamma(alpha), axis=-1, keepdims=True))
    second = tf.reduce_sum((alpha - 1.0) * (tf.math.digamma(alpha) - tf.math.digamma(s)),
                           axis=-1, keepdims=True)
    return tf.squeeze(first + second, -1)


class EvidentialLoss(keras.losses.Loss):
    def __init__(self, num_classes, anneal_var, name="evidential_mse"):
        super().__init__(name=name)
        self.num_classes = num_classes
        self.anneal = anneal_var   # tf.Variable updated by a callback

    def call(self, y_true, evidence):
        y = tf.one_hot(tf.cast(tf.reshape(y_true, [-1]), tf.int32), self.num_classes)
        alpha = evidence + 1.0
        s = tf.reduce_sum(alpha, axis=-1, keepdims=True)
        p = alpha / s
        err = tf.reduce_sum(tf.square(y - p), axis=-1)
        var = tf.reduce_sum(p * (1.0 - p) / (s + 1.0), axis=-1)
        # remove evidence for the true class before the KL regulariser
        alpha_tilde = y + (1.0 - y) * alpha
        kl = kl_to_uniform_dirichlet(alpha_tilde)
        return err + var + self.anneal * kl


class KLAnneal(keras.callbacks.Callback):
    def __init__(self, var, total_epochs):
        super().__init__()
        self.var, self.total = var, total_epochs

    def on_epoch_begin(self, epoch, logs=None):
        coef = min(1.0, epoch / max(1, self.total))
        self.var.assign(coef)
        print(f"\n[KLAnneal] epoch {epoch}: lambda={coef:.2f}")


def evidential_accuracy(y_true, evidence):
    y_true = tf.cast(tf.reshape(y_true, [-1]), tf.int64)
    return tf.reduce_mean(tf.cast(tf.equal(tf.argmax(evidence, -1), y_true), tf.float32))


def build(settings):
    inputs = keras.Input((settings.dim,))
    x = layers.Dense(64, activation="relu")(inputs)
    x = layers.Dropout(0.1)(x)
    x = layers.Dense(32, activation="relu")(x)
    evidence = Evidence(name="evidence")(layers.Dense(settings.num_classes)(x))
    return keras.Model(inputs, evidence)


def dirichlet_summary(evidence):
    alpha = evidence + 1.0
    strength = alpha.sum(-1)
    probs = alpha / strength[:, None]
    u = alpha.shape[-1] / strength
    return probs, u


def main():
    rng = np.random.default_rng(S.seed)
    x, y, centers = gaussian_blobs(S.n_train + S.n_test, S.num_classes, S.dim, rng)
    x_tr, y_tr, x_te, y_te = x[:S.n_train], y[:S.n_train], x[S.n_train:], y[S.n_train:]

    anneal = tf.Variable(0.0, trainable=False, dtype=tf.float32)
    model = build(S)
    model.compile(optimizer=keras.optimizers.Adam(S.lr),
                  loss=EvidentialLoss(S.num_classes, anneal),
                  metrics=[evidential_accuracy])
    model.fit(x_tr, y_tr, batch_size=S.batch_size, epochs=S.epochs,
              validation_split=0.1, callbacks=[KLAnneal(anneal, S.anneal_epochs)], verbose=2)

    ev_te = model.predict(x_te, verbose=0)
    probs, u = dirichlet_summary(ev_te)
    correct = probs.argmax(-1) == y_te
    print(f"test acc={correct.mean():.3f}")
    print(f"mean uncertainty  correct={u[correct].mean():.3f}  "
          f"wrong={u[~correct].mean() if (~correct).any() else float('nan'):.3f}")

    # OOD: samples far from every blob centre
    x_ood = (centers.mean(0) + rng.normal(0, 12.0, size=(100, S.dim))).astype("float32")
    _, u_ood = dirichlet_summary(model.predict(x_ood, verbose=0))
    print(f"mean uncertainty in-dist={u.mean():.3f}  ood={u_ood.mean():.3f}")

    # selective prediction: reject the most uncertain fraction
    for reject in (0.0, 0.1, 0.25):
        keep = u <= np.quantile(u, 1.0 - reject)
        print(f"  reject {int(reject * 100):2d}% -> acc on kept={correct[keep].mean():.3f} (n={keep.sum()})")


if __name__ == "__main__":
    main()

"""Variational autoencoder with a cyclical KL-annealing schedule.

Data are tiny 8x8 binary "glyphs" (random horizontal/vertical bars with
pixel flips). Encoder and decoder are separate sub-networks inside one
tf.keras.Model; the loss is Bernoulli reconstruction + beta(t) * KL, where
beta follows a cyclical linear ramp (Fu et al. style). Training uses a
hand-written GradientTape loop and logs the per-epoch ELBO terms plus the
number of "active" latent units.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf


@dataclass
class VAEConfig:
    img_side: int = 8
    latent_dim: int = 6
    hidden: int = 96
    n_train: int = 1536
    batch_size: int = 64
    epochs: int = 6
    lr: float = 1e-3
    n_cycles: int = 2
    ramp_fraction: float = 0.5
    beta_max: float = 1.0
    seed: int = 11


def make_bars(n, side, rng, flip_prob=0.05):
    imgs = np.zeros((n, side, side), dtype=np.float32)
    for i in range(n):
        rows = rng.random(side) < 0.25
        cols = rng.random(side) < 0.25
        imgs[i, rows, :] = 1.0
        imgs[i, :, cols] = 1.0
    flips = rng.random(imgs.shape) < flip_prob
    imgs = np.where(flips, 1.0 - imgs, imgs)
    return imgs.reshape(n, side * side)


def cyclical_beta(step, total_steps, n_cycles, ramp_fraction, beta_max):
    period = total_steps / n_cycles
    phase = (step % period) / period
    return float(beta_max * min(1.0, phase / ramp_fraction))


class Encoder(tf.keras.layers.Layer):
    def __init__(self, hidden, latent_dim, **kw):
        super().__init__(**kw)
        self.body = tf.keras.Sequential([
            tf.keras.layers.Dense(hidden, activation="elu"),
            tf.keras.layers.Dense(hidden // 2, activation="elu"),
        ])
        self.mu = tf.keras.layers.Dense(latent_dim)
        self.logvar = tf.keras.layers.Dense(latent_dim)

    def call(self, x):
        h = self.body(x)
        return self.mu(h), tf.clip_by_value(self.logvar(h), -8.0, 8.0)


class Decoder(tf.keras.layers.Layer):
    def __init__(self, hidden, out_dim, **kw):
        super().__init__(**kw)
        self.body = tf.keras.Sequential([
            tf.keras.layers.Dense(hidden // 2, activation="elu"),
            tf.keras.layers.Dense(hidden, activation="elu"),
            tf.keras.layers.Dense(out_dim),
        ])

    def call(self, z):
        return self.body(z)


class VAE(tf.keras.Model):
    def __init__(self, cfg):
        super().__init__()
        self.encoder = Encoder(cfg.hidden, cfg.latent_dim)
        self.decoder = Decoder(cfg.hidden, cfg.img_side ** 2)

    def call(self, x, sample=True):
        mu, logvar = self.encoder(x)
        if sample:
            eps = tf.random.normal(tf.shape(mu))
            z = mu + tf.exp(0.5 * logvar) * eps
        else:
            z = mu
        return self.decoder(z), mu, logvar


def elbo_terms(x, logits, mu, logvar):
    rec = tf.reduce_sum(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), axis=-1)
    kl = -0.5 * tf.reduce_sum(1.0 + logvar - tf.square(mu) - tf.exp(logvar), axis=-1)
    return tf.reduce_mean(rec), tf.reduce_mean(kl)


def main():
    cfg = VAEConfig()
    rng = np.random.default_rng(cfg.seed)
    tf.random.set_seed(cfg.seed)
    x_train = make_bars(cfg.n_train, cfg.img_side, rng)
    x_val = make_bars(256, cfg.img_side, rng)

    ds = (tf.data.Dataset.from_tensor_slices(x_train)
          .shuffle(cfg.n_train, seed=cfg.seed)
          .batch(cfg.batch_size, drop_remainder=True))
    steps_per_epoch = cfg.n_train // cfg.batch_size
    total_steps = steps_per_epoch * cfg.epochs

    vae = VAE(cfg)
    opt = tf.keras.optimizers.Adam(cfg.lr)
    beta_var = tf.Variable(0.0, trainable=False, dtype=tf.float32)

    @tf.function
    def train_step(x):
        with tf.GradientTape() as tape:
            logits, mu, logvar = vae(x, sample=True)
            rec, kl = elbo_terms(x, logits, mu, logvar)
            loss = rec + beta_var * kl
        grads = tape.gradient(loss, vae.trainable_variables)
        opt.apply_gradients(zip(grads, vae.trainable_variables))
        return rec, kl

    global_step = 0
    history = []
    for epoch in range(cfg.epochs):
        rec_m = tf.keras.metrics.Mean()
        kl_m = tf.keras.metrics.Mean()
        for xb in ds:
            beta_var.assign(cyclical_beta(global_step, total_steps, cfg.n_cycles,
                                          cfg.ramp_fraction, cfg.beta_max))
            rec, kl = train_step(xb)
            rec_m.update_state(rec)
            kl_m.update_state(kl)
            global_step += 1

        val_logits, val_mu, val_logvar = vae(tf.constant(x_val), sample=False)
        v_rec, v_kl = elbo_terms(x_val, val_logits, val_mu, val_logvar)
        # A latent unit is "active" if its posterior mean varies across data.
        active = int(tf.reduce_sum(tf.cast(
            tf.math.reduce_variance(val_mu, axis=0) > 1e-2, tf.int32)))
        log = {
            "epoch": epoch,
            "beta": round(float(beta_var.numpy()), 3),
            "train_rec": round(float(rec_m.result()), 3),
            "train_kl": round(float(kl_m.result()), 3),
            "val_neg_elbo": round(float(v_rec + v_kl), 3),
            "active_units": active,
        }
        history.append(log)
        print(log)

    samples = tf.sigmoid(vae.decoder(tf.random.normal((4, cfg.latent_dim))))
    grid = tf.reshape(tf.cast(samples > 0.5, tf.int32), (4, cfg.img_side, cfg.img_side))
    print("first prior sample:\n", grid[0].numpy())


if __name__ == "__main__":
    main()

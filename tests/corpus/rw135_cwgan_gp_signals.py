"""Conditional WGAN-GP for short 1-D signals (sine / square / sawtooth).

Generator: noise * Embedding(label) (element-wise, classic cGAN trick) -> Dense -> Conv1D.
Critic: label embedding broadcast along time and concatenated as an extra channel.
Training is an explicit loop with tf.function steps; gradient penalty uses
a nested GradientTape.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class Config:
    seq_len: int = 32
    n_classes: int = 3
    noise_dim: int = 24
    n_per_class: int = 120
    batch_size: int = 40
    n_critic: int = 3
    gp_weight: float = 10.0
    epochs: int = 2
    lr: float = 1e-3


cfg = Config()
tf.random.set_seed(5)
rs = np.random.RandomState(5)

CLASS_NAMES = ["sine", "square", "sawtooth"]


def synth_signals(cfg):
    t = np.linspace(0, 1, cfg.seq_len, endpoint=False)
    signals, labels = [], []
    for cls in range(cfg.n_classes):
        freq = rs.uniform(1.5, 3.5, size=(cfg.n_per_class, 1))
        phase = rs.uniform(0, 1, size=(cfg.n_per_class, 1))
        arg = freq * t[None, :] + phase
        if cls == 0:
            s = np.sin(2 * np.pi * arg)
        elif cls == 1:
            s = np.sign(np.sin(2 * np.pi * arg))
        else:
            s = 2 * (arg - np.floor(arg)) - 1
        s = s + rs.normal(0, 0.05, size=s.shape)
        signals.append(s)
        labels.append(np.full(cfg.n_per_class, cls))
    x = np.concatenate(signals)[..., None].astype("float32")
    y = np.concatenate(labels).astype("int32")
    return x, y


def generator_model(cfg):
    z = layers.Input((cfg.noise_dim,))
    lbl = layers.Input((), dtype="int32")
    emb = layers.Embedding(cfg.n_classes, cfg.noise_dim)(lbl)
    h = layers.Multiply()([z, emb])
    h = layers.Dense((cfg.seq_len // 4) * 32, activation="relu")(h)
    h = layers.Reshape((cfg.seq_len // 4, 32))(h)
    h = layers.UpSampling1D(2)(h)
    h = layers.Conv1D(32, 5, padding="same", activation="relu")(h)
    h = layers.UpSampling1D(2)(h)
    h = layers.Conv1D(16, 5, padding="same", activation="relu")(h)
    out = layers.Conv1D(1, 5, padding="same", activation="tanh")(h)
    return keras.Model([z, lbl], out, name="G")


def critic_model(cfg):
    x = layers.Input((cfg.seq_len, 1))
    lbl = layers.Input((), dtype="int32")
    emb = layers.Embedding(cfg.n_classes, 4)(lbl)           # (B, 4)
    emb = layers.RepeatVector(cfg.seq_len)(emb)              # (B, T, 4)
    h = layers.Concatenate()([x, emb])
    for f in (32, 64):
        h = layers.Conv1D(f, 5, strides=2, padding="same")(h)
        h = layers.LeakyReLU(negative_slope=0.2)(h)   # no BN in WGAN-GP critic
    h = layers.GlobalAveragePooling1D()(h)
    score = layers.Dense(1)(h)
    return keras.Model([x, lbl], score, name="D")


G = generator_model(cfg)
D = critic_model(cfg)
g_opt = keras.optimizers.Adam(cfg.lr, beta_1=0.0, beta_2=0.9)
d_opt = keras.optimizers.Adam(cfg.lr, beta_1=0.0, beta_2=0.9)


def gradient_penalty(real, fake, labels):
    b = tf.shape(real)[0]
    alpha = tf.random.uniform((b, 1, 1))
    interp = real + alpha * (fake - real)
    with tf.GradientTape() as gp_tape:
        gp_tape.watch(interp)
        score = D([interp, labels], training=True)
    grads = gp_tape.gradient(score, interp)
    norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2]) + 1e-12)
    return tf.reduce_mean(tf.square(norm - 1.0))


@tf.function
def critic_step(real, labels):
    b = tf.shape(real)[0]
    z = tf.random.normal((b, cfg.noise_dim))
    with tf.GradientTape() as tape:
        fake = G([z, labels], training=True)
        d_real = D([real, labels], training=True)
        d_fake = D([fake, labels], training=True)
        w_dist = tf.reduce_mean(d_real) - tf.reduce_mean(d_fake)
        gp = gradient_penalty(real, fake, labels)
        loss = -w_dist + cfg.gp_weight * gp
    grads = tape.gradient(loss, D.trainable_variables)
    d_opt.apply_gradients(zip(grads, D.trainable_variables))
    return loss, w_dist, gp


@tf.function
def generator_step(labels):
    b = tf.shape(labels)[0]
    z = tf.random.normal((b, cfg.noise_dim))
    with tf.GradientTape() as tape:
        fake = G([z, labels], training=True)
        loss = -tf.reduce_mean(D([fake, labels], training=True))
    grads = tape.gradient(loss, G.trainable_variables)
    g_opt.apply_gradients(zip(grads, G.trainable_variables))
    return loss


def train(dataset):
    history = {"d_loss": [], "g_loss": [], "w_dist": []}
    for epoch in range(cfg.epochs):
        d_losses, g_losses, w_ds = [], [], []
        for i, (real, labels) in enumerate(dataset):
            d_loss, w_dist, _ = critic_step(real, labels)
            d_losses.append(float(d_loss))
            w_ds.append(float(w_dist))
            if (i + 1) % cfg.n_critic == 0:     # python int, fine outside tf.function
                g_losses.append(float(generator_step(labels)))
        history["d_loss"].append(np.mean(d_losses))
        history["g_loss"].append(np.mean(g_losses) if g_losses else float("nan"))
        history["w_dist"].append(np.mean(w_ds))
        print(f"epoch {epoch + 1}/{cfg.epochs} "
              f"d_loss={history['d_loss'][-1]:.3f} g_loss={history['g_loss'][-1]:.3f} "
              f"W~{history['w_dist'][-1]:.3f}")
    return history


def class_stats(x):
    # crude per-signal features: zero crossings and fraction near +/-1
    zc = np.mean(np.abs(np.diff(np.sign(x[..., 0]), axis=1)) > 0, axis=1)
    sat = np.mean(np.abs(x[..., 0]) > 0.9, axis=1)
    return zc.mean(), sat.mean()


if __name__ == "__main__":
    X, Y = synth_signals(cfg)
    ds = (tf.data.Dataset.from_tensor_slices((X, Y))
          .shuffle(len(X), seed=5)
          .batch(cfg.batch_size, drop_remainder=True)
          .prefetch(tf.data.AUTOTUNE))
    print(f"{len(X)} signals of length {cfg.seq_len}; G params={G.count_params()} D params={D.count_params()}")

    train(ds)

    for cls, name in enumerate(CLASS_NAMES):
        lbl = tf.fill((16,), cls)
        fake = G([tf.random.normal((16, cfg.noise_dim)), lbl], training=False).numpy()
        real_zc, real_sat = class_stats(X[Y == cls])
        fake_zc, fake_sat = class_stats(fake)
        print(f"{name:>9}: real zc={real_zc:.3f} sat={real_sat:.3f} | "
              f"fake zc={fake_zc:.3f} sat={fake_sat:.3f}")

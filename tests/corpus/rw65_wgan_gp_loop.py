"""WGAN-GP (Gulrajani et al., 2017) with a hand-written training loop.

Critic and generator are small DCGAN-style Sequential models for 16x16
grayscale images. The critic is updated `n_critic` times per generator step
and is regularised with the gradient penalty on random interpolates between
real and fake samples. Everything lives in tf.function-compiled steps.
"""
from dataclasses import dataclass, field
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class TrainConfig:
    img_size: int = 16
    channels: int = 1
    noise_dim: int = 64
    batch_size: int = 32
    n_critic: int = 3
    gp_weight: float = 10.0
    gen_lr: float = 1e-4
    critic_lr: float = 1e-4
    adam_betas: tuple = (0.5, 0.9)   # betas recommended by the paper
    train_steps: int = 6
    n_images: int = 512
    gen_filters: list = field(default_factory=lambda: [64, 32])


def build_generator(cfg: TrainConfig) -> keras.Model:
    start = cfg.img_size // 4
    model = keras.Sequential(name="generator")
    model.add(keras.Input(shape=(cfg.noise_dim,)))
    model.add(layers.Dense(start * start * cfg.gen_filters[0], use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU(0.2))
    model.add(layers.Reshape((start, start, cfg.gen_filters[0])))
    for filters in cfg.gen_filters:
        model.add(layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False))
        model.add(layers.BatchNormalization())
        model.add(layers.LeakyReLU(0.2))
    model.add(layers.Conv2D(cfg.channels, 3, padding="same", activation="tanh"))
    return model


def build_critic(cfg: TrainConfig) -> keras.Model:
    # NOTE: no BatchNorm in the critic -- the GP is computed per-sample and
    # batch statistics would couple samples together. LayerNorm is fine.
    return keras.Sequential(
        [
            keras.Input(shape=(cfg.img_size, cfg.img_size, cfg.channels)),
            layers.Conv2D(32, 4, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(64, 4, strides=2, padding="same"),
            layers.LayerNormalization(axis=[1, 2, 3]),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(1),   # linear output: it's a critic, not a classifier
        ],
        name="critic",
    )


def critic_loss(real_logits, fake_logits):
    return tf.reduce_mean(fake_logits) - tf.reduce_mean(real_logits)


def generator_loss(fake_logits):
    return -tf.reduce_mean(fake_logits)


def gradient_penalty(critic, real_images, fake_images):
    """E[(||grad_x D(x_hat)||_2 - 1)^2] with x_hat on the line real <-> fake."""
    batch_size = tf.shape(real_images)[0]
    alpha = tf.random.uniform([batch_size, 1, 1, 1], 0.0, 1.0)
    interpolated = real_images + alpha * (fake_images - real_images)

    with tf.GradientTape() as gp_tape:
        gp_tape.watch(interpolated)
        pred = critic(interpolated, training=True)

    grads = gp_tape.gradient(pred, [interpolated])[0]
    norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
    return tf.reduce_mean((norm - 1.0) ** 2)


class WGANGPTrainer:
    def __init__(self, cfg: TrainConfig):
        self.cfg = cfg
        self.generator = build_generator(cfg)
        self.critic = build_critic(cfg)
        b1, b2 = cfg.adam_betas
        self.g_opt = keras.optimizers.Adam(cfg.gen_lr, beta_1=b1, beta_2=b2)
        self.c_opt = keras.optimizers.Adam(cfg.critic_lr, beta_1=b1, beta_2=b2)
        self.fixed_noise = tf.random.normal([16, cfg.noise_dim], seed=1234)

    @tf.function
    def critic_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        noise = tf.random.normal([batch_size, self.cfg.noise_dim])
        with tf.GradientTape() as tape:
            fake_images = self.generator(noise, training=True)
            real_logits = self.critic(real_images, training=True)
            fake_logits = self.critic(fake_images, training=True)
            c_cost = critic_loss(real_logits, fake_logits)
            gp = gradient_penalty(self.critic, real_images, fake_images)
            c_loss = c_cost + self.cfg.gp_weight * gp
        grads = tape.gradient(c_loss, self.critic.trainable_variables)
        self.c_opt.apply_gradients(zip(grads, self.critic.trainable_variables))
        # Wasserstein estimate is -c_cost
        return c_loss, gp, -c_cost

    @tf.function
    def generator_step(self, batch_size):
        noise = tf.random.normal([batch_size, self.cfg.noise_dim])
        with tf.GradientTape() as tape:
            fake_images = self.generator(noise, training=True)
            fake_logits = self.critic(fake_images, training=True)
            g_loss = generator_loss(fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_opt.apply_gradients(zip(grads, self.generator.trainable_variables))
        return g_loss

    def train(self, dataset):
        it = iter(dataset.repeat())
        history = {"c_loss": [], "g_loss": [], "gp": [], "w_dist": []}
        for step in range(1, self.cfg.train_steps + 1):
            t0 = time.time()
            for _ in range(self.cfg.n_critic):
                c_loss, gp, w_dist = self.critic_step(next(it))
            g_loss = self.generator_step(tf.constant(self.cfg.batch_size))

            history["c_loss"].append(float(c_loss))
            history["g_loss"].append(float(g_loss))
            history["gp"].append(float(gp))
            history["w_dist"].append(float(w_dist))
            print(f"step {step:3d} | c_loss {float(c_loss):8.4f} | gp {float(gp):.4f} "
                  f"| W~ {float(w_dist):.4f} | g_loss {float(g_loss):8.4f} "
                  f"| {time.time() - t0:.2f}s")
        return history

    def sample_grid(self, rows=4, cols=4):
        imgs = self.generator(self.fixed_noise, training=False).numpy()
        imgs = (imgs + 1.0) / 2.0
        s, c = self.cfg.img_size, self.cfg.channels
        grid = imgs[: rows * cols].reshape(rows, cols, s, s, c)
        grid = grid.transpose(0, 2, 1, 3, 4).reshape(rows * s, cols * s, c)
        return grid


def load_fake_images(cfg: TrainConfig):
    """Random rectangles on black background, scaled to [-1, 1]."""
    rng = np.random.default_rng(0)
    data = np.zeros((cfg.n_images, cfg.img_size, cfg.img_size, cfg.channels), "float32")
    for i in range(cfg.n_images):
        x0, y0 = rng.integers(0, cfg.img_size // 2, size=2)
        w, h = rng.integers(3, cfg.img_size // 2, size=2)
        data[i, y0:y0 + h, x0:x0 + w, :] = 1.0
    return data * 2.0 - 1.0


def main():
    cfg = TrainConfig()
    print(cfg)
    images = load_fake_images(cfg)
    dataset = (
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(1024)
        .batch(cfg.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )

    trainer = WGANGPTrainer(cfg)
    trainer.generator.summary()
    trainer.critic.summary()

    hist = trainer.train(dataset)
    print("mean critic loss over run:", np.mean(hist["c_loss"]))
    grid = trainer.sample_grid()
    print("sample grid shape:", grid.shape)


if __name__ == "__main__":
    main()

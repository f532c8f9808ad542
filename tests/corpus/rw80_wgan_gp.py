"""WGAN-GP (Gulrajani et al. 2017) for 28x28 grayscale digits, Keras 3 + TF backend.

The critic is trained `d_steps` times per generator step and regularised with
a gradient penalty on random interpolates between real and fake samples.
Random "digits" are used here so the script is self-contained.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class WGANConfig:
    img_shape: tuple = (28, 28, 1)
    noise_dim: int = 64
    batch_size: int = 32
    num_samples: int = 128
    epochs: int = 1
    d_steps: int = 3
    gp_weight: float = 10.0
    lr: float = 2e-4
    beta_1: float = 0.5
    beta_2: float = 0.9


CFG = WGANConfig()


def conv_block(x, filters, activation, kernel_size=(3, 3), strides=(1, 1), padding="same",
               use_bias=True, use_bn=False, use_dropout=False, drop_value=0.5):
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias)(x)
    if use_bn:
        x = layers.BatchNormalization()(x)
    x = activation(x)
    if use_dropout:
        x = layers.Dropout(drop_value)(x)
    return x


def upsample_block(x, filters, activation, kernel_size=(3, 3), strides=(1, 1), up_size=(2, 2),
                   padding="same", use_bn=False, use_bias=True, use_dropout=False, drop_value=0.3):
    x = layers.UpSampling2D(up_size)(x)
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding=padding, use_bias=use_bias)(x)
    if use_bn:
        x = layers.BatchNormalization()(x)
    if activation:
        x = activation(x)
    if use_dropout:
        x = layers.Dropout(drop_value)(x)
    return x


def get_critic_model(cfg):
    img_input = layers.Input(shape=cfg.img_shape)
    # pad 28x28 -> 32x32 so that three stride-2 convs divide evenly
    x = layers.ZeroPadding2D((2, 2))(img_input)
    x = conv_block(x, 32, kernel_size=(5, 5), strides=(2, 2), use_bn=False, use_bias=True,
                   activation=layers.LeakyReLU(0.2))
    x = conv_block(x, 64, kernel_size=(5, 5), strides=(2, 2), use_bn=False, use_bias=True,
                   activation=layers.LeakyReLU(0.2), use_dropout=True, drop_value=0.3)
    x = conv_block(x, 128, kernel_size=(5, 5), strides=(2, 2), use_bn=False, use_bias=True,
                   activation=layers.LeakyReLU(0.2), use_dropout=True, drop_value=0.3)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(1)(x)  # no sigmoid: Wasserstein critic outputs a score
    return keras.models.Model(img_input, x, name="critic")


def get_generator_model(cfg):
    noise = layers.Input(shape=(cfg.noise_dim,))
    x = layers.Dense(4 * 4 * 128, use_bias=False)(noise)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.Reshape((4, 4, 128))(x)
    x = upsample_block(x, 64, layers.LeakyReLU(0.2), use_bias=False, use_bn=True)
    x = upsample_block(x, 32, layers.LeakyReLU(0.2), use_bias=False, use_bn=True)
    x = upsample_block(x, 1, layers.Activation("tanh"), use_bias=False, use_bn=True)
    # 32x32 -> 28x28
    x = layers.Cropping2D((2, 2))(x)
    return keras.models.Model(noise, x, name="generator")


class WGAN(keras.Model):
    def __init__(self, critic, generator, latent_dim, discriminator_extra_steps=3, gp_weight=10.0):
        super().__init__()
        self.critic = critic
        self.generator = generator
        self.latent_dim = latent_dim
        self.d_steps = discriminator_extra_steps
        self.gp_weight = gp_weight

    def compile(self, d_optimizer, g_optimizer, d_loss_fn, g_loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.d_loss_fn = d_loss_fn
        self.g_loss_fn = g_loss_fn

    def gradient_penalty(self, batch_size, real_images, fake_images):
        """Penalty on the critic's gradient norm at interpolated images."""
        alpha = tf.random.uniform([batch_size, 1, 1, 1], 0.0, 1.0)
        diff = fake_images - real_images
        interpolated = real_images + alpha * diff

        with tf.GradientTape() as gp_tape:
            gp_tape.watch(interpolated)
            pred = self.critic(interpolated, training=True)

        grads = gp_tape.gradient(pred, [interpolated])[0]
        norm = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3]) + 1e-12)
        return tf.reduce_mean((norm - 1.0) ** 2)

    def train_step(self, real_images):
        if isinstance(real_images, tuple):
            real_images = real_images[0]
        batch_size = tf.shape(real_images)[0]

        # Train the critic d_steps times for every generator update.
        for _ in range(self.d_steps):
            random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
            with tf.GradientTape() as tape:
                fake_images = self.generator(random_latent_vectors, training=True)
                fake_logits = self.critic(fake_images, training=True)
                real_logits = self.critic(real_images, training=True)
                d_cost = self.d_loss_fn(real_img=real_logits, fake_img=fake_logits)
                gp = self.gradient_penalty(batch_size, real_images, fake_images)
                d_loss = d_cost + gp * self.gp_weight
            d_gradient = tape.gradient(d_loss, self.critic.trainable_variables)
            self.d_optimizer.apply_gradients(zip(d_gradient, self.critic.trainable_variables))

        random_latent_vectors = tf.random.normal(shape=(batch_size, self.latent_dim))
        with tf.GradientTape() as tape:
            generated_images = self.generator(random_latent_vectors, training=True)
            gen_img_logits = self.critic(generated_images, training=True)
            g_loss = self.g_loss_fn(gen_img_logits)
        gen_gradient = tape.gradient(g_loss, self.generator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(gen_gradient, self.generator.trainable_variables))
        return {"d_loss": d_loss, "g_loss": g_loss, "gp": gp}


def discriminator_loss(real_img, fake_img):
    real_loss = tf.reduce_mean(real_img)
    fake_loss = tf.reduce_mean(fake_img)
    return fake_loss - real_loss


def generator_loss(fake_img):
    return -tf.reduce_mean(fake_img)


def load_fake_digits(cfg):
    """Stand-in for keras.datasets.mnist: random strokes, normalised to [-1, 1]."""
    rng = np.random.default_rng(7)
    imgs = np.zeros((cfg.num_samples, 28, 28), dtype="float32")
    for i in range(cfg.num_samples):
        r0, c0 = rng.integers(4, 12, size=2)
        r1, c1 = rng.integers(16, 24, size=2)
        imgs[i, r0:r1, c0:c0 + 3] = 255.0
        imgs[i, r1 - 3:r1, c0:c1] = 255.0
    imgs = imgs.reshape(-1, *cfg.img_shape)
    return (imgs - 127.5) / 127.5


if __name__ == "__main__":
    train_images = load_fake_digits(CFG)
    print("train images:", train_images.shape, train_images.min(), train_images.max())

    d_model = get_critic_model(CFG)
    g_model = get_generator_model(CFG)
    print("critic out:", d_model.output_shape, "| generator out:", g_model.output_shape)

    wgan = WGAN(critic=d_model, generator=g_model, latent_dim=CFG.noise_dim,
                discriminator_extra_steps=CFG.d_steps, gp_weight=CFG.gp_weight)
    wgan.compile(
        d_optimizer=keras.optimizers.Adam(CFG.lr, beta_1=CFG.beta_1, beta_2=CFG.beta_2),
        g_optimizer=keras.optimizers.Adam(CFG.lr, beta_1=CFG.beta_1, beta_2=CFG.beta_2),
        g_loss_fn=generator_loss,
        d_loss_fn=discriminator_loss,
    )
    wgan.fit(train_images, batch_size=CFG.batch_size, epochs=CFG.epochs, verbose=2)

    z = tf.random.normal((8, CFG.noise_dim))
    samples = g_model(z, training=False)
    samples = (samples * 127.5 + 127.5).numpy().astype(np.uint8)
    print("generated:", samples.shape, samples.dtype)

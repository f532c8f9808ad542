"""DCGAN on 32x32 RGB images with a custom `train_step` (Keras 3).

Follows the structure of the keras.io "DCGAN to generate face images" example,
but trained on random blobs so it runs without downloading CelebA.
Swap `make_fake_dataset` for `keras.utils.image_dataset_from_directory` to
train on real data.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG_SIZE = 32
CHANNELS = 3
LATENT_DIM = 64
BATCH_SIZE = 16
NUM_IMAGES = 64
EPOCHS = 1

keras.utils.set_random_seed(1337)


def make_fake_dataset(n=NUM_IMAGES):
    """Gaussian blobs at random positions, scaled to [-1, 1] like real images."""
    yy, xx = np.mgrid[0:IMG_SIZE, 0:IMG_SIZE].astype("float32")
    images = np.zeros((n, IMG_SIZE, IMG_SIZE, CHANNELS), dtype="float32")
    rng = np.random.default_rng(0)
    for i in range(n):
        cy, cx = rng.uniform(8, 24, size=2)
        sigma = rng.uniform(3, 6)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))
        color = rng.uniform(0.2, 1.0, size=(CHANNELS,))
        images[i] = blob[..., None] * color[None, None, :]
    images = images * 2.0 - 1.0
    ds = tf.data.Dataset.from_tensor_slices(images)
    return ds.shuffle(256).batch(BATCH_SIZE, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def build_discriminator():
    return keras.Sequential(
        [
            keras.Input(shape=(IMG_SIZE, IMG_SIZE, CHANNELS)),
            layers.Conv2D(32, kernel_size=4, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(64, kernel_size=4, strides=2, padding="same"),
            layers.BatchNormalization(),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Conv2D(128, kernel_size=4, strides=2, padding="same"),
            layers.BatchNormalization(),
            layers.LeakyReLU(negative_slope=0.2),
            layers.Flatten(),
            layers.Dropout(0.2),
            layers.Dense(1),  # logits, loss uses from_logits=True
        ],
        name="discriminator",
    )


def build_generator():
    return keras.Sequential(
        [
            keras.Input(shape=(LATENT_DIM,)),
            layers.Dense(4 * 4 * 128, use_bias=False),
            layers.Reshape((4, 4, 128)),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(128, kernel_size=4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(64, kernel_size=4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(32, kernel_size=4, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2D(CHANNELS, kernel_size=5, padding="same", activation="tanh"),
        ],
        name="generator",
    )


class GAN(keras.Model):
    def __init__(self, discriminator, generator, latent_dim):
        super().__init__()
        self.discriminator = discriminator
        self.generator = generator
        self.latent_dim = latent_dim
        self.seed_generator = keras.random.SeedGenerator(1337)

    def compile(self, d_optimizer, g_optimizer, loss_fn):
        super().compile()
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        self.loss_fn = loss_fn
        self.d_loss_metric = keras.metrics.Mean(name="d_loss")
        self.g_loss_metric = keras.metrics.Mean(name="g_loss")

    @property
    def metrics(self):
        return [self.d_loss_metric, self.g_loss_metric]

    def train_step(self, real_images):
        batch_size = tf.shape(real_images)[0]
        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        generated_images = self.generator(random_latent_vectors, training=True)
        combined_images = tf.concat([generated_images, real_images], axis=0)

        # fake -> 1, real -> 0 (same convention as the keras.io example)
        labels = tf.concat([tf.ones((batch_size, 1)), tf.zeros((batch_size, 1))], axis=0)
        # label noise is an important trick
        labels += 0.05 * tf.random.uniform(tf.shape(labels))

        with tf.GradientTape() as tape:
            predictions = self.discriminator(combined_images, training=True)
            d_loss = self.loss_fn(labels, predictions)
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))

        random_latent_vectors = keras.random.normal(
            shape=(batch_size, self.latent_dim), seed=self.seed_generator
        )
        misleading_labels = tf.zeros((batch_size, 1))

        # generator update, discriminator weights are NOT updated here
        with tf.GradientTape() as tape:
            fake = self.generator(random_latent_vectors, training=True)
            predictions = self.discriminator(fake, training=True)
            g_loss = self.loss_fn(misleading_labels, predictions)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))

        self.d_loss_metric.update_state(d_loss)
        self.g_loss_metric.update_state(g_loss)
        return {m.name: m.result() for m in self.metrics}


class GANMonitor(keras.callbacks.Callback):
    """Generates a grid of samples at the end of every epoch."""

    def __init__(self, num_img=4, latent_dim=LATENT_DIM):
        super().__init__()
        self.num_img = num_img
        self.latent_dim = latent_dim
        self.fixed_noise = keras.random.normal((num_img, latent_dim), seed=42)

    def on_epoch_end(self, epoch, logs=None):
        imgs = self.model.generator(self.fixed_noise, training=False)
        imgs = keras.ops.convert_to_numpy((imgs + 1.0) * 127.5).astype("uint8")
        # tile into a 1 x num_img strip instead of saving PNGs
        strip = np.concatenate(list(imgs), axis=1)
        print(f"\n[epoch {epoch + 1}] sample strip {strip.shape}, mean pixel {strip.mean():.1f}")


if __name__ == "__main__":
    dataset = make_fake_dataset()
    discriminator = build_discriminator()
    generator = build_generator()
    discriminator.summary()
    generator.summary()

    gan = GAN(discriminator=discriminator, generator=generator, latent_dim=LATENT_DIM)
    gan.compile(
        d_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        g_optimizer=keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5),
        loss_fn=keras.losses.BinaryCrossentropy(from_logits=True),
    )
    history = gan.fit(dataset, epochs=EPOCHS, callbacks=[GANMonitor(num_img=4)], verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in history.history.items()})

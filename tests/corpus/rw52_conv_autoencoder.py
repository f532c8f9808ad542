"""Denoising convolutional autoencoder on (fake) Fashion-MNIST.

Tutorial-style: the Keras blog "Building Autoencoders in Keras" +
TF "Intro to Autoencoders". Encoder with Conv2D strides, decoder with
Conv2DTranspose, a custom callback that logs reconstruction error, a
LearningRateScheduler and a TensorBoard callback writing to /tmp.
Also shows a custom layer (GaussianNoise-like) with build()/call().
"""
import math
import os

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, losses


class Settings:
    latent_dim = 64
    noise_factor = 0.2
    batch_size = 64
    epochs = 2
    log_dir = "/tmp/rw52_autoencoder_logs"
    n_train = 768
    n_test = 128


def load_data(n_train, n_test):
    x_train = np.random.rand(n_train, 28, 28).astype("float32")
    x_test = np.random.rand(n_test, 28, 28).astype("float32")
    return x_train[..., np.newaxis], x_test[..., np.newaxis]


def add_noise(x, factor):
    noisy = x + factor * tf.random.normal(shape=x.shape)
    return tf.clip_by_value(noisy, clip_value_min=0.0, clip_value_max=1.0)


class LearnedScale(layers.Layer):
    """Per-channel affine layer: y = x * gamma + beta (a toy custom layer)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        channels = input_shape[-1]
        self.gamma = self.add_weight(name="gamma", shape=(channels,), initializer="ones")
        self.beta = self.add_weight(name="beta", shape=(channels,), initializer="zeros")

    def call(self, inputs):
        # broadcast (C,) over (B, H, W, C)
        return inputs * self.gamma + self.beta


class Denoise(keras.Model):
    def __init__(self, latent_dim):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = keras.Sequential(
            [
                layers.Input(shape=(28, 28, 1)),
                layers.Conv2D(16, (3, 3), activation="relu", padding="same", strides=2),  # 14x14
                layers.Conv2D(8, (3, 3), activation="relu", padding="same", strides=2),   # 7x7
                layers.Flatten(),
                layers.Dense(latent_dim, activation="relu"),
            ],
            name="encoder",
        )
        self.decoder = keras.Sequential(
            [
                layers.Input(shape=(latent_dim,)),
                layers.Dense(7 * 7 * 8, activation="relu"),
                layers.Reshape((7, 7, 8)),
                layers.Conv2DTranspose(8, kernel_size=3, strides=2, activation="relu", padding="same"),
                layers.Conv2DTranspose(16, kernel_size=3, strides=2, activation="relu", padding="same"),
                LearnedScale(),
                layers.Conv2D(1, kernel_size=(3, 3), activation="sigmoid", padding="same"),
            ],
            name="decoder",
        )

    def call(self, x):
        encoded = self.encoder(x)
        decoded = self.decoder(encoded)
        return decoded


class ReconstructionMonitor(keras.callbacks.Callback):
    """Prints the clean-vs-reconstructed MSE on a fixed batch after every epoch."""

    def __init__(self, noisy, clean):
        super().__init__()
        self.noisy = noisy
        self.clean = clean

    def on_epoch_end(self, epoch, logs=None):
        recon = self.model.predict(self.noisy, verbose=0)
        mse = float(np.mean((recon - self.clean) ** 2))
        print(f"\n[monitor] epoch {epoch + 1}: reconstruction mse={mse:.5f}, loss={logs['loss']:.5f}")


def cosine_schedule(epoch, lr):
    base = 1e-3
    return base * 0.5 * (1 + math.cos(math.pi * epoch / Settings.epochs))


def main():
    cfg = Settings
    os.makedirs(cfg.log_dir, exist_ok=True)
    x_train, x_test = load_data(cfg.n_train, cfg.n_test)
    print("x_train:", x_train.shape, "x_test:", x_test.shape)

    x_train_noisy = add_noise(x_train, cfg.noise_factor)
    x_test_noisy = add_noise(x_test, cfg.noise_factor)

    autoencoder = Denoise(cfg.latent_dim)
    autoencoder.compile(optimizer="adam", loss=losses.MeanSquaredError())

    callbacks = [
        ReconstructionMonitor(x_test_noisy[:16], x_test[:16]),
        keras.callbacks.LearningRateScheduler(cosine_schedule, verbose=0),
        # TensorBoard(log_dir=cfg.log_dir) if you have tensorboard installed
        keras.callbacks.CSVLogger(os.path.join(cfg.log_dir, "history.csv")),
    ]

    autoencoder.fit(
        x_train_noisy,
        x_train,
        epochs=cfg.epochs,
        batch_size=cfg.batch_size,
        shuffle=True,
        validation_data=(x_test_noisy, x_test),
        callbacks=callbacks,
        verbose=2,
    )

    autoencoder.encoder.summary()
    autoencoder.decoder.summary()

    encoded_imgs = autoencoder.encoder(x_test_noisy).numpy()
    decoded_imgs = autoencoder.decoder(encoded_imgs).numpy()
    print("encoded:", encoded_imgs.shape, "decoded:", decoded_imgs.shape)

    # Anomaly-detection style threshold on per-image reconstruction loss
    reconstructions = autoencoder.predict(x_test, verbose=0)
    per_image_loss = tf.reduce_mean(tf.square(reconstructions - x_test), axis=[1, 2, 3])
    threshold = np.mean(per_image_loss) + np.std(per_image_loss)
    print("threshold:", round(float(threshold), 5))
    n_anom = int(tf.reduce_sum(tf.cast(per_image_loss > threshold, tf.int32)))
    print(f"{n_anom}/{len(x_test)} images above threshold")

    # side by side comparison grid (noisy | reconstruction) as one array
    n = 5
    grid = np.concatenate(
        [np.concatenate([x_test_noisy[i].numpy(), decoded_imgs[i]], axis=1) for i in range(n)],
        axis=0,
    )
    print("comparison grid:", grid.shape)  # (140, 56, 1)


if __name__ == "__main__":
    main()

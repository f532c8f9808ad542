"""Denoising Diffusion Implicit Model (DDIM) with an EMA network, backend-agnostic keras.ops.

Continuous-time cosine ("angle") schedule, sinusoidal noise-variance embedding,
a small residual UNet, EMA of weights for sampling and deterministic DDIM
reverse diffusion. Adapted from the keras.io DDIM tutorial, shrunk for CPU.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

# data
IMAGE_SIZE = 24
NUM_IMAGES = 128
# sampling
MIN_SIGNAL_RATE = 0.02
MAX_SIGNAL_RATE = 0.95
PLOT_DIFFUSION_STEPS = 10
# architecture
EMBEDDING_DIMS = 32
EMBEDDING_MAX_FREQUENCY = 1000.0
WIDTHS = [16, 32, 48]
BLOCK_DEPTH = 1
# optimization
BATCH_SIZE = 16
EMA = 0.999
LEARNING_RATE = 1e-3
WEIGHT_DECAY = 1e-4


def prepare_dataset():
    """Colourful smooth noise, standing in for oxford_flowers102 crops in [0, 1]."""
    rng = np.random.default_rng(11)
    low = rng.uniform(0, 1, size=(NUM_IMAGES, 4, 4, 3)).astype("float32")
    images = tf.image.resize(low, (IMAGE_SIZE, IMAGE_SIZE), method="bicubic")
    images = tf.clip_by_value(images, 0.0, 1.0)

    def augment(img):
        img = tf.image.random_flip_left_right(img)
        return img

    return (
        tf.data.Dataset.from_tensor_slices(images)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .cache()
        .shuffle(NUM_IMAGES)
        .batch(BATCH_SIZE, drop_remainder=True)
        .prefetch(buffer_size=tf.data.AUTOTUNE)
    )


@keras.saving.register_keras_serializable()
def sinusoidal_embedding(x):
    embedding_min_frequency = 1.0
    frequencies = ops.exp(
        ops.linspace(
            ops.log(embedding_min_frequency),
            ops.log(EMBEDDING_MAX_FREQUENCY),
            EMBEDDING_DIMS // 2,
        )
    )
    angular_speeds = ops.cast(2.0 * math.pi * frequencies, "float32")
    embeddings = ops.concatenate(
        [ops.sin(angular_speeds * x), ops.cos(angular_speeds * x)], axis=3
    )
    return embeddings


def ResidualBlock(width):
    def apply(x):
        input_width = x.shape[3]
        if input_width == width:
            residual = x
        else:
            residual = layers.Conv2D(width, kernel_size=1)(x)
        x = layers.BatchNormalization(center=False, scale=False)(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same", activation="swish")(x)
        x = layers.Conv2D(width, kernel_size=3, padding="same")(x)
        x = layers.Add()([x, residual])
        return x

    return apply


def DownBlock(width, block_depth):
    def apply(x):
        x, skips = x
        for _ in range(block_depth):
            x = ResidualBlock(width)(x)
            skips.append(x)
        x = layers.AveragePooling2D(pool_size=2)(x)
        return x

    return apply


def UpBlock(width, block_depth):
    def apply(x):
        x, skips = x
        x = layers.UpSampling2D(size=2, interpolation="bilinear")(x)
        for _ in range(block_depth):
            x = layers.Concatenate()([x, skips.pop()])
            x = ResidualBlock(width)(x)
        return x

    return apply


def get_network(image_size, widths, block_depth):
    noisy_images = keras.Input(shape=(image_size, image_size, 3))
    noise_variances = keras.Input(shape=(1, 1, 1))

    e = layers.Lambda(sinusoidal_embedding, output_shape=(1, 1, EMBEDDING_DIMS))(noise_variances)
    e = layers.UpSampling2D(size=image_size, interpolation="nearest")(e)

    x = layers.Conv2D(widths[0], kernel_size=1)(noisy_images)
    x = layers.Concatenate()([x, e])

    skips = []
    for width in widths[:-1]:
        x = DownBlock(width, block_depth)([x, skips])

    for _ in range(block_depth):
        x = ResidualBlock(widths[-1])(x)

    for width in reversed(widths[:-1]):
        x = UpBlock(width, block_depth)([x, skips])

    x = layers.Conv2D(3, kernel_size=1, kernel_initializer="zeros")(x)
    return keras.Model([noisy_images, noise_variances], x, name="residual_unet")


@keras.saving.register_keras_serializable()
class DiffusionModel(keras.Model):
    def __init__(self, image_size, widths, block_depth, **kwargs):
        super().__init__(**kwargs)
        self.image_size = image_size
        self.normalizer = layers.Normalization()
        self.network = get_network(image_size, widths, block_depth)
        self.ema_network = keras.models.clone_model(self.network)

    def compile(self, **kwargs):
        super().compile(**kwargs)
        self.noise_loss_tracker = keras.metrics.Mean(name="n_loss")
        self.image_loss_tracker = keras.metrics.Mean(name="i_loss")

    @property
    def metrics(self):
        return [self.noise_loss_tracker, self.image_loss_tracker]

    def denormalize(self, images):
        images = self.normalizer.mean + images * self.normalizer.variance**0.5
        return ops.clip(images, 0.0, 1.0)

    def diffusion_schedule(self, diffusion_times):
        # diffusion times -> angles
        start_angle = ops.cast(ops.arccos(MAX_SIGNAL_RATE), "float32")
        end_angle = ops.cast(ops.arccos(MIN_SIGNAL_RATE), "float32")
        diffusion_angles = start_angle + diffusion_times * (end_angle - start_angle)
        # angles -> signal and noise rates, signal_rate**2 + noise_rate**2 == 1
        signal_rates = ops.cos(diffusion_angles)
        noise_rates = ops.sin(diffusion_angles)
        return noise_rates, signal_rates

    def denoise(self, noisy_images, noise_rates, signal_rates, training):
        network = self.network if training else self.ema_network
        pred_noises = network([noisy_images, noise_rates**2], training=training)
        pred_images = (noisy_images - noise_rates * pred_noises) / signal_rates
        return pred_noises, pred_images

    def reverse_diffusion(self, initial_noise, diffusion_steps):
        num_images = initial_noise.shape[0]
        step_size = 1.0 / diffusion_steps

        next_noisy_images = initial_noise
        pred_images = None
        for step in range(diffusion_steps):
            noisy_images = next_noisy_images
            diffusion_times = ops.ones((num_images, 1, 1, 1)) - step * step_size
            noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
            pred_noises, pred_images = self.denoise(
                noisy_images, noise_rates, signal_rates, training=False)
            # DDIM (eta = 0): re-noise the predicted clean image to the next level
            next_diffusion_times = diffusion_times - step_size
            next_noise_rates, next_signal_rates = self.diffusion_schedule(next_diffusion_times)
            next_noisy_images = next_signal_rates * pred_images + next_noise_rates * pred_noises
        return pred_images

    def generate(self, num_images, diffusion_steps):
        initial_noise = keras.random.normal(shape=(num_images, self.image_size, self.image_size, 3))
        generated_images = self.reverse_diffusion(initial_noise, diffusion_steps)
        return self.denormalize(generated_images)

    def train_step(self, images):
        images = self.normalizer(images, training=True)
        noises = keras.random.normal(shape=ops.shape(images))
        batch_size = ops.shape(images)[0]

        diffusion_times = keras.random.uniform(shape=(batch_size, 1, 1, 1), minval=0.0, maxval=1.0)
        noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
        noisy_images = signal_rates * images + noise_rates * noises

        with tf.GradientTape() as tape:
            pred_noises, pred_images = self.denoise(
                noisy_images, noise_rates, signal_rates, training=True)
            noise_loss = self.loss(noises, pred_noises)   # used for training
            image_loss = self.loss(images, pred_images)   # only used as metric

        gradients = tape.gradient(noise_loss, self.network.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.network.trainable_weights))

        self.noise_loss_tracker.update_state(noise_loss)
        self.image_loss_tracker.update_state(image_loss)

        # exponential moving average of the weights
        for weight, ema_weight in zip(self.network.weights, self.ema_network.weights):
            ema_weight.assign(EMA * ema_weight + (1 - EMA) * weight)

        return {m.name: m.result() for m in self.metrics}

    def test_step(self, images):
        images = self.normalizer(images, training=False)
        noises = keras.random.normal(shape=ops.shape(images))
        batch_size = ops.shape(images)[0]
        diffusion_times = keras.random.uniform(shape=(batch_size, 1, 1, 1), minval=0.0, maxval=1.0)
        noise_rates, signal_rates = self.diffusion_schedule(diffusion_times)
        noisy_images = signal_rates * images + noise_rates * noises
        pred_noises, pred_images = self.denoise(
            noisy_images, noise_rates, signal_rates, training=False)
        self.noise_loss_tracker.update_state(self.loss(noises, pred_noises))
        self.image_loss_tracker.update_state(self.loss(images, pred_images))
        return {m.name: m.result() for m in self.metrics}


class SampleCallback(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        imgs = self.model.generate(num_images=4, diffusion_steps=PLOT_DIFFUSION_STEPS)
        imgs = ops.convert_to_numpy(imgs)
        print(f"\nepoch {epoch + 1}: generated {imgs.shape}, "
              f"mean={imgs.mean():.3f} std={imgs.std():.3f}")


if __name__ == "__main__":
    train_ds = prepare_dataset()
    val_ds = train_ds.take(2)

    model = DiffusionModel(IMAGE_SIZE, WIDTHS, BLOCK_DEPTH)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=LEARNING_RATE, weight_decay=WEIGHT_DECAY),
        loss=keras.losses.mean_absolute_error,  # pixelwise MAE works better than MSE here
    )
    # per-channel mean / variance for the Normalization layer
    model.normalizer.adapt(train_ds)
    print("normalizer mean:", np.round(ops.convert_to_numpy(model.normalizer.mean).ravel(), 3))
    model.network.summary(line_length=100, expand_nested=False, show_trainable=False)

    model.fit(train_ds, epochs=1, validation_data=val_ds, callbacks=[SampleCallback()], verbose=2)

    for steps in (5, 20):
        out = ops.convert_to_numpy(model.generate(num_images=2, diffusion_steps=steps))
        print(f"DDIM {steps:>2} steps -> {out.shape}, range [{out.min():.2f}, {out.max():.2f}]")

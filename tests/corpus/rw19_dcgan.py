"""Deep Convolutional GAN (DCGAN) on synthetic 28x28 digit-like images.

Follows the structure of the TensorFlow DCGAN tutorial: a generator built from
Conv2DTranspose blocks, a convolutional discriminator, and a custom
``@tf.function`` train step using ``tf.GradientTape`` for both networks.
The "dataset" is random blobs so the script runs without any downloads.
"""
import os
import time

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

BUFFER_SIZE = 256
BATCH_SIZE = 32
EPOCHS = 2
NOISE_DIM = 64
NUM_EXAMPLES_TO_GENERATE = 8
STEPS_PER_EPOCH = 3
CHECKPOINT_DIR = "/tmp/dcgan_training_checkpoints"


def make_synthetic_images(n, size=28):
    """Create fake grayscale images made of a bright gaussian blob."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    images = np.zeros((n, size, size, 1), dtype="float32")
    centers = np.random.uniform(6, size - 6, size=(n, 2))
    for i, (cy, cx) in enumerate(centers):
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 18.0)
        images[i, :, :, 0] = blob
    # Normalize the images to [-1, 1] like the tutorial does for MNIST.
    return images * 2.0 - 1.0


def make_generator_model():
    model = tf.keras.Sequential(name="generator")
    model.add(layers.Input(shape=(NOISE_DIM,)))
    model.add(layers.Dense(7 * 7 * 128, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Reshape((7, 7, 128)))

    model.add(layers.Conv2DTranspose(64, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(32, (5, 5), strides=(2, 2), padding="same", use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same",
                                     use_bias=False, activation="tanh"))
    return model


def make_discriminator_model():
    model = tf.keras.Sequential(name="discriminator")
    model.add(layers.Input(shape=(28, 28, 1)))
    for filters in (32, 64):
        model.add(layers.Conv2D(filters, (5, 5), strides=(2, 2), padding="same"))
        model.add(layers.LeakyReLU())
        model.add(layers.Dropout(0.3))

    model.add(layers.Flatten())
    model.add(layers.Dense(1))
    return model


cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    total_loss = real_loss + fake_loss
    return total_loss


def generator_loss(fake_output):
    return cross_entropy(tf.ones_like(fake_output), fake_output)


generator = make_generator_model()
discriminator = make_discriminator_model()

generator_optimizer = tf.keras.optimizers.Adam(1e-4)
discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)

checkpoint_prefix = os.path.join(CHECKPOINT_DIR, "ckpt")
checkpoint = tf.train.Checkpoint(generator_optimizer=generator_optimizer,
                                 discriminator_optimizer=discriminator_optimizer,
                                 generator=generator,
                                 discriminator=discriminator)

# We will reuse this seed over time so it is easier to visualize progress.
seed = tf.random.normal([NUM_EXAMPLES_TO_GENERATE, NOISE_DIM])


@tf.function
def train_step(images):
    noise = tf.random.normal([tf.shape(images)[0], NOISE_DIM])

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)

        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)

        gen_loss = generator_loss(fake_output)
        disc_loss = discriminator_loss(real_output, fake_output)

    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)

    generator_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables))
    discriminator_optimizer.apply_gradients(
        zip(gradients_of_discriminator, discriminator.trainable_variables))
    return gen_loss, disc_loss


def generate_and_summarize(model, epoch, test_input):
    # Notice `training` is set to False so all layers run in inference mode.
    predictions = model(test_input, training=False)
    pixels = (predictions.numpy() * 127.5 + 127.5).astype("uint8")
    print(f"  epoch {epoch}: generated batch {pixels.shape}, "
          f"mean pixel {pixels.mean():.1f}, std {pixels.std():.1f}")


def train(dataset, epochs):
    gen_metric = tf.keras.metrics.Mean(name="gen_loss")
    disc_metric = tf.keras.metrics.Mean(name="disc_loss")
    for epoch in range(epochs):
        start = time.time()
        gen_metric.reset_state()
        disc_metric.reset_state()

        for image_batch in dataset:
            g_loss, d_loss = train_step(image_batch)
            gen_metric.update_state(g_loss)
            disc_metric.update_state(d_loss)

        generate_and_summarize(generator, epoch + 1, seed)
        if (epoch + 1) % 2 == 0:
            checkpoint.save(file_prefix=checkpoint_prefix)

        print("Time for epoch {} is {:.2f} sec, gen_loss={:.4f}, disc_loss={:.4f}".format(
            epoch + 1, time.time() - start, gen_metric.result(), disc_metric.result()))


if __name__ == "__main__":
    train_images = make_synthetic_images(BATCH_SIZE * STEPS_PER_EPOCH)
    train_dataset = (tf.data.Dataset.from_tensor_slices(train_images)
                     .shuffle(BUFFER_SIZE)
                     .batch(BATCH_SIZE))

    noise = tf.random.normal([1, NOISE_DIM])
    generated_image = generator(noise, training=False)
    decision = discriminator(generated_image)
    print("Untrained decision:", float(decision[0, 0]))

    generator.summary()
    discriminator.summary()

    train(train_dataset, EPOCHS)
    checkpoint.restore(tf.train.latest_checkpoint(CHECKPOINT_DIR))
    generate_and_summarize(generator, EPOCHS, seed)

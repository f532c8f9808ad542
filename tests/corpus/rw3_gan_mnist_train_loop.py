# DCGAN on MNIST-shaped data with a custom training loop
# (TensorFlow tutorial layout; random images instead of the real dataset)
import time

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

BUFFER_SIZE = 64
BATCH_SIZE = 16
EPOCHS = 1
noise_dim = 64
num_examples_to_generate = 4

# fake "train_images" in the same format as mnist.load_data()
train_images = np.random.randint(0, 256, size=(32, 28, 28)).astype("uint8")
train_images = train_images.reshape(train_images.shape[0], 28, 28, 1).astype("float32")
train_images = (train_images - 127.5) / 127.5  # Normalize the images to [-1, 1]

train_dataset = tf.data.Dataset.from_tensor_slices(train_images).shuffle(BUFFER_SIZE).batch(BATCH_SIZE)


def make_generator_model():
    model = tf.keras.Sequential()
    model.add(layers.Input(shape=(noise_dim,)))
    model.add(layers.Dense(7 * 7 * 64, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Reshape((7, 7, 64)))
    assert model.output_shape == (None, 7, 7, 64)  # Note: None is the batch size

    model.add(layers.Conv2DTranspose(32, (5, 5), strides=(1, 1), padding="same", use_bias=False))
    assert model.output_shape == (None, 7, 7, 32)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(16, (5, 5), strides=(2, 2), padding="same", use_bias=False))
    assert model.output_shape == (None, 14, 14, 16)
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())

    model.add(layers.Conv2DTranspose(1, (5, 5), strides=(2, 2), padding="same", use_bias=False,
                                     activation="tanh"))
    assert model.output_shape == (None, 28, 28, 1)

    return model


def make_discriminator_model():
    model = tf.keras.Sequential()
    model.add(layers.Input(shape=[28, 28, 1]))
    model.add(layers.Conv2D(32, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))

    model.add(layers.Conv2D(64, (5, 5), strides=(2, 2), padding="same"))
    model.add(layers.LeakyReLU())
    model.add(layers.Dropout(0.3))

    model.add(layers.Flatten())
    model.add(layers.Dense(1))

    return model


generator = make_generator_model()
generator.summary()

noise = tf.random.normal([1, noise_dim])
generated_image = generator(noise, training=False)
print("generated:", generated_image.shape)

discriminator = make_discriminator_model()
discriminator.summary()
decision = discriminator(generated_image)
print("decision:", decision.numpy())

# This method returns a helper function to compute cross entropy loss
cross_entropy = tf.keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_output, fake_output):
    real_loss = cross_entropy(tf.ones_like(real_output), real_output)
    fake_loss = cross_entropy(tf.zeros_like(fake_output), fake_output)
    total_loss = real_loss + fake_loss
    return total_loss


def generator_loss(fake_output):
    return cross_entropy(tf.ones_like(fake_output), fake_output)


generator_optimizer = tf.keras.optimizers.Adam(1e-4)
discriminator_optimizer = tf.keras.optimizers.Adam(1e-4)

# We will reuse this seed overtime (so it's easier
# to visualize progress in the animated GIF)
seed = tf.random.normal([num_examples_to_generate, noise_dim])


# Notice the use of `tf.function`
# This annotation causes the function to be "compiled".
@tf.function
def train_step(images):
    noise = tf.random.normal([tf.shape(images)[0], noise_dim])

    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        generated_images = generator(noise, training=True)

        real_output = discriminator(images, training=True)
        fake_output = discriminator(generated_images, training=True)

        gen_loss = generator_loss(fake_output)
        disc_loss = discriminator_loss(real_output, fake_output)

    gradients_of_generator = gen_tape.gradient(gen_loss, generator.trainable_variables)
    gradients_of_discriminator = disc_tape.gradient(disc_loss, discriminator.trainable_variables)

    generator_optimizer.apply_gradients(zip(gradients_of_generator, generator.trainable_variables))
    discriminator_optimizer.apply_gradients(zip(gradients_of_discriminator, discriminator.trainable_variables))
    return gen_loss, disc_loss


def generate_and_save_images(model, epoch, test_input):
    # Notice `training` is set to False.
    # This is so all layers run in inference mode (batchnorm).
    predictions = model(test_input, training=False)
    imgs = (predictions.numpy()[..., 0] * 127.5 + 127.5).astype("uint8")
    # would normally plt.imshow a 4x4 grid and savefig here
    grid = np.concatenate([np.concatenate(list(imgs[i * 2:(i + 1) * 2]), axis=1) for i in range(2)], axis=0)
    print(f"epoch {epoch}: sample grid {grid.shape}, mean pixel {grid.mean():.1f}")


def train(dataset, epochs):
    for epoch in range(epochs):
        start = time.time()
        g_losses, d_losses = [], []

        for image_batch in dataset:
            g, d = train_step(image_batch)
            g_losses.append(float(g))
            d_losses.append(float(d))

        generate_and_save_images(generator, epoch + 1, seed)
        print("Time for epoch {} is {:.2f} sec  gen_loss={:.4f} disc_loss={:.4f}".format(
            epoch + 1, time.time() - start, np.mean(g_losses), np.mean(d_losses)))

    # Generate after the final epoch
    generate_and_save_images(generator, epochs, seed)


train(train_dataset, EPOCHS)

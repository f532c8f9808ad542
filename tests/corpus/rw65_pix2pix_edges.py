"""pix2pix (Isola et al., 2017) on a toy "edges -> filled shape" task.

Adapted from the TensorFlow pix2pix tutorial, shrunk to 32x32 so it runs on
a laptop CPU:
  * U-Net generator built from downsample()/upsample() helpers with skips
  * 70x70-style PatchGAN discriminator that sees (input, target) pairs
  * tf.data pipeline with random jitter (resize + random crop) and mirroring
  * GAN loss + LAMBDA * L1 loss, trained with a tf.function step
"""
import time

import numpy as np
import tensorflow as tf

IMG_HEIGHT = 32
IMG_WIDTH = 32
JITTER_SIZE = 36
OUTPUT_CHANNELS = 3
BUFFER_SIZE = 200
BATCH_SIZE = 4
LAMBDA = 100
STEPS = 8


# -----------------------------------------------------------------------------
# Data
# -----------------------------------------------------------------------------
def make_pairs(n, size=IMG_HEIGHT, seed=0):
    """Target = filled coloured ellipse, input = its outline only."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    inputs, targets = [], []
    for _ in range(n):
        cy, cx = rng.uniform(size * 0.3, size * 0.7, size=2)
        ry, rx = rng.uniform(size * 0.15, size * 0.3, size=2)
        d = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2
        fill = (d <= 1.0).astype("float32")
        edge = ((d <= 1.0) & (d >= 0.7)).astype("float32")
        colour = rng.uniform(0.2, 1.0, size=3).astype("float32")
        targets.append(fill[..., None] * colour * 255.0)
        inputs.append(np.repeat(edge[..., None], 3, axis=-1) * 255.0)
    return np.stack(inputs), np.stack(targets)


def resize(input_image, real_image, height, width):
    input_image = tf.image.resize(input_image, [height, width],
                                  method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    real_image = tf.image.resize(real_image, [height, width],
                                 method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)
    return input_image, real_image


def random_crop(input_image, real_image):
    stacked_image = tf.stack([input_image, real_image], axis=0)
    cropped_image = tf.image.random_crop(stacked_image,
                                         size=[2, IMG_HEIGHT, IMG_WIDTH, 3])
    return cropped_image[0], cropped_image[1]


def normalize(input_image, real_image):
    input_image = (input_image / 127.5) - 1
    real_image = (real_image / 127.5) - 1
    return input_image, real_image


def random_jitter(input_image, real_image):
    input_image, real_image = resize(input_image, real_image, JITTER_SIZE, JITTER_SIZE)
    input_image, real_image = random_crop(input_image, real_image)

    # Random mirroring -- same flip for both images. Using tf.where on a
    # scalar coin instead of a Python `if` keeps this graph-friendly.
    coin = tf.random.uniform(()) > 0.5
    input_image = tf.where(coin, tf.image.flip_left_right(input_image), input_image)
    real_image = tf.where(coin, tf.image.flip_left_right(real_image), real_image)
    return input_image, real_image


def load_image_train(input_image, real_image):
    input_image, real_image = random_jitter(input_image, real_image)
    input_image, real_image = normalize(input_image, real_image)
    return input_image, real_image


def load_image_test(input_image, real_image):
    input_image, real_image = resize(input_image, real_image, IMG_HEIGHT, IMG_WIDTH)
    input_image, real_image = normalize(input_image, real_image)
    return input_image, real_image


# -----------------------------------------------------------------------------
# Models
# -----------------------------------------------------------------------------
def downsample(filters, size, apply_batchnorm=True):
    initializer = tf.random_normal_initializer(0., 0.02)
    result = tf.keras.Sequential()
    result.add(tf.keras.layers.Conv2D(filters, size, strides=2, padding="same",
                                      kernel_initializer=initializer, use_bias=False))
    if apply_batchnorm:
        result.add(tf.keras.layers.BatchNormalization())
    result.add(tf.keras.layers.LeakyReLU())
    return result


def upsample(filters, size, apply_dropout=False):
    initializer = tf.random_normal_initializer(0., 0.02)
    result = tf.keras.Sequential()
    result.add(tf.keras.layers.Conv2DTranspose(filters, size, strides=2, padding="same",
                                               kernel_initializer=initializer,
                                               use_bias=False))
    result.add(tf.keras.layers.BatchNormalization())
    if apply_dropout:
        result.add(tf.keras.layers.Dropout(0.5))
    result.add(tf.keras.layers.ReLU())
    return result


def Generator():
    inputs = tf.keras.layers.Input(shape=[IMG_HEIGHT, IMG_WIDTH, 3])

    down_stack = [
        downsample(32, 4, apply_batchnorm=False),  # (bs, 16, 16, 32)
        downsample(64, 4),                         # (bs, 8, 8, 64)
        downsample(128, 4),                        # (bs, 4, 4, 128)
        downsample(128, 4),                        # (bs, 2, 2, 128)
        downsample(128, 4),                        # (bs, 1, 1, 128)
    ]
    up_stack = [
        upsample(128, 4, apply_dropout=True),      # (bs, 2, 2, 256)
        upsample(128, 4, apply_dropout=True),      # (bs, 4, 4, 256)
        upsample(64, 4),                           # (bs, 8, 8, 128)
        upsample(32, 4),                           # (bs, 16, 16, 64)
    ]

    initializer = tf.random_normal_initializer(0., 0.02)
    last = tf.keras.layers.Conv2DTranspose(OUTPUT_CHANNELS, 4, strides=2, padding="same",
                                           kernel_initializer=initializer,
                                           activation="tanh")  # (bs, 32, 32, 3)

    x = inputs
    skips = []
    for down in down_stack:
        x = down(x)
        skips.append(x)
    skips = reversed(skips[:-1])

    for up, skip in zip(up_stack, skips):
        x = up(x)
        x = tf.keras.layers.Concatenate()([x, skip])

    x = last(x)
    return tf.keras.Model(inputs=inputs, outputs=x, name="unet_generator")


def Discriminator():
    initializer = tf.random_normal_initializer(0., 0.02)
    inp = tf.keras.layers.Input(shape=[IMG_HEIGHT, IMG_WIDTH, 3], name="input_image")
    tar = tf.keras.layers.Input(shape=[IMG_HEIGHT, IMG_WIDTH, 3], name="target_image")

    x = tf.keras.layers.concatenate([inp, tar])            # (bs, 32, 32, 6)
    down1 = downsample(32, 4, False)(x)                    # (bs, 16, 16, 32)
    down2 = downsample(64, 4)(down1)                       # (bs, 8, 8, 64)

    zero_pad1 = tf.keras.layers.ZeroPadding2D()(down2)     # (bs, 10, 10, 64)
    conv = tf.keras.layers.Conv2D(128, 4, strides=1, kernel_initializer=initializer,
                                  use_bias=False)(zero_pad1)  # (bs, 7, 7, 128)
    batchnorm1 = tf.keras.layers.BatchNormalization()(conv)
    leaky_relu = tf.keras.layers.LeakyReLU()(batchnorm1)
    zero_pad2 = tf.keras.layers.ZeroPadding2D()(leaky_relu)   # (bs, 9, 9, 128)
    last = tf.keras.layers.Conv2D(1, 4, strides=1,
                                  kernel_initializer=initializer)(zero_pad2)  # (bs, 6, 6, 1)
    return tf.keras.Model(inputs=[inp, tar], outputs=last, name="patchgan")


loss_object = tf.keras.losses.BinaryCrossentropy(from_logits=True)


def generator_loss(disc_generated_output, gen_output, target):
    gan_loss = loss_object(tf.ones_like(disc_generated_output), disc_generated_output)
    l1_loss = tf.reduce_mean(tf.abs(target - gen_output))
    total_gen_loss = gan_loss + (LAMBDA * l1_loss)
    return total_gen_loss, gan_loss, l1_loss


def discriminator_loss(disc_real_output, disc_generated_output):
    real_loss = loss_object(tf.ones_like(disc_real_output), disc_real_output)
    generated_loss = loss_object(tf.zeros_like(disc_generated_output), disc_generated_output)
    return real_loss + generated_loss


generator = Generator()
discriminator = Discriminator()
generator_optimizer = tf.keras.optimizers.Adam(2e-4, beta_1=0.5)
discriminator_optimizer = tf.keras.optimizers.Adam(2e-4, beta_1=0.5)


@tf.function
def train_step(input_image, target):
    with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
        gen_output = generator(input_image, training=True)

        disc_real_output = discriminator([input_image, target], training=True)
        disc_generated_output = discriminator([input_image, gen_output], training=True)

        gen_total_loss, gen_gan_loss, gen_l1_loss = generator_loss(
            disc_generated_output, gen_output, target)
        disc_loss = discriminator_loss(disc_real_output, disc_generated_output)

    generator_gradients = gen_tape.gradient(gen_total_loss, generator.trainable_variables)
    discriminator_gradients = disc_tape.gradient(disc_loss, discriminator.trainable_variables)

    generator_optimizer.apply_gradients(zip(generator_gradients,
                                            generator.trainable_variables))
    discriminator_optimizer.apply_gradients(zip(discriminator_gradients,
                                                discriminator.trainable_variables))
    return {"gen_total": gen_total_loss, "gen_gan": gen_gan_loss,
            "gen_l1": gen_l1_loss, "disc": disc_loss}


def fit(train_ds, test_ds, steps):
    example_input, example_target = next(iter(test_ds.take(1)))
    start = time.time()
    for step, (input_image, target) in train_ds.repeat().take(steps).enumerate():
        logs = train_step(input_image, target)
        if (int(step) + 1) % 4 == 0:
            print(f"step {int(step) + 1}: " +
                  ", ".join(f"{k}={float(v):.3f}" for k, v in logs.items()) +
                  f" ({time.time() - start:.1f}s)")
            start = time.time()

    # "generate_images": run the test example through the generator.
    # training=True on purpose -- pix2pix keeps dropout/batch stats at test time.
    prediction = generator(example_input, training=True)
    l1 = tf.reduce_mean(tf.abs(prediction - example_target))
    print("test L1:", float(l1), "prediction shape:", prediction.shape)


def main():
    train_in, train_tar = make_pairs(64, seed=0)
    test_in, test_tar = make_pairs(8, seed=1)

    train_dataset = tf.data.Dataset.from_tensor_slices((train_in, train_tar))
    train_dataset = train_dataset.map(load_image_train, num_parallel_calls=tf.data.AUTOTUNE)
    train_dataset = train_dataset.shuffle(BUFFER_SIZE).batch(BATCH_SIZE)

    test_dataset = tf.data.Dataset.from_tensor_slices((test_in, test_tar))
    test_dataset = test_dataset.map(load_image_test).batch(BATCH_SIZE)

    print("generator out:", generator(tf.zeros([1, IMG_HEIGHT, IMG_WIDTH, 3])).shape)
    print("patch map:", discriminator([tf.zeros([1, IMG_HEIGHT, IMG_WIDTH, 3])] * 2).shape)
    fit(train_dataset, test_dataset, steps=STEPS)


if __name__ == "__main__":
    main()

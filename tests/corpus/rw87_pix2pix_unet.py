"""pix2pix (Isola et al.) in TF2: U-Net generator + PatchGAN discriminator.

Follows the structure of the official TensorFlow pix2pix tutorial, scaled
down to 64x64 so it trains for a few steps on CPU. The "facades" data is
replaced by a synthetic edges -> colour-blob translation task.
"""
import time

import numpy as np
import tensorflow as tf

IMG_SIZE = 64
OUTPUT_CHANNELS = 3
BATCH_SIZE = 4
LAMBDA = 100          # weight of the L1 term, as in the paper
STEPS = 6
BASE_FILTERS = 16     # 64 in the paper


# --------------------------------------------------------------------------
# Data: "input" is an edge map of the target, "real" is the target image
# --------------------------------------------------------------------------
def synthetic_pairs(n, size=IMG_SIZE, seed=0):
    rng = np.random.default_rng(seed)
    targets = np.zeros((n, size, size, 3), np.float32)
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):
        for _ in range(rng.integers(2, 5)):
            cy, cx = rng.integers(8, size - 8, size=2)
            r = rng.integers(5, 15)
            mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
            targets[i][mask] = rng.uniform(0, 1, 3)
    return targets


def to_edges(img):
    """Sobel magnitude on grayscale, broadcast back to 3 channels."""
    gray = tf.image.rgb_to_grayscale(img)
    sob = tf.image.sobel_edges(gray[tf.newaxis])[0]  # (H, W, 1, 2)
    mag = tf.sqrt(tf.reduce_sum(tf.square(sob), axis=-1) + 1e-6)
    mag = mag / (tf.reduce_max(mag) + 1e-6)
    return tf.repeat(mag, 3, axis=-1)


def normalize(img):
    return img * 2.0 - 1.0


def load_pair(target):
    inp = to_edges(target)
    # random jitter: resize up + random crop + flip. Concatenate along channels
    # so that the pair gets exactly the same crop / flip.
    stacked = tf.concat([inp, target], axis=-1)               # (H, W, 6)
    stacked = tf.image.resize(stacked, [IMG_SIZE + 8, IMG_SIZE + 8], method="nearest")
    stacked = tf.image.random_crop(stacked, [IMG_SIZE, IMG_SIZE, 6])
    stacked = tf.image.random_flip_left_right(stacked)
    inp, target = stacked[..., :3], stacked[..., 3:]
    return normalize(inp), normalize(target)


def make_dataset(n=32):
    ds = tf.data.Dataset.from_tensor_slices(synthetic_pairs(n))
    ds = ds.map(load_pair, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.shuffle(n).batch(BATCH_SIZE).repeat()


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------
def downsample(filters, size, apply_batchnorm=True):
    initializer = tf.random_normal_initializer(0.0, 0.02)
    result = tf.keras.Sequential()
    result.add(tf.keras.layers.Conv2D(filters, size, strides=2, padding="same",
                                      kernel_initializer=initializer, use_bias=False))
    if apply_batchnorm:
        result.add(tf.keras.layers.BatchNormalization())
    result.add(tf.keras.layers.LeakyReLU(0.2))
    return result


def upsample(filters, size, apply_dropout=False):
    initializer = tf.random_normal_initializer(0.0, 0.02)
    result = tf.keras.Sequential()
    result.add(tf.keras.layers.Conv2DTranspose(filters, size, strides=2, padding="same",
                                               kernel_initializer=initializer, use_bias=False))
    result.add(tf.keras.layers.BatchNormalization())
    if apply_dropout:
        result.add(tf.keras.layers.Dropout(0.5))
    result.add(tf.keras.layers.ReLU())
    return result


def Generator():
    inputs = tf.keras.layers.Input(shape=[IMG_SIZE, IMG_SIZE, 3])
    f = BASE_FILTERS
    down_stack = [
        downsample(f, 4, apply_batchnorm=False),  # (bs, 32, 32, f)
        downsample(f * 2, 4),                     # (bs, 16, 16, 2f)
        downsample(f * 4, 4),                     # (bs, 8, 8, 4f)
        downsample(f * 8, 4),                     # (bs, 4, 4, 8f)
        downsample(f * 8, 4),                     # (bs, 2, 2, 8f)
        downsample(f * 8, 4),                     # (bs, 1, 1, 8f)  bottleneck
    ]
    up_stack = [
        upsample(f * 8, 4, apply_dropout=True),   # (bs, 2, 2, 16f)
        upsample(f * 8, 4, apply_dropout=True),   # (bs, 4, 4, 16f)
        upsample(f * 4, 4),                       # (bs, 8, 8, 8f)
        upsample(f * 2, 4),                       # (bs, 16, 16, 4f)
        upsample(f, 4),                           # (bs, 32, 32, 2f)
    ]
    last = tf.keras.layers.Conv2DTranspose(
        OUTPUT_CHANNELS, 4, strides=2, padding="same",
        kernel_initializer=tf.random_normal_initializer(0.0, 0.02),
        activation="tanh")                        # (bs, 64, 64, 3)

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
    """70x70-style PatchGAN, conditioned on the input image."""
    initializer = tf.random_normal_initializer(0.0, 0.02)
    inp = tf.keras.layers.Input(shape=[IMG_SIZE, IMG_SIZE, 3], name="input_image")
    tar = tf.keras.layers.Input(shape=[IMG_SIZE, IMG_SIZE, 3], name="target_image")
    x = tf.keras.layers.concatenate([inp, tar])       # (bs, 64, 64, 6)

    down1 = downsample(BASE_FILTERS, 4, False)(x)     # (bs, 32, 32, f)
    down2 = downsample(BASE_FILTERS * 2, 4)(down1)    # (bs, 16, 16, 2f)
    zero_pad1 = tf.keras.layers.ZeroPadding2D()(down2)  # (bs, 18, 18, 2f)
    conv = tf.keras.layers.Conv2D(BASE_FILTERS * 4, 4, strides=1,
                                  kernel_initializer=initializer,
                                  use_bias=False)(zero_pad1)  # (bs, 15, 15, 4f)
    norm = tf.keras.layers.BatchNormalization()(conv)
    leaky = tf.keras.layers.LeakyReLU(0.2)(norm)
    zero_pad2 = tf.keras.layers.ZeroPadding2D()(leaky)  # (bs, 17, 17, 4f)
    last = tf.keras.layers.Conv2D(1, 4, strides=1,
                                  kernel_initializer=initializer)(zero_pad2)  # (bs, 14, 14, 1)
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

    generator_optimizer.apply_gradients(zip(generator_gradients, generator.trainable_variables))
    discriminator_optimizer.apply_gradients(
        zip(discriminator_gradients, discriminator.trainable_variables))
    return {"gen_total": gen_total_loss, "gen_gan": gen_gan_loss,
            "gen_l1": gen_l1_loss, "disc": disc_loss}


def fit(train_ds, steps):
    start = time.time()
    for step, (input_image, target) in train_ds.take(steps).enumerate():
        logs = train_step(input_image, target)
        if (int(step) + 1) % 2 == 0:
            msg = "  ".join(f"{k}={float(v):.3f}" for k, v in logs.items())
            print(f"step {int(step) + 1}/{steps}  {msg}  ({time.time() - start:.1f}s)")


if __name__ == "__main__":
    train_dataset = make_dataset()
    example_input, example_target = next(iter(train_dataset))
    print("input batch:", example_input.shape, "target batch:", example_target.shape)

    gen_out = generator(example_input[:1], training=False)
    disc_out = discriminator([example_input[:1], gen_out], training=False)
    print("generator output:", gen_out.shape, "patch logits:", disc_out.shape)

    fit(train_dataset, STEPS)

    # Inference uses training=True in the original paper (dropout as noise, BN batch stats)
    prediction = generator(example_input, training=True)
    prediction = (prediction + 1.0) * 0.5
    print("prediction range: [%.3f, %.3f]" % (float(tf.reduce_min(prediction)),
                                              float(tf.reduce_max(prediction))))

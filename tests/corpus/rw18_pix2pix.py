"""
Pix2Pix: paired image-to-image translation with a conditional GAN.

A compact take on the pix2pix recipe: a U-Net generator built from
downsample/upsample helpers with skip connections, a PatchGAN discriminator
that looks at (input, target) pairs, and a `keras.Model` subclass whose
`train_step` updates both networks with separate optimizers. The generator
loss is the usual adversarial term plus a weighted L1 reconstruction term.

The "paired" data is synthetic: targets are random smooth images and inputs
are an edge-like transform of them (a Sobel magnitude), so the task is
"edges -> image".
"""

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

IMG_SIZE = 64
OUTPUT_CHANNELS = 3
LAMBDA = 100.0
BATCH_SIZE = 8
NUM_PAIRS = 32
GEN_FILTERS = [16, 32, 64, 64, 64]
DISC_FILTERS = [16, 32, 64]

init = keras.initializers.RandomNormal(mean=0.0, stddev=0.02)


def build_pairs(n, seed=7):
    rng = np.random.default_rng(seed)
    low_res = rng.uniform(-1.0, 1.0, size=(n, 8, 8, OUTPUT_CHANNELS)).astype("float32")
    targets = tf.image.resize(low_res, (IMG_SIZE, IMG_SIZE), method="bilinear")
    gray = tf.image.rgb_to_grayscale((targets + 1.0) / 2.0)
    sobel = tf.image.sobel_edges(gray)  # (n, H, W, 1, 2)
    edges = tf.sqrt(tf.reduce_sum(tf.square(sobel), axis=-1) + 1e-8)
    edges = edges / (tf.reduce_max(edges, axis=[1, 2, 3], keepdims=True) + 1e-8)
    inputs = tf.tile(edges * 2.0 - 1.0, [1, 1, 1, 3])
    ds = tf.data.Dataset.from_tensor_slices((inputs, targets))
    return ds.shuffle(n).batch(BATCH_SIZE, drop_remainder=True)


def downsample(filters, size, apply_batchnorm=True):
    block = keras.Sequential()
    block.add(
        layers.Conv2D(filters, size, strides=2, padding="same",
                      kernel_initializer=init, use_bias=False)
    )
    if apply_batchnorm:
        block.add(layers.BatchNormalization())
    block.add(layers.LeakyReLU(negative_slope=0.2))
    return block


def upsample(filters, size, apply_dropout=False):
    block = keras.Sequential()
    block.add(
        layers.Conv2DTranspose(filters, size, strides=2, padding="same",
                               kernel_initializer=init, use_bias=False)
    )
    block.add(layers.BatchNormalization())
    if apply_dropout:
        block.add(layers.Dropout(0.5))
    block.add(layers.ReLU())
    return block


def Generator():
    inputs = layers.Input(shape=[IMG_SIZE, IMG_SIZE, 3])

    down_stack = [downsample(GEN_FILTERS[0], 4, apply_batchnorm=False)]
    down_stack += [downsample(f, 4) for f in GEN_FILTERS[1:]]
    up_stack = [
        upsample(f, 4, apply_dropout=(i < 2))
        for i, f in enumerate(reversed(GEN_FILTERS[:-1]))
    ]

    last = layers.Conv2DTranspose(OUTPUT_CHANNELS, 4, strides=2, padding="same",
                                  kernel_initializer=init, activation="tanh")

    x = inputs
    skips = []
    for down in down_stack:
        x = down(x)
        skips.append(x)
    skips = reversed(skips[:-1])

    for up, skip in zip(up_stack, skips):
        x = up(x)
        x = layers.Concatenate()([x, skip])

    x = last(x)
    return keras.Model(inputs=inputs, outputs=x, name="unet_generator")


def Discriminator():
    inp = layers.Input(shape=[IMG_SIZE, IMG_SIZE, 3], name="input_image")
    tar = layers.Input(shape=[IMG_SIZE, IMG_SIZE, 3], name="target_image")

    x = layers.concatenate([inp, tar])
    for i, f in enumerate(DISC_FILTERS):
        x = downsample(f, 4, apply_batchnorm=i > 0)(x)

    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(DISC_FILTERS[-1] * 2, 4, strides=1,
                      kernel_initializer=init, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    x = layers.ZeroPadding2D()(x)
    last = layers.Conv2D(1, 4, strides=1, kernel_initializer=init)(x)
    return keras.Model(inputs=[inp, tar], outputs=last, name="patchgan")


class Pix2Pix(keras.Model):
    def __init__(self, generator, discriminator, l1_weight=LAMBDA, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.l1_weight = l1_weight
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)

    def compile(self, g_optimizer, d_optimizer):
        super().compile()
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.gen_loss_tracker = keras.metrics.Mean(name="gen_total")
        self.l1_tracker = keras.metrics.Mean(name="gen_l1")
        self.disc_loss_tracker = keras.metrics.Mean(name="disc")

    @property
    def metrics(self):
        return [self.gen_loss_tracker, self.l1_tracker, self.disc_loss_tracker]

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def generator_loss(self, disc_generated_output, gen_output, target):
        gan_loss = self.bce(ops.ones_like(disc_generated_output), disc_generated_output)
        l1_loss = ops.mean(ops.abs(target - gen_output))
        return gan_loss + self.l1_weight * l1_loss, l1_loss

    def discriminator_loss(self, disc_real_output, disc_generated_output):
        real_loss = self.bce(ops.ones_like(disc_real_output), disc_real_output)
        generated_loss = self.bce(
            ops.zeros_like(disc_generated_output), disc_generated_output
        )
        return real_loss + generated_loss

    def train_step(self, data):
        input_image, target = data
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            gen_output = self.generator(input_image, training=True)
            disc_real_output = self.discriminator([input_image, target], training=True)
            disc_generated_output = self.discriminator(
                [input_image, gen_output], training=True
            )
            gen_total_loss, gen_l1_loss = self.generator_loss(
                disc_generated_output, gen_output, target
            )
            disc_loss = self.discriminator_loss(disc_real_output, disc_generated_output)

        gen_grads = gen_tape.gradient(gen_total_loss, self.generator.trainable_variables)
        disc_grads = disc_tape.gradient(
            disc_loss, self.discriminator.trainable_variables
        )
        self.g_optimizer.apply_gradients(
            zip(gen_grads, self.generator.trainable_variables)
        )
        self.d_optimizer.apply_gradients(
            zip(disc_grads, self.discriminator.trainable_variables)
        )

        self.gen_loss_tracker.update_state(gen_total_loss)
        self.l1_tracker.update_state(gen_l1_loss)
        self.disc_loss_tracker.update_state(disc_loss)
        return {m.name: m.result() for m in self.metrics}


if __name__ == "__main__":
    train_ds = build_pairs(NUM_PAIRS)
    generator = Generator()
    discriminator = Discriminator()
    generator.summary()
    print("PatchGAN output shape:", discriminator.output_shape)

    gan = Pix2Pix(generator, discriminator)
    gan.compile(
        g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
    )
    gan.fit(train_ds, epochs=1, verbose=2)

    for example_input, example_target in train_ds.take(1):
        prediction = generator(example_input, training=True)
        mae = float(ops.mean(ops.abs(prediction - example_target)))
        print(f"prediction {tuple(prediction.shape)}  MAE vs target: {mae:.4f}")
        scores = discriminator.predict([example_input, prediction], verbose=0)
        print("mean patch logit on fakes:", scores.mean())

"""pix2pix-style conditional GAN: edges -> color image, 32x32.

Generator is a small U-Net (strided conv encoder, transposed-conv decoder
with dropout and skip concatenations).  The PatchGAN discriminator sees the
(condition, image) pair concatenated on channels and emits a grid of real /
fake logits.  Training uses a custom train_step with two GradientTapes and
the usual L1 reconstruction term.  Conditions are built in tf.data with
tf.image.sobel_edges on a grayscale version of the target.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

SIZE = 32
LAMBDA_L1 = 100.0
init = keras.initializers.RandomNormal(0.0, 0.02)


def down(x, filters, norm=True):
    x = layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=False,
                      kernel_initializer=init)(x)
    if norm:
        x = layers.BatchNormalization()(x)
    return layers.LeakyReLU(0.2)(x)


def up(x, skip, filters, dropout=False):
    x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False,
                               kernel_initializer=init)(x)
    x = layers.BatchNormalization()(x)
    if dropout:
        x = layers.Dropout(0.5)(x)
    x = layers.ReLU()(x)
    return layers.Concatenate()([x, skip]) if skip is not None else x


def build_generator():
    cond = keras.Input((SIZE, SIZE, 1), name="edges")
    d1 = down(cond, 32, norm=False)   # 16
    d2 = down(d1, 64)                 # 8
    d3 = down(d2, 128)                # 4
    d4 = down(d3, 128)                # 2
    u = up(d4, d3, 128, dropout=True)
    u = up(u, d2, 64, dropout=True)
    u = up(u, d1, 32)
    out = layers.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh",
                                 kernel_initializer=init, name="rgb")(u)
    return keras.Model(cond, out, name="unet_generator")


def build_patchgan():
    cond = keras.Input((SIZE, SIZE, 1), name="cond")
    img = keras.Input((SIZE, SIZE, 3), name="img")
    x = layers.Concatenate()([cond, img])
    x = down(x, 32, norm=False)       # 16
    x = down(x, 64)                   # 8
    x = layers.ZeroPadding2D()(x)
    x = layers.Conv2D(128, 4, use_bias=False, kernel_initializer=init)(x)  # 7
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D()(x)
    logits = layers.Conv2D(1, 4, kernel_initializer=init, name="patch_logits")(x)  # 6
    return keras.Model([cond, img], logits, name="patchgan")


class Pix2Pix(keras.Model):
    def __init__(self, generator, discriminator, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.g_tracker = keras.metrics.Mean(name="g_loss")
        self.l1_tracker = keras.metrics.Mean(name="l1")
        self.d_tracker = keras.metrics.Mean(name="d_loss")

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    @property
    def metrics(self):
        return [self.g_tracker, self.l1_tracker, self.d_tracker]

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def train_step(self, data):
        cond, target = data
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(cond, training=True)
            real_logits = self.discriminator([cond, target], training=True)
            fake_logits = self.discriminator([cond, fake], training=True)
            adv = self.bce(tf.ones_like(fake_logits), fake_logits)
            l1 = tf.reduce_mean(tf.abs(target - fake))
            g_loss = adv + LAMBDA_L1 * l1
            d_loss = 0.5 * (self.bce(tf.ones_like(real_logits), real_logits)
                            + self.bce(tf.zeros_like(fake_logits), fake_logits))
        g_grads = g_tape.gradient(g_loss, self.generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, self.discriminator.trainable_variables)
        self.g_optimizer.apply_gradients(zip(g_grads, self.generator.trainable_variables))
        self.d_optimizer.apply_gradients(zip(d_grads, self.discriminator.trainable_variables))
        self.g_tracker.update_state(g_loss)
        self.l1_tracker.update_state(l1)
        self.d_tracker.update_state(d_loss)
        return {m.name: m.result() for m in self.metrics}


def to_pair(image):
    """uint8 RGB -> (edge condition in [-1, 1], target in [-1, 1])."""
    image = tf.image.convert_image_dtype(image, tf.float32)
    image = tf.image.random_flip_left_right(image)
    image = tf.image.resize(image, [SIZE + 4, SIZE + 4], method="nearest")
    image = tf.image.random_crop(image, [SIZE, SIZE, 3])
    gray = tf.image.rgb_to_grayscale(image)
    sobel = tf.image.sobel_edges(gray[None])[0]           # (H, W, 1, 2)
    mag = tf.sqrt(tf.reduce_sum(tf.square(sobel), axis=-1) + 1e-6)
    edges = tf.clip_by_value(mag / (tf.reduce_max(mag) + 1e-6), 0.0, 1.0)
    return edges * 2.0 - 1.0, image * 2.0 - 1.0


def synth_images(n, rng):
    imgs = np.zeros((n, SIZE, SIZE, 3), np.uint8)
    for i in range(n):
        imgs[i] = rng.integers(0, 255, size=3)
        for _ in range(3):
            y, x = rng.integers(0, SIZE - 8, size=2)
            h, w = rng.integers(4, 12, size=2)
            imgs[i, y:y + h, x:x + w] = rng.integers(0, 255, size=3)
    return imgs


def main():
    keras.utils.set_random_seed(42)
    rng = np.random.default_rng(42)
    imgs = synth_images(48, rng)
    ds = (tf.data.Dataset.from_tensor_slices(imgs)
          .shuffle(48)
          .map(to_pair, num_parallel_calls=2)
          .batch(8, drop_remainder=True)
          .prefetch(1))
    gen, disc = build_generator(), build_patchgan()
    print("patch grid:", disc.output_shape, "gen params:", gen.count_params())
    gan = Pix2Pix(gen, disc)
    gan.compile(g_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5),
                d_optimizer=keras.optimizers.Adam(2e-4, beta_1=0.5))
    hist = gan.fit(ds, epochs=1, steps_per_epoch=4, verbose=2)
    print({k: round(float(v[-1]), 4) for k, v in hist.history.items()})
    cond, target = next(iter(ds))
    fake = gan.predict(cond, verbose=0)
    print("generated:", fake.shape, "range [%.2f, %.2f]" % (fake.min(), fake.max()))
    ssim = tf.image.ssim((target + 1) / 2, (fake + 1) / 2, max_val=1.0, filter_size=5)
    print("mean SSIM vs target: %.3f" % float(tf.reduce_mean(ssim)))


if __name__ == "__main__":
    main()

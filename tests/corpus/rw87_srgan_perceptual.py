"""SRGAN (Ledig et al. 2017), compact Keras 3 version.

* SRResNet generator: residual blocks + PReLU, x4 via two PixelShuffle stages
* VGG-style discriminator with strided convs
* Perceptual (VGG22 / VGG54) content loss + adversarial loss, implemented by
  overriding keras.Model.train_step so the whole thing trains with .fit()

Stage 1 pre-trains the generator with MSE (SRResNet), stage 2 fine-tunes
adversarially. VGG19 uses weights=None to keep the example offline.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

HR_SIZE = 32
SCALE = 4
LR_SIZE = HR_SIZE // SCALE
N_RES_BLOCKS = 2
GEN_FILTERS = 32
N_SAMPLES = 8
BATCH_SIZE = 4


def pixel_shuffle(scale):
    return lambda x: tf.nn.depth_to_space(x, scale)


def upsample_block(x, filters, name):
    x = layers.Conv2D(filters * 4, 3, padding="same", name=f"{name}_conv")(x)
    x = layers.Lambda(pixel_shuffle(2), name=f"{name}_shuffle")(x)
    return layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(x)


def residual_block(x_in, filters, momentum=0.8):
    x = layers.Conv2D(filters, 3, padding="same")(x_in)
    x = layers.BatchNormalization(momentum=momentum)(x)
    x = layers.PReLU(shared_axes=[1, 2])(x)
    x = layers.Conv2D(filters, 3, padding="same")(x)
    x = layers.BatchNormalization(momentum=momentum)(x)
    return layers.Add()([x_in, x])


def sr_resnet(num_filters=GEN_FILTERS, num_res_blocks=N_RES_BLOCKS):
    lr = keras.Input(shape=(None, None, 3), name="lr")      # in [0, 1]
    x = layers.Rescaling(2.0, offset=-1.0)(lr)               # -> [-1, 1]
    x = layers.Conv2D(num_filters, 9, padding="same")(x)
    x = x_1 = layers.PReLU(shared_axes=[1, 2])(x)

    for _ in range(num_res_blocks):
        x = residual_block(x, num_filters)

    x = layers.Conv2D(num_filters, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.Add()([x_1, x])

    for i in range(int(np.log2(SCALE))):
        x = upsample_block(x, num_filters, name=f"up{i}")

    x = layers.Conv2D(3, 9, padding="same", activation="tanh")(x)
    sr = layers.Rescaling(0.5, offset=0.5, name="sr")(x)     # back to [0, 1]
    return keras.Model(lr, sr, name="srresnet")


def discriminator_block(x, filters, strides=1, batchnorm=True):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same")(x)
    if batchnorm:
        x = layers.BatchNormalization(momentum=0.8)(x)
    return layers.LeakyReLU(negative_slope=0.2)(x)


def discriminator(num_filters=16):
    x_in = keras.Input(shape=(HR_SIZE, HR_SIZE, 3))
    x = layers.Rescaling(2.0, offset=-1.0)(x_in)
    x = discriminator_block(x, num_filters, batchnorm=False)
    x = discriminator_block(x, num_filters, strides=2)
    for mult in (2, 4):
        x = discriminator_block(x, num_filters * mult)
        x = discriminator_block(x, num_filters * mult, strides=2)
    x = layers.Flatten()(x)
    x = layers.Dense(128)(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    logits = layers.Dense(1)(x)
    return keras.Model(x_in, logits, name="discriminator")


def vgg_features(layer_name="block5_conv4", weights=None):
    """phi_{i,j} feature map: block5_conv4 is "VGG54", block2_conv2 is "VGG22"."""
    vgg = keras.applications.VGG19(input_shape=(HR_SIZE, HR_SIZE, 3),
                                   include_top=False, weights=weights)
    vgg.trainable = False
    return keras.Model(vgg.input, vgg.get_layer(layer_name).output, name=f"vgg_{layer_name}")


class SRGAN(keras.Model):
    def __init__(self, generator, discriminator, feature_extractor, adv_weight=1e-3):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.vgg = feature_extractor
        self.adv_weight = adv_weight
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.trackers = {name: keras.metrics.Mean(name=name)
                         for name in ("perceptual_loss", "gen_adv_loss", "disc_loss")}

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    @property
    def metrics(self):
        return list(self.trackers.values())

    def _features(self, img01):
        # scale 1/12.75 as in the paper to keep the VGG loss comparable to MSE
        feats = self.vgg(keras.applications.vgg19.preprocess_input(img01 * 255.0))
        return feats / 12.75

    def train_step(self, data):
        lr, hr = data
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            sr = self.generator(lr, training=True)
            hr_logits = self.discriminator(hr, training=True)
            sr_logits = self.discriminator(sr, training=True)

            perceptual = keras.ops.mean(keras.ops.square(self._features(hr) - self._features(sr)))
            gen_adv = self.bce(keras.ops.ones_like(sr_logits), sr_logits)
            g_loss = perceptual + self.adv_weight * gen_adv

            d_loss = (self.bce(keras.ops.ones_like(hr_logits), hr_logits) +
                      self.bce(keras.ops.zeros_like(sr_logits), sr_logits))

        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))

        for name, value in zip(self.trackers, (perceptual, gen_adv, d_loss)):
            self.trackers[name].update_state(value)
        return {name: t.result() for name, t in self.trackers.items()}


def make_data(n):
    rng = np.random.default_rng(3)
    # checkerboards of random period + colour: lots of high-frequency detail
    yy, xx = np.mgrid[0:HR_SIZE, 0:HR_SIZE]
    hr = np.empty((n, HR_SIZE, HR_SIZE, 3), dtype="float32")
    for i in range(n):
        period = rng.integers(2, 8)
        board = ((yy // period + xx // period) % 2).astype("float32")
        colour_a, colour_b = rng.uniform(0, 1, (2, 3)).astype("float32")
        hr[i] = board[..., None] * colour_a + (1.0 - board[..., None]) * colour_b
    lr = tf.image.resize(hr, (LR_SIZE, LR_SIZE), method="bicubic", antialias=True)
    return np.clip(lr.numpy(), 0, 1), hr


if __name__ == "__main__":
    lr_imgs, hr_imgs = make_data(N_SAMPLES)
    print("LR:", lr_imgs.shape, "HR:", hr_imgs.shape)

    gen = sr_resnet()
    disc = discriminator()
    print(f"generator params: {gen.count_params():,}  discriminator params: {disc.count_params():,}")

    # --- Stage 1: SRResNet pre-training with pixel-wise MSE ---
    gen.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse")
    gen.fit(lr_imgs, hr_imgs, batch_size=BATCH_SIZE, epochs=1, verbose=2)

    # --- Stage 2: adversarial fine-tuning with a VGG content loss ---
    # VGG22 (low-level features) keeps the CPU demo cheap; use block5_conv4 for VGG54
    srgan = SRGAN(gen, disc, vgg_features("block2_conv2", weights=None))
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([100_000], [1e-4, 1e-5])
    srgan.compile(g_optimizer=keras.optimizers.Adam(schedule),
                  d_optimizer=keras.optimizers.Adam(schedule))
    ds = (tf.data.Dataset.from_tensor_slices((lr_imgs, hr_imgs))
          .shuffle(N_SAMPLES).batch(BATCH_SIZE, drop_remainder=True))
    srgan.fit(ds, epochs=1, verbose=2)

    sr = gen.predict(lr_imgs[:2], verbose=0)
    bicubic = tf.image.resize(lr_imgs[:2], (HR_SIZE, HR_SIZE), method="bicubic")
    print("PSNR bicubic:", tf.image.psnr(hr_imgs[:2], tf.clip_by_value(bicubic, 0, 1), 1.0).numpy())
    print("PSNR SRGAN:  ", tf.image.psnr(hr_imgs[:2], sr, 1.0).numpy())

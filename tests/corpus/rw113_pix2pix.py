"""
pix2pix-style image-to-image translation on synthetic paired data.

Task: input is a 1-channel outline of a rectangle/circle, target is the same
shape filled with a colour that depends on the shape type (RGB, 32x32).

 - U-Net generator: encoder of strided convs, decoder of transposed convs,
   skip connections concatenated at each resolution, dropout in the first
   decoder blocks (that is the pix2pix "noise").
 - PatchGAN discriminator: sees (input, target-or-fake) concatenated on the
   channel axis and outputs a grid of real/fake logits, one per patch.
 - Pix2Pix keras.Model subclass with its own compile() and train_step().
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class Config:
    size: int = 32
    in_ch: int = 1
    out_ch: int = 3
    base_filters: int = 16
    n_pairs: int = 192
    batch: int = 16
    epochs: int = 1
    l1_lambda: float = 100.0
    lr: float = 2e-4
    seed: int = 3


cfg = Config()
keras.utils.set_random_seed(cfg.seed)

PALETTE = {0: (0.9, 0.2, 0.2), 1: (0.2, 0.4, 0.9)}


def make_pair(rng, size):
    yy, xx = np.mgrid[:size, :size]
    kind = rng.integers(0, 2)
    cy, cx = rng.integers(10, size - 10, size=2)
    r = rng.integers(5, 9)
    if kind == 0:  # rectangle
        filled = (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)
        inner = (np.abs(yy - cy) <= r - 1) & (np.abs(xx - cx) <= r - 1)
    else:  # circle
        d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
        filled = d <= r
        inner = d <= r - 1
    outline = (filled & ~inner).astype(np.float32)
    target = filled[..., None] * np.array(PALETTE[kind], dtype=np.float32)
    return outline[..., None], target.astype(np.float32)


def build_dataset(cfg):
    rng = np.random.default_rng(cfg.seed)
    pairs = [make_pair(rng, cfg.size) for _ in range(cfg.n_pairs)]
    src = np.stack([p[0] for p in pairs]) * 2 - 1
    tgt = np.stack([p[1] for p in pairs]) * 2 - 1

    def augment(a, b):
        # same random flip on both images of the pair
        flip = tf.random.uniform(()) > 0.5
        a = tf.where(flip, tf.image.flip_left_right(a), a)
        b = tf.where(flip, tf.image.flip_left_right(b), b)
        return a, b

    ds = tf.data.Dataset.from_tensor_slices((src, tgt))
    ds = ds.shuffle(cfg.n_pairs).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(cfg.batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE), (src, tgt)


# ---------------------------------------------------------------- blocks ----
def down(filters, norm=True, name=None):
    block = keras.Sequential(name=name)
    block.add(layers.Conv2D(filters, 4, strides=2, padding="same", use_bias=not norm,
                            kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02)))
    if norm:
        block.add(layers.BatchNormalization())
    block.add(layers.LeakyReLU(0.2))
    return block


def up(filters, dropout=False, name=None):
    block = keras.Sequential(name=name)
    block.add(layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False,
                                     kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02)))
    block.add(layers.BatchNormalization())
    if dropout:
        block.add(layers.Dropout(0.5))
    block.add(layers.ReLU())
    return block


def unet_generator(cfg):
    f = cfg.base_filters
    inp = keras.Input((cfg.size, cfg.size, cfg.in_ch), name="source")
    # 32 -> 16 -> 8 -> 4 -> 2
    encoder = [down(f, norm=False, name="down1"), down(f * 2, name="down2"),
               down(f * 4, name="down3"), down(f * 4, name="down4")]
    decoder = [up(f * 4, dropout=True, name="up1"), up(f * 2, dropout=True, name="up2"),
               up(f, name="up3")]

    x = inp
    skips = []
    for block in encoder:
        x = block(x)
        skips.append(x)
    skips = reversed(skips[:-1])

    for block, skip in zip(decoder, skips):
        x = block(x)
        x = layers.Concatenate()([x, skip])

    out = layers.Conv2DTranspose(cfg.out_ch, 4, strides=2, padding="same", activation="tanh",
                                 name="to_rgb")(x)
    return keras.Model(inp, out, name="unet_generator")


def patchgan_discriminator(cfg):
    f = cfg.base_filters
    src = keras.Input((cfg.size, cfg.size, cfg.in_ch), name="source")
    tgt = keras.Input((cfg.size, cfg.size, cfg.out_ch), name="target")
    x = layers.Concatenate()([src, tgt])
    x = down(f, norm=False)(x)        # 16
    x = down(f * 2)(x)                # 8
    x = layers.ZeroPadding2D()(x)     # 10
    x = layers.Conv2D(f * 4, 4, use_bias=False)(x)  # 7
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(0.2)(x)
    x = layers.ZeroPadding2D()(x)     # 9
    patch_logits = layers.Conv2D(1, 4, name="patch_logits")(x)  # 6x6 patches
    return keras.Model([src, tgt], patch_logits, name="patchgan")


# ----------------------------------------------------------------- model ----
class Pix2Pix(keras.Model):
    def __init__(self, generator, discriminator, l1_lambda, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.l1_lambda = l1_lambda
        self.bce = keras.losses.BinaryCrossentropy(from_logits=True)
        self.trackers = {n: keras.metrics.Mean(name=n) for n in ("d_loss", "g_gan", "g_l1")}

    def compile(self, g_optimizer, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, source, training=False):
        return self.generator(source, training=training)

    def train_step(self, data):
        source, target = data
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = self.generator(source, training=True)
            real_logits = self.discriminator([source, target], training=True)
            fake_logits = self.discriminator([source, fake], training=True)

            g_gan = self.bce(ops.ones_like(fake_logits), fake_logits)
            g_l1 = ops.mean(ops.abs(target - fake))
            g_total = g_gan + self.l1_lambda * g_l1

            d_loss = 0.5 * (self.bce(ops.ones_like(real_logits), real_logits)
                            + self.bce(ops.zeros_like(fake_logits), fake_logits))

        g_vars = self.generator.trainable_variables
        d_vars = self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_total, g_vars), g_vars))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))

        for name, value in (("d_loss", d_loss), ("g_gan", g_gan), ("g_l1", g_l1)):
            self.trackers[name].update_state(value)
        return {name: m.result() for name, m in self.trackers.items()}


if __name__ == "__main__":
    ds, (src_np, tgt_np) = build_dataset(cfg)
    gen = unet_generator(cfg)
    disc = patchgan_discriminator(cfg)
    print("generator out :", gen.output.shape)
    print("PatchGAN out  :", disc.output.shape, "(one logit per patch)")

    p2p = Pix2Pix(gen, disc, cfg.l1_lambda)
    p2p.compile(
        g_optimizer=keras.optimizers.Adam(cfg.lr, beta_1=0.5),
        d_optimizer=keras.optimizers.Adam(cfg.lr, beta_1=0.5),
    )
    p2p.fit(ds, epochs=cfg.epochs, verbose=2)

    preds = gen.predict(src_np[:8], verbose=0)
    mae = np.abs(preds - tgt_np[:8]).mean()
    print(f"MAE on 8 training pairs (tanh space): {mae:.4f}")
    channel_means = ((preds + 1) / 2).mean(axis=(0, 1, 2))
    print("mean RGB of predictions:", [round(float(c), 3) for c in channel_means])

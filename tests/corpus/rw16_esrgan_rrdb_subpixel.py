"""x2 super-resolution with residual-in-residual dense blocks (RRDB).

Each dense block grows its input with Concatenate in a loop (DenseNet
style), and three dense blocks are chained inside an RRDB with scaled
residuals.  Upsampling uses a sub-pixel conv: Conv2D to C*r^2 channels and
a small layer wrapping tf.nn.depth_to_space.  Low-res inputs are made on the
fly in tf.data with tf.image.resize (bicubic) from random HR crops.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

HR = 32
SCALE = 2
LR = HR // SCALE
FEATS = 16
GROWTH = 8
RES_SCALE = 0.2


class PixelShuffle(layers.Layer):
    """Sub-pixel rearrangement (B, H, W, C*r^2) -> (B, rH, rW, C)."""

    def __init__(self, block_size, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, x):
        return tf.nn.depth_to_space(x, self.block_size)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        r = self.block_size
        return (b, None if h is None else h * r, None if w is None else w * r, c // (r * r))

    def get_config(self):
        return {**super().get_config(), "block_size": self.block_size}


class BicubicUpscale(layers.Layer):
    """tf.image.resize by a fixed factor; works with unknown spatial dims."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        hw = tf.shape(x)[1:3] * self.factor
        return tf.image.resize(x, hw, method="bicubic")

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        f = self.factor
        return (b, None if h is None else h * f, None if w is None else w * f, c)


def dense_block(x, growth=GROWTH, n_layers=4, name="db"):
    features = [x]
    for i in range(n_layers):
        inp = features[0] if len(features) == 1 else layers.Concatenate(name=f"{name}_cat{i}")(features)
        y = layers.Conv2D(growth, 3, padding="same", name=f"{name}_conv{i}")(inp)
        y = layers.LeakyReLU(0.2)(y)
        features.append(y)
    fused = layers.Concatenate(name=f"{name}_catout")(features)
    out = layers.Conv2D(x.shape[-1], 3, padding="same", name=f"{name}_fuse")(fused)
    out = layers.Rescaling(RES_SCALE)(out)
    return layers.Add()([x, out])


def rrdb(x, name):
    y = x
    for j in range(3):
        y = dense_block(y, name=f"{name}_d{j}")
    y = layers.Rescaling(RES_SCALE)(y)
    return layers.Add(name=f"{name}_out")([x, y])


def upsample_block(x, name):
    x = layers.Conv2D(FEATS * SCALE * SCALE, 3, padding="same", name=f"{name}_conv")(x)
    x = PixelShuffle(SCALE, name=f"{name}_shuffle")(x)
    return layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(x)


def build_generator(n_rrdb=2):
    lr = keras.Input((None, None, 3), name="lr")
    head = layers.Conv2D(FEATS, 3, padding="same", name="head")(lr)
    x = head
    for i in range(n_rrdb):
        x = rrdb(x, name=f"rrdb{i}")
    x = layers.Conv2D(FEATS, 3, padding="same", name="trunk_conv")(x)
    x = layers.Add(name="global_skip")([head, x])
    x = upsample_block(x, "up")
    detail = layers.Conv2D(3, 3, padding="same", kernel_initializer="zeros", name="to_rgb")(x)
    # add an interpolated baseline so the net only learns the residual detail
    base = BicubicUpscale(SCALE, name="bicubic_skip")(lr)
    sr = layers.Add(name="sr")([base, detail])
    return keras.Model(lr, sr, name="rrdb_sr")


def random_textures(n, rng):
    base = rng.random((n, 8, 8, 3)).astype(np.float32)
    up = tf.image.resize(base, (HR * 2, HR * 2), method="bicubic").numpy()
    stripes = np.sin(np.linspace(0, 12 * np.pi, HR * 2))[None, :, None, None]
    return np.clip(up + 0.2 * stripes.astype(np.float32), 0.0, 1.0)


def make_pair(image):
    hr = tf.image.random_crop(image, [HR, HR, 3])
    hr = tf.image.random_flip_left_right(hr)
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    hr = tf.image.rot90(hr, k)
    lr = tf.image.resize(hr, [LR, LR], method="bicubic", antialias=True)
    lr = tf.clip_by_value(lr, 0.0, 1.0)
    return lr, hr


def charbonnier(y_true, y_pred, eps=1e-3):
    return tf.reduce_mean(tf.sqrt(tf.square(y_true - y_pred) + eps ** 2), axis=[1, 2, 3])


def psnr(y_true, y_pred):
    return tf.image.psnr(y_true, tf.clip_by_value(y_pred, 0.0, 1.0), max_val=1.0)


def ssim(y_true, y_pred):
    return tf.image.ssim(y_true, tf.clip_by_value(y_pred, 0.0, 1.0), max_val=1.0,
                         filter_size=7)


def main():
    rng = np.random.default_rng(11)
    textures = random_textures(32, rng)
    ds = (tf.data.Dataset.from_tensor_slices(textures)
          .repeat()
          .map(make_pair, num_parallel_calls=2)
          .batch(8)
          .prefetch(2))
    gen = build_generator()
    gen.compile(optimizer=keras.optimizers.Adam(2e-4, beta_1=0.9, beta_2=0.99),
                loss=charbonnier, metrics=[psnr, ssim])
    print("generator params:", gen.count_params())
    gen.fit(ds, epochs=1, steps_per_epoch=5, verbose=2)

    lr_batch, hr_batch = next(iter(ds))
    sr = gen.predict(lr_batch, verbose=0)
    bic = tf.image.resize(lr_batch, [HR, HR], method="bicubic")
    print("SR shape:", sr.shape)
    print("PSNR model  : %.2f dB" % float(tf.reduce_mean(psnr(hr_batch, sr))))
    print("PSNR bicubic: %.2f dB" % float(tf.reduce_mean(psnr(hr_batch, bic))))
    # fully convolutional: also works on a different input size
    big = gen.predict(np.zeros((1, 24, 20, 3), np.float32), verbose=0)
    print("arbitrary-size output:", big.shape)


if __name__ == "__main__":
    main()

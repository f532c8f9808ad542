"""EDSR-baseline x4 super-resolution with a custom SubPixelConv2D layer.

Enhanced Deep Residual Networks (Lim et al. 2017): no batch norm, residual
scaling, global skip, and a sub-pixel upsampler built as a reusable Keras
layer. Training uses an overridden train_step with L1 loss + PSNR tracking.
Everything is written against Keras 3 (keras.ops) except the pixel shuffle.
"""
import numpy as np
import keras
from keras import layers, ops
import tensorflow as tf

SCALE = 4
NUM_FILTERS = 32
NUM_RES_BLOCKS = 4
RES_SCALING = 0.1
HR_PATCH = 64
LR_PATCH = HR_PATCH // SCALE
BATCH = 4
STEPS_PER_EPOCH = 6

# DIV2K RGB mean, used to centre inputs the same way the reference code does
DIV2K_RGB_MEAN = np.array([0.4488, 0.4371, 0.4040], dtype="float32") * 255.0


@keras.saving.register_keras_serializable(package="rw87")
class SubPixelConv2D(layers.Layer):
    """Conv to C*r^2 channels followed by depth_to_space (pixel shuffle)."""

    def __init__(self, filters, scale=2, kernel_size=3, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.scale = scale
        self.kernel_size = kernel_size

    def build(self, input_shape):
        in_ch = input_shape[-1]
        out_ch = self.filters * self.scale ** 2
        self.kernel = self.add_weight(
            name="kernel",
            shape=(self.kernel_size, self.kernel_size, in_ch, out_ch),
            initializer="he_normal",
        )
        self.bias = self.add_weight(name="bias", shape=(out_ch,), initializer="zeros")

    def call(self, x):
        y = ops.conv(x, self.kernel, strides=1, padding="same") + self.bias
        return tf.nn.depth_to_space(y, self.scale)

    def compute_output_shape(self, input_shape):
        b, h, w, _ = input_shape
        h = None if h is None else h * self.scale
        w = None if w is None else w * self.scale
        return (b, h, w, self.filters)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, scale=self.scale, kernel_size=self.kernel_size)
        return cfg


class Normalize(layers.Layer):
    def __init__(self, mean, scale=127.5, inverse=False, **kwargs):
        super().__init__(**kwargs)
        self.mean = [float(m) for m in mean]
        self.scale = scale
        self.inverse = inverse

    def call(self, x):
        mean = ops.reshape(ops.convert_to_tensor(self.mean), (1, 1, 1, 3))
        if self.inverse:
            return x * self.scale + mean
        return (x - mean) / self.scale

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "scale": self.scale,
                "inverse": self.inverse}


def res_block(x, filters, scaling):
    skip = x
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(filters, 3, padding="same")(x)
    if scaling:
        x = layers.Rescaling(scaling)(x)
    return layers.Add()([skip, x])


def upsampler(x, scale, filters):
    # x4 is done as two x2 shuffles, x3 as a single x3 shuffle
    if scale in (2, 3):
        return SubPixelConv2D(filters, scale=scale, name=f"subpixel_x{scale}")(x)
    if scale == 4:
        x = SubPixelConv2D(filters, scale=2, name="subpixel_x2_1")(x)
        return SubPixelConv2D(filters, scale=2, name="subpixel_x2_2")(x)
    raise ValueError(f"unsupported scale {scale}")


def edsr(scale=SCALE, num_filters=NUM_FILTERS, num_res_blocks=NUM_RES_BLOCKS,
         res_block_scaling=RES_SCALING):
    x_in = keras.Input(shape=(None, None, 3))
    x = Normalize(DIV2K_RGB_MEAN)(x_in)

    x = b = layers.Conv2D(num_filters, 3, padding="same")(x)
    for _ in range(num_res_blocks):
        b = res_block(b, num_filters, res_block_scaling)
    b = layers.Conv2D(num_filters, 3, padding="same")(b)
    x = layers.Add(name="global_skip")([x, b])

    x = upsampler(x, scale, num_filters)
    x = layers.Conv2D(3, 3, padding="same")(x)

    x = Normalize(DIV2K_RGB_MEAN, inverse=True)(x)
    return keras.Model(x_in, x, name=f"edsr_x{scale}")


class SRTrainer(keras.Model):
    """Wraps the generator and implements a custom train/test step."""

    def __init__(self, generator, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.loss_tracker = keras.metrics.Mean(name="l1")
        self.psnr_tracker = keras.metrics.Mean(name="psnr")

    @property
    def metrics(self):
        return [self.loss_tracker, self.psnr_tracker]

    def call(self, x, training=False):
        return self.generator(x, training=training)

    def _psnr(self, hr, sr):
        sr = ops.clip(ops.round(sr), 0.0, 255.0)
        mse = ops.mean(ops.square(hr - sr), axis=[1, 2, 3])
        return ops.mean(10.0 * ops.log(255.0 ** 2 / (mse + 1e-8)) / ops.log(10.0))

    def train_step(self, data):
        lr, hr = data
        with tf.GradientTape() as tape:
            sr = self.generator(lr, training=True)
            loss = ops.mean(ops.abs(hr - sr))
        grads = tape.gradient(loss, self.generator.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        self.loss_tracker.update_state(loss)
        self.psnr_tracker.update_state(self._psnr(hr, sr))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        lr, hr = data
        sr = self.generator(lr, training=False)
        self.loss_tracker.update_state(ops.mean(ops.abs(hr - sr)))
        self.psnr_tracker.update_state(self._psnr(hr, sr))
        return {m.name: m.result() for m in self.metrics}


def random_hr_lr_pairs(n, seed=7):
    """HR patches in [0, 255] and their bicubic-downsampled LR counterparts."""
    rng = np.random.default_rng(seed)
    # low-frequency noise upsampled => natural-ish textures
    coarse = rng.uniform(0, 255, size=(n, 8, 8, 3)).astype("float32")
    hr = tf.image.resize(coarse, (HR_PATCH, HR_PATCH), method="bicubic")
    hr = tf.clip_by_value(hr + rng.normal(0, 4, hr.shape).astype("float32"), 0, 255)
    lr = tf.image.resize(hr, (LR_PATCH, LR_PATCH), method="bicubic", antialias=True)
    return lr.numpy(), hr.numpy()


def augment(lr, hr):
    # random 90-degree rotation + flip, identical for both images
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    lr, hr = tf.image.rot90(lr, k), tf.image.rot90(hr, k)
    flip = tf.random.uniform([]) < 0.5
    lr = tf.where(flip, tf.image.flip_left_right(lr), lr)
    hr = tf.where(flip, tf.image.flip_left_right(hr), hr)
    return lr, hr


if __name__ == "__main__":
    lr_np, hr_np = random_hr_lr_pairs(BATCH * STEPS_PER_EPOCH + BATCH * 2)
    n_train = BATCH * STEPS_PER_EPOCH
    train_ds = (tf.data.Dataset.from_tensor_slices((lr_np[:n_train], hr_np[:n_train]))
                .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
                .batch(BATCH)
                .prefetch(tf.data.AUTOTUNE))
    valid_ds = tf.data.Dataset.from_tensor_slices((lr_np[n_train:], hr_np[n_train:])).batch(BATCH)

    gen = edsr()
    gen.summary(line_length=100)

    trainer = SRTrainer(gen)
    lr_schedule = keras.optimizers.schedules.PiecewiseConstantDecay(
        boundaries=[200_000], values=[1e-4, 5e-5])
    trainer.compile(optimizer=keras.optimizers.Adam(learning_rate=lr_schedule))
    trainer.fit(train_ds, validation_data=valid_ds, epochs=1, verbose=2)

    # Custom layer round-trips through get_config
    layer_cfg = gen.get_layer("subpixel_x2_1").get_config()
    clone = SubPixelConv2D.from_config(layer_cfg)
    print("cloned layer:", clone.name, "filters", clone.filters, "scale", clone.scale)

    lr_img = ops.convert_to_tensor(lr_np[:1])
    sr_img = ops.clip(gen(lr_img), 0, 255)
    print("LR", tuple(lr_img.shape), "-> SR", tuple(sr_img.shape))

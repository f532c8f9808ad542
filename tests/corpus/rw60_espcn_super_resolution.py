"""Image super-resolution using an Efficient Sub-Pixel CNN (ESPCN).

Based on the keras.io example: we train on the Y channel of YUV images, the
model upsamples with depth_to_space (pixel shuffle), and the U/V channels are
upscaled with bicubic interpolation at inference time. BSDS500 is replaced by
synthetic smooth "photos" so the script runs offline.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "crop_size": 48,
    "upscale_factor": 3,
    "batch_size": 8,
    "num_images": 40,
    "val_fraction": 0.2,
    "epochs": 1,
    "channels": 1,
    "lr": 1e-3,
    "seed": 1337,
}
CONFIG["input_size"] = CONFIG["crop_size"] // CONFIG["upscale_factor"]


def synthetic_photos(n, size, seed):
    """Sum of a few random 2D sinusoids -> smooth, natural-ish RGB images in [0, 1]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.meshgrid(np.linspace(0, 1, size), np.linspace(0, 1, size), indexing="ij")
    imgs = np.zeros((n, size, size, 3), dtype="float32")
    for i in range(n):
        for c in range(3):
            fx, fy, ph = rng.uniform(1, 6), rng.uniform(1, 6), rng.uniform(0, math.pi)
            imgs[i, :, :, c] = 0.5 + 0.5 * np.sin(2 * math.pi * (fx * xx + fy * yy) + ph)
    return imgs


# Use TF Ops to process.
def process_input(input, input_size, upscale_factor):
    input = tf.image.rgb_to_yuv(input)
    last_dimension_axis = len(input.shape) - 1
    y, u, v = tf.split(input, 3, axis=last_dimension_axis)
    return tf.image.resize(y, [input_size, input_size], method="area")


def process_target(input):
    input = tf.image.rgb_to_yuv(input)
    last_dimension_axis = len(input.shape) - 1
    y, u, v = tf.split(input, 3, axis=last_dimension_axis)
    return y


def make_datasets(cfg):
    images = synthetic_photos(cfg["num_images"], cfg["crop_size"] + 8, cfg["seed"])
    n_val = int(cfg["num_images"] * cfg["val_fraction"])
    crop = cfg["crop_size"]

    def random_crop(img):
        return tf.image.random_crop(img, (crop, crop, 3))

    def to_pairs(ds):
        ds = ds.map(random_crop).batch(cfg["batch_size"])
        return ds.map(
            lambda x: (process_input(x, cfg["input_size"], cfg["upscale_factor"]), process_target(x))
        ).prefetch(buffer_size=32)

    full = tf.data.Dataset.from_tensor_slices(images)
    train_ds = to_pairs(full.skip(n_val))
    valid_ds = to_pairs(full.take(n_val))
    return train_ds, valid_ds, images[:n_val]


class DepthToSpace(layers.Layer):
    """Pixel shuffle: (B, H, W, C*r^2) -> (B, H*r, W*r, C)."""

    def __init__(self, block_size, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, input):
        batch, height, width, depth = keras.ops.shape(input)
        r = self.block_size
        depth = depth // (r**2)

        x = keras.ops.reshape(input, [batch, height, width, r, r, depth])
        x = keras.ops.transpose(x, [0, 1, 3, 2, 4, 5])
        x = keras.ops.reshape(x, [batch, height * r, width * r, depth])
        return x

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        r = self.block_size
        h = None if h is None else h * r
        w = None if w is None else w * r
        return (b, h, w, c // (r * r))

    def get_config(self):
        config = super().get_config()
        config.update({"block_size": self.block_size})
        return config


def get_model(upscale_factor=3, channels=1):
    conv_args = {
        "activation": "relu",
        "kernel_initializer": "orthogonal",
        "padding": "same",
    }
    inputs = keras.Input(shape=(None, None, channels))
    x = layers.Conv2D(64, 5, **conv_args)(inputs)
    x = layers.Conv2D(64, 3, **conv_args)(x)
    x = layers.Conv2D(32, 3, **conv_args)(x)
    x = layers.Conv2D(channels * (upscale_factor**2), 3, **conv_args)(x)
    outputs = DepthToSpace(upscale_factor)(x)

    return keras.Model(inputs, outputs)


class ESPCNCallback(keras.callbacks.Callback):
    def __init__(self, valid_images, upscale_factor):
        super().__init__()
        self.valid_images = valid_images
        self.upscale_factor = upscale_factor

    def on_epoch_begin(self, epoch, logs=None):
        self.psnr = []

    def on_epoch_end(self, epoch, logs=None):
        print("Mean PSNR for epoch: %.2f" % (np.mean(self.psnr)))
        lowres = get_lowres_image(self.valid_images[0], self.upscale_factor)
        prediction = upscale_image(self.model, lowres)
        print("  upscaled validation image:", prediction.shape)

    def on_test_batch_end(self, batch, logs=None):
        self.psnr.append(10 * math.log10(1 / logs["loss"]))


def get_lowres_image(img, upscale_factor):
    """Return low-resolution image to use as model input."""
    h, w = img.shape[:2]
    return tf.image.resize(
        img, (h // upscale_factor, w // upscale_factor), method="bicubic"
    ).numpy()


def upscale_image(model, img):
    """Predict the result based on input image and restore the image as RGB."""
    yuv = tf.image.rgb_to_yuv(img)
    y, u, v = yuv[..., 0], yuv[..., 1], yuv[..., 2]
    input = np.expand_dims(y.numpy(), axis=(0, -1))
    out = model.predict(input, verbose=0)

    out_img_y = out[0]  # (H*r, W*r, 1)
    new_size = out_img_y.shape[:2]
    out_img_u = tf.image.resize(u[..., None], new_size, method="bicubic")
    out_img_v = tf.image.resize(v[..., None], new_size, method="bicubic")
    out_yuv = tf.concat([out_img_y, out_img_u, out_img_v], axis=-1)
    out_rgb = tf.clip_by_value(tf.image.yuv_to_rgb(out_yuv), 0.0, 1.0)
    return out_rgb.numpy()


def main(cfg):
    keras.utils.set_random_seed(cfg["seed"])
    train_ds, valid_ds, valid_images = make_datasets(cfg)
    for batch in train_ds.take(1):
        print("input:", batch[0].shape, "target:", batch[1].shape)

    model = get_model(upscale_factor=cfg["upscale_factor"], channels=cfg["channels"])
    model.summary()

    callbacks = [
        ESPCNCallback(valid_images, cfg["upscale_factor"]),
        keras.callbacks.EarlyStopping(monitor="loss", patience=10),
    ]
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=cfg["lr"]),
        loss=keras.losses.MeanSquaredError(),
    )
    model.fit(
        train_ds, epochs=cfg["epochs"], callbacks=callbacks, validation_data=valid_ds, verbose=2
    )

    # Compare against plain bicubic upsampling on one validation image
    hr = valid_images[1][: cfg["crop_size"], : cfg["crop_size"]]
    lr = get_lowres_image(hr, cfg["upscale_factor"])
    bicubic = tf.image.resize(lr, hr.shape[:2], method="bicubic").numpy()
    pred = upscale_image(model, lr)
    print("PSNR bicubic: %.2f" % tf.image.psnr(bicubic.clip(0, 1), hr, max_val=1.0).numpy())
    print("PSNR ESPCN:   %.2f" % tf.image.psnr(pred, hr, max_val=1.0).numpy())


if __name__ == "__main__":
    main(CONFIG)

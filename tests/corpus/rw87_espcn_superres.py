"""ESPCN: Efficient Sub-Pixel CNN for single image super-resolution.

Minimal re-implementation of Shi et al. 2016 in Keras. Low-res inputs are
produced on the fly by bicubic downscaling inside a tf.data pipeline, and the
network upsamples with a sub-pixel convolution (tf.nn.depth_to_space).
Synthetic images are used so the script runs anywhere.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------
UPSCALE_FACTOR = 3
CROP_SIZE = 48                      # HR crop, must be divisible by the factor
INPUT_SIZE = CROP_SIZE // UPSCALE_FACTOR
CHANNELS = 1                        # ESPCN works on the Y channel only
BATCH_SIZE = 8
NUM_IMAGES = 64
EPOCHS = 1
SEED = 42

tf.random.set_seed(SEED)
np.random.seed(SEED)


def make_synthetic_images(n, size):
    """Smooth-ish random RGB images (sum of a few sinusoids + noise)."""
    xs = np.linspace(0, 1, size, dtype=np.float32)
    xx, yy = np.meshgrid(xs, xs)
    imgs = []
    for _ in range(n):
        img = np.zeros((size, size, 3), dtype=np.float32)
        for c in range(3):
            fx, fy = np.random.uniform(1, 6, size=2)
            phase = np.random.uniform(0, np.pi)
            img[..., c] = 0.5 + 0.5 * np.sin(2 * np.pi * (fx * xx + fy * yy) + phase)
        img += np.random.normal(0, 0.03, img.shape).astype(np.float32)
        imgs.append(np.clip(img, 0.0, 1.0))
    return np.stack(imgs) * 255.0


def process_input(hr_rgb):
    """RGB [0,255] -> Y channel in [0,1], then bicubic downscale."""
    yuv = tf.image.rgb_to_yuv(hr_rgb / 255.0)
    y, _, _ = tf.split(yuv, 3, axis=-1)
    lr = tf.image.resize(y, [INPUT_SIZE, INPUT_SIZE], method="bicubic")
    return lr, y


def build_dataset(images, training=True):
    ds = tf.data.Dataset.from_tensor_slices(images)
    if training:
        ds = ds.shuffle(len(images), seed=SEED)
    ds = ds.map(lambda img: tf.image.random_crop(img, [CROP_SIZE, CROP_SIZE, 3]),
                num_parallel_calls=tf.data.AUTOTUNE)
    ds = ds.map(process_input, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


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
    # r^2 * C feature maps, rearranged into an r-times larger image
    x = layers.Conv2D(channels * (upscale_factor ** 2), 3, padding="same",
                      kernel_initializer="orthogonal")(x)
    outputs = layers.Lambda(lambda t: tf.nn.depth_to_space(t, upscale_factor),
                            name="pixel_shuffle")(x)
    return keras.Model(inputs, outputs, name="espcn")


def psnr(y_true, y_pred):
    return tf.image.psnr(y_true, tf.clip_by_value(y_pred, 0.0, 1.0), max_val=1.0)


class PSNRLogger(keras.callbacks.Callback):
    """Computes PSNR of the bicubic baseline vs. the model on one val batch."""

    def __init__(self, val_batch):
        super().__init__()
        self.lr, self.hr = val_batch

    def on_epoch_end(self, epoch, logs=None):
        bicubic = tf.image.resize(self.lr, tf.shape(self.hr)[1:3], method="bicubic")
        sr = self.model(self.lr, training=False)
        p_bic = tf.reduce_mean(psnr(self.hr, bicubic)).numpy()
        p_sr = tf.reduce_mean(psnr(self.hr, sr)).numpy()
        print(f"epoch {epoch + 1}: bicubic PSNR={p_bic:.2f} dB  ESPCN PSNR={p_sr:.2f} dB")


def main():
    images = make_synthetic_images(NUM_IMAGES, 64)
    split = int(0.8 * NUM_IMAGES)
    train_ds = build_dataset(images[:split])
    val_ds = build_dataset(images[split:], training=False)

    for lr, hr in train_ds.take(1):
        print("LR batch:", lr.shape, "HR batch:", hr.shape)

    model = get_model(UPSCALE_FACTOR, CHANNELS)
    model.summary()

    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=[psnr])
    val_batch = next(iter(val_ds))
    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS,
              callbacks=[PSNRLogger(val_batch)], verbose=2)

    # Fully-convolutional: works on any input size at inference
    test_lr = tf.random.uniform((1, 20, 30, CHANNELS))
    sr = model.predict(test_lr, verbose=0)
    print("Inference on arbitrary size:", test_lr.shape, "->", sr.shape)
    assert sr.shape == (1, 20 * UPSCALE_FACTOR, 30 * UPSCALE_FACTOR, CHANNELS)


if __name__ == "__main__":
    main()

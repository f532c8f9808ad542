"""
Image super-resolution with an Efficient Sub-Pixel CNN (ESPCN).

Random images stand in for BSDS500; the pipeline (crop -> rgb2yuv -> resize)
mirrors what you would do with the real dataset.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers
from tensorflow.keras.layers import Conv2D as C

CROP_SIZE = 48
UPSCALE_FACTOR = 3
INPUT_SIZE = CROP_SIZE // UPSCALE_FACTOR  # 16
BATCH_SIZE = 8
CHANNELS = 1
EPOCHS = 1

# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------
raw_images = np.random.uniform(0, 255, size=(40, 64, 64, 3)).astype("float32")

train_ds = tf.data.Dataset.from_tensor_slices(raw_images[:32]).batch(BATCH_SIZE)
valid_ds = tf.data.Dataset.from_tensor_slices(raw_images[32:]).batch(BATCH_SIZE)


def scaling(input_image):
    input_image = input_image / 255.0
    return input_image


def center_crop(image):
    return tf.image.resize_with_crop_or_pad(image, CROP_SIZE, CROP_SIZE)


train_ds = train_ds.map(scaling).map(center_crop)
valid_ds = valid_ds.map(scaling).map(center_crop)


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


train_ds = train_ds.map(
    lambda x: (process_input(x, INPUT_SIZE, UPSCALE_FACTOR), process_target(x))
)
train_ds = train_ds.prefetch(buffer_size=32)

valid_ds = valid_ds.map(
    lambda x: (process_input(x, INPUT_SIZE, UPSCALE_FACTOR), process_target(x))
)
valid_ds = valid_ds.prefetch(buffer_size=32)

for batch in train_ds.take(1):
    lr_batch, hr_batch = batch
    print("low-res batch:", lr_batch.shape, "high-res batch:", hr_batch.shape)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class DepthToSpace(layers.Layer):
    def __init__(self, block_size, **kwargs):
        super().__init__(**kwargs)
        self.block_size = block_size

    def call(self, input):
        return tf.nn.depth_to_space(input, self.block_size)

    def get_config(self):
        cfg = super().get_config()
        cfg["block_size"] = self.block_size
        return cfg


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

    return keras.Model(inputs, outputs, name="espcn")


def get_fixed_size_model(upscale_factor=UPSCALE_FACTOR, channels=CHANNELS):
    """Same idea but with static input size and a Lambda for the shuffle."""
    inp = keras.Input(shape=(INPUT_SIZE, INPUT_SIZE, channels), name="lr")
    h = C(32, (5, 5), padding="same", activation="tanh")(inp)
    h = C(16, (3, 3), padding="same", activation="tanh")(h)
    h = C(channels * upscale_factor ** 2, (3, 3), padding="same")(h)
    h = layers.Lambda(
        lambda t: tf.nn.depth_to_space(t, upscale_factor),
        output_shape=(INPUT_SIZE * upscale_factor, INPUT_SIZE * upscale_factor, channels),
        name="pixel_shuffle",
    )(h)
    out = layers.Activation("sigmoid")(h)
    return keras.Model(inp, out, name="espcn_fixed")


class PSNRCallback(keras.callbacks.Callback):
    def __init__(self, val_data):
        super().__init__()
        self.val_data = val_data

    def on_epoch_begin(self, epoch, logs=None):
        self.psnr = []

    def on_test_batch_end(self, batch, logs=None):
        self.psnr.append(10 * math.log10(1 / logs["loss"]))

    def on_epoch_end(self, epoch, logs=None):
        if self.psnr:
            print("Mean PSNR for epoch: %.2f" % (np.mean(self.psnr)))


model = get_model(upscale_factor=UPSCALE_FACTOR, channels=CHANNELS)
model.summary()

loss_fn = keras.losses.MeanSquaredError()
optimizer = keras.optimizers.Adam(learning_rate=0.001)
model.compile(optimizer=optimizer, loss=loss_fn)
model.fit(
    train_ds,
    epochs=EPOCHS,
    callbacks=[PSNRCallback(valid_ds)],
    validation_data=valid_ds,
    verbose=2,
)

# Upscale one "image": the fully-convolutional model accepts any spatial size
test_img = np.random.rand(1, 20, 24, 1).astype("float32")
upscaled = model.predict(test_img, verbose=0)
print("upscaled:", test_img.shape, "->", upscaled.shape)

# direct call on depth_to_space for comparison
feat = model.layers[-2](model.layers[-3](model.layers[-4](model.layers[-5](test_img))))
shuffled = tf.nn.depth_to_space(feat, UPSCALE_FACTOR)
print("manual pixel shuffle:", shuffled.shape)

fixed = get_fixed_size_model()
fixed.summary()
fixed.compile(optimizer="adam", loss="mse", metrics=["mae"])
fixed.fit(train_ds, epochs=1, verbose=2)
print(fixed.evaluate(valid_ds, verbose=0))

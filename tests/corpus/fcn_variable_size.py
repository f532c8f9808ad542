"""Fully convolutional network on images of any size, applied to two different resolutions."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

NUM_CLASSES = 4


def encoder_stage(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv")(x)
    x = layers.Conv2D(filters, 3, strides=2, padding="valid", name=f"{name}_down")(x)
    return layers.BatchNormalization(name=f"{name}_bn")(x)


inputs = keras.Input(shape=(None, None, 3))
x = encoder_stage(inputs, 16, "stage1")
x = encoder_stage(x, 32, "stage2")
x = layers.Conv2D(64, (1, 1), activation="relu")(x)
x = layers.SpatialDropout2D(0.1)(x)
heatmap = layers.Conv2D(NUM_CLASSES, 1)(x)
upsampled = layers.UpSampling2D(size=(4, 4), interpolation="bilinear")(heatmap)
logits = layers.GlobalMaxPooling2D()(heatmap)
fcn = keras.Model(inputs, [logits, upsampled])

small = np.random.rand(2, 33, 47, 3).astype("float32")
large = np.random.rand(1, 65, 80, 3).astype("float32")
small_logits, small_maps = fcn(small)
large_logits, large_maps = fcn(large)
best = tf.argmax(small_logits, axis=-1)

fixed_inputs = keras.Input(shape=(33, 47, 3))
fixed = encoder_stage(fixed_inputs, 8, "fixed")
fixed = layers.Conv2D(8, (3, 5), strides=(1, 2), dilation_rate=1)(fixed)
fixed = layers.MaxPooling2D(pool_size=3, strides=2)(fixed)

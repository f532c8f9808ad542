"""Inception-style modules with a dict of branches, and DenseNet concatenation loops."""
import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, Model, Input

CHANNEL_AXIS = -1


def conv_bn(x, filters, kernel, strides=1, padding="same", name=None):
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False,
                      name=None if name is None else name + "_conv")(x)
    x = layers.BatchNormalization(axis=CHANNEL_AXIS, scale=False,
                                  name=None if name is None else name + "_bn")(x)
    return layers.Activation("relu", name=None if name is None else name)(x)


def inception_module(x, spec, name):
    branches = {
        "1x1": conv_bn(x, spec["1x1"], 1, name=name + "_b1"),
        "3x3": conv_bn(conv_bn(x, spec["3x3_reduce"], 1), spec["3x3"], 3),
        "5x5": conv_bn(conv_bn(x, spec["5x5_reduce"], 1), spec["5x5"], (5, 5)),
    }
    pool = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    branches["pool"] = conv_bn(pool, spec["pool_proj"], 1)
    return layers.concatenate(list(branches.values()), axis=CHANNEL_AXIS, name=name)


def dense_block(x, blocks, growth_rate, name):
    for i in range(blocks):
        x1 = layers.BatchNormalization(epsilon=1.001e-5, name=name + '_block' + str(i + 1) + '_0_bn')(x)
        x1 = layers.Activation('relu')(x1)
        x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False)(x1)
        x1 = layers.BatchNormalization(epsilon=1.001e-5)(x1)
        x1 = layers.Activation('relu')(x1)
        x1 = layers.Conv2D(growth_rate, 3, padding='same', use_bias=False)(x1)
        x = layers.Concatenate(axis=CHANNEL_AXIS, name=name + '_block' + str(i + 1) + '_concat')([x, x1])
    return x


def transition_block(x, reduction, name):
    x = layers.BatchNormalization(epsilon=1.001e-5, name=name + '_bn')(x)
    x = layers.Activation('relu', name=name + '_relu')(x)
    x = layers.Conv2D(int(x.shape[CHANNEL_AXIS] * reduction), 1, use_bias=False,
                      name=name + '_conv')(x)
    x = layers.AveragePooling2D(2, strides=2, name=name + '_pool')(x)
    return x


INCEPTION_SPECS = [
    {"1x1": 16, "3x3_reduce": 24, "3x3": 32, "5x5_reduce": 4, "5x5": 8, "pool_proj": 8},
    {"1x1": 32, "3x3_reduce": 32, "3x3": 48, "5x5_reduce": 8, "5x5": 24, "pool_proj": 16},
]

img = Input(shape=(48, 48, 3))
x = conv_bn(img, 16, 3, strides=2, padding="valid", name="stem")
x = layers.MaxPooling2D(3, strides=2)(x)
for k, spec in enumerate(INCEPTION_SPECS):
    x = inception_module(x, spec, name="mixed%d" % k)
x = dense_block(x, 3, growth_rate=8, name="conv2")
x = transition_block(x, 0.5, name="pool2")
x = dense_block(x, 2, growth_rate=8, name="conv3")
x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
out = layers.Dense(7, activation="softmax")(x)
net = Model(img, out)
probs = net(np.random.rand(2, 48, 48, 3).astype("float32"))

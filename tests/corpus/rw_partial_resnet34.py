# ResNet-34-like network with functools.partial, as in "Hands-On Machine Learning" ch.14
from functools import partial

import numpy as np
import tensorflow as tf
from tensorflow import keras

DefaultConv2D = partial(keras.layers.Conv2D, kernel_size=3, strides=1,
                        padding="SAME", use_bias=False)


class ResidualUnit(keras.layers.Layer):
    def __init__(self, filters, strides=1, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        self.main_layers = [
            DefaultConv2D(filters, strides=strides),
            keras.layers.BatchNormalization(),
            keras.layers.Activation(self.activation),
            DefaultConv2D(filters),
            keras.layers.BatchNormalization()]
        self.skip_layers = []
        if strides > 1:
            self.skip_layers = [
                DefaultConv2D(filters, kernel_size=1, strides=strides),
                keras.layers.BatchNormalization()]

    def call(self, inputs):
        Z = inputs
        for layer in self.main_layers:
            Z = layer(Z)
        skip_Z = inputs
        for layer in self.skip_layers:
            skip_Z = layer(skip_Z)
        return self.activation(Z + skip_Z)


model = keras.models.Sequential()
model.add(keras.layers.Input(shape=[64, 64, 3]))
model.add(DefaultConv2D(16, kernel_size=7, strides=2))
model.add(keras.layers.BatchNormalization())
model.add(keras.layers.Activation("relu"))
model.add(keras.layers.MaxPool2D(pool_size=3, strides=2, padding="same"))
prev_filters = 16
for filters in [16] * 2 + [32] * 2 + [64] * 2:
    strides = 1 if filters == prev_filters else 2
    model.add(ResidualUnit(filters, strides=strides))
    prev_filters = filters
model.add(keras.layers.GlobalAvgPool2D())
model.add(keras.layers.Flatten())
model.add(keras.layers.Dense(10, activation="softmax"))

X_batch = np.random.rand(4, 64, 64, 3).astype(np.float32)
y_proba = model(X_batch)

# partial of Dense too, used functionally
DenseRelu = partial(keras.layers.Dense, activation="relu", kernel_initializer="he_normal")
inp = keras.layers.Input(shape=(20,))
h = DenseRelu(30)(inp)
h = DenseRelu(units=15)(h)
out = keras.layers.Dense(1)(h)
reg = keras.Model(inp, out)
reg_pred = reg(np.zeros((3, 20), dtype="float32"))

"""MobileNetV2-style inverted residual blocks with depthwise and separable convolutions."""

import numpy as np
from tensorflow.keras import Model
from tensorflow.keras.layers import (
    Add,
    BatchNormalization,
    Conv2D,
    Dense,
    DepthwiseConv2D,
    GlobalAveragePooling2D,
    Input,
    ReLU,
    SeparableConv2D,
)


def inverted_residual(x, expansion, out_channels, stride):
    in_channels = x.shape[-1]
    h = Conv2D(in_channels * expansion, 1, padding="same", use_bias=False)(x)
    h = BatchNormalization()(h)
    h = ReLU(6.0)(h)
    h = DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(h)
    h = BatchNormalization()(h)
    h = ReLU(max_value=6.0)(h)
    h = Conv2D(out_channels, 1, padding="same", use_bias=False)(h)
    h = BatchNormalization()(h)
    if stride == 1 and in_channels == out_channels:
        h = Add()([x, h])
    return h


inputs = Input(shape=(96, 96, 3))
x = Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inputs)
x = BatchNormalization()(x)
x = ReLU(6.0)(x)
x = inverted_residual(x, expansion=1, out_channels=16, stride=1)
x = inverted_residual(x, expansion=6, out_channels=24, stride=2)
x = inverted_residual(x, expansion=6, out_channels=24, stride=1)
x = SeparableConv2D(48, 3, padding="same", depth_multiplier=1, activation="relu")(x)
x = DepthwiseConv2D(3, depth_multiplier=2)(x)
x = GlobalAveragePooling2D()(x)
outputs = Dense(5, activation="softmax")(x)

model = Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
batch = np.random.rand(8, 96, 96, 3).astype("float32")
model.fit(batch, np.random.randint(0, 5, 8), epochs=1, verbose=0)

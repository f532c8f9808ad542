"""PixelCNN for binarized images (toy).

MaskedConv2D wraps a Conv2D and zeroes out "future" pixels in the kernel
(mask type A for the first layer, B afterwards). Residual blocks of
1x1 -> masked 3x3 -> 1x1 convs. Trained with binary crossentropy with
model.fit, then we sample a couple of images pixel by pixel.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers as kl
import keras.ops as K

# hyperparams
num_classes = 2
input_shape = (12, 12, 1)
n_residual_blocks = 2


class PixelConvLayer(kl.Layer):
    """Conv2D with an autoregressive mask applied on the kernel every call."""

    def __init__(self, mask_type, **kwargs):
        super(PixelConvLayer, self).__init__()
        self.mask_type = mask_type
        self.conv = kl.Conv2D(**kwargs)

    def build(self, input_shape):
        self.conv.build(input_shape)
        kernel_shape = self.conv.kernel.shape
        self.mask = np.zeros(shape=kernel_shape, dtype="float32")
        kh, kw = kernel_shape[0], kernel_shape[1]
        self.mask[: kh // 2, ...] = 1.0
        self.mask[kh // 2, : kw // 2, ...] = 1.0
        if self.mask_type == "B":
            self.mask[kh // 2, kw // 2, ...] = 1.0

    def call(self, inputs):
        self.conv.kernel.assign(self.conv.kernel * self.mask)
        return self.conv(inputs)


class ResidualBlock(kl.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = kl.Conv2D(filters=filters, kernel_size=1, activation="relu")
        self.pixel_conv = PixelConvLayer(
            mask_type="B",
            filters=filters // 2,
            kernel_size=3,
            activation="relu",
            padding="same",
        )
        self.conv2 = kl.Conv2D(filters=filters, kernel_size=1, activation="relu")

    def call(self, inputs):
        x = self.conv1(inputs)
        x = self.pixel_conv(x)
        x = self.conv2(x)
        return kl.add([inputs, x])


def make_pixelcnn(filters=32):
    inputs = keras.Input(shape=input_shape)
    x = PixelConvLayer(mask_type="A", filters=filters, kernel_size=7, activation="relu", padding="same")(inputs)
    for _ in range(n_residual_blocks):
        x = ResidualBlock(filters=filters)(x)
    for _ in range(2):
        x = PixelConvLayer(
            mask_type="B", filters=filters, kernel_size=1, strides=1, activation="relu", padding="valid"
        )(x)
    out = kl.Conv2D(filters=1, kernel_size=1, strides=1, activation="sigmoid", padding="valid")(x)
    return keras.Model(inputs, out, name="pixel_cnn")


# random binarized data, like thresholded MNIST
data = (np.random.rand(80, *input_shape) > 0.6).astype(np.float32)

pixel_cnn = make_pixelcnn()
adam = keras.optimizers.Adam(learning_rate=0.0005)
pixel_cnn.compile(optimizer=adam, loss="binary_crossentropy")
pixel_cnn.summary()
pixel_cnn.fit(x=data, y=data, batch_size=16, epochs=1, validation_split=0.1, verbose=2)

# ---- sampling ----
batch = 2
pixels = np.zeros(shape=(batch,) + (pixel_cnn.input_shape)[1:], dtype="float32")
_, rows, cols, channels = pixels.shape

# sample only the first few rows, full sampling is slow on cpu
for row in range(min(rows, 3)):
    for col in range(cols):
        for channel in range(channels):
            probs = pixel_cnn.predict(pixels, verbose=0)[:, row, col, channel]
            pixels[:, row, col, channel] = K.convert_to_numpy(
                K.ceil(probs - np.random.random(probs.shape))
            )

print("sampled block:\n", pixels[0, :3, :, 0].astype(int))

# sanity: masked kernel of first layer has zeros in the "future" half
first = [l for l in pixel_cnn.layers if isinstance(l, PixelConvLayer)][0]
k = K.convert_to_numpy(first.conv.kernel)
print("center & below zero:", np.allclose(k[3, 3:], 0.0), np.allclose(k[4:], 0.0))

"""PixelCNN with masked convolutions on binarised toy images.

Mask type "A" (first layer) hides the current pixel, mask type "B" (all later
layers) lets it through -- so each output pixel only depends on the pixels
above it and to its left. Sampling is done autoregressively, pixel by pixel.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

H, W = 12, 12
N_FILTERS = 64
N_RESIDUAL_BLOCKS = 3
N_TRAIN = 512
BATCH = 64
EPOCHS = 2


class PixelConvLayer(layers.Layer):
    """Wraps a Conv2D and zeroes the 'future' part of its kernel every call."""

    def __init__(self, mask_type, **kwargs):
        super().__init__()
        self.mask_type = mask_type
        self.conv = layers.Conv2D(**kwargs)

    def build(self, input_shape):
        # build the conv so its kernel exists, then make a mask of matching shape
        self.conv.build(input_shape)
        kernel_shape = self.conv.kernel.shape
        mask = np.zeros(shape=kernel_shape, dtype="float32")
        kh, kw = kernel_shape[0], kernel_shape[1]
        mask[: kh // 2, ...] = 1.0
        mask[kh // 2, : kw // 2, ...] = 1.0
        if self.mask_type == "B":
            mask[kh // 2, kw // 2, ...] = 1.0
        # keep as numpy: a tf.constant created here can end up in a scratch graph
        self.mask = mask

    def call(self, inputs):
        self.conv.kernel.assign(self.conv.kernel * self.mask)
        return self.conv(inputs)


class ResidualBlock(layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv2D(filters=filters, kernel_size=1, activation="relu")
        self.pixel_conv = PixelConvLayer(
            mask_type="B",
            filters=filters // 2,
            kernel_size=3,
            activation="relu",
            padding="same",
        )
        self.conv2 = layers.Conv2D(filters=filters, kernel_size=1, activation="relu")

    def call(self, inputs):
        x = self.conv1(inputs)
        x = self.pixel_conv(x)
        x = self.conv2(x)
        return layers.add([inputs, x])


def build_pixelcnn(input_shape=(H, W, 1)):
    inputs = keras.Input(shape=input_shape)
    x = PixelConvLayer(
        mask_type="A", filters=N_FILTERS, kernel_size=7, activation="relu", padding="same"
    )(inputs)
    for _ in range(N_RESIDUAL_BLOCKS):
        x = ResidualBlock(filters=N_FILTERS)(x)
    for _ in range(2):
        x = PixelConvLayer(
            mask_type="B", filters=N_FILTERS, kernel_size=1, padding="valid", activation="relu"
        )(x)
    out = layers.Conv2D(filters=1, kernel_size=1, strides=1, activation="sigmoid", padding="valid")(x)
    return keras.Model(inputs, out, name="pixel_cnn")


def toy_binary_images(n):
    """Random filled rectangles, binarised."""
    rng = np.random.default_rng(7)
    data = np.zeros((n, H, W, 1), dtype="float32")
    for i in range(n):
        r0, c0 = rng.integers(0, H // 2, size=2)
        h, w = rng.integers(3, H // 2 + 1, size=2)
        data[i, r0:r0 + h, c0:c0 + w, 0] = 1.0
    # sprinkle a little pixel noise
    flip = rng.random(data.shape) < 0.02
    return np.where(flip, 1.0 - data, data).astype("float32")


def check_causality(model):
    """Gradient of output pixel (r, c) wrt input must be zero at (r, c) and after."""
    r, c = H // 2, W // 2
    x = tf.Variable(tf.random.uniform((1, H, W, 1)))
    with tf.GradientTape() as tape:
        y = model(x)
        target = y[0, r, c, 0]
    g = tape.gradient(target, x)[0, :, :, 0].numpy()
    flat = g.reshape(-1)
    leak = np.abs(flat[r * W + c:]).max()
    print(f"receptive-field leak at/after ({r},{c}): {leak:.2e}")


@tf.function(reduce_retracing=True)
def predict_probs(model, x):
    return model(x, training=False)


def sample(model, n=4):
    pixels = np.zeros((n, H, W, 1), dtype="float32")
    for row in range(H):
        for col in range(W):
            probs = predict_probs(model, tf.constant(pixels)).numpy()
            pixels[:, row, col, 0] = (
                np.random.random(n) < probs[:, row, col, 0]
            ).astype("float32")
    return pixels


if __name__ == "__main__":
    data = toy_binary_images(N_TRAIN)
    print("data:", data.shape, "density: %.3f" % data.mean())

    pixel_cnn = build_pixelcnn()
    pixel_cnn.summary()
    pixel_cnn.compile(optimizer=keras.optimizers.Adam(0.0005), loss="binary_crossentropy")
    pixel_cnn.fit(x=data, y=data, batch_size=BATCH, epochs=EPOCHS, validation_split=0.1, verbose=2)

    check_causality(pixel_cnn)

    samples = sample(pixel_cnn, n=4)
    print("samples:", samples.shape, "mean pixel:", samples.mean().round(3))
    for row in samples[0, :, :, 0]:
        print("".join("#" if v > 0.5 else "." for v in row))

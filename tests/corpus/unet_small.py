"""A small U-Net for binary segmentation with skip connections."""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers


def double_conv(x, filters):
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return x


def build_unet(img_size=(64, 64), channels=3):
    inputs = keras.Input(shape=(*img_size, channels))
    skips = []
    x = inputs
    for filters in [16, 32, 64]:
        x = double_conv(x, filters)
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)

    x = double_conv(x, 128)

    for filters, skip in zip([64, 32, 16], reversed(skips)):
        x = layers.Conv2DTranspose(filters, 2, strides=2, padding="same")(x)
        x = layers.concatenate([x, skip])
        x = double_conv(x, filters)

    outputs = layers.Conv2D(1, 1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs)


model = build_unet()
model.compile(optimizer="adam", loss="binary_crossentropy")

images = np.random.rand(8, 64, 64, 3).astype("float32")
masks = (np.random.rand(8, 64, 64, 1) > 0.5).astype("float32")
model.fit(images, masks, batch_size=4, epochs=1, verbose=0)
pred_masks = model.predict(images[:2], verbose=0)

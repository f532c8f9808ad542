"""Image classifier with in-model preprocessing: resizing, rescaling and random augmentation."""

import keras
import numpy as np
from keras import layers

image_size = (64, 64)

data_augmentation = keras.Sequential(
    [
        layers.RandomFlip("horizontal"),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ],
    name="augment",
)

raw = np.random.randint(0, 255, size=(32, 80, 100, 3)).astype("float32")
labels = np.random.randint(0, 2, size=(32,))

inputs = keras.Input(shape=(80, 100, 3))
x = layers.Resizing(image_size[0], image_size[1])(inputs)
x = data_augmentation(x)
x = layers.Rescaling(1.0 / 255)(x)
x = layers.Conv2D(32, 3, strides=2, padding="same")(x)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
previous = x
for size in [64, 128]:
    x = layers.Activation("relu")(x)
    x = layers.SeparableConv2D(size, 3, padding="same")(x)
    x = layers.BatchNormalization()(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    residual = layers.Conv2D(size, 1, strides=2, padding="same")(previous)
    x = layers.add([x, residual])
    previous = x
x = layers.GlobalAveragePooling2D()(x)
x = layers.Dropout(0.25)(x)
outputs = layers.Dense(1, activation=None)(x)
model = keras.Model(inputs, outputs)

model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
model.fit(raw, labels, epochs=1, batch_size=16, verbose=0)

augmented = data_augmentation(raw[:4])
center = layers.CenterCrop(48, 48)(raw[:2])

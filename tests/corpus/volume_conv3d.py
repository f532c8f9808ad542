"""3D CNN for volumetric scans (CT-like cubes)."""

import keras
import numpy as np
from keras import layers


def get_model(width=32, height=32, depth=16):
    inputs = keras.Input((width, height, depth, 1))

    x = layers.Conv3D(filters=16, kernel_size=3, activation="relu")(inputs)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv3D(filters=32, kernel_size=3, activation="relu", padding="same")(x)
    x = layers.MaxPool3D(pool_size=2)(x)
    x = layers.BatchNormalization()(x)

    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dense(units=64, activation="relu")(x)
    x = layers.Dropout(0.3)(x)

    outputs = layers.Dense(units=1, activation="sigmoid")(x)
    return keras.Model(inputs, outputs, name="3dcnn")


model = get_model(width=32, height=32, depth=16)
volumes = np.random.rand(8, 32, 32, 16).astype("float32")
volumes = volumes[..., None]
labels = np.array([0, 1] * 4)
model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.Adam(1e-4))
model.fit(volumes, labels, batch_size=4, epochs=1, verbose=0)

up = layers.UpSampling3D(size=2)(volumes[:1])
padded = layers.ZeroPadding3D(padding=1)(volumes[:1])

"""Sequential models assembled in loops from a config, the way hyperparameter searches do it."""

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers


def build_cnn(conv_filters, dense_units, input_shape=(32, 32, 3), n_classes=10):
    model = tf.keras.Sequential()
    model.add(layers.InputLayer(shape=input_shape))
    for i, filters in enumerate(conv_filters):
        model.add(layers.Conv2D(filters, kernel_size=3, padding="same", activation="relu"))
        if i % 2 == 1:
            model.add(layers.MaxPooling2D())
    model.add(layers.GlobalMaxPooling2D())
    for units in dense_units:
        model.add(layers.Dense(units, activation="relu"))
        model.add(layers.Dropout(0.3))
    model.add(layers.Dense(n_classes, activation="softmax"))
    return model


config = {"conv_filters": [16, 16, 32, 32], "dense_units": [64]}
cnn = build_cnn(**config)
cnn.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
images = np.random.rand(16, 32, 32, 3).astype("float32")
cnn.fit(images, np.random.randint(0, 10, size=16), batch_size=8, epochs=1, verbose=0)

mlp = tf.keras.Sequential([tf.keras.Input(shape=(12,))])
for width in (32, 16, 8):
    mlp.add(layers.Dense(width))
    mlp.add(layers.BatchNormalization())
    mlp.add(layers.Activation("relu"))
mlp.add(layers.Reshape((-1, 2)))
mlp.add(layers.Conv1D(4, kernel_size=1))
mlp.add(layers.Flatten())
mlp_out = mlp(np.random.rand(5, 12).astype("float32"))

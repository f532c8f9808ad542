"""Siamese network: one shared embedding tower applied to two inputs, distance head on top."""

import keras
import numpy as np
from keras import layers, ops


def build_tower(input_shape):
    tower = keras.Sequential(name="tower")
    tower.add(keras.Input(shape=input_shape))
    tower.add(layers.Conv2D(16, 3, activation="relu"))
    tower.add(layers.MaxPooling2D())
    tower.add(layers.Conv2D(32, 3, activation="relu"))
    tower.add(layers.GlobalAveragePooling2D())
    tower.add(layers.Dense(24))
    tower.add(layers.UnitNormalization())
    return tower


def euclidean_distance(vects):
    a, b = vects
    sum_square = ops.sum(ops.square(a - b), axis=1, keepdims=True)
    return ops.sqrt(ops.maximum(sum_square, keras.backend.epsilon()))


tower = build_tower((28, 28, 1))
left = keras.Input(shape=(28, 28, 1), name="left")
right = keras.Input(shape=(28, 28, 1), name="right")
emb_left = tower(left)
emb_right = tower(right)
distance = layers.Lambda(euclidean_distance, output_shape=(1,))([emb_left, emb_right])
norm = layers.BatchNormalization()(distance)
similarity = layers.Dense(1, activation="sigmoid")(norm)
diff = layers.Subtract()([emb_left, emb_right])
dot = layers.Dot(axes=1, normalize=True)([emb_left, emb_right])
siamese = keras.Model(inputs=[left, right], outputs=similarity)

siamese.compile(loss="binary_crossentropy", optimizer="rmsprop")
pairs_a = np.random.rand(32, 28, 28, 1).astype("float32")
pairs_b = np.random.rand(32, 28, 28, 1).astype("float32")
same = np.random.randint(0, 2, size=(32, 1)).astype("float32")
siamese.fit([pairs_a, pairs_b], same, batch_size=16, epochs=1, verbose=0)

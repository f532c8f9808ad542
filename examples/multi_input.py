"""A functional model with two inputs (an image and side features) and two outputs."""

import numpy as np
import keras
from keras import layers

image_input = keras.Input(shape=(64, 64, 3), name="image_input")
aux_input = keras.Input(shape=(10,), name="aux_input")

x = layers.Conv2D(16, 3, strides=2, activation="relu")(image_input)
x = layers.Conv2D(32, 3, strides=2, activation="relu")(x)
x = layers.Flatten()(x)
a = layers.Dense(16, activation="relu")(aux_input)
merged = layers.concatenate([x, a])
hidden = layers.Dense(64, activation="relu")(merged)
price = layers.Dense(1, name="price")(hidden)
category = layers.Dense(5, activation="softmax", name="category")(hidden)

model = keras.Model(inputs=[image_input, aux_input], outputs=[price, category])
model.compile(
    optimizer="adam",
    loss={"price": "mse", "category": "sparse_categorical_crossentropy"},
)

images = np.random.rand(32, 64, 64, 3)
features = np.random.rand(32, 10)
price_pred, category_pred = model.predict([images, features], verbose=0)

"""Digit classifier in the style of the classic MNIST convnet example (random stand-in data)."""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

num_classes = 10
input_shape = (28, 28, 1)

# Fake "images": 64 grayscale 28x28 pictures with integer labels.
x_train = np.random.rand(64, 28, 28).astype("float32")
y_train = np.random.randint(0, num_classes, size=(64,))

# Add the channel axis and one-hot encode the labels.
x_train = np.expand_dims(x_train, -1)
y_train = np.eye(num_classes)[y_train]

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)

probs = model.predict(x_train[:8], verbose=0)
predicted = np.argmax(probs, axis=1)

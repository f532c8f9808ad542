"""Multilayer perceptron on flattened images; the Sequential has no Input and is built by fit()."""

import numpy as np
import tensorflow as tf
from tensorflow import keras

(n_train, n_test) = (64, 16)
x_train = np.random.randint(0, 256, size=(n_train, 28, 28)).astype("uint8")
x_test = np.random.randint(0, 256, size=(n_test, 28, 28)).astype("uint8")
y_train = np.random.randint(0, 10, size=(n_train,))
y_test = np.random.randint(0, 10, size=(n_test,))

x_train = x_train.reshape(-1, 28 * 28).astype("float32") / 255.0
x_test = x_test.reshape(n_test, 784).astype("float32") / 255.0
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

model = keras.Sequential(
    [
        keras.layers.Dense(256, activation="relu"),
        keras.layers.Dropout(0.2),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10, activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)

predictions = model.predict(x_test, verbose=0)
predicted_labels = predictions.argmax(axis=1)
confidence = tf.reduce_max(predictions, axis=1)

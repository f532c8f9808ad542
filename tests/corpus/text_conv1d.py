"""Text classification on integer token sequences with Conv1D and global max pooling."""

import keras
import numpy as np
from keras import layers

vocab_size = 5000
maxlen = 100
embedding_dim = 32

x_train = np.random.randint(1, vocab_size, size=(64, maxlen))
y_train = np.random.randint(0, 2, size=(64,))

inputs = keras.Input(shape=(maxlen,), dtype="int64")
x = layers.Embedding(vocab_size, embedding_dim)(inputs)
x = layers.Dropout(0.2)(x)
x = layers.Conv1D(64, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.Conv1D(64, 7, padding="valid", activation="relu", strides=3)(x)
x = layers.GlobalMaxPooling1D()(x)
x = layers.Dense(64, activation="relu")(x)
x = layers.Dropout(0.5)(x)
predictions = layers.Dense(1, activation="sigmoid", name="predictions")(x)

model = keras.Model(inputs, predictions)
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
scores = model.predict(x_train[:5], verbose=0)

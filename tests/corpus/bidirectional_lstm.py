"""IMDB-style classifier with stacked bidirectional LSTMs."""

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

max_features = 20000
maxlen = 200

x_train = np.random.randint(1, max_features, size=(32, maxlen))
y_train = np.random.randint(0, 2, size=(32,))

inputs = keras.Input(shape=(None,), dtype="int32")
x = layers.Embedding(max_features, 128)(inputs)
x = layers.Bidirectional(layers.LSTM(64, return_sequences=True))(x)
x = layers.Bidirectional(layers.LSTM(64))(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)

concat_gru = layers.Bidirectional(layers.GRU(8), merge_mode="sum")(np.random.rand(2, 5, 3))

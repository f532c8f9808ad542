"""A dense autoencoder with separate encoder and decoder models."""

import keras
import numpy as np
from keras import layers

encoding_dim = 32

data = np.random.rand(64, 784).astype("float32")

encoder_input = keras.Input(shape=(784,), name="img")
h = layers.Dense(128, activation="relu")(encoder_input)
h = layers.Dense(64, activation="relu")(h)
code = layers.Dense(encoding_dim, activation="relu")(h)
encoder = keras.Model(encoder_input, code, name="encoder")

decoder_input = keras.Input(shape=(encoding_dim,), name="encoded")
h = layers.Dense(64, activation="relu")(decoder_input)
h = layers.Dense(128, activation="relu")(h)
decoded = layers.Dense(784, activation="sigmoid")(h)
decoder = keras.Model(decoder_input, decoded, name="decoder")

autoencoder_input = keras.Input(shape=(784,))
encoded_img = encoder(autoencoder_input)
reconstruction = decoder(encoded_img)
autoencoder = keras.Model(autoencoder_input, reconstruction, name="autoencoder")

autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
autoencoder.fit(data, data, epochs=1, batch_size=32, shuffle=True, verbose=0)

codes = encoder.predict(data[:10], verbose=0)
reconstructed = decoder.predict(codes, verbose=0)

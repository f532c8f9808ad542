"""Convolutional denoising autoencoder on 28x28 images."""

import numpy as np
from keras import layers
from keras.models import Model

x_clean = np.random.rand(48, 28, 28, 1).astype("float32")
noise = 0.3 * np.random.normal(size=x_clean.shape)
x_noisy = np.clip(x_clean + noise, 0.0, 1.0).astype("float32")

input_img = layers.Input(shape=(28, 28, 1))

# Encoder
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input_img)
x = layers.MaxPooling2D((2, 2), padding="same")(x)
x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(x)
encoded = layers.MaxPooling2D((2, 2), padding="same")(x)

# Decoder
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(encoded)
x = layers.Conv2DTranspose(32, (3, 3), strides=2, activation="relu", padding="same")(x)
x = layers.Conv2D(16, (3, 3), activation="relu", padding="same")(x)
x = layers.UpSampling2D((1, 1))(x)
decoded = layers.Conv2D(1, (3, 3), activation="sigmoid", padding="same")(x)

autoencoder = Model(input_img, decoded)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy")
autoencoder.fit(x_noisy, x_clean, epochs=1, batch_size=16, verbose=0)
denoised = autoencoder.predict(x_noisy[:4], verbose=0)

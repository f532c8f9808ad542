"""Keyword spotting on spectrograms: odd input sizes, strided/dilated convs, adapted normalization."""

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models

sample_rate = 16000
num_labels = 8

waveforms = np.random.uniform(-1.0, 1.0, size=(16, sample_rate)).astype("float32")
labels = np.random.randint(0, num_labels, size=(16,))


def get_spectrogram(waveform):
    spectrogram = tf.signal.stft(waveform, frame_length=255, frame_step=128)
    spectrogram = tf.abs(spectrogram)
    return spectrogram[..., tf.newaxis]


spectrograms = get_spectrogram(waveforms)
input_shape = spectrograms.shape[1:]

norm_layer = layers.Normalization()
norm_layer.adapt(data=spectrograms)

model = models.Sequential(
    [
        layers.Input(shape=input_shape),
        layers.Resizing(37, 29),
        norm_layer,
        layers.Conv2D(16, (5, 3), strides=(2, 1), activation="relu"),
        layers.Conv2D(32, 3, dilation_rate=2, activation="relu"),
        layers.MaxPooling2D(pool_size=(3, 2), padding="same"),
        layers.AveragePooling2D(pool_size=2, strides=1),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(num_labels),
    ]
)
model.compile(
    optimizer=tf.keras.optimizers.Adam(),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(spectrograms, labels, epochs=1, batch_size=8, verbose=0)

"""Video clip classification: a per-frame CNN wrapped in TimeDistributed, then an LSTM."""

import numpy as np
import tensorflow as tf

frames, height, width, channels = 8, 32, 32, 3

clips = np.random.rand(16, frames, height, width, channels).astype("float32")
actions = np.random.randint(0, 4, size=(16,))

frame_input = tf.keras.Input(shape=(frames, height, width, channels))
x = tf.keras.layers.TimeDistributed(tf.keras.layers.Conv2D(16, 3, activation="relu"))(frame_input)
x = tf.keras.layers.TimeDistributed(tf.keras.layers.MaxPooling2D(2))(x)
x = tf.keras.layers.TimeDistributed(tf.keras.layers.Conv2D(32, 3, activation="relu"))(x)
x = tf.keras.layers.TimeDistributed(tf.keras.layers.GlobalAveragePooling2D())(x)
x = tf.keras.layers.LSTM(32)(x)
x = tf.keras.layers.Dense(4, activation="softmax")(x)
model = tf.keras.Model(frame_input, x)

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(clips, actions, epochs=1, batch_size=8, verbose=0)

conv_lstm = tf.keras.layers.ConvLSTM2D(8, (3, 3), padding="same", return_sequences=True)(clips[:2])

"""Sentiment classification from raw strings: TextVectorization -> Embedding -> LSTM."""

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

reviews = tf.constant(
    [
        "the movie was great and the acting superb",
        "terrible plot and boring characters",
        "i loved every minute of it",
        "worst film i have seen this year",
        "a charming and funny story",
        "not worth the ticket price at all",
        "beautiful music and a moving ending",
        "the dialogue was flat and the pacing slow",
    ]
    * 4
)
sentiment = np.array([1, 0, 1, 0, 1, 0, 1, 0] * 4, dtype="float32")

max_tokens = 2000
sequence_length = 20

vectorizer = layers.TextVectorization(
    max_tokens=max_tokens,
    output_mode="int",
    output_sequence_length=sequence_length,
)
vectorizer.adapt(reviews)

token_ids = vectorizer(reviews[:4])

text_input = keras.Input(shape=(1,), dtype="string", name="text")
x = vectorizer(text_input)
x = layers.Embedding(max_tokens, 64)(x)
x = layers.LSTM(32)(x)
x = layers.Dense(16, activation="relu")(x)
output = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(text_input, output)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(tf.reshape(reviews, (-1, 1)), sentiment, batch_size=16, epochs=1, verbose=0)

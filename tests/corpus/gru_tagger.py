"""Sequence tagging: GRU with return_sequences and a per-timestep softmax."""

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, models

num_words = 1000
num_tags = 12
seq_len = 30

sentences = np.random.randint(1, num_words, size=(64, seq_len))
tags = np.random.randint(0, num_tags, size=(64, seq_len))
tags_onehot = tf.one_hot(tags, depth=num_tags)

model = models.Sequential()
model.add(layers.Input(shape=(seq_len,)))
model.add(layers.Embedding(num_words, 48, mask_zero=True))
model.add(layers.GRU(64, return_sequences=True, dropout=0.1))
model.add(layers.GRU(32, return_sequences=True))
model.add(layers.TimeDistributed(layers.Dense(num_tags, activation="softmax")))

model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
model.fit(sentences, tags_onehot, epochs=1, batch_size=32, verbose=0)
tag_probs = model.predict(sentences[:2], verbose=0)
best_tags = tf.argmax(tag_probs, axis=-1)

"""Text pipeline in tf.data: vectorize in Dataset.map, bag-of-words and sequence models."""

import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

texts = tf.constant(
    [
        "shipping was fast and the box arrived intact",
        "the product broke after two days",
        "excellent value for the money",
        "customer service never answered my emails",
    ]
    * 8
)
labels = tf.constant([1, 0, 1, 0] * 8)

raw_ds = tf.data.Dataset.from_tensor_slices((texts, labels)).batch(8)
text_only = raw_ds.map(lambda x, y: x)

bow_vectorizer = layers.TextVectorization(max_tokens=500, output_mode="multi_hot", pad_to_max_tokens=True)
bow_vectorizer.adapt(text_only)

seq_vectorizer = layers.TextVectorization(max_tokens=500, output_sequence_length=12)
seq_vectorizer.adapt(text_only)


def vectorize_bow(text, label):
    return bow_vectorizer(text), label


bow_ds = raw_ds.map(vectorize_bow)
seq_ds = raw_ds.map(lambda x, y: (seq_vectorizer(x), y))

bow_model = keras.Sequential(
    [keras.Input(shape=(500,)), layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")]
)
bow_model.compile(optimizer="adam", loss="binary_crossentropy")
bow_model.fit(bow_ds, epochs=1, verbose=0)

seq_model = keras.Sequential(
    [
        keras.Input(shape=(12,), dtype="int64"),
        layers.Embedding(501, 16),
        layers.GlobalAveragePooling1D(),
        layers.Dense(1, activation="sigmoid"),
    ]
)
seq_model.compile(optimizer="adam", loss="binary_crossentropy")
seq_model.fit(seq_ds, epochs=1, verbose=0)

export_input = keras.Input(shape=(1,), dtype="string")
export_output = seq_model(seq_vectorizer(export_input))

"""Basic text classification with a TextVectorization layer.

In the spirit of the TensorFlow "basic text classification" tutorial: raw
strings are standardized with a custom function, a ``TextVectorization``
layer is adapted on a text-only dataset, the vectorized data trains an
Embedding + pooling classifier, and finally an end-to-end export model that
accepts raw strings is assembled and used for inference.
"""
import random
import re
import string

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, losses

MAX_FEATURES = 2000
SEQUENCE_LENGTH = 40
EMBEDDING_DIM = 16
BATCH_SIZE = 16
SEED = 42

POSITIVE_WORDS = ["great", "wonderful", "loved", "brilliant", "fun", "moving", "superb"]
NEGATIVE_WORDS = ["awful", "boring", "hated", "dull", "terrible", "waste", "clumsy"]
FILLER = ["the", "movie", "plot", "acting", "was", "and", "really", "a", "film", "story",
          "cast", "director", "it", "i", "this", "ending", "scenes"]


def make_review(label, rng):
    words = rng.choices(FILLER, k=rng.randint(8, 25))
    sentiment = POSITIVE_WORDS if label == 1 else NEGATIVE_WORDS
    for _ in range(rng.randint(1, 3)):
        words.insert(rng.randint(0, len(words)), rng.choice(sentiment))
    text = " ".join(words).capitalize() + "."
    if rng.random() < 0.3:
        text += "<br /><br />Rating: " + ("10/10" if label else "2/10")
    return text


def make_dataset(n, seed):
    rng = random.Random(seed)
    labels = [rng.randint(0, 1) for _ in range(n)]
    texts = [make_review(lbl, rng) for lbl in labels]
    ds = tf.data.Dataset.from_tensor_slices((texts, np.array(labels, dtype="int32")))
    return ds.shuffle(n, seed=seed).batch(BATCH_SIZE)


def custom_standardization(input_data):
    lowercase = tf.strings.lower(input_data)
    stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
    return tf.strings.regex_replace(stripped_html,
                                    "[%s]" % re.escape(string.punctuation), "")


vectorize_layer = layers.TextVectorization(
    standardize=custom_standardization,
    max_tokens=MAX_FEATURES,
    output_mode="int",
    output_sequence_length=SEQUENCE_LENGTH)


def vectorize_text(text, label):
    text = tf.expand_dims(text, -1)
    return vectorize_layer(text), label


def build_model():
    model = tf.keras.Sequential([
        layers.Input(shape=(SEQUENCE_LENGTH,)),
        layers.Embedding(MAX_FEATURES + 1, EMBEDDING_DIM),
        layers.Dropout(0.2),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.2),
        layers.Dense(1)])
    model.compile(loss=losses.BinaryCrossentropy(from_logits=True),
                  optimizer="adam",
                  metrics=[tf.metrics.BinaryAccuracy(threshold=0.0)])
    return model


if __name__ == "__main__":
    raw_train_ds = make_dataset(160, seed=SEED)
    raw_val_ds = make_dataset(48, seed=SEED + 1)
    raw_test_ds = make_dataset(48, seed=SEED + 2)

    for text_batch, label_batch in raw_train_ds.take(1):
        for i in range(2):
            print("Review", text_batch.numpy()[i])
            print("Label", label_batch.numpy()[i])

    # Make a text-only dataset (without labels), then call adapt
    train_text = raw_train_ds.map(lambda x, y: x)
    vectorize_layer.adapt(train_text)
    vocab = vectorize_layer.get_vocabulary()
    print("Vocabulary size: {}".format(len(vocab)))
    print("5 ---> ", vocab[5])

    first_review, first_label = next(iter(raw_train_ds))
    print("Vectorized review", vectorize_text(first_review[0], first_label[0])[0][0, :12])

    AUTOTUNE = tf.data.AUTOTUNE
    train_ds = raw_train_ds.map(vectorize_text).cache().prefetch(buffer_size=AUTOTUNE)
    val_ds = raw_val_ds.map(vectorize_text).cache().prefetch(buffer_size=AUTOTUNE)
    test_ds = raw_test_ds.map(vectorize_text).cache().prefetch(buffer_size=AUTOTUNE)

    model = build_model()
    model.summary()
    history = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)
    loss, accuracy = model.evaluate(test_ds, verbose=0)
    print("Loss: ", loss)
    print("Accuracy: ", accuracy)

    export_model = tf.keras.Sequential([
        layers.Input(shape=(1,), dtype="string"),
        vectorize_layer,
        model,
        layers.Activation("sigmoid"),
    ])
    export_model.compile(loss=losses.BinaryCrossentropy(from_logits=False),
                         optimizer="adam", metrics=["accuracy"])
    _, export_acc = export_model.evaluate(
        raw_test_ds.map(lambda x, y: (tf.expand_dims(x, -1), y)), verbose=0)
    print("Export model accuracy:", export_acc)

    examples = tf.constant([["The movie was great! Loved the cast."],
                            ["The movie was okay."],
                            ["The movie was terrible and boring..."]])
    print(export_model.predict(examples, verbose=0).ravel())

"""Review topic classifier using TextVectorization with a custom standardize
and a custom split callable.

The reviews contain HTML line breaks, URLs and emoticons, so the default
`lower_and_strip_punctuation` is not good enough. We plug in our own cleaning
function built from `tf.strings` ops and split on whitespace *and* keep
emoticons as their own tokens.
"""
import re
import string

import numpy as np
import keras
import tensorflow as tf
from keras import layers

SEED = 7
VOCAB_SIZE = 2000
SEQ_LEN = 48
BATCH_SIZE = 32
EMBED_DIM = 32
NUM_CLASSES = 4

tf.random.set_seed(SEED)
rng = np.random.default_rng(SEED)

TOPIC_WORDS = {
    0: ["battery", "charger", "screen", "phone", "usb", "bluetooth"],
    1: ["plot", "actor", "scene", "director", "movie", "sequel"],
    2: ["recipe", "flavor", "oven", "spicy", "sauce", "crispy"],
    3: ["hotel", "flight", "beach", "luggage", "airport", "booking"],
}
FILLER = ["the", "a", "was", "really", "not", "very", "and", "it", "i", "this", "so"]
NOISE = ["<br />", "http://example.com/r/123", ":)", ":(", "!!!", "...", "@support"]


def make_review(label):
    n = rng.integers(8, 30)
    words = []
    for _ in range(n):
        r = rng.random()
        if r < 0.35:
            words.append(rng.choice(TOPIC_WORDS[label]).upper() if rng.random() < 0.2
                         else rng.choice(TOPIC_WORDS[label]))
        elif r < 0.9:
            words.append(rng.choice(FILLER))
        else:
            words.append(rng.choice(NOISE))
    return " ".join(words)


def build_corpus(n):
    labels = rng.integers(0, NUM_CLASSES, size=n)
    texts = [make_review(int(y)) for y in labels]
    return np.array(texts), labels.astype("int32")


# --- custom text processing -------------------------------------------------

PUNCT_NO_EMOTICON = re.escape(string.punctuation.replace(":", "").replace("(", "").replace(")", ""))


@keras.saving.register_keras_serializable(package="rw50")
def custom_standardize(text):
    """Lowercase, drop html breaks / urls / mentions, strip punctuation but keep emoticons."""
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, r"<br\s*/?>", " ")
    text = tf.strings.regex_replace(text, r"https?://\S+", " urltoken ")
    text = tf.strings.regex_replace(text, r"@\w+", " usertoken ")
    # turn emoticons into words before punctuation is removed
    text = tf.strings.regex_replace(text, r":\)", " emo_happy ")
    text = tf.strings.regex_replace(text, r":\(", " emo_sad ")
    text = tf.strings.regex_replace(text, f"[{PUNCT_NO_EMOTICON}():]", " ")
    text = tf.strings.regex_replace(text, r"\s+", " ")
    return tf.strings.strip(text)


@keras.saving.register_keras_serializable(package="rw50")
def whitespace_split(text):
    # text arrives as a batch of scalars; result is ragged [batch, None]
    return tf.strings.split(text, sep=" ")


def make_vectorizer(train_texts):
    vectorizer = layers.TextVectorization(
        max_tokens=VOCAB_SIZE,
        standardize=custom_standardize,
        split=whitespace_split,
        output_mode="int",
        output_sequence_length=SEQ_LEN,
    )
    vectorizer.adapt(tf.data.Dataset.from_tensor_slices(train_texts).batch(128))
    return vectorizer


def build_model(vocab_size):
    inputs = keras.Input(shape=(SEQ_LEN,), dtype="int64", name="token_ids")
    x = layers.Embedding(vocab_size, EMBED_DIM, mask_zero=True)(inputs)
    x = layers.Conv1D(48, 3, padding="same", activation="relu")(x)
    max_pool = layers.GlobalMaxPooling1D()(x)
    avg_pool = layers.GlobalAveragePooling1D()(x)
    x = layers.Concatenate()([max_pool, avg_pool])
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="topic_cnn")


def main():
    train_x, train_y = build_corpus(600)
    val_x, val_y = build_corpus(120)

    vectorizer = make_vectorizer(train_x)
    vocab = vectorizer.get_vocabulary()
    print("vocab size:", len(vocab))
    print("first tokens:", vocab[:12])

    sample = tf.constant(["The SCREEN was great :) <br /> see http://x.io/a @bob!!!"])
    print("standardized:", custom_standardize(sample).numpy()[0].decode())
    print("ids:", vectorizer(sample).numpy()[0][:12])

    # vectorize inside the tf.data pipeline so the model itself only sees ints
    def to_ids(text, label):
        return vectorizer(text), label

    train_ds = (tf.data.Dataset.from_tensor_slices((train_x, train_y))
                .shuffle(600, seed=SEED)
                .batch(BATCH_SIZE)
                .map(to_ids, num_parallel_calls=tf.data.AUTOTUNE)
                .prefetch(tf.data.AUTOTUNE))
    val_ds = (tf.data.Dataset.from_tensor_slices((val_x, val_y))
              .batch(BATCH_SIZE)
              .map(to_ids)
              .cache())

    model = build_model(len(vocab))
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    # end-to-end model that takes raw strings for serving
    raw_in = keras.Input(shape=(1,), dtype="string")
    ids = vectorizer(raw_in)
    probs = model(ids)
    serving_model = keras.Model(raw_in, probs)
    preds = serving_model.predict(tf.constant([["terrible flight and lost luggage :("],
                                               ["the sauce was crispy and spicy"]]), verbose=0)
    print("serving preds shape:", preds.shape, "argmax:", preds.argmax(axis=-1))


if __name__ == "__main__":
    main()

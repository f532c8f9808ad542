"""Sentiment-ish classifier on synthetic product reviews.

TextVectorization is adapted on a tf.data stream of raw strings, the
vectorization runs inside the input pipeline for training, and then we
glue it onto the front of the trained model so the exported model takes
raw strings.
"""
import random
import re
import string

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
VOCAB_SIZE = 400
SEQ_LEN = 24
EMBED_DIM = 32
BATCH_SIZE = 32
N_SAMPLES = 480

random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)

POSITIVE = ["great", "love", "excellent", "perfect", "amazing", "solid", "happy", "recommend"]
NEGATIVE = ["broken", "terrible", "refund", "awful", "disappointed", "cheap", "waste", "returned"]
NEUTRAL = ["the", "product", "arrived", "box", "it", "was", "and", "my", "kids", "use", "daily",
           "color", "size", "shipping", "battery", "screen", "week", "after", "a", "for"]


def make_review(label: int) -> str:
    pool = POSITIVE if label == 1 else NEGATIVE
    n_words = random.randint(6, 20)
    words = [random.choice(NEUTRAL) for _ in range(n_words)]
    # sprinkle in a few sentiment words at random positions
    for _ in range(random.randint(1, 3)):
        words.insert(random.randrange(len(words)), random.choice(pool).upper() if random.random() < 0.2 else random.choice(pool))
    text = " ".join(words)
    if random.random() < 0.3:
        text += random.choice(["!!!", ".", "?!", " <br/> 5 stars", " <br/>"])
    return text


labels = np.random.randint(0, 2, size=N_SAMPLES).astype("int32")
texts = np.array([make_review(int(y)) for y in labels])
print(f"example review: {texts[0]!r} -> {labels[0]}")


def strip_html_and_punct(x):
    x = tf.strings.lower(x)
    x = tf.strings.regex_replace(x, "<br\\s*/?>", " ")
    return tf.strings.regex_replace(x, f"[{re.escape(string.punctuation)}]", "")


vectorizer = layers.TextVectorization(
    max_tokens=VOCAB_SIZE,
    standardize=strip_html_and_punct,
    output_mode="int",
    output_sequence_length=SEQ_LEN,
)

split = int(0.8 * N_SAMPLES)
raw_train = tf.data.Dataset.from_tensor_slices((texts[:split], labels[:split]))
raw_val = tf.data.Dataset.from_tensor_slices((texts[split:], labels[split:]))

# adapt only on the text part of the training set
vectorizer.adapt(raw_train.map(lambda t, y: t).batch(64))
vocab = vectorizer.get_vocabulary()
print(f"vocab size: {len(vocab)}, first tokens: {vocab[:8]}")


def vectorize(text, label):
    return vectorizer(text), label


train_ds = (raw_train.shuffle(512, seed=SEED)
            .batch(BATCH_SIZE)
            .map(vectorize, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
val_ds = raw_val.batch(BATCH_SIZE).map(vectorize).cache().prefetch(tf.data.AUTOTUNE)

for xb, yb in train_ds.take(1):
    print("token batch:", xb.shape, xb.dtype, "labels:", yb.shape)


def build_classifier():
    tokens = keras.Input(shape=(SEQ_LEN,), dtype="int64", name="tokens")
    x = layers.Embedding(VOCAB_SIZE, EMBED_DIM, mask_zero=True)(tokens)
    x = layers.Bidirectional(layers.GRU(16))(x)
    x = layers.Dropout(0.3)(x)
    out = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(tokens, out, name="review_clf")


model = build_classifier()
model.compile(optimizer=keras.optimizers.Adam(3e-3),
              loss="binary_crossentropy",
              metrics=["accuracy"])
model.summary()
history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)
print({k: round(v[-1], 4) for k, v in history.history.items()})

# end-to-end model that accepts raw strings
raw_in = keras.Input(shape=(1,), dtype="string", name="review")
vec = vectorizer(raw_in)
vec = layers.Reshape((SEQ_LEN,))(vec)
end_to_end = keras.Model(raw_in, model(vec), name="review_e2e")

probe = tf.constant([["I LOVE it, excellent battery!!!"],
                     ["arrived broken, total waste <br/> refund please"]])
probs = end_to_end.predict(probe, verbose=0).ravel()
for text, p in zip(probe.numpy().ravel(), probs):
    print(f"{p:.3f}  {text.decode()}")

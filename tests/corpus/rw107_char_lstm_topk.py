"""Character-level LSTM language model with temperature + top-k sampling.

Small synthetic corpus of pseudo-English sentences, vectorized with
TextVectorization(split="character"), trained for one epoch and then
sampled from with a numpy top-k loop.
"""
import random

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
SEQ_LEN = 40
BATCH = 32
EMBED_DIM = 32
LSTM_UNITS = 96
TOP_K = 5
TEMPERATURE = 0.8
GEN_CHARS = 100

random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)

SUBJECTS = ["the cat", "a dog", "my neighbour", "the old man", "a small bird", "the robot"]
VERBS = ["eats", "watches", "finds", "likes", "follows", "paints"]
OBJECTS = ["the moon", "an apple", "a red box", "the river", "some bread", "the garden"]
ENDINGS = ["today", "at night", "slowly", "again", "in silence", "every morning"]


def make_corpus(n_sentences=400):
    lines = []
    for _ in range(n_sentences):
        s = " ".join([random.choice(SUBJECTS), random.choice(VERBS),
                      random.choice(OBJECTS), random.choice(ENDINGS)])
        lines.append(s + ".")
    return " ".join(lines)


text = make_corpus()
print(f"corpus length: {len(text)} chars")

# character vectorizer; plain "lower" keeps the punctuation (the default would strip ".")
vectorizer = layers.TextVectorization(
    standardize="lower",
    split="character",
    output_mode="int",
)
vectorizer.adapt(tf.constant([text]))
vocab = [str(t) for t in vectorizer.get_vocabulary()]
vocab_size = len(vocab)
print("vocab size:", vocab_size, vocab[:12])

encoded = vectorizer(tf.constant([text]))[0].numpy()
print("encoded shape:", encoded.shape)

# sliding windows -> (x, y) shifted by one
starts = np.arange(0, len(encoded) - SEQ_LEN - 1, 3)
X = np.stack([encoded[s:s + SEQ_LEN] for s in starts])
Y = np.stack([encoded[s + 1:s + SEQ_LEN + 1] for s in starts])
print("windows:", X.shape, Y.shape)

ds = (tf.data.Dataset.from_tensor_slices((X, Y))
      .shuffle(len(X), seed=SEED)
      .batch(BATCH, drop_remainder=True)
      .prefetch(tf.data.AUTOTUNE))


def build_model():
    inp = keras.Input(shape=(None,), dtype="int64")
    x = layers.Embedding(vocab_size, EMBED_DIM)(inp)
    x = layers.LSTM(LSTM_UNITS, return_sequences=True)(x)
    x = layers.Dropout(0.1)(x)
    logits = layers.Dense(vocab_size)(x)
    return keras.Model(inp, logits, name="char_lstm")


model = build_model()
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["sparse_categorical_accuracy"],
)
model.summary()
model.fit(ds, epochs=1, steps_per_epoch=min(40, len(X) // BATCH), verbose=2)


@tf.function(input_signature=[tf.TensorSpec([1, None], tf.int64)])
def last_step_logits(window):
    return model(window, training=False)[0, -1]


def top_k_sample(logits, k=TOP_K, temperature=TEMPERATURE):
    logits = np.asarray(logits, dtype=np.float64) / max(temperature, 1e-6)
    top_idx = np.argpartition(logits, -k)[-k:]
    top_logits = logits[top_idx]
    probs = np.exp(top_logits - top_logits.max())
    probs /= probs.sum()
    return int(np.random.choice(top_idx, p=probs))


def decode(ids):
    # index 0 is padding, 1 is [UNK]
    return "".join(vocab[i] if i > 1 else "?" for i in ids)


def generate(seed_text, n_chars=GEN_CHARS):
    ids = list(vectorizer(tf.constant([seed_text]))[0].numpy())
    for _ in range(n_chars):
        window = np.array([ids[-SEQ_LEN:]], dtype=np.int64)
        logits = last_step_logits(window).numpy()
        logits[0] = -1e9  # never emit padding
        ids.append(top_k_sample(logits))
    return decode(ids)


for seed in ["the cat ", "a small "]:
    out = generate(seed)
    print(f"[{seed!r}] -> {out}")

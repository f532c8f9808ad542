"""
Assignment 4: Character-level language model
=============================================

Train a tiny RNN that reads SEQ_LEN characters and predicts the next one.
The corpus is a short text embedded directly in this file.

Steps
  1. build the vocabulary (char <-> index)
  2. slice the text into (input window, next char) pairs
  3. one-hot the targets with tf.one_hot
  4. train an Embedding + LSTM model for one epoch
  5. sample some text greedily and with temperature
"""

import numpy as np
import tensorflow as tf
import keras
from keras import layers

np.random.seed(0)
tf.random.set_seed(0)

TEXT = (
    "the quick brown fox jumps over the lazy dog. "
    "a neural network is a function approximator. "
    "recurrent networks read sequences one step at a time. "
    "students should start the homework early and test often. "
    "gradient descent walks downhill on the loss surface. "
) * 3

# ---- Step 1: vocabulary ------------------------------------------------------
vocab = sorted(set(TEXT))
char2idx = {c: i for i, c in enumerate(vocab)}
idx2char = np.array(vocab)
VOCAB_SIZE = len(vocab)
print("text length:", len(TEXT))
print("vocab size:", VOCAB_SIZE)
print("vocab:", "".join(vocab))

encoded = np.array([char2idx[c] for c in TEXT], dtype=np.int32)
print("encoded:", encoded.shape, encoded[:20])

# ---- Step 2: windows -------------------------------------------------------
SEQ_LEN = 20
STEP = 3
X, y = [], []
for start in range(0, len(encoded) - SEQ_LEN, STEP):
    X.append(encoded[start:start + SEQ_LEN])
    y.append(encoded[start + SEQ_LEN])
X = np.stack(X)
y = np.array(y)
print("X:", X.shape)
print("y:", y.shape)
print("example input :", repr("".join(idx2char[X[0]])))
print("example target:", repr(str(idx2char[y[0]])))

# ---- Step 3: one-hot targets -----------------------------------------------
y_oh = tf.one_hot(y, depth=VOCAB_SIZE)
print("y_oh:", y_oh.shape)

# tf.data pipeline (shuffle + batch)
BATCH_SIZE = 32
ds = tf.data.Dataset.from_tensor_slices((X, y_oh))
ds = ds.shuffle(len(X), seed=0).batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)
for xb, yb in ds.take(1):
    print("batch x:", xb.shape, "batch y:", yb.shape)


# ---- Step 4: model ---------------------------------------------------------
def build_model(embed_dim=16, rnn_units=64):
    # TODO (done): build the model
    model = keras.Sequential([
        keras.Input(shape=(SEQ_LEN,), dtype="int32"),
        layers.Embedding(VOCAB_SIZE, embed_dim),
        layers.LSTM(rnn_units),
        layers.Dense(VOCAB_SIZE, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=0.01),
                  loss="categorical_crossentropy",
                  metrics=["accuracy"])
    return model


model = build_model()
model.summary()

history = model.fit(ds, epochs=1, verbose=2)
curves = {k: [float(v) for v in vals] for k, vals in history.history.items()}
print("history:", curves)

# perplexity = exp(cross-entropy)
print("train perplexity: %.2f" % np.exp(curves["loss"][-1]))


# ---- Step 5: sampling ------------------------------------------------------
def sample_with_temperature(probs, temperature=1.0):
    probs = np.asarray(probs).astype("float64")
    logits = np.log(probs + 1e-9) / temperature
    exp = np.exp(logits - logits.max())
    p = exp / exp.sum()
    return np.random.choice(len(p), p=p)


def generate(seed_text, n_chars=40, temperature=None):
    window = [char2idx[c] for c in seed_text[-SEQ_LEN:]]
    out = seed_text
    for _ in range(n_chars):
        x = np.array(window, dtype=np.int32)[None, :]
        probs = model.predict(x, verbose=0)[0]
        if temperature is None:
            nxt = int(np.argmax(probs))
        else:
            nxt = sample_with_temperature(probs, temperature)
        out += str(idx2char[nxt])
        window = window[1:] + [nxt]
    return out


seed = TEXT[:SEQ_LEN]
print("seed:", repr(seed))
print("greedy      :", repr(generate(seed, n_chars=30)))
for t in [0.5, 1.0]:
    print(f"temperature {t}:", repr(generate(seed, n_chars=30, temperature=t)))

# ---- Evaluation: top-1 accuracy on the training windows --------------------
preds = np.argmax(model.predict(X, verbose=0), axis=1)
print("preds:", preds.shape)
print("top-1 accuracy (hand computed): %.4f" % np.mean(preds == y))
most_common = np.bincount(y, minlength=VOCAB_SIZE).argmax()
print("most common target char:", repr(str(idx2char[most_common])))
print("baseline (always predict it): %.4f" % np.mean(y == most_common))

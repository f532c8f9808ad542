"""Padding strategies for variable-length token sequences.

Compares keras.utils.pad_sequences (pre/post padding and truncation) against
a couple of hand-rolled helpers, then trains a small masked GRU classifier on
the padded data. Also shows bucketing by length with a Python generator so
each batch is padded only to its own longest sequence.
"""
import collections

import numpy as np
import keras
from keras import layers

MAX_LEN = 40
PAD = 0
OOV = 1
BATCH = 16

rng = np.random.default_rng(2024)

POS_WORDS = "great excellent love wonderful best amazing happy fine".split()
NEG_WORDS = "awful terrible hate worst boring bad sad broken".split()
COMMON = "the movie was i it and this to of a really film plot acting".split()


def synth_sentence(label):
    length = int(rng.integers(3, 60))
    pool = POS_WORDS if label == 1 else NEG_WORDS
    out = []
    for _ in range(length):
        out.append(rng.choice(pool) if rng.random() < 0.25 else rng.choice(COMMON))
    return out


sentences, labels = [], []
for _ in range(400):
    y = int(rng.integers(0, 2))
    sentences.append(synth_sentence(y))
    labels.append(y)
labels = np.array(labels, dtype="float32")

# ---- vocabulary -------------------------------------------------------------
counts = collections.Counter(tok for sent in sentences for tok in sent)
word_index = {"<pad>": PAD, "<oov>": OOV}
for word, _ in counts.most_common():
    word_index[word] = len(word_index)
index_word = {i: w for w, i in word_index.items()}


def encode(tokens):
    return [word_index.get(t, OOV) for t in tokens]


sequences = [encode(s) for s in sentences]
print("lengths: min=%d max=%d mean=%.1f" % (
    min(map(len, sequences)), max(map(len, sequences)), np.mean([len(s) for s in sequences])))


# ---- hand-written helpers ----------------------------------------------------
def pad_post(seq, max_len, pad=PAD):
    seq = seq[:max_len]
    return seq + [pad] * (max_len - len(seq))


def pad_pre(seq, max_len, pad=PAD):
    seq = seq[-max_len:]
    return [pad] * (max_len - len(seq)) + seq


def pad_batch(batch, pad=PAD):
    """Pad a list of lists to the longest element of the batch."""
    longest = max(len(s) for s in batch)
    return np.array([s + [pad] * (longest - len(s)) for s in batch], dtype="int32")


# sanity check: our helpers agree with keras.utils.pad_sequences
keras_post = keras.utils.pad_sequences(sequences, maxlen=MAX_LEN, padding="post", truncating="post")
keras_pre = keras.utils.pad_sequences(sequences, maxlen=MAX_LEN)  # default: pre/pre
mine_post = np.array([pad_post(s, MAX_LEN) for s in sequences])
mine_pre = np.array([pad_pre(s, MAX_LEN) for s in sequences])
assert (keras_post == mine_post).all(), "post padding mismatch"
assert (keras_pre == mine_pre).all(), "pre padding mismatch"
print("padded shapes:", keras_post.shape, keras_pre.shape)

# a -1 pad value (handy for ragged targets) — requires the dtype to allow it
neg_padded = keras.utils.pad_sequences(sequences[:3], maxlen=8, padding="post", value=-1)
print(neg_padded)


# ---- model ---------------------------------------------------------------------
def build_classifier(vocab_size, embed_dim=32, units=32):
    # shape=(None,) so the same model can consume bucketed batches of any length
    tokens = keras.Input(shape=(None,), dtype="int32")
    x = layers.Embedding(vocab_size, embed_dim, mask_zero=True)(tokens)
    x = layers.GRU(units)(x)
    x = layers.Dense(16, activation="relu")(x)
    out = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(tokens, out)


model = build_classifier(len(word_index))
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.summary()

split = 320
model.fit(keras_post[:split], labels[:split], batch_size=BATCH, epochs=1,
          validation_data=(keras_post[split:], labels[split:]), verbose=2)


# ---- bucketing by length with a generator -------------------------------------
def bucket_batches(seqs, ys, batch_size, max_len=MAX_LEN):
    order = np.argsort([len(s) for s in seqs])
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        chunk = [seqs[i][:max_len] for i in idx]
        yield pad_batch(chunk), ys[idx]


batch_widths = []
for step, (xb, yb) in enumerate(bucket_batches(sequences, labels, BATCH)):
    loss = model.train_on_batch(xb, yb)
    batch_widths.append(xb.shape[1])
    if step >= 3:
        break
print("bucketed batch widths:", batch_widths)
print("last train_on_batch:", loss)

# decode a padded row back to words, skipping padding
row = keras_post[0]
print("decoded:", " ".join(index_word[i] for i in row if i != PAD)[:80])

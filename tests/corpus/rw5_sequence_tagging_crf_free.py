#!/usr/bin/env python
# BiLSTM NER tagger without a CRF: softmax per token + padding masks.
from collections import Counter

import numpy as np
import tensorflow as tf
from tensorflow.keras.models import Sequential, Model
from tensorflow.keras.layers import (Input, Embedding, LSTM, Bidirectional,
                                     TimeDistributed, Dense, Dropout)
from tensorflow.keras.callbacks import EarlyStopping

np.random.seed(1)

TAGS = ["PAD", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC"]
tag2idx = {t: i for i, t in enumerate(TAGS)}
idx2tag = {i: t for t, i in tag2idx.items()}
NUM_TAGS = len(TAGS)

WORDS = ["the", "john", "smith", "went", "to", "paris", "with", "acme", "corp", "on",
         "monday", "and", "met", "mary", "in", "berlin", "for", "un", "talks", "."]
word2idx = {w: i + 2 for i, w in enumerate(WORDS)}   # 0 = PAD, 1 = UNK
word2idx["PAD"], word2idx["UNK"] = 0, 1
VOCAB = len(word2idx)

MAX_LEN = 15
N_SENT = 40
EMB_DIM = 32
LSTM_UNITS = 24


def make_sentence():
    L = np.random.randint(4, MAX_LEN + 1)
    words = list(np.random.choice(WORDS, size=L))
    tags = list(np.random.choice(TAGS[1:], size=L, p=[0.65] + [0.05] * 7))
    return words, tags


sentences = [make_sentence() for _ in range(N_SENT)]
print("tag counts:", Counter(t for _, ts in sentences for t in ts).most_common(3))

X = np.zeros((N_SENT, MAX_LEN), dtype="int32")
y = np.zeros((N_SENT, MAX_LEN), dtype="int32")
for i, (ws, ts) in enumerate(sentences):
    X[i, :len(ws)] = [word2idx.get(w, word2idx["UNK"]) for w in ws]
    y[i, :len(ts)] = [tag2idx[t] for t in ts]

sent_lengths = (X != 0).sum(axis=1)
sample_weight = (X != 0).astype("float32")          # (N, MAX_LEN) token mask
# downweight the dominant "O" tag a little
sample_weight = np.where(y == tag2idx["O"], 0.5 * sample_weight, sample_weight)
print("X", X.shape, "y", y.shape, "weights", sample_weight.shape)

split = N_SENT * 3 // 4
X_tr, X_te = X[:split], X[split:]
y_tr, y_te = y[:split], y[split:]
w_tr, w_te = sample_weight[:split], sample_weight[split:]

model = Sequential([
    Input(shape=(MAX_LEN,)),
    Embedding(input_dim=VOCAB, output_dim=EMB_DIM, mask_zero=True),
    Dropout(0.1),
    Bidirectional(LSTM(units=LSTM_UNITS, return_sequences=True, recurrent_dropout=0.0)),
    TimeDistributed(Dense(NUM_TAGS, activation="softmax")),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              weighted_metrics=["accuracy"])
model.summary()

history = model.fit(X_tr, y_tr, sample_weight=w_tr, batch_size=8, epochs=1,
                    validation_data=(X_te, y_te, w_te),
                    callbacks=[EarlyStopping(patience=2)], verbose=1)

probs = model.predict(X_te, verbose=0)
pred_ids = np.argmax(probs, axis=-1)
print("probs", probs.shape, "pred ids", pred_ids.shape)

test_lengths = sent_lengths[split:]
correct, total = 0, 0
for i in range(len(X_te)):
    n = test_lengths[i]
    p = [idx2tag[k] for k in pred_ids[i, :n]]
    t = [idx2tag[k] for k in y_te[i, :n]]
    correct += sum(a == b for a, b in zip(p, t))
    total += n
    if i < 2:
        words = sentences[split + i][0]
        print(" ".join(f"{w}/{tg}" for w, tg in zip(words, p)))
print("token accuracy (unpadded): %.3f" % (correct / total))

# flat, masked view of predictions - handy for a confusion matrix
mask = X_te != 0
flat_pred = pred_ids[mask]
flat_true = y_te[mask]
conf = np.zeros((NUM_TAGS, NUM_TAGS), dtype=int)
np.add.at(conf, (flat_true, flat_pred), 1)
print("confusion diag:", np.diag(conf)[1:])

# encoder outputs for probing
encoder = Model(model.inputs, model.layers[2].output)
print("bilstm features", encoder.predict(X_te[:4], verbose=0).shape)

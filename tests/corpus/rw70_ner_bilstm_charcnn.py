"""Named entity recognition with a BiLSTM + character-CNN tagger (BIO scheme).

Roughly Ma & Hovy (2016) minus the CRF: every word gets a word embedding plus a
char-level CNN feature (max-pooled over characters), a BiLSTM runs over the
sentence and a per-token softmax predicts BIO tags. Data is a synthetic
CoNLL-like corpus generated from templates and gazetteers. Entity-level F1 is
computed with a small span extractor.
"""
import collections
import random

import numpy as np
import keras
from keras import layers, ops
import tensorflow as tf

random.seed(3)
np.random.seed(3)
keras.utils.set_random_seed(3)

PARAMS = dict(
    max_words=24,
    max_chars=12,
    word_dim=48,
    char_dim=16,
    char_filters=24,
    char_kernel=3,
    lstm_units=48,
    dropout=0.3,
    batch_size=32,
    epochs=5,
)

GAZETTEER = {
    "PER": ["john smith", "maria garcia", "wei zhang", "angela merkel", "obama", "lisa"],
    "ORG": ["google", "united nations", "acme corp", "bank of america", "fifa"],
    "LOC": ["paris", "new york", "berlin", "mount everest", "the nile", "tokyo"],
}
TEMPLATES = [
    "{PER} works for {ORG} in {LOC} .",
    "yesterday {PER} visited {LOC} with colleagues from {ORG} .",
    "{ORG} opened a new office near {LOC} last week .",
    "according to {PER} , the meeting in {LOC} was cancelled .",
    "shares of {ORG} fell after {PER} resigned .",
    "the weather in {LOC} is nice today .",
]


def generate_sentence():
    """Fill a template and return (tokens, bio_tags)."""
    template = random.choice(TEMPLATES)
    tokens, tags = [], []
    for piece in template.split():
        if piece.startswith("{") and piece.endswith("}"):
            etype = piece[1:-1]
            ent_tokens = random.choice(GAZETTEER[etype]).split()
            tokens.extend(ent_tokens)
            tags.extend([f"B-{etype}"] + [f"I-{etype}"] * (len(ent_tokens) - 1))
        else:
            tokens.append(piece)
            tags.append("O")
    # random capitalisation so the char CNN has something to look at
    tokens = [t.capitalize() if tag != "O" and random.random() < 0.7 else t for t, tag in zip(tokens, tags)]
    return tokens, tags


train_sents = [generate_sentence() for _ in range(480)]
test_sents = [generate_sentence() for _ in range(96)]

# ---------------------------------------------------------------------------
# Vocabularies (index 0 = PAD, 1 = UNK)
# ---------------------------------------------------------------------------
word_counts = collections.Counter(w.lower() for toks, _ in train_sents for w in toks)
word2idx = {"<pad>": 0, "<unk>": 1}
for w, _ in word_counts.most_common():
    word2idx[w] = len(word2idx)
char2idx = {"<pad>": 0, "<unk>": 1}
for ch in sorted({c for toks, _ in train_sents for w in toks for c in w}):
    char2idx[ch] = len(char2idx)
TAGS = ["<pad>", "O"] + [f"{p}-{e}" for e in ("PER", "ORG", "LOC") for p in ("B", "I")]
tag2idx = {t: i for i, t in enumerate(TAGS)}
idx2tag = {i: t for t, i in tag2idx.items()}
print(f"words={len(word2idx)} chars={len(char2idx)} tags={len(TAGS)}")


def encode(sents, p=PARAMS):
    n = len(sents)
    W = np.zeros((n, p["max_words"]), dtype="int32")
    C = np.zeros((n, p["max_words"], p["max_chars"]), dtype="int32")
    Y = np.zeros((n, p["max_words"]), dtype="int32")
    for i, (toks, tags) in enumerate(sents):
        for j, (tok, tag) in enumerate(zip(toks[: p["max_words"]], tags)):
            W[i, j] = word2idx.get(tok.lower(), 1)
            Y[i, j] = tag2idx[tag]
            for k, ch in enumerate(tok[: p["max_chars"]]):
                C[i, j, k] = char2idx.get(ch, 1)
    return W, C, Y


Xw_tr, Xc_tr, Y_tr = encode(train_sents)
Xw_te, Xc_te, Y_te = encode(test_sents)
print("word ids:", Xw_tr.shape, "char ids:", Xc_tr.shape, "tags:", Y_tr.shape)


class CharCNN(layers.Layer):
    """(batch, words, chars) int ids -> (batch, words, filters) features."""

    def __init__(self, n_chars, char_dim, filters, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.emb = layers.Embedding(n_chars, char_dim)
        self.conv = layers.Conv1D(filters, kernel_size, padding="same", activation="tanh")
        self.filters = filters

    def call(self, char_ids):
        shape = ops.shape(char_ids)
        batch, n_words, n_chars = shape[0], shape[1], shape[2]
        x = self.emb(char_ids)                                  # (B, W, C, D)
        x = ops.reshape(x, (-1, n_chars, x.shape[-1]))          # (B*W, C, D)
        x = self.conv(x)                                        # (B*W, C, F)
        # mask out padded characters before max-pooling
        char_mask = ops.reshape(ops.not_equal(char_ids, 0), (-1, n_chars, 1))
        x = ops.where(char_mask, x, ops.full_like(x, -1e4))
        x = ops.max(x, axis=1)                                  # (B*W, F)
        x = ops.where(x < -1e3, ops.zeros_like(x), x)           # all-pad words -> 0
        return ops.reshape(x, (batch, n_words, self.filters))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.filters)


def build_tagger(p=PARAMS):
    word_in = keras.Input(shape=(p["max_words"],), dtype="int32", name="word_ids")
    char_in = keras.Input(shape=(p["max_words"], p["max_chars"]), dtype="int32", name="char_ids")

    w = layers.Embedding(len(word2idx), p["word_dim"], name="word_emb")(word_in)
    c = CharCNN(len(char2idx), p["char_dim"], p["char_filters"], p["char_kernel"], name="char_cnn")(char_in)
    x = layers.Concatenate(axis=-1)([w, c])
    x = layers.Dropout(p["dropout"])(x)

    # explicit mask from word ids so the BiLSTM skips padding
    mask = layers.Lambda(lambda t: ops.not_equal(t, 0), name="pad_mask")(word_in)
    x = layers.Bidirectional(layers.LSTM(p["lstm_units"], return_sequences=True), name="bilstm")(x, mask=mask)
    x = layers.Dropout(p["dropout"])(x)
    x = layers.TimeDistributed(layers.Dense(p["lstm_units"], activation="relu"))(x)
    out = layers.Dense(len(TAGS), activation="softmax", name="tags")(x)
    return keras.Model([word_in, char_in], out, name="bilstm_charcnn_ner")


model = build_tagger()
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
              weighted_metrics=["accuracy"])
model.summary()

# padding tokens get weight 0 so they do not count in loss/accuracy
sw_tr = (Y_tr != 0).astype("float32")
sw_te = (Y_te != 0).astype("float32")
train_ds = (tf.data.Dataset.from_tensor_slices(((Xw_tr, Xc_tr), Y_tr, sw_tr))
            .shuffle(len(Y_tr)).batch(PARAMS["batch_size"]).prefetch(2))
test_ds = tf.data.Dataset.from_tensor_slices(((Xw_te, Xc_te), Y_te, sw_te)).batch(PARAMS["batch_size"])

model.fit(train_ds, epochs=PARAMS["epochs"], validation_data=test_ds, verbose=2)


def bio_spans(tag_seq):
    """Return set of (start, end, type) spans from a list of BIO tag strings."""
    spans, start, etype = set(), None, None
    for i, tag in enumerate(list(tag_seq) + ["O"]):
        if tag.startswith("B-") or tag == "O" or (tag.startswith("I-") and tag[2:] != etype):
            if start is not None:
                spans.add((start, i, etype))
                start, etype = None, None
            if tag.startswith("B-") or tag.startswith("I-"):
                start, etype = i, tag[2:]
    return spans


pred = np.argmax(model.predict((Xw_te, Xc_te), verbose=0), axis=-1)
tp = fp = fn = 0
for i in range(len(Y_te)):
    n = int(sw_te[i].sum())
    gold = bio_spans([idx2tag[t] for t in Y_te[i, :n]])
    guess = bio_spans([idx2tag[t] if t > 1 else "O" for t in pred[i, :n]])
    tp += len(gold & guess)
    fp += len(guess - gold)
    fn += len(gold - guess)
precision = tp / max(tp + fp, 1)
recall = tp / max(tp + fn, 1)
f1 = 2 * precision * recall / max(precision + recall, 1e-8)
print(f"entity P={precision:.3f} R={recall:.3f} F1={f1:.3f}")

toks, _ = test_sents[0]
print(list(zip(toks, [idx2tag[t] for t in pred[0, : len(toks)]])))

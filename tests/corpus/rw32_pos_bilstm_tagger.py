"""POS tagging with a plain BiLSTM (no CRF) + TimeDistributed softmax.

Padding is handled with per-token sample weights instead of mask_zero, which is how
a lot of older Keras tagging tutorials did it. Second model adds a word-shape feature.
"""
from collections import Counter

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.layers import LSTM, Bidirectional, Dense, Embedding, TimeDistributed

np.random.seed(3)
tf.random.set_seed(3)

TAGGED = """The/DET cat/NOUN sat/VERB on/ADP the/DET mat/NOUN ./PUNCT
A/DET dog/NOUN barked/VERB loudly/ADV ./PUNCT
John/PROPN eats/VERB green/ADJ apples/NOUN ./PUNCT
She/PRON quickly/ADV read/VERB the/DET long/ADJ letter/NOUN ./PUNCT
We/PRON live/VERB in/ADP Paris/PROPN ./PUNCT
The/DET old/ADJ man/NOUN walked/VERB to/ADP the/DET store/NOUN ./PUNCT
They/PRON played/VERB football/NOUN yesterday/NOUN ./PUNCT
Mary/PROPN and/CCONJ Tom/PROPN sing/VERB well/ADV ./PUNCT
It/PRON is/AUX a/DET beautiful/ADJ day/NOUN ./PUNCT
He/PRON has/AUX finished/VERB his/PRON homework/NOUN ./PUNCT
The/DET children/NOUN laughed/VERB at/ADP the/DET clown/NOUN ./PUNCT
I/PRON bought/VERB three/NUM red/ADJ books/NOUN ./PUNCT
Birds/NOUN fly/VERB south/ADV in/ADP winter/NOUN ./PUNCT
You/PRON can/AUX open/VERB the/DET window/NOUN ./PUNCT
Anna/PROPN visited/VERB Berlin/PROPN in/ADP May/PROPN ./PUNCT
The/DET small/ADJ bird/NOUN sang/VERB softly/ADV ./PUNCT"""


def parse(block):
    sents = []
    for line in block.strip().splitlines():
        pairs = [tok.rsplit("/", 1) for tok in line.split()]
        sents.append(([w for w, _ in pairs], [t for _, t in pairs]))
    return sents


sentences = parse(TAGGED)
word_counts = Counter(w.lower() for ws, _ in sentences for w in ws)
words = ["<pad>", "<unk>"] + sorted(w for w, c in word_counts.items())
tags = ["<pad>"] + sorted({t for _, ts in sentences for t in ts})
word2idx = {w: i for i, w in enumerate(words)}
tag2idx = {t: i for i, t in enumerate(tags)}
idx2tag = {i: t for t, i in tag2idx.items()}
MAX_LEN = max(len(ws) for ws, _ in sentences) + 2
print(f"{len(sentences)} sentences | {len(words)} words | {len(tags)} tags | max_len={MAX_LEN}")


def word_shape(w):
    if w.isupper():
        return 1
    if w[0].isupper():
        return 2
    if any(ch.isdigit() for ch in w):
        return 3
    if not w.isalnum():
        return 4
    return 5  # 0 is padding


def vectorize(sents):
    X = [[word2idx.get(w.lower(), 1) for w in ws] for ws, _ in sents]
    S = [[word_shape(w) for w in ws] for ws, _ in sents]
    Y = [[tag2idx[t] for t in ts] for _, ts in sents]
    X = keras.utils.pad_sequences(X, maxlen=MAX_LEN, padding="post", value=0)
    S = keras.utils.pad_sequences(S, maxlen=MAX_LEN, padding="post", value=0)
    Y = keras.utils.pad_sequences(Y, maxlen=MAX_LEN, padding="post", value=0)
    W = (X != 0).astype("float32")  # per-token weight, zero on pads
    return X, S, Y, W


X, S, Y, W = vectorize(sentences)
split = 12
X_tr, X_te = X[:split], X[split:]
S_tr, S_te = S[:split], S[split:]
Y_tr, Y_te = Y[:split], Y[split:]
W_tr, W_te = W[:split], W[split:]


def build_tagger(vocab_size, n_tags, emb_dim=32, lstm_units=32):
    model = keras.Sequential(name="bilstm_tagger")
    model.add(keras.Input(shape=(MAX_LEN,), dtype="int32"))
    model.add(Embedding(vocab_size, emb_dim))
    model.add(layers.SpatialDropout1D(0.1))
    model.add(Bidirectional(LSTM(lstm_units, return_sequences=True, recurrent_dropout=0.0)))
    model.add(TimeDistributed(Dense(n_tags, activation="softmax")))
    return model


tagger = build_tagger(len(words), len(tags))
tagger.compile(
    optimizer="adam",
    loss="sparse_categorical_crossentropy",
    weighted_metrics=["accuracy"],
)
tagger.fit(X_tr, Y_tr, sample_weight=W_tr, batch_size=4, epochs=1, verbose=2)


def token_accuracy(model, inputs, y_true, weights):
    pred = np.argmax(model.predict(inputs, verbose=0), axis=-1)
    correct = (pred == y_true) * weights
    return correct.sum() / weights.sum(), pred


acc, pred = token_accuracy(tagger, X_te, Y_te, W_te)
print(f"[bilstm] token acc on held-out: {acc:.3f}")


# --- variant with a word-shape channel ---------------------------------------
def build_tagger_with_shape(vocab_size, n_tags, n_shapes=6):
    w_in = keras.Input(shape=(MAX_LEN,), dtype="int32", name="words")
    s_in = keras.Input(shape=(MAX_LEN,), dtype="int32", name="shapes")
    w = Embedding(vocab_size, 32, name="word_emb")(w_in)
    s = Embedding(n_shapes, 4, name="shape_emb")(s_in)
    x = layers.concatenate([w, s], axis=-1)
    for i, units in enumerate([32, 16]):
        x = Bidirectional(LSTM(units, return_sequences=True), name=f"bilstm_{i}")(x)
    x = TimeDistributed(Dense(32, activation="relu"))(x)
    out = TimeDistributed(Dense(n_tags, activation="softmax"), name="tags")(x)
    return keras.Model([w_in, s_in], out, name="bilstm_shape_tagger")


tagger2 = build_tagger_with_shape(len(words), len(tags))
tagger2.compile(
    optimizer=keras.optimizers.Adam(learning_rate=5e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
ds = (
    tf.data.Dataset.from_tensor_slices(({"words": X_tr, "shapes": S_tr}, Y_tr, W_tr))
    .shuffle(split)
    .batch(4)
)
tagger2.fit(ds, epochs=1, verbose=2)
acc2, pred2 = token_accuracy(tagger2, {"words": X_te, "shapes": S_te}, Y_te, W_te)
print(f"[bilstm+shape] token acc on held-out: {acc2:.3f}")


def tag_sentence(model, sentence, use_shape=False):
    toks = sentence.split()
    x = keras.utils.pad_sequences([[word2idx.get(t.lower(), 1) for t in toks]], maxlen=MAX_LEN, padding="post")
    if use_shape:
        s = keras.utils.pad_sequences([[word_shape(t) for t in toks]], maxlen=MAX_LEN, padding="post")
        probs = model.predict({"words": x, "shapes": s}, verbose=0)
    else:
        probs = model.predict(x, verbose=0)
    ids = probs[0, : len(toks)].argmax(-1)
    return list(zip(toks, [idx2tag[int(i)] for i in ids]))


print(tag_sentence(tagger2, "Lisa reads the small book .", use_shape=True))

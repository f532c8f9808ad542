"""NER / token classification: word + char-CNN BiLSTM tagger (BIO tags).

Kaggle-notebook style: hand-written tiny CoNLL-like dataset, word and tag
dictionaries in plain Python, padding via keras.utils.pad_sequences, a
character-level CNN per word (TimeDistributed) concatenated with word
embeddings, then a BiLSTM + TimeDistributed(Dense) softmax over tags.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras.layers import (LSTM, Bidirectional, Conv1D, Dense, Dropout,
                                     Embedding, GlobalMaxPooling1D, Input, TimeDistributed,
                                     SpatialDropout1D, concatenate)
from tensorflow.keras.models import Model

MAX_LEN = 12
MAX_LEN_CHAR = 10
WORD_DIM = 24
CHAR_DIM = 8
HIDDEN = 32

raw = [
    ("John lives in New York".split(), ["B-PER", "O", "O", "B-LOC", "I-LOC"]),
    ("Mary works at Google".split(), ["B-PER", "O", "O", "B-ORG"]),
    ("Apple opened a store in Paris".split(), ["B-ORG", "O", "O", "O", "O", "B-LOC"]),
    ("Barack Obama visited Berlin yesterday".split(), ["B-PER", "I-PER", "O", "B-LOC", "O"]),
    ("The United Nations met in Geneva".split(), ["O", "B-ORG", "I-ORG", "O", "O", "B-LOC"]),
    ("Alice and Bob joined Microsoft".split(), ["B-PER", "O", "B-PER", "O", "B-ORG"]),
    ("She flew from London to Tokyo".split(), ["O", "O", "O", "B-LOC", "O", "B-LOC"]),
    ("Amazon hired Sarah Connor".split(), ["B-ORG", "O", "B-PER", "I-PER"]),
]

words = sorted({w for s, _ in raw for w in s})
tags = sorted({t for _, ts in raw for t in ts})
chars = sorted({c for w in words for c in w})

word2idx = {w: i + 2 for i, w in enumerate(words)}
word2idx["PAD"] = 0
word2idx["UNK"] = 1
tag2idx = {t: i + 1 for i, t in enumerate(tags)}
tag2idx["PAD"] = 0
idx2tag = {i: t for t, i in tag2idx.items()}
char2idx = {c: i + 2 for i, c in enumerate(chars)}
char2idx["PAD"], char2idx["UNK"] = 0, 1

n_words, n_tags, n_chars = len(word2idx), len(tag2idx), len(char2idx)
print(f"words={n_words} tags={n_tags} chars={n_chars}")


def encode_words(sentences):
    X = [[word2idx.get(w, 1) for w in s] for s in sentences]
    return keras.utils.pad_sequences(X, maxlen=MAX_LEN, padding="post", value=0)


def encode_chars(sentences):
    out = np.zeros((len(sentences), MAX_LEN, MAX_LEN_CHAR), dtype="int32")
    for i, sent in enumerate(sentences):
        for j, w in enumerate(sent[:MAX_LEN]):
            for k, c in enumerate(w[:MAX_LEN_CHAR]):
                out[i, j, k] = char2idx.get(c, 1)
    return out


sentences = [s for s, _ in raw]
X_word = encode_words(sentences)
X_char = encode_chars(sentences)
y = [[tag2idx[t] for t in ts] for _, ts in raw]
y = keras.utils.pad_sequences(y, maxlen=MAX_LEN, padding="post", value=tag2idx["PAD"])
print(X_word.shape, X_char.shape, y.shape)

# ------------------------------------------------------------------ model
word_in = Input(shape=(MAX_LEN,), name="word_input")
emb_word = Embedding(input_dim=n_words, output_dim=WORD_DIM, name="word_emb")(word_in)

char_in = Input(shape=(MAX_LEN, MAX_LEN_CHAR), name="char_input")
emb_char = TimeDistributed(
    Embedding(input_dim=n_chars, output_dim=CHAR_DIM), name="char_emb"
)(char_in)
# char BiLSTM per word was painfully slow to compile on CPU -> char CNN instead
char_enc = TimeDistributed(Conv1D(16, 3, padding="same", activation="relu"), name="char_conv")(emb_char)
char_enc = TimeDistributed(GlobalMaxPooling1D(), name="char_pool")(char_enc)

x = concatenate([emb_word, char_enc])
x = SpatialDropout1D(0.2)(x)
main_lstm = Bidirectional(LSTM(units=HIDDEN, return_sequences=True, dropout=0.1), name="main_bilstm")(x)
main_lstm = Dropout(0.2)(main_lstm)
out = TimeDistributed(Dense(n_tags, activation="softmax"), name="tagger")(main_lstm)

model = Model([word_in, char_in], out, name="char_word_ner")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
model.summary()

# don't count padding in the loss
sample_w = (y != 0).astype("float32")
history = model.fit(
    [X_word, X_char], y,
    sample_weight=sample_w,
    batch_size=4, epochs=1, validation_split=0.25, verbose=2,
)
print({k: round(v[-1], 4) for k, v in history.history.items()})


# ------------------------------------------------------------------ predict
def tag_sentence(tokens):
    xw = encode_words([tokens])
    xc = encode_chars([tokens])
    p = model.predict([xw, xc], verbose=0)
    p = np.argmax(p, axis=-1)[0]
    return [(tok, idx2tag.get(int(t), "O")) for tok, t in zip(tokens, p)]


test = "Bob visited Google in London".split()
for w, t in tag_sentence(test):
    print(f"{w:15}{t}")


# small extra: a variant with a plain tf.keras.layers.MultiHeadAttention on top
def build_attn_tagger():
    inp = keras.Input((MAX_LEN,), dtype="int32")
    e = tf.keras.layers.Embedding(n_words, WORD_DIM, mask_zero=True)(inp)
    h = tf.keras.layers.Bidirectional(tf.keras.layers.GRU(16, return_sequences=True))(e)
    a = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(h, h)
    h = tf.keras.layers.LayerNormalization()(h + a)
    o = tf.keras.layers.Dense(n_tags, activation="softmax")(h)
    return keras.Model(inp, o, name="bigru_attn_tagger")


m2 = build_attn_tagger()
m2.compile("adam", "sparse_categorical_crossentropy")
m2.fit(X_word, y, epochs=1, batch_size=8, verbose=0)
print("attn tagger out:", m2.predict(X_word[:2], verbose=0).shape)

"""Tiny BERT: masked-LM pretraining on a toy corpus, then sentence-pair fine-tuning.

Loosely follows the keras.io "End-to-end Masked Language Modeling with BERT" example,
but adds segment embeddings and a [CLS] head for NLI-style pair classification.
"""
import random
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

random.seed(7)
np.random.seed(7)
tf.random.set_seed(7)


@dataclass
class Config:
    max_len: int = 24
    vocab_size: int = 200
    embed_dim: int = 64
    num_heads: int = 4
    ff_dim: int = 128
    num_layers: int = 2
    mask_rate: float = 0.15
    batch_size: int = 8
    lr: float = 1e-3


cfg = Config()

corpus = [
    "the cat sat on the mat",
    "a dog chased the ball across the yard",
    "she reads a book every night",
    "the weather is cold and rainy today",
    "he drinks coffee in the morning",
    "children play football after school",
    "the train was late again",
    "my sister bought a new phone",
    "they walked along the river",
    "the movie was long but fun",
    "we cooked pasta for dinner",
    "the teacher explained the lesson slowly",
]

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

vectorizer = layers.TextVectorization(
    max_tokens=cfg.vocab_size,
    output_mode="int",
    standardize="lower_and_strip_punctuation",
)
vectorizer.adapt(corpus)
# TextVectorization reserves 0 for "" and 1 for [UNK]; append our own specials on top
base_vocab = vectorizer.get_vocabulary()[2:]
vocab = SPECIALS + [w for w in base_vocab if w not in SPECIALS]
vectorizer.set_vocabulary(vocab[2:])  # "" and [UNK] get re-added at 0 and 1
word2id = {w: i for i, w in enumerate(vectorizer.get_vocabulary())}
PAD_ID, CLS_ID, SEP_ID, MASK_ID = 0, word2id["[CLS]"], word2id["[SEP]"], word2id["[MASK]"]
VOCAB = vectorizer.vocabulary_size()
print(f"vocab size: {VOCAB}")


def encode_pair(a, b=None):
    ids_a = vectorizer(tf.constant([a]))[0].numpy().tolist()
    ids_a = [t for t in ids_a if t != 0]
    tokens = [CLS_ID] + ids_a + [SEP_ID]
    segments = [0] * len(tokens)
    if b is not None:
        ids_b = [t for t in vectorizer(tf.constant([b]))[0].numpy().tolist() if t != 0]
        tokens += ids_b + [SEP_ID]
        segments += [1] * (len(ids_b) + 1)
    tokens = tokens[: cfg.max_len]
    segments = segments[: cfg.max_len]
    pad = cfg.max_len - len(tokens)
    return tokens + [PAD_ID] * pad, segments + [0] * pad


def mask_tokens(token_ids):
    token_ids = np.array(token_ids)
    labels = np.copy(token_ids)
    special = np.isin(token_ids, [PAD_ID, CLS_ID, SEP_ID])
    probs = np.random.rand(*token_ids.shape)
    chosen = (probs < cfg.mask_rate) & ~special
    # make sure every row has at least one target
    for i in range(token_ids.shape[0]):
        if not chosen[i].any():
            cand = np.where(~special[i])[0]
            chosen[i, np.random.choice(cand)] = True
    inputs = np.where(chosen, MASK_ID, token_ids)
    weights = chosen.astype("float32")
    return inputs, labels, weights


class BertEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.tok = layers.Embedding(vocab_size, dim)
        self.pos = layers.Embedding(max_len, dim)
        self.seg = layers.Embedding(2, dim)
        self.norm = layers.LayerNormalization(epsilon=1e-12)
        self.drop = layers.Dropout(0.1)

    def call(self, token_ids, segment_ids, training=False):
        positions = tf.range(tf.shape(token_ids)[-1])
        x = self.tok(token_ids) + self.pos(positions)[tf.newaxis] + self.seg(segment_ids)
        return self.drop(self.norm(x), training=training)


def encoder_block(x, padding_mask, idx):
    # padding_mask: (batch, 1, seq) so it broadcasts over query positions
    attn = layers.MultiHeadAttention(
        num_heads=cfg.num_heads,
        key_dim=cfg.embed_dim // cfg.num_heads,
        name=f"encoder_{idx}_mha",
    )(x, x, attention_mask=padding_mask)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"encoder_{idx}_ln1")(x + attn)
    ff = keras.Sequential(
        [layers.Dense(cfg.ff_dim, activation="gelu"), layers.Dense(cfg.embed_dim)],
        name=f"encoder_{idx}_ffn",
    )(x)
    ff = layers.Dropout(0.1)(ff)
    return layers.LayerNormalization(epsilon=1e-6, name=f"encoder_{idx}_ln2")(x + ff)


def build_encoder():
    tokens = keras.Input((cfg.max_len,), dtype="int32", name="token_ids")
    segments = keras.Input((cfg.max_len,), dtype="int32", name="segment_ids")
    pad_mask = layers.Lambda(
        lambda t: tf.cast(tf.not_equal(t, PAD_ID), tf.bool)[:, tf.newaxis, :],
        name="padding_mask",
    )(tokens)
    x = BertEmbedding(VOCAB, cfg.max_len, cfg.embed_dim, name="embeddings")(tokens, segments)
    for i in range(cfg.num_layers):
        x = encoder_block(x, pad_mask, i)
    return keras.Model([tokens, segments], x, name="bert_encoder")


encoder = build_encoder()

# ---- masked LM pretraining -------------------------------------------------
mlm_tokens, mlm_segments = zip(*[encode_pair(s) for s in corpus * 3])
mlm_tokens = np.array(mlm_tokens, dtype="int32")
mlm_segments = np.array(mlm_segments, dtype="int32")
x_masked, y_labels, sample_w = mask_tokens(mlm_tokens)

tok_in = keras.Input((cfg.max_len,), dtype="int32")
seg_in = keras.Input((cfg.max_len,), dtype="int32")
hidden = encoder([tok_in, seg_in])
mlm_logits = layers.Dense(VOCAB, name="mlm_head")(hidden)
mlm_model = keras.Model([tok_in, seg_in], mlm_logits, name="bert_mlm")
mlm_model.compile(
    optimizer=keras.optimizers.Adam(cfg.lr),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    weighted_metrics=["accuracy"],
    jit_compile=False,
)
mlm_ds = (
    tf.data.Dataset.from_tensor_slices(((x_masked, mlm_segments), y_labels, sample_w))
    .shuffle(64)
    .batch(cfg.batch_size)
)
mlm_model.fit(mlm_ds, epochs=1, verbose=2)

# quick sanity check: what does the model fill in?
probe, probe_seg = encode_pair("the cat sat on the mat")
probe = np.array([probe])
probe[0, 2] = MASK_ID
pred = mlm_model.predict([probe, np.array([probe_seg])], verbose=0)
inv_vocab = vectorizer.get_vocabulary()
print("mask prediction:", inv_vocab[int(np.argmax(pred[0, 2]))])

# ---- sentence-pair fine-tuning ---------------------------------------------
pairs = []
for i, s in enumerate(corpus):
    pairs.append((s, s.replace("the", "a", 1), 1))  # near paraphrase
    pairs.append((s, corpus[(i + 5) % len(corpus)], 0))  # unrelated
random.shuffle(pairs)

pair_tok, pair_seg, pair_y = [], [], []
for a, b, y in pairs:
    t, s = encode_pair(a, b)
    pair_tok.append(t)
    pair_seg.append(s)
    pair_y.append(y)
pair_tok = np.array(pair_tok, dtype="int32")
pair_seg = np.array(pair_seg, dtype="int32")
pair_y = np.array(pair_y, dtype="float32")

seq_out = encoder([tok_in, seg_in])
cls_vec = layers.Lambda(lambda h: h[:, 0, :], name="cls_pool")(seq_out)
cls_vec = layers.Dense(cfg.embed_dim, activation="tanh", name="pooler")(cls_vec)
cls_vec = layers.Dropout(0.1)(cls_vec)
prob = layers.Dense(1, activation="sigmoid", name="is_paraphrase")(cls_vec)
clf = keras.Model([tok_in, seg_in], prob, name="bert_pair_classifier")
clf.compile(
    optimizer=keras.optimizers.Adam(cfg.lr / 2),
    loss="binary_crossentropy",
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
    jit_compile=False,
)
clf.summary(line_length=90)
history = clf.fit(
    [pair_tok, pair_seg], pair_y, batch_size=cfg.batch_size, epochs=1, verbose=2
)
print({k: round(v[-1], 4) for k, v in history.history.items()})

a, b = "she reads a book every night", "she reads a book each night"
t, s = encode_pair(a, b)
score = clf.predict([np.array([t]), np.array([s])], verbose=0)[0, 0]
print(f"P(paraphrase | '{a}' , '{b}') = {score:.3f}")

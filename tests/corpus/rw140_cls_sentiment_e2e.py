#!/usr/bin/env python
# End-to-end sentiment model that accepts raw strings.
#  - tf.strings prepends a "clstoken" marker word so the encoder has a [CLS] slot
#  - TextVectorization lives *inside* the exported model
#  - encoder stack is built in a loop from a config dict
#  - model is saved as .keras and reloaded with the custom layers registered
import os
import random
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

random.seed(11)
tf.keras.utils.set_random_seed(11)

CFG = dict(
    max_tokens=500,
    seq_len=20,
    d_model=32,
    blocks=[  # one entry per encoder block -> easy to experiment with heterogeneous stacks
        {"heads": 4, "ff": 64, "dropout": 0.1},
        {"heads": 2, "ff": 64, "dropout": 0.1},
    ],
    batch=32,
    epochs=2,
)
CLS = "clstoken"

POS_WORDS = ["great", "lovely", "excellent", "fun", "amazing", "tasty", "friendly", "perfect"]
NEG_WORDS = ["awful", "boring", "terrible", "cold", "rude", "broken", "bland", "slow"]
NOUNS = ["movie", "service", "pizza", "hotel", "staff", "plot", "soundtrack", "room"]
NEGATORS = ["not", "never"]


def review(label):
    """label 1 = positive, 0 = negative; some reviews use negation to flip the adjective."""
    n = random.choice(NOUNS)
    negate = random.random() < 0.25
    src = (NEG_WORDS if negate else POS_WORDS) if label == 1 else (POS_WORDS if negate else NEG_WORDS)
    adj = random.choice(src)
    middle = f"was {random.choice(NEGATORS)} {adj}" if negate else f"was really {adj}"
    tail = random.choice(["", " overall", " to be honest", ". would come back" if label else ". never again"])
    return f"The {n} {middle}{tail}"


data = [(review(y), y) for y in [random.randint(0, 1) for _ in range(400)]]
texts = np.array([t for t, _ in data])
ys = np.array([y for _, y in data], dtype="float32")
print(f"pos ratio: {ys.mean():.2f} | sample: {texts[:3].tolist()}")


def add_cls(s):
    return tf.strings.join([CLS, s], separator=" ")


vectorizer = layers.TextVectorization(
    max_tokens=CFG["max_tokens"],
    output_sequence_length=CFG["seq_len"],
    name="vectorizer",
)
vectorizer.adapt(add_cls(tf.constant(texts)))
print("vocab head:", [str(w) for w in vectorizer.get_vocabulary()[:8]])


@keras.utils.register_keras_serializable(package="rw140")
class TokPosEmbedding(layers.Layer):
    def __init__(self, vocab_size, seq_len, d_model, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size, self.seq_len, self.d_model = vocab_size, seq_len, d_model
        self.token_emb = layers.Embedding(vocab_size, d_model)
        self.pos_emb = layers.Embedding(seq_len, d_model)

    def call(self, ids):
        return self.token_emb(ids) + self.pos_emb(keras.ops.arange(self.seq_len))

    def get_config(self):
        return {**super().get_config(), "vocab_size": self.vocab_size,
                "seq_len": self.seq_len, "d_model": self.d_model}


@keras.utils.register_keras_serializable(package="rw140")
class EncoderBlock(layers.Layer):
    def __init__(self, d_model, heads, ff, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.d_model, self.heads, self.ff, self.dropout = d_model, heads, ff, dropout
        self.mha = layers.MultiHeadAttention(heads, d_model // heads, dropout=dropout)
        self.ffn = [layers.Dense(ff, activation="relu"), layers.Dropout(dropout), layers.Dense(d_model)]
        self.norms = [layers.LayerNormalization(epsilon=1e-5) for _ in range(2)]

    def call(self, x, pad_mask, training=None):
        attn_mask = keras.ops.expand_dims(pad_mask, 1)  # (B, 1, T)
        h = self.mha(x, x, attention_mask=attn_mask, training=training)
        x = self.norms[0](x + h)
        h = x
        for lyr in self.ffn:
            h = lyr(h, training=training) if isinstance(lyr, layers.Dropout) else lyr(h)
        return self.norms[1](x + h)

    def get_config(self):
        return {**super().get_config(), "d_model": self.d_model, "heads": self.heads,
                "ff": self.ff, "dropout": self.dropout}


def build_token_model(cfg, vocab_size):
    ids = keras.Input((cfg["seq_len"],), dtype="int64", name="token_ids")
    pad_mask = keras.ops.cast(keras.ops.not_equal(ids, 0), "int32")
    x = TokPosEmbedding(vocab_size, cfg["seq_len"], cfg["d_model"], name="embed")(ids)
    for i, blk in enumerate(cfg["blocks"]):
        x = EncoderBlock(cfg["d_model"], name=f"encoder_{i}", **blk)(x, pad_mask)
    cls_vec = x[:, 0, :]  # hidden state of the clstoken slot
    cls_vec = layers.Dense(cfg["d_model"], activation="tanh", name="pooler")(cls_vec)
    out = layers.Dense(1, activation="sigmoid", name="sentiment")(cls_vec)
    return keras.Model(ids, out, name="cls_encoder")


token_model = build_token_model(CFG, vectorizer.vocabulary_size())
token_model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
                    metrics=["accuracy", keras.metrics.AUC(name="auc")])

# tokenisation happens in the input pipeline for training (fast, parallel)
n_val = 80
ds = tf.data.Dataset.from_tensor_slices((texts, ys))
prep = lambda s, y: (vectorizer(add_cls(s)), y)
train_ds = ds.skip(n_val).shuffle(400).batch(CFG["batch"]).map(prep, num_parallel_calls=tf.data.AUTOTUNE)
val_ds = ds.take(n_val).batch(CFG["batch"]).map(prep)
token_model.fit(train_ds, validation_data=val_ds, epochs=CFG["epochs"], verbose=2)

# ... and inside the model for the exported, string-in / prob-out version
raw_in = keras.Input(shape=(), dtype="string", name="review")
with_cls = layers.Lambda(add_cls, name="prepend_cls", output_shape=())(raw_in)
e2e = keras.Model(raw_in, token_model(vectorizer(with_cls)), name="sentiment_e2e")

probe = tf.constant(["The pizza was really tasty", "The staff was not friendly", "The room was never boring overall"])
before = e2e.predict(probe, verbose=0).ravel()

path = os.path.join(tempfile.gettempdir(), "rw140_token_model.keras")
token_model.save(path)
reloaded = keras.models.load_model(path, safe_mode=False)
after = reloaded.predict(vectorizer(add_cls(probe)), verbose=0).ravel()
print("saved ->", path, "| max diff after reload:", float(np.abs(before - after).max()))

for s, p in zip(probe.numpy(), before):
    print(f"  {p:.3f}  {'POS' if p > 0.5 else 'NEG'}  {s.decode()}")

"""Sentence-pair classification: [CLS] pooling vs. masked mean pooling.

A small BERT-like encoder is built with the functional API using the three familiar
inputs (input_word_ids, input_mask, input_type_ids). The synthetic task is paraphrase
detection: sentence B is either a synonym-swapped version of A or an unrelated
sentence. We train the same backbone twice with two pooling heads and compare.
"""
import random
from collections import Counter

import numpy as np
import keras
from keras import layers, ops

random.seed(11)
np.random.seed(11)
keras.utils.set_random_seed(11)

MAX_SEQ_LEN = 32
HIDDEN = 48
HEADS = 4
FFN = 96
DEPTH = 2
BATCH = 64
EPOCHS = 2

SYNONYMS = {
    "big": "large", "small": "tiny", "fast": "quick", "happy": "glad", "buy": "purchase",
    "car": "automobile", "house": "home", "begin": "start", "smart": "clever", "angry": "mad",
}
SYNONYMS.update({v: k for k, v in list(SYNONYMS.items())})
CONTENT = list(SYNONYMS)
FUNCTION_WORDS = ["the", "a", "my", "her", "is", "was", "to", "very", "we", "they"]


def random_sentence():
    n = random.randint(4, 9)
    return [random.choice(CONTENT) if random.random() < 0.5 else random.choice(FUNCTION_WORDS)
            for _ in range(n)]


def paraphrase(words):
    out = [SYNONYMS.get(w, w) if random.random() < 0.7 else w for w in words]
    if len(out) > 4 and random.random() < 0.3:  # small local reordering
        i = random.randrange(len(out) - 1)
        out[i], out[i + 1] = out[i + 1], out[i]
    return out


def make_pairs(n):
    data = []
    for _ in range(n):
        a = random_sentence()
        if random.random() < 0.5:
            data.append((a, paraphrase(a), 1))
        else:
            data.append((a, random_sentence(), 0))
    return data


class PairTokenizer:
    """Whitespace word-level tokenizer that packs [CLS] A [SEP] B [SEP]."""

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]

    def __init__(self, min_freq=1):
        self.min_freq = min_freq

    def fit(self, pairs):
        counts = Counter()
        for a, b, _ in pairs:
            counts.update(a)
            counts.update(b)
        words = [w for w, c in counts.most_common() if c >= self.min_freq]
        self.itos = self.special + words
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        return self

    def _ids(self, words):
        return [self.stoi.get(w, 1) for w in words]

    def encode_pair(self, a, b, max_len):
        a, b = list(a), list(b)
        while len(a) + len(b) > max_len - 3:
            (a if len(a) >= len(b) else b).pop()
        ids = [2] + self._ids(a) + [3] + self._ids(b) + [3]
        type_ids = [0] * (len(a) + 2) + [1] * (len(b) + 1)
        mask = [1] * len(ids)
        pad = max_len - len(ids)
        return ids + [0] * pad, mask + [0] * pad, type_ids + [0] * pad

    def __call__(self, pairs, max_len=MAX_SEQ_LEN):
        enc = [self.encode_pair(a, b, max_len) for a, b, _ in pairs]
        word_ids, mask, type_ids = (np.array(x, dtype="int32") for x in zip(*enc))
        labels = np.array([y for _, _, y in pairs], dtype="float32")
        return {"input_word_ids": word_ids, "input_mask": mask, "input_type_ids": type_ids}, labels


class EmbeddingsWithSegments(layers.Layer):
    def __init__(self, vocab_size, max_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.word = layers.Embedding(vocab_size, dim, name="word")
        self.segment = layers.Embedding(2, dim, name="segment")
        self.position = layers.Embedding(max_len, dim, name="position")
        self.norm = layers.LayerNormalization(epsilon=1e-12)

    def call(self, word_ids, type_ids):
        pos = ops.arange(ops.shape(word_ids)[1], dtype="int32")
        x = self.word(word_ids) + self.segment(type_ids) + self.position(pos)[None, ...]
        return self.norm(x)


def encoder_block(x, attn_mask, name):
    """Pre-LN transformer block (GPT-2 / ViT style ordering)."""
    h = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln1")(x)
    h = layers.MultiHeadAttention(HEADS, HIDDEN // HEADS, dropout=0.1, name=f"{name}_mha")(
        h, h, attention_mask=attn_mask)
    x = layers.Add(name=f"{name}_res1")([x, h])
    h = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln2")(x)
    h = layers.Dense(FFN, activation="gelu", name=f"{name}_ffn1")(h)
    h = layers.Dense(HIDDEN, name=f"{name}_ffn2")(h)
    h = layers.Dropout(0.1)(h)
    return layers.Add(name=f"{name}_res2")([x, h])


class MaskedMeanPooling(layers.Layer):
    def call(self, hidden, mask):
        mask = ops.cast(mask, hidden.dtype)[..., None]           # (B, T, 1)
        summed = ops.sum(hidden * mask, axis=1)                  # (B, H)
        counts = ops.maximum(ops.sum(mask, axis=1), 1.0)         # (B, 1)
        return summed / counts


class PairwiseMask(layers.Layer):
    """(B, T) padding mask -> (B, T, T) boolean attention mask."""

    def call(self, mask):
        m = ops.cast(mask, "bool")
        return ops.logical_and(ops.expand_dims(m, 1), ops.expand_dims(m, 2))


def build_model(vocab_size, pooling="cls"):
    word_ids = keras.Input((MAX_SEQ_LEN,), dtype="int32", name="input_word_ids")
    mask = keras.Input((MAX_SEQ_LEN,), dtype="int32", name="input_mask")
    type_ids = keras.Input((MAX_SEQ_LEN,), dtype="int32", name="input_type_ids")

    x = EmbeddingsWithSegments(vocab_size, MAX_SEQ_LEN, HIDDEN, name="embeddings")(word_ids, type_ids)
    attn_mask = PairwiseMask(name="attention_mask")(mask)
    for i in range(DEPTH):
        x = encoder_block(x, attn_mask, name=f"block{i}")
    x = layers.LayerNormalization(epsilon=1e-6, name="final_ln")(x)

    if pooling == "cls":
        pooled = x[:, 0, :]
        pooled = layers.Dense(HIDDEN, activation="tanh", name="cls_pooler")(pooled)
    elif pooling == "mean":
        pooled = MaskedMeanPooling(name="mean_pool")(x, mask)
    else:
        raise ValueError(f"unknown pooling {pooling!r}")

    pooled = layers.Dropout(0.1)(pooled)
    out = layers.Dense(1, activation="sigmoid", name="is_paraphrase")(pooled)
    return keras.Model([word_ids, mask, type_ids], out, name=f"pair_classifier_{pooling}")


def main():
    train_pairs, test_pairs = make_pairs(768), make_pairs(256)
    tokenizer = PairTokenizer().fit(train_pairs)
    x_train, y_train = tokenizer(train_pairs)
    x_test, y_test = tokenizer(test_pairs)
    print("vocab:", len(tokenizer.itos), "| label balance:", y_train.mean().round(3))
    a, b, y = train_pairs[0]
    print("example:", " ".join(a), "||", " ".join(b), "->", y)
    print("ids:  ", x_train["input_word_ids"][0][:20])
    print("types:", x_train["input_type_ids"][0][:20])

    results = {}
    for pooling in ("cls", "mean"):
        model = build_model(len(tokenizer.itos), pooling)
        if pooling == "cls":
            model.summary(line_length=100)
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="binary_crossentropy",
            metrics=[keras.metrics.BinaryAccuracy(name="acc"), keras.metrics.AUC(name="auc")],
        )
        history = model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS,
                            validation_split=0.1, verbose=2)
        loss, acc, auc = model.evaluate(x_test, y_test, batch_size=64, verbose=0)
        results[pooling] = (acc, auc, history.history["loss"][-1])

    print("\npooling | test acc | test auc | final train loss")
    for name, (acc, auc, tl) in results.items():
        print(f"{name:7s} | {acc:8.3f} | {auc:8.3f} | {tl:.4f}")


if __name__ == "__main__":
    main()

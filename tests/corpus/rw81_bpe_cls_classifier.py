"""Toy byte-pair-encoding tokenizer + tiny Transformer encoder for sentence classification.

Everything is written from scratch: the BPE merges are learned in plain Python on a
synthetic corpus, sentences are encoded with a prepended [CLS] token, and the
classifier pools the final hidden state at position 0 (BERT-style [CLS] pooling).

Run:  python rw81_bpe_cls_classifier.py
"""
import collections
import random
import re

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 1337
random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)

# ---------------------------------------------------------------------------
# Hyper-parameters
# ---------------------------------------------------------------------------
NUM_MERGES = 60
MAX_LEN = 24
EMBED_DIM = 64
NUM_HEADS = 4
FF_DIM = 128
NUM_LAYERS = 2
BATCH_SIZE = 32
NUM_CLASSES = 2
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
END_OF_WORD = "</w>"

# ---------------------------------------------------------------------------
# Synthetic sentiment corpus
# ---------------------------------------------------------------------------
POSITIVE = ["great", "wonderful", "amazing", "lovely", "fantastic", "enjoyable", "superb"]
NEGATIVE = ["terrible", "awful", "boring", "horrible", "dreadful", "annoying", "painful"]
NOUNS = ["movie", "film", "acting", "plot", "soundtrack", "ending", "director", "script"]
FILLER = ["the", "a", "really", "quite", "very", "was", "is", "and", "honestly", "overall"]


def make_sentence(label):
    adjectives = POSITIVE if label == 1 else NEGATIVE
    words = []
    for _ in range(random.randint(2, 4)):
        words += [random.choice(FILLER), random.choice(NOUNS), random.choice(FILLER),
                  random.choice(adjectives)]
    return " ".join(words)


def make_corpus(n):
    labels = [random.randint(0, 1) for _ in range(n)]
    return [make_sentence(y) for y in labels], labels


# ---------------------------------------------------------------------------
# Byte pair encoding (Sennrich et al. 2016 style, word-internal merges)
# ---------------------------------------------------------------------------
class ToyBPE:
    def __init__(self, num_merges, special_tokens=SPECIAL_TOKENS):
        self.num_merges = num_merges
        self.special_tokens = list(special_tokens)
        self.merges = []
        self.vocab = {}

    @staticmethod
    def _get_pair_stats(word_freqs):
        pairs = collections.Counter()
        for word, freq in word_freqs.items():
            symbols = word.split()
            for a, b in zip(symbols[:-1], symbols[1:]):
                pairs[(a, b)] += freq
        return pairs

    @staticmethod
    def _merge_pair(pair, word_freqs):
        bigram = re.escape(" ".join(pair))
        pattern = re.compile(r"(?<!\S)" + bigram + r"(?!\S)")
        merged = {}
        for word, freq in word_freqs.items():
            merged[pattern.sub("".join(pair), word)] = freq
        return merged

    def fit(self, texts):
        word_counts = collections.Counter(w for t in texts for w in t.lower().split())
        word_freqs = {" ".join(list(w)) + " " + END_OF_WORD: c for w, c in word_counts.items()}

        symbols = set()
        for word in word_freqs:
            symbols.update(word.split())

        for step in range(self.num_merges):
            stats = self._get_pair_stats(word_freqs)
            if not stats:
                break
            best = max(stats, key=stats.get)
            word_freqs = self._merge_pair(best, word_freqs)
            self.merges.append(best)
            symbols.add("".join(best))

        tokens = self.special_tokens + sorted(symbols)
        self.vocab = {tok: i for i, tok in enumerate(tokens)}
        self.inv_vocab = {i: tok for tok, i in self.vocab.items()}
        return self

    def _encode_word(self, word):
        symbols = list(word) + [END_OF_WORD]
        # apply merges in the order they were learned
        for a, b in self.merges:
            i = 0
            out = []
            while i < len(symbols):
                if i < len(symbols) - 1 and symbols[i] == a and symbols[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            symbols = out
        return symbols

    def tokenize(self, text):
        pieces = []
        for word in text.lower().split():
            pieces.extend(self._encode_word(word))
        return pieces

    def encode(self, text, max_len, add_cls=True):
        unk = self.vocab["[UNK]"]
        ids = [self.vocab.get(p, unk) for p in self.tokenize(text)]
        if add_cls:
            ids = [self.vocab["[CLS]"]] + ids[: max_len - 2] + [self.vocab["[SEP]"]]
        ids = ids[:max_len]
        return ids + [self.vocab["[PAD]"]] * (max_len - len(ids))

    @property
    def vocab_size(self):
        return len(self.vocab)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.pos_emb = layers.Embedding(max_len, embed_dim)

    def call(self, x):
        seq_len = tf.shape(x)[-1]
        positions = tf.range(start=0, limit=seq_len, delta=1)
        return self.token_emb(x) + self.pos_emb(positions)[tf.newaxis, :, :]

    def compute_mask(self, x, mask=None):
        return self.token_emb.compute_mask(x)


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim // num_heads)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="gelu"), layers.Dense(embed_dim)]
        )
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop1 = layers.Dropout(rate)
        self.drop2 = layers.Dropout(rate)
        self.supports_masking = True

    def call(self, inputs, training=False, mask=None):
        attn_mask = None
        if mask is not None:
            # (B, T) -> (B, 1, T): every query may attend to every non-pad key
            attn_mask = tf.cast(mask[:, tf.newaxis, :], tf.bool)
        attn_out = self.att(inputs, inputs, attention_mask=attn_mask, training=training)
        x = self.ln1(inputs + self.drop1(attn_out, training=training))
        ffn_out = self.ffn(x)
        return self.ln2(x + self.drop2(ffn_out, training=training))


def build_classifier(vocab_size):
    inputs = keras.Input(shape=(MAX_LEN,), dtype="int32", name="input_ids")
    x = TokenAndPositionEmbedding(vocab_size, MAX_LEN, EMBED_DIM)(inputs)
    for i in range(NUM_LAYERS):
        x = TransformerBlock(EMBED_DIM, NUM_HEADS, FF_DIM, name=f"encoder_{i}")(x)
    # [CLS] pooling: take the hidden state of the first token
    cls_state = layers.Lambda(lambda t: t[:, 0, :], name="cls_pool")(x)
    pooled = layers.Dense(EMBED_DIM, activation="tanh", name="pooler")(cls_state)
    pooled = layers.Dropout(0.1)(pooled)
    outputs = layers.Dense(NUM_CLASSES, name="logits")(pooled)
    return keras.Model(inputs, outputs, name="bpe_cls_classifier")


def main():
    train_texts, train_labels = make_corpus(512)
    val_texts, val_labels = make_corpus(128)

    bpe = ToyBPE(NUM_MERGES).fit(train_texts)
    print(f"BPE vocab size: {bpe.vocab_size}, learned merges: {len(bpe.merges)}")
    sample = train_texts[0]
    print("sample:", sample)
    print("pieces:", bpe.tokenize(sample)[:12], "...")

    x_train = np.array([bpe.encode(t, MAX_LEN) for t in train_texts], dtype="int32")
    x_val = np.array([bpe.encode(t, MAX_LEN) for t in val_texts], dtype="int32")
    y_train = np.array(train_labels, dtype="int32")
    y_val = np.array(val_labels, dtype="int32")
    print("x_train:", x_train.shape, "y_train:", y_train.shape)

    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(1024, seed=SEED)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(BATCH_SIZE)

    model = build_classifier(bpe.vocab_size)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=3e-4, weight_decay=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.summary()
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    test_sentences = ["the movie was really wonderful", "honestly the plot is awful"]
    test_ids = np.array([bpe.encode(s, MAX_LEN) for s in test_sentences], dtype="int32")
    probs = tf.nn.softmax(model(test_ids, training=False), axis=-1).numpy()
    for s, p in zip(test_sentences, probs):
        print(f"{s!r:45s} -> P(positive)={p[1]:.3f}")


if __name__ == "__main__":
    main()

"""Mini-BERT masked language modelling with a hand-rolled WordPiece tokenizer.

* WordPiece vocab built by counting frequent sub-strings (a crude stand-in for the
  likelihood-based algorithm) and encoded with greedy longest-match-first, like BERT.
* Dynamic 80/10/10 masking happens inside a tf.data `map`, so each epoch sees new masks.
* The encoder is a subclassed keras.Model with a tied output projection (decoder
  weights shared with the token embedding matrix).
"""
import collections
import itertools
import random
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class Config:
    vocab_budget: int = 300
    max_len: int = 32
    hidden: int = 64
    heads: int = 4
    intermediate: int = 128
    layers: int = 2
    dropout: float = 0.1
    mask_prob: float = 0.15
    batch_size: int = 16
    steps_per_epoch: int = 20
    lr: float = 5e-4
    specials: list = field(default_factory=lambda: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])


CFG = Config()
random.seed(0)
np.random.seed(0)
tf.random.set_seed(0)


# ---------------------------------------------------------------------------
# Corpus
# ---------------------------------------------------------------------------
SUBJECTS = ["the cat", "a dog", "my neighbour", "the engineer", "our teacher", "the bird"]
VERBS = ["watches", "follows", "ignores", "photographs", "understands", "remembers"]
OBJECTS = ["the moon", "a running train", "unbelievable clouds", "the old lighthouse",
           "interesting programs", "shimmering rivers"]
ADVERBS = ["quietly", "happily", "carefully", "unexpectedly", "repeatedly"]


def synth_corpus(n=800):
    out = []
    for _ in range(n):
        s = f"{random.choice(SUBJECTS)} {random.choice(ADVERBS)} {random.choice(VERBS)} {random.choice(OBJECTS)}"
        if random.random() < 0.5:
            s += f" and {random.choice(SUBJECTS)} {random.choice(VERBS)} {random.choice(OBJECTS)}"
        out.append(s)
    return out


# ---------------------------------------------------------------------------
# WordPiece
# ---------------------------------------------------------------------------
class WordPieceTokenizer:
    def __init__(self, specials, unk_token="[UNK]", max_chars_per_word=50):
        self.specials = specials
        self.unk_token = unk_token
        self.max_chars_per_word = max_chars_per_word
        self.vocab = {}

    def train(self, texts, vocab_budget):
        word_freq = collections.Counter(w for t in texts for w in t.split())
        candidates = collections.Counter()
        for word, freq in word_freq.items():
            # whole words are always candidates, sub-pieces get the ## continuation prefix
            candidates[word] += freq * len(word)
            for start, end in itertools.combinations(range(len(word) + 1), 2):
                piece = word[start:end]
                if len(piece) < 2 or (start == 0 and end == len(word)):
                    continue
                key = piece if start == 0 else "##" + piece
                candidates[key] += freq * len(piece)

        alphabet = sorted({c for w in word_freq for c in w})
        base = list(self.specials) + alphabet + ["##" + c for c in alphabet]
        budget = max(vocab_budget - len(base), 0)
        learned = [tok for tok, _ in candidates.most_common() if tok not in base][:budget]
        self.vocab = {tok: i for i, tok in enumerate(base + learned)}
        self.id_to_token = {i: t for t, i in self.vocab.items()}
        return self

    def tokenize_word(self, word):
        if len(word) > self.max_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            cur = None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = "##" + sub
                if sub in self.vocab:
                    cur = sub
                    break
                end -= 1
            if cur is None:
                return [self.unk_token]
            pieces.append(cur)
            start = end
        return pieces

    def encode(self, text, max_len):
        toks = ["[CLS]"]
        for w in text.lower().split():
            toks.extend(self.tokenize_word(w))
        toks = toks[: max_len - 1] + ["[SEP]"]
        ids = [self.vocab.get(t, self.vocab[self.unk_token]) for t in toks]
        return ids + [0] * (max_len - len(ids))

    def decode(self, ids):
        toks = [self.id_to_token[int(i)] for i in ids if int(i) != 0]
        text = " ".join(toks)
        return text.replace(" ##", "")

    def __len__(self):
        return len(self.vocab)


# ---------------------------------------------------------------------------
# Dynamic masking (graph mode, no python control flow on tensors)
# ---------------------------------------------------------------------------
def make_masker(vocab_size, mask_id, first_normal_id, mask_prob):
    def mask_tokens(token_ids):
        token_ids = tf.cast(token_ids, tf.int32)
        # never mask PAD/CLS/SEP etc.
        maskable = token_ids >= first_normal_id
        rand = tf.random.uniform(tf.shape(token_ids))
        selected = tf.logical_and(rand < mask_prob, maskable)

        decision = tf.random.uniform(tf.shape(token_ids))
        use_mask_tok = tf.logical_and(selected, decision < 0.8)
        use_random = tf.logical_and(selected, tf.logical_and(decision >= 0.8, decision < 0.9))

        random_ids = tf.random.uniform(tf.shape(token_ids), first_normal_id, vocab_size, dtype=tf.int32)
        inputs = tf.where(use_mask_tok, tf.fill(tf.shape(token_ids), mask_id), token_ids)
        inputs = tf.where(use_random, random_ids, inputs)

        sample_weight = tf.cast(selected, tf.float32)
        return inputs, token_ids, sample_weight

    return mask_tokens


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class BertLayer(layers.Layer):
    def __init__(self, cfg, **kw):
        super().__init__(**kw)
        self.mha = layers.MultiHeadAttention(cfg.heads, cfg.hidden // cfg.heads, dropout=cfg.dropout)
        self.ln_att = layers.LayerNormalization(epsilon=1e-12)
        self.ln_ffn = layers.LayerNormalization(epsilon=1e-12)
        self.inter = layers.Dense(cfg.intermediate, activation="gelu")
        self.out = layers.Dense(cfg.hidden)
        self.drop = layers.Dropout(cfg.dropout)

    def call(self, x, padding_mask, training=None):
        # padding_mask: (B, T) bool -> (B, T, T)
        att_mask = ops.logical_and(padding_mask[:, :, None], padding_mask[:, None, :])
        h = self.mha(x, x, attention_mask=att_mask, training=training)
        x = self.ln_att(x + self.drop(h, training=training))
        h = self.out(self.inter(x))
        return self.ln_ffn(x + self.drop(h, training=training))


class MiniBertForMLM(keras.Model):
    def __init__(self, cfg, vocab_size, **kw):
        super().__init__(**kw)
        self.cfg = cfg
        self.vocab_size = vocab_size
        self.tok_emb = layers.Embedding(vocab_size, cfg.hidden, name="word_embeddings")
        self.pos_emb = layers.Embedding(cfg.max_len, cfg.hidden, name="position_embeddings")
        self.emb_ln = layers.LayerNormalization(epsilon=1e-12)
        self.emb_drop = layers.Dropout(cfg.dropout)
        self.blocks = [BertLayer(cfg, name=f"layer_{i}") for i in range(cfg.layers)]
        self.mlm_transform = layers.Dense(cfg.hidden, activation="gelu", name="mlm_transform")
        self.mlm_ln = layers.LayerNormalization(epsilon=1e-12)

    def build(self, input_shape):
        # output bias for the tied decoder
        self.mlm_bias = self.add_weight(shape=(self.vocab_size,), initializer="zeros", name="mlm_bias")
        super().build(input_shape)

    def encode(self, token_ids, training=None):
        padding_mask = ops.not_equal(token_ids, 0)
        positions = ops.arange(ops.shape(token_ids)[1])
        x = self.tok_emb(token_ids) + ops.expand_dims(self.pos_emb(positions), 0)
        x = self.emb_drop(self.emb_ln(x), training=training)
        for block in self.blocks:
            x = block(x, padding_mask, training=training)
        return x

    def call(self, token_ids, training=None):
        h = self.encode(token_ids, training=training)
        h = self.mlm_ln(self.mlm_transform(h))
        # weight tying: logits = h @ E^T + b
        logits = ops.matmul(h, ops.transpose(self.tok_emb.embeddings)) + self.mlm_bias
        return logits


def main():
    corpus = synth_corpus()
    tok = WordPieceTokenizer(CFG.specials).train(corpus, CFG.vocab_budget)
    print("vocab size:", len(tok))
    print("wordpiece:", tok.tokenize_word("unbelievable"), tok.tokenize_word("photographing"))

    ids = np.array([tok.encode(s, CFG.max_len) for s in corpus], dtype=np.int32)
    print("encoded corpus:", ids.shape, "avg non-pad:", (ids != 0).sum(1).mean().round(1))

    masker = make_masker(len(tok), tok.vocab["[MASK]"], len(CFG.specials), CFG.mask_prob)
    ds = (
        tf.data.Dataset.from_tensor_slices(ids)
        .shuffle(len(ids))
        .repeat()
        .batch(CFG.batch_size, drop_remainder=True)
        .map(masker, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(2)
    )
    x, y, w = next(iter(ds))
    print("batch:", x.shape, y.shape, w.shape, "masked fraction:", float(tf.reduce_mean(w)))

    model = MiniBertForMLM(CFG, len(tok))
    model.compile(
        optimizer=keras.optimizers.Adam(CFG.lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="mlm_acc")],
    )
    model(x[:1])  # build
    model.summary()
    model.fit(ds, epochs=2, steps_per_epoch=CFG.steps_per_epoch, verbose=2)

    # fill-in-the-blank demo
    probe = tok.encode("the cat quietly watches the moon", CFG.max_len)
    probe[4] = tok.vocab["[MASK]"]
    logits = model(np.array([probe], dtype=np.int32), training=False)
    top5 = ops.convert_to_numpy(ops.top_k(logits[0, 4], k=5)[1])
    print("masked input:", tok.decode(probe))
    print("top-5 predictions:", [tok.id_to_token[int(i)] for i in top5])


if __name__ == "__main__":
    main()

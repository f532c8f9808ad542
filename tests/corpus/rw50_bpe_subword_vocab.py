"""Byte-pair-encoding style subword vocabulary from scratch with collections.Counter.

1. count words, split each into characters + end-of-word marker
2. repeatedly merge the most frequent adjacent symbol pair (Counter of pairs)
3. tokenize new text greedily with the learned merges
4. feed the subword ids to a small Keras model (a language-ID style classifier
   with a subword embedding bag + a 1D conv)

Everything is plain Python / numpy until the model, which is written with
keras.ops so it stays backend-agnostic.
"""
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import numpy as np
import keras
from keras import layers, ops


@dataclass
class BPEConfig:
    num_merges: int = 120
    min_pair_freq: int = 2
    end_of_word: str = "</w>"
    specials: list = field(default_factory=lambda: ["[PAD]", "[UNK]", "[CLS]"])


@dataclass
class TrainConfig:
    max_len: int = 48
    embed_dim: int = 48
    batch_size: int = 32
    epochs: int = 2
    num_classes: int = 3


# ---------------------------------------------------------------------------
# synthetic "languages": each draws syllables from its own inventory
# ---------------------------------------------------------------------------
SYLLABLES = {
    0: ["ka", "to", "ri", "na", "shi", "mo", "ku"],
    1: ["el", "ing", "th", "er", "st", "ou", "an"],
    2: ["ez", "ul", "ar", "os", "qu", "ei", "ja"],
}
rng = np.random.default_rng(5)


def make_word(lang):
    return "".join(rng.choice(SYLLABLES[lang], size=rng.integers(1, 4)))


def make_sentence(lang):
    return " ".join(make_word(lang) for _ in range(rng.integers(3, 10)))


class BPETokenizer:
    def __init__(self, cfg: BPEConfig):
        self.cfg = cfg
        self.merges = []          # list of (a, b) in merge order
        self.ranks = {}
        self.vocab = {}

    # --- training ----------------------------------------------------------
    @staticmethod
    def _pair_counts(word_freqs):
        pairs = Counter()
        for symbols, freq in word_freqs.items():
            for a, b in zip(symbols, symbols[1:]):
                pairs[(a, b)] += freq
        return pairs

    @staticmethod
    def _merge(pair, word_freqs):
        a, b = pair
        merged = {}
        for symbols, freq in word_freqs.items():
            out, i = [], 0
            while i < len(symbols):
                if i < len(symbols) - 1 and symbols[i] == a and symbols[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(symbols[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + freq
        return merged

    def fit(self, corpus):
        word_counts = Counter(w for line in corpus for w in line.split())
        word_freqs = {tuple(w) + (self.cfg.end_of_word,): c for w, c in word_counts.items()}
        symbol_counts = Counter()
        for symbols, c in word_freqs.items():
            for s in symbols:
                symbol_counts[s] += c

        for _ in range(self.cfg.num_merges):
            pairs = self._pair_counts(word_freqs)
            if not pairs:
                break
            best, freq = pairs.most_common(1)[0]
            if freq < self.cfg.min_pair_freq:
                break
            word_freqs = self._merge(best, word_freqs)
            self.merges.append(best)
            symbol_counts[best[0] + best[1]] += freq

        self.ranks = {pair: i for i, pair in enumerate(self.merges)}
        final_symbols = Counter()
        for symbols, c in word_freqs.items():
            final_symbols.update({s: c for s in symbols})
        # keep base characters too so unseen words can still be spelled
        for s in symbol_counts:
            if len(s) == 1 or s == self.cfg.end_of_word:
                final_symbols.setdefault(s, 0)
        tokens = self.cfg.specials + [s for s, _ in final_symbols.most_common()]
        self.vocab = {t: i for i, t in enumerate(tokens)}
        return self

    # --- inference ---------------------------------------------------------
    def _bpe_word(self, word):
        symbols = list(word) + [self.cfg.end_of_word]
        while len(symbols) > 1:
            pairs = [(self.ranks.get((a, b), float("inf")), i)
                     for i, (a, b) in enumerate(zip(symbols, symbols[1:]))]
            rank, i = min(pairs)
            if rank == float("inf"):
                break
            symbols = symbols[:i] + [symbols[i] + symbols[i + 1]] + symbols[i + 2:]
        return symbols

    def tokenize(self, text):
        return [s for w in text.split() for s in self._bpe_word(w)]

    def encode(self, text, max_len):
        unk = self.vocab["[UNK]"]
        ids = [self.vocab["[CLS]"]] + [self.vocab.get(t, unk) for t in self.tokenize(text)]
        ids = ids[:max_len]
        return ids + [self.vocab["[PAD]"]] * (max_len - len(ids))

    def __len__(self):
        return len(self.vocab)


# ---------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------
class MaskedMeanPool(layers.Layer):
    """Mean over non-pad positions, computed from the ids so no mask plumbing needed."""

    def call(self, embeddings, token_ids):
        mask = ops.cast(ops.not_equal(token_ids, 0), embeddings.dtype)   # (B, T)
        mask = ops.expand_dims(mask, -1)                                  # (B, T, 1)
        total = ops.sum(embeddings * mask, axis=1)
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)
        return total / count


def build_model(vocab_size, tcfg: TrainConfig):
    ids = keras.Input((tcfg.max_len,), dtype="int32", name="subword_ids")
    emb = layers.Embedding(vocab_size, tcfg.embed_dim, name="subword_emb")(ids)
    bag = MaskedMeanPool(name="bag")(emb, ids)
    conv = layers.Conv1D(tcfg.embed_dim, 3, padding="same", activation="relu")(emb)
    conv = layers.GlobalMaxPooling1D()(conv)
    x = layers.Concatenate()([bag, conv])
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.2)(x)
    out = layers.Dense(tcfg.num_classes, activation="softmax")(x)
    return keras.Model(ids, out, name="bpe_langid")


def main():
    bcfg, tcfg = BPEConfig(), TrainConfig()
    labels = rng.integers(0, tcfg.num_classes, size=900)
    corpus = [make_sentence(int(y)) for y in labels]

    tok = BPETokenizer(bcfg).fit(corpus[:600])
    print(f"learned {len(tok.merges)} merges, vocab size {len(tok)}")
    print("first merges:", tok.merges[:8])
    print("sample:", corpus[0][:40], "->", tok.tokenize(corpus[0])[:10])

    # token length statistics with another Counter
    lengths = Counter(len(s.replace(bcfg.end_of_word, "")) for s in tok.vocab)
    print("subword length histogram:", dict(sorted(lengths.items())))

    X = np.array([tok.encode(s, tcfg.max_len) for s in corpus], dtype="int32")
    y = labels.astype("int32")
    unk_rate = np.mean(X[600:] == tok.vocab["[UNK]"])
    print("X:", X.shape, f"unk rate on held-out: {unk_rate:.4f}")

    model = build_model(len(tok), tcfg)
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(X[:600], y[:600], validation_data=(X[600:], y[600:]),
              batch_size=tcfg.batch_size, epochs=tcfg.epochs, verbose=2)

    # nearest neighbours of a subword in embedding space
    emb = model.get_layer("subword_emb").get_weights()[0]
    emb = emb / (np.linalg.norm(emb, axis=1, keepdims=True) + 1e-8)
    inv = {i: t for t, i in tok.vocab.items()}
    query = tok.vocab.get("ka", tok.vocab.get("k", 1))
    sims = emb @ emb[query]
    nearest = np.argsort(-sims)[1:6]
    print(f"nearest to {inv[query]!r}:", [inv[i] for i in nearest])


if __name__ == "__main__":
    main()

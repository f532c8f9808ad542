"""Intent classifier on top of a hand-rolled byte-pair-encoding tokenizer.

- tiny BPE trainer/encoder in pure Python (merges learned from the training set)
- keras.utils.pad_sequences -> tf.data pipeline
- Bidirectional RNN over a custom "minimal gated unit" (MGU) cell
- masked additive attention pooling layer (supports_masking / compute_mask)
"""
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import ops


@dataclass
class Config:
    num_merges: int = 60
    max_len: int = 28
    emb_dim: int = 32
    rnn_units: int = 32
    attn_units: int = 24
    batch_size: int = 32
    epochs: int = 1
    lr: float = 3e-3
    intents: list = field(default_factory=lambda: ["weather", "music", "alarm", "timer"])


TEMPLATES = {
    "weather": ["what is the weather in {city}", "will it rain in {city} tomorrow",
                "is it sunny in {city}", "forecast for {city} please"],
    "music": ["play some {genre}", "put on {genre} music", "i want to hear {genre}",
              "shuffle my {genre} playlist"],
    "alarm": ["wake me up at {time}", "set an alarm for {time}", "alarm at {time} please",
              "cancel my {time} alarm"],
    "timer": ["set a timer for {num} minutes", "start a {num} minute timer",
              "countdown {num} minutes", "timer {num} minutes please"],
}
FILLS = {
    "city": ["paris", "berlin", "tokyo", "lagos", "lima", "oslo"],
    "genre": ["jazz", "rock", "techno", "classical", "reggae"],
    "time": ["seven", "six thirty", "eight", "noon"],
    "num": ["five", "ten", "twenty", "three"],
}


def generate(cfg, n, rng):
    texts, labels = [], []
    for _ in range(n):
        li = int(rng.integers(len(cfg.intents)))
        tmpl = rng.choice(TEMPLATES[cfg.intents[li]])
        slots = {k: rng.choice(v) for k, v in FILLS.items()}
        texts.append(tmpl.format(**slots))
        labels.append(li)
    return texts, np.array(labels)


class BPETokenizer:
    """Word-internal BPE a la Sennrich et al.; '</w>' marks end of word."""

    def __init__(self, num_merges):
        self.num_merges = num_merges
        self.merges = []
        self.vocab = {"<pad>": 0, "<unk>": 1}

    @staticmethod
    def _pairs(symbols):
        return set(zip(symbols, symbols[1:]))

    def train(self, texts):
        word_freq = Counter(w for t in texts for w in t.split())
        corpus = {tuple(w) + ("</w>",): f for w, f in word_freq.items()}
        for _ in range(self.num_merges):
            stats = Counter()
            for sym, f in corpus.items():
                for p in zip(sym, sym[1:]):
                    stats[p] += f
            if not stats:
                break
            best = max(stats, key=stats.get)
            self.merges.append(best)
            new_corpus = {}
            for sym, f in corpus.items():
                out, i = [], 0
                while i < len(sym):
                    if i < len(sym) - 1 and (sym[i], sym[i + 1]) == best:
                        out.append(sym[i] + sym[i + 1])
                        i += 2
                    else:
                        out.append(sym[i])
                        i += 1
                new_corpus[tuple(out)] = f
            corpus = new_corpus
        symbols = sorted({s for sym in corpus for s in sym} | {c for t in texts for c in t if c != " "}
                         | {"</w>"})
        for s in symbols:
            self.vocab.setdefault(s, len(self.vocab))
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        return self

    def _bpe_word(self, word):
        sym = list(word) + ["</w>"]
        while len(sym) > 1:
            pairs = [(self.ranks.get(p, 1e9), i) for i, p in enumerate(zip(sym, sym[1:]))]
            rank, i = min(pairs)
            if rank == 1e9:
                break
            sym = sym[:i] + [sym[i] + sym[i + 1]] + sym[i + 2:]
        return sym

    def tokenize(self, text):
        return [s for w in text.lower().split() for s in self._bpe_word(w)]

    def encode(self, text):
        unk = self.vocab["<unk>"]
        return [self.vocab.get(s, unk) for s in self.tokenize(text)]


@keras.saving.register_keras_serializable(package="rw58")
class MGUCell(keras.layers.Layer):
    """Minimal Gated Unit (Zhou et al. 2016): a single forget gate.
        f  = sigmoid(W_f x + U_f h + b_f)
        h~ = tanh(W_h x + U_h (f * h) + b_h)
        h  = (1 - f) * h + f * h~
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        d = input_shape[-1]
        self.W = self.add_weight(name="W", shape=(d, 2 * self.units), initializer="glorot_uniform")
        self.U_f = self.add_weight(name="U_f", shape=(self.units, self.units), initializer="orthogonal")
        self.U_h = self.add_weight(name="U_h", shape=(self.units, self.units), initializer="orthogonal")
        self.b = self.add_weight(name="b", shape=(2 * self.units,), initializer="zeros")

    def call(self, inputs, states):
        h = states[0]
        wx = ops.matmul(inputs, self.W) + self.b
        wx_f, wx_h = wx[:, : self.units], wx[:, self.units:]
        f = ops.sigmoid(wx_f + ops.matmul(h, self.U_f))
        h_tilde = ops.tanh(wx_h + ops.matmul(f * h, self.U_h))
        h_new = (1.0 - f) * h + f * h_tilde
        return h_new, [h_new]

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


class MaskedAttentionPooling(keras.layers.Layer):
    """score_t = v^T tanh(W h_t); alpha = softmax over non-padded t; out = sum alpha_t h_t"""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        self.proj = keras.layers.Dense(self.units, activation="tanh")
        self.proj.build(input_shape)
        self.v = self.add_weight(name="v", shape=(self.units, 1), initializer="glorot_uniform")

    def call(self, x, mask=None):
        scores = ops.squeeze(ops.matmul(self.proj(x), self.v), axis=-1)  # (B, T)
        if mask is not None:
            scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
        alpha = ops.softmax(scores, axis=-1)
        pooled = ops.sum(ops.expand_dims(alpha, -1) * x, axis=1)  # (B, D)
        return pooled

    def compute_mask(self, inputs, mask=None):
        return None  # sequence axis is reduced away

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])


def build_classifier(cfg, vocab_size):
    ids = keras.Input((cfg.max_len,), dtype="int32")
    x = keras.layers.Embedding(vocab_size, cfg.emb_dim, mask_zero=True)(ids)
    x = keras.layers.SpatialDropout1D(0.1)(x)
    x = keras.layers.Bidirectional(
        keras.layers.RNN(MGUCell(cfg.rnn_units), return_sequences=True),
        merge_mode="concat")(x)
    x = MaskedAttentionPooling(cfg.attn_units, name="attn_pool")(x)
    x = keras.layers.Dropout(0.2)(x)
    out = keras.layers.Dense(len(cfg.intents), activation="softmax")(x)
    return keras.Model(ids, out)


def make_dataset(x, y, cfg, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((x.astype("int32"), y.astype("int32")))
    if shuffle:
        ds = ds.shuffle(len(x), reshuffle_each_iteration=True)
    return ds.batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE)


if __name__ == "__main__":
    cfg = Config()
    rng = np.random.default_rng(123)
    train_texts, train_y = generate(cfg, 480, rng)
    test_texts, test_y = generate(cfg, 96, rng)

    bpe = BPETokenizer(cfg.num_merges).train(train_texts)
    print(f"learned {len(bpe.merges)} merges, vocab {len(bpe.vocab)}; first merges: {bpe.merges[:5]}")
    print("tokenize:", bpe.tokenize("set a timer for twenty minutes"))

    def to_ids(texts):
        # pre-padding is the default and plays well with the right-to-left RNN half
        return keras.utils.pad_sequences([bpe.encode(t) for t in texts], maxlen=cfg.max_len,
                                         padding="pre", truncating="pre")

    x_train, x_test = to_ids(train_texts), to_ids(test_texts)
    lengths = (x_train > 0).sum(axis=1)
    print(f"x_train {x_train.shape}; token lengths min/mean/max = "
          f"{lengths.min()}/{lengths.mean():.1f}/{lengths.max()}")

    model = build_classifier(cfg, len(bpe.vocab))
    model.compile(keras.optimizers.Adam(cfg.lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary(line_length=90)

    model.fit(make_dataset(x_train, train_y, cfg, True), epochs=cfg.epochs,
              validation_data=make_dataset(x_test, test_y, cfg, False), verbose=2)

    # peek at the attention weights for one utterance
    attn_layer = model.get_layer("attn_pool")
    # the attention layer also receives the mask, so tap the BiRNN output directly
    feats = keras.Model(model.input, model.get_layer("bidirectional").output)
    sample = x_test[:1]
    h = feats(sample)
    scores = ops.squeeze(ops.matmul(attn_layer.proj(h), attn_layer.v), -1)
    scores = ops.where(sample > 0, scores, -1e9)
    alpha = ops.convert_to_numpy(ops.softmax(scores, axis=-1))[0]
    toks = bpe.tokenize(test_texts[0])
    top = sorted(zip(alpha[-len(toks):], toks), reverse=True)[:3]
    print(f"{test_texts[0]!r} -> {cfg.intents[int(np.argmax(model.predict(sample, verbose=0)))]};"
          f" top attended pieces: {[(t, round(float(a), 3)) for a, t in top]}")

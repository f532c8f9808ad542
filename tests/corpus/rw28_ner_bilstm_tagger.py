# Named-entity tagger (CoNLL-style BIO tags) with a BiLSTM encoder, char-free,
# no CRF: a TimeDistributed softmax over tags with padding masked out.
from dataclasses import dataclass, field
from collections import Counter
import random

import numpy as np
import keras
from keras import layers, ops


@dataclass
class TaggerConfig:
    max_len: int = 32
    word_dim: int = 50
    case_dim: int = 8
    lstm_units: int = 48
    dropout: float = 0.25
    batch_size: int = 32
    epochs: int = 1
    tags: list = field(default_factory=lambda: [
        "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "B-MISC"])


PAD, UNK = "<pad>", "<unk>"
CASINGS = ["pad", "lower", "upper", "title", "numeric", "other"]

ENTITIES = {
    "PER": [["John", "Smith"], ["Angela", "Merkel"], ["Ada"], ["Alan", "Turing"]],
    "LOC": [["Berlin"], ["New", "York"], ["Paris"], ["Lake", "Geneva"]],
    "ORG": [["Google"], ["European", "Union"], ["Reuters"], ["FC", "Barcelona"]],
    "MISC": [["German"], ["Olympics"], ["Euro"]],
}
CONTEXT = "the said on in to of a visited met with announced yesterday 1996 and".split()


def synth_sentence(rng):
    tokens, tags = [], []
    for _ in range(rng.randint(3, 9)):
        if rng.random() < 0.35:
            etype = rng.choice(list(ENTITIES))
            span = rng.choice(ENTITIES[etype])
            for i, w in enumerate(span):
                tokens.append(w)
                prefix = "B" if i == 0 else "I"
                tag = f"{prefix}-{etype}"
                tags.append(tag if tag != "I-MISC" else "B-MISC")
        else:
            tokens.append(rng.choice(CONTEXT))
            tags.append("O")
    return tokens, tags


def casing(word):
    if word.isdigit():
        return "numeric"
    if word.islower():
        return "lower"
    if word.isupper():
        return "upper"
    if word[:1].isupper():
        return "title"
    return "other"


def build_vocab(sentences, min_freq=1):
    counts = Counter(w.lower() for sent in sentences for w in sent)
    words = [w for w, c in counts.most_common() if c >= min_freq]
    return {w: i for i, w in enumerate([PAD, UNK] + words)}


def encode(sentences, tag_seqs, word2idx, tag2idx, max_len):
    n = len(sentences)
    X_word = np.zeros((n, max_len), dtype="int32")
    X_case = np.zeros((n, max_len), dtype="int32")
    Y = np.zeros((n, max_len), dtype="int32")
    for i, (sent, tags) in enumerate(zip(sentences, tag_seqs)):
        for j, (w, t) in enumerate(zip(sent[:max_len], tags[:max_len])):
            X_word[i, j] = word2idx.get(w.lower(), word2idx[UNK])
            X_case[i, j] = CASINGS.index(casing(w))
            Y[i, j] = tag2idx[t]
    return X_word, X_case, Y


def build_tagger(cfg: TaggerConfig, vocab_size: int) -> keras.Model:
    word_in = keras.Input(shape=(cfg.max_len,), dtype="int32", name="words")
    case_in = keras.Input(shape=(cfg.max_len,), dtype="int32", name="casing")

    w = layers.Embedding(vocab_size, cfg.word_dim, mask_zero=True, name="word_emb")(word_in)
    c = layers.Embedding(len(CASINGS), cfg.case_dim, name="case_emb")(case_in)
    x = layers.Concatenate(name="token_features")([w, c])  # mask propagates from word_emb
    x = layers.Dropout(cfg.dropout)(x)
    x = layers.Bidirectional(
        layers.LSTM(cfg.lstm_units, return_sequences=True, recurrent_dropout=0.0),
        merge_mode="concat", name="bilstm")(x)
    x = layers.Dropout(cfg.dropout)(x)
    x = layers.TimeDistributed(layers.Dense(64, activation="relu"), name="td_hidden")(x)
    out = layers.TimeDistributed(
        layers.Dense(len(cfg.tags), activation="softmax"), name="tag_probs")(x)
    return keras.Model([word_in, case_in], out, name="bilstm_ner")


class MaskedTokenAccuracy(keras.metrics.Metric):
    """Token accuracy ignoring padding positions (label 0 with word id 0)."""

    def __init__(self, name="token_acc", **kwargs):
        super().__init__(name=name, **kwargs)
        self.correct = self.add_variable(shape=(), initializer="zeros", name="correct")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(y_true, "int32")
        pred = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        w = ops.ones_like(y_true, dtype="float32") if sample_weight is None \
            else ops.cast(sample_weight, "float32")
        hits = ops.cast(ops.equal(y_true, pred), "float32") * w
        self.correct.assign_add(ops.sum(hits))
        self.total.assign_add(ops.sum(w))

    def result(self):
        return ops.divide_no_nan(self.correct, self.total)


def decode(pred_ids, word_ids, idx2tag):
    out = []
    for row, words in zip(pred_ids, word_ids):
        out.append([idx2tag[int(t)] for t, wid in zip(row, words) if wid != 0])
    return out


if __name__ == "__main__":
    cfg = TaggerConfig()
    rng = random.Random(7)
    keras.utils.set_random_seed(7)

    data = [synth_sentence(rng) for _ in range(320)]
    sentences, tag_seqs = zip(*data)
    word2idx = build_vocab(sentences)
    tag2idx = {t: i for i, t in enumerate(cfg.tags)}
    idx2tag = {i: t for t, i in tag2idx.items()}

    Xw, Xc, Y = encode(sentences, tag_seqs, word2idx, tag2idx, cfg.max_len)
    sample_weight = (Xw != 0).astype("float32")
    split = int(0.8 * len(Xw))
    print("words:", Xw.shape, "casing:", Xc.shape, "tags:", Y.shape,
          "vocab:", len(word2idx))

    model = build_tagger(cfg, len(word2idx))
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(),
                  weighted_metrics=[MaskedTokenAccuracy()])
    model.summary(line_length=100)

    model.fit({"words": Xw[:split], "casing": Xc[:split]}, Y[:split],
              sample_weight=sample_weight[:split],
              validation_data=({"words": Xw[split:], "casing": Xc[split:]},
                               Y[split:], sample_weight[split:]),
              batch_size=cfg.batch_size, epochs=cfg.epochs, verbose=2)

    probs = model.predict({"words": Xw[split:split + 4], "casing": Xc[split:split + 4]},
                          verbose=0)
    print("prob tensor:", probs.shape)
    pred_tags = decode(probs.argmax(-1), Xw[split:split + 4], idx2tag)
    for sent, tags in zip(sentences[split:split + 4], pred_tags):
        print(" ".join(f"{w}/{t}" for w, t in zip(sent, tags)))

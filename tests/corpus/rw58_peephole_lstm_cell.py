"""Peephole LSTM cell written from scratch and plugged into keras.layers.RNN.

Toy sentiment-style task: sentences are generated from a tiny grammar, tokenized
with a hand-rolled word vocabulary, padded with keras.utils.pad_sequences and
classified by a stacked RNN built from the custom cell.
"""
import re
from collections import Counter

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 7
VOCAB_SIZE = 200
MAX_LEN = 16
EMBED_DIM = 32
HIDDEN = 48
BATCH_SIZE = 32
NUM_SAMPLES = 512

np.random.seed(SEED)
tf.random.set_seed(SEED)

POS_WORDS = ["good", "great", "lovely", "fantastic", "nice", "superb"]
NEG_WORDS = ["bad", "awful", "terrible", "boring", "poor", "dull"]
FILLER = ["the", "movie", "was", "really", "quite", "plot", "acting", "and", "a", "very", "it"]


def make_corpus(n):
    texts, labels = [], []
    for _ in range(n):
        label = np.random.randint(2)
        bag = POS_WORDS if label else NEG_WORDS
        length = np.random.randint(4, MAX_LEN + 4)  # some will be truncated
        words = list(np.random.choice(FILLER, size=length))
        for _ in range(np.random.randint(1, 3)):
            words.insert(np.random.randint(len(words)), np.random.choice(bag))
        texts.append(" ".join(words) + ("!" if np.random.rand() < 0.3 else "."))
        labels.append(label)
    return texts, np.array(labels, dtype="float32")


class WordVocab:
    """Minimal word-level tokenizer: lowercase, strip punctuation, frequency-ranked ids."""

    PAD, OOV = "<pad>", "<unk>"

    def __init__(self, max_size):
        self.max_size = max_size
        self.itos = [self.PAD, self.OOV]
        self.stoi = {}

    @staticmethod
    def tokenize(text):
        return re.findall(r"[a-z']+", text.lower())

    def fit(self, texts):
        counts = Counter(tok for t in texts for tok in self.tokenize(t))
        for word, _ in counts.most_common(self.max_size - len(self.itos)):
            self.itos.append(word)
        self.stoi = {w: i for i, w in enumerate(self.itos)}
        return self

    def encode(self, text):
        oov = self.stoi[self.OOV]
        return [self.stoi.get(tok, oov) for tok in self.tokenize(text)]

    def __len__(self):
        return len(self.itos)


class PeepholeLSTMCell(layers.Layer):
    """LSTM cell with peephole connections (Gers & Schmidhuber 2000).

    Gates see the previous cell state through diagonal weights, i.e.
        i = sigmoid(W_i x + U_i h + p_i * c_prev + b_i)
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units, units]  # [h, c]
        self.output_size = units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(input_dim, 4 * self.units), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, 4 * self.units), initializer="orthogonal", name="recurrent_kernel")
        # one peephole vector per gate that looks at the cell (i, f, o)
        self.peephole = self.add_weight(
            shape=(3, self.units), initializer="zeros", name="peephole")

        def bias_init(shape, dtype=None):
            # unit forget bias trick
            b = np.zeros(shape, dtype="float32")
            b[self.units:2 * self.units] = 1.0
            return tf.constant(b, dtype=dtype)

        self.bias = self.add_weight(shape=(4 * self.units,), initializer=bias_init, name="bias")
        self.built = True

    def call(self, inputs, states):
        h_prev, c_prev = states[0], states[1]
        z = tf.matmul(inputs, self.kernel) + tf.matmul(h_prev, self.recurrent_kernel) + self.bias
        z_i, z_f, z_c, z_o = tf.split(z, 4, axis=-1)

        i = tf.sigmoid(z_i + self.peephole[0] * c_prev)
        f = tf.sigmoid(z_f + self.peephole[1] * c_prev)
        c = f * c_prev + i * tf.tanh(z_c)
        o = tf.sigmoid(z_o + self.peephole[2] * c)  # output gate peeks at the *new* cell
        h = o * tf.tanh(c)
        return h, [h, c]

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"units": self.units})
        return cfg


def build_model(vocab_size):
    inputs = keras.Input(shape=(MAX_LEN,), dtype="int32", name="token_ids")
    x = layers.Embedding(vocab_size, EMBED_DIM, mask_zero=True)(inputs)
    x = layers.RNN(PeepholeLSTMCell(HIDDEN), return_sequences=True, name="peephole_1")(x)
    x = layers.Dropout(0.2)(x)
    # second layer: keep the final h *and* c so we can concat them for the head
    seq, h_last, c_last = layers.RNN(
        PeepholeLSTMCell(HIDDEN), return_sequences=True, return_state=True, name="peephole_2")(x)
    pooled = layers.GlobalMaxPooling1D()(seq)
    feats = layers.Concatenate()([pooled, h_last, c_last])
    feats = layers.Dense(32, activation="relu")(feats)
    outputs = layers.Dense(1, activation="sigmoid")(feats)
    return keras.Model(inputs, outputs, name="peephole_classifier")


def main():
    texts, labels = make_corpus(NUM_SAMPLES)
    vocab = WordVocab(VOCAB_SIZE).fit(texts)
    print(f"vocab size: {len(vocab)}  example: {texts[0]!r} -> {vocab.encode(texts[0])}")

    seqs = [vocab.encode(t) for t in texts]
    x = keras.utils.pad_sequences(seqs, maxlen=MAX_LEN, padding="post", truncating="post")
    print("padded batch:", x.shape, x.dtype)

    split = int(0.8 * len(x))
    x_train, x_val = x[:split], x[split:]
    y_train, y_val = labels[:split], labels[split:]

    model = build_model(len(vocab))
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="binary_crossentropy", metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, validation_data=(x_val, y_val),
              batch_size=BATCH_SIZE, epochs=1, verbose=2)

    probe = ["the acting was superb and lovely", "a very dull and boring plot"]
    probe_x = keras.utils.pad_sequences([vocab.encode(t) for t in probe], maxlen=MAX_LEN, padding="post")
    for text, p in zip(probe, model.predict(probe_x, verbose=0)[:, 0]):
        print(f"{p:.3f}  {text}")


if __name__ == "__main__":
    main()

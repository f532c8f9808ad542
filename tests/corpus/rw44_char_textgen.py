"""Character-level LSTM text generator (Karpathy char-rnn style, Keras port).

Trains a stacked LSTM on a small built-in corpus, then samples new text with a
temperature-controlled softmax. Uses the classic "sliding window -> next char" setup.
"""
import sys

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "seq_len": 24,
    "step": 3,
    "batch_size": 128,
    "lstm_units": 64,
    "epochs": 1,
    "lr": 0.01,
    "gen_length": 80,
    "temperatures": [0.2, 0.5, 1.0, 1.2],
    "seed": 1337,
}

CORPUS = """
It was the best of times, it was the worst of times, it was the age of wisdom,
it was the age of foolishness, it was the epoch of belief, it was the epoch of
incredulity, it was the season of Light, it was the season of Darkness, it was the
spring of hope, it was the winter of despair, we had everything before us, we had
nothing before us, we were all going direct to Heaven, we were all going direct
the other way - in short, the period was so far like the present period, that some
of its noisiest authorities insisted on its being received, for good or for evil,
in the superlative degree of comparison only.
""".strip().lower()


def build_vocab(text):
    chars = sorted(set(text))
    char_indices = {c: i for i, c in enumerate(chars)}
    indices_char = {i: c for i, c in enumerate(chars)}
    return chars, char_indices, indices_char


def vectorize(text, char_indices, seq_len, step):
    sentences, next_chars = [], []
    for i in range(0, len(text) - seq_len, step):
        sentences.append(text[i:i + seq_len])
        next_chars.append(text[i + seq_len])
    x = np.zeros((len(sentences), seq_len, len(char_indices)), dtype=np.float32)
    y = np.zeros((len(sentences), len(char_indices)), dtype=np.float32)
    for i, sentence in enumerate(sentences):
        for t, char in enumerate(sentence):
            x[i, t, char_indices[char]] = 1.0
        y[i, char_indices[next_chars[i]]] = 1.0
    return x, y


def build_model(seq_len, n_chars, units):
    model = keras.Sequential(
        [
            keras.Input(shape=(seq_len, n_chars)),
            layers.LSTM(units, return_sequences=True),
            layers.Dropout(0.1),
            layers.LSTM(units),
            layers.Dense(n_chars, activation="softmax"),
        ],
        name="char_rnn",
    )
    return model


def sample(preds, temperature=1.0, rng=np.random):
    """Helper to sample an index from a probability array, reweighted by temperature."""
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds + 1e-8) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = rng.multinomial(1, preds, 1)
    return int(np.argmax(probas))


_PREDICT_FNS = {}


def _predict_fn(model):
    # eager calls to an LSTM are slow on CPU; cache one traced forward pass per model
    if id(model) not in _PREDICT_FNS:
        _PREDICT_FNS[id(model)] = tf.function(lambda x: model(x, training=False))
    return _PREDICT_FNS[id(model)]


def generate(model, seed_text, char_indices, indices_char, length, temperature, rng):
    seq_len = model.input_shape[1]
    forward = _predict_fn(model)
    n_chars = len(char_indices)
    generated = ""
    sentence = seed_text
    for _ in range(length):
        x_pred = np.zeros((1, seq_len, n_chars), dtype=np.float32)
        for t, char in enumerate(sentence):
            x_pred[0, t, char_indices[char]] = 1.0
        # a traced call is much faster than model.predict for a single sample
        preds = forward(tf.constant(x_pred)).numpy()[0]
        next_index = sample(preds, temperature, rng)
        next_char = indices_char[next_index]
        sentence = sentence[1:] + next_char
        generated += next_char
    return generated


class SampleCallback(keras.callbacks.Callback):
    """Prints a short sample at the end of each epoch so you can watch it learn."""

    def __init__(self, seed_text, char_indices, indices_char, rng):
        super().__init__()
        self.seed_text = seed_text
        self.char_indices = char_indices
        self.indices_char = indices_char
        self.rng = rng

    def on_epoch_end(self, epoch, logs=None):
        text = generate(self.model, self.seed_text, self.char_indices,
                        self.indices_char, 40, 0.5, self.rng)
        print(f"\n[epoch {epoch + 1}] sample: {text!r}")


def main(cfg):
    rng = np.random.RandomState(cfg["seed"])
    keras.utils.set_random_seed(cfg["seed"])

    chars, char_indices, indices_char = build_vocab(CORPUS)
    print("corpus length:", len(CORPUS), "total chars:", len(chars))
    x, y = vectorize(CORPUS, char_indices, cfg["seq_len"], cfg["step"])
    print("x:", x.shape, "y:", y.shape)

    model = build_model(cfg["seq_len"], len(chars), cfg["lstm_units"])
    model.compile(loss="categorical_crossentropy",
                  optimizer=keras.optimizers.RMSprop(learning_rate=cfg["lr"]))
    model.summary()

    start_index = rng.randint(0, len(CORPUS) - cfg["seq_len"] - 1)
    seed_text = CORPUS[start_index:start_index + cfg["seq_len"]]

    model.fit(x, y, batch_size=cfg["batch_size"], epochs=cfg["epochs"], verbose=2,
              callbacks=[SampleCallback(seed_text, char_indices, indices_char, rng)])

    print(f'----- seed: "{seed_text}"')
    for temperature in cfg["temperatures"]:
        out = generate(model, seed_text, char_indices, indices_char,
                       cfg["gen_length"] // len(cfg["temperatures"]), temperature, rng)
        print(f"----- temperature {temperature}: {out!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(CONFIG))

"""Example script to generate text character by character with an LSTM.

Port of the old `keras/examples/lstm_text_generation.py` to Keras 3:
semi-redundant sequences of `maxlen` characters are cut from the corpus,
one-hot encoded with numpy, and a Sequential LSTM is trained to predict the
next character. After each epoch a LambdaCallback samples text at several
"diversity" (temperature) values.

The Nietzsche corpus is replaced by a small generated one (no downloads).
"""
import io
import random
import sys

import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

random.seed(1337)
np.random.seed(1337)

WORDS = ("truth morality will power suffering spirit nature philosopher "
         "knowledge man god soul free thought value").split()


def build_corpus(n_sentences=200):
    buf = io.StringIO()
    for _ in range(n_sentences):
        n = random.randint(4, 9)
        sentence = " ".join(random.choice(WORDS) for _ in range(n))
        buf.write(sentence.capitalize() + ". ")
    return buf.getvalue().lower()


text = build_corpus()
print("corpus length:", len(text))

chars = sorted(list(set(text)))
print("total chars:", len(chars))
char_indices = dict((c, i) for i, c in enumerate(chars))
indices_char = dict((i, c) for i, c in enumerate(chars))

# cut the text in semi-redundant sequences of maxlen characters
maxlen = 30
step = 7
sentences = []
next_chars = []
for i in range(0, len(text) - maxlen, step):
    sentences.append(text[i: i + maxlen])
    next_chars.append(text[i + maxlen])
print("nb sequences:", len(sentences))

print("Vectorization...")
x = np.zeros((len(sentences), maxlen, len(chars)), dtype=bool)
y = np.zeros((len(sentences), len(chars)), dtype=bool)
for i, sentence in enumerate(sentences):
    for t, char in enumerate(sentence):
        x[i, t, char_indices[char]] = 1
    y[i, char_indices[next_chars[i]]] = 1

# build the model: a single LSTM
print("Build model...")
model = keras.Sequential(
    [
        keras.Input(shape=(maxlen, len(chars))),
        layers.LSTM(96),
        layers.Dropout(0.1),
        layers.Dense(len(chars), activation="softmax"),
    ]
)
optimizer = keras.optimizers.RMSprop(learning_rate=0.01)
model.compile(loss="categorical_crossentropy", optimizer=optimizer)
model.summary()


def sample(preds, temperature=1.0):
    # helper function to sample an index from a probability array
    preds = np.asarray(preds).astype("float64")
    preds = np.log(preds + 1e-8) / temperature
    exp_preds = np.exp(preds)
    preds = exp_preds / np.sum(exp_preds)
    probas = np.random.multinomial(1, preds, 1)
    return np.argmax(probas)


GEN_LENGTH = 20


def on_epoch_end(epoch, _):
    # Function invoked at end of each epoch. Prints generated text.
    print()
    print("----- Generating text after Epoch: %d" % epoch)

    start_index = random.randint(0, len(text) - maxlen - 1)
    for diversity in [0.2, 0.5, 1.0]:
        print("----- diversity:", diversity)

        generated = ""
        sentence = text[start_index: start_index + maxlen]
        generated += sentence
        print('----- Generating with seed: "' + sentence + '"')
        sys.stdout.write(generated)

        for i in range(GEN_LENGTH):
            x_pred = np.zeros((1, maxlen, len(chars)))
            for t, char in enumerate(sentence):
                x_pred[0, t, char_indices[char]] = 1.0

            preds = model(x_pred, training=False).numpy()[0]
            next_index = sample(preds, diversity)
            next_char = indices_char[next_index]

            sentence = sentence[1:] + next_char

            sys.stdout.write(next_char)
            sys.stdout.flush()
        print()


print_callback = keras.callbacks.LambdaCallback(on_epoch_end=on_epoch_end)

model.fit(x, y, batch_size=128, epochs=1, callbacks=[print_callback], verbose=2)

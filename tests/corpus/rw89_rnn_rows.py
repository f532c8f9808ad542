"""Homework 6 - Recurrent nets on MNIST, treating each image as a sequence.

Each 28x28 digit is read row by row: 28 time steps with 28 features each.
We compare SimpleRNN, LSTM, GRU and a bidirectional LSTM and print a small
results table (the write-up asks which cell trains fastest / best).
Random data stands in for MNIST so the notebook runs without a download.
"""
import time
import numpy as np
import tensorflow as tf
import keras
from keras import layers

TIMESTEPS = 28   # rows
FEATURES = 28    # pixels per row
N_CLASSES = 10
HIDDEN = 32
BATCH_SIZE = 100
N_TRAIN, N_TEST = 500, 100

rng = np.random.default_rng(7)
x_train = rng.random((N_TRAIN, TIMESTEPS, FEATURES), dtype=np.float32)
y_train = rng.integers(0, N_CLASSES, N_TRAIN)
x_test = rng.random((N_TEST, TIMESTEPS, FEATURES), dtype=np.float32)
y_test = rng.integers(0, N_CLASSES, N_TEST)


def make_rnn_model(cell_type="lstm", hidden=HIDDEN, stacked=False):
    """cell_type: one of 'simple', 'lstm', 'gru', 'bilstm'."""
    inp = keras.Input(shape=(TIMESTEPS, FEATURES))
    x = inp

    def rnn_layer(return_sequences):
        if cell_type == "simple":
            return layers.SimpleRNN(hidden, return_sequences=return_sequences)
        elif cell_type == "lstm":
            return layers.LSTM(hidden, return_sequences=return_sequences)
        elif cell_type == "gru":
            return layers.GRU(hidden, return_sequences=return_sequences)
        elif cell_type == "bilstm":
            return layers.Bidirectional(layers.LSTM(hidden // 2, return_sequences=return_sequences))
        raise ValueError("unknown cell type " + cell_type)

    if stacked:
        x = rnn_layer(return_sequences=True)(x)   # (B, 28, hidden)
    x = rnn_layer(return_sequences=False)(x)      # (B, hidden)
    x = layers.Dense(N_CLASSES, activation="softmax")(x)
    return keras.Model(inp, x, name=f"rnn_{cell_type}{'_stacked' if stacked else ''}")


results = {}
for cell in ["simple", "lstm", "gru", "bilstm"]:
    model = make_rnn_model(cell, stacked=(cell == "lstm"))
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    t0 = time.time()
    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=1, verbose=0)
    elapsed = time.time() - t0
    _, acc = model.evaluate(x_test, y_test, verbose=0)
    results[model.name] = (model.count_params(), acc, elapsed)
    print(f"{model.name:<20} done")

print("\n{:<20} {:>10} {:>8} {:>8}".format("model", "params", "acc", "time(s)"))
print("-" * 50)
for name, (params, acc, t) in results.items():
    print(f"{name:<20} {params:>10,d} {acc:>8.3f} {t:>8.1f}")

# Bonus (2 pts): look at the hidden state trajectory of the GRU for one digit
gru = layers.GRU(16, return_sequences=True, return_state=True)
seq_out, final_state = gru(tf.constant(x_test[:1]))
print("GRU sequence output:", seq_out.shape, "final state:", final_state.shape)
# the last step of the sequence output equals the final state
print("max |last step - final state| =",
      float(tf.reduce_max(tf.abs(seq_out[:, -1, :] - final_state))))

# stateful LSTM for a long univariate series, split into consecutive windows.
# Needs fixed batch size in the Input (batch_shape) and shuffle=False,
# and states reset manually between "epochs".
import numpy as np
import tensorflow as tf

BATCH = 4
WINDOW = 10
N_FEAT = 1

# long sine wave + noise
t = np.arange(0, 4 * BATCH * WINDOW * 3 + 1, dtype="float32")
series = np.sin(0.1 * t) + 0.05 * np.random.randn(len(t)).astype("float32")


def to_stateful_batches(s, batch, window):
    """Lay the series out so sample i of batch k+1 continues sample i of batch k."""
    x, y = s[:-1], s[1:]
    n_windows = len(x) // window
    n_windows -= n_windows % batch
    x = x[: n_windows * window].reshape(batch, -1, window)   # one stream per batch slot
    y = y[: n_windows * window].reshape(batch, -1, window)
    # (batch, n_chunks, window) -> (n_chunks*batch, window, 1)
    x = np.transpose(x, (1, 0, 2)).reshape(-1, window, N_FEAT)
    y = np.transpose(y, (1, 0, 2)).reshape(-1, window, N_FEAT)
    return x, y


X, Y = to_stateful_batches(series, BATCH, WINDOW)
print("X", X.shape, "Y", Y.shape)

inp = tf.keras.Input(batch_shape=(BATCH, WINDOW, N_FEAT))
lstm_layer = tf.keras.layers.LSTM(20, stateful=True, return_sequences=True)
h = lstm_layer(inp)
out = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(1))(h)
model = tf.keras.Model(inp, out)
model.compile(optimizer="adam", loss="mse")

for epoch in range(2):
    hist = model.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    lstm_layer.reset_states()
    print(f"epoch {epoch}: loss={hist.history['loss'][0]:.4f}")

# state carries over between predict calls until reset
first = model.predict(X[:BATCH], batch_size=BATCH, verbose=0)
again = model.predict(X[:BATCH], batch_size=BATCH, verbose=0)
print("state changed output:", not np.allclose(first, again))
lstm_layer.reset_states()

# inference with a batch of 1: copy weights into a batch_size=1 twin
inp1 = tf.keras.Input(batch_shape=(1, 1, N_FEAT))
lstm1 = tf.keras.layers.LSTM(20, stateful=True, return_sequences=True)
out1 = tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(1))(lstm1(inp1))
infer = tf.keras.Model(inp1, out1)
infer.set_weights(model.get_weights())

# warm up on a few points, then generate step by step
preds = []
for v in series[:20]:
    p = infer(np.array(v, dtype="float32").reshape(1, 1, 1))
x_next = float(p[0, -1, 0])
for _ in range(10):
    p = infer(np.array([[[x_next]]], dtype="float32"))
    x_next = float(p[0, -1, 0])
    preds.append(x_next)
print("generated:", np.round(preds, 3))

"""Answer: stateful LSTM - "you must specify batch_shape" / batch size errors.

With stateful=True the batch size is part of the model, so:
  * pass the full batch shape to Input (batch_shape=(batch, timesteps, features))
  * number of samples must be divisible by batch_size (trim it)
  * shuffle=False, reset the states yourself between epochs
  * to predict one sample at a time, rebuild with batch size 1 and copy weights
"""
import numpy as np
import keras
from keras import layers

BATCH_SIZE = 8
TIMESTEPS = 5
FEATURES = 1
EPOCHS = 2


def make_model(batch_size):
    inp = keras.Input(batch_shape=(batch_size, TIMESTEPS, FEATURES))
    x = layers.LSTM(16, stateful=True, return_sequences=True)(inp)
    x = layers.LSTM(8, stateful=True)(x)
    out = layers.Dense(1)(x)
    return keras.Model(inp, out)


def reset_rnn_states(model):
    for layer in model.layers:
        if hasattr(layer, "reset_states") and getattr(layer, "stateful", False):
            layer.reset_states()


# long sine wave chopped into consecutive, non-overlapping chunks
t = np.arange(0, 403, dtype="float32")
wave = np.sin(0.1 * t)
n_chunks = (len(wave) - 1) // TIMESTEPS
X = wave[: n_chunks * TIMESTEPS].reshape(n_chunks, TIMESTEPS, FEATURES)
y = wave[TIMESTEPS: (n_chunks + 1) * TIMESTEPS: TIMESTEPS][:n_chunks]

# samples % batch_size must be 0
n = (len(X) // BATCH_SIZE) * BATCH_SIZE
X, y = X[:n], y[:n]
print("X:", X.shape, "y:", y.shape, "batches/epoch:", n // BATCH_SIZE)

# For state to carry over, sample i of batch k+1 must continue sample i of batch k.
# Re-order so that each of the BATCH_SIZE "lanes" is a contiguous stretch of the series.
steps = n // BATCH_SIZE
order = np.arange(n).reshape(BATCH_SIZE, steps).T.ravel()
X, y = X[order], y[order]

model = make_model(BATCH_SIZE)
model.compile(loss="mse", optimizer="adam")
model.summary()

for epoch in range(EPOCHS):
    h = model.fit(X, y, epochs=1, batch_size=BATCH_SIZE, shuffle=False, verbose=0)
    reset_rnn_states(model)
    print(f"epoch {epoch + 1}: loss={h.history['loss'][0]:.4f}")

# predicting with a different batch size -> copy weights into a batch-1 twin
predictor = make_model(1)
predictor.set_weights(model.get_weights())
reset_rnn_states(predictor)
preds = []
for i in range(6):
    p = predictor.predict(X[i * BATCH_SIZE: i * BATCH_SIZE + 1], verbose=0)
    preds.append(float(p[0, 0]))
print("step-by-step preds:", np.round(preds, 3))

# manual stepping with train_on_batch is also common in old answers
reset_rnn_states(model)
for b in range(3):
    xb = X[b * BATCH_SIZE:(b + 1) * BATCH_SIZE]
    yb = y[b * BATCH_SIZE:(b + 1) * BATCH_SIZE]
    loss = model.train_on_batch(xb, yb)
print("train_on_batch loss:", float(np.asarray(loss).ravel()[0]))

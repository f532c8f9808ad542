# "ValueError: Input 0 of layer lstm is incompatible with the layer:
#  expected ndim=3, found ndim=2"
#
# LSTM and Conv1D want (batch, timesteps, features). Below: turning a long 1-D
# signal / a 2-D table into that shape with sliding windows, then feeding both
# an LSTM and a Conv1D model from the same tf.data pipeline.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

WINDOW = 24
HORIZON = 1
N_STEPS = 600
BATCH = 32

rng = np.random.default_rng(0)


def make_series(n):
    t = np.arange(n, dtype="float32")
    temp = np.sin(t / 12.0) + 0.1 * rng.standard_normal(n)
    humidity = np.cos(t / 20.0) + 0.1 * rng.standard_normal(n)
    load = 0.5 * temp + 0.3 * humidity + 0.05 * rng.standard_normal(n)
    return np.stack([temp, humidity, load], axis=-1).astype("float32")  # (n, 3)


def windowize(table, window, horizon, target_col=-1):
    """(n, features) -> X: (samples, window, features), y: (samples,)"""
    idx = np.arange(window)[None, :] + np.arange(len(table) - window - horizon + 1)[:, None]
    X = table[idx]
    y = table[window + horizon - 1 :, target_col]
    return X, y


data = make_series(N_STEPS)
print("raw table:", data.shape)

X, y = windowize(data, WINDOW, HORIZON)
print("windowed:", X.shape, y.shape)  # (samples, 24, 3)

# the common "I only have one feature" case: (samples, timesteps) -> add axis
X_uni = X[:, :, -1]
print("univariate before:", X_uni.shape)
X_uni = X_uni.reshape((X_uni.shape[0], X_uni.shape[1], 1))
print("univariate after reshape:", X_uni.shape)
assert np.allclose(X_uni, np.expand_dims(X[:, :, -1], -1))

split = int(len(X) * 0.8)
train_ds = (
    tf.data.Dataset.from_tensor_slices((X[:split], y[:split]))
    .shuffle(256, seed=0)
    .batch(BATCH)
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices((X[split:], y[split:])).batch(BATCH)


def lstm_model(timesteps, n_feat):
    inp = keras.Input(shape=(timesteps, n_feat))
    x = layers.LSTM(32, return_sequences=True)(inp)
    x = layers.LSTM(16)(x)
    out = layers.Dense(1)(x)
    return keras.Model(inp, out, name="lstm_regressor")


def conv1d_model(timesteps, n_feat, filters=(16, 32)):
    inp = keras.Input(shape=(timesteps, n_feat))
    x = inp
    for f in filters:
        x = layers.Conv1D(f, kernel_size=3, padding="causal", activation="relu")(x)
        x = layers.MaxPooling1D(2)(x)
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(1)(x)
    return keras.Model(inp, out, name="conv1d_regressor")


results = {}
for builder in (lstm_model, conv1d_model):
    m = builder(WINDOW, X.shape[-1])
    m.compile(optimizer="adam", loss="mse", metrics=["mae"])
    m.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)
    results[m.name] = m.evaluate(val_ds, verbose=0, return_dict=True)

for name, r in results.items():
    print(f"{name}: " + ", ".join(f"{k}={v:.4f}" for k, v in r.items()))

# Also: a Reshape layer inside the model when your raw input is flat
flat_inp = keras.Input(shape=(WINDOW * 3,))
seq = layers.Reshape((WINDOW, 3))(flat_inp)
seq = layers.GRU(8)(seq)
flat_model = keras.Model(flat_inp, layers.Dense(1)(seq))
flat_model.compile(optimizer="adam", loss="mse")
flat_X = X.reshape(len(X), -1)
flat_model.fit(flat_X[:split], y[:split], epochs=1, batch_size=BATCH, verbose=0)
print("flat->Reshape->GRU preds:", flat_model.predict(flat_X[split:split + 3], verbose=0).ravel())

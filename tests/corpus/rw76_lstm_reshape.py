"""Answer: "How do I reshape my 2D data for an LSTM? ValueError: expected ndim=3, found ndim=2"

LSTM layers want (samples, timesteps, features). If you have a flat table
of shape (n_rows, n_features) you have to either (a) treat every row as a
single timestep, or (b) build sliding windows over the rows. Both shown below.
"""
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

np.random.seed(0)

N_ROWS = 500
N_FEATURES = 6
LOOKBACK = 10

# your data, e.g. pd.read_csv(...).values
data = np.random.rand(N_ROWS, N_FEATURES).astype("float32")
target = data[:, 0] * 0.5 + np.random.rand(N_ROWS).astype("float32") * 0.1

# --- Option (a): one timestep per sample ------------------------------------
X_a = data.reshape((data.shape[0], 1, data.shape[1]))   # (500, 1, 6)
print("option a:", X_a.shape)

model_a = keras.Sequential([
    keras.Input(shape=(1, N_FEATURES)),
    layers.LSTM(16),
    layers.Dense(1),
])
model_a.compile(optimizer="adam", loss="mse")
model_a.fit(X_a, target, epochs=1, batch_size=32, verbose=0)


# --- Option (b): sliding windows --------------------------------------------
def create_dataset(X, y, look_back=1):
    Xs, ys = [], []
    for i in range(len(X) - look_back):
        Xs.append(X[i:(i + look_back)])
        ys.append(y[i + look_back])
    return np.array(Xs), np.array(ys)


X_b, y_b = create_dataset(data, target, LOOKBACK)
print("option b:", X_b.shape, y_b.shape)   # (490, 10, 6) (490,)

# same thing without a python loop (numpy >= 1.20)
windows = np.lib.stride_tricks.sliding_window_view(data, LOOKBACK, axis=0)
windows = windows.transpose(0, 2, 1)[:-1]   # -> (490, 10, 6)
assert np.allclose(windows, X_b)

model_b = keras.Sequential([
    keras.Input(shape=(X_b.shape[1], X_b.shape[2])),
    layers.LSTM(32, return_sequences=True),
    layers.LSTM(16),
    layers.Dense(1),
])
model_b.compile(optimizer="adam", loss="mse")
model_b.summary()
model_b.fit(X_b, y_b, epochs=1, batch_size=32, validation_split=0.1, verbose=2)

# predicting a single new window: keep the batch axis!
last_window = data[-LOOKBACK:]                 # (10, 6)
pred = model_b.predict(last_window[np.newaxis, ...], verbose=0)   # (1, 10, 6)
print("next value:", pred.shape, float(pred[0, 0]))

# If your series is univariate (n,) you need the features axis too:
series = np.sin(np.linspace(0, 20, 300)).astype("float32")
Xu, yu = create_dataset(series, series, LOOKBACK)   # (290, 10)
Xu = np.expand_dims(Xu, -1)                          # (290, 10, 1)
uni = keras.Sequential([keras.Input((LOOKBACK, 1)), layers.LSTM(8), layers.Dense(1)])
uni.compile("adam", "mse")
uni.fit(Xu, yu, epochs=1, verbose=0)
print("univariate input:", Xu.shape, "->", uni.output_shape)

import time
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

# tabular data (like the breast cancer set: 30 numeric columns) fed to a Conv1D.
# Conv1D wants (samples, steps, channels), so every feature becomes a "timestep".
np.random.seed(0)
n_rows, n_cols = 64, 30
raw = np.random.randn(n_rows, n_cols) * np.linspace(1, 20, n_cols) + 5.0
y = (raw[:, 0] + raw[:, 3] / 4 - raw[:, 7] / 8 > 5).astype(int)

# standard scaling by hand (fit on everything, it's a toy)
mean, std = raw.mean(axis=0), raw.std(axis=0)
X = (raw - mean) / std
X = np.reshape(X, (X.shape[0], X.shape[1], 1))
print("X reshaped:", X.shape)

split = int(0.8 * len(X))
X_train, X_test = X[:split], X[split:]
y_train, y_test = y[:split], y[split:]


def make_conv1d(head="flatten"):
    model = keras.Sequential(name=f"conv1d_{head}")
    model.add(layers.Input(shape=(n_cols, 1)))
    model.add(layers.Conv1D(32, kernel_size=3, activation="relu"))
    model.add(layers.Conv1D(32, kernel_size=3, activation="relu"))
    model.add(layers.MaxPooling1D(2))
    if head == "flatten":
        model.add(layers.Flatten())
    elif head == "gap":
        model.add(layers.GlobalAveragePooling1D())
    else:
        model.add(layers.GlobalMaxPooling1D())
    model.add(layers.Dense(16, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


results = {}
for head in ["flatten", "gap", "gmp"]:
    m = make_conv1d(head)
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    t0 = time.time()
    m.fit(X_train, y_train, epochs=1, batch_size=16, verbose=0)
    loss, acc = m.evaluate(X_test, y_test, verbose=0)
    results[head] = dict(params=m.count_params(), acc=acc, secs=time.time() - t0)

print(f"{'head':8s} {'params':>7s} {'acc':>6s} {'secs':>6s}")
for head, r in results.items():
    print(f"{head:8s} {r['params']:7d} {r['acc']:6.3f} {r['secs']:6.2f}")

# same comparison for 2D: Flatten ties the model to the input size,
# global pooling doesn't (that was my actual SO question)
def make_cnn2d(use_flatten, input_shape=(None, None, 3)):
    inp = keras.Input(shape=input_shape)
    x = layers.Conv2D(16, 3, activation="relu")(inp)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.Flatten()(x) if use_flatten else layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(10, activation="softmax")(x)
    return keras.Model(inp, out)


gap_model = make_cnn2d(False)
for size in (28, 40, 64):
    dummy = np.random.rand(2, size, size, 3).astype("float32")
    print(f"GAP model on {size}x{size}: {gap_model(dummy).shape}")

flat_model = make_cnn2d(True, input_shape=(28, 28, 3))
print("Flatten model params:", flat_model.count_params(), "| GAP params:", gap_model.count_params())
try:
    flat_model(np.random.rand(1, 40, 40, 3).astype("float32"))
except ValueError as e:
    print("Flatten model fails on 40x40:", type(e).__name__)

# predicting a single row needs both the batch and channel axis back
row = (raw[0] - mean) / std
row = row.reshape(1, n_cols, 1)
print("single row prob:", m.predict(row, verbose=0)[0][0])

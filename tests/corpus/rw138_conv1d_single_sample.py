"""
Q: "ValueError: Input 0 of layer conv1d is incompatible with the layer:
    expected min_ndim=3, found ndim=2" when I call model.predict on one signal.

Training worked fine on X of shape (n_samples, 128, 1) but predicting a single
row of shape (128,) blew up. The answer: Conv1D always wants
(batch, steps, channels), so a single signal has to be given both a batch axis
and a channel axis before predict.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
SIGNAL_LEN = 128
N_PER_CLASS = 150
CLASSES = ["sine", "square", "noise"]
FILTERS = [16, 32, 32]

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_signal(kind, length=SIGNAL_LEN):
    t = np.linspace(0, 1, length)
    freq = rng.uniform(2, 6)
    if kind == "sine":
        sig = np.sin(2 * np.pi * freq * t)
    elif kind == "square":
        sig = np.sign(np.sin(2 * np.pi * freq * t))
    else:
        sig = rng.normal(0, 0.7, size=length)
    return (sig + rng.normal(0, 0.1, size=length)).astype("float32")


def build_dataset():
    xs, ys = [], []
    for label, kind in enumerate(CLASSES):
        for _ in range(N_PER_CLASS):
            xs.append(make_signal(kind))
            ys.append(label)
    X = np.stack(xs)               # (450, 128)   <- 2D, this was the bug
    y = np.array(ys)
    perm = rng.permutation(len(X))
    return X[perm], y[perm]


def build_model():
    model = keras.Sequential(name="conv1d_classifier")
    # input_shape must include the channel axis: (steps, channels)
    model.add(keras.Input(shape=(SIGNAL_LEN, 1)))
    for i, f in enumerate(FILTERS):
        model.add(layers.Conv1D(f, kernel_size=5, padding="same",
                                activation="relu", name=f"conv_{i}"))
        if i < len(FILTERS) - 1:
            model.add(layers.MaxPooling1D(2, name=f"pool_{i}"))
    model.add(layers.GlobalAveragePooling1D())
    model.add(layers.Dense(len(CLASSES), activation="softmax"))
    model.compile(optimizer="adam",
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


X, y = build_dataset()
print("raw X shape:", X.shape)

# --- the fix: add a trailing channel dimension ---
X = X[..., np.newaxis]
print("fixed X shape:", X.shape)

split = int(0.8 * len(X))
X_train, X_val = X[:split], X[split:]
y_train, y_val = y[:split], y[split:]

model = build_model()
model.summary()
print("model.input_shape :", model.input_shape)
print("model.output_shape:", model.output_shape)

model.fit(X_train, y_train, validation_data=(X_val, y_val),
          epochs=2, batch_size=32, verbose=2)

# Predicting on a single fresh signal
one = make_signal("square")
print("single signal shape:", one.shape)

# wrong: model.predict(one)  -> (128,) is rank 1
# right, several equivalent ways:
candidates = {
    "reshape":     one.reshape(1, SIGNAL_LEN, 1),
    "np.newaxis":  one[np.newaxis, :, np.newaxis],
    "expand_dims": np.expand_dims(np.expand_dims(one, 0), -1),
    "tf.reshape":  tf.reshape(one, (1, -1, 1)),
}
for name, arr in candidates.items():
    probs = model.predict(arr, verbose=0)
    pred = CLASSES[int(np.argmax(probs[0]))]
    print(f"{name:12s} input {tuple(arr.shape)} -> probs {np.round(probs[0], 3)} -> {pred}")

# Sanity: all four must agree exactly
ref = model.predict(candidates["reshape"], verbose=0)
assert all(np.allclose(ref, model.predict(a, verbose=0)) for a in candidates.values())
print("all single-sample variants agree")

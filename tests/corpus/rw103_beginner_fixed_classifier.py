"""
Q: "My model's accuracy is stuck at ~0.33 and I get a shape error when I use
categorical_crossentropy with integer labels. What am I doing wrong?"

A (fixed version): the labels are integers 0..2, so either one-hot encode them
or use sparse_categorical_crossentropy. Also the last layer needs softmax with
3 units (not 1 unit with sigmoid), and the inputs should be standardized.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
N_SAMPLES = 300
N_FEATURES = 8
N_CLASSES = 3
EPOCHS = 2
BATCH_SIZE = 32

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_data(n=N_SAMPLES):
    """Three gaussian blobs with a very different scale per feature (the
    original poster's features ranged from 0.01 to 10000)."""
    centers = np.random.randn(N_CLASSES, N_FEATURES) * 3.0
    y = np.random.randint(0, N_CLASSES, size=n)
    X = centers[y] + np.random.randn(n, N_FEATURES)
    scales = np.logspace(-2, 4, N_FEATURES)
    return (X * scales).astype("float32"), y.astype("int32")


X, y = make_data()

# FIX 1: standardize features (the original code fed raw values)
mean = X.mean(axis=0)
std = X.std(axis=0) + 1e-7
X = (X - mean) / std

split = int(0.8 * len(X))
X_train, X_val = X[:split], X[split:]
y_train, y_val = y[:split], y[split:]
print("train:", X_train.shape, y_train.shape, "val:", X_val.shape)

# FIX 2: output layer has N_CLASSES units + softmax, and an explicit Input
model = keras.Sequential(
    [
        keras.Input(shape=(N_FEATURES,)),
        layers.Dense(32, activation="relu"),
        layers.Dropout(0.1),
        layers.Dense(16, activation="relu"),
        layers.Dense(N_CLASSES, activation="softmax"),
    ]
)

# FIX 3: integer labels -> sparse_categorical_crossentropy
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-2),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.summary()

history = model.fit(
    X_train,
    y_train,
    validation_data=(X_val, y_val),
    epochs=EPOCHS,
    batch_size=BATCH_SIZE,
    verbose=2,
)

for key, values in history.history.items():
    print(f"{key:>14}: {[round(v, 4) for v in values]}")

# Alternative that also works: one-hot labels + categorical_crossentropy
y_train_oh = keras.utils.to_categorical(y_train, N_CLASSES)
y_val_oh = keras.utils.to_categorical(y_val, N_CLASSES)
alt = keras.models.clone_model(model)
alt.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
alt.fit(X_train, y_train_oh, epochs=1, batch_size=BATCH_SIZE, verbose=0)
loss, acc = alt.evaluate(X_val, y_val_oh, verbose=0)
print(f"one-hot variant -> val loss {loss:.4f}, val acc {acc:.4f}")

probs = model.predict(X_val[:5], verbose=0)
print("predicted classes:", probs.argmax(axis=1), "true:", y_val[:5])

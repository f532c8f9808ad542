"""Beginner MNIST MLP -- "Hello World" of deep learning.

Follows the classic Keras getting-started tutorial: flatten 28x28 digits,
a couple of Dense layers with Dropout, compile with Adam + sparse CE,
train with EarlyStopping, then evaluate and look at a few predictions.

NOTE: to keep this runnable offline we generate random arrays with the same
shapes/dtypes as keras.datasets.mnist.load_data().
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---- hyperparameters -------------------------------------------------------
NUM_CLASSES = 10
IMG_ROWS, IMG_COLS = 28, 28
BATCH_SIZE = 128
EPOCHS = 2
HIDDEN_UNITS = [256, 128]
DROPOUT = 0.2

np.random.seed(42)
tf.random.set_seed(42)


def load_fake_mnist(n_train=2000, n_test=500):
    """Mimics (x_train, y_train), (x_test, y_test) = mnist.load_data()."""
    x_train = np.random.randint(0, 256, size=(n_train, IMG_ROWS, IMG_COLS), dtype=np.uint8)
    y_train = np.random.randint(0, NUM_CLASSES, size=(n_train,), dtype=np.uint8)
    x_test = np.random.randint(0, 256, size=(n_test, IMG_ROWS, IMG_COLS), dtype=np.uint8)
    y_test = np.random.randint(0, NUM_CLASSES, size=(n_test,), dtype=np.uint8)
    return (x_train, y_train), (x_test, y_test)


(x_train, y_train), (x_test, y_test) = load_fake_mnist()
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

# Scale images to the [0, 1] range
x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0

# Flatten for the MLP: (N, 28, 28) -> (N, 784)
x_train = x_train.reshape(-1, IMG_ROWS * IMG_COLS)
x_test = x_test.reshape(-1, IMG_ROWS * IMG_COLS)


def build_mlp(input_dim, hidden_units, num_classes, dropout=0.2):
    model = keras.Sequential(name="mnist_mlp")
    model.add(keras.Input(shape=(input_dim,)))
    for i, units in enumerate(hidden_units):
        model.add(layers.Dense(units, activation="relu", name=f"dense_{i}"))
        model.add(layers.Dropout(dropout))
    model.add(layers.Dense(num_classes, activation="softmax", name="predictions"))
    return model


model = build_mlp(IMG_ROWS * IMG_COLS, HIDDEN_UNITS, NUM_CLASSES, DROPOUT)
model.summary()

model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True),
]

history = model.fit(
    x_train,
    y_train,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    validation_split=0.1,
    callbacks=callbacks,
    verbose=2,
)

print("History keys:", list(history.history.keys()))

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])

# Predict on the first few test images
probs = model.predict(x_test[:5], verbose=0)
print("Prediction probs shape:", probs.shape)
pred_labels = np.argmax(probs, axis=1)
for i, (p, t) in enumerate(zip(pred_labels, y_test[:5])):
    print(f"image {i}: predicted={p} true={t} confidence={probs[i, p]:.3f}")

# Wrap the model with a Softmax-free probability model like the TF tutorial does
logits_model = keras.Sequential([model, layers.Lambda(lambda t: tf.math.log(t + 1e-7))])
log_probs = logits_model(x_test[:2])
print("log probs shape:", log_probs.shape)

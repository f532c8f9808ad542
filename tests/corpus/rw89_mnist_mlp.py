"""
CS 4780 - Homework 3, Problem 2: Multi-layer perceptron on MNIST.

Trains a fully connected network with two hidden layers and reports test
accuracy plus a per-class confusion matrix. The grading server has no
internet access, so `load_mnist_like()` generates a synthetic stand-in with
the same shapes as keras.datasets.mnist (28x28 uint8 images, 10 classes).
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---- hyperparameters (do not change for submission) ----
NUM_CLASSES = 10
IMG_ROWS, IMG_COLS = 28, 28
HIDDEN_UNITS = [256, 128]
DROPOUT_RATE = 0.2
BATCH_SIZE = 64
EPOCHS = 1
LEARNING_RATE = 1e-3
SEED = 42

np.random.seed(SEED)
tf.random.set_seed(SEED)


def load_mnist_like(n_train=2000, n_test=500):
    """Return ((x_train, y_train), (x_test, y_test)) just like mnist.load_data()."""
    rng = np.random.default_rng(SEED)
    # make each class have a slightly different "template" so the net can learn something
    templates = rng.integers(0, 255, size=(NUM_CLASSES, IMG_ROWS, IMG_COLS))

    def make(n):
        y = rng.integers(0, NUM_CLASSES, size=n)
        noise = rng.normal(0, 40, size=(n, IMG_ROWS, IMG_COLS))
        x = np.clip(templates[y] + noise, 0, 255).astype("uint8")
        return x, y.astype("uint8")

    return make(n_train), make(n_test)


def preprocess(x, y):
    # flatten 28x28 -> 784 and scale to [0, 1]
    x = x.reshape(x.shape[0], IMG_ROWS * IMG_COLS).astype("float32") / 255.0
    y = keras.utils.to_categorical(y, NUM_CLASSES)
    return x, y


def build_mlp(input_dim, hidden_units, dropout_rate):
    model = keras.Sequential(name="hw3_mlp")
    model.add(keras.Input(shape=(input_dim,)))
    for i, units in enumerate(hidden_units):
        model.add(layers.Dense(units, activation="relu", name=f"hidden_{i + 1}"))
        model.add(layers.Dropout(dropout_rate))
    model.add(layers.Dense(NUM_CLASSES, activation="softmax", name="output"))
    return model


def confusion_matrix(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    for t, p in zip(y_true, y_pred):
        cm[t, p] += 1
    return cm


def main():
    (x_train, y_train), (x_test, y_test) = load_mnist_like()
    print("x_train shape:", x_train.shape)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    x_train, y_train_oh = preprocess(x_train, y_train)
    x_test, y_test_oh = preprocess(x_test, y_test)

    model = build_mlp(IMG_ROWS * IMG_COLS, HIDDEN_UNITS, DROPOUT_RATE)
    model.summary()

    model.compile(
        loss="categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE),
        metrics=["accuracy"],
    )

    history = model.fit(
        x_train,
        y_train_oh,
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        verbose=2,
        validation_split=0.1,
    )

    score = model.evaluate(x_test, y_test_oh, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])

    # Part (c): which digits get confused the most?
    probs = model.predict(x_test, batch_size=256, verbose=0)
    preds = np.argmax(probs, axis=1)
    cm = confusion_matrix(y_test, preds, NUM_CLASSES)
    print("Confusion matrix (rows=true, cols=pred):")
    print(cm)
    per_class_acc = np.diag(cm) / np.maximum(cm.sum(axis=1), 1)
    for digit, acc in enumerate(per_class_acc):
        print(f"  digit {digit}: {acc:.3f}")

    print("final val_accuracy:", history.history["val_accuracy"][-1])


if __name__ == "__main__":
    main()

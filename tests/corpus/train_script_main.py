"""A training script organised as functions with a __main__ guard."""

import argparse

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


def make_dataset(n_samples, n_features, n_classes, batch_size):
    x = np.random.randn(n_samples, n_features).astype(np.float32)
    y = np.random.randint(0, n_classes, size=n_samples)
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    return ds.shuffle(n_samples).batch(batch_size)


def build_model(n_features, n_classes, hidden=(64, 32), dropout=0.1):
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--features", type=int, default=12)
    parser.add_argument("--classes", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args([])

    train_ds = make_dataset(64, args.features, args.classes, args.batch_size)
    model = build_model(args.features, args.classes)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_ds, epochs=1, verbose=0)
    sample = np.zeros((2, args.features), dtype="float32")
    probs = model(sample)
    return probs


if __name__ == "__main__":
    main()

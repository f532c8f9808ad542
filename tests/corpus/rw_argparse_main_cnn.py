#!/usr/bin/env python3
"""Train a small image classifier.

Usage: python train.py --img-size 48 --filters 16 32 --epochs 1
"""
import argparse
import os
import sys

import numpy as np
import tensorflow as tf


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--img-size", type=int, default=48)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--num-classes", type=int, default=6)
    p.add_argument("--filters", type=int, nargs="+", default=[16, 32, 64])
    p.add_argument("--dense", type=int, default=128)
    p.add_argument("--dropout", type=float, default=0.4)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--use-bn", action="store_true")
    p.add_argument("--pool", choices=["max", "avg"], default="max")
    return p.parse_args(argv)


def build_model(args):
    Pool = tf.keras.layers.MaxPooling2D if args.pool == "max" else tf.keras.layers.AveragePooling2D
    inputs = tf.keras.Input(shape=(args.img_size, args.img_size, args.channels))
    x = inputs
    for n in args.filters:
        x = tf.keras.layers.Conv2D(n, 3, padding="same")(x)
        if args.use_bn:
            x = tf.keras.layers.BatchNormalization()(x)
        x = tf.keras.layers.Activation("relu")(x)
        x = Pool(pool_size=2)(x)
    x = tf.keras.layers.Flatten()(x)
    x = tf.keras.layers.Dense(args.dense, activation="relu")(x)
    x = tf.keras.layers.Dropout(args.dropout)(x)
    outputs = tf.keras.layers.Dense(args.num_classes, activation="softmax")(x)
    return tf.keras.Model(inputs=inputs, outputs=outputs)


def load_data(args, n=24):
    x = np.random.rand(n, args.img_size, args.img_size, args.channels).astype("float32")
    y = tf.keras.utils.to_categorical(np.random.randint(args.num_classes, size=n),
                                      num_classes=args.num_classes)
    return x, y


def main():
    args = parse_args([])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    x, y = load_data(args)
    model = build_model(args)
    model.summary(print_fn=lambda *a, **k: None)
    model.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0)
    preds = model.predict(x[:4], verbose=0)
    print(preds.shape, file=sys.stderr)
    return 0


if __name__ == "__main__":
    main()

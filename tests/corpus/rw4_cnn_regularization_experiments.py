#!/usr/bin/env python
"""Small ablation over CNN regularisation knobs (L2, dropout, batchnorm, noise).

Usage: python rw4_cnn_regularization_experiments.py
Everything is random data, so the numbers only show that the grid runs.
"""
import itertools
import json

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, regularizers

INPUT_SHAPE = (28, 28, 1)
N_CLASSES = 10
N_TRAIN, N_TEST = 48, 16

np.random.seed(0)
tf.random.set_seed(0)
x_train = np.random.rand(N_TRAIN, *INPUT_SHAPE).astype("float32")
y_train = np.random.randint(0, N_CLASSES, N_TRAIN)
x_test = np.random.rand(N_TEST, *INPUT_SHAPE).astype("float32")
y_test = np.random.randint(0, N_CLASSES, N_TEST)


def conv_block(x, filters, l2, dropout, batchnorm, idx, leaky=False):
    reg = regularizers.l2(l2) if l2 > 0 else None
    x = layers.Conv2D(filters, (3, 3), padding="same", kernel_regularizer=reg,
                      use_bias=not batchnorm, name="conv%d_1" % idx)(x)
    if batchnorm:
        x = layers.BatchNormalization(name="bn%d_1" % idx)(x)
    x = layers.LeakyReLU(negative_slope=0.1)(x) if leaky else layers.ReLU()(x)
    x = layers.Conv2D(filters, (3, 3), padding="same", kernel_regularizer=reg,
                      name="conv%d_2" % idx)(x)
    x = layers.ReLU(max_value=6.0)(x)
    x = layers.MaxPooling2D(2, name="pool%d" % idx)(x)
    if dropout > 0:
        x = layers.SpatialDropout2D(dropout, name="sdrop%d" % idx)(x)
    return x


def build_cnn(filters, dropout, l2, batchnorm, noise=0.0, leaky=False):
    inp = keras.Input(shape=INPUT_SHAPE)
    x = inp
    if noise:
        x = layers.GaussianNoise(noise)(x)
    for i, f in enumerate(filters):
        x = conv_block(x, f, l2, dropout, batchnorm, i, leaky=leaky)
    x = layers.Flatten()(x)
    x = layers.Dense(64, kernel_regularizer=regularizers.l2(l2) if l2 else None)(x)
    x = layers.LeakyReLU()(x) if leaky else layers.Activation("relu")(x)
    x = layers.Dropout(dropout * 2)(x)
    out = layers.Dense(N_CLASSES, activation="softmax")(x)
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


# The grid: a couple of hand-picked configs + a tiny cartesian product
configs = [
    {"name": "baseline", "filters": [16, 32], "dropout": 0.0, "l2": 0.0, "batchnorm": False},
    {"name": "heavy_reg", "filters": [16, 32], "dropout": 0.3, "l2": 1e-3, "batchnorm": True,
     "noise": 0.1, "leaky": True},
]
for do, bn in itertools.product([0.25], [True, False]):
    configs.append({
        "name": "do{}_bn{}".format(do, int(bn)),
        "filters": [8, 16, 32],
        "dropout": do,
        "l2": 5e-4,
        "batchnorm": bn,
    })

results = {}
for cfg in configs:
    keras.backend.clear_session()
    model = build_cnn(cfg["filters"], cfg["dropout"], cfg["l2"], cfg["batchnorm"],
                      noise=cfg.get("noise", 0.0), leaky=cfg.get("leaky", False))
    if cfg["name"] == "heavy_reg":
        model.summary()
    history = model.fit(
        x_train, y_train,
        validation_split=0.25,
        epochs=1,
        batch_size=16,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    results[cfg["name"]] = {
        "train_loss": float(history.history["loss"][-1]),
        "val_loss": float(history.history["val_loss"][-1]),
        "test_acc": float(test_acc),
        "reg_losses": len(model.losses),
        "params": model.count_params(),
        "output_shape": list(model.predict(x_test[:2], verbose=0).shape),
    }
    print("%-12s loss=%.4f val=%.4f params=%d" % (
        cfg["name"], results[cfg["name"]]["train_loss"],
        results[cfg["name"]]["val_loss"], results[cfg["name"]]["params"]))

best = min(results, key=lambda k: results[k]["val_loss"])
print("best config:", best)
print(json.dumps(results, indent=2))

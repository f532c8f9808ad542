#!/usr/bin/env python
"""Poor man's hyperparameter search (no keras-tuner on this box).

create_model(**hp) builds an MLP for a synthetic tabular regression+binary
problem; we try a small grid and then a few random configs, keep the best
by val loss and retrain it a little longer.  K.clear_session() between runs
like in the old KerasClassifier/GridSearchCV recipes.
"""
import itertools
import json
import random
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import backend as K
from tensorflow.keras import layers, regularizers

N_SAMPLES = 600
N_FEATURES = 12
VAL_FRAC = 0.25
EPOCHS_SEARCH = 2
EPOCHS_FINAL = 2
SEED = 3

GRID = {
    "n_layers": [1, 2],
    "units": [16, 48],
    "dropout": [0.0, 0.25],
}
RANDOM_SPACE = {
    "n_layers": [1, 2, 3],
    "units": [8, 16, 32, 64],
    "dropout": [0.0, 0.1, 0.3],
    "activation": ["relu", "elu", "selu"],
    "lr": [3e-4, 1e-3, 3e-3, 1e-2],
    "l2": [0.0, 1e-4, 1e-3],
    "batch_size": [16, 32, 64],
}
N_RANDOM = 3
DEFAULTS = {"activation": "relu", "lr": 1e-3, "l2": 0.0, "batch_size": 32, "batchnorm": False}


def make_data(n=N_SAMPLES, d=N_FEATURES, seed=SEED):
    rs = np.random.RandomState(seed)
    X = rs.normal(size=(n, d)).astype("float32")
    w = rs.normal(size=(d,))
    logits = X @ w + 0.5 * X[:, 0] * X[:, 1] - 0.3 * X[:, 2] ** 2
    y = (logits + rs.normal(scale=0.5, size=n) > 0).astype("float32")
    # standardise with train statistics only
    n_val = int(n * VAL_FRAC)
    mu, sd = X[n_val:].mean(0), X[n_val:].std(0) + 1e-7
    X = (X - mu) / sd
    return (X[n_val:], y[n_val:]), (X[:n_val], y[:n_val])


def create_model(n_layers=1, units=32, dropout=0.0, activation="relu", lr=1e-3,
                 l2=0.0, batchnorm=False, input_dim=N_FEATURES, **_unused):
    model = keras.Sequential(name=f"mlp_{n_layers}x{units}")
    model.add(layers.Input(shape=(input_dim,)))
    for i in range(n_layers):
        model.add(layers.Dense(
            units,
            kernel_regularizer=regularizers.l2(l2) if l2 else None,
            kernel_initializer="lecun_normal" if activation == "selu" else "glorot_uniform",
            name=f"dense_{i}",
        ))
        if batchnorm:
            model.add(layers.BatchNormalization())
        model.add(layers.Activation(activation))
        if dropout > 0:
            # AlphaDropout goes with selu in the old recipes
            drop_cls = layers.AlphaDropout if activation == "selu" else layers.Dropout
            model.add(drop_cls(dropout))
        units = max(units // 2, 4)  # funnel shape
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss="binary_crossentropy",
        metrics=["accuracy", keras.metrics.AUC(name="auc")],
    )
    return model


def run_trial(hp, train, val, epochs):
    K.clear_session()
    tf.random.set_seed(SEED)
    cfg = {**DEFAULTS, **hp}
    model = create_model(**cfg)
    t0 = time.time()
    hist = model.fit(
        *train,
        validation_data=val,
        epochs=epochs,
        batch_size=cfg["batch_size"],
        verbose=0,
    )
    best_epoch = int(np.argmin(hist.history["val_loss"]))
    return {
        "config": cfg,
        "val_loss": float(hist.history["val_loss"][best_epoch]),
        "val_auc": float(hist.history["val_auc"][best_epoch]),
        "val_accuracy": float(hist.history["val_accuracy"][best_epoch]),
        "params": model.count_params(),
        "seconds": round(time.time() - t0, 2),
    }


def grid_configs(grid):
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        yield dict(zip(keys, values))


def random_configs(space, n, seed=SEED):
    rnd = random.Random(seed)
    return [{k: rnd.choice(v) for k, v in space.items()} for _ in range(n)]


def main():
    train, val = make_data()
    print(f"train={train[0].shape} val={val[0].shape} pos_rate={train[1].mean():.2f}")

    # full grid is 8 configs; keep every other one so the search stays quick
    configs = list(grid_configs(GRID))[::2] + random_configs(RANDOM_SPACE, N_RANDOM)
    results = []
    for i, hp in enumerate(configs, 1):
        res = run_trial(hp, train, val, EPOCHS_SEARCH)
        results.append(res)
        short = {k: v for k, v in res["config"].items() if k in hp}
        print(f"[{i:2d}/{len(configs)}] val_loss={res['val_loss']:.4f} "
              f"auc={res['val_auc']:.3f} params={res['params']:5d} {short}")

    results.sort(key=lambda r: r["val_loss"])
    print("\nTop 3:")
    for r in results[:3]:
        print(json.dumps({k: r[k] for k in ("val_loss", "val_auc", "params")}), r["config"])

    best_cfg = results[0]["config"]
    print("\nRetraining best config with batchnorm on:", best_cfg)
    K.clear_session()
    final = create_model(**{**best_cfg, "batchnorm": True})
    final.fit(*train, validation_data=val, epochs=EPOCHS_FINAL,
              batch_size=best_cfg["batch_size"], verbose=2)
    scores = final.evaluate(*val, verbose=0, return_dict=True)
    print("final:", {k: round(v, 4) for k, v in scores.items()})

    with open("/tmp/rw116_hparam_results.json", "w") as fh:
        json.dump(results, fh, indent=1)
    print("wrote /tmp/rw116_hparam_results.json")


if __name__ == "__main__":
    main()

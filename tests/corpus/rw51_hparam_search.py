"""Manual hyperparameter search for a tabular regressor.

No keras-tuner here: configs are plain dicts, sampled from a small search
space, models are built from the dict, trained briefly, and ranked by
validation loss. The best config is then retrained on train+val.
"""
import copy
import itertools
import json
import random
import time

import numpy as np
import tensorflow as tf

keras = tf.keras
layers = tf.keras.layers

SEARCH_SPACE = {
    "n_layers": [1, 2, 3],
    "units": [16, 32, 64],
    "activation": ["relu", "elu", "swish"],
    "dropout": [0.0, 0.1, 0.3],
    "l2": [0.0, 1e-4, 1e-3],
    "optimizer": ["adam", "rmsprop", "sgd"],
    "learning_rate": [1e-3, 3e-3, 1e-2],
    "batch_norm": [False, True],
    "residual": [False, True],
}
BASE_CONFIG = {"batch_size": 64, "epochs": 2, "loss": "huber"}
N_TRIALS = 4
SEED = 42


def load_data(seed=SEED):
    """Synthetic 'California-housing-like' data: 10 numeric features, skewed target."""
    rng = np.random.RandomState(seed)
    n = 1500
    X = rng.lognormal(size=(n, 10)).astype(np.float32)
    X[:, 5:] = rng.normal(size=(n, 5))
    y = (np.log1p(X[:, 0]) * 1.5 + np.sqrt(X[:, 1]) - 0.3 * X[:, 5] ** 2
         + 0.2 * X[:, 6] * X[:, 7] + rng.normal(scale=0.2, size=n))
    idx = rng.permutation(n)
    tr, va, te = idx[:1000], idx[1000:1250], idx[1250:]
    return (X[tr], y[tr]), (X[va], y[va]), (X[te], y[te])


def make_optimizer(name, lr):
    optimizers = {
        "adam": lambda: keras.optimizers.Adam(learning_rate=lr),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate=lr),
        "sgd": lambda: keras.optimizers.SGD(learning_rate=lr, momentum=0.9,
                                            nesterov=True),
    }
    return optimizers[name]()


def build_model(cfg, normalizer):
    reg = keras.regularizers.l2(cfg["l2"]) if cfg["l2"] > 0 else None
    inputs = keras.Input(shape=(10,))
    x = normalizer(inputs)
    x = layers.Dense(cfg["units"], kernel_regularizer=reg)(x)
    for i in range(cfg["n_layers"]):
        shortcut = x
        x = layers.Dense(cfg["units"], kernel_regularizer=reg, name=f"block{i}_dense")(x)
        if cfg["batch_norm"]:
            x = layers.BatchNormalization(name=f"block{i}_bn")(x)
        x = layers.Activation(cfg["activation"])(x)
        if cfg["dropout"] > 0:
            x = layers.Dropout(cfg["dropout"])(x)
        if cfg["residual"]:
            x = layers.Add(name=f"block{i}_add")([x, shortcut])
    outputs = layers.Dense(1)(x)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=make_optimizer(cfg["optimizer"], cfg["learning_rate"]),
                  loss=cfg["loss"], metrics=["mae"])
    return model


def sample_configs(space, n, seed=SEED):
    rnd = random.Random(seed)
    keys = sorted(space)
    grid = list(itertools.product(*(space[k] for k in keys)))
    print(f"full grid has {len(grid)} combos; sampling {n}")
    for combo in rnd.sample(grid, n):
        cfg = copy.deepcopy(BASE_CONFIG)
        cfg.update(dict(zip(keys, combo)))
        yield cfg


def run_trial(cfg, data, normalizer):
    (x_tr, y_tr), (x_va, y_va) = data
    keras.backend.clear_session()
    tf.random.set_seed(SEED)
    model = build_model(cfg, normalizer)
    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=1,
                                          restore_best_weights=True)
    t0 = time.time()
    hist = model.fit(x_tr, y_tr, validation_data=(x_va, y_va),
                     batch_size=cfg["batch_size"], epochs=cfg["epochs"],
                     callbacks=[early], verbose=0)
    best_val = float(np.min(hist.history["val_loss"]))
    return {"config": cfg, "val_loss": best_val,
            "params": model.count_params(), "seconds": time.time() - t0}


def main():
    train, val, test = load_data()
    normalizer = layers.Normalization(axis=-1)
    normalizer.adapt(train[0])

    results = []
    for trial_id, cfg in enumerate(sample_configs(SEARCH_SPACE, N_TRIALS)):
        res = run_trial(cfg, (train, val), normalizer)
        results.append(res)
        short = {k: cfg[k] for k in ("n_layers", "units", "activation",
                                     "optimizer", "learning_rate")}
        print(f"trial {trial_id}: val_loss={res['val_loss']:.4f} "
              f"params={res['params']:5d} {short}")

    results.sort(key=lambda r: r["val_loss"])
    best = results[0]
    print("\nbest config:\n" + json.dumps(best["config"], indent=2))

    # retrain on train + val with the winning config
    x_full = np.concatenate([train[0], val[0]])
    y_full = np.concatenate([train[1], val[1]])
    keras.backend.clear_session()
    final = build_model(best["config"], normalizer)
    final.fit(x_full, y_full, batch_size=best["config"]["batch_size"],
              epochs=best["config"]["epochs"], verbose=0)
    test_loss, test_mae = final.evaluate(*test, verbose=0)
    print(f"final model: test loss={test_loss:.4f} mae={test_mae:.4f}")

    leaderboard = [{"rank": i + 1, "val_loss": round(r["val_loss"], 4),
                    "units": r["config"]["units"], "layers": r["config"]["n_layers"]}
                   for i, r in enumerate(results)]
    print(json.dumps(leaderboard[:3]))


if __name__ == "__main__":
    main()

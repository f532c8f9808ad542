"""Ensembling and stacking Keras regressors for a tabular problem.

1. Train K base models of different architectures on bootstrap resamples.
2. Average their predictions (simple ensemble) -- both in numpy and as a
   single Keras graph via layers.Average.
3. Stack: fit a small meta-model on the out-of-fold base predictions
   concatenated with the raw features.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class EnsembleConfig:
    n_features: int = 12
    n_samples: int = 800
    n_folds: int = 2
    epochs: int = 2
    batch_size: int = 64
    seed: int = 2024
    architectures: list = field(default_factory=lambda: [
        {"name": "wide", "hidden": [128], "act": "relu"},
        {"name": "deep", "hidden": [32, 32, 32], "act": "elu"},
        {"name": "tiny", "hidden": [8], "act": "tanh"},
    ])


CFG = EnsembleConfig()
keras.utils.set_random_seed(CFG.seed)


def make_friedman_like(n, d, rng):
    X = rng.uniform(size=(n, d)).astype("float32")
    y = (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2
         + 10 * X[:, 3] + 5 * X[:, 4] + rng.normal(size=n))
    return X, y.astype("float32").reshape(-1, 1)


def build_base(arch, n_features, name_suffix=""):
    inp = keras.Input((n_features,), name="features")
    x = inp
    for i, units in enumerate(arch["hidden"]):
        x = layers.Dense(units, activation=arch["act"])(x)
    out = layers.Dense(1)(x)
    model = keras.Model(inp, out, name=f"{arch['name']}{name_suffix}")
    model.compile(optimizer=keras.optimizers.Adam(5e-3), loss="mse")
    return model


def kfold_indices(n, k, rng):
    idx = rng.permutation(n)
    return np.array_split(idx, k)


def train_out_of_fold(arch, X, y, cfg, rng):
    """Return out-of-fold predictions and the list of per-fold models."""
    oof = np.zeros_like(y)
    models = []
    folds = kfold_indices(len(X), cfg.n_folds, rng)
    for f, val_idx in enumerate(folds):
        train_idx = np.setdiff1d(np.arange(len(X)), val_idx)
        # bootstrap inside the training fold for extra diversity
        boot = rng.choice(train_idx, size=len(train_idx), replace=True)
        m = build_base(arch, cfg.n_features, name_suffix=f"_fold{f}")
        m.fit(X[boot], y[boot], epochs=cfg.epochs, batch_size=cfg.batch_size,
              verbose=0)
        # small arrays: calling the model directly avoids predict() retracing
        oof[val_idx] = m(X[val_idx], training=False).numpy()
        models.append(m)
    return oof, models


def averaged_ensemble(models, n_features):
    """Wrap trained models in a single functional graph that averages outputs."""
    inp = keras.Input((n_features,), name="features")
    outs = [m(inp) for m in models]
    avg = layers.Average(name="mean_prediction")(outs)
    # also expose the spread between members as an uncertainty proxy
    stacked = layers.Concatenate(axis=-1)(outs)
    spread = layers.Lambda(lambda t: keras.ops.std(t, axis=-1, keepdims=True),
                           name="member_std")(stacked)
    return keras.Model(inp, [avg, spread], name="averaging_ensemble")


class StackingHead(keras.Model):
    """Meta-learner: combines base predictions with the raw features.

    A softmax-gated weighted average of the base predictions plus a small
    residual MLP on the features.
    """

    def __init__(self, n_base, **kwargs):
        super().__init__(**kwargs)
        self.n_base = n_base
        self.gate = layers.Dense(n_base, activation="softmax", name="gate")
        self.residual = keras.Sequential([
            layers.Dense(16, activation="relu"),
            layers.Dense(1, kernel_initializer="zeros"),
        ], name="residual_mlp")

    def call(self, inputs):
        base_preds, feats = inputs["base_preds"], inputs["features"]
        w = self.gate(feats)                                     # (B, n_base)
        blended = tf.reduce_sum(w * base_preds, axis=-1, keepdims=True)
        return blended + self.residual(tf.concat([feats, base_preds], axis=-1))


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def main(cfg=CFG):
    rng = np.random.default_rng(cfg.seed)
    X, y = make_friedman_like(cfg.n_samples, cfg.n_features, rng)
    X_test, y_test = make_friedman_like(300, cfg.n_features, rng)

    oof_cols, test_cols, all_models = [], [], []
    for arch in cfg.architectures:
        oof, models = train_out_of_fold(arch, X, y, cfg, rng)
        fold_test = np.mean([m(X_test).numpy() for m in models], axis=0)
        print(f"{arch['name']:>5s}: OOF rmse={rmse(oof, y):.3f}  "
              f"test rmse={rmse(fold_test, y_test):.3f}")
        oof_cols.append(oof)
        test_cols.append(fold_test)
        all_models.extend(models)

    base_oof = np.concatenate(oof_cols, axis=1)      # (N, n_arch)
    base_test = np.concatenate(test_cols, axis=1)

    simple_avg = base_test.mean(axis=1, keepdims=True)
    print(f"simple average test rmse: {rmse(simple_avg, y_test):.3f}")

    ens = averaged_ensemble(all_models, cfg.n_features)
    mean_pred, spread = ens.predict(X_test, verbose=0)
    print("keras averaging ensemble:", mean_pred.shape, spread.shape,
          f"rmse={rmse(mean_pred, y_test):.3f}  mean spread={spread.mean():.3f}")
    # every member sees the same input so the numpy and graph averages agree
    all_member = np.mean([m(X_test).numpy() for m in all_models], axis=0)
    np.testing.assert_allclose(mean_pred, all_member, rtol=1e-4, atol=1e-4)

    stacker = StackingHead(n_base=base_oof.shape[1], name="stacker")
    stacker.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    stack_ds = (tf.data.Dataset.from_tensor_slices(
        ({"base_preds": base_oof, "features": X}, y))
        .shuffle(1024, seed=cfg.seed).batch(cfg.batch_size))
    stacker.fit(stack_ds, epochs=cfg.epochs * 2, verbose=0)
    stacked_pred = stacker.predict({"base_preds": base_test, "features": X_test},
                                   verbose=0)
    print(f"stacked model test rmse: {rmse(stacked_pred, y_test):.3f}")
    gates = stacker.gate(X_test[:5]).numpy()
    print("example gate weights:\n", np.round(gates, 3))


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
"""MoA-style multilabel tabular pipeline with two-level stacking.

Level 1: two different nets (a "ResNet-like" two-branch MLP and a plain MLP),
         each trained with K-fold CV -> OOF probabilities for all targets.
Level 2: a small meta-model trained (again K-fold) on the concatenated OOF
         probabilities, i.e. classic stacking.
Loss is BCE with label smoothing, metric is the competition's mean column-wise
log-loss on *unsmoothed* labels with clipped predictions.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


class P:
    SEED = 1234
    N_GENES = 40      # "g-" columns
    N_CELLS = 10      # "c-" columns
    N_TARGETS = 16
    N_TRAIN = 1000
    N_TEST = 250
    FOLDS = 3
    EPOCHS = 2
    BATCH = 128
    SMOOTHING = 1e-3
    P_MIN, P_MAX = 5e-4, 1 - 5e-4


keras.utils.set_random_seed(P.SEED)


def generate():
    n = P.N_TRAIN + P.N_TEST
    genes = np.random.normal(size=(n, P.N_GENES)).astype("float32")
    cells = np.random.normal(size=(n, P.N_CELLS)).astype("float32")
    cp_time = np.random.choice([24, 48, 72], size=(n, 1)).astype("float32") / 72.0
    cp_dose = np.random.randint(0, 2, size=(n, 1)).astype("float32")
    X = np.concatenate([cp_time, cp_dose, genes, cells], axis=1)
    W = np.random.normal(scale=0.6, size=(X.shape[1], P.N_TARGETS))
    logits = X @ W - 3.0                      # rare positives, like MoA
    Y = (np.random.rand(n, P.N_TARGETS) < 1 / (1 + np.exp(-logits))).astype("float32")
    return X[: P.N_TRAIN], Y[: P.N_TRAIN], X[P.N_TRAIN :]


def smoothed_bce(y_true, y_pred):
    y_true = y_true * (1.0 - P.SMOOTHING) + 0.5 * P.SMOOTHING
    y_pred = ops.clip(y_pred, 1e-7, 1 - 1e-7)
    bce = -(y_true * ops.log(y_pred) + (1.0 - y_true) * ops.log(1.0 - y_pred))
    return ops.mean(bce, axis=-1)


def competition_metric(Y, Yhat):
    Yhat = np.clip(Yhat, P.P_MIN, P.P_MAX)
    per_col = -np.mean(Y * np.log(Yhat) + (1 - Y) * np.log(1 - Yhat), axis=0)
    return float(per_col.mean())


# ------------------------------------------------------------------ level-1 nets
def resnet_like(n_in, n_out):
    """Two branch net from the MoA 'ResNet' public kernel: second branch sees input + branch-1."""
    inp = layers.Input((n_in,))
    b1 = layers.BatchNormalization()(inp)
    b1 = layers.Dropout(0.2)(b1)
    b1 = layers.Dense(128, activation="elu")(b1)
    b1 = layers.BatchNormalization()(b1)
    b1 = layers.Dense(64, activation="elu")(b1)

    b2 = layers.Concatenate()([b1, inp])              # (B, 64 + n_in)
    b2 = layers.BatchNormalization()(b2)
    b2 = layers.Dense(128, activation="relu")(b2)
    b2 = layers.BatchNormalization()(b2)
    b2 = layers.Dense(64, activation="relu")(b2)

    avg = layers.Average()([b1, b2])
    avg = layers.BatchNormalization()(avg)
    out = layers.Dense(n_out, activation="sigmoid")(avg)
    return keras.Model(inp, out, name="resnet_like")


def simple_mlp(n_in, n_out, hidden=(256, 128)):
    model = keras.Sequential(name="simple_mlp")
    model.add(layers.Input((n_in,)))
    model.add(layers.GaussianNoise(0.05))
    for h in hidden:
        model.add(layers.BatchNormalization())
        model.add(layers.Dropout(0.25))
        model.add(layers.Dense(h, activation="swish"))
    model.add(layers.Dense(n_out, activation="sigmoid"))
    return model


def meta_model(n_in, n_out):
    """Level-2: per-target logit features + shared dense mixing."""
    n_models = n_in // n_out
    inp = layers.Input((n_in,))
    # OOF probs -> logits, so the meta model works on an unbounded scale
    z = layers.Lambda(lambda p: ops.log(ops.clip(p, 1e-4, 1 - 1e-4)) - ops.log1p(-ops.clip(p, 1e-4, 1 - 1e-4)))(inp)
    stacked = layers.Reshape((n_models, n_out))(z)                        # (B, n_models, T)
    stacked = layers.Permute((2, 1))(stacked)                      # (B, T, n_models)
    per_target = layers.Dense(1, use_bias=True)(stacked)           # learn blend weights shared over targets
    per_target = layers.Flatten()(per_target)                      # (B, T)
    mix = layers.Dense(32, activation="relu")(z)
    mix = layers.Dense(n_out)(mix)
    out = layers.Activation("sigmoid")(layers.Add()([per_target, 0.1 * mix]))
    return keras.Model(inp, out, name="stacker")


def kfold(n, k, seed):
    perm = np.random.RandomState(seed).permutation(n)
    for part in np.array_split(perm, k):
        yield np.setdiff1d(perm, part), part


def cross_validate(build_fn, X, Y, X_test, lr=1e-3, seed=P.SEED, tag=""):
    oof = np.zeros_like(Y)
    pred = np.zeros((len(X_test), Y.shape[1]), dtype="float32")
    for fold, (tr, va) in enumerate(kfold(len(X), P.FOLDS, seed)):
        keras.backend.clear_session()
        model = build_fn(X.shape[1], Y.shape[1])
        model.compile(
            optimizer=keras.optimizers.Adam(lr),
            loss=smoothed_bce,
            metrics=[keras.metrics.BinaryCrossentropy(name="bce")],
        )
        hist = model.fit(
            X[tr], Y[tr], validation_data=(X[va], Y[va]),
            epochs=P.EPOCHS, batch_size=P.BATCH, verbose=0,
            callbacks=[keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.1, patience=3)],
        )
        oof[va] = model.predict(X[va], verbose=0)
        pred += model.predict(X_test, verbose=0) / P.FOLDS
        print(f"  {tag} fold {fold}: val_loss={hist.history['val_loss'][-1]:.5f} "
              f"metric={competition_metric(Y[va], oof[va]):.5f}")
    print(f"{tag} CV metric: {competition_metric(Y, oof):.5f}")
    return oof, pred


if __name__ == "__main__":
    X, Y, X_test = generate()
    print("train", X.shape, "targets", Y.shape, "positive rate", Y.mean().round(4))

    # ---- level 1
    oof_a, test_a = cross_validate(resnet_like, X, Y, X_test, lr=2e-3, tag="resnet_like")
    oof_b, test_b = cross_validate(simple_mlp, X, Y, X_test, lr=1e-3, seed=P.SEED + 1, tag="simple_mlp")

    print("simple average  :", round(competition_metric(Y, 0.5 * (oof_a + oof_b)), 5))

    # ---- level 2 (stacking); different fold seed to avoid re-using exactly the same split
    L2_train = np.hstack([oof_a, oof_b]).astype("float32")     # (N, 2*T)
    L2_test = np.hstack([test_a, test_b]).astype("float32")
    oof_meta, test_meta = cross_validate(meta_model, L2_train, Y, L2_test, lr=5e-3,
                                         seed=P.SEED + 7, tag="stacker")

    final = np.clip(test_meta, P.P_MIN, P.P_MAX)
    print("submission matrix:", final.shape, "min/max:", final.min().round(4), final.max().round(4))

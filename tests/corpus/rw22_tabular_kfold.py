"""Tabular Playground - Keras MLP with K-fold CV and out-of-fold predictions.

No sklearn on the competition image, so folds are built with plain numpy.
Each fold gets a fresh model; OOF predictions are used to compute the CV AUC
(rank-based, implemented below) and test predictions are averaged.
"""
import gc

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, regularizers

CFG = {
    "seed": 42,
    "n_folds": 4,
    "n_train": 600,
    "n_test": 150,
    "n_num": 12,
    "cat_cardinalities": [5, 8, 3],
    "hidden": [128, 64, 32],
    "dropout": 0.2,
    "l2": 1e-5,
    "lr": 3e-3,
    "batch_size": 128,
    "epochs": 1,
}

rng = np.random.default_rng(CFG["seed"])
tf.random.set_seed(CFG["seed"])


def make_frame(n, with_target=True):
    num = rng.normal(size=(n, CFG["n_num"])).astype("float32")
    cats = np.stack([rng.integers(0, c, size=n) for c in CFG["cat_cardinalities"]], axis=1)
    if not with_target:
        return num, cats, None
    logits = num[:, 0] * 1.2 - num[:, 3] + 0.5 * (cats[:, 0] == 2) + rng.normal(scale=0.5, size=n)
    y = (logits > 0).astype("float32")
    return num, cats, y


def kfold_indices(n, n_folds, seed):
    """Shuffle once and split into roughly equal contiguous chunks."""
    idx = np.random.RandomState(seed).permutation(n)
    folds = np.array_split(idx, n_folds)
    for k in range(n_folds):
        val_idx = folds[k]
        tr_idx = np.concatenate([folds[j] for j in range(n_folds) if j != k])
        yield k, tr_idx, val_idx


def roc_auc(y_true, y_score):
    order = np.argsort(y_score)
    ranks = np.empty_like(order, dtype=np.float64)
    ranks[order] = np.arange(1, len(y_score) + 1)
    n_pos = y_true.sum()
    n_neg = len(y_true) - n_pos
    return (ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def build_mlp(num_mean, num_var):
    num_in = keras.Input(shape=(CFG["n_num"],), name="num")
    cat_inputs, cat_embs = [], []
    for i, card in enumerate(CFG["cat_cardinalities"]):
        inp = keras.Input(shape=(1,), dtype="int32", name=f"cat_{i}")
        emb_dim = min(8, (card + 1) // 2)
        e = layers.Embedding(card, emb_dim, name=f"emb_{i}")(inp)
        cat_inputs.append(inp)
        cat_embs.append(layers.Flatten()(e))

    x = layers.Normalization(mean=num_mean, variance=num_var, name="num_norm")(num_in)
    x = layers.Concatenate()([x] + cat_embs)
    for units in CFG["hidden"]:
        x = layers.Dense(units, kernel_regularizer=regularizers.l2(CFG["l2"]))(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("swish")(x)
        x = layers.Dropout(CFG["dropout"])(x)
    out = layers.Dense(1, activation="sigmoid", name="target")(x)

    model = keras.Model([num_in] + cat_inputs, out)
    model.compile(
        optimizer=keras.optimizers.Adam(CFG["lr"]),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
    )
    return model


def to_inputs(num, cats):
    feed = {"num": num}
    for i in range(cats.shape[1]):
        feed[f"cat_{i}"] = cats[:, i : i + 1].astype("int32")
    return feed


X_num, X_cat, y = make_frame(CFG["n_train"])
T_num, T_cat, _ = make_frame(CFG["n_test"], with_target=False)
print(f"train positives: {y.mean():.3f}")

oof = np.zeros(len(y), dtype="float32")
test_preds = np.zeros(len(T_num), dtype="float32")
fold_scores = []

for fold, tr_idx, val_idx in kfold_indices(len(y), CFG["n_folds"], CFG["seed"]):
    print(f"\n===== fold {fold} | train {len(tr_idx)} | valid {len(val_idx)} =====")
    keras.backend.clear_session()

    mean = X_num[tr_idx].mean(axis=0)
    var = X_num[tr_idx].var(axis=0)
    model = build_mlp(mean, var)

    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=5, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.3, patience=2, verbose=0),
    ]
    model.fit(
        to_inputs(X_num[tr_idx], X_cat[tr_idx]),
        y[tr_idx],
        validation_data=(to_inputs(X_num[val_idx], X_cat[val_idx]), y[val_idx]),
        epochs=CFG["epochs"],
        batch_size=CFG["batch_size"],
        callbacks=callbacks,
        verbose=2,
    )

    oof[val_idx] = model.predict(to_inputs(X_num[val_idx], X_cat[val_idx]), verbose=0).ravel()
    test_preds += model.predict(to_inputs(T_num, T_cat), verbose=0).ravel() / CFG["n_folds"]

    score = roc_auc(y[val_idx], oof[val_idx])
    fold_scores.append(score)
    print(f"fold {fold} AUC: {score:.4f}")

    del model
    gc.collect()

print("\nfold AUCs:", np.round(fold_scores, 4))
print(f"mean {np.mean(fold_scores):.4f} +- {np.std(fold_scores):.4f}")
print(f"OOF AUC: {roc_auc(y, oof):.4f}")

np.save("/tmp/tabular_oof.npy", oof)
np.save("/tmp/tabular_test_preds.npy", test_preds)
print("test pred range:", float(test_preds.min()), float(test_preds.max()))

"""K-fold cross-validation for a tabular Keras model (no sklearn needed).

Each fold gets a fresh model with a Normalization layer adapted on that
fold's training split only (no leakage), early stopping, and we keep
out-of-fold predictions plus averaged test predictions like a Kaggle kernel.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_FOLDS = 4
N_SAMPLES = 400
N_NUM = 12          # numeric features
N_CAT = 3           # categorical columns
CAT_CARD = [5, 7, 4]
BATCH = 64
EPOCHS = 2
SEED = 2024

np.random.seed(SEED)
keras.utils.set_random_seed(SEED)
TRUE_W = np.random.randn(N_NUM)  # shared "ground truth" so train/test match


def make_tabular(n):
    x_num = np.random.randn(n, N_NUM).astype("float32") * 3.0 + 1.0
    x_cat = np.stack([np.random.randint(0, c, size=n) for c in CAT_CARD], axis=1).astype("int32")
    logit = x_num @ TRUE_W * 0.3 + (x_cat[:, 0] == 2) * 1.5 - (x_cat[:, 1] > 3) * 0.8
    y = (logit + np.random.randn(n) * 0.5 > 0).astype("float32")
    return x_num, x_cat, y


def kfold_indices(n, k, shuffle=True, seed=0):
    idx = np.arange(n)
    if shuffle:
        np.random.default_rng(seed).shuffle(idx)
    folds = np.array_split(idx, k)
    for i in range(k):
        val_idx = folds[i]
        train_idx = np.concatenate([folds[j] for j in range(k) if j != i])
        yield i, train_idx, val_idx


def build_model(x_num_train):
    num_in = keras.Input(shape=(N_NUM,), name="num")
    cat_in = keras.Input(shape=(N_CAT,), dtype="int32", name="cat")

    norm = layers.Normalization(name="num_norm")
    norm.adapt(x_num_train)
    h_num = norm(num_in)

    embeds = []
    for i, card in enumerate(CAT_CARD):
        col = layers.Lambda(lambda t, i=i: t[:, i], name=f"cat_col_{i}")(cat_in)
        emb_dim = min(8, (card + 1) // 2)
        e = layers.Embedding(card, emb_dim, name=f"emb_{i}")(col)
        embeds.append(e)
    h = layers.Concatenate()([h_num] + embeds)
    h = layers.Dense(64, activation="relu")(h)
    h = layers.Dropout(0.2)(h)
    h = layers.Dense(32, activation="relu")(h)
    out = layers.Dense(1, activation="sigmoid", name="prob")(h)

    model = keras.Model({"num": num_in, "cat": cat_in}, out)
    model.compile(
        optimizer=keras.optimizers.Adam(3e-3),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc"), "accuracy"],
    )
    return model


def to_dataset(x_num, x_cat, y=None, shuffle=False):
    feats = {"num": x_num, "cat": x_cat}
    ds = tf.data.Dataset.from_tensor_slices((feats, y) if y is not None else feats)
    if shuffle:
        ds = ds.shuffle(len(x_num), seed=SEED)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


def binary_auc(y_true, y_score):
    # rank-based AUC (Mann-Whitney U)
    order = np.argsort(y_score)
    ranks = np.empty_like(order, dtype=np.float64)
    ranks[order] = np.arange(1, len(y_score) + 1)
    pos = y_true == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def main():
    x_num, x_cat, y = make_tabular(N_SAMPLES)
    xt_num, xt_cat, yt = make_tabular(100)

    oof = np.zeros(N_SAMPLES, dtype="float32")
    test_pred = np.zeros(len(yt), dtype="float32")
    fold_scores = []

    for fold, tr, va in kfold_indices(N_SAMPLES, N_FOLDS, seed=SEED):
        keras.backend.clear_session()
        model = build_model(x_num[tr])
        train_ds = to_dataset(x_num[tr], x_cat[tr], y[tr], shuffle=True)
        val_ds = to_dataset(x_num[va], x_cat[va], y[va])
        cb = [keras.callbacks.EarlyStopping(monitor="val_auc", mode="max",
                                            patience=2, restore_best_weights=True)]
        model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, callbacks=cb, verbose=0)

        oof[va] = model.predict(val_ds, verbose=0).ravel()
        test_pred += model.predict(to_dataset(xt_num, xt_cat), verbose=0).ravel() / N_FOLDS
        score = binary_auc(y[va], oof[va])
        fold_scores.append(score)
        print(f"fold {fold}: train={len(tr)} val={len(va)} auc={score:.4f}")

    fold_scores = np.array(fold_scores)
    print(f"CV AUC: {fold_scores.mean():.4f} +/- {fold_scores.std():.4f}")
    print(f"OOF AUC: {binary_auc(y, oof):.4f}")
    print(f"Test AUC (fold-averaged): {binary_auc(yt, test_pred):.4f}")


if __name__ == "__main__":
    main()

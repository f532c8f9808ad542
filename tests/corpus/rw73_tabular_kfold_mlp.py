"""
Tabular playground - KFold MLP baseline w/ categorical embeddings.

Notebook export (cleaned up a bit). Feature engineering is done in plain numpy
because the kernel image I used didn't have a recent pandas. Data here is
synthetic so the notebook can run offline.
"""
import os
import gc
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ------------------------------------------------------------------
# CONFIG (globals, notebook style)
# ------------------------------------------------------------------
SEED = 42
N_TRAIN = 1200
N_TEST = 400
N_NUM = 8
CAT_CARDS = [12, 7, 30, 4]   # cardinality of each categorical column
N_FOLDS = 3
EPOCHS = 1
BATCH_SIZE = 128
LR = 3e-3
DEBUG = True

np.random.seed(SEED)
tf.random.set_seed(SEED)


def seed_everything(seed=SEED):
    np.random.seed(seed)
    tf.random.set_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)


seed_everything()

# ------------------------------------------------------------------
# fake "train.csv" / "test.csv"
# ------------------------------------------------------------------
def make_fake_data(n, rng):
    X_num = rng.normal(size=(n, N_NUM)).astype("float32")
    X_num[:, 0] = np.exp(X_num[:, 0])          # skewed column, like "amount"
    X_num[:, 3] = np.abs(X_num[:, 3]) * 100.0   # another ugly one
    X_cat = np.stack([rng.integers(0, c, size=n) for c in CAT_CARDS], axis=1)
    logits = 0.8 * X_num[:, 1] - 0.5 * X_num[:, 2] + 0.3 * (X_cat[:, 0] % 3) - 0.2
    y = (logits + rng.normal(scale=0.7, size=n) > 0).astype("float32")
    # sprinkle some NaNs like the real data
    mask = rng.random(size=X_num.shape) < 0.03
    X_num[mask] = np.nan
    return X_num, X_cat, y


rng = np.random.default_rng(SEED)
train_num, train_cat, target = make_fake_data(N_TRAIN, rng)
test_num, test_cat, _ = make_fake_data(N_TEST, rng)
print("train:", train_num.shape, train_cat.shape, "test:", test_num.shape)
print("target mean: %.4f" % target.mean())

# ------------------------------------------------------------------
# FE
# ------------------------------------------------------------------
# nan flags + median fill (medians from train only!)
nan_flags_tr = np.isnan(train_num).astype("float32")
nan_flags_te = np.isnan(test_num).astype("float32")
medians = np.nanmedian(train_num, axis=0)
train_num = np.where(np.isnan(train_num), medians[None, :], train_num)
test_num = np.where(np.isnan(test_num), medians[None, :], test_num)

# log1p on skewed columns
SKEWED = [0, 3]
for c in SKEWED:
    train_num[:, c] = np.log1p(np.clip(train_num[:, c], 0, None))
    test_num[:, c] = np.log1p(np.clip(test_num[:, c], 0, None))


# frequency encoding computed on train+test (classic kaggle leak-ish trick)
def freq_encode(col_tr, col_te, card):
    full = np.concatenate([col_tr, col_te])
    counts = np.bincount(full, minlength=card).astype("float32")
    counts /= counts.sum()
    return counts[col_tr], counts[col_te]


freq_tr, freq_te = [], []
for j, card in enumerate(CAT_CARDS):
    a, b = freq_encode(train_cat[:, j], test_cat[:, j], card)
    freq_tr.append(a)
    freq_te.append(b)
freq_tr = np.stack(freq_tr, 1)
freq_te = np.stack(freq_te, 1)

# interaction features
inter_tr = np.stack([train_num[:, 1] * train_num[:, 2],
                     train_num[:, 1] - train_num[:, 4],
                     train_num[:, 5] / (np.abs(train_num[:, 6]) + 1.0)], axis=1)
inter_te = np.stack([test_num[:, 1] * test_num[:, 2],
                     test_num[:, 1] - test_num[:, 4],
                     test_num[:, 5] / (np.abs(test_num[:, 6]) + 1.0)], axis=1)

X_dense_tr = np.concatenate([train_num, nan_flags_tr, freq_tr, inter_tr], axis=1).astype("float32")
X_dense_te = np.concatenate([test_num, nan_flags_te, freq_te, inter_te], axis=1).astype("float32")

# rank-gauss-ish scaling: standardise with train stats
mu = X_dense_tr.mean(0, keepdims=True)
sd = X_dense_tr.std(0, keepdims=True) + 1e-6
X_dense_tr = (X_dense_tr - mu) / sd
X_dense_te = (X_dense_te - mu) / sd
N_DENSE = X_dense_tr.shape[1]
print("dense features:", N_DENSE)

del nan_flags_tr, nan_flags_te, freq_tr, freq_te, inter_tr, inter_te
gc.collect()


# ------------------------------------------------------------------
# target encoding inside folds (to avoid leakage)
# ------------------------------------------------------------------
def target_encode(cat_tr, y_tr, cat_apply, card, smoothing=10.0):
    prior = y_tr.mean()
    sums = np.bincount(cat_tr, weights=y_tr, minlength=card)
    cnts = np.bincount(cat_tr, minlength=card)
    enc = (sums + smoothing * prior) / (cnts + smoothing)
    return enc[cat_apply].astype("float32")


def stratified_folds(y, n_folds, seed=SEED):
    """poor man's StratifiedKFold (no sklearn on this kernel)."""
    r = np.random.RandomState(seed)
    fold_id = np.zeros(len(y), dtype=int)
    for cls in np.unique(y):
        idx = np.where(y == cls)[0]
        r.shuffle(idx)
        fold_id[idx] = np.arange(len(idx)) % n_folds
    return fold_id


def roc_auc(y_true, y_score):
    # Mann-Whitney U formulation
    order = np.argsort(y_score)
    ranks = np.empty_like(order, dtype=float)
    ranks[order] = np.arange(1, len(y_score) + 1)
    pos = y_true == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg + 1e-9)


# ------------------------------------------------------------------
# model factory
# ------------------------------------------------------------------
def emb_dim(card):
    return int(min(16, round(1.6 * card ** 0.56)))


def build_model(n_dense, cat_cards, n_te, hidden=(256, 128), dropout=0.25, lr=LR):
    dense_in = keras.Input(shape=(n_dense,), name="num_in")
    te_in = keras.Input(shape=(n_te,), name="te")
    cat_inputs, cat_embs = [], []
    for i, card in enumerate(cat_cards):
        inp = keras.Input(shape=(1,), dtype="int32", name=f"cat_{i}")
        e = layers.Embedding(card + 1, emb_dim(card), name=f"emb_{i}")(inp)
        e = layers.SpatialDropout1D(0.1)(e)
        e = layers.Reshape((emb_dim(card),))(e)
        cat_inputs.append(inp)
        cat_embs.append(e)

    x = layers.Concatenate()([dense_in, te_in] + cat_embs)
    x = layers.BatchNormalization()(x)
    for i, h in enumerate(hidden):
        x = layers.Dense(h, kernel_initializer="he_normal")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("swish")(x)
        x = layers.Dropout(dropout)(x)
    out = layers.Dense(1, activation="sigmoid", name="out")(x)

    model = keras.Model([dense_in, te_in] + cat_inputs, out)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=keras.losses.BinaryCrossentropy(label_smoothing=0.01),
        metrics=[keras.metrics.AUC(name="auc")],
    )
    return model


def make_inputs(dense, te, cats):
    d = {"num_in": dense, "te": te}
    for i in range(cats.shape[1]):
        d[f"cat_{i}"] = cats[:, i:i + 1].astype("int32")
    return d


# ------------------------------------------------------------------
# CV loop
# ------------------------------------------------------------------
folds = stratified_folds(target, N_FOLDS)
oof = np.zeros(N_TRAIN, dtype="float32")
preds = np.zeros(N_TEST, dtype="float32")
scores = []

TE_COLS = [0, 2]  # only the higher cardinality ones

for fold in range(N_FOLDS):
    t0 = time.time()
    tr_idx = np.where(folds != fold)[0]
    va_idx = np.where(folds == fold)[0]

    te_tr = np.stack([target_encode(train_cat[tr_idx, c], target[tr_idx], train_cat[tr_idx, c], CAT_CARDS[c])
                      for c in TE_COLS], 1)
    te_va = np.stack([target_encode(train_cat[tr_idx, c], target[tr_idx], train_cat[va_idx, c], CAT_CARDS[c])
                      for c in TE_COLS], 1)
    te_te = np.stack([target_encode(train_cat[tr_idx, c], target[tr_idx], test_cat[:, c], CAT_CARDS[c])
                      for c in TE_COLS], 1)

    keras.backend.clear_session()
    model = build_model(N_DENSE, CAT_CARDS, len(TE_COLS))
    if fold == 0 and DEBUG:
        model.summary(line_length=100)

    cbs = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_auc", mode="max", factor=0.5, patience=2, verbose=0),
        keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=5, restore_best_weights=True),
    ]
    hist = model.fit(
        make_inputs(X_dense_tr[tr_idx], te_tr, train_cat[tr_idx]), target[tr_idx],
        validation_data=(make_inputs(X_dense_tr[va_idx], te_va, train_cat[va_idx]), target[va_idx]),
        epochs=EPOCHS, batch_size=BATCH_SIZE, callbacks=cbs, verbose=0,
    )

    oof[va_idx] = model.predict(make_inputs(X_dense_tr[va_idx], te_va, train_cat[va_idx]),
                                batch_size=512, verbose=0).ravel()
    preds += model.predict(make_inputs(X_dense_te, te_te, test_cat), batch_size=512, verbose=0).ravel() / N_FOLDS

    sc = roc_auc(target[va_idx], oof[va_idx])
    scores.append(sc)
    print(f"FOLD {fold} | auc {sc:.4f} | best val_auc {max(hist.history['val_auc']):.4f} | {time.time() - t0:.1f}s")

    del model
    gc.collect()

print("CV mean %.4f +- %.4f" % (np.mean(scores), np.std(scores)))
print("OOF auc %.4f" % roc_auc(target, oof))

# submission
sub = np.stack([np.arange(N_TEST), preds], 1)
print("submission head:\n", sub[:5])

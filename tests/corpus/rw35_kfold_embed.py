# Tabular Playground - categorical embeddings + numeric features, 5-fold CV
# (trimmed down version of my public notebook, synthetic data so it runs offline)
import os
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
np.random.seed(SEED)
tf.random.set_seed(SEED)

N_ROWS = 700
CAT_COLS = ["cat0", "cat1", "cat2", "cat3", "cat4"]
CAT_CARD = [4, 12, 7, 25, 3]          # number of unique values per column
NUM_COLS = [f"cont{i}" for i in range(11)]

# ---- fake "train.csv" --------------------------------------------------------
X_cat = np.stack([np.random.randint(0, c, size=N_ROWS) for c in CAT_CARD], axis=1)
X_num = np.random.randn(N_ROWS, len(NUM_COLS)).astype("float32")
logit = 0.8 * X_num[:, 0] - 0.5 * X_num[:, 3] + 0.3 * (X_cat[:, 1] % 3) - 0.4
y = (1 / (1 + np.exp(-logit)) > np.random.rand(N_ROWS)).astype("float32")

X_cat_test = np.stack([np.random.randint(0, c, size=300) for c in CAT_CARD], axis=1)
X_num_test = np.random.randn(300, len(NUM_COLS)).astype("float32")

print("train cat:", X_cat.shape, "train num:", X_num.shape, "target mean:", y.mean())

# standardize numerics using train stats only
mu, sd = X_num.mean(0), X_num.std(0) + 1e-6
X_num = (X_num - mu) / sd
X_num_test = (X_num_test - mu) / sd


def roc_auc_score(y_true, y_score):
    # rank-based AUC (Mann-Whitney U), no sklearn on the offline kernel
    order = np.argsort(y_score)
    ranks = np.empty(len(y_score))
    ranks[order] = np.arange(1, len(y_score) + 1)
    n_pos = y_true.sum()
    n_neg = len(y_true) - n_pos
    return (ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def stratified_folds(y, n_splits, seed=0):
    rng = np.random.RandomState(seed)
    fold_id = np.zeros(len(y), dtype=int)
    for cls in np.unique(y):
        idx = np.where(y == cls)[0]
        rng.shuffle(idx)
        fold_id[idx] = np.arange(len(idx)) % n_splits
    for k in range(n_splits):
        yield np.where(fold_id != k)[0], np.where(fold_id == k)[0]


def emb_dim(card):
    # rule of thumb from fast.ai
    return int(min(50, round(1.6 * card ** 0.56)))


def build_model(lr=3e-3, dropout=0.25):
    inputs, embs = [], []
    for col, card in zip(CAT_COLS, CAT_CARD):
        inp = layers.Input(shape=(1,), name=f"in_{col}")
        e = layers.Embedding(card + 1, emb_dim(card), name=f"emb_{col}")(inp)
        e = layers.Reshape((emb_dim(card),))(e)
        inputs.append(inp)
        embs.append(e)

    num_in = layers.Input(shape=(len(NUM_COLS),), name="numeric")
    inputs.append(num_in)
    x_num = layers.BatchNormalization()(num_in)

    x = layers.Concatenate()(embs + [x_num])
    x = layers.SpatialDropout1D(0.1)(layers.Reshape((-1, 1))(x))
    x = layers.Flatten()(x)
    for units in (128, 64):
        x = layers.Dense(units, activation="swish")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Dropout(dropout)(x)
    out = layers.Dense(1, activation="sigmoid")(x)

    model = keras.Model(inputs, out)
    model.compile(optimizer=keras.optimizers.Adam(lr),
                  loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc")])
    return model


def to_inputs(xc, xn):
    return [xc[:, i:i + 1] for i in range(xc.shape[1])] + [xn]


m = build_model()
m.summary(line_length=110)

N_FOLDS = 3
oof = np.zeros(N_ROWS)
test_pred = np.zeros(len(X_num_test))

for fold, (tr_idx, va_idx) in enumerate(stratified_folds(y, N_FOLDS, SEED)):
    print(f"\n===== FOLD {fold} =====")
    keras.backend.clear_session()
    model = build_model()
    cb = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1),
        keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=3,
                                      restore_best_weights=True),
    ]
    model.fit(to_inputs(X_cat[tr_idx], X_num[tr_idx]), y[tr_idx],
              validation_data=(to_inputs(X_cat[va_idx], X_num[va_idx]), y[va_idx]),
              epochs=2, batch_size=256, callbacks=cb, verbose=0)
    oof[va_idx] = model.predict(to_inputs(X_cat[va_idx], X_num[va_idx]),
                                batch_size=512, verbose=0).ravel()
    test_pred += model.predict(to_inputs(X_cat_test, X_num_test),
                               batch_size=512, verbose=0).ravel() / N_FOLDS
    print(f"fold {fold} auc: {roc_auc_score(y[va_idx], oof[va_idx]):.4f}")

print(f"\nOOF AUC: {roc_auc_score(y, oof):.4f}")

# quick look at the learned embeddings for the widest categorical
w = model.get_layer("emb_cat3").get_weights()[0]
print("cat3 embedding matrix:", w.shape)
print("test preds:", test_pred.shape, test_pred[:5].round(3))

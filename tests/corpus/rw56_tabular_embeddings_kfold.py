"""
Tabular Playground baseline: categorical embeddings + dense MLP, 3-fold CV.

Every categorical column gets its own Embedding (dim ~ min(50, (n_cat+1)//2)),
numerical columns go through a BatchNorm, everything is concatenated and fed to
a small MLP.  A fresh model is built for every fold, OOF predictions are kept
for CV scoring and the test predictions are averaged across folds.

Synthetic data stands in for train.csv / test.csv so the notebook runs offline.
"""
import gc
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
N_TRAIN = 1500
N_TEST = 500
N_FOLDS = 3
EPOCHS = 2
BATCH_SIZE = 256
LR = 3e-3

CAT_CARDINALITIES = {
    "cat0": 4, "cat1": 12, "cat2": 7, "cat3": 31, "cat4": 3, "cat5": 100,
}
NUM_COLS = [f"cont{i}" for i in range(8)]

np.random.seed(SEED)
tf.random.set_seed(SEED)


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def make_fake_competition_data(n_rows, with_target=True):
    df = {}
    for col, card in CAT_CARDINALITIES.items():
        df[col] = np.random.randint(0, card, size=n_rows).astype("int32")
    for col in NUM_COLS:
        df[col] = np.random.randn(n_rows).astype("float32")
    if with_target:
        logit = (
            0.8 * df["cont0"] - 0.5 * df["cont3"]
            + 0.3 * (df["cat1"] % 3 == 0)
            + 0.01 * df["cat5"] - 0.5
        )
        df["target"] = (np.random.rand(n_rows) < 1 / (1 + np.exp(-logit))).astype("float32")
    return df


def to_model_inputs(df, idx=None):
    """dict-of-arrays -> dict keyed by input layer names."""
    sel = slice(None) if idx is None else idx
    inputs = {col: df[col][sel] for col in CAT_CARDINALITIES}
    inputs["numerics"] = np.stack([df[c][sel] for c in NUM_COLS], axis=1)
    return inputs


def kfold_indices(n, n_splits, seed=SEED):
    """Poor man's sklearn KFold(shuffle=True)."""
    rng = np.random.RandomState(seed)
    perm = rng.permutation(n)
    folds = np.array_split(perm, n_splits)
    for k in range(n_splits):
        val_idx = folds[k]
        trn_idx = np.concatenate([folds[j] for j in range(n_splits) if j != k])
        yield trn_idx, val_idx


def roc_auc(y_true, y_score):
    """Mann-Whitney U formulation, good enough for a CV printout."""
    order = np.argsort(y_score)
    ranks = np.empty_like(order, dtype=np.float64)
    ranks[order] = np.arange(1, len(y_score) + 1)
    pos = y_true == 1
    n_pos, n_neg = pos.sum(), (~pos).sum()
    return (ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


# ---------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------
def emb_dim(cardinality):
    return int(min(50, (cardinality + 1) // 2))


def build_model():
    cat_inputs, cat_embs = [], []
    for col, card in CAT_CARDINALITIES.items():
        inp = keras.Input(shape=(), dtype="int32", name=col)
        x = layers.Embedding(card + 1, emb_dim(card), name=f"emb_{col}")(inp)
        x = layers.SpatialDropout1D(0.1)(layers.Reshape((1, emb_dim(card)))(x))
        x = layers.Flatten()(x)
        cat_inputs.append(inp)
        cat_embs.append(x)

    num_in = keras.Input(shape=(len(NUM_COLS),), name="numerics")
    num_x = layers.BatchNormalization()(num_in)

    x = layers.Concatenate()(cat_embs + [num_x])
    for units, drop in [(256, 0.3), (128, 0.2), (64, 0.1)]:
        x = layers.Dense(units)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("swish")(x)
        x = layers.Dropout(drop)(x)
    out = layers.Dense(1, activation="sigmoid", name="target")(x)

    model = keras.Model(inputs=cat_inputs + [num_in], outputs=out)
    model.compile(
        optimizer=keras.optimizers.Adam(LR),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
    )
    return model


# ---------------------------------------------------------------------------
# CV loop
# ---------------------------------------------------------------------------
train = make_fake_competition_data(N_TRAIN)
test = make_fake_competition_data(N_TEST, with_target=False)
y = train["target"]

oof = np.zeros(N_TRAIN, dtype=np.float32)
test_preds = np.zeros(N_TEST, dtype=np.float32)
X_test = to_model_inputs(test)

for fold, (trn_idx, val_idx) in enumerate(kfold_indices(N_TRAIN, N_FOLDS)):
    print(f"\n===== FOLD {fold} | train {len(trn_idx)} | valid {len(val_idx)} =====")
    keras.backend.clear_session()
    model = build_model()
    if fold == 0:
        model.summary()

    callbacks = [
        keras.callbacks.ReduceLROnPlateau(monitor="val_auc", mode="max", factor=0.5, patience=1),
        keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=3,
                                      restore_best_weights=True),
    ]
    model.fit(
        to_model_inputs(train, trn_idx), y[trn_idx],
        validation_data=(to_model_inputs(train, val_idx), y[val_idx]),
        epochs=EPOCHS, batch_size=BATCH_SIZE, callbacks=callbacks, verbose=0,
    )

    oof[val_idx] = model.predict(to_model_inputs(train, val_idx), batch_size=1024, verbose=0).ravel()
    test_preds += model.predict(X_test, batch_size=1024, verbose=0).ravel() / N_FOLDS
    print(f"fold {fold} AUC: {roc_auc(y[val_idx], oof[val_idx]):.4f}")

    del model
    gc.collect()

print(f"\nOOF AUC: {roc_auc(y, oof):.4f}")
print("test preds:", test_preds.shape, test_preds[:5].round(4))

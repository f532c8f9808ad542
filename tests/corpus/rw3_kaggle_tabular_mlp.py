# Tabular Playground - simple MLP baseline with 2-fold CV
# (quick sanity version of the notebook, random data stands in for train.csv)
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
np.random.seed(SEED)
tf.random.set_seed(SEED)

CFG = {
    "n_rows": 64,
    "n_num_feats": 12,
    "n_cat_feats": 3,
    "hidden_units": [128, 64, 32],
    "dropout": 0.25,
    "lr": 1e-3,
    "batch_size": 16,
    "epochs": 1,
    "folds": 2,
}

# ---------------------------------------------------------------------------
# fake "train.csv"
# ---------------------------------------------------------------------------
num_feats = np.random.randn(CFG["n_rows"], CFG["n_num_feats"]).astype("float32") * 3.0 + 1.5
cat_feats = np.random.randint(0, 5, size=(CFG["n_rows"], CFG["n_cat_feats"]))
# one-hot the categoricals by hand, the way half of kaggle does it
cat_ohe = np.concatenate(
    [np.eye(5, dtype="float32")[cat_feats[:, j]] for j in range(CFG["n_cat_feats"])], axis=1
)
X = np.hstack([num_feats, cat_ohe]).astype("float32")
y = (num_feats[:, 0] + 0.5 * num_feats[:, 3] + np.random.randn(CFG["n_rows"]) > 1.5).astype("float32")

print("X:", X.shape, "y:", y.shape, "pos rate:", y.mean())

# holdout split just to eyeball things first
perm = np.random.permutation(len(X))
n_val = int(0.25 * len(X))
val_idx, trn_idx = perm[:n_val], perm[n_val:]
X_trn, X_val = X[trn_idx], X[val_idx]
y_trn, y_val = y[trn_idx], y[val_idx]

# standardise with train stats only
mu = X_trn.mean(axis=0)
sd = X_trn.std(axis=0) + 1e-6
X_trn = (X_trn - mu) / sd
X_val = (X_val - mu) / sd


def build_mlp(n_features, hidden_units=CFG["hidden_units"], dropout=CFG["dropout"]):
    inp = keras.Input(shape=(n_features,), name="features")
    x = inp
    for i, units in enumerate(hidden_units):
        x = layers.Dense(units, use_bias=False, name=f"dense_{i}")(x)
        x = layers.BatchNormalization(name=f"bn_{i}")(x)
        x = layers.Activation("swish", name=f"act_{i}")(x)
        x = layers.Dropout(dropout, name=f"drop_{i}")(x)
    out = layers.Dense(1, activation="sigmoid", name="target")(x)
    model = keras.Model(inp, out, name="tabular_mlp")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=CFG["lr"]),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc"), "accuracy"],
    )
    return model


model = build_mlp(X.shape[1])
model.summary()

hist = model.fit(
    X_trn, y_trn,
    validation_data=(X_val, y_val),
    batch_size=CFG["batch_size"],
    epochs=CFG["epochs"],
    verbose=2,
)
print("holdout preds:", model.predict(X_val, verbose=0).shape)

# ---------------------------------------------------------------------------
# K-fold
# ---------------------------------------------------------------------------
oof = np.zeros(len(X), dtype="float32")
fold_ids = np.random.permutation(len(X)) % CFG["folds"]
scores = []

for fold in range(CFG["folds"]):
    print(f"\n===== FOLD {fold} =====")
    tr = np.where(fold_ids != fold)[0]
    va = np.where(fold_ids == fold)[0]

    Xtr, Xva = X[tr].copy(), X[va].copy()
    m, s = Xtr.mean(0), Xtr.std(0) + 1e-6
    Xtr = (Xtr - m) / s
    Xva = (Xva - m) / s

    keras.backend.clear_session()
    model = build_mlp(Xtr.shape[1])

    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=5,
                                      restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2),
    ]
    model.fit(
        Xtr, y[tr],
        validation_data=(Xva, y[va]),
        epochs=CFG["epochs"],
        batch_size=CFG["batch_size"],
        callbacks=callbacks,
        verbose=0,
    )
    preds = model.predict(Xva, batch_size=32, verbose=0).ravel()
    oof[va] = preds
    acc = ((preds > 0.5).astype("float32") == y[va]).mean()
    scores.append(acc)
    print(f"fold {fold} acc = {acc:.4f}  n_val={len(va)}")

print("CV acc: %.4f +- %.4f" % (np.mean(scores), np.std(scores)))
print("oof shape:", oof.shape, "oof mean:", oof.mean())

"""K-fold baseline for a synthetic tabular competition.

Each categorical column gets its own Embedding, each numeric column its own
Normalization layer. A fresh model is built inside the fold loop and fold
test predictions are averaged with numpy at the end.
"""
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
N_TRAIN = 600
N_TEST = 200
N_FOLDS = 4
EPOCHS = 2
BATCH_SIZE = 64

CAT_COLS = {"store_id": 12, "region": 5, "weekday": 7}
NUM_COLS = ["price", "promo_depth", "temperature", "lag_7"]

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_frame(n):
    """Return a dict-of-arrays 'dataframe' plus a binary target."""
    data = {}
    for col, card in CAT_COLS.items():
        data[col] = rng.integers(0, card, size=n).astype("int32")
    data["price"] = rng.lognormal(2.0, 0.5, size=n).astype("float32")
    data["promo_depth"] = rng.uniform(0, 0.6, size=n).astype("float32")
    data["temperature"] = rng.normal(18, 7, size=n).astype("float32")
    data["lag_7"] = rng.poisson(20, size=n).astype("float32")
    logit = (
        0.8 * data["promo_depth"] * 5
        - 0.05 * data["price"]
        + 0.3 * (data["weekday"] >= 5)
        + 0.1 * (data["store_id"] % 3)
        + 0.02 * (data["lag_7"] - 20)
    )
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit + 1.0))).astype("float32")
    return data, y


def kfold_indices(n, k, seed=SEED):
    idx = np.random.default_rng(seed).permutation(n)
    folds = np.array_split(idx, k)
    for i in range(k):
        val_idx = folds[i]
        trn_idx = np.concatenate([folds[j] for j in range(k) if j != i])
        yield trn_idx, val_idx


def subset(frame, idx):
    return {k: v[idx] for k, v in frame.items()}


def build_model(train_frame):
    inputs, encoded = [], []
    for col, card in CAT_COLS.items():
        inp = keras.Input(shape=(1,), name=col, dtype="int32")
        emb_dim = min(8, (card + 1) // 2)
        x = layers.Embedding(card, emb_dim, name=f"emb_{col}")(inp)
        x = layers.Flatten(name=f"flat_{col}")(x)
        inputs.append(inp)
        encoded.append(x)
    for col in NUM_COLS:
        inp = keras.Input(shape=(1,), name=col)
        norm = layers.Normalization(name=f"norm_{col}")
        norm.adapt(train_frame[col].reshape(-1, 1))
        inputs.append(inp)
        encoded.append(norm(inp))

    x = layers.Concatenate()(encoded)
    for units in (64, 32):
        x = layers.Dense(units, activation="relu")(x)
        x = layers.BatchNormalization()(x)
        x = layers.Dropout(0.2)(x)
    out = layers.Dense(1, activation="sigmoid", name="target")(x)

    model = keras.Model(inputs, out)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
    )
    return model


def to_inputs(frame):
    return {k: v.reshape(-1, 1) for k, v in frame.items()}


def main():
    train, y = make_frame(N_TRAIN)
    test, _ = make_frame(N_TEST)

    oof = np.zeros(N_TRAIN, dtype="float32")
    test_preds = []

    for fold, (trn_idx, val_idx) in enumerate(kfold_indices(N_TRAIN, N_FOLDS)):
        keras.backend.clear_session()
        trn, val = subset(train, trn_idx), subset(train, val_idx)
        model = build_model(trn)
        callbacks = [
            keras.callbacks.EarlyStopping(monitor="val_auc", mode="max",
                                          patience=2, restore_best_weights=True),
        ]
        model.fit(
            to_inputs(trn), y[trn_idx],
            validation_data=(to_inputs(val), y[val_idx]),
            epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=0,
            callbacks=callbacks,
        )
        oof[val_idx] = model.predict(to_inputs(val), verbose=0).ravel()
        test_preds.append(model.predict(to_inputs(test), verbose=0).ravel())
        fold_acc = np.mean((oof[val_idx] > 0.5) == y[val_idx])
        print(f"fold {fold}: val acc = {fold_acc:.4f}")

    test_pred = np.mean(np.stack(test_preds, axis=0), axis=0)
    oof_acc = np.mean((oof > 0.5) == y)
    print(f"OOF accuracy: {oof_acc:.4f}")
    print(f"test pred shape {test_pred.shape}, mean {test_pred.mean():.4f}")


if __name__ == "__main__":
    main()

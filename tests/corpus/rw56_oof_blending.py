"""Blend three different Keras models using their out-of-fold predictions.

Typical end-of-competition notebook: every model family is trained with the same
fold split, OOF predictions are stored, and the final submission is a blend
whose weights are tuned on OOF log-loss (not on the public LB!).

Models
  * mlp      - plain Sequential MLP
  * wide_deep - functional wide & deep with a linear "wide" path
  * tab_cnn  - the "1D-CNN for tabular data" trick (dense -> reshape -> conv1d)

Blends compared: mean, rank mean, geometric mean, and Dirichlet-searched weights.
"""
import numpy as np
import keras
from keras import layers, ops

RNG = np.random.default_rng(123)
N_FEATURES = 24
N_TRAIN, N_TEST = 1200, 300
N_SPLITS = 3
EPOCHS = 2
BS = 128
EPS = 1e-7

keras.utils.set_random_seed(123)


def make_data():
    X = RNG.normal(size=(N_TRAIN + N_TEST, N_FEATURES)).astype("float32")
    w = RNG.normal(size=N_FEATURES)
    logits = X @ w * 0.4 + 0.8 * np.sin(X[:, 0] * 2) - 0.6 * X[:, 1] * X[:, 2]
    y = (RNG.random(len(X)) < 1 / (1 + np.exp(-logits))).astype("float32")
    return X[:N_TRAIN], y[:N_TRAIN], X[N_TRAIN:]


def logloss(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


# ----------------------------------------------------------------- model zoo
def build_mlp():
    model = keras.Sequential([
        keras.Input((N_FEATURES,)),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(64, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ], name="mlp")
    return model


def build_wide_deep():
    inp = keras.Input((N_FEATURES,), name="features")
    wide = layers.Dense(1, name="wide_logit")(inp)
    deep = inp
    for units in (96, 48):
        deep = layers.Dense(units, activation="gelu")(deep)
        deep = layers.LayerNormalization()(deep)
    deep = layers.Dense(1, name="deep_logit")(deep)
    out = layers.Activation("sigmoid")(layers.Add()([wide, deep]))
    return keras.Model(inp, out, name="wide_deep")


def build_tab_cnn(channels=16, seq_len=32):
    """Dense expansion reshaped to a pseudo-sequence so Conv1D can mix features."""
    inp = keras.Input((N_FEATURES,))
    x = layers.BatchNormalization()(inp)
    x = layers.Dense(channels * seq_len, activation="celu")(x)
    x = layers.Reshape((seq_len, channels))(x)
    x = layers.Conv1D(channels * 2, kernel_size=5, padding="same", activation="relu")(x)
    x = layers.AveragePooling1D(pool_size=2)(x)                    # (16, 32)
    shortcut = x
    x = layers.Conv1D(channels * 2, kernel_size=3, padding="same", activation="relu")(x)
    x = layers.Add()([x, shortcut])
    x = layers.MaxPooling1D(pool_size=4, strides=2)(x)
    x = layers.Flatten()(x)
    out = layers.Dense(1, activation="sigmoid")(x)
    return keras.Model(inp, out, name="tab_cnn")


MODEL_ZOO = {
    "mlp": (build_mlp, 2e-3),
    "wide_deep": (build_wide_deep, 2e-3),
    "tab_cnn": (build_tab_cnn, 1e-3),
}


def make_folds(n, k):
    idx = RNG.permutation(n)
    return [np.sort(chunk) for chunk in np.array_split(idx, k)]


def run_cv(name, X, y, X_test, folds):
    builder, lr = MODEL_ZOO[name]
    oof = np.zeros(len(X), dtype="float32")
    pred = np.zeros(len(X_test), dtype="float32")
    for k, val_idx in enumerate(folds):
        trn_idx = np.setdiff1d(np.arange(len(X)), val_idx)
        keras.backend.clear_session()
        model = builder()
        model.compile(keras.optimizers.Adam(lr), loss="binary_crossentropy")
        model.fit(X[trn_idx], y[trn_idx], epochs=EPOCHS, batch_size=BS, verbose=0)
        oof[val_idx] = model.predict(X[val_idx], batch_size=512, verbose=0)[:, 0]
        pred += model.predict(X_test, batch_size=512, verbose=0)[:, 0] / len(folds)
    print(f"{name:>10s}  params={model.count_params():>6d}  OOF logloss={logloss(y, oof):.5f}")
    return oof, pred


# ----------------------------------------------------------------- blending
def rank_average(P):
    """P: (n_models, n_rows). Rank-normalise each model then average."""
    ranks = np.argsort(np.argsort(P, axis=1), axis=1).astype("float64")
    return (ranks / (P.shape[1] - 1)).mean(axis=0)


def geometric_mean(P):
    P = np.clip(P, EPS, 1 - EPS)
    return np.exp(np.log(P).mean(axis=0))


def logit_blend(P, w):
    # blend in logit space with keras.ops so it mirrors what the models output
    z = ops.log(ops.clip(P, EPS, 1 - EPS)) - ops.log1p(-ops.clip(P, EPS, 1 - EPS))
    z = ops.tensordot(ops.convert_to_tensor(w, dtype="float32"), z, axes=1)
    return ops.convert_to_numpy(ops.sigmoid(z))


def search_weights(P, y, n_trials=2000):
    cands = RNG.dirichlet(np.ones(P.shape[0]), size=n_trials)
    # vectorised: (trials, models) @ (models, rows) -> (trials, rows)
    blended = np.clip(cands @ P, EPS, 1 - EPS)
    losses = -np.mean(y * np.log(blended) + (1 - y) * np.log(1 - blended), axis=1)
    i = int(np.argmin(losses))
    best_w, best = cands[i], losses[i]
    return best_w, float(best)


if __name__ == "__main__":
    X, y, X_test = make_data()
    folds = make_folds(len(X), N_SPLITS)

    oofs, preds = {}, {}
    for name in MODEL_ZOO:
        oofs[name], preds[name] = run_cv(name, X, y, X_test, folds)

    names = list(MODEL_ZOO)
    P_oof = np.stack([oofs[n] for n in names])     # (models, N_TRAIN)
    P_test = np.stack([preds[n] for n in names])   # (models, N_TEST)

    corr = np.corrcoef(P_oof)
    print("OOF correlation matrix:\n", np.round(corr, 3))

    w, w_loss = search_weights(P_oof, y)
    blends = {
        "mean": P_oof.mean(0),
        "rank_mean": rank_average(P_oof),
        "geo_mean": geometric_mean(P_oof),
        "weighted": np.clip(w @ P_oof, EPS, 1 - EPS),
        "logit_weighted": logit_blend(P_oof.astype("float32"), w),
    }
    for k, v in blends.items():
        print(f"blend {k:>15s}: OOF logloss={logloss(y, v):.5f}")
    print("searched weights:", {n: round(float(v), 3) for n, v in zip(names, w)}, f"(loss {w_loss:.5f})")

    final = w @ P_test
    print("submission:", final.shape, "mean pred", round(float(final.mean()), 4))

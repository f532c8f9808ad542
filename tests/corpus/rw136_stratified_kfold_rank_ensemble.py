# %% [markdown]
# # Imbalanced binary baseline: stratified K-fold x seeds, rank-average ensemble
# Everything in numpy + Keras; no sklearn, so the stratified split and AUC are hand-rolled.

# %%
import gc
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

print("TF", tf.__version__)

N_SPLITS = 3
SEEDS = [0, 1]
EPOCHS = 2
BATCH_SIZE = 128
POS_RATE = 0.15
N_ROWS, N_FEATS = 900, 16

# %%
gen = np.random.default_rng(123)
X_all = gen.normal(size=(N_ROWS + 300, N_FEATS)).astype("float32")
X_all[:, :4] = X_all[:, :4] ** 2  # some skewed columns
score = X_all[:, 0] - X_all[:, 1] + 0.8 * X_all[:, 5] * X_all[:, 6] + gen.normal(scale=0.5, size=len(X_all))
thr = np.quantile(score, 1 - POS_RATE)
y_all = (score > thr).astype("float32")

X, y = X_all[:N_ROWS], y_all[:N_ROWS]
X_test, y_test = X_all[N_ROWS:], y_all[N_ROWS:]  # pretend hidden labels
print(f"train {X.shape}, positives {y.mean():.3f}; test {X_test.shape}")

# log1p on the skewed columns, like you would in a notebook
SKEWED = [0, 1, 2, 3]
X[:, SKEWED] = np.log1p(X[:, SKEWED])
X_test[:, SKEWED] = np.log1p(X_test[:, SKEWED])


# %%
def stratified_folds(labels, n_splits, seed):
    r = np.random.default_rng(seed)
    fold_id = np.empty(len(labels), dtype=int)
    for cls in np.unique(labels):
        idx = np.where(labels == cls)[0]
        r.shuffle(idx)
        fold_id[idx] = np.arange(len(idx)) % n_splits
    return fold_id


def roc_auc(y_true, y_score):
    # Mann-Whitney U formulation
    order = np.argsort(y_score)
    ranks = np.empty_like(order, dtype=float)
    ranks[order] = np.arange(1, len(y_score) + 1)
    n_pos = y_true.sum()
    n_neg = len(y_true) - n_pos
    return (ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def rank_normalize(p):
    return np.argsort(np.argsort(p)) / (len(p) - 1)


# %%
def create_model(n_features, norm_data, output_bias):
    inp = keras.Input(shape=(n_features,))
    norm = layers.Normalization()
    norm.adapt(norm_data)
    x = norm(inp)
    skip = x
    x = layers.Dense(64, activation="relu", kernel_regularizer=keras.regularizers.l2(1e-4))(x)
    x = layers.Dropout(0.25)(x)
    x = layers.Dense(n_features, activation="relu")(x)
    x = layers.Add()([x, skip])
    x = layers.Dense(32, activation="relu")(x)
    out = layers.Dense(
        1, activation="sigmoid",
        bias_initializer=keras.initializers.Constant(output_bias),
    )(x)
    m = keras.Model(inp, out)
    m.compile(
        optimizer=keras.optimizers.Adam(learning_rate=2e-3),
        loss=keras.losses.BinaryCrossentropy(label_smoothing=0.01),
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.Recall(name="recall")],
    )
    return m


# %%
pos = y.sum()
neg = len(y) - pos
initial_bias = float(np.log(pos / neg))
class_weight = {0: float(0.5 * len(y) / neg), 1: float(0.5 * len(y) / pos)}
print("initial bias", round(initial_bias, 3), "class weights", {k: round(v, 2) for k, v in class_weight.items()})

oof_per_seed = np.zeros((len(SEEDS), N_ROWS), dtype="float32")
test_preds = []
fold_scores = []

for s_i, seed in enumerate(SEEDS):
    keras.utils.set_random_seed(seed)
    folds = stratified_folds(y, N_SPLITS, seed)
    for k in range(N_SPLITS):
        tr, va = folds != k, folds == k
        model = create_model(N_FEATS, X[tr], initial_bias)
        model.fit(
            X[tr], y[tr],
            validation_data=(X[va], y[va]),
            batch_size=BATCH_SIZE,
            epochs=EPOCHS,
            class_weight=class_weight,
            callbacks=[keras.callbacks.EarlyStopping("val_auc", mode="max", patience=3,
                                                     restore_best_weights=True)],
            verbose=0,
        )
        oof_per_seed[s_i, va] = model.predict(X[va], batch_size=512, verbose=0)[:, 0]
        test_preds.append(model.predict(X_test, batch_size=512, verbose=0)[:, 0])
        auc = roc_auc(y[va], oof_per_seed[s_i, va])
        fold_scores.append(auc)
        print(f"seed={seed} fold={k} n_val={va.sum():4d} pos={y[va].mean():.3f} AUC={auc:.4f}")
        del model
        gc.collect()
        keras.backend.clear_session()

# %%
print(f"\nmean fold AUC {np.mean(fold_scores):.4f} +- {np.std(fold_scores):.4f}")
for s_i, seed in enumerate(SEEDS):
    print(f"OOF AUC seed {seed}: {roc_auc(y, oof_per_seed[s_i]):.4f}")
print(f"OOF AUC seed-avg: {roc_auc(y, oof_per_seed.mean(0)):.4f}")

P = np.vstack(test_preds)                       # (n_models, n_test)
mean_blend = P.mean(axis=0)
rank_blend = np.mean([rank_normalize(p) for p in P], axis=0)
geo_blend = np.exp(np.log(np.clip(P, 1e-7, 1)).mean(axis=0))
for name, blend in [("mean", mean_blend), ("rank", rank_blend), ("geo", geo_blend)]:
    print(f"test AUC ({name:>4s} blend of {P.shape[0]} models): {roc_auc(y_test, blend):.4f}")

corr = np.corrcoef(P)
print("avg pairwise corr between model preds:",
      round(float(corr[np.triu_indices_from(corr, k=1)].mean()), 4))

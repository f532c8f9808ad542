# Tabular binary classification with entity embeddings + hand-rolled stratified K-fold
# OOF predictions, averaged test predictions, a simple AUC computed with numpy.

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = dict(
    seed=2024,
    n_train=600,
    n_test=200,
    n_folds=4,
    epochs=2,
    batch_size=64,
    lr=2e-3,
    dropout=0.2,
    hidden=[64, 32],
)

CAT_COLS = {          # column -> cardinality
    "region": 8,
    "product": 25,
    "channel": 4,
    "weekday": 7,
}
NUM_COLS = ["price", "discount", "age_days", "visits", "basket"]

rng = np.random.default_rng(CFG["seed"])
keras.utils.set_random_seed(CFG["seed"])


def make_table(n):
    cats = {c: rng.integers(0, k, size=n) for c, k in CAT_COLS.items()}
    nums = np.column_stack([
        rng.lognormal(3, 0.5, n),          # price
        rng.uniform(0, 0.5, n),            # discount
        rng.exponential(200, n),           # age_days
        rng.poisson(3, n).astype(float),   # visits
        rng.gamma(2, 2, n),                # basket
    ]).astype(np.float32)
    # hidden rule for the label: some categories + numeric interactions
    product_effect = np.sin(cats["product"] * 0.7)
    logit = (
        1.2 * product_effect
        + 0.8 * (cats["channel"] == 2)
        - 0.5 * (cats["weekday"] >= 5)
        + 2.0 * nums[:, 1]
        + 0.3 * np.log1p(nums[:, 3])
        - 0.002 * nums[:, 2]
        + rng.normal(0, 0.5, n)
    )
    y = (logit > np.median(logit)).astype(np.float32)
    return cats, nums, y


train_cats, train_nums, y = make_table(CFG["n_train"])
test_cats, test_nums, _ = make_table(CFG["n_test"])

# numeric preprocessing: log transform skewed cols, then standardise using train stats
SKEWED = [0, 2, 4]


def prep_numeric(x, stats=None):
    x = x.copy()
    x[:, SKEWED] = np.log1p(x[:, SKEWED])
    if stats is None:
        stats = (x.mean(0), x.std(0) + 1e-6)
    return ((x - stats[0]) / stats[1]).astype(np.float32), stats


train_nums, num_stats = prep_numeric(train_nums)
test_nums, _ = prep_numeric(test_nums, num_stats)


def to_inputs(cats, nums, idx=None):
    sel = (lambda a: a[idx]) if idx is not None else (lambda a: a)
    feed = {c: sel(cats[c]).astype("int32") for c in CAT_COLS}
    feed["numeric"] = sel(nums)
    return feed


def emb_dim(card):
    # the usual rule of thumb from fast.ai style notebooks
    return int(min(16, round(1.6 * card ** 0.56)))


def build_model():
    cat_inputs, cat_vecs = [], []
    for col, card in CAT_COLS.items():
        inp = keras.Input(shape=(), dtype="int32", name=col)
        e = layers.Embedding(card, emb_dim(card), name=f"emb_{col}")(inp)
        cat_inputs.append(inp)
        cat_vecs.append(e)
    num_in = keras.Input(shape=(len(NUM_COLS),), name="numeric")
    num_vec = layers.BatchNormalization()(num_in)

    x = layers.Concatenate()(cat_vecs + [num_vec])
    for units in CFG["hidden"]:
        x = layers.Dense(units, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("swish")(x)
        x = layers.Dropout(CFG["dropout"])(x)
    out = layers.Dense(1, activation="sigmoid")(x)

    m = keras.Model(cat_inputs + [num_in], out)
    m.compile(optimizer=keras.optimizers.AdamW(CFG["lr"], weight_decay=1e-4),
              loss="binary_crossentropy",
              metrics=[keras.metrics.AUC(name="auc")])
    return m


def stratified_folds(labels, k, seed):
    """Yield (train_idx, valid_idx) keeping the class ratio in each fold."""
    r = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=int)
    for cls in np.unique(labels):
        idx = np.where(labels == cls)[0]
        r.shuffle(idx)
        fold_of[idx] = np.arange(len(idx)) % k
    for f in range(k):
        yield np.where(fold_of != f)[0], np.where(fold_of == f)[0]


def roc_auc(y_true, y_score):
    order = np.argsort(y_score)
    ranks = np.empty_like(order, dtype=float)
    ranks[order] = np.arange(1, len(y_score) + 1)
    n_pos = y_true.sum()
    n_neg = len(y_true) - n_pos
    return (ranks[y_true == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


oof = np.zeros(len(y), dtype=np.float32)
test_pred = np.zeros(CFG["n_test"], dtype=np.float32)
fold_scores = []

for fold, (tr_idx, va_idx) in enumerate(stratified_folds(y, CFG["n_folds"], CFG["seed"])):
    print(f"\n===== fold {fold} | train={len(tr_idx)} valid={len(va_idx)} =====")
    keras.backend.clear_session()
    model = build_model()
    es = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=2, restore_best_weights=True)
    model.fit(
        to_inputs(train_cats, train_nums, tr_idx), y[tr_idx],
        validation_data=(to_inputs(train_cats, train_nums, va_idx), y[va_idx]),
        epochs=CFG["epochs"], batch_size=CFG["batch_size"], callbacks=[es], verbose=0,
    )
    oof[va_idx] = model.predict(to_inputs(train_cats, train_nums, va_idx), verbose=0).ravel()
    test_pred += model.predict(to_inputs(test_cats, test_nums), verbose=0).ravel() / CFG["n_folds"]
    score = roc_auc(y[va_idx], oof[va_idx])
    fold_scores.append(score)
    print(f"fold {fold} AUC: {score:.4f}")

print("\nfold AUCs:", " ".join(f"{s:.4f}" for s in fold_scores))
print(f"mean={np.mean(fold_scores):.4f} std={np.std(fold_scores):.4f}  overall OOF AUC={roc_auc(y, oof):.4f}")
print("test prediction stats: min={:.3f} mean={:.3f} max={:.3f}".format(test_pred.min(), test_pred.mean(), test_pred.max()))

# peek at the learned product embedding from the last fold
prod_w = model.get_layer("emb_product").get_weights()[0]
norms = np.linalg.norm(prod_w, axis=1)
print("product embedding norms (top 5 ids):", np.argsort(-norms)[:5].tolist())

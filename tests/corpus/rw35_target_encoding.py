"""
Out-of-fold target encoding (numpy only) + simple Keras MLP regressor.
House-price style problem: a few high-cardinality categoricals -> smoothed mean of log target.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

rng = np.random.default_rng(7)

n_train, n_test = 1000, 250
cards = {"neighborhood": 40, "zone": 6, "builder": 120, "style": 9}
num_feats = ["area", "rooms", "age", "lot", "garage"]

def make_split(n):
    cats = {k: rng.integers(0, v, n) for k, v in cards.items()}
    nums = rng.normal(size=(n, len(num_feats))).astype(np.float32)
    return cats, nums

tr_cats, tr_num = make_split(n_train)
te_cats, te_num = make_split(n_test)

# hidden per-neighborhood effect so TE actually helps
nb_effect = rng.normal(0, 0.4, cards["neighborhood"])
y_train = (12.0 + 0.35 * tr_num[:, 0] + 0.1 * tr_num[:, 1]
           + nb_effect[tr_cats["neighborhood"]] + rng.normal(0, 0.15, n_train))
y_train = y_train.astype(np.float32)


def target_encode(train_col, y, apply_col, smoothing=10.0, prior=None):
    """smoothed mean encoding: (sum + m*prior) / (count + m)"""
    prior = y.mean() if prior is None else prior
    n_levels = max(train_col.max(), apply_col.max()) + 1
    sums = np.bincount(train_col, weights=y, minlength=n_levels)
    counts = np.bincount(train_col, minlength=n_levels)
    enc = (sums + smoothing * prior) / (counts + smoothing)
    return enc[apply_col]


def oof_target_encode(col, y, n_folds=5, seed=0, **kw):
    out = np.zeros(len(col), dtype=np.float32)
    folds = np.random.RandomState(seed).permutation(len(col)) % n_folds
    for k in range(n_folds):
        tr, va = folds != k, folds == k
        out[va] = target_encode(col[tr], y[tr], col[va], prior=y.mean(), **kw)
    return out


te_train_cols, te_test_cols = [], []
for name in cards:
    te_train_cols.append(oof_target_encode(tr_cats[name], y_train, n_folds=5))
    te_test_cols.append(target_encode(tr_cats[name], y_train, te_cats[name]))
    print(f"{name:>14s}: train TE std={te_train_cols[-1].std():.3f}")

X_train = np.column_stack([tr_num] + te_train_cols).astype(np.float32)
X_test = np.column_stack([te_num] + te_test_cols).astype(np.float32)

# also add frequency encoding for builder (very high cardinality)
freq = np.bincount(tr_cats["builder"], minlength=cards["builder"]) / n_train
X_train = np.hstack([X_train, freq[tr_cats["builder"]][:, None]]).astype(np.float32)
X_test = np.hstack([X_test, freq[te_cats["builder"]][:, None]]).astype(np.float32)
print("X_train", X_train.shape, "X_test", X_test.shape)

# normalise target for easier optimisation
y_mu, y_sd = y_train.mean(), y_train.std()
y_scaled = (y_train - y_mu) / y_sd

norm = layers.Normalization(axis=-1)
norm.adapt(X_train)

def get_mlp(n_features, hidden=(256, 128, 32), drop=0.2):
    model = keras.Sequential(name="te_mlp")
    model.add(keras.Input(shape=(n_features,)))
    model.add(norm)
    for h in hidden:
        model.add(layers.Dense(h, kernel_initializer="he_normal"))
        model.add(layers.LeakyReLU(negative_slope=0.05))
        model.add(layers.Dropout(drop))
    model.add(layers.Dense(1))
    model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
                  loss="mse", metrics=[keras.metrics.RootMeanSquaredError()])
    return model

model = get_mlp(X_train.shape[1])
model.summary()

# holdout last 20%
cut = int(0.8 * n_train)
hist = model.fit(X_train[:cut], y_scaled[:cut],
                 validation_data=(X_train[cut:], y_scaled[cut:]),
                 epochs=2, batch_size=64, verbose=2)

val_pred = model.predict(X_train[cut:], verbose=0)[:, 0] * y_sd + y_mu
rmse = np.sqrt(np.mean((val_pred - y_train[cut:]) ** 2))
print(f"holdout RMSE (log-price): {rmse:.4f}")

sub = model.predict(X_test, batch_size=256, verbose=0).squeeze(-1) * y_sd + y_mu
sub = np.expm1(sub)
print("submission head:", sub[:5].round(0), sub.shape)

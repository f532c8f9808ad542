"""Price regression with three inputs (numbers, a category, a short token sequence)
and a blended ensemble of three different architectures.

Mercari-style setup: item descriptions are reduced to integer token ids here.
"""
import itertools
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

N_ITEMS = 700
VOCAB = 300
SEQ_LEN = 12
N_BRANDS = 30
N_NUM = 6
BATCH = 64

np.random.seed(7)
tf.random.set_seed(7)

# ------------------------------------------------------------------ data
token_value = np.random.normal(0, 0.3, VOCAB)           # each word nudges the price
brand_value = np.random.normal(0, 0.8, N_BRANDS)

brand = np.random.randint(0, N_BRANDS, N_ITEMS)
lengths = np.random.randint(3, SEQ_LEN + 1, N_ITEMS)
tokens = np.zeros((N_ITEMS, SEQ_LEN), dtype=np.int32)    # 0 = padding
for i, L in enumerate(lengths):
    tokens[i, :L] = np.random.randint(1, VOCAB, L)
numeric = np.random.normal(size=(N_ITEMS, N_NUM)).astype(np.float32)

log_price = (
    2.5
    + brand_value[brand]
    + np.array([token_value[t[t > 0]].mean() for t in tokens])
    + numeric @ np.linspace(-0.4, 0.4, N_NUM)
    + 0.2 * numeric[:, 0] * numeric[:, 1]
    + np.random.normal(0, 0.15, N_ITEMS)
).astype(np.float32)

perm = np.random.permutation(N_ITEMS)
n_tr, n_va = int(0.7 * N_ITEMS), int(0.15 * N_ITEMS)
idx_tr, idx_va, idx_te = perm[:n_tr], perm[n_tr:n_tr + n_va], perm[n_tr + n_va:]


def pack(idx):
    return {"num": numeric[idx], "brand": brand[idx], "desc": tokens[idx]}, log_price[idx]


(xtr, ytr), (xva, yva), (xte, yte) = pack(idx_tr), pack(idx_va), pack(idx_te)
y_mean = ytr.mean()


def make_ds(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y - y_mean))
    if training:
        ds = ds.shuffle(1024, seed=7)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


# ------------------------------------------------------------------ models
def common_inputs():
    return (keras.Input((N_NUM,), name="num"),
            keras.Input((), dtype="int32", name="brand"),
            keras.Input((SEQ_LEN,), dtype="int32", name="desc"))


def brand_branch(b, dim=8):
    return layers.Embedding(N_BRANDS, dim)(b)


def mlp_head(x, units, drop=0.1):
    for u in units:
        x = layers.Dense(u, activation="relu")(x)
        x = layers.Dropout(drop)(x)
    return layers.Dense(1)(x)


def model_bag_of_words():
    num, b, d = common_inputs()
    e = layers.Embedding(VOCAB, 16, mask_zero=True)(d)
    bow = layers.GlobalAveragePooling1D()(e)
    x = layers.Concatenate()([num, brand_branch(b), bow])
    return keras.Model([num, b, d], mlp_head(x, [64, 32]), name="bow_mlp")


def model_gru():
    num, b, d = common_inputs()
    e = layers.Embedding(VOCAB, 16, mask_zero=True)(d)
    seq = layers.Bidirectional(layers.GRU(16))(e)
    x = layers.Concatenate()([layers.Dense(16, activation="relu")(num), brand_branch(b, 4), seq])
    return keras.Model([num, b, d], mlp_head(x, [32]), name="bigru")


def model_cnn():
    num, b, d = common_inputs()
    e = layers.Embedding(VOCAB, 24)(d)
    convs = [layers.GlobalMaxPooling1D()(layers.Conv1D(16, k, activation="relu")(e)) for k in (2, 3, 4)]
    x = layers.Concatenate()([num, brand_branch(b, 6)] + convs)
    return keras.Model([num, b, d], mlp_head(x, [48], drop=0.2), name="textcnn")


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


builders = {"bow": model_bag_of_words, "gru": model_gru, "cnn": model_cnn}
preds_va, preds_te = {}, {}
train_ds, valid_ds = make_ds(xtr, ytr, True), make_ds(xva, yva, False)

for name, build in builders.items():
    model = build()
    model.compile(keras.optimizers.Adam(5e-3), loss="mse",
                  metrics=[keras.metrics.RootMeanSquaredError(name="rmse")])
    model.fit(train_ds, validation_data=valid_ds, epochs=2, verbose=0,
              callbacks=[keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.3, patience=1)])
    preds_va[name] = model.predict(xva, verbose=0).ravel() + y_mean
    preds_te[name] = model.predict(xte, verbose=0).ravel() + y_mean
    print(f"{model.name:>8s} ({model.count_params():>6,d} params)  valid RMSE={rmse(preds_va[name], yva):.4f}")

# ------------------------------------------------------------------ blending
names = list(builders)
P_va = np.column_stack([preds_va[n] for n in names])
P_te = np.column_stack([preds_te[n] for n in names])

grid = np.arange(0, 1.01, 0.1)
best = (np.inf, None)
for w in itertools.product(grid, repeat=len(names) - 1):
    if sum(w) > 1 + 1e-9:
        continue
    weights = np.array(list(w) + [1 - sum(w)])
    score = rmse(P_va @ weights, yva)
    if score < best[0]:
        best = (score, weights)

best_score, best_w = best
print("\nblend weights:", {n: round(float(w), 2) for n, w in zip(names, best_w)})
print(f"simple average  valid RMSE={rmse(P_va.mean(1), yva):.4f}")
print(f"weighted blend  valid RMSE={best_score:.4f}")
print(f"weighted blend  test  RMSE={rmse(P_te @ best_w, yte):.4f}")
print(f"baseline (mean) test  RMSE={rmse(np.full_like(yte, y_mean), yte):.4f}")

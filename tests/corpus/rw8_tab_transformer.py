"""TabTransformer for a synthetic 'adult income'-like table.

Categorical columns -> per-column embeddings (+ a learned column embedding),
stacked into a (batch, n_cat, d) sequence that runs through a couple of
transformer blocks. Numeric columns are layer-normed and concatenated with
the flattened contextual embeddings before the MLP head.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

config = dict(
    cat_cols={"workclass": 9, "education": 16, "marital_status": 7,
              "occupation": 15, "relationship": 6, "race": 5, "sex": 2},
    num_cols=["age", "fnlwgt", "capital_gain", "hours_per_week"],
    d_model=16,
    n_heads=2,
    n_blocks=2,
    mlp_units=[64, 32],
    dropout=0.1,
    batch_size=32,
    epochs=1,
    lr=3e-4,
)

rng = np.random.default_rng(2024)


def fake_table(n=400):
    cols = {}
    for c, card in config["cat_cols"].items():
        cols[c] = rng.integers(0, card, n).astype("int64")
    cols["age"] = rng.normal(38, 12, n)
    cols["fnlwgt"] = rng.lognormal(12, 0.5, n)
    cols["capital_gain"] = np.where(rng.random(n) < 0.9, 0.0, rng.exponential(5000, n))
    cols["hours_per_week"] = rng.normal(40, 10, n)
    for c in config["num_cols"]:
        cols[c] = cols[c].astype("float32")
    target = ((cols["age"] > 40) & (cols["education"] > 8)).astype("int32")
    return cols, target


class ColumnEmbedding(layers.Layer):
    """Adds a learned per-column identity vector to a stack of token embeddings."""

    def __init__(self, n_columns, dim, **kw):
        super().__init__(**kw)
        self.n_columns = n_columns
        self.dim = dim

    def build(self, input_shape):
        self.col_emb = self.add_weight(
            name="col_emb", shape=(self.n_columns, self.dim),
            initializer="random_normal", trainable=True)

    def call(self, x):
        return x + self.col_emb[None, :, :]


def transformer_block(x, d_model, heads, dropout, idx):
    attn = layers.MultiHeadAttention(num_heads=heads, key_dim=d_model // heads,
                                     dropout=dropout, name=f"mha_{idx}")(x, x)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"ln1_{idx}")(layers.Add()([x, attn]))
    ff = keras.Sequential([
        layers.Dense(d_model * 4, activation="gelu"),
        layers.Dropout(dropout),
        layers.Dense(d_model),
    ], name=f"ffn_{idx}")(x)
    return layers.LayerNormalization(epsilon=1e-6, name=f"ln2_{idx}")(x + ff)


def build_tab_transformer(cfg, numeric_norm):
    cat_inputs, num_inputs = [], []
    tokens = []
    for col, card in cfg["cat_cols"].items():
        inp = layers.Input(shape=(1,), name=col, dtype="int64")
        cat_inputs.append(inp)
        tokens.append(layers.Embedding(card, cfg["d_model"], name=f"{col}_emb")(inp))
    for col in cfg["num_cols"]:
        num_inputs.append(layers.Input(shape=(1,), name=col, dtype="float32"))

    x = layers.Concatenate(axis=1, name="cat_tokens")(tokens)   # (B, n_cat, d)
    x = ColumnEmbedding(len(cat_inputs), cfg["d_model"])(x)
    for i in range(cfg["n_blocks"]):
        x = transformer_block(x, cfg["d_model"], cfg["n_heads"], cfg["dropout"], i)
    x = layers.Flatten()(x)

    numeric = layers.concatenate(num_inputs, name="numeric")
    numeric = numeric_norm(numeric)
    numeric = layers.LayerNormalization()(numeric)

    h = layers.concatenate([x, numeric])
    for u in cfg["mlp_units"]:
        h = layers.Dense(u, activation="selu")(h)
        h = layers.Dropout(cfg["dropout"])(h)
    out = layers.Dense(1, activation="sigmoid", name="income_gt_50k")(h)
    return keras.Model(cat_inputs + num_inputs, out, name="tab_transformer")


def to_dataset(cols, y, shuffle=True):
    feats = {k: v.reshape(-1, 1) for k, v in cols.items()}
    ds = tf.data.Dataset.from_tensor_slices((feats, y))
    if shuffle:
        ds = ds.shuffle(len(y))
    return ds.batch(config["batch_size"]).prefetch(2)


class LRLogger(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch % 5 == 0:
            lr = self.model.optimizer.learning_rate
            print(f"  batch {batch}: loss={logs['loss']:.4f} lr={float(ops.convert_to_numpy(lr)):.2e}")


cols, y = fake_table()
n_train = math.floor(len(y) * 0.75)
train_cols = {k: v[:n_train] for k, v in cols.items()}
test_cols = {k: v[n_train:] for k, v in cols.items()}

norm = layers.Normalization(name="num_norm")
norm.adapt(np.stack([train_cols[c] for c in config["num_cols"]], axis=1))

model = build_tab_transformer(config, norm)
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=config["lr"], weight_decay=1e-4),
              loss=keras.losses.BinaryCrossentropy(),
              metrics=[keras.metrics.BinaryAccuracy(name="acc"), keras.metrics.AUC(name="auc")])
model.summary(line_length=110)

hist = model.fit(to_dataset(train_cols, y[:n_train]),
                 validation_data=to_dataset(test_cols, y[n_train:], shuffle=False),
                 epochs=config["epochs"],
                 callbacks=[LRLogger(),
                            keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)])
print({k: round(v[-1], 4) for k, v in hist.history.items()})

loss, acc, auc = model.evaluate(to_dataset(test_cols, y[n_train:], shuffle=False), verbose=0)
print(f"test loss {loss:.3f} acc {acc:.3f} auc {auc:.3f}")
probs = model.predict({k: v[:8].reshape(-1, 1) for k, v in test_cols.items()}, verbose=0)
print("probs:", probs.squeeze().round(2), "labels:", y[n_train:n_train + 8])

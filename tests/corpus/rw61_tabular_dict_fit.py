"""Multi-task tabular model trained with model.fit on a dict dataset.

Features arrive as a dict of columns (numeric + string + integer
categoricals) as they would from a feature store / CSV reader. We adapt
preprocessing layers on the training split, build a wide&deep style
functional model with named inputs, and fit against a dict of targets
with per-example sample weights on one of the heads.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

SEED = 42
N_ROWS = 800
BATCH = 64

NUMERIC = ["age", "income", "tenure_months"]
STRING_CATS = ["plan", "region"]
INT_CATS = ["num_devices"]
TARGETS = {"default": "binary", "spend": "regression"}


def fake_customers(n: int, seed: int = SEED) -> dict:
    """Returns a column-oriented table: {column_name: np.ndarray}."""
    rng = np.random.default_rng(seed)
    table = {
        "age": rng.integers(18, 80, n).astype("float32"),
        "income": rng.lognormal(10, 0.5, n).astype("float32"),
        "tenure_months": rng.integers(0, 120, n).astype("float32"),
        "plan": rng.choice(["basic", "plus", "pro", "enterprise"], n),
        "region": rng.choice(["na", "eu", "apac", "latam", "mea"], n),
        "num_devices": rng.integers(1, 6, n).astype("int64"),
    }
    score = (table["income"] / 1e5) - 0.01 * table["tenure_months"] + (table["plan"] == "basic") * 0.5
    table["default"] = (score + rng.normal(0, 0.3, n) > 0.3).astype("float32")
    table["spend"] = (
        0.002 * table["income"] + 10 * table["num_devices"] + rng.normal(0, 5, n)
    ).astype("float32")
    return table


def split_table(table: dict, val_frac: float, seed: int = SEED):
    n = len(next(iter(table.values())))
    perm = np.random.default_rng(seed).permutation(n)
    n_val = int(n * val_frac)
    val_idx, train_idx = perm[:n_val], perm[n_val:]
    return ({k: v[train_idx] for k, v in table.items()},
            {k: v[val_idx] for k, v in table.items()})


def table_to_dataset(df: dict, shuffle=True, batch_size=BATCH):
    features = {c: df[c] for c in NUMERIC + STRING_CATS + INT_CATS}
    labels = {t: df[t].reshape(-1, 1) for t in TARGETS}
    # down-weight the spend loss for brand-new customers (noisy labels)
    spend_w = np.where(df["tenure_months"] < 6, 0.2, 1.0).astype("float32")
    weights = {"default": np.ones(len(spend_w), "float32"), "spend": spend_w}
    ds = tf.data.Dataset.from_tensor_slices((features, labels, weights))
    if shuffle:
        ds = ds.shuffle(buffer_size=len(spend_w), seed=SEED)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def encode_inputs(train_ds):
    """Create Input tensors + adapted preprocessing and return (inputs, encoded list)."""
    inputs, encoded = {}, []
    feature_ds = train_ds.map(lambda x, y, w: x)

    for name in NUMERIC:
        inp = keras.Input(shape=(), name=name, dtype="float32")
        norm = keras.layers.Normalization(axis=-1, name=f"{name}_norm")
        norm.adapt(feature_ds.map(lambda x, n=name: tf.expand_dims(x[n], -1)))
        inputs[name] = inp
        encoded.append(norm(keras.layers.Reshape((1,))(inp)))  # (batch, 1)

    for name in STRING_CATS:
        inp = keras.Input(shape=(), name=name, dtype="string")
        lookup = keras.layers.StringLookup(name=f"{name}_lookup")
        lookup.adapt(feature_ds.map(lambda x, n=name: x[n]))
        emb_dim = max(2, int(np.ceil(np.sqrt(lookup.vocabulary_size()))))
        emb = keras.layers.Embedding(lookup.vocabulary_size(), emb_dim, name=f"{name}_emb")
        inputs[name] = inp
        encoded.append(emb(lookup(inp)))  # (batch, emb_dim)

    for name in INT_CATS:
        inp = keras.Input(shape=(), name=name, dtype="int64")
        lookup = keras.layers.IntegerLookup(output_mode="one_hot", name=f"{name}_onehot")
        lookup.adapt(feature_ds.map(lambda x, n=name: x[n]))
        inputs[name] = inp
        encoded.append(lookup(inp))

    return inputs, encoded


def build_model(inputs, encoded):
    wide = keras.layers.Concatenate(name="wide_concat")(encoded)
    deep = keras.layers.Dense(64, activation="relu")(wide)
    deep = keras.layers.Dropout(0.2)(deep)
    deep = keras.layers.Dense(32, activation="relu")(deep)
    joint = keras.layers.Concatenate(name="wide_deep")([wide, deep])

    outputs = {
        "default": keras.layers.Dense(1, activation="sigmoid", name="default")(joint),
        "spend": keras.layers.Dense(1, name="spend")(joint),
    }
    return keras.Model(inputs=inputs, outputs=outputs, name="wide_deep_multitask")


def main():
    keras.utils.set_random_seed(SEED)
    df = fake_customers(N_ROWS)
    train_df, val_df = split_table(df, val_frac=0.2)
    print(f"train rows={len(train_df['age'])} val rows={len(val_df['age'])}; "
          f"default rate={df['default'].mean():.2f}")

    train_ds = table_to_dataset(train_df)
    val_ds = table_to_dataset(val_df, shuffle=False)

    inputs, encoded = encode_inputs(train_ds)
    model = build_model(inputs, encoded)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={"default": keras.losses.BinaryCrossentropy(), "spend": keras.losses.Huber(delta=5.0)},
        loss_weights={"default": 1.0, "spend": 0.05},
        metrics={
            "default": [keras.metrics.AUC(name="auc"), keras.metrics.Precision(name="prec")],
            "spend": [keras.metrics.RootMeanSquaredError(name="rmse")],
        },
    )
    model.summary(line_length=100)

    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    # single-row inference from a raw python dict, like a serving handler would do
    row = {k: v[0] for k, v in val_df.items()}
    request = {
        c: tf.convert_to_tensor([row[c]])
        for c in NUMERIC + STRING_CATS + INT_CATS
    }
    out = model.predict(request, verbose=0)
    print(f"p(default)={out['default'][0, 0]:.3f}, spend={out['spend'][0, 0]:.1f} "
          f"(true default={row['default']}, spend={row['spend']:.1f})")


if __name__ == "__main__":
    main()

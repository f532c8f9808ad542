"""Config-driven feature preprocessing for a tabular churn model.

The column spec below is normally loaded from features.yaml; every column gets a
Keras preprocessing layer chosen by its `kind`, adapted on the training split,
and the encoded outputs are concatenated into one dense feature vector.
Preprocessing runs inside tf.data for training and is glued onto the trained
model for serving so the exported model accepts raw feature dicts.
"""
from __future__ import annotations

import os
import tempfile
from typing import Callable, Dict, List, NamedTuple

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Column(NamedTuple):
    name: str
    kind: str  # numeric | log_numeric | bucketized | string | integer | hashed | tags
    dtype: str = "float32"
    width: int = 1
    params: dict = {}


FEATURES: List[Column] = [
    Column("tenure_months", "numeric"),
    Column("monthly_charges", "numeric"),
    Column("total_charges", "log_numeric"),
    Column("age", "bucketized", params={"num_bins": 6}),
    Column("plan", "string", dtype="string", params={"output_mode": "one_hot"}),
    Column("region", "string", dtype="string", params={"embed_dim": 4}),
    Column("support_calls", "integer", dtype="int64", params={"max_tokens": 12, "output_mode": "one_hot"}),
    Column("zip_code", "hashed", dtype="string", params={"num_bins": 64, "embed_dim": 6}),
    Column("addons", "tags", dtype="string", width=3, params={"output_mode": "multi_hot"}),
]
LABEL = "churned"
TRAIN_CFG = dict(batch_size=128, epochs=2, learning_rate=1e-3, hidden=[64, 32])


def fake_table(n: int, seed: int = 0) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    addons_pool = np.array(["", "tv", "phone", "backup", "security", "cloud"])
    data = {
        "tenure_months": rng.integers(0, 72, n).astype("float32"),
        "monthly_charges": rng.normal(65, 25, n).clip(10, 150).astype("float32"),
        "age": rng.integers(18, 90, n).astype("float32"),
        "plan": rng.choice(["basic", "plus", "premium", "family"], n),
        "region": rng.choice(["north", "south", "east", "west", "central"], n),
        "support_calls": rng.poisson(1.5, n).astype("int64"),
        "zip_code": np.array([f"{z:05d}" for z in rng.integers(10000, 99999, n)]),
        "addons": addons_pool[rng.integers(0, len(addons_pool), (n, 3))],
    }
    data["total_charges"] = (data["tenure_months"] * data["monthly_charges"]).astype("float32")
    score = 0.03 * data["support_calls"] - 0.02 * data["tenure_months"] + 0.01 * data["monthly_charges"]
    data[LABEL] = (score + rng.normal(0, 0.3, n) > np.median(score)).astype("float32")
    return data


# ---------------------------------------------------------------- encoders
def _numeric(col, ds):
    norm = layers.Normalization(axis=-1, name=f"{col.name}_norm")
    norm.adapt(ds)
    return norm


def _log_numeric(col, ds):
    norm = layers.Normalization(axis=-1, name=f"{col.name}_norm")
    norm.adapt(ds.map(tf.math.log1p))
    return lambda x: norm(keras.ops.log1p(x))


def _bucketized(col, ds):
    disc = layers.Discretization(num_bins=col.params["num_bins"], name=f"{col.name}_bins")
    disc.adapt(ds)
    onehot = layers.CategoryEncoding(num_tokens=col.params["num_bins"], output_mode="one_hot")
    return lambda x: onehot(disc(x))


def _lookup_then_maybe_embed(col, lookup):
    if "embed_dim" in col.params:
        emb = layers.Embedding(lookup.vocabulary_size(), col.params["embed_dim"], name=f"{col.name}_emb")
        return lambda x: layers.Flatten()(emb(lookup(x)))
    return lookup


def _string(col, ds):
    mode = "int" if "embed_dim" in col.params else col.params.get("output_mode", "one_hot")
    lookup = layers.StringLookup(output_mode=mode, name=f"{col.name}_lookup")
    lookup.adapt(ds)
    return _lookup_then_maybe_embed(col, lookup)


def _integer(col, ds):
    lookup = layers.IntegerLookup(max_tokens=col.params["max_tokens"], output_mode=col.params["output_mode"],
                                  name=f"{col.name}_lookup")
    lookup.adapt(ds)
    return lookup


def _hashed(col, ds):
    hashing = layers.Hashing(num_bins=col.params["num_bins"], name=f"{col.name}_hash")
    emb = layers.Embedding(col.params["num_bins"], col.params["embed_dim"], name=f"{col.name}_emb")
    return lambda x: layers.Flatten()(emb(hashing(x)))


def _tags(col, ds):
    lookup = layers.StringLookup(mask_token="", output_mode=col.params["output_mode"], name=f"{col.name}_tags")
    lookup.adapt(ds)
    return lookup


ENCODERS: Dict[str, Callable] = {
    "numeric": _numeric, "log_numeric": _log_numeric, "bucketized": _bucketized,
    "string": _string, "integer": _integer, "hashed": _hashed, "tags": _tags,
}


def as_column_array(values: np.ndarray, width: int) -> np.ndarray:
    return values.reshape(-1, width)


def build_preprocessor(columns: List[Column], table: Dict[str, np.ndarray]) -> keras.Model:
    inputs, encoded = {}, []
    for col in columns:
        inputs[col.name] = keras.Input(shape=(col.width,), dtype=col.dtype, name=col.name)
        ds = tf.data.Dataset.from_tensor_slices(as_column_array(table[col.name], col.width)).batch(256)
        encoder = ENCODERS[col.kind](col, ds)
        out = encoder(inputs[col.name])
        encoded.append(keras.ops.cast(out, "float32"))
    features = layers.Concatenate(name="feature_vector")(encoded)
    return keras.Model(inputs, features, name="preprocessor")


def build_classifier(input_dim: int, hidden: List[int]) -> keras.Model:
    model = keras.Sequential([layers.Input(shape=(input_dim,))], name="churn_mlp")
    for units in hidden:
        model.add(layers.Dense(units, activation="gelu"))
        model.add(layers.Dropout(0.2))
    model.add(layers.Dense(1, activation="sigmoid"))
    return model


def to_dataset(table, columns, preprocessor=None, batch_size=128, shuffle=False):
    feats = {c.name: as_column_array(table[c.name], c.width) for c in columns}
    ds = tf.data.Dataset.from_tensor_slices((feats, table[LABEL]))
    if shuffle:
        ds = ds.shuffle(len(table[LABEL]), seed=7)
    ds = ds.batch(batch_size)
    if preprocessor is not None:
        ds = ds.map(lambda x, y: (preprocessor(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def main():
    keras.utils.set_random_seed(11)
    train, valid = fake_table(4000, seed=1), fake_table(800, seed=2)

    preprocessor = build_preprocessor(FEATURES, train)
    feature_dim = preprocessor.output_shape[-1]
    print(f"preprocessor -> {feature_dim} dense features from {len(FEATURES)} columns")

    clf = build_classifier(feature_dim, TRAIN_CFG["hidden"])
    clf.compile(optimizer=keras.optimizers.AdamW(TRAIN_CFG["learning_rate"]),
                loss="binary_crossentropy", metrics=["accuracy", keras.metrics.AUC(name="auc")])
    clf.fit(to_dataset(train, FEATURES, preprocessor, TRAIN_CFG["batch_size"], shuffle=True),
            validation_data=to_dataset(valid, FEATURES, preprocessor),
            epochs=TRAIN_CFG["epochs"], verbose=2)

    # Serving model: raw dict in, probability out.
    raw_inputs = {c.name: keras.Input(shape=(c.width,), dtype=c.dtype, name=c.name) for c in FEATURES}
    serving = keras.Model(raw_inputs, clf(preprocessor(raw_inputs)), name="churn_serving")

    # numpy unicode arrays are not accepted by predict(); go through tf.constant
    request = {c.name: tf.constant(as_column_array(valid[c.name][:5], c.width)) for c in FEATURES}
    probs = serving.predict(request, verbose=0)
    print("churn probabilities:", probs.ravel().round(3))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "churn_serving.keras")
        serving.save(path)
        print("saved", os.path.basename(path), os.path.getsize(path) // 1024, "KiB")


if __name__ == "__main__":
    main()

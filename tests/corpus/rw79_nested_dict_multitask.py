"""Multi-task recommender head with nested dict inputs and dict outputs.

Functional-API model that takes a nested feature dict:

    {"user": {"age": float, "country": int},
     "item": {"tokens": int[SEQ], "price": float},
     "context": float[CTX_DIM]}

and returns {"click": prob, "rating": scalar, "category": logits}.
Data comes from a tf.data pipeline that yields (features_dict, labels_dict),
losses / metrics / loss_weights are all keyed by output name. Model is saved
to a temp dir and reloaded at the end.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CFG = {
    "n_countries": 30,
    "vocab": 1000,
    "seq_len": 12,
    "ctx_dim": 6,
    "n_categories": 8,
    "embed_dim": 16,
    "hidden": [64, 32],
    "batch_size": 32,
    "n_train": 512,
    "n_val": 128,
    "loss_weights": {"click": 1.0, "rating": 0.5, "category": 0.3},
}


def synthetic_examples(n, cfg, seed):
    rng = np.random.default_rng(seed)
    feats = {
        "user": {
            "age": rng.uniform(18, 70, size=(n, 1)).astype("float32"),
            "country": rng.integers(0, cfg["n_countries"], size=(n, 1)).astype("int32"),
        },
        "item": {
            "tokens": rng.integers(0, cfg["vocab"], size=(n, cfg["seq_len"])).astype("int32"),
            "price": rng.lognormal(2.0, 0.5, size=(n, 1)).astype("float32"),
        },
        "context": rng.normal(size=(n, cfg["ctx_dim"])).astype("float32"),
    }
    # pad the tail of token sequences with 0 to exercise masking
    lengths = rng.integers(3, cfg["seq_len"] + 1, size=n)
    pad = np.arange(cfg["seq_len"])[None, :] >= lengths[:, None]
    feats["item"]["tokens"][pad] = 0

    score = feats["context"][:, 0] + 0.02 * (feats["user"]["age"][:, 0] - 40)
    labels = {
        "click": (score > 0).astype("float32")[:, None],
        "rating": np.clip(3 + score, 1, 5).astype("float32")[:, None],
        "category": (feats["item"]["tokens"][:, 0] % cfg["n_categories"]).astype("int32"),
    }
    return feats, labels


def make_dataset(feats, labels, batch_size, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((feats, labels))
    if shuffle:
        ds = ds.shuffle(1024, seed=7)

    def log_price(x, y):
        # rebuild the nested dict instead of mutating in place
        item = dict(x["item"])
        item["price"] = tf.math.log1p(item["price"])
        return {"user": x["user"], "item": item, "context": x["context"]}, y

    ds = ds.map(log_price, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


@keras.saving.register_keras_serializable(package="rw79")
class MaskedMeanPool(layers.Layer):
    """Average over time, ignoring padded steps (uses the propagated keras mask)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x, mask=None):
        if mask is None:
            return ops.mean(x, axis=1)
        m = ops.expand_dims(ops.cast(mask, x.dtype), -1)
        summed = ops.sum(x * m, axis=1)
        count = ops.maximum(ops.sum(m, axis=1), 1.0)
        return summed / count

    def compute_mask(self, inputs, mask=None):
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])


def build_inputs(cfg):
    return {
        "user": {
            "age": keras.Input(shape=(1,), name="age"),
            "country": keras.Input(shape=(1,), dtype="int32", name="country"),
        },
        "item": {
            "tokens": keras.Input(shape=(cfg["seq_len"],), dtype="int32", name="tokens"),
            "price": keras.Input(shape=(1,), name="price"),
        },
        "context": keras.Input(shape=(cfg["ctx_dim"],), name="context"),
    }


def user_tower(user, cfg):
    country = layers.Embedding(cfg["n_countries"], cfg["embed_dim"], name="country_emb")(
        user["country"]
    )
    country = layers.Reshape((cfg["embed_dim"],))(country)
    age = layers.Rescaling(1.0 / 100.0, name="age_scale")(user["age"])
    return layers.Concatenate(name="user_feats")([country, age])


def item_tower(item, cfg):
    tok = layers.Embedding(
        cfg["vocab"], cfg["embed_dim"], mask_zero=True, name="token_emb"
    )(item["tokens"])
    tok = MaskedMeanPool(name="token_pool")(tok)
    return layers.Concatenate(name="item_feats")([tok, item["price"]])


def build_model(cfg):
    inputs = build_inputs(cfg)
    u = user_tower(inputs["user"], cfg)
    it = item_tower(inputs["item"], cfg)
    ctx = layers.Dense(8, activation="relu", name="ctx_proj")(inputs["context"])

    x = layers.Concatenate(name="shared_in")([u, it, ctx])
    for i, units in enumerate(cfg["hidden"]):
        x = layers.Dense(units, activation="gelu", name=f"shared_{i}")(x)
        x = layers.Dropout(0.1)(x)

    outputs = {
        "click": layers.Dense(1, activation="sigmoid", name="click")(x),
        "rating": layers.Dense(1, name="rating")(x),
        "category": layers.Dense(cfg["n_categories"], name="category")(x),
    }
    return keras.Model(inputs=inputs, outputs=outputs, name="multitask_rec")


def main():
    keras.utils.set_random_seed(0)
    train = make_dataset(*synthetic_examples(CFG["n_train"], CFG, 1), CFG["batch_size"], True)
    val = make_dataset(*synthetic_examples(CFG["n_val"], CFG, 2), CFG["batch_size"], False)

    x_spec, y_spec = train.element_spec
    print("tokens spec:", x_spec["item"]["tokens"])
    print("label keys:", sorted(y_spec))

    model = build_model(CFG)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={
            "click": keras.losses.BinaryCrossentropy(),
            "rating": keras.losses.Huber(delta=1.0),
            "category": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        },
        loss_weights=CFG["loss_weights"],
        metrics={
            "click": [keras.metrics.AUC(name="auc"), "binary_accuracy"],
            "rating": [keras.metrics.RootMeanSquaredError(name="rmse")],
            "category": ["sparse_categorical_accuracy"],
        },
    )
    history = model.fit(train, validation_data=val, epochs=1, verbose=2)
    print("history keys:", sorted(history.history)[:6], "...")

    batch_x, _ = next(iter(val))
    preds = model(batch_x, training=False)
    for name, t in preds.items():
        print(f"{name:>9s}: {tuple(t.shape)}")

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "multitask.keras")
        model.save(path)
        reloaded = keras.saving.load_model(path)
    again = reloaded(batch_x, training=False)
    for k in preds:
        np.testing.assert_allclose(
            ops.convert_to_numpy(preds[k]), ops.convert_to_numpy(again[k]), atol=1e-5
        )
    print("reloaded model outputs:", list(again.keys()))
    print("eval:", {k: round(v, 4) for k, v in reloaded.evaluate(val, verbose=0, return_dict=True).items() if "loss" in k})


if __name__ == "__main__":
    main()

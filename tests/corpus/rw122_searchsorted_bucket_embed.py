#!/usr/bin/env python
# Numeric-feature embeddings for a click-through style model, Kaggle-notebook style.
#  - QuantileBucketEmbedding: boundaries from ops.quantile, ids from ops.searchsorted,
#    ids squeezed to a small int dtype with ops.saturate_cast, then a per-feature table lookup.
#  - PiecewiseLinearEncoding: "PLE" from the numeric-embeddings literature, written with ops.select.
# Both plug into a Functional model with a numeric input and a categorical input.

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

# ---- config -------------------------------------------------------------------------
config = {
    "n_rows": 800,
    "n_numeric": 6,
    "n_categories": 30,
    "n_buckets": 16,
    "embed_dim": 8,
    "batch_size": 64,
    "epochs": 2,
    "lr": 2e-3,
    "seed": 2024,
}
keras.utils.set_random_seed(config["seed"])
rng = np.random.default_rng(config["seed"])

# ---- synthetic data -----------------------------------------------------------------
num = np.column_stack([
    rng.lognormal(3.0, 1.0, config["n_rows"]),      # e.g. price
    rng.exponential(2.0, config["n_rows"]),         # time since last visit
    rng.normal(0.0, 1.0, config["n_rows"]),
    rng.uniform(-5, 5, config["n_rows"]),
    rng.poisson(3.0, config["n_rows"]),
    rng.gamma(2.0, 2.0, config["n_rows"]),
]).astype("float32")
cat = rng.integers(0, config["n_categories"], size=config["n_rows"]).astype("int32")
cat_effect = rng.normal(0, 1, config["n_categories"])
logit = (np.sin(np.log1p(num[:, 0])) + (num[:, 1] < 1.0) - 0.5 * np.abs(num[:, 3]) / 5
         + 0.3 * num[:, 2] + cat_effect[cat])
label = (logit + rng.normal(0, 0.5, config["n_rows"]) > np.median(logit)).astype("float32")

print("numeric feature ranges:")
for j in range(num.shape[1]):
    print(f"  f{j}: min={num[:, j].min():9.3f} max={num[:, j].max():9.3f}")


# ---- layers --------------------------------------------------------------------------
class QuantileBucketEmbedding(layers.Layer):
    def __init__(self, n_buckets, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.n_buckets = n_buckets
        self.embed_dim = embed_dim

    def build(self, input_shape):
        n_feat = input_shape[-1]
        # interior boundaries only: n_buckets - 1 of them per feature
        self.boundaries = self.add_weight(name="boundaries", shape=(n_feat, self.n_buckets - 1),
                                          initializer="zeros", trainable=False)
        self.table = self.add_weight(name="table", shape=(n_feat, self.n_buckets, self.embed_dim),
                                     initializer=keras.initializers.RandomNormal(stddev=0.05))

    def adapt(self, x):
        x = ops.convert_to_tensor(x, "float32")
        if not self.built:
            self.build(x.shape)
        qs = ops.linspace(0.0, 1.0, self.n_buckets + 1)[1:-1]
        b = ops.transpose(ops.quantile(x, qs, axis=0))  # (n_feat, n_buckets-1)
        # ties (e.g. poisson feature) -> nudge so boundaries are strictly increasing
        b = b + ops.arange(self.n_buckets - 1, dtype="float32")[None] * 1e-6
        self.boundaries.assign(b)

    def bucketize(self, x):
        n_feat = x.shape[-1]
        cols = [ops.searchsorted(self.boundaries[j], x[:, j], side="right") for j in range(n_feat)]
        ids = ops.stack(cols, axis=1)
        # int16 is plenty; saturate_cast keeps out-of-range values at the int16 limits
        return ops.saturate_cast(ids, "int16")

    def call(self, x):
        ids = ops.cast(self.bucketize(x), "int32")
        n_feat = x.shape[-1]
        feat_offset = ops.arange(n_feat, dtype="int32")[None] * self.n_buckets
        flat_table = ops.reshape(self.table, (n_feat * self.n_buckets, self.embed_dim))
        return ops.take(flat_table, ids + feat_offset, axis=0)  # (B, n_feat, embed_dim)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.embed_dim)


class PiecewiseLinearEncoding(layers.Layer):
    """Encode x in bin t as [1, ..., 1, frac, 0, ..., 0] using fixed bin edges."""

    def __init__(self, edges, **kwargs):
        super().__init__(**kwargs)
        self.edges_np = np.asarray(edges, dtype="float32")  # (n_feat, n_bins + 1)

    def build(self, input_shape):
        self.edges = self.add_weight(name="edges", shape=self.edges_np.shape,
                                     initializer=keras.initializers.Constant(self.edges_np),
                                     trainable=False)

    def call(self, x):
        lo = self.edges[None, :, :-1]
        hi = self.edges[None, :, 1:]
        xv = x[:, :, None]
        frac = (xv - lo) / ops.maximum(hi - lo, 1e-6)
        enc = ops.select(
            [xv >= hi, xv < lo],
            [ops.ones_like(frac), ops.zeros_like(frac)],
            default=frac,
        )
        return ops.reshape(enc, (-1, enc.shape[1] * enc.shape[2]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] * (self.edges_np.shape[1] - 1))


# ---- model ----------------------------------------------------------------------------
def make_model(bucket_layer, ple_layer):
    num_in = keras.Input((config["n_numeric"],), name="numeric")
    cat_in = keras.Input((), dtype="int32", name="category")

    emb = bucket_layer(num_in)
    emb = layers.Flatten()(emb)
    ple = ple_layer(num_in)
    cat_emb = layers.Embedding(config["n_categories"], config["embed_dim"])(cat_in)

    x = layers.Concatenate()([emb, ple, cat_emb])
    for width in (64, 32):
        x = layers.Dense(width, activation="relu")(x)
        x = layers.Dropout(0.1)(x)
    out = layers.Dense(1, activation="sigmoid", name="click")(x)
    return keras.Model({"numeric": num_in, "category": cat_in}, out)


n_train = int(0.8 * config["n_rows"])
bucketer = QuantileBucketEmbedding(config["n_buckets"], config["embed_dim"], name="bucket_embed")
bucketer.adapt(num[:n_train])

ple_edges = np.quantile(num[:n_train], np.linspace(0, 1, 9), axis=0).T  # 8 PLE bins / feature
ple_edges += np.arange(ple_edges.shape[1])[None] * 1e-6
ple = PiecewiseLinearEncoding(ple_edges, name="ple")

ids = ops.convert_to_numpy(bucketer.bucketize(ops.convert_to_tensor(num[:n_train])))
print("bucket id dtype:", ids.dtype, "| occupancy of f0:", np.bincount(ids[:, 0], minlength=config["n_buckets"]).tolist())

model = make_model(bucketer, ple)
model.compile(keras.optimizers.Adam(config["lr"]), loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc")])


def make_ds(sl, shuffle):
    ds = tf.data.Dataset.from_tensor_slices(({"numeric": num[sl], "category": cat[sl]}, label[sl]))
    if shuffle:
        ds = ds.shuffle(1024, seed=config["seed"])
    return ds.batch(config["batch_size"]).prefetch(tf.data.AUTOTUNE)


history = model.fit(make_ds(slice(0, n_train), True), validation_data=make_ds(slice(n_train, None), False),
                    epochs=config["epochs"], verbose=2)
print("final val auc:", round(history.history["val_auc"][-1], 4))

# out-of-range inputs still map to the first/last bucket
extreme = np.array([[-1e6] * config["n_numeric"], [1e6] * config["n_numeric"]], dtype="float32")
print("extreme bucket ids:", ops.convert_to_numpy(bucketer.bucketize(ops.convert_to_tensor(extreme))).tolist())

# Quantile bucketing of tabular features with tf.searchsorted inside a custom
# Keras layer, plus a scatter_nd based multi-hot "crossed bucket" feature.
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "n_rows": 400,
    "n_features": 5,
    "n_buckets": 8,
    "embed_dim": 4,
    "batch_size": 64,
    "epochs": 2,
    "lr": 5e-3,
    "seed": 11,
}

np.random.seed(CONFIG["seed"])
tf.random.set_seed(CONFIG["seed"])


def synth_table(n, d):
    x = np.random.lognormal(mean=0.0, sigma=1.0, size=(n, d)).astype("float32")
    x[:, 1] = np.random.normal(50, 10, size=n)           # a "normal-ish" column
    x[:, 3] = np.random.exponential(3.0, size=n)          # skewed
    logit = 0.8 * np.log1p(x[:, 0]) - 0.05 * (x[:, 1] - 50) + 0.3 * np.sin(x[:, 3])
    y = (logit + np.random.normal(0, 0.3, size=n) > np.median(logit)).astype("float32")
    return x, y


def quantile_boundaries(x, n_buckets):
    """Inner quantile cut points per column -> (d, n_buckets-1), sorted per row."""
    qs = np.linspace(0, 100, n_buckets + 1)[1:-1]
    b = np.percentile(x, qs, axis=0).T.astype("float32")
    # de-duplicate ties by nudging (searchsorted needs non-decreasing rows, ties are ok
    # but collapse buckets; nudge so each bucket is reachable)
    for j in range(b.shape[0]):
        for k in range(1, b.shape[1]):
            if b[j, k] <= b[j, k - 1]:
                b[j, k] = np.nextafter(b[j, k - 1], np.float32(np.inf))
    return b


class QuantileBucketizer(layers.Layer):
    """Maps each feature column to a bucket id with tf.searchsorted.

    searchsorted works row-wise on 2-D inputs, so we transpose to (d, batch)
    and search each column against its own boundary row.
    """

    def __init__(self, boundaries, **kwargs):
        super().__init__(**kwargs)
        self.boundaries_np = np.asarray(boundaries, dtype="float32")
        self.n_buckets = self.boundaries_np.shape[1] + 1

    def build(self, input_shape):
        self.boundaries = self.add_weight(
            name="boundaries",
            shape=self.boundaries_np.shape,
            initializer=keras.initializers.Constant(self.boundaries_np),
            trainable=False,
        )

    def call(self, x):
        cols = tf.transpose(x)                               # (d, batch)
        ids = tf.searchsorted(self.boundaries, cols, side="right")
        return tf.transpose(ids)                             # (batch, d) int32

    def compute_output_spec(self, x):
        # bucket ids are int32, not the layer's float compute dtype
        return keras.KerasTensor(x.shape, dtype="int32")

    def get_config(self):
        cfg = super().get_config()
        cfg["boundaries"] = self.boundaries_np.tolist()
        return cfg


class BucketMultiHot(layers.Layer):
    """Builds a (batch, d * n_buckets) multi-hot vector with tf.scatter_nd."""

    def __init__(self, n_buckets, **kwargs):
        super().__init__(**kwargs)
        self.n_buckets = n_buckets

    def call(self, ids):
        ids = tf.cast(ids, tf.int32)
        batch = tf.shape(ids)[0]
        d = tf.shape(ids)[1]
        rows = tf.repeat(tf.range(batch), d)
        cols = tf.reshape(ids + tf.range(d)[None, :] * self.n_buckets, [-1])
        indices = tf.stack([rows, cols], axis=1)
        updates = tf.ones_like(cols, dtype=tf.float32)
        return tf.scatter_nd(indices, updates, shape=tf.stack([batch, d * self.n_buckets]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] * self.n_buckets)


class OffsetIds(layers.Layer):
    """Shift each column's bucket id into its own range for a shared embedding."""

    def __init__(self, n_buckets, **kwargs):
        super().__init__(**kwargs)
        self.n_buckets = n_buckets

    def call(self, ids):
        d = tf.shape(ids)[1]
        return ids + tf.range(d)[None, :] * self.n_buckets


x_all, y_all = synth_table(CONFIG["n_rows"], CONFIG["n_features"])
split = int(0.8 * len(x_all))
x_tr, x_va = x_all[:split], x_all[split:]
y_tr, y_va = y_all[:split], y_all[split:]

bounds = quantile_boundaries(x_tr, CONFIG["n_buckets"])
print("boundaries shape:", bounds.shape)

# bucket occupancy check on the training set using bincount per column
bucketizer_probe = QuantileBucketizer(bounds)
ids_tr = bucketizer_probe(tf.constant(x_tr))
for j in range(CONFIG["n_features"]):
    occ = tf.math.bincount(ids_tr[:, j], minlength=CONFIG["n_buckets"])
    print(f"feature {j} bucket counts: {occ.numpy().tolist()}")


def build_model(cfg, boundaries):
    d, nb = cfg["n_features"], cfg["n_buckets"]
    inp = keras.Input(shape=(d,), name="raw")
    ids = QuantileBucketizer(boundaries, name="bucketize")(inp)

    multi_hot = BucketMultiHot(nb, name="multi_hot")(ids)
    wide = layers.Dense(1, use_bias=False, name="wide_logit")(multi_hot)

    flat_ids = OffsetIds(nb, name="offset_ids")(ids)
    emb = layers.Embedding(d * nb, cfg["embed_dim"], name="bucket_emb")(flat_ids)
    deep = layers.Flatten()(emb)
    normed = layers.Normalization(name="raw_norm")(inp)
    deep = layers.Concatenate()([deep, normed])
    for units in (32, 16):
        deep = layers.Dense(units, activation="relu")(deep)
    deep_logit = layers.Dense(1, name="deep_logit")(deep)

    logit = layers.Add()([wide, deep_logit])
    out = layers.Activation("sigmoid")(logit)
    return keras.Model(inp, out, name="wide_and_deep_buckets")


model = build_model(CONFIG, bounds)
model.get_layer("raw_norm").adapt(x_tr)
model.compile(
    optimizer=keras.optimizers.Adam(CONFIG["lr"]),
    loss="binary_crossentropy",
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
)

train_ds = (
    tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
    .shuffle(512, seed=CONFIG["seed"])
    .batch(CONFIG["batch_size"])
)
val_ds = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(CONFIG["batch_size"])

model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2)
metrics = model.evaluate(val_ds, verbose=0, return_dict=True)
print({k: round(float(v), 4) for k, v in metrics.items()})

# values right at a boundary go to the upper bucket with side="right"
edge = bounds[:, 2][None, :]
print("edge ids:", bucketizer_probe(tf.constant(edge)).numpy())

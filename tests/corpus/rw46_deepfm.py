"""DeepFM for CTR prediction on Criteo-like synthetic data.

13 dense (integer) fields + 26 categorical fields. All sparse fields share
one flat embedding table, indexed with per-field offsets, which is how most
production DeepFM implementations lay it out. The FM part computes the
second-order term with the 0.5 * ((sum v)^2 - sum v^2) trick.
"""
import numpy as np
import keras
from keras import layers, ops

CONFIG = {
    "num_dense": 13,
    "field_vocab_sizes": [50, 30, 120, 10, 8, 200, 15, 60, 4, 90, 25, 70, 33,
                          12, 40, 100, 6, 80, 22, 9, 150, 18, 44, 5, 64, 28],
    "embed_dim": 10,
    "dnn_units": (128, 64),
    "dropout": 0.2,
    "l2": 1e-5,
    "batch_size": 512,
    "n_samples": 8192,
    "epochs": 1,
}


class FeaturesEmbedding(layers.Layer):
    """One embedding table for all fields; field i indices are shifted by offsets[i]."""

    def __init__(self, field_dims, embed_dim, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.field_dims = list(field_dims)
        self.embed_dim = embed_dim
        self.l2 = l2
        self.offsets = np.concatenate([[0], np.cumsum(self.field_dims)[:-1]]).astype("int32")

    def build(self, input_shape):
        total = int(sum(self.field_dims))
        self.table = self.add_weight(
            name="table",
            shape=(total, self.embed_dim),
            initializer=keras.initializers.RandomNormal(stddev=0.01),
            regularizer=keras.regularizers.l2(self.l2) if self.l2 else None,
        )

    def call(self, x):
        # x: (batch, num_fields) int
        idx = x + ops.convert_to_tensor(self.offsets)[None, :]
        return ops.take(self.table, idx, axis=0)  # (batch, num_fields, embed_dim)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(field_dims=self.field_dims, embed_dim=self.embed_dim, l2=self.l2)
        return cfg


class FactorizationMachine(layers.Layer):
    """Second-order pairwise interaction term, returns (batch, 1)."""

    def call(self, v):
        square_of_sum = ops.square(ops.sum(v, axis=1))   # (B, K)
        sum_of_square = ops.sum(ops.square(v), axis=1)   # (B, K)
        return 0.5 * ops.sum(square_of_sum - sum_of_square, axis=1, keepdims=True)


def build_deepfm(cfg):
    n_fields = len(cfg["field_vocab_sizes"])
    dense_in = keras.Input(shape=(cfg["num_dense"],), name="dense_features")
    sparse_in = keras.Input(shape=(n_fields,), dtype="int32", name="sparse_features")

    # first-order (linear) part: 1-d embeddings for sparse, Dense for dense
    linear_sparse = FeaturesEmbedding(cfg["field_vocab_sizes"], 1, name="linear_embedding")(sparse_in)
    linear_sparse = layers.Lambda(lambda t: ops.sum(t, axis=1), name="linear_sum")(linear_sparse)
    linear_dense = layers.Dense(1, use_bias=True, name="linear_dense")(dense_in)
    linear_term = layers.Add(name="first_order")([linear_sparse, linear_dense])

    # shared latent vectors for FM and DNN
    sparse_emb = FeaturesEmbedding(cfg["field_vocab_sizes"], cfg["embed_dim"], l2=cfg["l2"],
                                   name="fm_embedding")(sparse_in)
    # dense features get their own vectors, scaled by the feature value
    dense_vecs = layers.Dense(cfg["num_dense"] * cfg["embed_dim"], use_bias=False,
                              name="dense_projection")(dense_in)
    dense_vecs = layers.Reshape((cfg["num_dense"], cfg["embed_dim"]))(dense_vecs)
    all_vecs = layers.Concatenate(axis=1, name="field_vectors")([sparse_emb, dense_vecs])

    fm_term = FactorizationMachine(name="fm")(all_vecs)

    x = layers.Flatten(name="dnn_input")(all_vecs)
    for i, units in enumerate(cfg["dnn_units"]):
        x = layers.Dense(units, name=f"dnn_{i}")(x)
        x = layers.BatchNormalization(name=f"dnn_bn_{i}")(x)
        x = layers.Activation("relu")(x)
        x = layers.Dropout(cfg["dropout"])(x)
    dnn_term = layers.Dense(1, name="dnn_out")(x)

    logit = layers.Add(name="deepfm_logit")([linear_term, fm_term, dnn_term])
    prob = layers.Activation("sigmoid", name="ctr")(logit)
    return keras.Model([dense_in, sparse_in], prob, name="DeepFM")


def make_criteo_like(cfg, seed=2024):
    rng = np.random.default_rng(seed)
    n = cfg["n_samples"]
    dense = rng.poisson(3.0, size=(n, cfg["num_dense"])).astype("float32")
    dense = np.log1p(dense)  # the usual log transform on Criteo counts
    sparse = np.stack([rng.integers(0, v, size=n) for v in cfg["field_vocab_sizes"]], axis=1)
    # plant a couple of interactions so FM has signal
    logit = (0.8 * (sparse[:, 0] % 5 == sparse[:, 3] % 5)
             + 0.5 * dense[:, 1] - 0.3 * dense[:, 4]
             + 0.6 * (sparse[:, 5] < 40) - 1.2)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")
    return dense, sparse.astype("int32"), y.reshape(-1, 1)  # match (batch, 1) model output


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    dense, sparse, y = make_criteo_like(CONFIG)
    print("dense:", dense.shape, "sparse:", sparse.shape, "ctr:", round(float(y.mean()), 3))

    model = build_deepfm(CONFIG)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryCrossentropy(name="logloss")],
    )
    model.summary(line_length=100)
    model.fit(
        {"dense_features": dense, "sparse_features": sparse}, y,
        batch_size=CONFIG["batch_size"],
        epochs=CONFIG["epochs"],
        validation_split=0.1,
        verbose=2,
    )
    preds = model.predict({"dense_features": dense[:8], "sparse_features": sparse[:8]}, verbose=0)
    print("pred shape:", preds.shape)

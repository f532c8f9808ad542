"""Deep & Cross Network v2 (DCN-M) for CTR-style click prediction.

Implements the cross layer x_{l+1} = x_0 * (W x_l + b) + x_l as a custom Keras
layer (full-rank and low-rank variants), then compares a stacked and a parallel
DCN on synthetic click logs with hashed categorical ids + dense counters.
"""
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CONFIG = {
    "seed": 1234,
    "n_samples": 4096,
    "batch_size": 256,
    "dense_features": ["i1", "i2", "i3", "i4", "i5"],
    # name -> number of hash bins
    "sparse_features": {"c_site": 50, "c_app": 40, "c_device": 30, "c_hour": 24, "c_banner": 8},
    "embedding_dim": 8,
    "num_cross_layers": 3,
    "cross_low_rank": 16,        # None -> full-rank W
    "deep_units": [64, 32],
    "dropout": 0.1,
    "learning_rate": 3e-3,
    "epochs": 1,
}


# --------------------------------------------------------------------------- #
# data
# --------------------------------------------------------------------------- #
def generate_click_logs(cfg):
    rng = np.random.default_rng(cfg["seed"])
    n = cfg["n_samples"]
    dense = {f: np.log1p(rng.poisson(lam=rng.uniform(1, 20), size=n)).astype("float32")
             for f in cfg["dense_features"]}
    sparse = {f: rng.integers(0, bins, size=n).astype("int64")
              for f, bins in cfg["sparse_features"].items()}
    # a genuine 2nd-order feature cross drives the label, which is what DCN should pick up
    interaction = ((sparse["c_site"] % 7) == (sparse["c_app"] % 7)).astype("float32")
    logit = -1.5 + 1.8 * interaction + 0.3 * dense["i1"] - 0.2 * dense["i3"] * (sparse["c_hour"] > 18)
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype("float32")
    return {**dense, **sparse}, label[:, None]  # (n, 1) to match the sigmoid output


def make_datasets(features, labels, cfg, val_frac=0.2):
    n = len(labels)
    n_val = int(n * val_frac)
    full = tf.data.Dataset.from_tensor_slices((features, labels))
    full = full.shuffle(n, seed=cfg["seed"], reshuffle_each_iteration=False)
    val_ds = full.take(n_val).batch(cfg["batch_size"]).cache()
    train_ds = full.skip(n_val).shuffle(2048).batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE)
    return train_ds, val_ds


# --------------------------------------------------------------------------- #
# layers
# --------------------------------------------------------------------------- #
@keras.saving.register_keras_serializable(package="dcn")
class Cross(layers.Layer):
    """One DCN-v2 cross layer.

    If `projection_dim` is set, W (d x d) is factorised as U @ V with U: d x r, V: r x d.
    """

    def __init__(self, projection_dim=None, use_bias=True,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.projection_dim = projection_dim
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        last_dim = input_shape[-1]
        if self.projection_dim is None:
            self.dense = layers.Dense(last_dim, use_bias=self.use_bias,
                                      kernel_initializer=self.kernel_initializer)
            self.dense.build(input_shape)
            self.dense_u = None
        else:
            self.dense_u = layers.Dense(self.projection_dim, use_bias=False,
                                        kernel_initializer=self.kernel_initializer)
            self.dense = layers.Dense(last_dim, use_bias=self.use_bias,
                                      kernel_initializer=self.kernel_initializer)
            self.dense_u.build(input_shape)
            self.dense.build(tuple(input_shape[:-1]) + (self.projection_dim,))
        super().build(input_shape)

    def call(self, x0, x=None):
        if x is None:
            x = x0
        prod = self.dense(self.dense_u(x)) if self.dense_u is not None else self.dense(x)
        return x0 * prod + x

    def get_config(self):
        config = super().get_config()
        config.update({
            "projection_dim": self.projection_dim,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
        })
        return config


class CrossNetwork(layers.Layer):
    def __init__(self, num_layers, projection_dim=None, **kwargs):
        super().__init__(**kwargs)
        self.cross_layers = [Cross(projection_dim=projection_dim, name=f"cross_{i}")
                             for i in range(num_layers)]

    def call(self, x0):
        x = x0
        for layer in self.cross_layers:
            x = layer(x0, x)
        return x


# --------------------------------------------------------------------------- #
# model
# --------------------------------------------------------------------------- #
def build_embedding_input(cfg):
    inputs, embedded = {}, []
    for name, bins in cfg["sparse_features"].items():
        inp = keras.Input(shape=(), dtype="int64", name=name)
        inputs[name] = inp
        # sqrt-ish rule of thumb is common, but DCN needs equal dims to concat cleanly anyway
        emb = layers.Embedding(bins, cfg["embedding_dim"], name=f"emb_{name}")(inp)
        embedded.append(emb)
    dense_inputs = []
    for name in cfg["dense_features"]:
        inp = keras.Input(shape=(), dtype="float32", name=name)
        inputs[name] = inp
        dense_inputs.append(layers.Reshape((1,))(inp))
    dense_block = layers.BatchNormalization(name="dense_bn")(layers.Concatenate()(dense_inputs))
    x0 = layers.Concatenate(name="x0")(embedded + [dense_block])
    return inputs, x0


def deep_tower(x, units, dropout, prefix):
    for i, u in enumerate(units):
        x = layers.Dense(u, activation="relu", name=f"{prefix}_dense_{i}")(x)
        x = layers.Dropout(dropout)(x)
    return x


def build_dcn(cfg, structure="stacked"):
    inputs, x0 = build_embedding_input(cfg)
    cross_out = CrossNetwork(cfg["num_cross_layers"], cfg["cross_low_rank"], name="cross_net")(x0)

    if structure == "stacked":
        h = deep_tower(cross_out, cfg["deep_units"], cfg["dropout"], prefix="deep")
    elif structure == "parallel":
        deep_out = deep_tower(x0, cfg["deep_units"], cfg["dropout"], prefix="deep")
        h = layers.Concatenate(name="cross_deep_concat")([cross_out, deep_out])
    else:
        raise ValueError(f"unknown structure {structure!r}")

    logits = layers.Dense(1, name="logit")(h)
    prob = layers.Activation("sigmoid", name="ctr")(logits)
    model = keras.Model(inputs, prob, name=f"dcn_{structure}")
    model.compile(
        optimizer=keras.optimizers.Adam(cfg["learning_rate"]),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryCrossentropy(name="logloss")],
    )
    return model


def cross_weight_heatmap(model, cfg):
    """Block-wise Frobenius norm of the first cross layer's (effective) W matrix,
    like Fig. 5 in the DCN-v2 paper. Rows/cols = feature groups."""
    cross = model.get_layer("cross_net").cross_layers[0]
    W = cross.dense.kernel
    if cross.dense_u is not None:
        W = ops.matmul(cross.dense_u.kernel, W)
    W = ops.convert_to_numpy(W)
    emb = cfg["embedding_dim"]
    group_sizes = [emb] * len(cfg["sparse_features"]) + [len(cfg["dense_features"])]
    bounds = np.cumsum([0] + group_sizes)
    g = len(group_sizes)
    heat = np.zeros((g, g), dtype="float32")
    for i in range(g):
        for j in range(g):
            heat[i, j] = np.linalg.norm(W[bounds[i]:bounds[i + 1], bounds[j]:bounds[j + 1]])
    return heat


def main():
    keras.utils.set_random_seed(CONFIG["seed"])
    features, labels = generate_click_logs(CONFIG)
    train_ds, val_ds = make_datasets(features, labels, CONFIG)
    print("positive rate:", labels.mean().round(3))

    results = {}
    for structure in ("stacked", "parallel"):
        model = build_dcn(CONFIG, structure)
        if structure == "stacked":
            model.summary(line_length=100)
        t0 = time.time()
        model.fit(train_ds, epochs=CONFIG["epochs"], verbose=0)
        metrics = model.evaluate(val_ds, return_dict=True, verbose=0)
        results[structure] = metrics
        print(f"{structure:9s} auc={metrics['auc']:.4f} logloss={metrics['logloss']:.4f} "
              f"({time.time() - t0:.1f}s)")

        heat = cross_weight_heatmap(model, CONFIG)
        names = list(CONFIG["sparse_features"]) + ["dense"]
        i, j = np.unravel_index(np.argmax(heat - np.diag(np.diag(heat))), heat.shape)
        print(f"  strongest off-diagonal cross block: {names[i]} x {names[j]} ({heat[i, j]:.3f})")

    best = max(results, key=lambda k: results[k]["auc"])
    print("best structure:", best)


if __name__ == "__main__":
    main()

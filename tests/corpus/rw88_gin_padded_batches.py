"""Graph Isomorphism Network (GIN) for graph classification on padded batches.

Toy benchmark: tell apart cycles, paths, stars and "lollipops" (clique + tail).
Each graph is zero-padded to MAX_NODES so a batch is just dense tensors:

    X    (B, N, F)   node features (degree one-hot + noise)
    A    (B, N, N)   adjacency, no self loops
    mask (B, N)      1 for real nodes, 0 for padding

GIN update:  h_v <- MLP((1 + eps) * h_v + sum_{u in N(v)} h_u)
Readout:     concat over layers of masked sum pooling (Xu et al. 2019).
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import ops

config = dict(
    max_nodes=20,
    max_degree=8,
    n_graphs=600,
    hidden_dim=32,
    n_layers=3,
    learn_eps=True,
    dropout=0.2,
    batch_size=32,
    epochs=3,
    lr=3e-3,
)

GRAPH_KINDS = ("cycle", "path", "star", "lollipop")


# --------------------------------------------------------------------------
# Toy dataset
# --------------------------------------------------------------------------
def make_graph(kind, n, rng):
    A = np.zeros((n, n), dtype=np.float32)
    if kind == "cycle":
        for i in range(n):
            A[i, (i + 1) % n] = 1
    elif kind == "path":
        for i in range(n - 1):
            A[i, i + 1] = 1
    elif kind == "star":
        A[0, 1:] = 1
    elif kind == "lollipop":
        k = max(3, n // 3)
        A[:k, :k] = 1 - np.eye(k)
        for i in range(k - 1, n - 1):
            A[i, i + 1] = 1
    else:
        raise ValueError(kind)
    A = np.maximum(A, A.T)
    perm = rng.permutation(n)          # random node order
    return A[perm][:, perm]


def featurize(A, max_degree, rng):
    deg = A.sum(1).astype(int).clip(0, max_degree - 1)
    x = np.eye(max_degree, dtype=np.float32)[deg]
    return x + 0.05 * rng.normal(size=x.shape).astype(np.float32)


def build_dataset(cfg, seed=0):
    rng = np.random.default_rng(seed)
    N, F = cfg["max_nodes"], cfg["max_degree"]
    X = np.zeros((cfg["n_graphs"], N, F), np.float32)
    A = np.zeros((cfg["n_graphs"], N, N), np.float32)
    M = np.zeros((cfg["n_graphs"], N), np.float32)
    y = rng.integers(len(GRAPH_KINDS), size=cfg["n_graphs"])
    for g in range(cfg["n_graphs"]):
        n = int(rng.integers(6, N + 1))
        adj = make_graph(GRAPH_KINDS[y[g]], n, rng)
        A[g, :n, :n] = adj
        X[g, :n] = featurize(adj, F, rng)
        M[g, :n] = 1.0
    return X, A, M, y.astype(np.int32)


# --------------------------------------------------------------------------
# Layers
# --------------------------------------------------------------------------
def mlp(hidden, out, dropout, name):
    return keras.Sequential([
        keras.layers.Dense(hidden),
        keras.layers.BatchNormalization(),
        keras.layers.ReLU(),
        keras.layers.Dropout(dropout),
        keras.layers.Dense(out, activation="relu"),
    ], name=name)


class GINConv(keras.layers.Layer):
    def __init__(self, hidden_dim, learn_eps=True, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_dim = hidden_dim
        self.learn_eps = learn_eps
        self.mlp = mlp(hidden_dim, hidden_dim, dropout, name=f"{self.name}_mlp")

    def build(self, input_shape):
        self.eps = self.add_weight(name="eps", shape=(), initializer="zeros",
                                   trainable=self.learn_eps)

    def call(self, x, adj, mask, training=None):
        # sum aggregation over neighbours == batched matmul with adjacency
        agg = ops.matmul(adj, x)                          # (B, N, F)
        h = (1.0 + self.eps) * x + agg
        h = self.mlp(h, training=training)
        # zero out padded nodes so they never leak into sums
        return h * ops.expand_dims(mask, -1)


class MaskedSumPool(keras.layers.Layer):
    def call(self, x, mask):
        return ops.sum(x * ops.expand_dims(mask, -1), axis=1)


def build_gin(cfg, n_classes):
    N, F = cfg["max_nodes"], cfg["max_degree"]
    x_in = keras.Input((N, F), name="x")
    a_in = keras.Input((N, N), name="adj")
    m_in = keras.Input((N,), name="mask")

    pool = MaskedSumPool(name="sum_pool")
    readouts = [pool(x_in, m_in)]
    h = x_in
    for i in range(cfg["n_layers"]):
        h = GINConv(cfg["hidden_dim"], cfg["learn_eps"], cfg["dropout"],
                    name=f"gin_{i}")(h, a_in, m_in)
        readouts.append(pool(h, m_in))

    # jumping-knowledge style: one linear head per layer, scores summed
    scores = [keras.layers.Dense(n_classes, name=f"head_{i}")(r)
              for i, r in enumerate(readouts)]
    logits = keras.layers.Add(name="logits")(scores)
    return keras.Model([x_in, a_in, m_in], logits, name="gin")


def main(cfg):
    X, A, M, y = build_dataset(cfg)
    print("X", X.shape, "A", A.shape, "mask", M.shape,
          "class counts", np.bincount(y).tolist())

    n_train = int(0.8 * len(y))
    def to_ds(sl, shuffle):
        ds = tf.data.Dataset.from_tensor_slices(((X[sl], A[sl], M[sl]), y[sl]))
        if shuffle:
            ds = ds.shuffle(512, seed=1)
        return ds.batch(cfg["batch_size"]).prefetch(2)

    train_ds = to_ds(slice(0, n_train), shuffle=True)
    test_ds = to_ds(slice(n_train, None), shuffle=False)

    model = build_gin(cfg, len(GRAPH_KINDS))
    model.compile(
        optimizer=keras.optimizers.Adam(cfg["lr"]),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["sparse_categorical_accuracy"],
    )
    model.summary(expand_nested=False)

    model.fit(train_ds, validation_data=test_ds, epochs=cfg["epochs"], verbose=2)

    # sanity check: GIN should be invariant to node permutations
    g = 0
    n = int(M[g].sum())
    perm = np.concatenate([np.random.permutation(n), np.arange(n, cfg["max_nodes"])])
    inputs = [X[g:g + 1], A[g:g + 1], M[g:g + 1]]
    perm_inputs = [X[g:g + 1, perm], A[g:g + 1][:, perm][:, :, perm], M[g:g + 1, perm]]
    out = model.predict(inputs, verbose=0)
    out_p = model.predict(perm_inputs, verbose=0)
    print("max |f(G) - f(PG)| =", float(np.abs(out - out_p).max()))
    print("learned eps:", [round(float(model.get_layer(f"gin_{i}").eps.numpy()), 4)
                           for i in range(cfg["n_layers"])])


if __name__ == "__main__":
    main(config)

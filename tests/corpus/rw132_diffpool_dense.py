# DiffPool-style hierarchical pooling on padded dense adjacency matrices.
# Each graph is padded to MAX_NODES and carries a node mask; the soft cluster
# assignment S = softmax(GNN_pool(A, X)) coarsens  X' = S^T Z,  A' = S^T A S.
# Auxiliary link-prediction and assignment-entropy losses go through add_loss.
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

config = {
    "max_nodes": 32,
    "n_graphs": 360,
    "node_feat_dim": 6,
    "hidden": 32,
    "clusters": [8, 2],
    "batch_size": 24,
    "epochs": 2,
    "lr": 1e-3,
    "aux_weight": 0.1,
}

rng = np.random.default_rng(2024)
keras.utils.set_random_seed(2024)


def community_graph(n_comms, max_nodes, feat_dim):
    """Dense communities joined by a handful of bridge edges. Label = n_comms - 2."""
    sizes = rng.integers(5, max_nodes // n_comms + 1, size=n_comms)
    n = int(sizes.sum())
    comm = np.repeat(np.arange(n_comms), sizes)
    p = np.where(comm[:, None] == comm[None, :], 0.55, 0.0)
    A = (rng.random((n, n)) < p).astype("float32")
    for c in range(n_comms - 1):           # bridges between consecutive communities
        u = rng.choice(np.where(comm == c)[0])
        v = rng.choice(np.where(comm == c + 1)[0])
        A[u, v] = 1.0
    A = np.triu(A, 1)
    A = A + A.T
    X = rng.normal(size=(n, feat_dim)).astype("float32") * 0.5
    X[:, 0] = A.sum(1) / 10.0              # degree as a feature

    A_pad = np.zeros((max_nodes, max_nodes), "float32")
    X_pad = np.zeros((max_nodes, feat_dim), "float32")
    mask = np.zeros((max_nodes,), "float32")
    A_pad[:n, :n], X_pad[:n], mask[:n] = A, X, 1.0
    return X_pad, A_pad, mask


def make_data(cfg):
    labels = rng.integers(0, 3, size=cfg["n_graphs"])            # 2, 3 or 4 communities
    triples = [community_graph(int(l) + 2, cfg["max_nodes"], cfg["node_feat_dim"]) for l in labels]
    X, A, M = (np.stack(t) for t in zip(*triples))
    return X, A, M, labels.astype("int32")


class DenseGCN(layers.Layer):
    """H = act( D^-1/2 (A + I) D^-1/2  X W ), operating on batched dense graphs."""

    def __init__(self, units, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.proj = layers.Dense(units)
        self.activation = keras.activations.get(activation)

    def call(self, x, adj, mask=None):
        n = ops.shape(adj)[-1]
        a_hat = adj + ops.eye(n)[None]
        if mask is not None:
            a_hat = a_hat * mask[:, :, None] * mask[:, None, :]
        deg = ops.sum(a_hat, axis=-1)
        d_inv = ops.where(deg > 0, ops.rsqrt(ops.maximum(deg, 1e-9)), 0.0)
        a_norm = d_inv[:, :, None] * a_hat * d_inv[:, None, :]
        h = self.activation(ops.matmul(a_norm, self.proj(x)))
        if mask is not None:
            h = h * mask[:, :, None]
        return h


class DiffPool(layers.Layer):
    def __init__(self, n_clusters, hidden, aux_weight=0.1, **kwargs):
        super().__init__(**kwargs)
        self.embed_gnn = DenseGCN(hidden)
        self.assign_gnn = DenseGCN(n_clusters, activation=None)
        self.aux_weight = aux_weight

    def call(self, x, adj, mask=None):
        z = self.embed_gnn(x, adj, mask)
        s = ops.softmax(self.assign_gnn(x, adj, mask), axis=-1)
        if mask is not None:
            s = s * mask[:, :, None]
        x_new = ops.matmul(ops.transpose(s, (0, 2, 1)), z)
        adj_new = ops.matmul(ops.matmul(ops.transpose(s, (0, 2, 1)), adj), s)

        link_loss = ops.sqrt(ops.sum(ops.square(adj - ops.matmul(s, ops.transpose(s, (0, 2, 1)))), axis=(1, 2)))
        entropy = -ops.sum(s * ops.log(s + 1e-12), axis=-1)
        if mask is not None:
            entropy = ops.sum(entropy, axis=-1) / ops.maximum(ops.sum(mask, axis=-1), 1.0)
        else:
            entropy = ops.mean(entropy, axis=-1)
        self.add_loss(self.aux_weight * (ops.mean(link_loss) / 10.0 + ops.mean(entropy)))
        return x_new, adj_new, s


def build_model(cfg):
    N, F = cfg["max_nodes"], cfg["node_feat_dim"]
    x_in = keras.Input((N, F), name="x")
    a_in = keras.Input((N, N), name="adj")
    m_in = keras.Input((N,), name="mask")

    h = DenseGCN(cfg["hidden"], name="gcn_in")(x_in, a_in, m_in)
    h = DenseGCN(cfg["hidden"], name="gcn_in2")(h, a_in, m_in)
    readouts = [layers.GlobalMaxPooling1D(name="readout_0")(h)]

    adj, mask = a_in, m_in
    for level, k in enumerate(cfg["clusters"]):
        h, adj, _ = DiffPool(k, cfg["hidden"], cfg["aux_weight"], name=f"diffpool_{level}")(h, adj, mask)
        mask = None  # pooled graphs are fully "real"
        h = DenseGCN(cfg["hidden"], name=f"gcn_lvl{level + 1}")(h, adj)
        readouts.append(layers.GlobalMaxPooling1D(name=f"readout_{level + 1}")(h))

    z = layers.Concatenate()(readouts)
    z = layers.Dense(64, activation="relu")(z)
    out = layers.Dense(3, activation="softmax", name="n_communities")(z)
    return keras.Model([x_in, a_in, m_in], out, name="diffpool_net")


def main():
    X, A, M, y = make_data(config)
    print(f"X {X.shape}  A {A.shape}  mask {M.shape}  "
          f"label counts {np.bincount(y).tolist()}  avg nodes {M.sum(1).mean():.1f}")

    split = int(len(y) * 0.8)
    to_ds = lambda sl: tf.data.Dataset.from_tensor_slices(
        ({"x": X[sl], "adj": A[sl], "mask": M[sl]}, y[sl]))
    train_ds = to_ds(slice(0, split)).shuffle(split).batch(config["batch_size"]).prefetch(2)
    val_ds = to_ds(slice(split, None)).batch(config["batch_size"])

    model = build_model(config)
    model.compile(optimizer=keras.optimizers.Adam(config["lr"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary(line_length=100)
    model.fit(train_ds, validation_data=val_ds, epochs=config["epochs"], verbose=2)

    # look at the first-level cluster assignment for one graph
    probe = keras.Model(model.inputs, model.get_layer("diffpool_0").output[2])
    S = probe.predict({"x": X[:1], "adj": A[:1], "mask": M[:1]}, verbose=0)[0]
    n_real = int(M[0].sum())
    hard = S[:n_real].argmax(-1)
    print(f"graph 0 ({y[0] + 2} communities, {n_real} nodes) -> cluster usage {np.bincount(hard, minlength=config['clusters'][0]).tolist()}")
    print("aux losses tracked:", len(model.losses))


if __name__ == "__main__":
    main()

"""
Semi-supervised node classification with a dense-adjacency Graph Attention Network.

Graph: stochastic block model with 4 communities, noisy node features.
Only ~15% of nodes are labelled; unlabelled nodes get sample_weight = 0.
The whole graph is a single "batch" (full-batch training, as in the GAT paper).
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class Config:
    n_nodes: int = 240
    n_communities: int = 4
    p_in: float = 0.12
    p_out: float = 0.01
    feat_dim: int = 16
    heads: int = 4
    head_dim: int = 8
    label_rate: float = 0.15
    epochs: int = 2
    steps_per_epoch: int = 20
    lr: float = 5e-3
    seed: int = 3


cfg = Config()
rng = np.random.default_rng(cfg.seed)


def stochastic_block_model(c: Config):
    comm = np.repeat(np.arange(c.n_communities), c.n_nodes // c.n_communities)
    same = comm[:, None] == comm[None, :]
    probs = np.where(same, c.p_in, c.p_out)
    upper = np.triu(rng.random((c.n_nodes, c.n_nodes)) < probs, k=1)
    adj = (upper | upper.T).astype(np.float32)
    # features: weak community signal + noise
    centers = rng.normal(0, 1, size=(c.n_communities, c.feat_dim))
    feats = 0.4 * centers[comm] + rng.normal(0, 1, size=(c.n_nodes, c.feat_dim))
    return adj, feats.astype(np.float32), comm.astype(np.int32)


class GraphAttention(layers.Layer):
    """Multi-head GAT layer on a dense adjacency matrix.

    inputs: node features [B, N, F], adjacency [B, N, N] (0/1, self-loops added here)
    """

    def __init__(self, heads, head_dim, concat=True, dropout=0.2, **kwargs):
        super().__init__(**kwargs)
        self.heads, self.head_dim = heads, head_dim
        self.concat = concat
        self.attn_drop = layers.Dropout(dropout)

    def build(self, input_shape):
        f_in = input_shape[0][-1]
        self.W = self.add_weight(shape=(f_in, self.heads, self.head_dim),
                                 initializer="glorot_uniform", name="W")
        self.a_src = self.add_weight(shape=(self.heads, self.head_dim),
                                     initializer="glorot_uniform", name="a_src")
        self.a_dst = self.add_weight(shape=(self.heads, self.head_dim),
                                     initializer="glorot_uniform", name="a_dst")
        self.bias = self.add_weight(
            shape=(self.heads * self.head_dim if self.concat else self.head_dim,),
            initializer="zeros", name="bias")

    def call(self, inputs, training=None):
        x, adj = inputs
        n = ops.shape(adj)[-1]
        adj = ops.maximum(adj, ops.eye(n)[None])                    # self loops
        h = ops.einsum("bnf,fhd->bnhd", x, self.W)                  # [B,N,H,D]
        e_src = ops.einsum("bnhd,hd->bhn", h, self.a_src)           # [B,H,N]
        e_dst = ops.einsum("bnhd,hd->bhn", h, self.a_dst)
        scores = ops.leaky_relu(e_dst[..., :, None] + e_src[..., None, :], negative_slope=0.2)
        mask = adj[:, None, :, :] > 0                               # [B,1,N,N]
        scores = ops.where(mask, scores, ops.full_like(scores, -1e9))
        alpha = ops.softmax(scores, axis=-1)
        alpha = self.attn_drop(alpha, training=training)
        out = ops.einsum("bhij,bjhd->bihd", alpha, h)               # [B,N,H,D]
        if self.concat:
            out = ops.reshape(out, (ops.shape(out)[0], n, self.heads * self.head_dim))
        else:
            out = ops.mean(out, axis=2)
        return out + self.bias


def build_gat(c: Config, n_classes):
    x_in = keras.Input(shape=(c.n_nodes, c.feat_dim), name="x")
    a_in = keras.Input(shape=(c.n_nodes, c.n_nodes), name="adj")
    h = layers.Dropout(0.3)(x_in)
    h = GraphAttention(c.heads, c.head_dim, concat=True, name="gat1")([h, a_in])
    h = layers.Activation("elu")(h)
    h = layers.Dropout(0.3)(h)
    logits = GraphAttention(1, n_classes, concat=False, name="gat2")([h, a_in])
    probs = layers.Softmax()(logits)
    return keras.Model([x_in, a_in], probs, name="gat")


def split_masks(n, labels, rate):
    train = np.zeros(n, bool)
    for k in np.unique(labels):
        idx = np.flatnonzero(labels == k)
        chosen = rng.choice(idx, size=max(1, int(rate * len(idx))), replace=False)
        train[chosen] = True
    rest = np.flatnonzero(~train)
    rng.shuffle(rest)
    val = np.zeros(n, bool)
    val[rest[: len(rest) // 2]] = True
    test = ~(train | val)
    return train, val, test


def main():
    keras.utils.set_random_seed(cfg.seed)
    adj, feats, labels = stochastic_block_model(cfg)
    degrees = adj.sum(1)
    print(f"nodes={cfg.n_nodes} edges={int(adj.sum() // 2)} "
          f"mean degree={degrees.mean():.2f} isolated={(degrees == 0).sum()}")

    train_m, val_m, test_m = split_masks(cfg.n_nodes, labels, cfg.label_rate)
    print(f"labelled: train={train_m.sum()} val={val_m.sum()} test={test_m.sum()}")

    X, A, Y = feats[None], adj[None], labels[None]
    w = lambda m: m.astype(np.float32)[None]

    # one element = the whole graph; repeat so each "step" is one full-batch update
    train_ds = (tf.data.Dataset
                .from_tensors(((feats, adj), labels, train_m.astype(np.float32)))
                .repeat()
                .batch(1))
    model = build_gat(cfg, cfg.n_communities)
    model.compile(optimizer=keras.optimizers.Adam(cfg.lr),
                  loss="sparse_categorical_crossentropy",
                  weighted_metrics=["accuracy"])
    model.summary()
    model.fit(
        train_ds,
        steps_per_epoch=cfg.steps_per_epoch,
        epochs=cfg.epochs,
        validation_data=((X, A), Y, w(val_m)),
        verbose=2,
    )

    pred = model.predict((X, A), verbose=0)[0].argmax(-1)
    for name, m in [("train", train_m), ("val", val_m), ("test", test_m)]:
        print(f"{name:>5} acc: {(pred[m] == labels[m]).mean():.3f}")

    # sanity check on parameter layout of the multi-head layer
    gat1 = model.get_layer("gat1")
    print(f"gat1 weight shapes: {[tuple(v.shape) for v in gat1.weights]}")


if __name__ == "__main__":
    main()

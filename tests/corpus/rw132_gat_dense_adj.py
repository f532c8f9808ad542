"""Graph Attention Network (Velickovic et al.) with a dense adjacency mask.

Full-batch semi-supervised node classification on a synthetic stochastic
block model. The whole graph is fed as a "batch" of one, and the train /
val split is handled with per-node sample weights.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_NODES = 300
N_CLASSES = 3
N_FEATS = 16
P_IN, P_OUT = 0.06, 0.006
LABEL_RATE = 0.15
HIDDEN = 8
HEADS = 4
EPOCHS = 60

rng = np.random.default_rng(3)
keras.utils.set_random_seed(3)


def stochastic_block_model(n, k, p_in, p_out):
    y = rng.integers(0, k, size=n)
    same = y[:, None] == y[None, :]
    probs = np.where(same, p_in, p_out)
    upper = np.triu(rng.random((n, n)) < probs, k=1)
    adj = (upper | upper.T).astype("float32")
    return adj, y


def noisy_features(y, k, dim, noise=2.0):
    prototypes = rng.normal(size=(k, dim))
    return (prototypes[y] + noise * rng.normal(size=(len(y), dim))).astype("float32")


class GraphAttention(layers.Layer):
    """Multi-head GAT layer. Attention is computed for all pairs and masked by adj."""

    def __init__(self, units, heads=1, concat=True, dropout=0.0, activation=None, **kw):
        super().__init__(**kw)
        self.units = units
        self.heads = heads
        self.concat = concat
        self.dropout = layers.Dropout(dropout)
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        feat_dim = input_shape[0][-1]
        self.W = self.add_weight(name="W", shape=(self.heads, feat_dim, self.units),
                                 initializer="glorot_uniform")
        self.a_src = self.add_weight(name="a_src", shape=(self.heads, self.units, 1),
                                     initializer="glorot_uniform")
        self.a_dst = self.add_weight(name="a_dst", shape=(self.heads, self.units, 1),
                                     initializer="glorot_uniform")
        self.b = self.add_weight(name="bias", shape=(self.units * self.heads if self.concat else self.units,),
                                 initializer="zeros")

    def call(self, inputs, training=None):
        x, adj = inputs                               # x: (B, N, F), adj: (B, N, N)
        # (B, H, N, U)
        h = tf.einsum("bnf,hfu->bhnu", x, self.W)
        e_src = tf.einsum("bhnu,huo->bhno", h, self.a_src)    # (B, H, N, 1)
        e_dst = tf.einsum("bhnu,huo->bhon", h, self.a_dst)    # (B, H, 1, N)
        scores = tf.nn.leaky_relu(e_src + e_dst, alpha=0.2)   # (B, H, N, N)

        n = tf.shape(adj)[-1]
        adj_self = adj + tf.eye(n, dtype=adj.dtype)[None]     # always attend to self
        mask = tf.expand_dims(adj_self > 0, 1)
        scores = tf.where(mask, scores, tf.fill(tf.shape(scores), -1e9))
        alpha = tf.nn.softmax(scores, axis=-1)
        alpha = self.dropout(alpha, training=training)

        out = tf.matmul(alpha, self.dropout(h, training=training))  # (B, H, N, U)
        if self.concat:
            out = tf.transpose(out, [0, 2, 1, 3])
            out = tf.reshape(out, [tf.shape(out)[0], tf.shape(out)[1], self.heads * self.units])
        else:
            out = tf.reduce_mean(out, axis=1)
        return self.activation(out + self.b)

    def compute_output_shape(self, input_shape):
        n = input_shape[0][1]
        d = self.units * self.heads if self.concat else self.units
        return (input_shape[0][0], n, d)


def build_gat(n_nodes, n_feats, n_classes):
    x_in = keras.Input((n_nodes, n_feats), name="features")
    a_in = keras.Input((n_nodes, n_nodes), name="adjacency")
    x = layers.Dropout(0.4)(x_in)
    x = GraphAttention(HIDDEN, heads=HEADS, concat=True, dropout=0.4, activation="elu", name="gat1")([x, a_in])
    x = layers.Dropout(0.4)(x)
    logits = GraphAttention(n_classes, heads=1, concat=False, dropout=0.4, name="gat2")([x, a_in])
    probs = layers.Softmax(name="probs")(logits)
    return keras.Model([x_in, a_in], probs, name="gat")


def main():
    adj, y = stochastic_block_model(N_NODES, N_CLASSES, P_IN, P_OUT)
    feats = noisy_features(y, N_CLASSES, N_FEATS)
    print(f"nodes={N_NODES} edges={int(adj.sum() // 2)} mean degree={adj.sum(1).mean():.2f}")

    perm = rng.permutation(N_NODES)
    n_train = int(LABEL_RATE * N_NODES)
    train_idx, val_idx, test_idx = perm[:n_train], perm[n_train:n_train + 60], perm[n_train + 60:]

    def node_mask(idx):
        m = np.zeros(N_NODES, dtype="float32")
        m[idx] = 1.0
        return m[None]

    X, A, Y = feats[None], adj[None], y[None].astype("int32")
    train_w, val_w, test_w = node_mask(train_idx), node_mask(val_idx), node_mask(test_idx)

    model = build_gat(N_NODES, N_FEATS, N_CLASSES)
    model.compile(
        optimizer=keras.optimizers.Adam(5e-3),
        loss="sparse_categorical_crossentropy",
        weighted_metrics=["sparse_categorical_accuracy"],
    )
    model.summary()

    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=20, restore_best_weights=True)
    hist = model.fit(
        [X, A], Y, sample_weight=train_w,
        validation_data=([X, A], Y, val_w),
        epochs=EPOCHS, batch_size=1, verbose=0, callbacks=[early], shuffle=False,
    )
    for ep in range(0, len(hist.history["loss"]), 10):
        print(f"epoch {ep:3d} loss={hist.history['loss'][ep]:.4f} "
              f"val_acc={hist.history['val_sparse_categorical_accuracy'][ep]:.3f}")

    results = model.evaluate([X, A], Y, sample_weight=test_w, verbose=0, return_dict=True)
    print("test:", {k: round(float(v), 4) for k, v in results.items()})

    # peek at attention sparsity: each row of alpha must only cover neighbours
    gat1 = model.get_layer("gat1")
    h = tf.einsum("bnf,hfu->bhnu", X, gat1.W)
    n_nonzero = (adj[0] + np.eye(N_NODES)).sum(1)
    print(f"avg neighbourhood size incl. self: {n_nonzero.mean():.2f}, hidden shape {tuple(h.shape)}")


if __name__ == "__main__":
    main()

"""Semi-supervised node classification with GCN / GAT on a dense adjacency.

Kipf & Welling style graph convolutions where the graph is small enough to
keep A as a dense (N, N) matrix.  The graph is a synthetic stochastic block
model (Cora-like: few labelled nodes, homophilous communities).  Training is
full-batch: the "batch" dimension is 1 and we mask the loss to the labelled
training nodes via sample_weight.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N_NODES = 300
N_CLASSES = 4
N_FEATURES = 50
P_IN, P_OUT = 0.08, 0.005
LABELS_PER_CLASS = 10
HIDDEN = 32
HEADS = 4
DROPOUT = 0.5
L2 = 5e-4
EPOCHS = 30


def stochastic_block_model(rng):
    labels = rng.integers(0, N_CLASSES, size=N_NODES)
    same = labels[:, None] == labels[None, :]
    probs = np.where(same, P_IN, P_OUT)
    upper = np.triu(rng.random((N_NODES, N_NODES)) < probs, k=1)
    adj = (upper | upper.T).astype("float32")
    # class-dependent sparse bag-of-words style features
    centroids = rng.random((N_CLASSES, N_FEATURES)) < 0.15
    feats = (rng.random((N_NODES, N_FEATURES)) < 0.05) | (centroids[labels] & (rng.random((N_NODES, N_FEATURES)) < 0.6))
    feats = feats.astype("float32")
    feats /= np.maximum(feats.sum(1, keepdims=True), 1.0)  # row-normalise
    return adj, feats, labels


def normalize_adjacency(adj):
    """A_hat = D^-1/2 (A + I) D^-1/2"""
    a = adj + np.eye(adj.shape[0], dtype=adj.dtype)
    d_inv_sqrt = 1.0 / np.sqrt(a.sum(axis=1))
    return a * d_inv_sqrt[:, None] * d_inv_sqrt[None, :]


def split_masks(labels, rng):
    train = np.zeros(N_NODES, dtype=bool)
    for c in range(N_CLASSES):
        idx = np.flatnonzero(labels == c)
        train[rng.choice(idx, LABELS_PER_CLASS, replace=False)] = True
    rest = np.flatnonzero(~train)
    rng.shuffle(rest)
    val = np.zeros(N_NODES, dtype=bool)
    test = np.zeros(N_NODES, dtype=bool)
    val[rest[:60]] = True
    test[rest[60:]] = True
    return train, val, test


class GraphConv(layers.Layer):
    """H' = act(A_hat @ H @ W + b), inputs are [H, A_hat] with a leading batch dim."""

    def __init__(self, units, activation=None, use_bias=True, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        feat_shape, _ = input_shape
        self.kernel = self.add_weight(name="kernel", shape=(feat_shape[-1], self.units),
                                      initializer="glorot_uniform",
                                      regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        h, a = inputs
        support = tf.einsum("bnf,fu->bnu", h, self.kernel)
        out = tf.matmul(a, support)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)


class DenseGraphAttention(layers.Layer):
    """Multi-head GAT layer (Velickovic et al.) using an additive score and an adjacency mask."""

    def __init__(self, units, heads=4, concat=True, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.heads, self.concat = units, heads, concat
        self.attn_dropout = layers.Dropout(dropout)

    def build(self, input_shape):
        f = input_shape[0][-1]
        self.W = self.add_weight(name="W", shape=(f, self.heads, self.units), initializer="glorot_uniform")
        self.a_src = self.add_weight(name="a_src", shape=(self.heads, self.units), initializer="glorot_uniform")
        self.a_dst = self.add_weight(name="a_dst", shape=(self.heads, self.units), initializer="glorot_uniform")

    def call(self, inputs, training=None):
        h, adj = inputs                                   # (B, N, F), (B, N, N)
        wh = tf.einsum("bnf,fhu->bnhu", h, self.W)         # (B, N, H, U)
        e_src = tf.einsum("bnhu,hu->bhn", wh, self.a_src)  # (B, H, N)
        e_dst = tf.einsum("bnhu,hu->bhn", wh, self.a_dst)
        scores = tf.nn.leaky_relu(e_src[..., :, None] + e_dst[..., None, :], alpha=0.2)  # (B, H, N, N)
        mask = tf.cast(adj > 0, scores.dtype)[:, None, :, :]
        scores = scores + (1.0 - mask) * -1e9
        attn = tf.nn.softmax(scores, axis=-1)
        attn = self.attn_dropout(attn, training=training)
        out = tf.einsum("bhij,bjhu->bihu", attn, wh)       # (B, N, H, U)
        if self.concat:
            new_shape = tf.concat([tf.shape(out)[:2], [self.heads * self.units]], axis=0)
            return tf.reshape(out, new_shape)
        return tf.reduce_mean(out, axis=2)

    def compute_output_shape(self, input_shape):
        b, n = input_shape[0][:2]
        return (b, n, self.heads * self.units if self.concat else self.units)


def build_gcn(n_nodes, n_feats, n_classes):
    x_in = keras.Input(shape=(n_nodes, n_feats), name="features")
    a_in = keras.Input(shape=(n_nodes, n_nodes), name="a_hat")
    h = layers.Dropout(DROPOUT)(x_in)
    h = GraphConv(HIDDEN, activation="relu", kernel_regularizer=keras.regularizers.l2(L2), name="gcn1")([h, a_in])
    h = layers.Dropout(DROPOUT)(h)
    out = GraphConv(n_classes, activation="softmax", name="gcn2")([h, a_in])
    return keras.Model([x_in, a_in], out, name="gcn")


def build_gat(n_nodes, n_feats, n_classes):
    x_in = keras.Input(shape=(n_nodes, n_feats), name="features")
    a_in = keras.Input(shape=(n_nodes, n_nodes), name="adj_self_loops")
    h = layers.Dropout(DROPOUT)(x_in)
    h = DenseGraphAttention(8, heads=HEADS, dropout=DROPOUT, name="gat1")([h, a_in])
    h = layers.ELU()(h)
    h = layers.Dropout(DROPOUT)(h)
    logits = DenseGraphAttention(n_classes, heads=1, concat=False, name="gat2")([h, a_in])
    out = layers.Softmax(axis=-1)(logits)
    return keras.Model([x_in, a_in], out, name="gat")


def main():
    rng = np.random.default_rng(0)
    tf.random.set_seed(0)
    adj, feats, labels = stochastic_block_model(rng)
    print(f"nodes={N_NODES} edges={int(adj.sum() // 2)} mean degree={adj.sum(1).mean():.1f}")
    train_m, val_m, test_m = split_masks(labels, rng)

    a_hat = normalize_adjacency(adj)[None]                     # (1, N, N)
    a_self = (adj + np.eye(N_NODES, dtype="float32"))[None]
    x = feats[None]                                            # (1, N, F)
    y = keras.utils.to_categorical(labels, N_CLASSES)[None]   # (1, N, C)

    for builder, graph in [(build_gcn, a_hat), (build_gat, a_self)]:
        model = builder(N_NODES, N_FEATURES, N_CLASSES)
        model.compile(optimizer=keras.optimizers.Adam(1e-2),
                      loss="categorical_crossentropy",
                      weighted_metrics=["accuracy"])
        model.fit([x, graph], y,
                  sample_weight=train_m[None].astype("float32"),
                  validation_data=([x, graph], y, val_m[None].astype("float32")),
                  batch_size=1, epochs=EPOCHS, shuffle=False, verbose=0)
        _, test_acc = model.evaluate([x, graph], y, sample_weight=test_m[None].astype("float32"),
                                     batch_size=1, verbose=0)
        probs = model.predict([x, graph], verbose=0)[0]
        print(f"{model.name}: out={probs.shape} params={model.count_params()} test acc={test_acc:.3f}")

        # node embeddings from the first graph layer, e.g. for t-SNE
        first = model.get_layer("gcn1" if model.name == "gcn" else "gat1")
        emb = keras.Model(model.inputs, first.output).predict([x, graph], verbose=0)
        print(f"  hidden embedding: {emb.shape}")


if __name__ == "__main__":
    main()

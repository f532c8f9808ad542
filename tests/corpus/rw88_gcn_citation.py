"""Semi-supervised node classification with a two-layer GCN (Kipf & Welling 2017).

Plain Keras re-implementation on a synthetic "Cora-like" citation graph.
The whole graph is fed as a single batch: node features X (N, F) and the
renormalised adjacency A_hat = D^-1/2 (A + I) D^-1/2 (N, N). Training nodes
are selected with a per-node sample weight mask, exactly like the original
TF1 code did with its `train_mask`.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 42
NUM_NODES = 300
NUM_FEATURES = 64
NUM_CLASSES = 5
HIDDEN_UNITS = 32
DROPOUT = 0.5
L2_REG = 5e-4
LEARNING_RATE = 0.01
EPOCHS = 20
TRAIN_PER_CLASS = 10

np.random.seed(SEED)
tf.random.set_seed(SEED)


def make_planted_partition_graph(n, k, p_in=0.08, p_out=0.005):
    """Stochastic block model: dense inside a community, sparse across."""
    labels = np.random.randint(0, k, size=n)
    same = labels[:, None] == labels[None, :]
    probs = np.where(same, p_in, p_out)
    upper = np.triu(np.random.rand(n, n) < probs, k=1)
    adj = (upper | upper.T).astype("float32")
    return adj, labels


def make_features(labels, num_features, k):
    """Bag-of-words style binary features that are weakly class dependent."""
    centers = np.random.rand(k, num_features)
    probs = 0.15 + 0.5 * centers[labels]
    feats = (np.random.rand(len(labels), num_features) < probs * 0.3).astype("float32")
    # row-normalise like the GCN preprocessing
    row_sum = feats.sum(axis=1, keepdims=True)
    row_sum[row_sum == 0] = 1.0
    return feats / row_sum


def normalize_adjacency(adj):
    """A_hat = D^-1/2 (A + I) D^-1/2"""
    adj = adj + np.eye(adj.shape[0], dtype=adj.dtype)
    deg = adj.sum(axis=1)
    d_inv_sqrt = np.power(deg, -0.5)
    d_inv_sqrt[np.isinf(d_inv_sqrt)] = 0.0
    return (adj * d_inv_sqrt[:, None]) * d_inv_sqrt[None, :]


def split_masks(labels, per_class, num_val=60, num_test=100):
    train_idx = []
    for c in range(labels.max() + 1):
        idx = np.where(labels == c)[0]
        train_idx.extend(idx[:per_class].tolist())
    rest = np.setdiff1d(np.arange(len(labels)), train_idx)
    np.random.shuffle(rest)
    val_idx, test_idx = rest[:num_val], rest[num_val:num_val + num_test]

    def to_mask(ix):
        m = np.zeros(len(labels), dtype="float32")
        m[ix] = 1.0
        return m

    return to_mask(train_idx), to_mask(val_idx), to_mask(test_idx)


class GraphConvolution(layers.Layer):
    """H' = act(A_hat @ H @ W + b). Inputs: [features, a_hat]."""

    def __init__(self, units, activation=None, use_bias=True,
                 kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        feat_shape, _ = input_shape
        self.kernel = self.add_weight(
            name="kernel",
            shape=(feat_shape[-1], self.units),
            initializer="glorot_uniform",
            regularizer=self.kernel_regularizer,
        )
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer="zeros")
        super().build(input_shape)

    def call(self, inputs):
        x, a_hat = inputs
        # x: (batch, N, F), a_hat: (batch, N, N)
        support = tf.matmul(x, self.kernel)          # (batch, N, units)
        out = tf.matmul(a_hat, support)              # (batch, N, units)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({
            "units": self.units,
            "activation": keras.activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
        })
        return cfg


def build_gcn(num_nodes, num_features, num_classes):
    x_in = keras.Input(shape=(num_nodes, num_features), name="features")
    a_in = keras.Input(shape=(num_nodes, num_nodes), name="a_hat")

    h = layers.Dropout(DROPOUT)(x_in)
    h = GraphConvolution(HIDDEN_UNITS, activation="relu",
                         kernel_regularizer=keras.regularizers.l2(L2_REG),
                         name="gcn_1")([h, a_in])
    h = layers.Dropout(DROPOUT)(h)
    logits = GraphConvolution(num_classes, name="gcn_2")([h, a_in])
    probs = layers.Softmax(axis=-1, name="node_probs")(logits)
    return keras.Model([x_in, a_in], probs, name="gcn")


def main():
    adj, labels = make_planted_partition_graph(NUM_NODES, NUM_CLASSES)
    features = make_features(labels, NUM_FEATURES, NUM_CLASSES)
    a_hat = normalize_adjacency(adj).astype("float32")
    train_mask, val_mask, test_mask = split_masks(labels, TRAIN_PER_CLASS)

    print(f"nodes={NUM_NODES} edges={int(adj.sum() // 2)} "
          f"train={int(train_mask.sum())} val={int(val_mask.sum())} "
          f"test={int(test_mask.sum())}")

    y = keras.utils.to_categorical(labels, NUM_CLASSES)

    # Add the leading batch dim of 1: the full graph is one sample.
    x_batch = features[None, ...]
    a_batch = a_hat[None, ...]
    y_batch = y[None, ...]

    model = build_gcn(NUM_NODES, NUM_FEATURES, NUM_CLASSES)
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss="categorical_crossentropy",
        weighted_metrics=["acc"],
    )
    model.summary()

    history = model.fit(
        [x_batch, a_batch], y_batch,
        sample_weight=train_mask[None, :],
        validation_data=([x_batch, a_batch], y_batch, val_mask[None, :]),
        batch_size=1,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
    )
    print("final train acc: %.3f  val acc: %.3f" % (
        history.history["acc"][-1], history.history["val_acc"][-1]))

    test_loss, test_acc = model.evaluate(
        [x_batch, a_batch], y_batch, sample_weight=test_mask[None, :],
        batch_size=1, verbose=0)
    print(f"test loss={test_loss:.4f} acc={test_acc:.4f}")

    # Pull out the hidden embeddings for e.g. t-SNE plotting later.
    embedder = keras.Model(model.inputs, model.get_layer("gcn_1").output)
    emb = embedder.predict([x_batch, a_batch], verbose=0)[0]
    print("hidden embedding shape:", emb.shape)


if __name__ == "__main__":
    main()

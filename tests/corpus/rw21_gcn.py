"""Two-layer GCN (Kipf & Welling) for semi-supervised node classification.

A stochastic block model graph is generated in numpy, node features are
noisy class prototypes, and the symmetric normalised adjacency
D^-1/2 (A + I) D^-1/2 is precomputed as a dense matrix. The whole graph is
fed as a single "batch" and a per-node sample weight masks out unlabeled
nodes from the loss.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

NUM_NODES = 300
NUM_CLASSES = 4
FEATURE_DIM = 32
P_IN, P_OUT = 0.08, 0.005
LABELS_PER_CLASS = 10
HIDDEN = 32
DROPOUT = 0.5


def stochastic_block_model(n, k, p_in, p_out, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, size=n)
    same = labels[:, None] == labels[None, :]
    probs = np.where(same, p_in, p_out)
    upper = np.triu(rng.random((n, n)) < probs, k=1)
    adj = (upper | upper.T).astype(np.float32)
    return adj, labels


def make_features(labels, k, dim, noise=1.5, seed=1):
    rng = np.random.default_rng(seed)
    prototypes = rng.normal(size=(k, dim))
    feats = prototypes[labels] + noise * rng.normal(size=(len(labels), dim))
    # row-normalise like the original preprocessing
    feats = np.abs(feats)
    feats /= feats.sum(axis=1, keepdims=True)
    return feats.astype(np.float32)


def normalize_adjacency(adj):
    a_hat = adj + np.eye(adj.shape[0], dtype=adj.dtype)
    deg = a_hat.sum(axis=1)
    d_inv_sqrt = np.power(deg, -0.5)
    d_inv_sqrt[np.isinf(d_inv_sqrt)] = 0.0
    return (a_hat * d_inv_sqrt[:, None]) * d_inv_sqrt[None, :]


def split_masks(labels, per_class, seed=2):
    rng = np.random.default_rng(seed)
    train = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        train[rng.choice(idx, size=per_class, replace=False)] = True
    rest = np.flatnonzero(~train)
    rng.shuffle(rest)
    val = np.zeros_like(train)
    val[rest[: len(rest) // 2]] = True
    test = ~(train | val)
    return train, val, test


class GraphConv(layers.Layer):
    """H' = act(A_norm @ H @ W + b), with A_norm passed as a second input."""

    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        feat_shape, _ = input_shape
        self.kernel = self.add_weight(
            name="kernel",
            shape=(feat_shape[-1], self.units),
            initializer="glorot_uniform",
            regularizer=keras.regularizers.l2(5e-4),
        )
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        features, adjacency = inputs
        support = ops.matmul(features, self.kernel)  # (B, N, units)
        out = ops.matmul(adjacency, support)  # (B, N, units)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, use_bias=self.use_bias)
        return cfg


def build_gcn(num_nodes, feat_dim, num_classes):
    x_in = keras.Input(shape=(num_nodes, feat_dim), name="features")
    a_in = keras.Input(shape=(num_nodes, num_nodes), name="adjacency")
    h = layers.Dropout(DROPOUT)(x_in)
    h = GraphConv(HIDDEN, activation="relu", name="gc1")([h, a_in])
    h = layers.Dropout(DROPOUT)(h)
    logits = GraphConv(num_classes, name="gc2")([h, a_in])
    probs = layers.Softmax(axis=-1)(logits)
    return keras.Model([x_in, a_in], probs, name="gcn")


def masked_accuracy(model, inputs, labels, mask):
    probs = model.predict(inputs, verbose=0)[0]
    pred = probs.argmax(-1)
    return float((pred[mask] == labels[mask]).mean())


def main():
    keras.utils.set_random_seed(42)
    adj, labels = stochastic_block_model(NUM_NODES, NUM_CLASSES, P_IN, P_OUT)
    feats = make_features(labels, NUM_CLASSES, FEATURE_DIM)
    a_norm = normalize_adjacency(adj).astype(np.float32)
    train_mask, val_mask, test_mask = split_masks(labels, LABELS_PER_CLASS)

    print(f"edges: {int(adj.sum() // 2)}, avg degree: {adj.sum(1).mean():.2f}")
    print(f"train/val/test: {train_mask.sum()}/{val_mask.sum()}/{test_mask.sum()}")

    # add leading batch axis of size 1; the graph is one training example
    x_batch = feats[None]
    a_batch = a_norm[None]
    y_batch = keras.utils.to_categorical(labels, NUM_CLASSES)[None]
    w_train = train_mask.astype(np.float32)[None]

    model = build_gcn(NUM_NODES, FEATURE_DIM, NUM_CLASSES)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.CategoricalCrossentropy(),
        weighted_metrics=["categorical_accuracy"],
    )
    model.summary()

    # full-batch training: each "epoch" is a single gradient step, so repeat
    # the graph a few times in one epoch rather than calling fit in a loop
    reps = 40
    model.fit(
        [np.repeat(x_batch, reps, 0), np.repeat(a_batch, reps, 0)],
        np.repeat(y_batch, reps, 0),
        sample_weight=np.repeat(w_train, reps, 0),
        batch_size=1,
        epochs=1,
        shuffle=False,
        verbose=2,
    )

    inputs = [x_batch, a_batch]
    for name, mask in [("train", train_mask), ("val", val_mask), ("test", test_mask)]:
        print(f"{name} acc: {masked_accuracy(model, inputs, labels, mask):.3f}")

    # hidden embeddings for a quick sanity check on class separation
    embed = keras.Model(model.inputs, model.get_layer("gc1").output)
    h = embed(inputs, training=False)[0]
    h = ops.convert_to_numpy(h)
    centroids = np.stack([h[labels == c].mean(0) for c in range(NUM_CLASSES)])
    dists = np.linalg.norm(centroids[:, None] - centroids[None], axis=-1)
    print("centroid distance matrix:\n", np.round(dists, 3))


if __name__ == "__main__":
    main()

"""Semi-supervised node classification with a 2-layer GCN (Kipf & Welling).

Synthetic "citation" graph from a stochastic block model: nodes in the same
community link more often and share bag-of-words features. The propagation
rule is H' = act(A_hat @ H @ W) with A_hat = D^-1/2 (A + I) D^-1/2.
Training is full-batch, with the labelled nodes selected through sample_weight,
which is the usual Keras trick for transductive node classification.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

NUM_NODES = 400
NUM_CLASSES = 4
NUM_FEATURES = 300
HIDDEN = 16
DROPOUT = 0.5
WEIGHT_DECAY = 5e-4
LABELS_PER_CLASS = 20
EPOCHS = 25
P_IN, P_OUT = 0.03, 0.002


def stochastic_block_graph(rng):
    y = rng.integers(0, NUM_CLASSES, size=NUM_NODES)
    same = y[:, None] == y[None, :]
    probs = np.where(same, P_IN, P_OUT)
    upper = np.triu(rng.random((NUM_NODES, NUM_NODES)) < probs, k=1)
    adj = (upper | upper.T).astype("float32")

    # sparse binary features, each class prefers a slice of the vocabulary
    x = (rng.random((NUM_NODES, NUM_FEATURES)) < 0.01).astype("float32")
    words_per_class = NUM_FEATURES // NUM_CLASSES
    for c in range(NUM_CLASSES):
        idx = np.where(y == c)[0]
        block = slice(c * words_per_class, (c + 1) * words_per_class)
        x[idx, block] += (rng.random((len(idx), words_per_class)) < 0.04)
    x = np.clip(x, 0, 1)
    # row-normalise features like the original preprocessing
    rowsum = x.sum(1, keepdims=True)
    x = x / np.maximum(rowsum, 1.0)
    return adj, x.astype("float32"), y


def normalize_adjacency(adj):
    """A_hat = D^-1/2 (A + I) D^-1/2"""
    a_tilde = adj + np.eye(adj.shape[0], dtype=adj.dtype)
    deg = a_tilde.sum(axis=1)
    d_inv_sqrt = np.power(deg, -0.5)
    d_inv_sqrt[np.isinf(d_inv_sqrt)] = 0.0
    return (a_tilde * d_inv_sqrt[:, None]) * d_inv_sqrt[None, :]


def split_masks(y, rng):
    train_mask = np.zeros(NUM_NODES, dtype=bool)
    for c in range(NUM_CLASSES):
        idx = np.where(y == c)[0]
        train_mask[rng.choice(idx, LABELS_PER_CLASS, replace=False)] = True
    rest = np.where(~train_mask)[0]
    rng.shuffle(rest)
    val_mask = np.zeros(NUM_NODES, dtype=bool)
    test_mask = np.zeros(NUM_NODES, dtype=bool)
    val_mask[rest[:100]] = True
    test_mask[rest[100:]] = True
    return train_mask, val_mask, test_mask


class GraphConvolution(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.l2 = l2

    def build(self, input_shape):
        feat_shape, _ = input_shape
        self.kernel = self.add_weight(
            name="kernel",
            shape=(feat_shape[-1], self.units),
            initializer="glorot_uniform",
            regularizer=keras.regularizers.l2(self.l2) if self.l2 else None,
        )
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        h, a_hat = inputs
        # graph is batch dim 1 when fed through Input(batch_size=1)
        support = tf.matmul(h, self.kernel)      # (1, N, units)
        out = tf.matmul(a_hat, support)          # (1, N, N) @ (1, N, units)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)

    def compute_output_shape(self, input_shape):
        feat_shape, _ = input_shape
        return tuple(feat_shape[:-1]) + (self.units,)


def build_gcn():
    x_in = keras.Input(shape=(NUM_NODES, NUM_FEATURES), batch_size=1, name="features")
    a_in = keras.Input(shape=(NUM_NODES, NUM_NODES), batch_size=1, name="a_hat")
    h = keras.layers.Dropout(DROPOUT)(x_in)
    h = GraphConvolution(HIDDEN, activation="relu", l2=WEIGHT_DECAY, name="gc1")([h, a_in])
    h = keras.layers.Dropout(DROPOUT)(h)
    out = GraphConvolution(NUM_CLASSES, activation="softmax", name="gc2")([h, a_in])
    return keras.Model([x_in, a_in], out, name="gcn")


def main():
    rng = np.random.default_rng(0)
    keras.utils.set_random_seed(0)
    adj, x, y = stochastic_block_graph(rng)
    a_hat = normalize_adjacency(adj)
    train_mask, val_mask, test_mask = split_masks(y, rng)
    print(f"nodes={NUM_NODES} edges={int(adj.sum() // 2)} "
          f"train/val/test={train_mask.sum()}/{val_mask.sum()}/{test_mask.sum()}")

    y_onehot = keras.utils.to_categorical(y, NUM_CLASSES)
    # add the leading "graph" batch axis
    inputs = [x[None], a_hat[None]]
    targets = y_onehot[None]

    model = build_gcn()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
        loss="categorical_crossentropy",
        weighted_metrics=["acc"],
    )
    model.summary()

    model.fit(
        inputs, targets,
        sample_weight=train_mask[None].astype("float32"),
        validation_data=(inputs, targets, val_mask[None].astype("float32")),
        batch_size=1,
        epochs=EPOCHS,
        shuffle=False,
        verbose=0,
        callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=10,
                                                 restore_best_weights=True)],
    )

    probs = model.predict(inputs, batch_size=1, verbose=0)[0]   # (N, C)
    pred = probs.argmax(-1)
    for name, mask in [("train", train_mask), ("val", val_mask), ("test", test_mask)]:
        print(f"{name:5s} acc: {(pred[mask] == y[mask]).mean():.3f}")

    # hidden representations for e.g. t-SNE
    embedder = keras.Model(model.inputs, model.get_layer("gc1").output)
    emb = embedder.predict(inputs, batch_size=1, verbose=0)
    print("node embeddings:", emb.shape)


if __name__ == "__main__":
    main()

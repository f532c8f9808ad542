# Graph classification with a GCN on dense (padded) adjacency matrices.
# Synthetic task: tell ring-like graphs apart from star-like graphs.
# Message passing = D^-1/2 (A + I) D^-1/2 X W, done with einsum over a batch.
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "max_nodes": 24,
    "min_nodes": 8,
    "feat_dim": 4,
    "n_graphs": 400,
    "hidden": [32, 32, 32],
    "dropout": 0.1,
    "lr": 3e-3,
    "batch_size": 32,
    "epochs": 2,
    "seed": 123,
}

np.random.seed(CFG["seed"])
tf.random.set_seed(CFG["seed"])


# ----------------------------------------------------------------------------
# synthetic graphs
# ----------------------------------------------------------------------------
def ring_graph(n):
    a = np.zeros((n, n), dtype=np.float32)
    for i in range(n):
        a[i, (i + 1) % n] = a[(i + 1) % n, i] = 1.0
    # a couple of random chords
    for _ in range(np.random.randint(0, 3)):
        i, j = np.random.choice(n, 2, replace=False)
        a[i, j] = a[j, i] = 1.0
    return a


def star_graph(n):
    a = np.zeros((n, n), dtype=np.float32)
    hubs = np.random.choice(n, size=np.random.randint(1, 3), replace=False)
    for v in range(n):
        if v in hubs:
            continue
        h = np.random.choice(hubs)
        a[v, h] = a[h, v] = 1.0
    return a


def node_features(adj):
    deg = adj.sum(1, keepdims=True)
    rnd = np.random.normal(scale=0.1, size=(adj.shape[0], CFG["feat_dim"] - 1))
    return np.concatenate([deg / 4.0, rnd], axis=1).astype(np.float32)


def build_graph_set():
    N = CFG["max_nodes"]
    A = np.zeros((CFG["n_graphs"], N, N), np.float32)
    X = np.zeros((CFG["n_graphs"], N, CFG["feat_dim"]), np.float32)
    M = np.zeros((CFG["n_graphs"], N), np.float32)
    y = np.zeros((CFG["n_graphs"],), np.int32)
    for g in range(CFG["n_graphs"]):
        n = np.random.randint(CFG["min_nodes"], N + 1)
        label = g % 2
        adj = ring_graph(n) if label == 0 else star_graph(n)
        A[g, :n, :n] = adj
        X[g, :n] = node_features(adj)
        M[g, :n] = 1.0
        y[g] = label
    return A, X, M, y


def normalize_adjacency(A, M):
    """Symmetric normalisation with self loops, only on real nodes."""
    eye = np.eye(A.shape[1], dtype=np.float32)[None]
    A_hat = A + eye * M[:, :, None]
    deg = A_hat.sum(-1)
    inv_sqrt = np.where(deg > 0, 1.0 / np.sqrt(np.maximum(deg, 1e-9)), 0.0)
    return (A_hat * inv_sqrt[:, :, None] * inv_sqrt[:, None, :]).astype(np.float32)


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
class DenseGCNLayer(layers.Layer):
    def __init__(self, units, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        x_shape = input_shape[0]
        self.w = self.add_weight(
            name="w", shape=(x_shape[-1], self.units), initializer="glorot_uniform"
        )
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        x, a_norm = inputs
        h = tf.einsum("bnf,fu->bnu", x, self.w)
        h = tf.einsum("bij,bju->biu", a_norm, h) + self.b
        return self.activation(h)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units)
        return cfg


class GCNClassifier(keras.Model):
    def __init__(self, hidden, dropout, n_classes=2, **kwargs):
        super().__init__(**kwargs)
        self.gcn_layers = [DenseGCNLayer(h, name=f"gcn_{i}") for i, h in enumerate(hidden)]
        self.drops = [layers.Dropout(dropout) for _ in hidden]
        self.readout = layers.Dense(32, activation="relu")
        self.out = layers.Dense(n_classes)

    def call(self, inputs, training=False):
        x, a_norm, mask = inputs
        mask3 = mask[..., None]
        for gcn, drop in zip(self.gcn_layers, self.drops):
            x = gcn([x, a_norm])
            x = drop(x, training=training) * mask3
        n_nodes = tf.reduce_sum(mask, axis=1, keepdims=True)
        mean_pool = tf.reduce_sum(x, axis=1) / tf.maximum(n_nodes, 1.0)
        max_pool = tf.reduce_max(x + (mask3 - 1.0) * 1e9, axis=1)
        h = tf.concat([mean_pool, max_pool], axis=-1)
        return self.out(self.readout(h))


# ----------------------------------------------------------------------------
# training
# ----------------------------------------------------------------------------
def main():
    A, X, M, y = build_graph_set()
    A_norm = normalize_adjacency(A, M)
    print(f"graphs: {len(y)}, avg nodes: {M.sum(1).mean():.1f}, avg edges: {A.sum((1, 2)).mean() / 2:.1f}")

    n_train = int(0.8 * len(y))
    train_ds = (
        tf.data.Dataset.from_tensor_slices(((X[:n_train], A_norm[:n_train], M[:n_train]), y[:n_train]))
        .shuffle(512, seed=CFG["seed"])
        .batch(CFG["batch_size"])
    )
    val_ds = tf.data.Dataset.from_tensor_slices(
        ((X[n_train:], A_norm[n_train:], M[n_train:]), y[n_train:])
    ).batch(CFG["batch_size"])

    model = GCNClassifier(CFG["hidden"], CFG["dropout"])
    optimizer = keras.optimizers.Adam(CFG["lr"])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    val_acc = keras.metrics.SparseCategoricalAccuracy()
    loss_tracker = keras.metrics.Mean()

    @tf.function
    def train_step(inputs, labels):
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True)
            loss = loss_fn(labels, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_acc.update_state(labels, logits)
        loss_tracker.update_state(loss)
        return loss

    @tf.function
    def eval_step(inputs, labels):
        logits = model(inputs, training=False)
        val_acc.update_state(labels, logits)

    for epoch in range(CFG["epochs"]):
        t0 = time.time()
        for m in (train_acc, val_acc, loss_tracker):
            m.reset_state()
        for step, (inputs, labels) in enumerate(train_ds):
            loss = train_step(inputs, labels)
            if step % 5 == 0:
                print(f"  epoch {epoch} step {step:02d} loss {float(loss):.4f}")
        for inputs, labels in val_ds:
            eval_step(inputs, labels)
        print(
            f"epoch {epoch + 1}/{CFG['epochs']}: loss={loss_tracker.result():.4f} "
            f"train_acc={train_acc.result():.3f} val_acc={val_acc.result():.3f} "
            f"({time.time() - t0:.1f}s)"
        )

    print(f"trainable params: {sum(int(np.prod(v.shape)) for v in model.trainable_variables)}")


if __name__ == "__main__":
    main()

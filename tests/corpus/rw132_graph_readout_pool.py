"""Comparing graph readout functions for graph classification.

Graphs live in a tf.data pipeline as ragged tensors (nodes and edge lists per
graph). Inside the model the ragged batch is flattened into a disjoint union,
a couple of GCN-style layers run on the edge list, then one of several
readouts (sum / mean / max / gated-attention) pools nodes into a graph vector.
"""
import time
from collections import OrderedDict

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N_PER_CLASS = 60
MAX_DEG = 8
BATCH = 32
EPOCHS = 2
READOUTS = ["sum", "mean", "max", "attention"]
CLASSES = ["cycle", "star", "tree", "clique_chain"]

rs = np.random.RandomState(123)


# ---------------------------------------------------------------------------
def cycle_graph(n):
    return [(i, (i + 1) % n) for i in range(n)]


def star_graph(n):
    return [(0, i) for i in range(1, n)]


def random_tree(n):
    return [(i, int(rs.randint(0, i))) for i in range(1, n)]


def clique_chain(n):
    # chain of triangles: 0-1-2, 2-3-4, ...
    edges = []
    for s in range(0, n - 2, 2):
        edges += [(s, s + 1), (s + 1, s + 2), (s, s + 2)]
    return edges


GENERATORS = [cycle_graph, star_graph, random_tree, clique_chain]


def graph_to_arrays(edges, n):
    e = np.array(edges, dtype="int32")
    e = np.concatenate([e, e[:, ::-1]], axis=0)          # undirected -> both directions
    deg = np.bincount(e[:, 0], minlength=n)
    x = np.eye(MAX_DEG + 1, dtype="float32")[np.minimum(deg, MAX_DEG)]
    x = np.concatenate([x, rs.normal(scale=0.1, size=(n, 4)).astype("float32")], axis=1)
    return x, e


def build_dataset():
    feats, edges, labels = [], [], []
    for label, gen in enumerate(GENERATORS):
        for _ in range(N_PER_CLASS):
            n = int(rs.randint(7, 20))
            x, e = graph_to_arrays(gen(n), n)
            feats.append(x)
            edges.append(e)
            labels.append(label)
    order = rs.permutation(len(labels))
    feats = [feats[i] for i in order]
    edges = [edges[i] for i in order]
    labels = np.array(labels, dtype="int32")[order]

    x_rt = tf.ragged.constant(feats, ragged_rank=1, dtype=tf.float32)
    e_rt = tf.ragged.constant(edges, ragged_rank=1, dtype=tf.int32)
    return x_rt, e_rt, labels


# ---------------------------------------------------------------------------
def ragged_to_disjoint(x_rt, e_rt):
    """Ragged batch -> (node_feats, edge_index, graph_id, num_graphs)."""
    nodes = x_rt.flat_values
    graph_id = tf.cast(x_rt.value_rowids(), tf.int32)
    node_offsets = tf.cast(x_rt.row_starts(), tf.int32)
    edge_offsets = tf.gather(node_offsets, tf.cast(e_rt.value_rowids(), tf.int32))
    edge_index = e_rt.flat_values + edge_offsets[:, None]
    return nodes, edge_index, graph_id, tf.cast(x_rt.nrows(), tf.int32)


class GCNConv(layers.Layer):
    """Symmetric-normalised GCN on an edge list with self loops."""

    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.dense = layers.Dense(units, use_bias=False)
        self.bias = None
        self.units = units

    def build(self, input_shape):
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, x, edge_index):
        n = tf.shape(x)[0]
        loops = tf.range(n)[:, None]
        ei = tf.concat([edge_index, tf.concat([loops, loops], axis=1)], axis=0)
        src, dst = ei[:, 0], ei[:, 1]
        deg = tf.math.unsorted_segment_sum(tf.ones_like(dst, tf.float32), dst, n)
        norm = tf.math.rsqrt(tf.gather(deg, src)) * tf.math.rsqrt(tf.gather(deg, dst))
        h = self.dense(x)
        msg = tf.gather(h, src) * norm[:, None]
        return tf.nn.relu(tf.math.unsorted_segment_sum(msg, dst, n) + self.bias)


class Readout(layers.Layer):
    def __init__(self, mode, **kw):
        super().__init__(**kw)
        self.mode = mode
        if mode == "attention":
            self.gate = layers.Dense(1)
            self.feat = layers.Dense(64)

    def call(self, h, graph_id, num_graphs):
        if self.mode == "sum":
            return tf.math.unsorted_segment_sum(h, graph_id, num_graphs)
        if self.mode == "mean":
            return tf.math.unsorted_segment_mean(h, graph_id, num_graphs)
        if self.mode == "max":
            return tf.math.unsorted_segment_max(h, graph_id, num_graphs)
        # gated attention pooling: segment softmax over nodes of each graph
        scores = tf.squeeze(self.gate(h), -1)
        seg_max = tf.math.unsorted_segment_max(scores, graph_id, num_graphs)
        scores = tf.exp(scores - tf.gather(seg_max, graph_id))
        denom = tf.math.unsorted_segment_sum(scores, graph_id, num_graphs)
        alpha = scores / (tf.gather(denom, graph_id) + 1e-9)
        return tf.math.unsorted_segment_sum(alpha[:, None] * self.feat(h), graph_id, num_graphs)


class GraphClassifier(keras.Model):
    def __init__(self, readout, hidden=(64, 64), n_classes=4, **kw):
        super().__init__(**kw)
        self.convs = [GCNConv(u, name=f"gcn_{i}") for i, u in enumerate(hidden)]
        self.readout = Readout(readout, name=f"readout_{readout}")
        self.mlp = keras.Sequential([layers.Dense(64, activation="relu"), layers.Dropout(0.2),
                                     layers.Dense(n_classes)])

    def call(self, inputs, training=False):
        x_rt, e_rt = inputs
        h, ei, gid, ng = ragged_to_disjoint(x_rt, e_rt)
        skips = []
        for conv in self.convs:
            h = conv(h, ei)
            skips.append(h)
        h = tf.concat(skips, axis=-1)  # jumping-knowledge style concat
        return self.mlp(self.readout(h, gid, ng), training=training)


def run_experiment(readout, train_ds, val_ds):
    model = GraphClassifier(readout)
    opt = keras.optimizers.Adam(3e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    acc = keras.metrics.SparseCategoricalAccuracy()

    @tf.function(reduce_retracing=True)
    def step(x_rt, e_rt, y):
        with tf.GradientTape() as tape:
            logits = model((x_rt, e_rt), training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
        return loss

    @tf.function(reduce_retracing=True)
    def predict(x_rt, e_rt):
        return model((x_rt, e_rt), training=False)

    losses = []
    for _ in range(EPOCHS):
        for (x_rt, e_rt), y in train_ds:
            losses.append(float(step(x_rt, e_rt, y)))
    acc.reset_state()
    for (x_rt, e_rt), y in val_ds:
        acc.update_state(y, predict(x_rt, e_rt))
    return np.mean(losses[-5:]), float(acc.result())


def main():
    x_rt, e_rt, labels = build_dataset()
    print("node feat ragged shape:", x_rt.shape, "edge ragged shape:", e_rt.shape)
    n_train = int(0.8 * len(labels))

    ds = tf.data.Dataset.from_tensor_slices(((x_rt, e_rt), labels))
    train_ds = ds.take(n_train).shuffle(n_train, seed=1).batch(BATCH)
    val_ds = ds.skip(n_train).batch(BATCH)

    # quick look at one batch
    (bx, be), by = next(iter(train_ds))
    nodes, ei, gid, ng = ragged_to_disjoint(bx, be)
    print(f"batch: {int(ng)} graphs, {nodes.shape[0]} nodes, {ei.shape[0]} directed edges")

    results = OrderedDict()
    for name in READOUTS:
        t0 = time.time()
        keras.utils.set_random_seed(0)
        results[name] = run_experiment(name, train_ds, val_ds)
        print(f"[{name:>9}] loss={results[name][0]:.3f} val_acc={results[name][1]:.3f} "
              f"({time.time() - t0:.1f}s)")

    best = max(results, key=lambda k: results[k][1])
    print(f"best readout on this run: {best}")


if __name__ == "__main__":
    main()

"""Small graph classifier (rings vs. random trees) on a disjoint-union batch.

Graphs live as RaggedTensors in tf.data; each batch is flattened into
(node_features, edge_index, graph_ids) inside Dataset.map, message passing uses
tf.math.unsorted_segment_sum and the readout uses tf.math.segment_mean /
segment_max. Also round-trips adjacency through tf.sparse and RaggedTensor.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_GRAPHS = 300
MIN_NODES, MAX_NODES = 5, 14
N_NODE_TYPES = 4
HIDDEN = 32
N_MP_STEPS = 3
BATCH = 25

rng = np.random.default_rng(5)


def ring_edges(n):
    src = np.arange(n)
    return np.stack([src, (src + 1) % n], 1)


def tree_edges(n):
    parents = [rng.integers(0, i) for i in range(1, n)]
    return np.stack([parents, np.arange(1, n)], 1)


def make_graphs(count):
    node_lists, edge_lists, ys = [], [], []
    for g in range(count):
        n = int(rng.integers(MIN_NODES, MAX_NODES + 1))
        label = g % 2
        e = ring_edges(n) if label == 1 else tree_edges(n)
        e = np.concatenate([e, e[:, ::-1]], 0)            # undirected
        types = rng.integers(0, N_NODE_TYPES, n)
        feats = np.eye(N_NODE_TYPES, dtype="float32")[types]
        node_lists.append(feats)
        edge_lists.append(e.astype("int64"))
        ys.append(label)
    nodes = tf.ragged.constant(node_lists, ragged_rank=1, inner_shape=(N_NODE_TYPES,), dtype=tf.float32)
    edges = tf.ragged.constant(edge_lists, ragged_rank=1, inner_shape=(2,), dtype=tf.int64)
    return nodes, edges, np.array(ys, "float32")


nodes_rt, edges_rt, y_all = make_graphs(N_GRAPHS)
print("nodes:", nodes_rt.shape, "edges:", edges_rt.shape)

# ---------------------------------------------------------------------------
# sparse <-> ragged round trip on one graph: adjacency -> neighbour lists
# ---------------------------------------------------------------------------
g0_edges = edges_rt[0]
g0_n = int(nodes_rt.row_lengths()[0])
adj = tf.sparse.SparseTensor(g0_edges, tf.ones([tf.shape(g0_edges)[0]]), dense_shape=[g0_n, g0_n])
adj = tf.sparse.reorder(adj)
# adjacency indices are (row, col); from_sparse wants "right-ragged" columns
# (0..k-1 within each row) so build the ragged rows from value_rowids instead
neighbours = tf.RaggedTensor.from_value_rowids(
    values=adj.indices[:, 1], value_rowids=adj.indices[:, 0], nrows=g0_n
)
roundtrip = tf.RaggedTensor.from_sparse(neighbours.to_sparse())
tf.debugging.assert_equal(roundtrip.flat_values, neighbours.flat_values)
degree_sparse = tf.sparse.reduce_sum(adj, axis=1)
print("graph 0 label:", y_all[0], "neighbour lists:", neighbours.to_list())
tf.debugging.assert_equal(tf.cast(neighbours.row_lengths(), tf.float32), degree_sparse)
back = tf.sparse.to_dense(neighbours.to_sparse())
print("dense neighbour table shape:", back.shape)


# ---------------------------------------------------------------------------
# tf.data: ragged batch -> disjoint union
# ---------------------------------------------------------------------------
def to_disjoint_union(nodes, edges, y):
    x = nodes.values                                     # (N_total, F)
    graph_ids = tf.cast(nodes.value_rowids(), tf.int32)  # sorted, needed by segment_*
    offsets = nodes.row_starts()                         # (B,)
    edge_offsets = tf.gather(offsets, edges.value_rowids())
    edge_index = tf.cast(edges.values + edge_offsets[:, None], tf.int32)
    n_nodes = tf.cast(nodes.row_lengths(), tf.float32)
    inputs = {
        "x": x,
        "senders": edge_index[:, 0],
        "receivers": edge_index[:, 1],
        "graph_ids": graph_ids,
        "n_nodes": n_nodes,
    }
    return inputs, y


ds = tf.data.Dataset.from_tensor_slices((nodes_rt, edges_rt, y_all))
val_ds = ds.take(50).batch(BATCH).map(to_disjoint_union)
train_ds = (ds.skip(50).shuffle(256, seed=1).batch(BATCH)
            .map(to_disjoint_union, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(2))

sample_in, sample_y = next(iter(train_ds))
print({k: tuple(v.shape) for k, v in sample_in.items()}, "labels:", sample_y.shape)


# ---------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------
class MessagePassing(layers.Layer):
    def __init__(self, units, **kw):
        super().__init__(**kw)
        self.msg = layers.Dense(units, activation="relu")
        self.upd = layers.Dense(units, activation="relu")
        self.norm = layers.LayerNormalization()

    def call(self, h, senders, receivers):
        n = tf.shape(h)[0]
        messages = self.msg(tf.gather(h, senders))
        agg = tf.math.unsorted_segment_sum(messages, receivers, num_segments=n)
        deg = tf.math.unsorted_segment_sum(tf.ones_like(receivers, tf.float32), receivers, n)
        agg = agg / tf.maximum(deg, 1.0)[:, None]
        return self.norm(h + self.upd(tf.concat([h, agg, deg[:, None] / 4.0], -1)))


class GraphReadout(layers.Layer):
    def call(self, h, graph_ids):
        mean = tf.math.segment_mean(h, graph_ids)
        mx = tf.math.segment_max(h, graph_ids)
        total = tf.math.segment_sum(h, graph_ids)
        return tf.concat([mean, mx, tf.math.log1p(tf.nn.relu(total))], axis=-1)


class GraphClassifier(keras.Model):
    def __init__(self, hidden=HIDDEN, steps=N_MP_STEPS, **kw):
        super().__init__(**kw)
        self.embed = layers.Dense(hidden)
        self.mp = [MessagePassing(hidden, name=f"mp_{i}") for i in range(steps)]
        self.readout = GraphReadout()
        self.head = keras.Sequential([layers.Dense(hidden, activation="relu"),
                                      layers.Dense(1, activation="sigmoid")])

    def call(self, inputs):
        h = self.embed(inputs["x"])
        for block in self.mp:
            h = block(h, inputs["senders"], inputs["receivers"])
        g = self.readout(h, inputs["graph_ids"])
        size_feat = tf.math.log(inputs["n_nodes"])[:, None]
        return self.head(tf.concat([g, size_feat], -1))


model = GraphClassifier()
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
              metrics=[keras.metrics.BinaryAccuracy(name="acc")])
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

vx, vy = next(iter(val_ds))
p = model(vx)[:, 0].numpy()
print("val probs :", np.round(p[:10], 2))
print("val labels:", vy.numpy()[:10].astype(int))

# per-graph node-level activations back as a RaggedTensor for inspection
h_nodes = model.embed(vx["x"])
per_graph = tf.RaggedTensor.from_value_rowids(h_nodes, vx["graph_ids"])
print("ragged node embeddings:", per_graph.shape, "first graph nodes:", per_graph[0].shape[0])

"""
Tiny message-passing GNN for graph classification, written with keras.ops only
(take for gathering sender features, segment_sum for scatter-add to receivers
and for per-graph readout). Batches are disjoint unions of small random graphs.

Training uses a hand-written loop with tf.GradientTape under tf.function.
"""
import math
import random
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

keras_ops = keras.ops

N_GRAPHS = 240
MIN_NODES, MAX_NODES = 6, 14
NODE_FEATS = 8
HIDDEN = 32
N_LAYERS = 3
GRAPHS_PER_BATCH = 16
EPOCHS = 2
LEARNING_RATE = 5e-3

random.seed(1)
np.random.seed(1)
tf.random.set_seed(1)


# ---------------------------------------------------------------------------
# synthetic graphs: label 1 = "ring + chords" (every node degree >= 2),
# label 0 = random tree (many leaves). Node features are noise + degree hint.
# ---------------------------------------------------------------------------
def random_tree(n):
    edges = [(i, random.randrange(i)) for i in range(1, n)]
    return edges


def ring_with_chords(n, n_chords=2):
    edges = [(i, (i + 1) % n) for i in range(n)]
    for _ in range(n_chords):
        a, b = random.sample(range(n), 2)
        edges.append((a, b))
    return edges


def make_graph(label):
    n = random.randint(MIN_NODES, MAX_NODES)
    und = ring_with_chords(n) if label == 1 else random_tree(n)
    # store both directions
    senders = [a for a, b in und] + [b for a, b in und]
    receivers = [b for a, b in und] + [a for a, b in und]
    feats = np.random.normal(size=(n, NODE_FEATS)).astype(np.float32) * 0.5
    deg = np.bincount(receivers, minlength=n).astype(np.float32)
    feats[:, 0] += deg / 4.0
    return {
        "x": feats,
        "senders": np.asarray(senders, np.int32),
        "receivers": np.asarray(receivers, np.int32),
        "label": label,
    }


def collate(graphs):
    """Merge a list of graphs into one disconnected graph with offsets."""
    xs, snd, rcv, gid = [], [], [], []
    offset = 0
    for g_idx, g in enumerate(graphs):
        n = g["x"].shape[0]
        xs.append(g["x"])
        snd.append(g["senders"] + offset)
        rcv.append(g["receivers"] + offset)
        gid.append(np.full(n, g_idx, np.int32))
        offset += n
    batch = {
        "x": np.concatenate(xs),
        "senders": np.concatenate(snd),
        "receivers": np.concatenate(rcv),
        "graph_id": np.concatenate(gid),
    }
    labels = np.asarray([g["label"] for g in graphs], np.float32)
    return batch, labels


dataset = [make_graph(i % 2) for i in range(N_GRAPHS)]
random.shuffle(dataset)
split = int(0.8 * len(dataset))
train_graphs, test_graphs = dataset[:split], dataset[split:]


def batches(graphs, shuffle=True):
    order = list(range(len(graphs)))
    if shuffle:
        random.shuffle(order)
    for start in range(0, len(order), GRAPHS_PER_BATCH):
        yield collate([graphs[i] for i in order[start:start + GRAPHS_PER_BATCH]])


# ---------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------
class MessagePassing(layers.Layer):
    """h_i' = act(W_self h_i + W_msg * mean_{j->i} h_j + b)"""

    def __init__(self, units, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        in_dim = input_shape[-1]
        self.w_self = self.add_weight(name="w_self", shape=(in_dim, self.units),
                                      initializer="glorot_uniform")
        self.w_msg = self.add_weight(name="w_msg", shape=(in_dim, self.units),
                                     initializer="glorot_uniform")
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.built = True

    def call(self, h, senders, receivers):
        n_nodes = keras_ops.shape(h)[0]
        msgs = keras_ops.take(h, senders, axis=0)
        agg = keras_ops.segment_sum(msgs, receivers, num_segments=n_nodes)
        ones = keras_ops.ones_like(keras_ops.cast(receivers, h.dtype))
        deg = keras_ops.segment_sum(ones, receivers, num_segments=n_nodes)
        agg = agg / keras_ops.expand_dims(keras_ops.maximum(deg, 1.0), -1)
        out = keras_ops.matmul(h, self.w_self) + keras_ops.matmul(agg, self.w_msg) + self.bias
        return self.activation(out)

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units,
                       "activation": keras.activations.serialize(self.activation)})
        return config


class GraphClassifier(keras.Model):
    def __init__(self, hidden=HIDDEN, n_layers=N_LAYERS, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.n_layers = n_layers
        self.encoder = layers.Dense(hidden, activation="relu")
        self.mp_layers = [MessagePassing(hidden, name=f"mp{i}") for i in range(n_layers)]
        self.norms = [layers.LayerNormalization(name=f"ln{i}") for i in range(n_layers)]
        self.readout = keras.Sequential([layers.Dense(hidden, activation="relu"), layers.Dense(1)])

    def call(self, inputs, num_graphs, training=False):
        h = self.encoder(inputs["x"])
        for mp, ln in zip(self.mp_layers, self.norms):
            h = ln(h + mp(h, inputs["senders"], inputs["receivers"]))
        gid = inputs["graph_id"]
        pooled_sum = keras_ops.segment_sum(h, gid, num_segments=num_graphs)
        pooled_max = keras_ops.segment_max(h, gid, num_segments=num_graphs)
        return self.readout(keras_ops.concatenate([pooled_sum / 8.0, pooled_max], axis=-1))

    def get_config(self):
        return {"hidden": self.hidden, "n_layers": self.n_layers, "name": self.name}


model = GraphClassifier()
optimizer = keras.optimizers.Adam(LEARNING_RATE)
bce = keras.losses.BinaryCrossentropy(from_logits=True)
train_loss = keras.metrics.Mean()
train_acc = keras.metrics.BinaryAccuracy(threshold=0.0)
test_acc = keras.metrics.BinaryAccuracy(threshold=0.0)

graph_signature = {
    "x": tf.TensorSpec([None, NODE_FEATS], tf.float32),
    "senders": tf.TensorSpec([None], tf.int32),
    "receivers": tf.TensorSpec([None], tf.int32),
    "graph_id": tf.TensorSpec([None], tf.int32),
}


@tf.function(input_signature=[graph_signature, tf.TensorSpec([None], tf.float32)])
def train_step(batch, labels):
    n_graphs = tf.shape(labels)[0]
    with tf.GradientTape() as tape:
        logits = keras_ops.squeeze(model(batch, n_graphs, training=True), -1)
        loss = bce(labels, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    train_loss.update_state(loss)
    train_acc.update_state(labels, logits)
    return loss


@tf.function(input_signature=[graph_signature, tf.TensorSpec([None], tf.float32)])
def eval_step(batch, labels):
    logits = keras_ops.squeeze(model(batch, tf.shape(labels)[0]), -1)
    test_acc.update_state(labels, logits)


steps_per_epoch = math.ceil(len(train_graphs) / GRAPHS_PER_BATCH)
for epoch in range(1, EPOCHS + 1):
    t0 = time.time()
    for m in (train_loss, train_acc, test_acc):
        m.reset_state()
    for step, (b, y) in enumerate(batches(train_graphs)):
        train_step(b, y)
    for b, y in batches(test_graphs, shuffle=False):
        eval_step(b, y)
    print(f"epoch {epoch}/{EPOCHS} ({steps_per_epoch} steps, {time.time() - t0:.1f}s) "
          f"loss={train_loss.result():.4f} acc={train_acc.result():.3f} "
          f"test_acc={test_acc.result():.3f}")

print("trainable weights:", [w.path for w in model.mp_layers[0].weights])
print("config:", model.get_config())

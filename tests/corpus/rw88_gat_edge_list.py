"""Graph Attention Network (GAT) on an edge list, trained with a custom loop.

Instead of a dense N x N attention mask we keep the graph as a (2, E) edge
index like PyG does, gather source/target node states with tf.gather and do
the neighbourhood softmax with tf.math.unsorted_segment_max / _sum.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

CONFIG = {
    "num_nodes": 400,
    "avg_degree": 6,
    "in_dim": 48,
    "num_classes": 4,
    "hidden": 16,
    "heads": 4,
    "out_heads": 1,
    "dropout": 0.3,
    "lr": 5e-3,
    "steps": 25,
    "log_every": 5,
    "seed": 7,
}

rng = np.random.default_rng(CONFIG["seed"])
tf.random.set_seed(CONFIG["seed"])


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
def random_graph(num_nodes, avg_degree, num_classes, in_dim):
    labels = rng.integers(0, num_classes, size=num_nodes)
    num_edges = num_nodes * avg_degree // 2
    src = rng.integers(0, num_nodes, size=num_edges * 3)
    dst = rng.integers(0, num_nodes, size=num_edges * 3)
    # homophily: keep mostly same-label edges
    keep = (labels[src] == labels[dst]) | (rng.random(src.shape) < 0.1)
    src, dst = src[keep][:num_edges], dst[keep][:num_edges]
    # make undirected + self loops
    loops = np.arange(num_nodes)
    senders = np.concatenate([src, dst, loops])
    receivers = np.concatenate([dst, src, loops])
    edge_index = np.stack([senders, receivers]).astype("int32")
    edge_index = np.unique(edge_index, axis=1)

    protos = rng.normal(size=(num_classes, in_dim))
    x = protos[labels] + 1.5 * rng.normal(size=(num_nodes, in_dim))
    return x.astype("float32"), edge_index, labels.astype("int32")


# --------------------------------------------------------------------------
# layers
# --------------------------------------------------------------------------
def segment_softmax(scores, segment_ids, num_segments):
    """Softmax over all edges that share the same receiver node.

    scores: (E, H), segment_ids: (E,)
    """
    seg_max = tf.math.unsorted_segment_max(scores, segment_ids, num_segments)
    scores = scores - tf.gather(seg_max, segment_ids)  # numerical stability
    exp = tf.exp(scores)
    denom = tf.math.unsorted_segment_sum(exp, segment_ids, num_segments)
    return exp / (tf.gather(denom, segment_ids) + 1e-16)


class GraphAttention(keras.layers.Layer):
    def __init__(self, units, num_heads=1, concat_heads=True,
                 dropout=0.0, negative_slope=0.2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.num_heads = num_heads
        self.concat_heads = concat_heads
        self.dropout = keras.layers.Dropout(dropout)
        self.leaky = keras.layers.LeakyReLU(negative_slope)

    def build(self, input_shape):
        node_shape, _ = input_shape
        in_dim = node_shape[-1]
        self.kernel = self.add_weight(
            shape=(in_dim, self.num_heads * self.units),
            initializer="glorot_uniform", name="kernel")
        # a = [a_src || a_dst], one per head
        self.attn_src = self.add_weight(
            shape=(1, self.num_heads, self.units),
            initializer="glorot_uniform", name="attn_src")
        self.attn_dst = self.add_weight(
            shape=(1, self.num_heads, self.units),
            initializer="glorot_uniform", name="attn_dst")
        out_dim = self.units * self.num_heads if self.concat_heads else self.units
        self.bias = self.add_weight(shape=(out_dim,), initializer="zeros",
                                    name="bias")

    def call(self, inputs, training=False):
        x, edge_index = inputs
        num_nodes = tf.shape(x)[0]
        senders, receivers = edge_index[0], edge_index[1]

        h = tf.matmul(x, self.kernel)
        h = tf.reshape(h, (-1, self.num_heads, self.units))      # (N, H, C)

        # per-node attention logits, then gather to edges (cheaper than per-edge concat)
        alpha_src = tf.reduce_sum(h * self.attn_src, axis=-1)   # (N, H)
        alpha_dst = tf.reduce_sum(h * self.attn_dst, axis=-1)   # (N, H)
        e = tf.gather(alpha_src, senders) + tf.gather(alpha_dst, receivers)
        e = self.leaky(e)                                       # (E, H)

        attn = segment_softmax(e, receivers, num_nodes)
        attn = self.dropout(attn, training=training)

        messages = tf.gather(h, senders) * attn[..., None]      # (E, H, C)
        out = tf.math.unsorted_segment_sum(messages, receivers, num_nodes)

        if self.concat_heads:
            out = tf.reshape(out, (-1, self.num_heads * self.units))
        else:
            out = tf.reduce_mean(out, axis=1)
        return out + self.bias


class GAT(keras.Model):
    def __init__(self, hidden, heads, out_heads, num_classes, dropout):
        super().__init__()
        self.in_drop = keras.layers.Dropout(dropout)
        self.gat1 = GraphAttention(hidden, heads, concat_heads=True,
                                   dropout=dropout, name="gat_1")
        self.mid_drop = keras.layers.Dropout(dropout)
        self.gat2 = GraphAttention(num_classes, out_heads, concat_heads=False,
                                   dropout=dropout, name="gat_2")

    def call(self, inputs, training=False):
        x, edge_index = inputs
        x = self.in_drop(x, training=training)
        x = tf.nn.elu(self.gat1([x, edge_index], training=training))
        x = self.mid_drop(x, training=training)
        return self.gat2([x, edge_index], training=training)


# --------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------
def main(cfg):
    x_np, edge_index_np, y_np = random_graph(
        cfg["num_nodes"], cfg["avg_degree"], cfg["num_classes"], cfg["in_dim"])
    print("x:", x_np.shape, "edge_index:", edge_index_np.shape, "y:", y_np.shape)

    perm = rng.permutation(cfg["num_nodes"])
    train_idx = tf.constant(perm[: cfg["num_nodes"] // 2], dtype=tf.int32)
    test_idx = tf.constant(perm[cfg["num_nodes"] // 2:], dtype=tf.int32)

    x = tf.constant(x_np)
    edge_index = tf.constant(edge_index_np)
    y = tf.constant(y_np)

    model = GAT(cfg["hidden"], cfg["heads"], cfg["out_heads"],
                cfg["num_classes"], cfg["dropout"])
    optimizer = keras.optimizers.Adam(learning_rate=cfg["lr"])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    test_acc = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            logits = model([x, edge_index], training=True)
            logits_tr = tf.gather(logits, train_idx)
            y_tr = tf.gather(y, train_idx)
            loss = loss_fn(y_tr, logits_tr)
            loss += 5e-4 * tf.add_n(
                [tf.nn.l2_loss(v) for v in model.trainable_variables
                 if "kernel" in v.name])
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_acc.update_state(y_tr, logits_tr)
        return loss

    @tf.function
    def eval_step():
        logits = model([x, edge_index], training=False)
        test_acc.update_state(tf.gather(y, test_idx), tf.gather(logits, test_idx))

    start = time.time()
    for step in range(1, cfg["steps"] + 1):
        train_acc.reset_state()
        loss = train_step()
        if step % cfg["log_every"] == 0:
            test_acc.reset_state()
            eval_step()
            print(f"step {step:3d} | loss {float(loss):.4f} | "
                  f"train acc {float(train_acc.result()):.3f} | "
                  f"test acc {float(test_acc.result()):.3f}")
    print(f"done in {time.time() - start:.1f}s, params={model.count_params()}")


if __name__ == "__main__":
    main(CONFIG)

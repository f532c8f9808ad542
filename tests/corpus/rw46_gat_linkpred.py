"""Graph attention network for user-item link prediction.

Users and items form one bipartite graph (dense adjacency, it's small).
A multi-head GAT layer (Velickovic et al.) is written from scratch with
keras.ops, two of them form the encoder, and edges are scored with a dot
product between node embeddings. Trained with a custom GradientTape loop on
observed edges vs. randomly corrupted ones.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import ops

N_USERS, N_ITEMS = 150, 250
N_NODES = N_USERS + N_ITEMS
FEAT_DIM = 24
HEADS = 4
HEAD_DIM = 8
OUT_DIM = 16
STEPS = 60
EDGE_BATCH = 512
LR = 5e-3


class GraphAttention(keras.layers.Layer):
    """Multi-head GAT layer over a dense adjacency mask.

    inputs: node features (N, F) and adjacency (N, N) with self loops.
    output: (N, heads * units) when concat_heads else (N, units).
    """

    def __init__(self, units, num_heads=1, concat_heads=True, dropout=0.0,
                 negative_slope=0.2, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.num_heads = num_heads
        self.concat_heads = concat_heads
        self.dropout = keras.layers.Dropout(dropout)
        self.negative_slope = negative_slope
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        feat_shape = input_shape[0]
        in_dim = feat_shape[-1]
        self.kernel = self.add_weight(
            name="kernel", shape=(self.num_heads, in_dim, self.units),
            initializer="glorot_uniform")
        self.attn_src = self.add_weight(
            name="attn_src", shape=(self.num_heads, self.units, 1), initializer="glorot_uniform")
        self.attn_dst = self.add_weight(
            name="attn_dst", shape=(self.num_heads, self.units, 1), initializer="glorot_uniform")
        out_dim = self.units * self.num_heads if self.concat_heads else self.units
        self.bias = self.add_weight(name="bias", shape=(out_dim,), initializer="zeros")

    def call(self, inputs, training=False):
        x, adj = inputs
        # (H, N, F) x (H, F, U) -> (H, N, U)
        h = ops.einsum("nf,hfu->hnu", x, self.kernel)
        f_src = ops.matmul(h, self.attn_src)          # (H, N, 1)
        f_dst = ops.matmul(h, self.attn_dst)          # (H, N, 1)
        logits = f_src + ops.transpose(f_dst, (0, 2, 1))  # (H, N, N) via broadcast
        logits = ops.leaky_relu(logits, negative_slope=self.negative_slope)

        # mask non-edges before the softmax
        mask = ops.cast(adj > 0, logits.dtype)[None, :, :]
        logits = logits + (1.0 - mask) * -1e9
        alpha = ops.softmax(logits, axis=-1)
        alpha = self.dropout(alpha, training=training)

        out = ops.matmul(alpha, h)                    # (H, N, U)
        if self.concat_heads:
            out = ops.reshape(ops.transpose(out, (1, 0, 2)), (-1, self.num_heads * self.units))
        else:
            out = ops.mean(out, axis=0)
        return self.activation(out + self.bias)

    def get_config(self):
        base = super().get_config()
        base.update(units=self.units, num_heads=self.num_heads, concat_heads=self.concat_heads,
                    negative_slope=self.negative_slope)
        return base


class GATEncoder(keras.Model):
    def __init__(self):
        super().__init__(name="gat_encoder")
        self.node_type_emb = keras.layers.Embedding(2, FEAT_DIM)  # user vs item
        self.input_proj = keras.layers.Dense(FEAT_DIM)
        self.gat1 = GraphAttention(HEAD_DIM, num_heads=HEADS, dropout=0.1, activation="elu",
                                   name="gat1")
        self.gat2 = GraphAttention(OUT_DIM, num_heads=1, concat_heads=False, name="gat2")
        self.feat_dropout = keras.layers.Dropout(0.2)

    def call(self, inputs, training=False):
        x, node_type, adj = inputs
        h = self.input_proj(x) + self.node_type_emb(node_type)
        h = self.feat_dropout(h, training=training)
        h = self.gat1([h, adj], training=training)
        h = self.feat_dropout(h, training=training)
        return self.gat2([h, adj], training=training)


def make_bipartite_graph(seed=5):
    rng = np.random.default_rng(seed)
    user_groups = rng.integers(0, 5, N_USERS)
    item_groups = rng.integers(0, 5, N_ITEMS)
    p = np.where(user_groups[:, None] == item_groups[None, :], 0.08, 0.005)
    ui = (rng.random((N_USERS, N_ITEMS)) < p).astype("float32")

    # node features: noisy group indicator + random noise
    feats = rng.normal(scale=0.5, size=(N_NODES, FEAT_DIM)).astype("float32")
    groups = np.concatenate([user_groups, item_groups])
    feats[np.arange(N_NODES), groups] += 1.0
    node_type = np.concatenate([np.zeros(N_USERS), np.ones(N_ITEMS)]).astype("int32")

    edges = np.argwhere(ui)  # (E, 2) user, item
    rng.shuffle(edges)
    n_test = len(edges) // 10
    test_edges, train_edges = edges[:n_test], edges[n_test:]

    # message-passing graph uses train edges only
    adj = np.zeros((N_NODES, N_NODES), dtype="float32")
    adj[train_edges[:, 0], N_USERS + train_edges[:, 1]] = 1.0
    adj[N_USERS + train_edges[:, 1], train_edges[:, 0]] = 1.0
    adj += np.eye(N_NODES, dtype="float32")
    return feats, node_type, adj, train_edges, test_edges


def score_edges(z, users, items):
    zu = tf.gather(z, users)
    zi = tf.gather(z, items + N_USERS)
    return tf.reduce_sum(zu * zi, axis=-1)


def corrupt(edges, rng):
    neg = edges.copy()
    neg[:, 1] = rng.integers(0, N_ITEMS, size=len(edges))
    return neg


def main():
    keras.utils.set_random_seed(5)
    rng = np.random.default_rng(9)
    feats, node_type, adj, train_edges, test_edges = make_bipartite_graph()
    print(f"graph: {N_NODES} nodes, {len(train_edges)} train edges, {len(test_edges)} test edges")

    graph = (tf.constant(feats), tf.constant(node_type), tf.constant(adj))
    encoder = GATEncoder()
    z = encoder(graph)
    print("embeddings:", z.shape)

    optimizer = keras.optimizers.Adam(LR)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step(pos, neg):
        with tf.GradientTape() as tape:
            z = encoder(graph, training=True)
            pos_logit = score_edges(z, pos[:, 0], pos[:, 1])
            neg_logit = score_edges(z, neg[:, 0], neg[:, 1])
            logits = tf.concat([pos_logit, neg_logit], axis=0)
            labels = tf.concat([tf.ones_like(pos_logit), tf.zeros_like(neg_logit)], axis=0)
            loss = bce(labels, logits)
        grads = tape.gradient(loss, encoder.trainable_variables)
        optimizer.apply_gradients(zip(grads, encoder.trainable_variables))
        return loss

    for step in range(STEPS):
        idx = rng.choice(len(train_edges), size=min(EDGE_BATCH, len(train_edges)), replace=False)
        pos = train_edges[idx].astype("int32")
        neg = corrupt(pos, rng).astype("int32")
        loss = train_step(pos, neg)
        if step % 20 == 0 or step == STEPS - 1:
            print(f"step {step:3d}  loss {float(loss):.4f}")

    z = encoder(graph, training=False)
    auc = keras.metrics.AUC()
    neg_test = corrupt(test_edges, rng)
    pos_s = score_edges(z, test_edges[:, 0], test_edges[:, 1])
    neg_s = score_edges(z, neg_test[:, 0], neg_test[:, 1])
    auc.update_state(
        tf.concat([tf.ones_like(pos_s), tf.zeros_like(neg_s)], 0),
        tf.sigmoid(tf.concat([pos_s, neg_s], 0)),
    )
    print(f"test link AUC: {float(auc.result()):.3f}")


if __name__ == "__main__":
    main()

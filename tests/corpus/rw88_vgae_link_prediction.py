"""Variational Graph Auto-Encoder (Kipf & Welling 2016) for link prediction.

- adjacency kept as a tf.sparse.SparseTensor, propagated with
  tf.sparse.sparse_dense_matmul
- 10% of edges held out for testing, negatives drawn uniformly at random
- inner-product decoder scored only on sampled (pos, neg) pairs instead of
  the full N x N reconstruction, so it scales beyond toy graphs
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

NUM_NODES = 500
FEAT_DIM = 40
HIDDEN_DIM = 32
LATENT_DIM = 16
TEST_FRAC = 0.1
LR = 0.01
STEPS = 40
NEG_RATIO = 1

rng = np.random.default_rng(2024)
tf.random.set_seed(2024)


def latent_space_graph(n, dim=3, radius=0.2):
    """Random geometric graph: nodes close in a hidden space get an edge."""
    z = rng.uniform(size=(n, dim))
    d = np.linalg.norm(z[:, None] - z[None], axis=-1)
    adj = (d < radius) & ~np.eye(n, dtype=bool)
    feats = np.concatenate([z, rng.normal(size=(n, FEAT_DIM - dim))], axis=1)
    return adj.astype(np.float32), feats.astype(np.float32)


def split_edges(adj, test_frac):
    iu = np.triu_indices_from(adj, k=1)
    edges = np.stack(iu, axis=1)[adj[iu] > 0]
    rng.shuffle(edges)
    n_test = int(len(edges) * test_frac)
    test_pos, train_pos = edges[:n_test], edges[n_test:]

    # negatives for evaluation (not in the full graph)
    test_neg = []
    while len(test_neg) < n_test:
        i, j = rng.integers(0, adj.shape[0], size=2)
        if i != j and adj[i, j] == 0:
            test_neg.append((i, j))
    return train_pos, test_pos, np.asarray(test_neg)


def normalized_sparse_adj(edges, n):
    """Symmetric normalised adjacency with self loops as a SparseTensor."""
    rows = np.concatenate([edges[:, 0], edges[:, 1], np.arange(n)])
    cols = np.concatenate([edges[:, 1], edges[:, 0], np.arange(n)])
    deg = np.bincount(rows, minlength=n).astype(np.float32)
    vals = 1.0 / np.sqrt(deg[rows] * deg[cols])
    st = tf.sparse.SparseTensor(
        indices=np.stack([rows, cols], axis=1).astype(np.int64),
        values=vals.astype(np.float32),
        dense_shape=(n, n))
    return tf.sparse.reorder(st)


class SparseGCN(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="glorot_uniform", name="w")

    def call(self, x, a_norm):
        return self.activation(tf.sparse.sparse_dense_matmul(a_norm, x @ self.w))


class VGAE(keras.Model):
    def __init__(self, hidden_dim, latent_dim):
        super().__init__()
        self.base = SparseGCN(hidden_dim, "relu", name="gcn_base")
        self.mu_layer = SparseGCN(latent_dim, name="gcn_mu")
        self.logstd_layer = SparseGCN(latent_dim, name="gcn_logstd")

    def encode(self, x, a_norm, training=False):
        h = self.base(x, a_norm)
        mu = self.mu_layer(h, a_norm)
        logstd = tf.clip_by_value(self.logstd_layer(h, a_norm), -10.0, 10.0)
        if training:
            z = mu + tf.random.normal(tf.shape(mu)) * tf.exp(logstd)
        else:
            z = mu
        return z, mu, logstd

    @staticmethod
    def decode(z, pairs):
        """Inner-product logits for node pairs (P, 2)."""
        zi = tf.gather(z, pairs[:, 0])
        zj = tf.gather(z, pairs[:, 1])
        return tf.reduce_sum(zi * zj, axis=-1)

    def call(self, inputs, training=False):
        x, a_norm = inputs
        z, _, _ = self.encode(x, a_norm, training=training)
        return z


def roc_auc(pos_scores, neg_scores):
    """Mann-Whitney U estimate of AUC, avoids pulling in sklearn."""
    scores = np.concatenate([pos_scores, neg_scores])
    ranks = scores.argsort().argsort() + 1
    n_pos, n_neg = len(pos_scores), len(neg_scores)
    return (ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def main():
    adj, feats = latent_space_graph(NUM_NODES)
    train_pos, test_pos, test_neg = split_edges(adj, TEST_FRAC)
    print(f"train edges {len(train_pos)}, test pos {len(test_pos)}, test neg {len(test_neg)}")

    a_norm = normalized_sparse_adj(train_pos, NUM_NODES)
    x = tf.constant(feats)
    train_pos_t = tf.constant(train_pos, dtype=tf.int32)
    n_pos = len(train_pos)

    model = VGAE(HIDDEN_DIM, LATENT_DIM)
    opt = keras.optimizers.Adam(LR)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def train_step():
        neg = tf.random.uniform((n_pos * NEG_RATIO, 2), maxval=NUM_NODES, dtype=tf.int32)
        pairs = tf.concat([train_pos_t, neg], axis=0)
        labels = tf.concat([tf.ones(n_pos), tf.zeros(n_pos * NEG_RATIO)], axis=0)
        with tf.GradientTape() as tape:
            z, mu, logstd = model.encode(x, a_norm, training=True)
            logits = model.decode(z, pairs)
            recon = bce(labels, logits)
            kl = -0.5 / NUM_NODES * tf.reduce_mean(tf.reduce_sum(
                1.0 + 2.0 * logstd - tf.square(mu) - tf.exp(2.0 * logstd), axis=1))
            loss = recon + kl
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
        return loss, recon, kl

    for step in range(STEPS):
        loss, recon, kl = train_step()
        if step % 10 == 0 or step == STEPS - 1:
            print(f"[{step:02d}] loss={loss:.4f} recon={recon:.4f} kl={kl:.5f}")

    z = model([x, a_norm], training=False)
    pos_s = tf.sigmoid(model.decode(z, tf.constant(test_pos, tf.int32))).numpy()
    neg_s = tf.sigmoid(model.decode(z, tf.constant(test_neg, tf.int32))).numpy()
    print("embeddings:", z.shape)
    print("test AUC: %.4f" % roc_auc(pos_s, neg_s))


if __name__ == "__main__":
    main()

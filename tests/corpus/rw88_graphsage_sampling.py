"""GraphSAGE with 2-hop neighbour sampling, written with keras.ops.

Mini-batch inductive training a la Hamilton et al. (2017):
  * a fixed-width neighbour table (N, MAX_DEG) is built once in numpy,
    padded by resampling each node's neighbours with replacement;
  * inside tf.data we sample S1 1-hop and S2 2-hop neighbours per seed node
    with tf.random.uniform + tf.gather, so no Python callbacks are needed;
  * the model aggregates 2-hop -> 1-hop -> seed with mean aggregators.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import ops

N_NODES = 2000
N_FEATS = 32
N_CLASSES = 6
MAX_DEG = 16
SAMPLES = (10, 5)      # (S1, S2) neighbours per hop
HIDDEN = (64, 64)
BATCH = 128
EPOCHS = 2
STEPS_PER_EPOCH = 8

np.random.seed(0)
tf.random.set_seed(0)
keras.utils.set_random_seed(0)


def build_graph():
    """Power-law-ish random graph with community structure."""
    labels = np.random.randint(N_CLASSES, size=N_NODES)
    deg = np.clip(np.random.zipf(2.0, size=N_NODES), 1, 60)
    adj_list = [[] for _ in range(N_NODES)]
    by_class = [np.where(labels == c)[0] for c in range(N_CLASSES)]
    for u in range(N_NODES):
        for _ in range(deg[u]):
            if np.random.rand() < 0.8:
                v = np.random.choice(by_class[labels[u]])
            else:
                v = np.random.randint(N_NODES)
            if v != u:
                adj_list[u].append(v)
                adj_list[v].append(u)
    feats = np.random.normal(size=(N_NODES, N_FEATS)).astype("float32")
    feats[:, :N_CLASSES] += 1.5 * np.eye(N_CLASSES)[labels]
    return adj_list, feats, labels


def to_neighbour_table(adj_list, max_deg):
    table = np.zeros((len(adj_list), max_deg), dtype="int32")
    for u, nbrs in enumerate(adj_list):
        nbrs = np.unique(nbrs) if len(nbrs) else np.array([u])
        replace = len(nbrs) < max_deg
        table[u] = np.random.choice(nbrs, size=max_deg, replace=replace)
    return table


def make_sampler(neigh_table, features, samples):
    neigh_table = tf.constant(neigh_table)
    features = tf.constant(features)
    s1, s2 = samples

    def sample_neighbours(nodes, k):
        # nodes: any shape [...]; returns [..., k]
        cols = tf.random.uniform(tf.concat([tf.shape(nodes), [k]], 0),
                                 maxval=MAX_DEG, dtype=tf.int32)
        rows = tf.gather(neigh_table, nodes)                  # [..., MAX_DEG]
        return tf.gather(rows, cols, batch_dims=nodes.shape.rank)

    def sample_block(seeds, y):
        hop1 = sample_neighbours(seeds, s1)                   # (B, S1)
        hop2 = sample_neighbours(hop1, s2)                    # (B, S1, S2)
        x0 = tf.gather(features, seeds)                       # (B, F)
        x1 = tf.gather(features, hop1)                        # (B, S1, F)
        x2 = tf.gather(features, hop2)                        # (B, S1, S2, F)
        return {"self": x0, "hop1": x1, "hop2": x2}, y

    return sample_block


class MeanAggregator(keras.layers.Layer):
    """h_v' = act(W [h_v || mean_{u in N(v)} h_u])"""

    def __init__(self, units, activation="relu", normalize=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.normalize = normalize
        self.self_dense = keras.layers.Dense(units, use_bias=False, name="self")
        self.neigh_dense = keras.layers.Dense(units, use_bias=False, name="neigh")
        self.act = keras.activations.get(activation)

    def call(self, self_vecs, neigh_vecs):
        # self_vecs: [..., F], neigh_vecs: [..., S, F]
        neigh_mean = ops.mean(neigh_vecs, axis=-2)
        out = ops.concatenate(
            [self.self_dense(self_vecs), self.neigh_dense(neigh_mean)], axis=-1)
        out = self.act(out)
        if self.normalize:
            out = out / (ops.norm(out, axis=-1, keepdims=True) + 1e-6)
        return out


class GraphSAGE(keras.Model):
    def __init__(self, hidden, num_classes, dropout=0.2, **kwargs):
        super().__init__(**kwargs)
        self.agg1 = MeanAggregator(hidden[0], name="sage_1")
        self.agg2 = MeanAggregator(hidden[1], activation=None, name="sage_2")
        self.drop = keras.layers.Dropout(dropout)
        self.classifier = keras.layers.Dense(num_classes)

    def call(self, inputs, training=False):
        x0, x1, x2 = inputs["self"], inputs["hop1"], inputs["hop2"]
        x0 = self.drop(x0, training=training)
        x1 = self.drop(x1, training=training)
        x2 = self.drop(x2, training=training)

        # layer 1: the same weights are applied at depth 0 and depth 1
        h0 = self.agg1(x0, x1)                                 # (B, 2*H1)
        h1 = self.agg1(x1, x2)                                 # (B, S1, 2*H1)

        # layer 2: seeds aggregate their updated 1-hop neighbours
        z = self.agg2(h0, h1)                                  # (B, 2*H2)
        return self.classifier(z)


def main():
    adj_list, feats, labels = build_graph()
    table = to_neighbour_table(adj_list, MAX_DEG)
    print("graph: %d nodes, %d directed edges, table %s" % (
        N_NODES, sum(len(a) for a in adj_list), table.shape))

    perm = np.random.permutation(N_NODES)
    train_nodes, val_nodes = perm[:1500], perm[1500:]

    sampler = make_sampler(table, feats, SAMPLES)
    train_ds = (tf.data.Dataset.from_tensor_slices(
                    (train_nodes.astype("int32"), labels[train_nodes]))
                .shuffle(len(train_nodes))
                .batch(BATCH, drop_remainder=True)
                .map(sampler)
                .repeat()
                .prefetch(tf.data.AUTOTUNE))
    val_ds = (tf.data.Dataset.from_tensor_slices(
                  (val_nodes.astype("int32"), labels[val_nodes]))
              .batch(BATCH)
              .map(sampler))

    sample_x, sample_y = next(iter(train_ds))
    for k, v in sample_x.items():
        print(f"  {k:5s} -> {tuple(v.shape)}")

    model = GraphSAGE(HIDDEN, N_CLASSES)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(train_ds, epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH,
              validation_data=val_ds, verbose=2)
    model.summary()

    # Inductive inference on a handful of unseen nodes
    logits = model.predict(val_ds.take(1), verbose=0)
    print("predicted classes:", ops.convert_to_numpy(ops.argmax(logits[:10], axis=-1)))


if __name__ == "__main__":
    main()

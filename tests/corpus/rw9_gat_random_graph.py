"""GAT (graph attention network) node classification on a random graph.

Dense-adjacency implementation: each GraphAttention head computes
e_ij = LeakyReLU(a^T [W h_i || W h_j]), masks non-edges with -inf-ish values,
softmax over neighbours, aggregates. MultiHeadGraphAttention concatenates or
averages the heads. The whole graph is one "sample"; a subclassed model
gathers the train/test node indices inside train_step/test_step.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from keras import ops

rng = np.random.default_rng(0)
N_NODES, N_FEATS, N_CLASSES = 60, 24, 4

# ---- random graph -----
feats = rng.normal(size=(N_NODES, N_FEATS)).astype("float32")
labels = rng.integers(0, N_CLASSES, size=N_NODES)
adj = (rng.random((N_NODES, N_NODES)) < 0.08).astype("float32")
adj = np.maximum(adj, adj.T)
np.fill_diagonal(adj, 1.0)  # self loops
print("edges:", int(adj.sum()), "avg degree:", adj.sum(1).mean())

perm = rng.permutation(N_NODES)
train_idx, test_idx = perm[:40], perm[40:]


class GraphAttention(layers.Layer):
    def __init__(self, units, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        feat_shape = input_shape[0]
        self.kernel = self.add_weight(
            shape=(feat_shape[-1], self.units),
            trainable=True,
            initializer=self.kernel_initializer,
            name="kernel",
        )
        self.attn_self = self.add_weight(shape=(self.units, 1), initializer=self.kernel_initializer, name="a_self")
        self.attn_neigh = self.add_weight(shape=(self.units, 1), initializer=self.kernel_initializer, name="a_neigh")
        self.built = True

    def call(self, inputs):
        node_states, adjacency = inputs
        h = ops.matmul(node_states, self.kernel)  # (N, units)
        # a^T [Wh_i || Wh_j] = a1^T Wh_i + a2^T Wh_j  -> broadcast to (N, N)
        e = ops.matmul(h, self.attn_self) + ops.transpose(ops.matmul(h, self.attn_neigh))
        e = ops.leaky_relu(e, negative_slope=0.2)
        mask = -1e9 * (1.0 - adjacency)
        attention = ops.softmax(e + mask, axis=-1)
        return ops.matmul(attention, h)


class MultiHeadGraphAttention(layers.Layer):
    def __init__(self, units, num_heads=4, merge_type="concat", dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.merge_type = merge_type
        self.attention_layers = [GraphAttention(units) for _ in range(num_heads)]
        self.drop = layers.Dropout(dropout)

    def call(self, inputs, training=False):
        atom_features, adjacency = inputs
        atom_features = self.drop(atom_features, training=training)
        outputs = [attention_layer([atom_features, adjacency]) for attention_layer in self.attention_layers]
        if self.merge_type == "concat":
            outputs = tf.concat(outputs, axis=-1)
        else:
            outputs = tf.reduce_mean(tf.stack(outputs, axis=-1), axis=-1)
        return tf.nn.elu(outputs)


class GraphAttentionNetwork(keras.Model):
    def __init__(self, node_states, adjacency, hidden_units, num_heads, num_layers, output_dim, **kwargs):
        super().__init__(**kwargs)
        self.node_states = tf.constant(node_states)
        self.adjacency = tf.constant(adjacency)
        self.preprocess = layers.Dense(hidden_units * num_heads, activation="relu")
        self.attention_layers = [
            MultiHeadGraphAttention(hidden_units, num_heads, dropout=0.2) for _ in range(num_layers)
        ]
        self.output_layer = layers.Dense(output_dim)

    def call(self, inputs, training=False):
        node_states, adjacency = inputs
        x = self.preprocess(node_states)
        for attention_layer in self.attention_layers:
            x = attention_layer([x, adjacency], training=training) + x
        return self.output_layer(x)

    def train_step(self, data):
        indices, labels = data
        with tf.GradientTape() as tape:
            outputs = self([self.node_states, self.adjacency], training=True)
            logits = tf.gather(outputs, indices)
            loss = self.compute_loss(y=labels, y_pred=logits)
        grads = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(grads, self.trainable_weights))
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            else:
                m.update_state(labels, logits)
        return {m.name: m.result() for m in self.metrics}

    def predict_step(self, data):
        indices = data
        outputs = self([self.node_states, self.adjacency], training=False)
        return tf.nn.softmax(tf.gather(outputs, indices))

    def test_step(self, data):
        indices, labels = data
        outputs = self([self.node_states, self.adjacency], training=False)
        logits = tf.gather(outputs, indices)
        loss = self.compute_loss(y=labels, y_pred=logits)
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
            else:
                m.update_state(labels, logits)
        return {m.name: m.result() for m in self.metrics}


gat_model = GraphAttentionNetwork(feats, adj, hidden_units=8, num_heads=4, num_layers=2, output_dim=N_CLASSES)
gat_model.compile(
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)

gat_model.fit(
    x=train_idx,
    y=labels[train_idx],
    validation_split=0.1,
    batch_size=16,
    epochs=1,
    verbose=2,
)
gat_model.summary()

_, test_accuracy = gat_model.evaluate(x=test_idx, y=labels[test_idx], verbose=0)
print("--" * 20)
print(f"Test Accuracy {test_accuracy*100:.1f}%")

test_probs = gat_model.predict(x=test_idx, verbose=0)
print(test_probs.shape, test_probs.sum(axis=1)[:3])
for i, (probs, label) in enumerate(zip(test_probs[:5], labels[test_idx][:5])):
    print(f"node {test_idx[i]:>3}  true={label}  pred={np.argmax(probs)}  p={probs.max():.2f}")

import numpy as np
import tensorflow as tf
from tensorflow import keras

# ----------------------------------------------------------------------------
# Graph Attention Network (Velickovic et al.) + plain GCN baseline,
# semi-supervised node classification on a random "citation-like" graph.
# Full-batch training: the whole graph goes through the model each step.
# ----------------------------------------------------------------------------

N_NODES = 300
N_FEATS = 50
N_CLASSES = 5
HIDDEN = 16
HEADS = 4

np.random.seed(7)
labels = np.random.randint(0, N_CLASSES, N_NODES)
features = (np.random.rand(N_NODES, N_FEATS) < 0.1).astype(np.float32)
features[np.arange(N_NODES), labels * 10] = 1.0  # weakly informative feature

# homophilous random edges
edges = []
for i in range(N_NODES):
    same = np.where(labels == labels[i])[0]
    for j in np.random.choice(same, 3):
        edges.append((i, j))
    edges.append((i, np.random.randint(N_NODES)))
edges = np.array(edges)
A = np.zeros((N_NODES, N_NODES), dtype=np.float32)
A[edges[:, 0], edges[:, 1]] = 1.0
A = np.maximum(A, A.T)
A_hat = A + np.eye(N_NODES, dtype=np.float32)

deg = A_hat.sum(1)
d_inv_sqrt = np.power(deg, -0.5)
A_norm = (A_hat * d_inv_sqrt[:, None]) * d_inv_sqrt[None, :]

idx_train = np.arange(0, 60)
idx_val = np.arange(60, 120)
idx_test = np.arange(120, N_NODES)
print("A_norm:", A_norm.shape, "features:", features.shape, "edges:", edges.shape)


class GraphConv(keras.layers.Layer):
    def __init__(self, units, activation=None, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias

    def build(self, input_shape):
        feat_shape = input_shape[0]
        self.kernel = self.add_weight(name="kernel", shape=(feat_shape[-1], self.units),
                                      initializer="glorot_uniform")
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        x, a = inputs
        support = tf.matmul(x, self.kernel)
        out = tf.matmul(a, support)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)


class GraphAttention(keras.layers.Layer):
    def __init__(self, units, num_heads=1, concat_heads=True, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.num_heads = num_heads
        self.concat_heads = concat_heads
        self.drop = keras.layers.Dropout(dropout)

    def build(self, input_shape):
        in_dim = input_shape[0][-1]
        self.W = self.add_weight(shape=(self.num_heads, in_dim, self.units), name="W",
                                 initializer="glorot_uniform")
        self.a_src = self.add_weight(shape=(self.num_heads, self.units, 1), name="a_src",
                                     initializer="glorot_uniform")
        self.a_dst = self.add_weight(shape=(self.num_heads, self.units, 1), name="a_dst",
                                     initializer="glorot_uniform")

    def call(self, inputs, training=None):
        x, adj = inputs
        # (H, N, F')
        h = tf.einsum("nf,hfo->hno", x, self.W)
        f_src = tf.matmul(h, self.a_src)                     # (H, N, 1)
        f_dst = tf.matmul(h, self.a_dst)                     # (H, N, 1)
        logits = f_src + tf.transpose(f_dst, [0, 2, 1])      # (H, N, N)
        logits = tf.nn.leaky_relu(logits, alpha=0.2)
        bias = -1e9 * (1.0 - adj)
        attn = tf.nn.softmax(logits + bias[None, ...], axis=-1)
        attn = self.drop(attn, training=training)
        out = tf.matmul(attn, h)                             # (H, N, F')
        if self.concat_heads:
            out = tf.transpose(out, [1, 0, 2])
            return tf.reshape(out, (-1, self.num_heads * self.units))
        return tf.reduce_mean(out, axis=0)


class GAT(keras.Model):
    def __init__(self, hidden, heads, n_classes, dropout=0.5):
        super().__init__()
        self.in_drop = keras.layers.Dropout(dropout)
        self.gat1 = GraphAttention(hidden, heads, concat_heads=True, dropout=dropout)
        self.gat2 = GraphAttention(n_classes, 1, concat_heads=False, dropout=dropout)

    def call(self, inputs, training=False):
        x, adj = inputs
        x = self.in_drop(x, training=training)
        x = tf.nn.elu(self.gat1([x, adj], training=training))
        x = self.in_drop(x, training=training)
        return self.gat2([x, adj], training=training)


def masked_xent(logits, y, idx):
    logits_sel = tf.gather(logits, idx)
    y_sel = tf.gather(y, idx)
    return tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_sel, logits=logits_sel))


def masked_acc(logits, y, idx):
    pred = tf.argmax(tf.gather(logits, idx), axis=-1, output_type=tf.int32)
    return tf.reduce_mean(tf.cast(tf.equal(pred, tf.gather(y, idx)), tf.float32))


X_t = tf.constant(features)
A_t = tf.constant(A_hat)
y_t = tf.constant(labels, dtype=tf.int32)

gat = GAT(HIDDEN, HEADS, N_CLASSES)
opt = keras.optimizers.Adam(learning_rate=5e-3)


@tf.function
def gat_step():
    with tf.GradientTape() as tape:
        logits = gat([X_t, A_t], training=True)
        loss = masked_xent(logits, y_t, idx_train)
        l2 = tf.add_n([tf.nn.l2_loss(w) for w in gat.trainable_weights]) * 5e-4
        total = loss + l2
    grads = tape.gradient(total, gat.trainable_weights)
    opt.apply_gradients(zip(grads, gat.trainable_weights))
    return loss


for epoch in range(30):
    loss = gat_step()
    if epoch % 10 == 0 or epoch == 29:
        logits = gat([X_t, A_t], training=False)
        print("GAT epoch %02d loss %.4f val_acc %.3f" % (
            epoch, loss.numpy(), masked_acc(logits, y_t, idx_val).numpy()))
print("GAT test acc: %.3f" % masked_acc(gat([X_t, A_t]), y_t, idx_test).numpy())

# ---------------- GCN baseline as a functional model ----------------
x_in = keras.Input(shape=(N_FEATS,), batch_size=N_NODES, name="x")
a_in = keras.Input(shape=(N_NODES,), batch_size=N_NODES, name="a")
h = GraphConv(HIDDEN, activation="relu")([x_in, a_in])
h = keras.layers.Dropout(0.5)(h)
out = GraphConv(N_CLASSES, activation="softmax")([h, a_in])
gcn = keras.Model([x_in, a_in], out)
gcn.summary()

sample_weight = np.zeros(N_NODES, dtype=np.float32)
sample_weight[idx_train] = 1.0
gcn.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy",
            weighted_metrics=["acc"])
gcn.fit([features, A_norm], labels, sample_weight=sample_weight,
        batch_size=N_NODES, epochs=20, shuffle=False, verbose=0)
probs = gcn.predict([features, A_norm], batch_size=N_NODES, verbose=0)
print("GCN probs", probs.shape, "test acc:",
      (probs[idx_test].argmax(-1) == labels[idx_test]).mean())

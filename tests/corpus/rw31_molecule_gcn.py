"""
Graph convolutional network for molecular property regression (toy version).

Molecules are padded to MAX_ATOMS. Each sample is (atom features, normalized
adjacency, atom mask). The normalized adjacency is the usual
D^-1/2 (A + I) D^-1/2 from Kipf & Welling, precomputed in numpy.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

MAX_ATOMS = 12
ATOM_TYPES = ["C", "N", "O", "F", "S", "Cl"]
N_FEAT = len(ATOM_TYPES) + 3  # one-hot + degree + aromatic flag + charge
SEED = 123


def random_molecule(rng):
    """Random connected graph: a tree backbone plus a few ring closures."""
    n = rng.integers(4, MAX_ATOMS + 1)
    atoms = rng.choice(len(ATOM_TYPES), size=n, p=[0.55, 0.15, 0.15, 0.05, 0.05, 0.05])
    edges = [(i, rng.integers(0, i)) for i in range(1, n)]
    for _ in range(rng.integers(0, 3)):
        a, b = rng.choice(n, size=2, replace=False)
        edges.append((a, b))
    return atoms, edges


def featurize(atoms, edges):
    n = len(atoms)
    A = np.zeros((MAX_ATOMS, MAX_ATOMS), dtype=np.float32)
    for i, j in edges:
        A[i, j] = A[j, i] = 1.0
    X = np.zeros((MAX_ATOMS, N_FEAT), dtype=np.float32)
    X[np.arange(n), atoms] = 1.0
    deg = A.sum(axis=1)
    X[:n, len(ATOM_TYPES)] = deg[:n] / 4.0
    X[:n, len(ATOM_TYPES) + 1] = (deg[:n] == 2).astype(np.float32)  # pretend "aromatic"
    X[:n, len(ATOM_TYPES) + 2] = np.where(atoms == 1, 0.5, 0.0)
    mask = np.zeros(MAX_ATOMS, dtype=np.float32)
    mask[:n] = 1.0
    return X, A, mask


def normalize_adjacency(A, mask):
    A_hat = A + np.diag(mask)  # self loops only for real atoms
    d = A_hat.sum(axis=1)
    d_inv_sqrt = np.zeros_like(d)
    nz = d > 0
    d_inv_sqrt[nz] = 1.0 / np.sqrt(d[nz])
    return (d_inv_sqrt[:, None] * A_hat) * d_inv_sqrt[None, :]


def fake_property(atoms, edges):
    # something like a logP-ish score: heteroatoms lower it, rings raise it
    hetero = np.isin(atoms, [1, 2]).sum()
    halo = np.isin(atoms, [3, 5]).sum()
    rings = len(edges) - (len(atoms) - 1)
    return 0.3 * len(atoms) - 0.8 * hetero + 0.6 * halo + 0.5 * rings


def make_dataset(n_mols):
    rng = np.random.default_rng(SEED)
    Xs, As, Ms, ys = [], [], [], []
    for _ in range(n_mols):
        atoms, edges = random_molecule(rng)
        X, A, m = featurize(atoms, edges)
        Xs.append(X)
        As.append(normalize_adjacency(A, m))
        Ms.append(m)
        ys.append(fake_property(atoms, edges))
    y = np.asarray(ys, dtype=np.float32)
    return np.stack(Xs), np.stack(As), np.stack(Ms), (y - y.mean()) / y.std()


class GraphConv(layers.Layer):
    """H' = act(A_norm @ H @ W + b), plus a residual when dims match."""

    def __init__(self, units, activation="relu", residual=True, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.residual = residual

    def build(self, input_shape):
        feat_shape = input_shape[0]
        self.w = self.add_weight(name="kernel", shape=(feat_shape[-1], self.units),
                                 initializer="glorot_uniform")
        self.b = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")
        self.use_res = self.residual and feat_shape[-1] == self.units

    def call(self, inputs):
        h, a_norm, mask = inputs
        support = tf.einsum("bnf,fu->bnu", h, self.w)
        out = tf.matmul(a_norm, support) + self.b
        out = self.activation(out)
        if self.use_res:
            out = out + h
        return out * tf.expand_dims(mask, -1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, activation=keras.activations.serialize(self.activation),
                   residual=self.residual)
        return cfg


class MaskedReadout(layers.Layer):
    """Sum + max pooling over real atoms only."""

    def call(self, h, mask):
        m = tf.expand_dims(mask, -1)
        summed = tf.reduce_sum(h * m, axis=1)
        neg_inf = tf.fill(tf.shape(h), -1e9)
        maxed = tf.reduce_max(tf.where(m > 0, h, neg_inf), axis=1)
        n_atoms = tf.reduce_sum(mask, axis=1, keepdims=True)
        return tf.concat([summed / n_atoms, maxed], axis=-1)


def build_gcn(hidden=(32, 32, 32)):
    x_in = keras.Input((MAX_ATOMS, N_FEAT), name="atoms")
    a_in = keras.Input((MAX_ATOMS, MAX_ATOMS), name="adj")
    m_in = keras.Input((MAX_ATOMS,), name="mask")
    h = layers.Dense(hidden[0])(x_in)
    for i, units in enumerate(hidden):
        h = GraphConv(units, name=f"gcn_{i}")([h, a_in, m_in])
        h = layers.LayerNormalization()(h)
    g = MaskedReadout(name="readout")(h, m_in)
    g = layers.Dense(64, activation="relu")(g)
    g = layers.Dropout(0.1)(g)
    out = layers.Dense(1, name="prop")(g)
    return keras.Model([x_in, a_in, m_in], out, name="mol_gcn")


if __name__ == "__main__":
    tf.random.set_seed(SEED)
    X, A, M, y = make_dataset(64)
    print("batch tensors:", X.shape, A.shape, M.shape, y.shape)
    # sanity check: rows of normalized adjacency should be symmetric
    assert np.allclose(A[0], A[0].T, atol=1e-6)

    ds = tf.data.Dataset.from_tensor_slices(({"atoms": X, "adj": A, "mask": M}, y))
    train_ds = ds.take(48).shuffle(48).batch(16)
    test_ds = ds.skip(48).batch(16)

    model = build_gcn()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse",
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    model.summary(line_length=90)
    model.fit(train_ds, epochs=1, verbose=2)
    res = model.evaluate(test_ds, verbose=0, return_dict=True)
    print({k: round(float(v), 4) for k, v in res.items()})

    # node embeddings of one molecule (e.g. for attribution plots later)
    emb_model = keras.Model(model.inputs, model.get_layer("gcn_2").output)
    emb = emb_model.predict({"atoms": X[:1], "adj": A[:1], "mask": M[:1]}, verbose=0)
    n_real = int(M[0].sum())
    print(f"molecule 0 has {n_real} atoms; embedding norms:",
          np.round(np.linalg.norm(emb[0, :n_real], axis=-1), 2))

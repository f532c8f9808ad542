"""Message Passing Neural Network (Gilmer et al.) for molecular property prediction.

Synthetic "molecules" are generated as random trees/rings with one-hot atom
and bond features. Graphs are stored as ragged tensors and merged into one
big disconnected graph per batch inside tf.data, the usual trick for
training GNNs with model.fit on variable-size graphs.

Pipeline:
    ragged (atoms, bonds, pairs) -> prepare_batch -> [atom_feats, bond_feats,
    pair_indices, molecule_indicator] -> EdgeNetwork x T + GRU -> readout
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

ATOM_TYPES = ["C", "N", "O", "F", "S", "Cl"]
BOND_TYPES = ["single", "double", "triple", "aromatic"]


@dataclass
class Config:
    num_molecules: int = 256
    min_atoms: int = 5
    max_atoms: int = 18
    batch_size: int = 32
    units: int = 32
    message_steps: int = 3
    dense_units: int = 64
    learning_rate: float = 1e-3
    epochs: int = 2
    seed: int = 1234


# ---------------------------------------------------------------------------
# Synthetic molecule generator
# ---------------------------------------------------------------------------
def atom_features(symbol, degree, num_h):
    onehot = np.zeros(len(ATOM_TYPES), dtype="float32")
    onehot[ATOM_TYPES.index(symbol)] = 1.0
    deg = np.eye(5, dtype="float32")[min(degree, 4)]
    hs = np.eye(4, dtype="float32")[min(num_h, 3)]
    return np.concatenate([onehot, deg, hs])


def bond_features(bond_type):
    vec = np.zeros(len(BOND_TYPES) + 1, dtype="float32")
    if bond_type is None:  # self loop
        vec[-1] = 1.0
    else:
        vec[BOND_TYPES.index(bond_type)] = 1.0
    return vec


def random_molecule(rng, cfg):
    n = int(rng.integers(cfg.min_atoms, cfg.max_atoms + 1))
    symbols = rng.choice(ATOM_TYPES, size=n, p=[0.6, 0.12, 0.15, 0.05, 0.04, 0.04])
    edges = [(i, int(rng.integers(0, i))) for i in range(1, n)]  # spanning tree
    if n > 5 and rng.random() < 0.5:  # close a ring
        edges.append((n - 1, n - 6))
    btypes = rng.choice(BOND_TYPES, size=len(edges), p=[0.7, 0.15, 0.05, 0.1])

    degree = np.zeros(n, dtype=int)
    for a, b in edges:
        degree[a] += 1
        degree[b] += 1

    atom_feats = [atom_features(s, d, max(0, 4 - d)) for s, d in zip(symbols, degree)]

    pair_idx, bond_feats = [], []
    for i in range(n):  # self loops so isolated messages still flow
        pair_idx.append([i, i])
        bond_feats.append(bond_features(None))
    for (a, b), bt in zip(edges, btypes):
        f = bond_features(bt)
        pair_idx += [[a, b], [b, a]]
        bond_feats += [f, f]

    # fake "logP-like" target: heteroatom fraction + ring + noise
    hetero = np.mean([s != "C" for s in symbols])
    target = 2.0 * hetero - 0.05 * n + 0.3 * (len(edges) >= n) + 0.1 * rng.normal()
    return (np.stack(atom_feats), np.stack(bond_feats),
            np.asarray(pair_idx, dtype="int64"), np.float32(target))


def graphs_to_ragged(mols):
    atoms, bonds, pairs, ys = zip(*mols)
    return (
        tf.ragged.constant(atoms, dtype=tf.float32, ragged_rank=1),
        tf.ragged.constant(bonds, dtype=tf.float32, ragged_rank=1),
        tf.ragged.constant(pairs, dtype=tf.int64, ragged_rank=1),
    ), np.asarray(ys, dtype="float32")


def prepare_batch(x_batch, y_batch):
    """Merge a batch of ragged graphs into one disconnected global graph."""
    atom_features, bond_features, pair_indices = x_batch

    num_atoms = atom_features.row_lengths()
    num_bonds = bond_features.row_lengths()

    molecule_indices = tf.range(tf.shape(num_atoms)[0])
    molecule_indicator = tf.repeat(molecule_indices, num_atoms)

    # offset local atom indices by the number of atoms in previous molecules
    gather_indices = tf.repeat(molecule_indices[:-1], num_bonds[1:])
    increment = tf.cumsum(num_atoms[:-1])
    increment = tf.pad(tf.gather(increment, gather_indices), [(num_bonds[0], 0)])
    pair_indices = pair_indices.merge_dims(outer_axis=0, inner_axis=1)
    pair_indices = pair_indices + increment[:, tf.newaxis]

    atom_features = atom_features.merge_dims(outer_axis=0, inner_axis=1)
    bond_features = bond_features.merge_dims(outer_axis=0, inner_axis=1)

    return (atom_features, bond_features, pair_indices, molecule_indicator), y_batch


def make_dataset(x, y, batch_size, shuffle=False):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(1024)
    return ds.batch(batch_size).map(prepare_batch, num_parallel_calls=tf.data.AUTOTUNE).prefetch(-1)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
class EdgeNetwork(layers.Layer):
    """Edge-conditioned message: m_vw = A(e_vw) h_w, A(.) is a learned matrix."""

    def build(self, input_shape):
        self.atom_dim = input_shape[0][-1]
        self.bond_dim = input_shape[1][-1]
        self.kernel = self.add_weight(
            shape=(self.bond_dim, self.atom_dim * self.atom_dim),
            initializer="glorot_uniform", name="kernel")
        self.bias = self.add_weight(shape=(self.atom_dim * self.atom_dim,),
                                    initializer="zeros", name="bias")
        self.built = True

    def call(self, inputs):
        atom_features, bond_features, pair_indices = inputs
        bond_features = tf.matmul(bond_features, self.kernel) + self.bias
        bond_features = tf.reshape(bond_features, (-1, self.atom_dim, self.atom_dim))

        neighbour = tf.gather(atom_features, pair_indices[:, 1])
        neighbour = tf.expand_dims(neighbour, axis=-1)
        transformed = tf.squeeze(tf.matmul(bond_features, neighbour), axis=-1)

        return tf.math.unsorted_segment_sum(
            transformed, pair_indices[:, 0],
            num_segments=tf.shape(atom_features)[0])


class MessagePassing(layers.Layer):
    def __init__(self, units, steps=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.steps = steps

    def build(self, input_shape):
        self.atom_dim = input_shape[0][-1]
        self.message_step = EdgeNetwork()
        self.pad_length = max(0, self.units - self.atom_dim)
        self.update_step = layers.GRUCell(self.atom_dim + self.pad_length)
        self.built = True

    def call(self, inputs):
        atom_features, bond_features, pair_indices = inputs
        # pad atom features up to `units` so the GRU state size is fixed
        h = tf.pad(atom_features, [(0, 0), (0, self.pad_length)])
        for _ in range(self.steps):  # unrolled at trace time
            m = self.message_step([h, bond_features, pair_indices])
            h, _ = self.update_step(m, [h])
        return h


class SumMeanMaxReadout(layers.Layer):
    """Graph-level readout via segment ops over the molecule indicator."""

    def call(self, inputs):
        h, molecule_indicator = inputs
        n = tf.reduce_max(molecule_indicator) + 1
        s = tf.math.unsorted_segment_sum(h, molecule_indicator, n)
        m = tf.math.unsorted_segment_mean(h, molecule_indicator, n)
        mx = tf.math.unsorted_segment_max(h, molecule_indicator, n)
        return tf.concat([s, m, mx], axis=-1)


def build_mpnn(atom_dim, bond_dim, cfg):
    atom_in = layers.Input((atom_dim,), dtype="float32", name="atom_features")
    bond_in = layers.Input((bond_dim,), dtype="float32", name="bond_features")
    pair_in = layers.Input((2,), dtype="int64", name="pair_indices")
    mol_in = layers.Input((), dtype="int32", name="molecule_indicator")

    x = MessagePassing(cfg.units, cfg.message_steps, name="mpnn")([atom_in, bond_in, pair_in])
    x = SumMeanMaxReadout(name="readout")([x, mol_in])
    x = layers.Dense(cfg.dense_units, activation="relu")(x)
    x = layers.Dropout(0.1)(x)
    out = layers.Dense(1, name="property")(x)
    return keras.Model([atom_in, bond_in, pair_in, mol_in], out, name="mpnn")


def main():
    cfg = Config()
    rng = np.random.default_rng(cfg.seed)
    tf.random.set_seed(cfg.seed)

    mols = [random_molecule(rng, cfg) for _ in range(cfg.num_molecules)]
    split = int(0.8 * len(mols))
    x_train, y_train = graphs_to_ragged(mols[:split])
    x_valid, y_valid = graphs_to_ragged(mols[split:])
    y_mean, y_std = y_train.mean(), y_train.std()
    y_train = (y_train - y_mean) / y_std
    y_valid = (y_valid - y_mean) / y_std

    train_ds = make_dataset(x_train, y_train, cfg.batch_size, shuffle=True)
    valid_ds = make_dataset(x_valid, y_valid, cfg.batch_size)

    (a, b, p, m), yb = next(iter(train_ds))
    print("batch atoms", a.shape, "bonds", b.shape, "pairs", p.shape,
          "indicator", m.shape, "targets", yb.shape)

    model = build_mpnn(a.shape[-1], b.shape[-1], cfg)
    model.compile(optimizer=keras.optimizers.Adam(cfg.learning_rate),
                  loss="mse", metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    model.summary(line_length=100)

    model.fit(train_ds, validation_data=valid_ds, epochs=cfg.epochs, verbose=2)

    preds = model.predict(valid_ds, verbose=0).squeeze(-1) * y_std + y_mean
    true = y_valid * y_std + y_mean
    print("valid RMSE (unscaled): %.4f" % np.sqrt(np.mean((preds - true) ** 2)))


if __name__ == "__main__":
    main()

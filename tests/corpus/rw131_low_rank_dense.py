#!/usr/bin/env python
"""Compress a trained MLP by replacing Dense layers with rank-r factorisations.

W (m x n) ~= U_r S_r V_r^T  ->  two matmuls with (m x r) and (r x n)
We (1) train a normal MLP, (2) SVD each hidden kernel, (3) build LowRankDense
layers initialised from the truncated SVD, (4) briefly fine-tune, and compare.
"""
import argparse
import sys

import numpy as np
import tensorflow as tf
import keras


def parse_args(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--ranks", type=int, nargs="+", default=[4, 8, 16, 32])
    p.add_argument("--hidden", type=int, default=192)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--finetune-epochs", type=int, default=1)
    p.add_argument("--seed", type=int, default=11)
    return p.parse_args(argv)


class LowRankDense(keras.layers.Layer):
    def __init__(self, units, rank, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.rank = rank
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        d_in = input_shape[-1]
        self.u = self.add_weight(name="u", shape=(d_in, self.rank), initializer="glorot_uniform")
        self.v = self.add_weight(name="v", shape=(self.rank, self.units), initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(self.units,), initializer="zeros")

    def call(self, x):
        # x @ (U V) computed as (x @ U) @ V  -- cheaper when rank is small
        return self.activation(tf.matmul(tf.matmul(x, self.u), self.v) + self.b)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(units=self.units, rank=self.rank,
                   activation=keras.activations.serialize(self.activation))
        return cfg


def make_problem(seed, n=600, d=48, k=6):
    rs = np.random.RandomState(seed)
    # inputs live near a low-dimensional subspace, so low-rank layers should cope
    basis = rs.randn(6, d)
    z = rs.randn(n, 6)
    x = z @ basis + 0.3 * rs.randn(n, d)
    proj = rs.randn(6, k)
    y = np.argmax(np.tanh(z) @ proj, axis=1)
    x = (x - x.mean(0)) / x.std(0)
    return x.astype("float32"), y.astype("int32")


def dense_mlp(d_in, hidden, n_out):
    return keras.Sequential([
        keras.layers.Input((d_in,)),
        keras.layers.Dense(hidden, activation="gelu", name="fc1"),
        keras.layers.Dense(hidden, activation="gelu", name="fc2"),
        keras.layers.Dense(n_out, name="head"),
    ], name="dense_mlp")


def factorise(model, rank, layer_names=("fc1", "fc2")):
    """Build a copy of `model` where the named Dense layers become LowRankDense."""
    new_layers = [keras.layers.Input(model.input_shape[1:])]
    weight_plan = []
    for layer in model.layers:
        if layer.name in layer_names:
            W, b = layer.get_weights()
            r = min(rank, *W.shape)
            U, S, Vt = np.linalg.svd(W, full_matrices=False)
            sqrt_s = np.sqrt(S[:r])
            u = U[:, :r] * sqrt_s
            v = sqrt_s[:, None] * Vt[:r]
            energy = (S[:r] ** 2).sum() / (S ** 2).sum()
            new_layers.append(LowRankDense(W.shape[1], r, activation=layer.activation,
                                           name=f"{layer.name}_r{r}"))
            weight_plan.append((u, v, b))
            print(f"    {layer.name}: {W.shape} -> rank {r}, spectral energy kept {energy:.1%}")
        else:
            new_layers.append(keras.layers.Dense.from_config(layer.get_config()))
            weight_plan.append(tuple(layer.get_weights()))
    compressed = keras.Sequential(new_layers, name=f"lowrank_r{rank}")
    for lyr, w in zip(compressed.layers, weight_plan):
        lyr.set_weights(list(w))
    return compressed


def compile_model(m, lr=1e-3):
    m.compile(optimizer=keras.optimizers.Adam(lr),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(args.seed)
    x, y = make_problem(args.seed)
    n_train = 480
    xtr, ytr, xte, yte = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    base = compile_model(dense_mlp(x.shape[1], args.hidden, int(y.max()) + 1), lr=3e-3)
    base.fit(xtr, ytr, batch_size=32, epochs=args.epochs, verbose=0)
    base_acc = base.evaluate(xte, yte, verbose=0)[1]
    base_params = base.count_params()
    print(f"dense baseline: params={base_params:,} acc={base_acc:.3f}")

    rows = []
    for rank in args.ranks:
        print(f"  rank {rank}:")
        lr_model = compile_model(factorise(base, rank), lr=1e-3)
        acc0 = lr_model.evaluate(xte, yte, verbose=0)[1]
        lr_model.fit(xtr, ytr, batch_size=32, epochs=args.finetune_epochs, verbose=0)
        acc1 = lr_model.evaluate(xte, yte, verbose=0)[1]
        rows.append((rank, lr_model.count_params(), acc0, acc1))

    print(f"\n{'rank':>5} {'params':>8} {'ratio':>7} {'acc(svd)':>9} {'acc(ft)':>8}")
    for rank, params, a0, a1 in rows:
        print(f"{rank:>5} {params:>8,} {params / base_params:>7.2f} {a0:>9.3f} {a1:>8.3f}")

    # check that the custom layer survives a config round trip
    layer = LowRankDense.from_config(LowRankDense(10, 3, activation="relu").get_config())
    out = layer(tf.ones((2, 5)))
    print("round-trip layer output:", out.shape, layer.activation.__name__)
    return 0


if __name__ == "__main__":
    sys.exit(main([]))

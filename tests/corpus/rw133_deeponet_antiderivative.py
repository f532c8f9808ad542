#!/usr/bin/env python
# DeepONet for the antiderivative operator  G(v)(y) = int_0^y v(s) ds
# Branch net eats v sampled at fixed sensors, trunk net eats the query point y.
# Input functions are drawn from a Gaussian process (RBF kernel).

import time
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers


@dataclass
class Cfg:
    n_sensors: int = 50
    n_funcs: int = 300
    n_queries: int = 20          # query points per function
    length_scale: float = 0.2
    latent: int = 40             # p in the DeepONet paper
    branch_units: tuple = (64, 64)
    trunk_units: tuple = (64, 64)
    batch: int = 256
    epochs: int = 2
    lr: float = 1e-3
    seed: int = 42


cfg = Cfg()
rng = np.random.default_rng(cfg.seed)
tf.random.set_seed(cfg.seed)


def sample_gp(n_funcs, xs, length_scale):
    d = xs[:, None] - xs[None, :]
    K = np.exp(-0.5 * (d / length_scale) ** 2) + 1e-6 * np.eye(len(xs))
    L = np.linalg.cholesky(K)
    return (L @ rng.standard_normal((len(xs), n_funcs))).T


def make_data(c: Cfg):
    fine = np.linspace(0, 1, 401)
    v_fine = sample_gp(c.n_funcs, fine, c.length_scale)
    # cumulative trapezoid for the exact antiderivative on the fine grid
    dx = fine[1] - fine[0]
    G_fine = np.concatenate(
        [np.zeros((c.n_funcs, 1)), np.cumsum(0.5 * dx * (v_fine[:, 1:] + v_fine[:, :-1]), axis=1)],
        axis=1,
    )
    sensors = np.linspace(0, 1, c.n_sensors)
    v_sens = np.stack([np.interp(sensors, fine, v) for v in v_fine])

    ys = rng.uniform(0, 1, size=(c.n_funcs, c.n_queries))
    G_q = np.stack([np.interp(y, fine, g) for y, g in zip(ys, G_fine)])

    # flatten to (function, query) pairs
    branch_in = np.repeat(v_sens, c.n_queries, axis=0).astype(np.float32)
    trunk_in = ys.reshape(-1, 1).astype(np.float32)
    target = G_q.reshape(-1, 1).astype(np.float32)
    return branch_in, trunk_in, target, (fine, v_fine, G_fine, sensors)


def mlp(units, out_dim, name, final_activation=None):
    stack = [layers.Dense(u, activation="relu", name=f"{name}_d{i}") for i, u in enumerate(units)]
    stack.append(layers.Dense(out_dim, activation=final_activation, name=f"{name}_out"))
    return keras.Sequential(stack, name=name)


class DeepONet(keras.Model):
    def __init__(self, c: Cfg, **kw):
        super().__init__(**kw)
        self.branch = mlp(c.branch_units, c.latent, "branch")
        self.trunk = mlp(c.trunk_units, c.latent, "trunk", final_activation="relu")
        self.b0 = self.add_weight(name="bias", shape=(1,), initializer="zeros")

    def call(self, inputs):
        b = self.branch(inputs["sensors"])
        t = self.trunk(inputs["y"])
        return tf.reduce_sum(b * t, axis=-1, keepdims=True) + self.b0


branch_in, trunk_in, target, extras = make_data(cfg)
n_total = len(target)
n_train = int(0.85 * n_total)
print(f"{n_total} (function, query) pairs, {n_train} for training")


def to_example(v, y, g):
    return {"sensors": v, "y": y}, g


def add_noise(inputs, g):
    # small sensor noise as augmentation (pure tensor ops, no python branching)
    noisy = inputs["sensors"] + tf.random.normal(tf.shape(inputs["sensors"]), stddev=0.01)
    return {"sensors": noisy, "y": inputs["y"]}, g


full = tf.data.Dataset.from_tensor_slices((branch_in, trunk_in, target)).map(to_example)
train_ds = (full.take(n_train).shuffle(4096, seed=cfg.seed)
            .map(add_noise, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(cfg.batch).prefetch(tf.data.AUTOTUNE))
val_ds = full.skip(n_train).batch(cfg.batch)

model = DeepONet(cfg, name="deeponet")
model.compile(optimizer=keras.optimizers.Adam(cfg.lr), loss="mse", metrics=["mae"])

t0 = time.perf_counter()
model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs, verbose=2)
print(f"fit: {time.perf_counter() - t0:.1f}s")
model.summary()

# evaluate one held-out function on a dense set of query points
fine, v_fine, G_fine, sensors = extras
k = cfg.n_funcs - 1
v_k = np.interp(sensors, fine, v_fine[k]).astype(np.float32)
y_dense = np.linspace(0, 1, 101, dtype=np.float32)[:, None]
pred = model.predict({"sensors": np.tile(v_k, (len(y_dense), 1)), "y": y_dense}, verbose=0)
exact = np.interp(y_dense[:, 0], fine, G_fine[k])
rel = np.linalg.norm(pred[:, 0] - exact) / (np.linalg.norm(exact) + 1e-8)
print(f"function #{k}: relative L2 error {rel:.3f}")
print("  y    exact    pred")
for i in range(0, 101, 25):
    print(f"{y_dense[i, 0]:.2f} {exact[i]:+.4f} {pred[i, 0]:+.4f}")

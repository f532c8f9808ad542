"""DeepONet for the antiderivative operator  G(u)(y) = int_0^y u(s) ds.

branch net  : u sampled at m fixed sensors  -> p coefficients
trunk net   : query location y               -> p basis functions
output      : <branch, trunk> + b0

Data is generated from a Gaussian random field (RBF kernel) on [0, 1].
"""
import numpy as np
import tensorflow as tf

M_SENSORS = 50
N_FUNCS_TRAIN = 300
N_FUNCS_TEST = 50
POINTS_PER_FUNC = 20
LATENT_P = 40
LENGTH_SCALE = 0.2

params = dict(branch_layers=[64, 64], trunk_layers=[64, 64], act="relu",
              lr=1e-3, batch=512, epochs=2)


def sample_grf(n_funcs, grid, length_scale, rng):
    diff = grid[:, None] - grid[None, :]
    K = np.exp(-0.5 * (diff / length_scale) ** 2) + 1e-6 * np.eye(len(grid))
    L = np.linalg.cholesky(K)
    return (L @ rng.standard_normal((len(grid), n_funcs))).T


def cumtrapz(f, x):
    dx = np.diff(x)
    inc = 0.5 * (f[:, 1:] + f[:, :-1]) * dx
    return np.concatenate([np.zeros((f.shape[0], 1)), np.cumsum(inc, axis=1)], axis=1)


def generate(n_funcs, rng):
    sensors = np.linspace(0, 1, M_SENSORS)
    fine = np.linspace(0, 1, 501)
    u_fine = sample_grf(n_funcs, fine, LENGTH_SCALE, rng)
    G_fine = cumtrapz(u_fine, fine)
    u_sens = np.stack([np.interp(sensors, fine, u) for u in u_fine])

    ys = rng.uniform(0, 1, size=(n_funcs, POINTS_PER_FUNC))
    Gy = np.stack([np.interp(y, fine, g) for y, g in zip(ys, G_fine)])

    # "unstacked" format: one row per (function, query point) pair
    branch_in = np.repeat(u_sens, POINTS_PER_FUNC, axis=0)
    trunk_in = ys.reshape(-1, 1)
    target = Gy.reshape(-1, 1)
    return (branch_in.astype(np.float32), trunk_in.astype(np.float32)), target.astype(np.float32)


def mlp(widths, out_dim, act, name, final_act=None):
    seq = tf.keras.Sequential(name=name)
    for w in widths:
        seq.add(tf.keras.layers.Dense(w, activation=act))
    seq.add(tf.keras.layers.Dense(out_dim, activation=final_act))
    return seq


class DeepONet(tf.keras.Model):
    def __init__(self, p, branch_layers, trunk_layers, act="relu", **kw):
        super().__init__(**kw)
        self.branch = mlp(branch_layers, p, act, "branch")
        # trunk gets a nonlinearity on its last layer too, as in the original paper
        self.trunk = mlp(trunk_layers, p, act, "trunk", final_act=act)
        self.b0 = self.add_weight(name="b0", shape=(1,), initializer="zeros")

    def call(self, inputs):
        u, y = inputs
        b = self.branch(u)
        t = self.trunk(y)
        return tf.reduce_sum(b * t, axis=-1, keepdims=True) + self.b0


rng = np.random.default_rng(7)
(train_u, train_y), train_G = generate(N_FUNCS_TRAIN, rng)
(test_u, test_y), test_G = generate(N_FUNCS_TEST, rng)
print(f"train pairs: {train_u.shape[0]}, test pairs: {test_u.shape[0]}")

train_ds = (tf.data.Dataset.from_tensor_slices(((train_u, train_y), train_G))
            .shuffle(10_000, seed=0)
            .batch(params["batch"])
            .prefetch(tf.data.AUTOTUNE))
test_ds = tf.data.Dataset.from_tensor_slices(((test_u, test_y), test_G)).batch(1024)

net = DeepONet(LATENT_P, params["branch_layers"], params["trunk_layers"], params["act"])
net.compile(optimizer=tf.keras.optimizers.Adam(params["lr"]),
            loss="mse",
            metrics=[tf.keras.metrics.MeanAbsoluteError(name="mae")])
net.fit(train_ds, validation_data=test_ds, epochs=params["epochs"], verbose=2)
net.summary()

# Evaluate the operator on one fresh function over a dense set of query points
(u1, _), _ = generate(1, rng)
u_single = u1[:1]
y_dense = np.linspace(0, 1, 200, dtype=np.float32)[:, None]
pred = net.predict((np.repeat(u_single, len(y_dense), axis=0), y_dense), verbose=0)
sensors = np.linspace(0, 1, M_SENSORS)
ref = np.interp(y_dense[:, 0], sensors, cumtrapz(u_single.astype(np.float64), sensors)[0])
rel = np.linalg.norm(pred[:, 0] - ref) / (np.linalg.norm(ref) + 1e-8)
print(f"single-function relative L2 error: {rel:.3f}")

"""
Grey-box (universal differential equation style) model of Lotka-Volterra.

Known physics:  dx/dt =  a*x - [unknown interaction]
                dy/dt = -c*y + [unknown interaction]
A small MLP learns the interaction terms; a, c are trainable scalars.
Integration is explicit Euler with substeps, written with tf.scan so the
whole trajectory is differentiable.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

# ---- settings --------------------------------------------------------------
TRUE_PARAMS = dict(a=1.1, b=0.4, c=0.4, d=0.1)
T_END, N_OBS, SUBSTEPS = 8.0, 41, 4
N_SERIES = 24
WINDOW = 10              # train on short windows (multiple shooting lite)
EPOCHS = 2
LR = 1e-2
SCALE = 10.0             # populations are O(10); work in scaled units


def lv_rhs(state, p=TRUE_PARAMS):
    x, y = state[..., 0], state[..., 1]
    return np.stack([p["a"] * x - p["b"] * x * y, p["d"] * x * y - p["c"] * y], -1)


def simulate(x0, t_obs, substeps=50):
    """Fine RK4 reference integration returning values at t_obs."""
    dt = (t_obs[1] - t_obs[0]) / substeps
    s, out = x0.copy(), [x0.copy()]
    for _ in range(len(t_obs) - 1):
        for _ in range(substeps):
            k1 = lv_rhs(s)
            k2 = lv_rhs(s + 0.5 * dt * k1)
            k3 = lv_rhs(s + 0.5 * dt * k2)
            k4 = lv_rhs(s + dt * k3)
            s = s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(s.copy())
    return np.stack(out, axis=1)


rng = np.random.default_rng(5)
t_obs = np.linspace(0.0, T_END, N_OBS)
x0s = rng.uniform([5.0, 2.0], [15.0, 6.0], size=(N_SERIES, 2))
series = simulate(x0s, t_obs)
series = series * (1 + 0.02 * rng.standard_normal(series.shape))
series = (series / SCALE).astype(np.float32)
DT_OBS = float(t_obs[1] - t_obs[0])

# chop every series into overlapping windows -> (start_state, window_targets)
starts, targets = [], []
for s in series:
    for k in range(0, N_OBS - WINDOW, 2):
        starts.append(s[k])
        targets.append(s[k + 1:k + 1 + WINDOW])
starts, targets = np.array(starts), np.array(targets)
print(f"{len(starts)} windows of length {WINDOW}")


class GreyBoxRHS(keras.layers.Layer):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.log_a = self.add_weight(name="log_a", shape=(), initializer=keras.initializers.Constant(0.0))
        self.log_c = self.add_weight(name="log_c", shape=(), initializer=keras.initializers.Constant(-0.5))
        self.mlp = keras.Sequential([layers.Dense(32, activation="swish"),
                                     layers.Dense(32, activation="swish"),
                                     layers.Dense(2, kernel_initializer="zeros")])

    def call(self, s):
        a, c = tf.exp(self.log_a), tf.exp(self.log_c)
        known = tf.stack([a * s[:, 0], -c * s[:, 1]], axis=1)
        # interaction terms must vanish when either population is zero,
        # so multiply the MLP output by x*y
        xy = s[:, 0:1] * s[:, 1:2]
        return known + xy * self.mlp(s)


rhs = GreyBoxRHS(name="rhs")
rhs(tf.zeros((1, 2)))  # build


def euler_window(s0, n_obs, substeps=SUBSTEPS, dt_obs=DT_OBS):
    h = dt_obs / substeps

    def one_obs(s, _):
        for _ in range(substeps):       # python loop over a python int: unrolled
            s = s + h * rhs(s)
        return s

    # scan over observation times; elems only supplies the length
    traj = tf.scan(one_obs, tf.zeros([n_obs]), initializer=s0)
    return tf.transpose(traj, [1, 0, 2])   # (batch, n_obs, 2)


optimizer = keras.optimizers.Adam(LR, clipnorm=1.0)


@tf.function
def train_step(s0, target):
    with tf.GradientTape() as tape:
        pred = euler_window(s0, WINDOW)
        loss = tf.reduce_mean(tf.square(pred - target))
    grads = tape.gradient(loss, rhs.trainable_variables)
    optimizer.apply_gradients(zip(grads, rhs.trainable_variables))
    return loss


ds = tf.data.Dataset.from_tensor_slices((starts, targets)).shuffle(1024, seed=0).batch(32)
for epoch in range(EPOCHS):
    batch_losses = []
    for step, (s0, tgt) in enumerate(ds):
        batch_losses.append(train_step(s0, tgt).numpy())
    print(f"epoch {epoch + 1}/{EPOCHS} - {step + 1} steps - loss {np.mean(batch_losses):.5f}")

a_hat, c_hat = float(tf.exp(rhs.log_a)), float(tf.exp(rhs.log_c))
print(f"learned a={a_hat:.3f} (true {TRUE_PARAMS['a']}), c={c_hat:.3f} (true {TRUE_PARAMS['c']})")

# full-horizon forecast from the first observation of a held-out initial condition
x_test = np.array([[9.0, 4.0]])
ref = simulate(x_test, t_obs)[0] / SCALE
pred = euler_window(tf.constant(ref[:1], tf.float32), N_OBS - 1).numpy()[0]
rmse = np.sqrt(np.mean((pred - ref[1:]) ** 2, axis=0)) * SCALE
print(f"held-out forecast RMSE  prey={rmse[0]:.3f}  predator={rmse[1]:.3f}")

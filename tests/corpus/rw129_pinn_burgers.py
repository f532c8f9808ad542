"""
Physics-informed neural network for the 1D viscous Burgers equation

    u_t + u * u_x - nu * u_xx = 0,   x in [-1, 1], t in [0, 1]
    u(x, 0) = -sin(pi x),  u(-1, t) = u(1, t) = 0

Derivatives of the network output with respect to its *inputs* are taken
with nested tf.GradientTape calls.  Short run, just to check everything wires up.
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 1234
NU = 0.01 / math.pi
N_COLLOCATION = 2000
N_INITIAL = 200
N_BOUNDARY = 200
HIDDEN = [32, 32, 32, 32]
LR = 1e-3
STEPS = 150
LOG_EVERY = 25

np.random.seed(SEED)
tf.random.set_seed(SEED)


def sample_points():
    """Uniformly sample collocation, initial and boundary points."""
    x_f = np.random.uniform(-1.0, 1.0, size=(N_COLLOCATION, 1))
    t_f = np.random.uniform(0.0, 1.0, size=(N_COLLOCATION, 1))

    x_0 = np.random.uniform(-1.0, 1.0, size=(N_INITIAL, 1))
    t_0 = np.zeros_like(x_0)
    u_0 = -np.sin(math.pi * x_0)

    t_b = np.random.uniform(0.0, 1.0, size=(N_BOUNDARY, 1))
    x_b = np.where(np.random.rand(N_BOUNDARY, 1) < 0.5, -1.0, 1.0)
    u_b = np.zeros_like(t_b)

    as_tf = lambda a: tf.convert_to_tensor(a, dtype=tf.float32)
    return {
        "x_f": as_tf(x_f), "t_f": as_tf(t_f),
        "x_0": as_tf(x_0), "t_0": as_tf(t_0), "u_0": as_tf(u_0),
        "x_b": as_tf(x_b), "t_b": as_tf(t_b), "u_b": as_tf(u_b),
    }


def build_net(hidden=HIDDEN):
    inp = keras.Input(shape=(2,), name="xt")
    # scale t from [0,1] to [-1,1] so both inputs share a range
    h = layers.Lambda(lambda z: tf.concat([z[:, :1], 2.0 * z[:, 1:] - 1.0], axis=1))(inp)
    for i, width in enumerate(hidden):
        h = layers.Dense(width, activation="tanh",
                         kernel_initializer="glorot_normal",
                         name=f"hidden_{i}")(h)
    out = layers.Dense(1, name="u")(h)
    return keras.Model(inp, out, name="burgers_pinn")


model = build_net()
model.summary()
optimizer = keras.optimizers.Adam(learning_rate=LR)
pts = sample_points()


def burgers_residual(x, t):
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape(persistent=True) as inner:
            inner.watch([x, t])
            u = model(tf.concat([x, t], axis=1))
        u_x = inner.gradient(u, x)
        u_t = inner.gradient(u, t)
        del inner
    u_xx = outer.gradient(u_x, x)
    return u_t + u * u_x - NU * u_xx


@tf.function
def train_step(data):
    with tf.GradientTape() as tape:
        f = burgers_residual(data["x_f"], data["t_f"])
        u0_pred = model(tf.concat([data["x_0"], data["t_0"]], axis=1))
        ub_pred = model(tf.concat([data["x_b"], data["t_b"]], axis=1))
        loss_f = tf.reduce_mean(tf.square(f))
        loss_0 = tf.reduce_mean(tf.square(u0_pred - data["u_0"]))
        loss_b = tf.reduce_mean(tf.square(ub_pred - data["u_b"]))
        loss = loss_f + 10.0 * loss_0 + 10.0 * loss_b
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, loss_f, loss_0, loss_b


history = []
t_start = time.time()
for step in range(1, STEPS + 1):
    loss, lf, l0, lb = train_step(pts)
    history.append(float(loss))
    if step % LOG_EVERY == 0 or step == 1:
        print(f"step {step:4d} | loss {loss:.4e} | pde {lf:.3e} | ic {l0:.3e} | bc {lb:.3e}")
print(f"training took {time.time() - t_start:.1f}s")

# evaluate on a grid and compare initial slice with the exact IC
xs = np.linspace(-1, 1, 101, dtype=np.float32)
ts = np.linspace(0, 1, 51, dtype=np.float32)
X, T = np.meshgrid(xs, ts)
grid = np.stack([X.ravel(), T.ravel()], axis=1)
U = model.predict(grid, batch_size=1024, verbose=0).reshape(T.shape)
ic_err = np.abs(U[0] - (-np.sin(np.pi * xs))).max()
print(f"predicted field shape: {U.shape}, max |u(x,0) error| = {ic_err:.3f}")
print(f"loss went from {history[0]:.3e} to {history[-1]:.3e}")

"""Physics-informed neural network (PINN) for the 1D viscous Burgers equation.

    u_t + u * u_x - nu * u_xx = 0,   x in [-1, 1], t in [0, 1]
    u(0, x) = -sin(pi x),  u(t, -1) = u(t, 1) = 0

The PDE residual needs u_xx, so we use two nested GradientTapes.
Tiny collocation set and a handful of steps so it runs on a laptop CPU.
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.random.set_seed(1234)
np.random.seed(1234)

NU = 0.01 / math.pi
N_COLLOCATION = 512
N_INITIAL = 64
N_BOUNDARY = 64
HIDDEN = [32, 32, 32]
LEARNING_RATE = 1e-3
N_STEPS = 30
LOG_EVERY = 10


def sample_collocation(n):
    t = np.random.uniform(0.0, 1.0, size=(n, 1))
    x = np.random.uniform(-1.0, 1.0, size=(n, 1))
    return tf.constant(t, tf.float32), tf.constant(x, tf.float32)


def sample_initial(n):
    x = np.linspace(-1.0, 1.0, n).reshape(-1, 1)
    t = np.zeros_like(x)
    u = -np.sin(np.pi * x)
    return (tf.constant(t, tf.float32), tf.constant(x, tf.float32),
            tf.constant(u, tf.float32))


def sample_boundary(n):
    t = np.random.uniform(0.0, 1.0, size=(n, 1))
    x = np.where(np.random.rand(n, 1) > 0.5, 1.0, -1.0)
    u = np.zeros_like(t)
    return (tf.constant(t, tf.float32), tf.constant(x, tf.float32),
            tf.constant(u, tf.float32))


class ScaleInput(keras.layers.Layer):
    """Map (t, x) from the physical domain onto [-1, 1]^2."""

    def __init__(self, lower, upper, **kwargs):
        super().__init__(**kwargs)
        self.lower = tf.constant(lower, dtype=tf.float32)
        self.upper = tf.constant(upper, dtype=tf.float32)

    def call(self, inputs):
        return 2.0 * (inputs - self.lower) / (self.upper - self.lower) - 1.0


def build_pinn(hidden=HIDDEN):
    tx = keras.Input(shape=(2,), name="tx")
    h = ScaleInput([0.0, -1.0], [1.0, 1.0])(tx)
    for i, width in enumerate(hidden):
        h = keras.layers.Dense(width, activation="tanh",
                               kernel_initializer="glorot_normal",
                               name=f"hidden_{i}")(h)
    u = keras.layers.Dense(1, name="u")(h)
    return keras.Model(tx, u, name="burgers_pinn")


model = build_pinn()
model.summary()
optimizer = keras.optimizers.Adam(learning_rate=LEARNING_RATE)

t_f, x_f = sample_collocation(N_COLLOCATION)
t_0, x_0, u_0 = sample_initial(N_INITIAL)
t_b, x_b, u_b = sample_boundary(N_BOUNDARY)


def pde_residual(t, x):
    """Return f = u_t + u u_x - nu u_xx evaluated at the collocation points."""
    with tf.GradientTape(persistent=True) as outer:
        outer.watch([t, x])
        with tf.GradientTape(persistent=True) as inner:
            inner.watch([t, x])
            u = model(tf.concat([t, x], axis=1), training=True)
        u_t = inner.gradient(u, t)
        u_x = inner.gradient(u, x)
        del inner
    u_xx = outer.gradient(u_x, x)
    del outer
    return u_t + u * u_x - NU * u_xx


@tf.function
def train_step():
    with tf.GradientTape() as tape:
        f = pde_residual(t_f, x_f)
        u0_pred = model(tf.concat([t_0, x_0], axis=1), training=True)
        ub_pred = model(tf.concat([t_b, x_b], axis=1), training=True)
        loss_pde = tf.reduce_mean(tf.square(f))
        loss_ic = tf.reduce_mean(tf.square(u0_pred - u_0))
        loss_bc = tf.reduce_mean(tf.square(ub_pred - u_b))
        loss = loss_pde + loss_ic + loss_bc
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, loss_pde, loss_ic, loss_bc


history = []
start = time.time()
for step in range(1, N_STEPS + 1):
    loss, l_pde, l_ic, l_bc = train_step()
    history.append(float(loss))
    if step % LOG_EVERY == 0 or step == 1:
        print(f"step {step:4d}  loss={loss:.4e}  pde={l_pde:.3e}  "
              f"ic={l_ic:.3e}  bc={l_bc:.3e}")
print(f"trained {N_STEPS} steps in {time.time() - start:.1f}s")

# Evaluate on a coarse grid and report the residual magnitude.
tt, xx = np.meshgrid(np.linspace(0, 1, 21), np.linspace(-1, 1, 41), indexing="ij")
grid_t = tf.constant(tt.reshape(-1, 1), tf.float32)
grid_x = tf.constant(xx.reshape(-1, 1), tf.float32)
u_grid = model(tf.concat([grid_t, grid_x], axis=1)).numpy().reshape(tt.shape)
res_grid = pde_residual(grid_t, grid_x).numpy().reshape(tt.shape)
print("u grid shape:", u_grid.shape)
print("mean |residual| on grid: %.4e" % np.abs(res_grid).mean())
print("u(t=0) vs exact IC max err: %.4f"
      % np.max(np.abs(u_grid[0] - (-np.sin(np.pi * xx[0])))))

"""Physics-informed neural network for the 1-D viscous Burgers equation.

    u_t + u * u_x - nu * u_xx = 0,   x in [-1, 1], t in [0, 1]
    u(0, x) = -sin(pi x),  u(t, -1) = u(t, 1) = 0

Small re-implementation of Raissi et al. (2019) using tf.keras and a custom
GradientTape training loop.  Everything runs in float64 because second-order
derivatives get noisy in float32.
"""
import time

import numpy as np
import tensorflow as tf

tf.keras.backend.set_floatx("float64")

# ---------------------------------------------------------------------------
# Problem / training constants
# ---------------------------------------------------------------------------
NU = 0.01 / np.pi
N_COLLOCATION = 512
N_BOUNDARY = 64
N_INITIAL = 64
HIDDEN = [20, 20, 20, 20]
LEARNING_RATE = 1e-3
N_STEPS = 60
LOG_EVERY = 20
SEED = 1234

tf.random.set_seed(SEED)
rng = np.random.default_rng(SEED)


def sample_points():
    """Latin-hypercube-ish uniform sampling of the space-time domain."""
    t_f = rng.uniform(0.0, 1.0, size=(N_COLLOCATION, 1))
    x_f = rng.uniform(-1.0, 1.0, size=(N_COLLOCATION, 1))

    # initial condition u(0, x) = -sin(pi x)
    x_0 = rng.uniform(-1.0, 1.0, size=(N_INITIAL, 1))
    t_0 = np.zeros_like(x_0)
    u_0 = -np.sin(np.pi * x_0)

    # boundary x = +-1
    t_b = rng.uniform(0.0, 1.0, size=(N_BOUNDARY, 1))
    x_b = np.where(rng.random((N_BOUNDARY, 1)) < 0.5, -1.0, 1.0)
    u_b = np.zeros_like(t_b)

    X_f = np.hstack([t_f, x_f])
    X_u = np.vstack([np.hstack([t_0, x_0]), np.hstack([t_b, x_b])])
    U = np.vstack([u_0, u_b])
    return (tf.convert_to_tensor(X_f, dtype=tf.float64),
            tf.convert_to_tensor(X_u, dtype=tf.float64),
            tf.convert_to_tensor(U, dtype=tf.float64))


def build_pinn(lb, ub):
    """MLP with min-max input scaling baked in as the first layer."""
    lb = tf.constant(lb, dtype=tf.float64)
    ub = tf.constant(ub, dtype=tf.float64)

    inputs = tf.keras.Input(shape=(2,), name="tx")
    h = tf.keras.layers.Lambda(lambda z: 2.0 * (z - lb) / (ub - lb) - 1.0,
                               name="scale")(inputs)
    for i, width in enumerate(HIDDEN):
        h = tf.keras.layers.Dense(width, activation="tanh",
                                  kernel_initializer="glorot_normal",
                                  name=f"hidden_{i}")(h)
    out = tf.keras.layers.Dense(1, name="u")(h)
    return tf.keras.Model(inputs, out, name="burgers_pinn")


model = build_pinn(lb=[0.0, -1.0], ub=[1.0, 1.0])
model.summary()

optimizer = tf.keras.optimizers.Adam(learning_rate=LEARNING_RATE)
X_f, X_u, U_u = sample_points()
print("collocation:", X_f.shape, "data:", X_u.shape, U_u.shape)


def pde_residual(X):
    """Burgers residual via nested tapes (second derivative in x)."""
    t = X[:, 0:1]
    x = X[:, 1:2]
    with tf.GradientTape(persistent=True) as tape2:
        tape2.watch(x)
        with tf.GradientTape(persistent=True) as tape1:
            tape1.watch([t, x])
            u = model(tf.concat([t, x], axis=1), training=True)
        u_t = tape1.gradient(u, t)
        u_x = tape1.gradient(u, x)
    u_xx = tape2.gradient(u_x, x)
    del tape1, tape2
    return u_t + u * u_x - NU * u_xx


@tf.function
def train_step(X_f, X_u, U_u):
    with tf.GradientTape() as tape:
        f = pde_residual(X_f)
        u_pred = model(X_u, training=True)
        loss_f = tf.reduce_mean(tf.square(f))
        loss_u = tf.reduce_mean(tf.square(u_pred - U_u))
        loss = loss_u + loss_f
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss, loss_u, loss_f


start = time.time()
for step in range(1, N_STEPS + 1):
    loss, loss_u, loss_f = train_step(X_f, X_u, U_u)
    if step % LOG_EVERY == 0 or step == 1:
        print(f"step {step:4d}  loss={loss.numpy():.4e}  "
              f"L_u={loss_u.numpy():.3e}  L_f={loss_f.numpy():.3e}")
print(f"training took {time.time() - start:.1f}s")

# Evaluate on a coarse grid, t x x
t_grid = np.linspace(0, 1, 11)
x_grid = np.linspace(-1, 1, 41)
T, X = np.meshgrid(t_grid, x_grid, indexing="ij")
tx = np.stack([T.ravel(), X.ravel()], axis=-1)
u_hat = model.predict(tx, batch_size=256, verbose=0).reshape(T.shape)
print("prediction grid:", u_hat.shape, "dtype:", u_hat.dtype)
ic_err = np.abs(u_hat[0] + np.sin(np.pi * x_grid)).mean()
print(f"mean |IC error| at t=0: {ic_err:.3f}")

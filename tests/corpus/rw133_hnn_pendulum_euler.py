# Hamiltonian neural network for an ideal pendulum.
# The net outputs a scalar H(q, p); the vector field is obtained from
# dH/d(q,p) with tf.GradientTape on the *inputs*:
#     dq/dt =  dH/dp,   dp/dt = -dH/dq
# After training, trajectories are rolled out with symplectic Euler
# inside a tf.function (tf.while_loop + TensorArray).
import math
import numpy as np
import tensorflow as tf
from keras import layers, Sequential, optimizers, Input

G_OVER_L = 3.0
N_TRAIN = 400
NOISE = 0.02
HIDDEN = 64
BATCH = 64
EPOCHS = 2
ROLLOUT_STEPS = 200
ROLLOUT_DT = 0.05

rng = np.random.default_rng(11)


def true_field(qp):
    q, p = qp[:, 0], qp[:, 1]
    return np.stack([p, -G_OVER_L * np.sin(q)], axis=1)


def true_energy(qp):
    return 0.5 * qp[..., 1] ** 2 + G_OVER_L * (1 - np.cos(qp[..., 0]))


# sample states on random energy shells (below the separatrix)
radii = rng.uniform(0.3, 1.8, N_TRAIN)
angles = rng.uniform(0, 2 * math.pi, N_TRAIN)
states = np.stack([radii * np.cos(angles), radii * np.sin(angles) * math.sqrt(G_OVER_L)], 1)
derivs = true_field(states) + NOISE * rng.standard_normal(states.shape)
states, derivs = states.astype("float32"), derivs.astype("float32")

ds = (tf.data.Dataset.from_tensor_slices((states, derivs))
      .shuffle(N_TRAIN, seed=1).batch(BATCH, drop_remainder=True).cache())

hnet = Sequential([
    Input((2,)),
    layers.Dense(HIDDEN, activation="tanh"),
    layers.Dense(HIDDEN, activation="tanh"),
    layers.Dense(1, use_bias=False),
], name="hamiltonian")
opt = optimizers.Adam(2e-3)

# symplectic matrix J so that [dq, dp] = grad H @ J
J = tf.constant([[0.0, -1.0], [1.0, 0.0]])


def hnn_field(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        H = hnet(x)
    dH = tape.gradient(H, x)          # [dH/dq, dH/dp]
    return tf.matmul(dH, J)           # [dH/dp, -dH/dq]


@tf.function
def train_step(x, dxdt):
    with tf.GradientTape() as tape:
        pred = hnn_field(x)
        loss = tf.reduce_mean(tf.square(pred - dxdt))
    grads = tape.gradient(loss, hnet.trainable_variables)
    opt.apply_gradients(zip(grads, hnet.trainable_variables))
    return loss


# a few more passes than "epochs" suggests; each pass is only 6 tiny steps
for epoch in range(EPOCHS * 20):
    losses = [float(train_step(x, y)) for x, y in ds]
    if epoch % 10 == 0 or epoch == EPOCHS * 20 - 1:
        print(f"epoch {epoch:3d}  mse {np.mean(losses):.5f}")


@tf.function
def rollout(x0, n_steps, dt):
    """Symplectic (semi-implicit) Euler: update p with old q, then q with new p."""
    out = tf.TensorArray(tf.float32, size=n_steps + 1)
    out = out.write(0, x0)

    def body(i, x, out):
        f = hnn_field(x)
        p_new = x[:, 1:2] + dt * f[:, 1:2]
        f2 = hnn_field(tf.concat([x[:, 0:1], p_new], axis=1))
        q_new = x[:, 0:1] + dt * f2[:, 0:1]
        x_new = tf.concat([q_new, p_new], axis=1)
        return i + 1, x_new, out.write(i + 1, x_new)

    _, _, out = tf.while_loop(lambda i, *_: i < n_steps, body, (0, x0, out))
    return tf.transpose(out.stack(), [1, 0, 2])   # (batch, time, 2)


def reference_rollout(x0, n_steps, dt, substeps=20):
    x = x0.astype(np.float64)
    traj = [x.copy()]
    h = dt / substeps
    for _ in range(n_steps):
        for _ in range(substeps):  # RK4 with a small step as "ground truth"
            k1 = true_field(x); k2 = true_field(x + h / 2 * k1)
            k3 = true_field(x + h / 2 * k2); k4 = true_field(x + h * k3)
            x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        traj.append(x.copy())
    return np.stack(traj, 1)


x0 = np.array([[0.5, 0.0], [1.0, 0.5], [-1.2, 0.3]], dtype="float32")
traj = rollout(tf.constant(x0), tf.constant(ROLLOUT_STEPS), tf.constant(ROLLOUT_DT)).numpy()
ref = reference_rollout(x0, ROLLOUT_STEPS, ROLLOUT_DT)

E_hnn = true_energy(traj)
for i, e in enumerate(E_hnn):
    drift = (e.max() - e.min()) / e[0]
    print(f"traj {i}: E0={e[0]:.3f} relative energy spread {drift:.3f}, "
          f"final state err {np.linalg.norm(traj[i, -1] - ref[i, -1]):.3f}")

learned_H = hnet(tf.constant(x0)).numpy().ravel()
print("learned H (up to a constant):", np.round(learned_H - learned_H[0], 3),
      "true:", np.round(true_energy(x0) - true_energy(x0)[0], 3))

'''
Hamiltonian neural network (HNN) for an ideal pendulum + rollout with a
hand-written symplectic Euler integrator inside a tf.function (explicit tf.while_loop,
TensorArray for the states).

H_theta(q, p) is a scalar MLP; the vector field is obtained from input
gradients:  dq/dt = dH/dp,  dp/dt = -dH/dq.
'''
import math
import numpy as np
import tensorflow as tf
import keras

G_OVER_L = 3.0
DT_DATA = 0.05
N_TRAJ = 25
TRAJ_LEN = 30
BATCH = 64
EPOCHS = 6
LR = 2e-3


# ---- data: RK4 in numpy for the "true" pendulum, finite differences not needed
#      since we know the analytic vector field
def true_field(state):
    q, p = state[..., 0], state[..., 1]
    return np.stack([p, -G_OVER_L * np.sin(q)], axis=-1)


def rk4_np(state, dt):
    k1 = true_field(state)
    k2 = true_field(state + 0.5 * dt * k1)
    k3 = true_field(state + 0.5 * dt * k2)
    k4 = true_field(state + dt * k3)
    return state + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def make_trajectories(seed=0):
    rs = np.random.RandomState(seed)
    # energies well below the separatrix so every trajectory oscillates
    q0 = rs.uniform(-1.5, 1.5, N_TRAJ)
    p0 = rs.uniform(-1.0, 1.0, N_TRAJ)
    s = np.stack([q0, p0], axis=1)
    traj = [s]
    for _ in range(TRAJ_LEN - 1):
        s = rk4_np(s, DT_DATA)
        traj.append(s)
    return np.stack(traj, axis=1)  # (N_TRAJ, TRAJ_LEN, 2)


traj = make_trajectories()
states = traj.reshape(-1, 2).astype(np.float32)
derivs = true_field(states).astype(np.float32)
derivs += 0.01 * np.random.RandomState(1).randn(*derivs.shape).astype(np.float32)
print("training pairs:", states.shape[0])

dataset = tf.data.Dataset.from_tensor_slices((states, derivs)) \
    .shuffle(2048, seed=0).batch(BATCH)

# ---- model: scalar Hamiltonian
hamiltonian = keras.Sequential(
    [keras.Input(shape=(2,))]
    + [keras.layers.Dense(n, activation="softplus") for n in (64, 64)]
    + [keras.layers.Dense(1, use_bias=False)],
    name="H_theta",
)
hamiltonian.summary()
opt = keras.optimizers.Adam(LR)

J = tf.constant([[0.0, 1.0], [-1.0, 0.0]])  # symplectic matrix


def hnn_field(x, training=False):
    with tf.GradientTape() as tape:
        tape.watch(x)
        H = hamiltonian(x, training=training)
    dH = tape.gradient(H, x)                  # (B, 2) = [dH/dq, dH/dp]
    return tf.matmul(dH, J, transpose_b=True)  # [dH/dp, -dH/dq]


@tf.function
def train_step(x, dxdt):
    with tf.GradientTape() as tape:
        pred = hnn_field(x, training=True)
        loss = tf.reduce_mean(tf.square(pred - dxdt))
    grads = tape.gradient(loss, hamiltonian.trainable_variables)
    opt.apply_gradients(zip(grads, hamiltonian.trainable_variables))
    return loss


for epoch in range(EPOCHS):
    losses = [float(train_step(xb, yb)) for xb, yb in dataset]
    print(f"epoch {epoch + 1}/{EPOCHS}  mean loss {np.mean(losses):.4f}  last {losses[-1]:.4f}")


# ---- rollout with symplectic Euler (update p with old q, then q with new p)
def grad_H(x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        H = hamiltonian(x)
    return tape.gradient(H, x)


def symplectic_euler_step(x, dt):
    dH = grad_H(x)
    p_new = x[:, 1:2] - dt * dH[:, 0:1]
    dH_half = grad_H(tf.concat([x[:, 0:1], p_new], axis=1))
    q_new = x[:, 0:1] + dt * dH_half[:, 1:2]
    return tf.concat([q_new, p_new], axis=1)


@tf.function
def rollout(x0, dt, n_steps: int):
    ta = tf.TensorArray(tf.float32, size=n_steps + 1, element_shape=x0.shape)
    ta = ta.write(0, x0)

    def body(i, x, ta):
        x_next = symplectic_euler_step(x, dt)
        return i + 1, x_next, ta.write(i + 1, x_next)

    _, _, ta = tf.while_loop(lambda i, x, ta: i < n_steps, body,
                             (tf.constant(0), x0, ta))
    return tf.transpose(ta.stack(), [1, 0, 2])


def true_energy(x):
    return 0.5 * x[..., 1] ** 2 + G_OVER_L * (1 - np.cos(x[..., 0]))


x0 = np.array([[1.0, 0.0], [0.3, 0.5]], dtype=np.float32)
n_steps = 200
pred_traj = rollout(tf.constant(x0), tf.constant(0.05), n_steps).numpy()

ref = [x0.astype(np.float64)]
for _ in range(n_steps):
    ref.append(rk4_np(ref[-1], 0.05))
ref = np.stack(ref, axis=1)

for i in range(len(x0)):
    e = true_energy(pred_traj[i])
    drift = (e.max() - e.min()) / e.mean()
    err = np.abs(pred_traj[i] - ref[i]).mean()
    print(f"traj {i}: x0={x0[i]}, mean |err|={err:.3f}, relative energy spread={drift:.3f}")
print(f"period estimate (small angle): {2 * math.pi / math.sqrt(G_OVER_L):.2f}s")

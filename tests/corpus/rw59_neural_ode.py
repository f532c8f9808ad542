"""Neural ODE with a fixed-step RK4 integrator, written against keras.ops.

Learns the vector field of a 2-D spiral (linear damped rotation) from sampled
trajectories.  No adjoint method here -- we just backprop through the unrolled
solver, which is fine for short horizons.  Loosely follows the torchdiffeq
"ode_demo" example, ported to Keras 3.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import ops, layers

CONFIG = {
    "state_dim": 2,
    "hidden": 50,
    "n_traj": 64,
    "n_steps": 16,          # integration steps per trajectory
    "dt": 0.05,
    "batch_size": 16,
    "train_iters": 30,
    "lr": 1e-2,
}

TRUE_A = np.array([[-0.1, 2.0], [-2.0, -0.1]], dtype="float32")


def true_trajectories(y0, n_steps, dt):
    """Integrate dy/dt = y^3 @ A with small-step Euler in numpy (ground truth)."""
    ys = [y0]
    y = y0.copy()
    sub = 10
    for _ in range(n_steps):
        for _ in range(sub):
            y = y + (dt / sub) * (y ** 3) @ TRUE_A
        ys.append(y.copy())
    return np.stack(ys, axis=1)  # (batch, n_steps+1, dim)


class ODEFunc(layers.Layer):
    """f_theta(y, t): a small MLP that also sees time as an extra input."""

    def __init__(self, hidden, state_dim, **kwargs):
        super().__init__(**kwargs)
        self.hidden = hidden
        self.state_dim = state_dim
        self.fc1 = layers.Dense(hidden, activation="tanh")
        self.fc2 = layers.Dense(hidden, activation="tanh")
        self.out = layers.Dense(state_dim, kernel_initializer=keras.initializers.RandomNormal(stddev=0.1))

    def build(self, input_shape):
        # input is y**3 concatenated with t
        self.fc1.build((None, self.state_dim + 1))
        self.fc2.build((None, self.hidden))
        self.out.build((None, self.hidden))

    def call(self, y, t=0.0):
        t_col = ops.ones_like(y[:, :1]) * t
        h = ops.concatenate([y ** 3, t_col], axis=-1)
        return self.out(self.fc2(self.fc1(h)))


class RK4Integrator(keras.Model):
    """Wraps an ODEFunc and returns the full trajectory [y0, y1, ..., yN]."""

    def __init__(self, func, n_steps, dt, **kwargs):
        super().__init__(**kwargs)
        self.func = func
        self.n_steps = n_steps
        self.dt = dt

    def step(self, t, y):
        dt = self.dt
        k1 = self.func(y, t=t)
        k2 = self.func(y + dt / 2 * k1, t=t + dt / 2)
        k3 = self.func(y + dt / 2 * k2, t=t + dt / 2)
        k4 = self.func(y + dt * k3, t=t + dt)
        return y + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)

    def call(self, y0):
        ys = [y0]
        y = y0
        # unrolled python loop over a static number of steps
        for i in range(self.n_steps):
            y = self.step(i * self.dt, y)
            ys.append(y)
        return ops.stack(ys, axis=1)


def main(cfg=CONFIG):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    y0 = rng.uniform(-1.5, 1.5, size=(cfg["n_traj"], cfg["state_dim"])).astype("float32")
    traj = true_trajectories(y0, cfg["n_steps"], cfg["dt"]).astype("float32")
    print("trajectories:", traj.shape)

    func = ODEFunc(cfg["hidden"], cfg["state_dim"], name="odefunc")
    node = RK4Integrator(func, cfg["n_steps"], cfg["dt"], name="neural_ode")
    pred = node(ops.convert_to_tensor(y0[:2]))
    print("untrained rollout:", tuple(pred.shape))

    optimizer = keras.optimizers.RMSprop(learning_rate=cfg["lr"])
    ds = (tf.data.Dataset.from_tensor_slices((traj[:, 0], traj))
          .shuffle(256, seed=1)
          .repeat()
          .batch(cfg["batch_size"], drop_remainder=True))

    @tf.function
    def train_step(y_init, y_true):
        with tf.GradientTape() as tape:
            y_pred = node(y_init, training=True)
            loss = ops.mean(ops.abs(y_pred - y_true))
        grads = tape.gradient(loss, node.trainable_weights)
        optimizer.apply(grads, node.trainable_weights)
        return loss

    for it, (y_init, y_true) in enumerate(ds.take(cfg["train_iters"])):
        loss = train_step(y_init, y_true)
        if it % 10 == 0:
            print(f"iter {it:03d} | L1 loss {float(loss):.4f}")

    # extrapolate further than the training horizon
    long_node = RK4Integrator(func, cfg["n_steps"] * 2, cfg["dt"])
    rollout = ops.convert_to_numpy(long_node(y0[:4]))
    print("extrapolated rollout:", rollout.shape, "final state norm:",
          np.round(np.linalg.norm(rollout[:, -1], axis=-1), 3))


if __name__ == "__main__":
    main()

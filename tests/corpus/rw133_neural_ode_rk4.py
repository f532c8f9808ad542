# Neural ODE trained on trajectories of a damped spiral (linear 2D system).
# The integrator is a fixed-step RK4 written directly with TF ops, so
# gradients flow back through every solver step (discretize-then-optimize).
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "n_traj": 200,
    "n_steps": 10,
    "dt": 0.15,
    "hidden": 48,
    "batch_size": 32,
    "epochs": 2,
    "lr": 5e-3,
    "noise": 0.01,
}

TRUE_A = np.array([[-0.1, 2.0],
                   [-2.0, -0.1]], dtype=np.float32)


def simulate_true(y0, n_steps, dt):
    """Reference trajectories using the matrix exponential of the linear system."""
    # eigen-decomposition based exact solution, good enough for a 2x2
    w, v = np.linalg.eig(TRUE_A)
    v_inv = np.linalg.inv(v)
    traj = []
    for k in range(n_steps + 1):
        expm = (v @ np.diag(np.exp(w * dt * k)) @ v_inv).real
        traj.append(y0 @ expm.T)
    return np.stack(traj, axis=1).astype(np.float32)  # (N, T+1, 2)


def make_dataset(cfg):
    rng = np.random.default_rng(7)
    y0 = rng.uniform(-2.0, 2.0, size=(cfg["n_traj"], 2)).astype(np.float32)
    traj = simulate_true(y0, cfg["n_steps"], cfg["dt"])
    traj += cfg["noise"] * rng.standard_normal(traj.shape).astype(np.float32)
    x = traj[:, 0, :]
    y = traj[:, 1:, :]
    n_val = cfg["n_traj"] // 5
    train = tf.data.Dataset.from_tensor_slices((x[n_val:], y[n_val:]))
    train = train.shuffle(512, seed=0).batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices((x[:n_val], y[:n_val])).batch(cfg["batch_size"])
    return train, val, (x[:4], traj[:4])


class ODEFunc(layers.Layer):
    """f_theta(y) approximating dy/dt."""

    def __init__(self, hidden, **kwargs):
        super().__init__(**kwargs)
        self.net = [layers.Dense(hidden, activation="tanh") for _ in range(2)]
        self.out = layers.Dense(2, kernel_initializer=keras.initializers.RandomNormal(stddev=0.1))

    def call(self, y):
        h = y
        for d in self.net:
            h = d(h)
        return self.out(h)


def rk4_step(f, y, dt):
    k1 = f(y)
    k2 = f(y + 0.5 * dt * k1)
    k3 = f(y + 0.5 * dt * k2)
    k4 = f(y + dt * k3)
    return y + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


class NeuralODE(keras.Model):
    def __init__(self, hidden, n_steps, dt, **kwargs):
        super().__init__(**kwargs)
        self.func = ODEFunc(hidden, name="odefunc")
        self.n_steps = n_steps
        self.dt = dt

    def call(self, y0):
        ys = []
        y = y0
        # n_steps is a python int, so this unrolls into the graph
        for _ in range(self.n_steps):
            y = rk4_step(self.func, y, self.dt)
            ys.append(y)
        return tf.stack(ys, axis=1)


train_ds, val_ds, (demo_x0, demo_traj) = make_dataset(CONFIG)

model = NeuralODE(CONFIG["hidden"], CONFIG["n_steps"], CONFIG["dt"], name="neural_ode")
model.compile(optimizer=keras.optimizers.Adam(CONFIG["lr"]), loss="mse",
              metrics=["mae"], jit_compile=False)
hist = model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2)
print({k: [round(v, 5) for v in vals] for k, vals in hist.history.items()})

# compare the learned vector field with the true one on a few probe points
probe = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]], dtype=np.float32)
learned = model.func(probe).numpy()
true = probe @ TRUE_A.T
for p, a, b in zip(probe, learned, true):
    print(f"y={p} learned f={np.round(a, 3)} true f={np.round(b, 3)}")

# longer rollout than the training horizon to see how it extrapolates
long_model = NeuralODE(CONFIG["hidden"], 2 * CONFIG["n_steps"], CONFIG["dt"])
long_model(demo_x0)  # build
long_model.func.set_weights(model.func.get_weights())
rollout = long_model(demo_x0).numpy()
ref = simulate_true(demo_x0, 2 * CONFIG["n_steps"], CONFIG["dt"])[:, 1:]
err = np.sqrt(np.mean((rollout - ref) ** 2, axis=(0, 2)))
print("rollout rmse at t=", [f"{(i + 1) * CONFIG['dt']:.2f}:{e:.3f}" for i, e in enumerate(err) if i % 5 == 4])

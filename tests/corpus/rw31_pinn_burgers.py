# Physics-informed neural network for the 1D viscous Burgers equation
#   u_t + u u_x - nu u_xx = 0,  x in [-1, 1], t in [0, 1]
#   u(x, 0) = -sin(pi x),  u(-1, t) = u(1, t) = 0
# Trained with a custom loop; second derivatives come from nested GradientTapes.
import math
import time

import numpy as np
import tensorflow as tf

tf.keras.backend.set_floatx("float32")

NU = 0.01 / math.pi
cfg = dict(
    n_colloc=512,
    n_ic=64,
    n_bc=64,
    hidden=[32, 32, 32, 32],
    lr=2e-3,
    steps=30,
    w_pde=1.0,
    w_ic=5.0,
    w_bc=5.0,
)


def sample_points(seed=0):
    rng = np.random.default_rng(seed)
    # collocation points: latin-hypercube would be nicer, uniform is fine here
    xt_f = np.column_stack([rng.uniform(-1, 1, cfg["n_colloc"]), rng.uniform(0, 1, cfg["n_colloc"])])
    x0 = np.linspace(-1, 1, cfg["n_ic"])
    xt_0 = np.column_stack([x0, np.zeros_like(x0)])
    u_0 = -np.sin(np.pi * x0)[:, None]
    tb = rng.uniform(0, 1, cfg["n_bc"])
    side = np.where(rng.random(cfg["n_bc"]) < 0.5, -1.0, 1.0)
    xt_b = np.column_stack([side, tb])
    u_b = np.zeros((cfg["n_bc"], 1))
    as_tf = lambda a: tf.convert_to_tensor(a, dtype=tf.float32)
    return as_tf(xt_f), as_tf(xt_0), as_tf(u_0), as_tf(xt_b), as_tf(u_b)


class ScaleToUnit(tf.keras.layers.Layer):
    """Map (x, t) from the physical box to [-1, 1]^2."""

    def __init__(self, lb, ub, **kw):
        super().__init__(**kw)
        self.lb = tf.constant(lb, dtype=tf.float32)
        self.ub = tf.constant(ub, dtype=tf.float32)

    def call(self, xt):
        return 2.0 * (xt - self.lb) / (self.ub - self.lb) - 1.0


class PINN(tf.keras.Model):
    def __init__(self, hidden, **kw):
        super().__init__(**kw)
        self.scale = ScaleToUnit([-1.0, 0.0], [1.0, 1.0])
        self.hidden_layers = [
            tf.keras.layers.Dense(h, activation="tanh", kernel_initializer="glorot_normal")
            for h in hidden
        ]
        self.out = tf.keras.layers.Dense(1)

    def call(self, xt):
        z = self.scale(xt)
        for lyr in self.hidden_layers:
            z = lyr(z)
        return self.out(z)


def pde_residual(model, xt):
    x = xt[:, 0:1]
    t = xt[:, 1:2]
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        outer.watch(t)
        with tf.GradientTape(persistent=True) as inner:
            inner.watch(x)
            inner.watch(t)
            u = model(tf.concat([x, t], axis=1))
        u_x = inner.gradient(u, x)
        u_t = inner.gradient(u, t)
    u_xx = outer.gradient(u_x, x)
    del inner, outer
    return u_t + u * u_x - NU * u_xx


def make_train_step(model, optimizer):
    @tf.function
    def train_step(xt_f, xt_0, u_0, xt_b, u_b):
        with tf.GradientTape() as tape:
            f = pde_residual(model, xt_f)
            loss_pde = tf.reduce_mean(tf.square(f))
            loss_ic = tf.reduce_mean(tf.square(model(xt_0) - u_0))
            loss_bc = tf.reduce_mean(tf.square(model(xt_b) - u_b))
            loss = cfg["w_pde"] * loss_pde + cfg["w_ic"] * loss_ic + cfg["w_bc"] * loss_bc
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, loss_pde, loss_ic, loss_bc

    return train_step


def main():
    tf.random.set_seed(0)
    xt_f, xt_0, u_0, xt_b, u_b = sample_points()
    model = PINN(cfg["hidden"])
    model(tf.zeros((1, 2)))  # build
    print(f"PINN params: {model.count_params()}")

    schedule = tf.keras.optimizers.schedules.ExponentialDecay(cfg["lr"], decay_steps=100, decay_rate=0.9)
    opt = tf.keras.optimizers.Adam(learning_rate=schedule)
    step = make_train_step(model, opt)

    history = []
    t0 = time.perf_counter()
    for it in range(cfg["steps"]):
        loss, lp, li, lb = step(xt_f, xt_0, u_0, xt_b, u_b)
        history.append(float(loss))
        if it % 10 == 0 or it == cfg["steps"] - 1:
            print(f"it {it:4d} | loss {loss:.4e} | pde {lp:.3e} ic {li:.3e} bc {lb:.3e}")
    print(f"training: {time.perf_counter() - t0:.1f}s")

    # evaluate on a grid and check the residual there too
    xs = np.linspace(-1, 1, 41, dtype=np.float32)
    ts = np.linspace(0, 1, 11, dtype=np.float32)
    X, T = np.meshgrid(xs, ts)
    grid = tf.constant(np.stack([X.ravel(), T.ravel()], axis=1))
    u_pred = model(grid).numpy().reshape(T.shape)
    res = pde_residual(model, grid).numpy()
    print("u(x, t=0) max abs err vs IC:", float(np.max(np.abs(u_pred[0] + np.sin(np.pi * xs)))))
    print("mean |residual| on grid:", float(np.mean(np.abs(res))))
    print("loss went from", round(history[0], 4), "to", round(history[-1], 4))


if __name__ == "__main__":
    main()

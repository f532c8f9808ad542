"""Inverse PINN: recover the damping ratio of a damped harmonic oscillator.

We observe a handful of noisy displacement samples x(t) of

    m x'' + c x' + k x = 0

and fit a network x_theta(t) together with an unknown, trainable damping
coefficient c.  The ODE residual is computed with tf.GradientTape inside an
overridden `train_step`, so the whole thing still plugs into `model.fit`.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers

keras.config.set_floatx("float64")


@dataclass
class OscillatorConfig:
    mass: float = 1.0
    stiffness: float = 400.0          # k  -> omega_0 = 20 rad/s
    true_damping: float = 4.0         # c  (what we try to recover)
    x0: float = 1.0
    t_max: float = 0.5
    n_obs: int = 40
    n_colloc: int = 200
    noise_std: float = 0.01
    hidden_units: list = field(default_factory=lambda: [32, 32, 32])
    physics_weight: float = 1e-4
    epochs: int = 3
    batch_size: int = 20
    lr: float = 5e-3


def analytic_solution(cfg, t):
    """Underdamped closed form with x(0)=x0, x'(0)=0."""
    d = cfg.true_damping / (2.0 * cfg.mass)
    w0 = np.sqrt(cfg.stiffness / cfg.mass)
    w = np.sqrt(w0 ** 2 - d ** 2)
    phi = np.arctan(-d / w)
    A = cfg.x0 / (2.0 * np.cos(phi))
    return np.exp(-d * t) * 2.0 * A * np.cos(phi + w * t)


class OscillatorPINN(keras.Model):
    def __init__(self, cfg: OscillatorConfig, t_colloc, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.t_colloc = tf.constant(t_colloc, dtype=tf.float64)
        self.body = [layers.Dense(u, activation="tanh") for u in cfg.hidden_units]
        self.head = layers.Dense(1)
        # log-parameterised so c stays positive
        self.log_c = self.add_weight(
            name="log_damping", shape=(), initializer=keras.initializers.Constant(0.0),
            trainable=True,
        )
        self.data_tracker = keras.metrics.Mean(name="data_loss")
        self.phys_tracker = keras.metrics.Mean(name="physics_loss")

    @property
    def damping(self):
        return tf.exp(self.log_c)

    def call(self, t, training=False):
        h = t / self.cfg.t_max   # normalise time to [0, 1]
        for layer in self.body:
            h = layer(h, training=training)
        return self.head(h)

    def physics_residual(self, t):
        with tf.GradientTape() as g2:
            g2.watch(t)
            with tf.GradientTape() as g1:
                g1.watch(t)
                x = self(t, training=True)
            dx = g1.gradient(x, t)
        d2x = g2.gradient(dx, t)
        return self.cfg.mass * d2x + self.damping * dx + self.cfg.stiffness * x

    @property
    def metrics(self):
        return [self.data_tracker, self.phys_tracker]

    def train_step(self, data):
        t_obs, x_obs = data
        with tf.GradientTape() as tape:
            x_pred = self(t_obs, training=True)
            data_loss = tf.reduce_mean(tf.square(x_pred - x_obs))
            res = self.physics_residual(self.t_colloc)
            phys_loss = tf.reduce_mean(tf.square(res))
            loss = data_loss + self.cfg.physics_weight * phys_loss
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.data_tracker.update_state(data_loss)
        self.phys_tracker.update_state(phys_loss)
        return {"data_loss": self.data_tracker.result(),
                "physics_loss": self.phys_tracker.result(),
                "damping": self.damping}

    def test_step(self, data):
        t_obs, x_obs = data
        x_pred = self(t_obs, training=False)
        self.data_tracker.update_state(tf.reduce_mean(tf.square(x_pred - x_obs)))
        return {"data_loss": self.data_tracker.result()}


def make_dataset(cfg, rng):
    t_obs = np.sort(rng.uniform(0.0, cfg.t_max, size=(cfg.n_obs, 1)))
    x_obs = analytic_solution(cfg, t_obs) + cfg.noise_std * rng.standard_normal(t_obs.shape)
    ds = (tf.data.Dataset.from_tensor_slices((t_obs, x_obs))
          .shuffle(cfg.n_obs, seed=0)
          .batch(cfg.batch_size)
          .prefetch(tf.data.AUTOTUNE))
    return ds, t_obs, x_obs


def main():
    cfg = OscillatorConfig()
    rng = np.random.default_rng(7)
    ds, t_obs, x_obs = make_dataset(cfg, rng)
    t_colloc = np.linspace(0.0, cfg.t_max, cfg.n_colloc).reshape(-1, 1)

    model = OscillatorPINN(cfg, t_colloc, name="oscillator_pinn")
    _ = model(tf.zeros((1, 1), dtype=tf.float64))  # create weights
    model.compile(optimizer=keras.optimizers.Adam(cfg.lr))
    print("floatx:", keras.config.floatx(), "| initial c =", float(model.damping))

    history = model.fit(ds, epochs=cfg.epochs, verbose=2)
    print("history keys:", sorted(history.history))
    print(f"estimated c = {float(model.damping):.3f} (true {cfg.true_damping})")

    t_test = np.linspace(0.0, cfg.t_max, 50)[:, None]
    x_test = model.predict(t_test, verbose=0)
    rmse = np.sqrt(np.mean((x_test - analytic_solution(cfg, t_test)) ** 2))
    print("test shape:", x_test.shape, f"rmse={rmse:.3f}")


if __name__ == "__main__":
    main()

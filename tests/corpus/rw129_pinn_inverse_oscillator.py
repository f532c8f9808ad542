# Inverse problem with a PINN: recover the damping (mu) and stiffness (k) of a
# damped harmonic oscillator   x'' + mu x' + k x = 0   from ~30 noisy observations.
#
# The physics residual is evaluated at random collocation times drawn inside
# train_step, and the unknown coefficients are trainable variables on the model
# (log-parametrised to keep them positive).

import numpy as np
import tensorflow as tf
from tensorflow import keras

# ground truth used only to make data
MU_TRUE, K_TRUE = 0.6, 9.0
X0, V0 = 1.0, 0.0
T_END = 4.0
N_OBS = 30
N_COLLOC = 256
NOISE_STD = 0.02

cfg = {"width": 32, "depth": 3, "lr": 5e-3, "epochs": 2,
       "steps_per_epoch": 60, "lambda_phys": 0.1}


def exact(t, mu=MU_TRUE, k=K_TRUE):
    w0 = np.sqrt(k)
    d = mu / 2.0
    w = np.sqrt(w0 ** 2 - d ** 2)      # under-damped
    A = X0
    B = (V0 + d * X0) / w
    return np.exp(-d * t) * (A * np.cos(w * t) + B * np.sin(w * t))


rng = np.random.default_rng(3)
t_obs = np.sort(rng.uniform(0, T_END, N_OBS)).astype("float32")[:, None]
x_obs = (exact(t_obs) + NOISE_STD * rng.standard_normal(t_obs.shape)).astype("float32")


class FourierFeatures(keras.layers.Layer):
    """Fixed sin/cos embedding of t; helps the MLP represent oscillations."""

    def __init__(self, n_freq=8, max_freq=6.0, **kw):
        super().__init__(**kw)
        self.freqs = tf.constant(np.linspace(1.0, max_freq, n_freq), dtype=tf.float32)

    def call(self, t):
        arg = t * self.freqs[None, :]
        return tf.concat([t, tf.sin(arg), tf.cos(arg)], axis=-1)


class OscillatorPINN(keras.Model):
    def __init__(self, width, depth, lambda_phys, **kw):
        super().__init__(**kw)
        self.embed = FourierFeatures()
        self.hidden = [keras.layers.Dense(width, activation="tanh", name=f"h{i}")
                       for i in range(depth)]
        self.out = keras.layers.Dense(1, name="x")
        # NB: a bare tf.Variable attribute is not tracked by Keras 3 -> use add_weight
        self.log_mu = self.add_weight(name="log_mu", shape=(),
                                      initializer="zeros")             # start at mu = 1
        self.log_k = self.add_weight(name="log_k", shape=(),
                                     initializer=keras.initializers.Constant(np.log(4.0)))
        self.lambda_phys = lambda_phys
        self.trackers = {n: keras.metrics.Mean(name=n) for n in ["loss", "data", "phys"]}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, t):
        h = self.embed(t / T_END)
        for layer in self.hidden:
            h = layer(h)
        return self.out(h)

    def residual(self, t):
        with tf.GradientTape() as g2:
            g2.watch(t)
            with tf.GradientTape() as g1:
                g1.watch(t)
                x = self(t, training=True)
            x_t = g1.gradient(x, t)
        x_tt = g2.gradient(x_t, t)
        mu, k = tf.exp(self.log_mu), tf.exp(self.log_k)
        return x_tt + mu * x_t + k * x

    def train_step(self, data):
        t_d, x_d = data
        t_c = tf.random.uniform((N_COLLOC, 1), 0.0, T_END)
        t_0 = tf.zeros((1, 1))
        with tf.GradientTape() as tape:
            data_loss = tf.reduce_mean(tf.square(self(t_d, training=True) - x_d))
            r = self.residual(t_c)
            phys_loss = tf.reduce_mean(tf.square(r))
            # soft initial condition x(0) = X0
            ic_loss = tf.reduce_mean(tf.square(self(t_0, training=True) - X0))
            loss = data_loss + self.lambda_phys * phys_loss + ic_loss
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for name, val in zip(["loss", "data", "phys"], [loss, data_loss, phys_loss]):
            self.trackers[name].update_state(val)
        logs = {m.name: m.result() for m in self.metrics}
        logs["mu"] = tf.exp(self.log_mu)
        logs["k"] = tf.exp(self.log_k)
        return logs


class ParamLogger(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        mu = float(tf.exp(self.model.log_mu))
        k = float(tf.exp(self.model.log_k))
        print(f"  -> epoch {epoch + 1}: mu={mu:.3f} (true {MU_TRUE}), k={k:.3f} (true {K_TRUE})")


# full-batch training on the observations, repeated so each "epoch" is many steps
ds = tf.data.Dataset.from_tensors((t_obs, x_obs)).repeat()

pinn = OscillatorPINN(cfg["width"], cfg["depth"], cfg["lambda_phys"])
pinn(tf.zeros((1, 1)))
pinn.compile(optimizer=keras.optimizers.Adam(cfg["lr"]))
print("physical parameters:", [v.name for v in pinn.trainable_variables if v.name.startswith("log_")])

pinn.fit(ds, epochs=cfg["epochs"], steps_per_epoch=cfg["steps_per_epoch"],
         callbacks=[ParamLogger()], verbose=2)

t_test = np.linspace(0, T_END, 200, dtype="float32")[:, None]
x_pred = pinn.predict(t_test, verbose=0)
rmse = float(np.sqrt(np.mean((x_pred - exact(t_test)) ** 2)))
print(f"trajectory RMSE vs exact solution: {rmse:.4f}")

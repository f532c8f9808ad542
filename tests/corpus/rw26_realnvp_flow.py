"""RealNVP density estimation on 2-D two-moons data.

Affine coupling layers with alternating binary masks:
    y = x * m + (1 - m) * (x * exp(s(x*m)) + t(x*m))
    log|det J| = sum((1 - m) * s(x*m))
The base distribution is a standard isotropic Gaussian, written out by hand
so the script has no tensorflow-probability dependency.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops, regularizers

NUM_COUPLING_LAYERS = 4
HIDDEN_UNITS = 128
DATA_DIM = 2
LOG_2PI = math.log(2.0 * math.pi)


def make_moons(n_samples, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer = np.stack([np.cos(np.linspace(0, np.pi, n_out)),
                      np.sin(np.linspace(0, np.pi, n_out))], axis=1)
    inner = np.stack([1 - np.cos(np.linspace(0, np.pi, n_in)),
                      1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5], axis=1)
    x = np.concatenate([outer, inner], axis=0)
    x += rng.normal(scale=noise, size=x.shape)
    return x[rng.permutation(len(x))].astype("float32")


class AffineCoupling(layers.Layer):
    """Shared trunk with separate scale (tanh) and translation (linear) heads."""

    def __init__(self, hidden_units, reg=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = hidden_units
        self.reg = reg

    def build(self, input_shape):
        dim = input_shape[-1]
        kw = dict(activation="relu", kernel_regularizer=regularizers.l2(self.reg))
        self.s_net = [layers.Dense(self.hidden_units, **kw) for _ in range(3)]
        self.s_net.append(layers.Dense(dim, activation="tanh",
                                       kernel_regularizer=regularizers.l2(self.reg)))
        self.t_net = [layers.Dense(self.hidden_units, **kw) for _ in range(3)]
        self.t_net.append(layers.Dense(dim, activation="linear",
                                       kernel_regularizer=regularizers.l2(self.reg)))
        self.scale_factor = self.add_weight(name="scale_factor", shape=(dim,),
                                            initializer="ones")

    def call(self, x):
        s, t = x, x
        for layer in self.s_net:
            s = layer(s)
        for layer in self.t_net:
            t = layer(t)
        return s * self.scale_factor, t


class RealNVP(keras.Model):
    def __init__(self, num_coupling_layers, hidden_units=HIDDEN_UNITS, **kwargs):
        super().__init__(**kwargs)
        self.num_coupling_layers = num_coupling_layers
        masks = np.array([[0, 1], [1, 0]] * (num_coupling_layers // 2), dtype="float32")
        self.masks = ops.convert_to_tensor(masks)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.layers_list = [AffineCoupling(hidden_units, name=f"coupling_{i}")
                            for i in range(num_coupling_layers)]

    @property
    def metrics(self):
        return [self.loss_tracker]

    def base_log_prob(self, z):
        return -0.5 * ops.sum(ops.square(z), axis=-1) - 0.5 * DATA_DIM * LOG_2PI

    def call(self, x, training=True):
        """training=True: data -> latent (forward). training=False: latent -> data."""
        log_det_inv = ops.zeros(ops.shape(x)[0])
        direction = -1 if training else 1
        order = range(self.num_coupling_layers)[::direction]
        for i in order:
            mask = self.masks[i]
            x_masked = x * mask
            reversed_mask = 1.0 - mask
            s, t = self.layers_list[i](x_masked)
            s = s * reversed_mask
            t = t * reversed_mask
            gate = (direction - 1) / 2  # 0 for generative, -1 for inference
            x = (
                reversed_mask
                * (x * ops.exp(direction * s) + direction * t * ops.exp(gate * s))
                + x_masked
            )
            log_det_inv = log_det_inv + gate * ops.sum(s, axis=1)
        return x, log_det_inv

    def log_loss(self, x):
        z, logdet = self(x, training=True)
        log_likelihood = self.base_log_prob(z) + logdet
        return -ops.mean(log_likelihood)

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self.log_loss(data)
            if self.losses:
                loss = loss + ops.sum(ops.stack(self.losses))
        g = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(g, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        loss = self.log_loss(data)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def sample(self, n, seed=None):
        z = keras.random.normal((n, DATA_DIM), seed=seed)
        x, _ = self(z, training=False)
        return x


data = make_moons(2000, noise=0.05)
mean, std = data.mean(axis=0), data.std(axis=0)
normalized = (data - mean) / std

model = RealNVP(num_coupling_layers=NUM_COUPLING_LAYERS)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4))
history = model.fit(normalized, batch_size=256, epochs=2, verbose=2, validation_split=0.2)

# data -> latent space; a good flow makes z look like N(0, I)
z, logdet = model(normalized[:512], training=True)
z = ops.convert_to_numpy(z)
print("latent mean:", np.round(z.mean(0), 3), "latent std:", np.round(z.std(0), 3))
print("avg log|det J|:", float(ops.mean(logdet)))

# round trip: inverse(forward(x)) should reproduce x
x_rec, _ = model(ops.convert_to_tensor(z), training=False)
err = np.max(np.abs(ops.convert_to_numpy(x_rec) - normalized[:512]))
print("max reconstruction error:", float(err))

samples = ops.convert_to_numpy(model.sample(1000, seed=3)) * std + mean
print("samples:", samples.shape, "range x:", samples[:, 0].min().round(2),
      samples[:, 0].max().round(2))

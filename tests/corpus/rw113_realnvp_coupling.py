"""RealNVP-style normalizing flow on a 2-D "two moons" toy distribution.

Pieces:
  - AffineCoupling: custom layer; a binary mask chooses which dims condition
    the scale/shift network, the rest get transformed. forward() and inverse()
    both return the log|det J| contribution.
  - ActNorm: data-independent learnable per-dim scale/bias (simplified).
  - FlowModel: keras.Model stacking the layers, exposes log_prob() and sample().
Trained by maximum likelihood with a manual tf.GradientTape loop.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_POINTS = 512
BATCH = 64
N_COUPLINGS = 6
HIDDEN = 64
STEPS_PER_EPOCH = 8
EPOCHS = 2
LR = 1e-3

keras.utils.set_random_seed(1)


def two_moons(n, noise=0.08, seed=1):
    r = np.random.RandomState(seed)
    n1 = n // 2
    a = np.pi * r.rand(n1)
    b = np.pi * r.rand(n - n1)
    upper = np.stack([np.cos(a), np.sin(a)], axis=1)
    lower = np.stack([1.0 - np.cos(b), 0.5 - np.sin(b)], axis=1)
    pts = np.concatenate([upper, lower]) + noise * r.randn(n, 2)
    pts = (pts - pts.mean(0)) / pts.std(0)  # standardize
    return pts.astype("float32")


class AffineCoupling(layers.Layer):
    def __init__(self, mask, hidden=HIDDEN, **kwargs):
        super().__init__(**kwargs)
        self.mask_values = list(mask)
        self.hidden = hidden
        dim = len(mask)
        self.mask = tf.constant(mask, dtype=tf.float32)
        self.net = [layers.Dense(hidden, activation="relu") for _ in range(2)]
        self.scale_out = layers.Dense(dim, activation="tanh", kernel_initializer="zeros")
        self.shift_out = layers.Dense(dim, kernel_initializer="zeros")
        self.scale_factor = self.add_weight(
            name="scale_factor", shape=(dim,), initializer="ones", trainable=True
        )

    def _s_t(self, x_masked):
        h = x_masked
        for dense in self.net:
            h = dense(h)
        s = self.scale_out(h) * self.scale_factor
        t = self.shift_out(h)
        inv = 1.0 - self.mask
        return s * inv, t * inv

    def call(self, x):
        """x -> z direction (data to latent)."""
        x_masked = x * self.mask
        s, t = self._s_t(x_masked)
        z = x_masked + (1.0 - self.mask) * (x * tf.exp(s) + t)
        log_det = tf.reduce_sum(s, axis=-1)
        return z, log_det

    def inverse(self, z):
        z_masked = z * self.mask
        s, t = self._s_t(z_masked)
        x = z_masked + (1.0 - self.mask) * ((z - t) * tf.exp(-s))
        return x, -tf.reduce_sum(s, axis=-1)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"mask": self.mask_values, "hidden": self.hidden})
        return cfg


class ActNorm(layers.Layer):
    def build(self, input_shape):
        dim = input_shape[-1]
        self.log_scale = self.add_weight(name="log_scale", shape=(dim,), initializer="zeros")
        self.bias = self.add_weight(name="bias", shape=(dim,), initializer="zeros")

    def call(self, x):
        z = (x + self.bias) * tf.exp(self.log_scale)
        log_det = tf.reduce_sum(self.log_scale) * tf.ones_like(x[:, 0])
        return z, log_det

    def inverse(self, z):
        x = z * tf.exp(-self.log_scale) - self.bias
        return x, -tf.reduce_sum(self.log_scale) * tf.ones_like(z[:, 0])


class FlowModel(keras.Model):
    def __init__(self, dim=2, n_couplings=N_COUPLINGS, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        masks = [[(i + k) % 2 for i in range(dim)] for k in range(n_couplings)]
        self.flow_layers = []
        for k, m in enumerate(masks):
            self.flow_layers.append(ActNorm(name=f"actnorm_{k}"))
            self.flow_layers.append(AffineCoupling(m, name=f"coupling_{k}"))

    def call(self, x):
        log_det_total = tf.zeros_like(x[:, 0])
        z = x
        for layer in self.flow_layers:
            z, ld = layer(z)
            log_det_total += ld
        return z, log_det_total

    def log_prob(self, x):
        z, log_det = self(x)
        log_base = -0.5 * tf.reduce_sum(z ** 2, axis=-1) - 0.5 * self.dim * math.log(2 * math.pi)
        return log_base + log_det

    def sample(self, n):
        x = tf.random.normal((n, self.dim))
        for layer in reversed(self.flow_layers):
            x, _ = layer.inverse(x)
        return x


data = two_moons(N_POINTS)
train_ds = (
    tf.data.Dataset.from_tensor_slices(data)
    .shuffle(N_POINTS)
    .batch(BATCH, drop_remainder=True)
    .repeat()
)

flow = FlowModel()
_ = flow(tf.zeros((1, 2)))  # build weights
print(f"flow has {len(flow.flow_layers)} layers, {flow.count_params()} parameters")

optimizer = keras.optimizers.Adam(LR, clipnorm=1.0)


@tf.function
def train_step(x):
    with tf.GradientTape() as tape:
        nll = -tf.reduce_mean(flow.log_prob(x))
    grads = tape.gradient(nll, flow.trainable_variables)
    optimizer.apply_gradients(zip(grads, flow.trainable_variables))
    return nll


it = iter(train_ds)
for epoch in range(1, EPOCHS + 1):
    losses = [float(train_step(next(it))) for _ in range(STEPS_PER_EPOCH)]
    print(f"epoch {epoch}: nll={np.mean(losses):.4f} (first {losses[0]:.3f}, last {losses[-1]:.3f})")

# sanity checks: invertibility, sample statistics
x_check = tf.constant(data[:16])
z_check, _ = flow(x_check)
x_back = z_check
for layer in reversed(flow.flow_layers):
    x_back, _ = layer.inverse(x_back)
err = float(tf.reduce_max(tf.abs(x_back - x_check)))
print(f"max reconstruction error after inverse: {err:.2e}")

samples = flow.sample(256).numpy()
print("sample mean:", samples.mean(0).round(3), "std:", samples.std(0).round(3))
print("avg log p(data):", float(tf.reduce_mean(flow.log_prob(data))))

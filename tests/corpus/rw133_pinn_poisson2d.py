"""PINN for the 2D Poisson problem on the unit square, Keras-style.

    -(u_xx + u_yy) = f(x, y),   u = 0 on the boundary
    f = 2 pi^2 sin(pi x) sin(pi y)  ->  exact u = sin(pi x) sin(pi y)

The model subclasses keras.Model and overrides train_step so model.fit()
drives the physics loss. The Laplacian comes from a persistent GradientTape
nested inside another tape, both watching the input coordinates.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

PI = np.pi
N_INTERIOR = 1024
N_EDGE = 64           # per edge
BATCH = 256
EPOCHS = 2
BC_WEIGHT = 20.0


def source(xy):
    x, y = xy[:, 0:1], xy[:, 1:2]
    return 2.0 * PI**2 * tf.sin(PI * x) * tf.sin(PI * y)


def exact(xy):
    return np.sin(PI * xy[:, 0:1]) * np.sin(PI * xy[:, 1:2])


def boundary_points(n):
    s = np.random.rand(n, 1)
    zeros, ones = np.zeros_like(s), np.ones_like(s)
    edges = [np.hstack(p) for p in [(s, zeros), (s, ones), (zeros, s), (ones, s)]]
    return np.vstack(edges).astype("float32")


class FourierFeatures(layers.Layer):
    """Fixed random Fourier embedding; helps the MLP with the sinusoidal solution."""

    def __init__(self, n_features=16, scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.n_features = n_features
        self.scale = scale

    def build(self, input_shape):
        self.B = self.add_weight(
            name="B", shape=(int(input_shape[-1]), self.n_features),
            initializer=keras.initializers.RandomNormal(stddev=self.scale),
            trainable=False,
        )

    def call(self, x):
        proj = 2.0 * PI * tf.matmul(x, self.B)
        return tf.concat([tf.sin(proj), tf.cos(proj)], axis=-1)


class PoissonPINN(keras.Model):
    def __init__(self, widths=(40, 40, 40), **kwargs):
        super().__init__(**kwargs)
        self.embed = FourierFeatures(16, 0.5)
        self.hidden = [layers.Dense(w, activation="tanh") for w in widths]
        self.head = layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.pde_tracker = keras.metrics.Mean(name="pde")
        self.bc_tracker = keras.metrics.Mean(name="bc")

    def call(self, xy):
        h = self.embed(xy)
        for d in self.hidden:
            h = d(h)
        return self.head(h)

    @property
    def metrics(self):
        return [self.loss_tracker, self.pde_tracker, self.bc_tracker]

    def laplacian(self, xy):
        with tf.GradientTape() as t2:
            t2.watch(xy)
            with tf.GradientTape() as t1:
                t1.watch(xy)
                u = self(xy, training=True)
            grad_u = t1.gradient(u, xy)            # (N, 2) = [u_x, u_y]
        # batch_jacobian of the gradient gives the Hessian per point
        hess = t2.batch_jacobian(grad_u, xy)       # (N, 2, 2)
        return tf.linalg.trace(hess)[:, None], u

    def compute_losses(self, data):
        interior, bnd = data
        lap, _ = self.laplacian(interior)
        res = -lap - source(interior)
        pde = tf.reduce_mean(tf.square(res))
        bc = tf.reduce_mean(tf.square(self(bnd, training=True)))
        return pde, bc

    def train_step(self, data):
        with tf.GradientTape() as tape:
            pde, bc = self.compute_losses(data)
            loss = pde + BC_WEIGHT * bc
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for m, v in zip(self.metrics, (loss, pde, bc)):
            m.update_state(v)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        pde, bc = self.compute_losses(data)
        for m, v in zip(self.metrics, (pde + BC_WEIGHT * bc, pde, bc)):
            m.update_state(v)
        return {m.name: m.result() for m in self.metrics}


np.random.seed(3)
tf.random.set_seed(3)
interior = np.random.rand(N_INTERIOR, 2).astype("float32")
edge = boundary_points(N_EDGE)
n_batches = N_INTERIOR // BATCH

# pair each interior batch with a (repeated, reshuffled) boundary batch
int_ds = tf.data.Dataset.from_tensor_slices(interior).shuffle(N_INTERIOR).batch(BATCH)
bnd_ds = (tf.data.Dataset.from_tensor_slices(edge).shuffle(len(edge)).repeat()
          .batch(len(edge) // n_batches))
train_ds = tf.data.Dataset.zip((int_ds, bnd_ds))

pinn = PoissonPINN(name="poisson_pinn")
pinn.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.ExponentialDecay(
    3e-3, decay_steps=50, decay_rate=0.9)))
pinn.fit(train_ds, epochs=EPOCHS, verbose=2)

# a few extra epochs with a hand-written loop; compile the step once
fast_step = tf.function(pinn.train_step)
for epoch in range(5):
    for m in pinn.metrics:
        m.reset_state()
    logs = None
    for batch in train_ds:
        logs = fast_step(batch)
    print(f"extra epoch {epoch}: " + ", ".join(f"{k}={float(v):.4f}" for k, v in logs.items()))

test = np.stack(np.meshgrid(np.linspace(0, 1, 41), np.linspace(0, 1, 41)), -1).reshape(-1, 2)
test = test.astype("float32")
u_hat = pinn.predict(test, batch_size=512, verbose=0)
u_ref = exact(test)
rel = np.linalg.norm(u_hat - u_ref) / np.linalg.norm(u_ref)
print(f"relative L2 error on 41x41 grid: {rel:.3f}")
print(f"u(0.5, 0.5): pinn {pinn(np.array([[0.5, 0.5]], 'float32')).numpy().item():.4f}  exact 1.0000")

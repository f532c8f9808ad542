"""RealNVP density estimation on the two-moons toy data set.

Affine coupling layers with alternating binary masks:
    y = x * m + (1 - m) * (x * exp(s(x * m)) + t(x * m))
log|det J| = sum((1 - m) * s). No tensorflow_probability needed -- the base
distribution log-density is written out by hand with keras.ops.
"""
import math

import numpy as np
import keras
from keras import layers, ops, regularizers

# -- settings -----------------------------------------------------------------
NUM_COUPLING_LAYERS = 4
HIDDEN_UNITS = 64
INPUT_DIM = 2
REG = 0.01
BATCH_SIZE = 128
EPOCHS = 2
N_POINTS = 2000


def make_moons(n, noise=0.05, seed=0):
    """Re-implementation of sklearn.datasets.make_moons."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    n_in = n - n_out
    outer = np.stack([np.cos(np.linspace(0, np.pi, n_out)), np.sin(np.linspace(0, np.pi, n_out))], 1)
    inner = np.stack(
        [1 - np.cos(np.linspace(0, np.pi, n_in)), 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5], 1
    )
    X = np.concatenate([outer, inner]).astype("float32")
    X += rng.normal(scale=noise, size=X.shape).astype("float32")
    rng.shuffle(X)
    return X


def standard_normal_log_prob(z):
    """Sum over event dims of log N(z; 0, I)."""
    return ops.sum(-0.5 * ops.square(z) - 0.5 * math.log(2.0 * math.pi), axis=-1)


def coupling_network(input_shape, hidden=HIDDEN_UNITS, reg=REG):
    """Shared trunk with two heads: log-scale s (tanh-bounded) and translation t."""
    inp = keras.Input(shape=(input_shape,))

    t = inp
    for _ in range(3):
        t = layers.Dense(hidden, activation="relu", kernel_regularizer=regularizers.l2(reg))(t)
    t_out = layers.Dense(input_shape, activation="linear", kernel_regularizer=regularizers.l2(reg))(t)

    s = inp
    for _ in range(3):
        s = layers.Dense(hidden, activation="relu", kernel_regularizer=regularizers.l2(reg))(s)
    s_out = layers.Dense(input_shape, activation="tanh", kernel_regularizer=regularizers.l2(reg))(s)

    return keras.Model(inputs=inp, outputs=[s_out, t_out])


class RealNVP(keras.Model):
    def __init__(self, num_coupling_layers, input_dim=INPUT_DIM, **kwargs):
        super().__init__(**kwargs)
        self.num_coupling_layers = num_coupling_layers
        # alternating [0,1] / [1,0] masks
        base = np.array([[0, 1], [1, 0]], dtype="float32")
        self.masks = np.tile(base, (num_coupling_layers // 2, 1))
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.layers_list = [coupling_network(input_dim) for _ in range(num_coupling_layers)]

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, x, training=True):
        """training=True: data -> latent (forward). training=False: latent -> data."""
        log_det_inv = 0.0
        direction = -1 if training else 1
        order = range(self.num_coupling_layers)[::direction]
        for i in order:
            mask = ops.convert_to_tensor(self.masks[i])
            reversed_mask = 1.0 - mask
            x_masked = x * mask
            s, t = self.layers_list[i](x_masked)
            s = s * reversed_mask
            t = t * reversed_mask
            gate = (direction - 1) / 2  # 0 for sampling, -1 for density
            x = (
                reversed_mask
                * (x * ops.exp(direction * s) + direction * t * ops.exp(gate * s))
                + x_masked
            )
            log_det_inv = log_det_inv + gate * ops.sum(s, axis=1)
        return x, log_det_inv

    def log_loss(self, x):
        y, logdet = self(x)
        log_likelihood = standard_normal_log_prob(y) + logdet
        return -ops.mean(log_likelihood)

    def train_step(self, data):
        import tensorflow as tf  # GradientTape lives in TF even under Keras 3

        with tf.GradientTape() as tape:
            loss = self.log_loss(data)
            loss = loss + ops.sum(self.losses)  # l2 regularizers
        g = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(g, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        loss = self.log_loss(data)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}


def main():
    data = make_moons(N_POINTS, noise=0.05)
    mean, std = data.mean(axis=0), data.std(axis=0)
    norm = (data - mean) / std
    print("data:", norm.shape)

    model = RealNVP(num_coupling_layers=NUM_COUPLING_LAYERS)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-4))
    history = model.fit(norm, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_split=0.2, verbose=2)
    print("val_loss per epoch:", [round(v, 3) for v in history.history["val_loss"]])

    # data -> latent; should look roughly gaussian after training
    z, _ = model(norm[:256])
    z = ops.convert_to_numpy(z)
    print("latent mean:", z.mean(0).round(3), "std:", z.std(0).round(3))

    # latent -> data (inverse pass)
    samples = np.random.normal(size=(512, INPUT_DIM)).astype("float32")
    x_gen, _ = model.predict(samples, batch_size=256, verbose=0)
    x_gen = x_gen * std + mean
    print("generated:", x_gen.shape, "bbox:", x_gen.min(0).round(2), x_gen.max(0).round(2))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
# 1D Fourier Neural Operator (FNO) learning the solution operator of the
# heat equation with periodic BCs:  u0(x) -> u(x, T).
# Ground truth is computed spectrally in numpy; the model uses tf.signal.rfft / irfft
# inside a custom SpectralConv1D layer.

import numpy as np
import tensorflow as tf
import keras
from keras import layers

N_GRID = 64
N_TRAIN, N_TEST = 256, 64
KAPPA, T_FINAL = 0.02, 1.0
MODES = 12
WIDTH = 24
N_FOURIER_LAYERS = 3
BATCH = 32
EPOCHS = 2

rng = np.random.default_rng(42)


def random_periodic_fields(n, n_grid, n_modes=8, decay=1.5):
    """Random smooth periodic functions: sum of sines/cosines with decaying amplitude."""
    x = np.linspace(0, 1, n_grid, endpoint=False)
    k = np.arange(1, n_modes + 1)
    a = rng.standard_normal((n, n_modes)) / k ** decay
    b = rng.standard_normal((n, n_modes)) / k ** decay
    phase = 2 * np.pi * np.outer(x, k)                # (n_grid, n_modes)
    u = a @ np.cos(phase).T + b @ np.sin(phase).T     # (n, n_grid)
    return x, u


def heat_solution(u0, kappa=KAPPA, t=T_FINAL):
    n_grid = u0.shape[-1]
    freqs = np.fft.rfftfreq(n_grid, d=1.0 / n_grid)   # integer wavenumbers
    u_hat = np.fft.rfft(u0, axis=-1)
    u_hat *= np.exp(-kappa * (2 * np.pi * freqs) ** 2 * t)
    return np.fft.irfft(u_hat, n=n_grid, axis=-1)


x, u0_all = random_periodic_fields(N_TRAIN + N_TEST, N_GRID)
uT_all = heat_solution(u0_all)

# inputs: (u0, x) channels, outputs: uT as single channel
grid_feat = np.broadcast_to(x[None, :, None], (u0_all.shape[0], N_GRID, 1))
X_all = np.concatenate([u0_all[..., None], grid_feat], axis=-1).astype("float32")
Y_all = uT_all[..., None].astype("float32")
X_train, X_test = X_all[:N_TRAIN], X_all[N_TRAIN:]
Y_train, Y_test = Y_all[:N_TRAIN], Y_all[N_TRAIN:]
print("train:", X_train.shape, Y_train.shape, "test:", X_test.shape)


@keras.saving.register_keras_serializable(package="fno")
class SpectralConv1D(layers.Layer):
    """Multiply the lowest `modes` Fourier coefficients by a learned complex matrix."""

    def __init__(self, channels, modes, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.modes = modes

    def build(self, input_shape):
        c_in = input_shape[-1]
        scale = 1.0 / (c_in * self.channels)
        init = keras.initializers.RandomUniform(0.0, scale)
        self.w_re = self.add_weight(name="w_re", shape=(c_in, self.channels, self.modes),
                                    initializer=init)
        self.w_im = self.add_weight(name="w_im", shape=(c_in, self.channels, self.modes),
                                    initializer=init)

    def call(self, x):
        n = x.shape[1] if x.shape[1] is not None else tf.shape(x)[1]
        # rfft works over the innermost axis -> move channels in front of the grid
        x_ft = tf.signal.rfft(tf.transpose(x, [0, 2, 1]))            # (B, C_in, n//2+1)
        x_low = x_ft[:, :, : self.modes]
        w = tf.complex(self.w_re, self.w_im)
        out_low = tf.einsum("bim,iom->bom", x_low, w)                 # (B, C_out, modes)
        n_freq = n // 2 + 1
        out_ft = tf.pad(out_low, [[0, 0], [0, 0], [0, n_freq - self.modes]])
        out = tf.signal.irfft(out_ft, fft_length=tf.reshape(n, [1]))
        # irfft drops static dims in graph mode; restore them for downstream layers
        out = tf.reshape(out, [tf.shape(x)[0], self.channels, n])
        return tf.transpose(out, [0, 2, 1])

    def get_config(self):
        cfg = super().get_config()
        cfg.update(channels=self.channels, modes=self.modes)
        return cfg


def fourier_block(h, width, modes, idx, last=False):
    spec = SpectralConv1D(width, modes, name=f"spectral_{idx}")(h)
    local = layers.Conv1D(width, 1, name=f"pointwise_{idx}")(h)
    h = layers.Add(name=f"add_{idx}")([spec, local])
    if not last:
        h = layers.Activation("gelu", name=f"gelu_{idx}")(h)
    return h


def build_fno(n_grid=N_GRID, width=WIDTH, modes=MODES, depth=N_FOURIER_LAYERS):
    inp = keras.Input(shape=(n_grid, 2))
    h = layers.Dense(width, name="lift")(inp)
    for i in range(depth):
        h = fourier_block(h, width, modes, i, last=(i == depth - 1))
    h = layers.Dense(64, activation="gelu", name="proj_1")(h)
    out = layers.Dense(1, name="proj_2")(h)
    return keras.Model(inp, out, name="fno1d")


def relative_l2(y_true, y_pred):
    num = tf.norm(tf.reshape(y_true - y_pred, [tf.shape(y_true)[0], -1]), axis=1)
    den = tf.norm(tf.reshape(y_true, [tf.shape(y_true)[0], -1]), axis=1)
    return tf.reduce_mean(num / (den + 1e-8))


model = build_fno()
model.summary(line_length=90)
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4),
              loss="mse", metrics=[relative_l2])

history = model.fit(X_train, Y_train, batch_size=BATCH, epochs=EPOCHS,
                    validation_data=(X_test, Y_test), verbose=2)

test_mse, test_rel = model.evaluate(X_test, Y_test, verbose=0)
print(f"test mse={test_mse:.4e}  rel L2={test_rel:.3f}")

# resolution invariance check: evaluate on a finer grid (weights are grid-agnostic)
fine = 128
x_f, u0_f = random_periodic_fields(8, fine)
X_f = np.concatenate([u0_f[..., None], np.broadcast_to(x_f[None, :, None], (8, fine, 1))],
                     axis=-1).astype("float32")
fine_model = build_fno(n_grid=fine)
fine_model.set_weights(model.get_weights())
pred_f = fine_model.predict(X_f, verbose=0)
print(f"zero-shot on {fine} points, rel L2 = "
      f"{float(relative_l2(heat_solution(u0_f)[..., None].astype('float32'), pred_f)):.3f}")

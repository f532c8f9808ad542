"""1D Fourier Neural Operator (FNO) on a synthetic smoothing operator.

Maps an input field a(x) on a periodic grid to u(x) = solution of
    -k * u'' + u = a   (periodic)
which is diagonal in Fourier space, so an FNO should pick it up quickly.
The spectral convolution uses tf.signal.rfft / tf.signal.irfft.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N_GRID = 64
N_SAMPLES = 320
MODES = 12
WIDTH = 24
N_FNO_BLOCKS = 3
KAPPA = 0.01
BATCH = 32
EPOCHS = 2

rng = np.random.default_rng(0)


def random_fields(n, n_grid, n_modes=8):
    """Sum of a few random sines/cosines with decaying amplitude."""
    x = np.linspace(0.0, 1.0, n_grid, endpoint=False)
    fields = np.zeros((n, n_grid))
    for k in range(1, n_modes + 1):
        amp = rng.normal(size=(n, 2)) / k
        fields += amp[:, :1] * np.sin(2 * np.pi * k * x) + amp[:, 1:] * np.cos(2 * np.pi * k * x)
    return fields.astype(np.float32), x.astype(np.float32)


def solve_operator(a):
    """Exact spectral solution of -kappa u'' + u = a on [0,1) periodic."""
    n = a.shape[-1]
    k = np.fft.rfftfreq(n, d=1.0 / n)
    a_hat = np.fft.rfft(a, axis=-1)
    u_hat = a_hat / (1.0 + KAPPA * (2 * np.pi * k) ** 2)
    return np.fft.irfft(u_hat, n=n, axis=-1).astype(np.float32)


a_all, grid = random_fields(N_SAMPLES, N_GRID)
u_all = solve_operator(a_all)

# input channels: field value + coordinate
coords = np.broadcast_to(grid[None, :, None], (N_SAMPLES, N_GRID, 1))
X = np.concatenate([a_all[..., None], coords], axis=-1)
Y = u_all[..., None]
split = int(0.8 * N_SAMPLES)
print("X", X.shape, "Y", Y.shape)


class SpectralConv1D(layers.Layer):
    def __init__(self, out_channels, modes, **kwargs):
        super().__init__(**kwargs)
        self.out_channels = out_channels
        self.modes = modes

    def build(self, input_shape):
        in_ch = int(input_shape[-1])
        scale = 1.0 / (in_ch * self.out_channels)
        init = keras.initializers.RandomUniform(0.0, scale)
        shape = (self.modes, in_ch, self.out_channels)
        self.w_re = self.add_weight(name="w_re", shape=shape, initializer=init)
        self.w_im = self.add_weight(name="w_im", shape=shape, initializer=init)

    def call(self, x):
        # x: (batch, n, channels) -> put grid on the last axis for rfft
        n = tf.shape(x)[1]
        x_t = tf.transpose(x, [0, 2, 1])
        x_ft = tf.signal.rfft(x_t)                       # (b, c, n//2+1)
        x_ft = tf.transpose(x_ft[:, :, : self.modes], [0, 2, 1])  # (b, modes, c)
        w = tf.complex(self.w_re, self.w_im)
        out_ft = tf.einsum("bmi,mio->bmo", x_ft, w)      # (b, modes, out)
        n_freq = n // 2 + 1
        pad = tf.zeros(
            [tf.shape(x)[0], n_freq - self.modes, self.out_channels], dtype=out_ft.dtype
        )
        out_ft = tf.concat([out_ft, pad], axis=1)
        out = tf.signal.irfft(tf.transpose(out_ft, [0, 2, 1]), fft_length=[n])
        return tf.transpose(out, [0, 2, 1])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.out_channels)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(out_channels=self.out_channels, modes=self.modes)
        return cfg


def fno_block(x, idx):
    spec = SpectralConv1D(WIDTH, MODES, name=f"spectral_{idx}")(x)
    local = layers.Conv1D(WIDTH, 1, name=f"pointwise_{idx}")(x)
    h = layers.Add(name=f"add_{idx}")([spec, local])
    return layers.Activation("gelu", name=f"gelu_{idx}")(h)


def build_fno():
    inp = keras.Input(shape=(N_GRID, 2))
    h = layers.Dense(WIDTH, name="lift")(inp)
    for i in range(N_FNO_BLOCKS):
        h = fno_block(h, i)
    h = layers.Dense(64, activation="gelu", name="proj_1")(h)
    out = layers.Dense(1, name="proj_2")(h)
    return keras.Model(inp, out, name="fno1d")


def relative_l2(y_true, y_pred):
    num = tf.norm(tf.reshape(y_true - y_pred, [tf.shape(y_true)[0], -1]), axis=1)
    den = tf.norm(tf.reshape(y_true, [tf.shape(y_true)[0], -1]), axis=1) + 1e-8
    return tf.reduce_mean(num / den)


model = build_fno()
model.summary(line_length=90)
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4),
              loss="mse", metrics=[relative_l2])

train_ds = (tf.data.Dataset.from_tensor_slices((X[:split], Y[:split]))
            .shuffle(split).batch(BATCH).prefetch(2))
val_ds = tf.data.Dataset.from_tensor_slices((X[split:], Y[split:])).batch(BATCH)

model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)

# FNOs are discretization-agnostic in principle: evaluate on a finer grid
fine_n = 128
a_fine, grid_fine = random_fields(16, fine_n)
u_fine = solve_operator(a_fine)
X_fine = np.concatenate(
    [a_fine[..., None], np.broadcast_to(grid_fine[None, :, None], (16, fine_n, 1))], axis=-1
)
# rebuild the same graph on a longer input, reusing the trained layers
inp_f = keras.Input(shape=(fine_n, 2))
h = model.get_layer("lift")(inp_f)
for i in range(N_FNO_BLOCKS):
    s = model.get_layer(f"spectral_{i}")(h)
    p = model.get_layer(f"pointwise_{i}")(h)
    h = model.get_layer(f"gelu_{i}")(model.get_layer(f"add_{i}")([s, p]))
out_f = model.get_layer("proj_2")(model.get_layer("proj_1")(h))
fine_model = keras.Model(inp_f, out_f, name="fno1d_fine")
pred_fine = fine_model.predict(X_fine, verbose=0)
print(f"zero-shot rel L2 on {fine_n}-point grid: {float(relative_l2(u_fine[..., None], pred_fine)):.4f}")
pred_val = model.predict(X[split:], verbose=0)
print(f"rel L2 on {N_GRID}-point val grid: {float(relative_l2(Y[split:], pred_val)):.4f}")

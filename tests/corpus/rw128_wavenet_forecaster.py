"""WaveNet-style one-step-ahead forecaster on a synthetic 'sensor' series.

- dilated causal Conv1D stack with gated (tanh * sigmoid) activations
- residual + skip connections, implemented as a reusable Layer subclass
- windows produced with keras.utils.timeseries_dataset_from_array
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

WINDOW = 64
HORIZON = 1
BATCH = 64
DILATIONS = [1, 2, 4, 8, 16, 32]
N_STACKS = 1
RES_CH, SKIP_CH = 24, 32
TOTAL_STEPS = 4000


def make_series(n, seed=0):
    rs = np.random.RandomState(seed)
    t = np.arange(n, dtype=np.float64)
    daily = np.sin(2 * np.pi * t / 48.0)
    weekly = 0.5 * np.sin(2 * np.pi * t / 336.0)
    trend = 0.0005 * t
    ar = np.zeros(n)
    for i in range(1, n):
        ar[i] = 0.8 * ar[i - 1] + rs.normal(scale=0.1)
    return (daily + weekly + trend + ar).astype(np.float32)


@keras.utils.register_keras_serializable(package="rw128")
class GatedResidualBlock(keras.layers.Layer):
    def __init__(self, residual_channels, skip_channels, dilation, kernel_size=2, **kwargs):
        super().__init__(**kwargs)
        self.residual_channels = residual_channels
        self.skip_channels = skip_channels
        self.dilation = dilation
        self.kernel_size = kernel_size
        self.filter_conv = keras.layers.Conv1D(residual_channels, kernel_size, padding="causal",
                                               dilation_rate=dilation)
        self.gate_conv = keras.layers.Conv1D(residual_channels, kernel_size, padding="causal",
                                             dilation_rate=dilation)
        self.res_proj = keras.layers.Conv1D(residual_channels, 1)
        self.skip_proj = keras.layers.Conv1D(skip_channels, 1)

    def call(self, x):
        z = tf.tanh(self.filter_conv(x)) * tf.sigmoid(self.gate_conv(x))
        skip = self.skip_proj(z)
        out = x + self.res_proj(z)
        return out, skip

    def get_config(self):
        cfg = super().get_config()
        cfg.update(residual_channels=self.residual_channels, skip_channels=self.skip_channels,
                   dilation=self.dilation, kernel_size=self.kernel_size)
        return cfg


def receptive_field(dilations, stacks, kernel_size=2):
    return 1 + stacks * sum(d * (kernel_size - 1) for d in dilations)


def build_wavenet(window):
    inp = keras.Input(shape=(window, 1))
    h = keras.layers.Conv1D(RES_CH, 2, padding="causal", name="causal_in")(inp)
    skips = []
    for s in range(N_STACKS):
        for d in DILATIONS:
            h, sk = GatedResidualBlock(RES_CH, SKIP_CH, d, name=f"block_s{s}_d{d}")(h)
            skips.append(sk)
    x = keras.layers.Add(name="sum_skips")(skips)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Conv1D(SKIP_CH, 1, activation="relu")(x)
    x = keras.layers.Conv1D(1, 1)(x)
    # only the last timestep predicts the next value
    out = keras.layers.Lambda(lambda t: t[:, -1, :], name="last_step")(x)
    return keras.Model(inp, out, name="wavenet_forecaster")


def windowed(series, start, end, shuffle):
    data = series[start:end]
    # target for window [i, i+WINDOW) is series[i+WINDOW]
    return keras.utils.timeseries_dataset_from_array(
        data=data[:-HORIZON, None],
        targets=data[WINDOW:, None],
        sequence_length=WINDOW,
        sequence_stride=1,
        batch_size=BATCH,
        shuffle=shuffle,
        seed=123,
    )


if __name__ == "__main__":
    series = make_series(TOTAL_STEPS)
    n_train = int(0.7 * len(series))
    n_val = int(0.85 * len(series))

    mu, sigma = series[:n_train].mean(), series[:n_train].std()
    norm = (series - mu) / sigma

    train_ds = windowed(norm, 0, n_train, shuffle=True).take(20)
    val_ds = windowed(norm, n_train, n_val, shuffle=False)
    test_ds = windowed(norm, n_val, len(norm), shuffle=False)

    for xb, yb in train_ds.take(1):
        print("window batch:", xb.shape, "target batch:", yb.shape)

    rf = receptive_field(DILATIONS, N_STACKS)
    print(f"receptive field = {rf} steps (window = {WINDOW})")

    model = build_wavenet(WINDOW)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3, clipnorm=1.0),
                  loss="mse", metrics=["mae"])
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    test_mse, test_mae = model.evaluate(test_ds, verbose=0)
    # naive "repeat last value" baseline for comparison
    naive = np.mean([np.mean((xb[:, -1, :].numpy() - yb.numpy()) ** 2) for xb, yb in test_ds])
    print(f"test mse={test_mse:.4f} mae={test_mae:.4f} | naive-last mse={naive:.4f}")

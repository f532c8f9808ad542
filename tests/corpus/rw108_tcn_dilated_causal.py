import numpy as np
import tensorflow as tf
import keras
from keras import layers

# Temporal Convolutional Network: stacks of residual blocks with
# dilated causal Conv1D. Receptive field = 1 + 2*(k-1)*sum(dilations) per stack.

KERNEL_SIZE = 3
DILATIONS = [1, 2, 4, 8]
FILTERS = 24
N_STACKS = 1
WINDOW = 64
HORIZON = 8
N_FEATURES = 2


def receptive_field(kernel_size, dilations, n_stacks):
    return 1 + 2 * (kernel_size - 1) * sum(dilations) * n_stacks


@keras.saving.register_keras_serializable(package="rw108")
class TCNBlock(layers.Layer):
    def __init__(self, filters, kernel_size, dilation_rate, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.dilation_rate = dilation_rate
        self.dropout = dropout
        self.conv1 = layers.Conv1D(filters, kernel_size, padding="causal",
                                   dilation_rate=dilation_rate, kernel_initializer="he_normal")
        self.conv2 = layers.Conv1D(filters, kernel_size, padding="causal",
                                   dilation_rate=dilation_rate, kernel_initializer="he_normal")
        self.norm1 = layers.LayerNormalization()
        self.norm2 = layers.LayerNormalization()
        self.drop1 = layers.SpatialDropout1D(dropout)
        self.drop2 = layers.SpatialDropout1D(dropout)
        self.downsample = None

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            self.downsample = layers.Conv1D(self.filters, 1, padding="same")
            self.downsample.build(input_shape)
        super().build(input_shape)

    def call(self, x, training=None):
        h = self.conv1(x)
        h = tf.nn.relu(self.norm1(h))
        h = self.drop1(h, training=training)
        h = self.conv2(h)
        h = tf.nn.relu(self.norm2(h))
        h = self.drop2(h, training=training)
        skip = x if self.downsample is None else self.downsample(x)
        return tf.nn.relu(h + skip)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, kernel_size=self.kernel_size,
                   dilation_rate=self.dilation_rate, dropout=self.dropout)
        return cfg


def build_tcn(window, n_features, horizon):
    inputs = keras.Input((window, n_features))
    x = inputs
    for s in range(N_STACKS):
        for d in DILATIONS:
            x = TCNBlock(FILTERS, KERNEL_SIZE, d, name=f"tcn_s{s}_d{d}")(x)
    # only the last time step sees the full receptive field
    last = layers.Lambda(lambda t: t[:, -1, :], name="last_step")(x)
    out = layers.Dense(horizon, name="head")(last)
    return keras.Model(inputs, out, name="tcn")


def make_data(n_samples=400, seed=3):
    rng = np.random.default_rng(seed)
    T = 3000
    t = np.arange(T)
    driver = np.sin(2 * np.pi * t / 50) + 0.3 * rng.standard_normal(T)
    # target responds to driver with a lag of 10 steps plus own seasonality
    target = 0.7 * np.roll(driver, 10) + 0.4 * np.cos(2 * np.pi * t / 30) + 0.1 * rng.standard_normal(T)
    series = np.stack([target, driver], axis=1).astype(np.float32)
    starts = rng.integers(20, T - WINDOW - HORIZON, size=n_samples)
    X = np.stack([series[s:s + WINDOW] for s in starts])
    Y = np.stack([series[s + WINDOW:s + WINDOW + HORIZON, 0] for s in starts])
    return X, Y


def check_causality(model):
    """Perturbing the final input step must not change outputs for earlier steps."""
    feat = keras.Model(model.input, model.get_layer(f"tcn_s{N_STACKS-1}_d{DILATIONS[-1]}").output)
    x = np.random.randn(1, WINDOW, N_FEATURES).astype("float32")
    x2 = x.copy()
    x2[0, -1] += 5.0
    a = feat(x, training=False).numpy()
    b = feat(x2, training=False).numpy()
    leak = np.abs(a[:, :-1] - b[:, :-1]).max()
    print(f"max change in earlier steps after perturbing last step: {leak:.2e}")
    return leak < 1e-5


if __name__ == "__main__":
    rf = receptive_field(KERNEL_SIZE, DILATIONS, N_STACKS)
    print(f"receptive field: {rf} steps (window {WINDOW})")

    X, Y = make_data()
    split = int(0.8 * len(X))
    model = build_tcn(WINDOW, N_FEATURES, HORIZON)
    model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
                  loss="mse", metrics=["mae"])
    print(f"params: {model.count_params():,}")
    model.fit(X[:split], Y[:split], validation_data=(X[split:], Y[split:]),
              epochs=2, batch_size=32, verbose=2)
    print("causal:", check_causality(model))

    path = "/tmp/rw108_tcn_model.keras"
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=False)
    diff = np.abs(reloaded.predict(X[:5], verbose=0) - model.predict(X[:5], verbose=0)).max()
    print(f"reload max diff: {diff:.2e}")

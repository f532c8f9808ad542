"""TCN (temporal convolutional network) for one-step-ahead forecasting of a
noisy multi-seasonal signal. Residual blocks of dilated causal Conv1D."""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

cfg = dict(
    window=64,
    filters=24,
    kernel_size=3,
    dilations=[1, 2, 4, 8, 16],
    dropout=0.1,
    batch_size=32,
    epochs=2,
    lr=1e-3,
    n_points=900,
)


def receptive_field(kernel_size, dilations, convs_per_block=2):
    return 1 + convs_per_block * (kernel_size - 1) * sum(dilations)


@keras.utils.register_keras_serializable(package="rw114")
class TCNBlock(layers.Layer):
    """Two dilated causal convs + weight-norm-ish LayerNorm + residual."""

    def __init__(self, filters, kernel_size, dilation_rate, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.dilation_rate = dilation_rate
        self.dropout = dropout
        self.conv1 = layers.Conv1D(filters, kernel_size, padding="causal",
                                   dilation_rate=dilation_rate, activation="relu")
        self.conv2 = layers.Conv1D(filters, kernel_size, padding="causal",
                                   dilation_rate=dilation_rate, activation="relu")
        self.norm1 = layers.LayerNormalization()
        self.norm2 = layers.LayerNormalization()
        self.drop1 = layers.SpatialDropout1D(dropout)
        self.drop2 = layers.SpatialDropout1D(dropout)
        self.project = None

    def build(self, input_shape):
        # build children explicitly so .keras reloading can restore weights
        out_shape = tuple(input_shape[:-1]) + (self.filters,)
        self.conv1.build(input_shape)
        self.norm1.build(out_shape)
        self.conv2.build(out_shape)
        self.norm2.build(out_shape)
        if input_shape[-1] != self.filters:
            self.project = layers.Conv1D(self.filters, 1, padding="same")
            self.project.build(input_shape)
        super().build(input_shape)

    def call(self, inputs, training=None):
        x = self.drop1(self.norm1(self.conv1(inputs)), training=training)
        x = self.drop2(self.norm2(self.conv2(x)), training=training)
        skip = self.project(inputs) if self.project is not None else inputs
        return tf.nn.relu(x + skip)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        base = super().get_config()
        base.update(filters=self.filters, kernel_size=self.kernel_size,
                    dilation_rate=self.dilation_rate, dropout=self.dropout)
        return base


def build_tcn(window, n_features, c):
    inp = keras.Input((window, n_features), name="series")
    h = inp
    for d in c["dilations"]:
        h = TCNBlock(c["filters"], c["kernel_size"], d, c["dropout"], name=f"tcn_d{d}")(h)
    last = layers.Lambda(lambda t: t[:, -1, :], name="last_step")(h)
    out = layers.Dense(1, name="next_value")(last)
    return keras.Model(inp, out, name="tcn_forecaster")


# --------------------------------------------------------------------- data
rng = np.random.default_rng(11)
t = np.arange(cfg["n_points"], dtype=np.float32)
signal = (
    np.sin(t * 2 * np.pi / 50)
    + 0.5 * np.sin(t * 2 * np.pi / 13)
    + 0.002 * t
    + rng.normal(0, 0.15, t.shape)
).astype(np.float32)
exog = (rng.random(t.shape) < 0.05).astype(np.float32)  # sparse "promo" flags
signal += 0.8 * exog
features = np.stack([signal, exog], axis=-1)

train_end = int(0.8 * len(signal))
mu, sigma = features[:train_end, 0].mean(), features[:train_end, 0].std()
features[:, 0] = (features[:, 0] - mu) / sigma
target = features[:, 0]

W = cfg["window"]
# window i covers rows [i, i+W); its target is the value at row i+W
train_ds = keras.utils.timeseries_dataset_from_array(
    features[:train_end - W], target[W:train_end], sequence_length=W,
    batch_size=cfg["batch_size"], shuffle=True, seed=3,
)
test_ds = keras.utils.timeseries_dataset_from_array(
    features[train_end - W:-1], target[train_end:], sequence_length=W,
    batch_size=cfg["batch_size"],
)

rf = receptive_field(cfg["kernel_size"], cfg["dilations"])
print(f"receptive field = {rf} steps (window = {W})")
if rf < W:
    print("note: receptive field is shorter than the input window")

model = build_tcn(W, features.shape[-1], cfg)
model.compile(optimizer=keras.optimizers.AdamW(cfg["lr"], weight_decay=1e-4),
              loss="mse", metrics=[keras.metrics.RootMeanSquaredError("rmse")])
model.summary()
model.fit(train_ds, epochs=cfg["epochs"], verbose=2)
test_metrics = model.evaluate(test_ds, verbose=0, return_dict=True)
print("test:", {k: f"{v:.4f}" for k, v in test_metrics.items()})

# round trip through the .keras format to make sure the custom block serializes
path = os.path.join(tempfile.mkdtemp(dir="/tmp"), "tcn.keras")
model.save(path)
restored = keras.models.load_model(path, safe_mode=False)
xb, _ = next(iter(test_ds))
diff = np.max(np.abs(model.predict(xb, verbose=0) - restored.predict(xb, verbose=0)))
print(f"saved to {path}; max prediction diff after reload: {diff:.2e}")

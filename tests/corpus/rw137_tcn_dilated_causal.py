"""Temporal Convolutional Network (TCN) for multi-step forecasting.

Residual blocks of dilated causal Conv1D (dilations 1, 2, 4, 8...), weight-norm
style regularisation replaced by LayerNormalization + SpatialDropout1D, and a
1x1 conv on the skip path whenever channel counts differ.
"""
import tempfile
import os
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras

L = keras.layers

LOOKBACK = 64
HORIZON = 12
N_FEATURES = 3
KERNEL_SIZE = 3
FILTERS = 24
DILATIONS = [1, 2, 4, 8]
BATCH = 64


def receptive_field(kernel_size, dilations, convs_per_block=2):
    return 1 + convs_per_block * (kernel_size - 1) * sum(dilations)


@keras.utils.register_keras_serializable(package="rw137")
class TemporalBlock(L.Layer):
    def __init__(self, filters, kernel_size, dilation_rate, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.dilation_rate = dilation_rate
        self.dropout = dropout
        self.conv1 = L.Conv1D(filters, kernel_size, padding="causal",
                              dilation_rate=dilation_rate, kernel_initializer="he_normal")
        self.conv2 = L.Conv1D(filters, kernel_size, padding="causal",
                              dilation_rate=dilation_rate, kernel_initializer="he_normal")
        self.norm1 = L.LayerNormalization()
        self.norm2 = L.LayerNormalization()
        self.drop1 = L.SpatialDropout1D(dropout)
        self.drop2 = L.SpatialDropout1D(dropout)
        self.downsample = None

    def build(self, input_shape):
        if input_shape[-1] != self.filters:
            self.downsample = L.Conv1D(self.filters, 1, padding="same")
        super().build(input_shape)

    def call(self, inputs, training=None):
        x = self.conv1(inputs)
        x = tf.nn.relu(self.norm1(x))
        x = self.drop1(x, training=training)
        x = self.conv2(x)
        x = tf.nn.relu(self.norm2(x))
        x = self.drop2(x, training=training)
        skip = inputs if self.downsample is None else self.downsample(inputs)
        return tf.nn.relu(x + skip)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(filters=self.filters, kernel_size=self.kernel_size,
                   dilation_rate=self.dilation_rate, dropout=self.dropout)
        return cfg


def build_tcn(lookback, n_features, horizon):
    inputs = keras.Input((lookback, n_features), name="window")
    x = inputs
    for d in DILATIONS:
        x = TemporalBlock(FILTERS, KERNEL_SIZE, d, name=f"tcn_block_d{d}")(x)
    # only the last time step has seen the whole receptive field
    last = L.Lambda(lambda t: t[:, -1, :], name="last_step")(x)
    out = L.Dense(horizon, name="forecast")(last)
    return keras.Model(inputs, out, name="tcn")


def synth_multivariate(n=900, seed=0):
    rs = np.random.RandomState(seed)
    t = np.arange(n)
    target = np.sin(t * 2 * np.pi / 50) + 0.3 * np.sin(t * 2 * np.pi / 11)
    # exogenous regressors: a leading indicator and a noisy temperature-like signal
    leading = np.roll(target, -5) + 0.1 * rs.randn(n)
    temp = np.cos(t * 2 * np.pi / 50) + 0.2 * rs.randn(n)
    target = target + 0.1 * rs.randn(n)
    return np.stack([target, leading, temp], axis=-1).astype(np.float32)


def make_dataset(data, lookback, horizon, shuffle):
    # targets are the next `horizon` values of column 0 for every window start
    n_windows = len(data) - lookback - horizon + 1
    idx = np.arange(horizon)[None, :] + np.arange(n_windows)[:, None] + lookback
    targets = data[idx, 0]
    return keras.utils.timeseries_dataset_from_array(
        data[:n_windows + lookback - 1], targets,
        sequence_length=lookback, batch_size=BATCH, shuffle=shuffle, seed=1)


def main():
    rf = receptive_field(KERNEL_SIZE, DILATIONS)
    print(f"receptive field = {rf} steps (lookback {LOOKBACK})")
    assert rf <= LOOKBACK + 1, "receptive field should fit inside the lookback window"

    data = synth_multivariate()
    cut = int(len(data) * 0.8)
    mu, sigma = data[:cut].mean(0), data[:cut].std(0)
    data = (data - mu) / sigma

    train_ds = make_dataset(data[:cut], LOOKBACK, HORIZON, shuffle=True)
    test_ds = make_dataset(data[cut:], LOOKBACK, HORIZON, shuffle=False)

    model = build_tcn(LOOKBACK, N_FEATURES, HORIZON)
    steps = math.ceil((cut - LOOKBACK - HORIZON + 1) / BATCH)
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps * 2)
    model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
                  loss=keras.losses.Huber(delta=1.0), metrics=["mae"])
    model.summary(line_length=90)
    model.fit(train_ds, epochs=2, verbose=2)
    print("test [huber, mae]:", [round(v, 4) for v in model.evaluate(test_ds, verbose=0)])

    # causality sanity check: perturbing the final input step must not change
    # the activations of earlier steps inside the TCN stack
    feature_model = keras.Model(model.input, model.get_layer(f"tcn_block_d{DILATIONS[-1]}").output)
    x = next(iter(test_ds))[0][:4].numpy()
    x_perturbed = x.copy()
    x_perturbed[:, -1, :] += 5.0
    a = feature_model(x, training=False).numpy()
    b = feature_model(x_perturbed, training=False).numpy()
    leak = np.abs(a[:, :-1] - b[:, :-1]).max()
    print(f"max change at earlier timesteps after perturbing last step: {leak:.2e}")

    path = os.path.join(tempfile.gettempdir(), "rw137_tcn_forecaster.keras")
    model.save(path)
    reloaded = keras.models.load_model(path, safe_mode=False)
    diff = np.abs(reloaded.predict(x, verbose=0) - model.predict(x, verbose=0)).max()
    print(f"reloaded model max abs diff: {diff:.2e}")


if __name__ == "__main__":
    main()

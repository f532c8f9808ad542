"""Temporal Convolutional Network for multi-step forecasting.

Residual blocks of dilated causal Conv1D (dilations 1, 2, 4, 8, ...), weight
normalisation replaced by LayerNorm (what most people end up doing in Keras),
spatial dropout, and a 1x1 conv on the skip path when channel counts differ.

Data pipeline uses keras.utils.timeseries_dataset_from_array on a
multivariate synthetic signal; target is the next HORIZON steps of channel 0.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = {
    "n_features": 4,
    "window": 64,
    "horizon": 12,
    "filters": 32,
    "kernel_size": 3,
    "dilations": [1, 2, 4, 8, 16],
    "stacks": 1,
    "dropout": 0.1,
    "batch_size": 32,
    "epochs": 1,
    "lr": 2e-3,
}


def receptive_field(kernel_size, dilations, stacks=1):
    # each residual block has two convs
    return 1 + 2 * (kernel_size - 1) * sum(dilations) * stacks


def synthetic_multivariate(n_steps=1500, n_features=4, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)[:, None]
    periods = np.array([24, 12, 168, 48])[:n_features]
    phase = rng.uniform(0, 2 * np.pi, size=n_features)
    base = np.sin(2 * np.pi * t / periods + phase)
    # channel 0 depends on lagged channel 1 -> something for the model to find
    base[:, 0] += 0.6 * np.roll(base[:, 1], 5)
    base += 0.05 * rng.standard_normal(base.shape)
    return base.astype("float32")


def make_datasets(data, cfg):
    w, h = cfg["window"], cfg["horizon"]
    n = len(data)
    train_end = int(0.7 * n)
    val_end = int(0.85 * n)

    mean = data[:train_end].mean(axis=0)
    std = data[:train_end].std(axis=0) + 1e-6
    data = (data - mean) / std

    # build target matrix: for each start index i, y = data[i+w : i+w+h, 0]
    target = np.lib.stride_tricks.sliding_window_view(data[:, 0], h)  # (n-h+1, h)

    def ds_for(start, end, shuffle):
        inputs = data[start:end - h]
        targets = target[start + w:end - h + 1]
        return keras.utils.timeseries_dataset_from_array(
            inputs, targets, sequence_length=w, sequence_stride=1,
            batch_size=cfg["batch_size"], shuffle=shuffle, seed=42)

    train_ds = ds_for(0, train_end, True)
    val_ds = ds_for(train_end, val_end, False)
    test_ds = ds_for(val_end, n, False)
    return train_ds, val_ds, test_ds, (mean, std)


class TemporalBlock(layers.Layer):
    def __init__(self, filters, kernel_size, dilation_rate, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.dilation_rate = dilation_rate
        self.dropout_rate = dropout

    def build(self, input_shape):
        in_channels = input_shape[-1]
        self.conv1 = layers.Conv1D(self.filters, self.kernel_size, padding="causal",
                                   dilation_rate=self.dilation_rate,
                                   kernel_initializer="he_normal")
        self.conv2 = layers.Conv1D(self.filters, self.kernel_size, padding="causal",
                                   dilation_rate=self.dilation_rate,
                                   kernel_initializer="he_normal")
        self.norm1 = layers.LayerNormalization()
        self.norm2 = layers.LayerNormalization()
        self.drop1 = layers.SpatialDropout1D(self.dropout_rate)
        self.drop2 = layers.SpatialDropout1D(self.dropout_rate)
        if in_channels != self.filters:
            self.downsample = layers.Conv1D(self.filters, 1, padding="same")
        else:
            self.downsample = None
        super().build(input_shape)

    def call(self, inputs, training=None):
        x = self.conv1(inputs)
        x = self.norm1(x)
        x = tf.nn.relu(x)
        x = self.drop1(x, training=training)

        x = self.conv2(x)
        x = self.norm2(x)
        x = tf.nn.relu(x)
        x = self.drop2(x, training=training)

        skip = inputs if self.downsample is None else self.downsample(inputs)
        return tf.nn.relu(x + skip)

    def get_config(self):
        config = super().get_config()
        config.update({
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "dilation_rate": self.dilation_rate,
            "dropout": self.dropout_rate,
        })
        return config


def build_tcn(cfg):
    inp = keras.Input(shape=(cfg["window"], cfg["n_features"]), name="window")
    x = inp
    for s in range(cfg["stacks"]):
        for d in cfg["dilations"]:
            x = TemporalBlock(cfg["filters"], cfg["kernel_size"], d,
                              dropout=cfg["dropout"], name=f"tcn_s{s}_d{d}")(x)
    # only the last timestep has seen the full receptive field
    last = layers.Lambda(lambda t: t[:, -1, :], name="last_step")(x)
    out = layers.Dense(cfg["horizon"], name="multi_horizon")(last)
    return keras.Model(inp, out, name="tcn_forecaster")


def main():
    cfg = CONFIG
    rf = receptive_field(cfg["kernel_size"], cfg["dilations"], cfg["stacks"])
    print(f"receptive field = {rf} steps (window = {cfg['window']})")
    if rf < cfg["window"]:
        print("warning: receptive field shorter than input window")

    data = synthetic_multivariate(n_features=cfg["n_features"])
    train_ds, val_ds, test_ds, _ = make_datasets(data, cfg)
    for xb, yb in train_ds.take(1):
        print("batch x:", xb.shape, "batch y:", yb.shape)

    model = build_tcn(cfg)
    steps_per_epoch = sum(1 for _ in train_ds)
    schedule = keras.optimizers.schedules.CosineDecay(
        cfg["lr"], decay_steps=max(1, steps_per_epoch * cfg["epochs"]))
    model.compile(optimizer=keras.optimizers.Adam(schedule, clipnorm=1.0),
                  loss=keras.losses.Huber(delta=1.0),
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae"),
                           keras.metrics.RootMeanSquaredError(name="rmse")])
    model.summary()

    history = model.fit(train_ds, validation_data=val_ds, epochs=cfg["epochs"], verbose=2)
    results = model.evaluate(test_ds, verbose=0, return_dict=True)
    print({k: round(float(v), 4) for k, v in results.items()})

    # per-horizon error profile, errors usually grow with lead time
    y_true = np.concatenate([y for _, y in test_ds], axis=0)
    y_pred = model.predict(test_ds, verbose=0)
    per_step = np.abs(y_true - y_pred).mean(axis=0)
    print("MAE by lead time:", np.round(per_step[:: max(1, cfg['horizon'] // 4)], 3))
    print("final train loss:", math.isfinite(history.history["loss"][-1]))


if __name__ == "__main__":
    main()

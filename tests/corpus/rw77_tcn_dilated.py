"""Temporal Convolutional Network (TCN) for multi-horizon demand forecasting.

Stack of residual blocks with exponentially increasing dilation and causal
padding (Bai et al., 2018). Predicts the next `horizon` values of several
store-level series jointly, with calendar covariates. Config is a dataclass.
"""
from dataclasses import dataclass, field, asdict
from typing import List

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class TCNConfig:
    n_series: int = 5
    n_covariates: int = 3
    window: int = 64
    horizon: int = 8
    filters: int = 32
    kernel_size: int = 3
    dilations: List[int] = field(default_factory=lambda: [1, 2, 4, 8, 16])
    n_stacks: int = 1
    dropout: float = 0.1
    use_weight_norm: bool = False
    batch_size: int = 32
    epochs: int = 1
    lr: float = 2e-3

    @property
    def receptive_field(self) -> int:
        # each residual block has two dilated convs
        return 1 + 2 * (self.kernel_size - 1) * self.n_stacks * sum(self.dilations)


cfg = TCNConfig()
tf.random.set_seed(0)
rng = np.random.default_rng(0)
print("config:", asdict(cfg))
print("receptive field:", cfg.receptive_field, "timesteps (window =", cfg.window, ")")


def synth_demand(n_days, n_series):
    t = np.arange(n_days)
    dow = t % 7
    weekly = np.array([0.8, 0.9, 1.0, 1.0, 1.1, 1.4, 1.3])[dow]
    base = rng.uniform(20, 50, size=(1, n_series))
    promo = (rng.random((n_days, 1)) < 0.1).astype("float32")
    demand = base * weekly[:, None] * (1 + 0.5 * promo) + rng.normal(0, 2, (n_days, n_series))
    covs = np.concatenate(
        [np.sin(2 * np.pi * dow / 7)[:, None], np.cos(2 * np.pi * dow / 7)[:, None], promo], axis=1
    )
    return demand.astype("float32"), covs.astype("float32")


demand, covs = synth_demand(900, cfg.n_series)
log_demand = np.log1p(demand)
mu, sigma = log_demand.mean(0), log_demand.std(0)
z = (log_demand - mu) / sigma
features = np.concatenate([z, covs], axis=-1)        # (T, n_series + n_covariates)


def windowed(features, targets, cfg, shuffle):
    """Use timeseries_dataset_from_array twice (inputs and future targets) and zip."""
    total = cfg.window + cfg.horizon
    n_windows = len(features) - total + 1
    x_ds = keras.utils.timeseries_dataset_from_array(
        features[:n_windows + cfg.window - 1], None, cfg.window, batch_size=None, shuffle=False
    )
    y_ds = keras.utils.timeseries_dataset_from_array(
        targets[cfg.window:], None, cfg.horizon, batch_size=None, shuffle=False
    )
    ds = tf.data.Dataset.zip((x_ds, y_ds))
    if shuffle:
        ds = ds.shuffle(1024, seed=0)
    return ds.batch(cfg.batch_size, drop_remainder=shuffle).prefetch(tf.data.AUTOTUNE)


split = int(0.8 * len(features))
train_ds = windowed(features[:split], z[:split], cfg, shuffle=True)
val_ds = windowed(features[split - cfg.window:], z[split - cfg.window:], cfg, shuffle=False)
xb, yb = next(iter(train_ds))
print("x:", xb.shape, "y:", yb.shape)


class ResidualBlock(layers.Layer):
    """Two dilated causal convs + dropout, with 1x1 conv on skip if channels change."""

    def __init__(self, filters, kernel_size, dilation_rate, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = kernel_size
        self.dilation_rate = dilation_rate
        self.dropout_rate = dropout

    def build(self, input_shape):
        conv_kwargs = dict(
            filters=self.filters,
            kernel_size=self.kernel_size,
            dilation_rate=self.dilation_rate,
            padding="causal",
            kernel_initializer="he_normal",
        )
        self.conv1 = layers.Conv1D(**conv_kwargs, name="conv1")
        self.conv2 = layers.Conv1D(**conv_kwargs, name="conv2")
        self.norm1 = layers.LayerNormalization()
        self.norm2 = layers.LayerNormalization()
        # spatial dropout drops whole channels, as in the original TCN paper
        self.drop1 = layers.SpatialDropout1D(self.dropout_rate)
        self.drop2 = layers.SpatialDropout1D(self.dropout_rate)
        if input_shape[-1] != self.filters:
            self.downsample = layers.Conv1D(self.filters, 1, padding="same", name="skip_1x1")
        else:
            self.downsample = None
        super().build(input_shape)

    def call(self, x, training=None):
        h = self.conv1(x)
        h = tf.nn.relu(self.norm1(h))
        h = self.drop1(h, training=training)
        h = self.conv2(h)
        h = tf.nn.relu(self.norm2(h))
        h = self.drop2(h, training=training)
        res = x if self.downsample is None else self.downsample(x)
        return tf.nn.relu(h + res), h            # (output, skip connection)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            dilation_rate=self.dilation_rate,
            dropout=self.dropout_rate,
        )
        return config


def build_tcn(cfg: TCNConfig) -> keras.Model:
    inp = keras.Input((cfg.window, cfg.n_series + cfg.n_covariates), name="window")
    x = inp
    skips = []
    for s in range(cfg.n_stacks):
        for d in cfg.dilations:
            x, skip = ResidualBlock(
                cfg.filters, cfg.kernel_size, d, cfg.dropout, name=f"tcn_s{s}_d{d}"
            )(x)
            skips.append(skip)
    # WaveNet-style: sum skip connections, then take the last timestep
    x = layers.Add(name="sum_skips")(skips)
    x = layers.Activation("relu")(x)
    last = layers.Lambda(lambda t: t[:, -1, :], name="last_step")(x)
    out = layers.Dense(cfg.horizon * cfg.n_series, name="head")(last)
    out = layers.Reshape((cfg.horizon, cfg.n_series), name="forecast")(out)
    return keras.Model(inp, out, name="tcn")


model = build_tcn(cfg)
model.summary(line_length=100)

model.compile(
    optimizer=keras.optimizers.Adam(cfg.lr, clipnorm=1.0),
    loss=keras.losses.Huber(delta=1.0),
    metrics=["mae"],
)
model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs, verbose=2)

# --- check causality: perturbing the last input step must not change earlier conv outputs
probe = keras.Model(model.input, model.get_layer("sum_skips").output)
x0 = tf.random.normal((1, cfg.window, cfg.n_series + cfg.n_covariates))
x1 = tf.concat([x0[:, :-1], x0[:, -1:] + 10.0], axis=1)
diff = tf.reduce_max(tf.abs(probe(x0)[:, :-1] - probe(x1)[:, :-1]))
print("max leak into past timesteps:", float(diff))

# --- back-transform forecasts to demand units
pred_z = model.predict(val_ds.take(1), verbose=0)
pred = np.expm1(pred_z * sigma + mu)
print("forecast batch:", pred.shape, "first store, next days:", np.round(pred[0, :, 0], 1))

"""Multi-horizon quantile forecasting of a multivariate 'building energy' series.

Encoder: residual TCN (dilated causal Conv1D). Decoder: pool the encoding down to a few
"coarse" horizon steps and upsample with Conv1DTranspose to the full horizon.
Windows via keras.utils.timeseries_dataset_from_array; multi-step targets are prepared with
numpy sliding_window_view and passed as the `targets` array. Custom train_step/test_step with
a pinball loss over several quantiles.
"""
from dataclasses import dataclass, field

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
import tensorflow as tf
import keras
from keras import layers


@dataclass
class Config:
    n_steps: int = 3000
    lookback: int = 96
    horizon: int = 24
    quantiles: tuple = (0.1, 0.5, 0.9)
    tcn_filters: int = 32
    dilations: list = field(default_factory=lambda: [1, 2, 4, 8])
    batch_size: int = 64
    epochs: int = 2
    steps_per_epoch: int = 15
    lr: float = 2e-3


cfg = Config()
rng = np.random.default_rng(2024)


def simulate(n):
    hours = np.arange(n)
    temp = 12 + 8 * np.sin(2 * np.pi * (hours - 9) / 24) + 3 * np.sin(2 * np.pi * hours / (24 * 14))
    temp += rng.normal(0, 1.0, n)
    occupancy = ((hours % 24 >= 8) & (hours % 24 <= 18) & ((hours // 24) % 7 < 5)).astype(float)
    load = 50 + 1.8 * np.abs(temp - 18) + 25 * occupancy + rng.gamma(2.0, 2.0, n)
    feats = np.column_stack([
        load, temp, occupancy,
        np.sin(2 * np.pi * hours / 24), np.cos(2 * np.pi * hours / 24),
    ]).astype(np.float32)
    return feats


def make_ds(features, target_col, shuffle, take=None):
    L, H = cfg.lookback, cfg.horizon
    # future[i] = target[i : i+H]; the window starting at i needs future[i + L]
    future = sliding_window_view(features[:, target_col], H)  # (N-H+1, H)
    n_windows = len(features) - L - H + 1
    ds = keras.utils.timeseries_dataset_from_array(
        data=features[:n_windows + L - 1],
        targets=future[L:L + n_windows],
        sequence_length=L,
        batch_size=cfg.batch_size,
        shuffle=shuffle,
        seed=7,
    )
    if take:
        ds = ds.repeat().take(take)
    return ds.prefetch(tf.data.AUTOTUNE)


def tcn_block(x, filters, dilation, dropout=0.1):
    shortcut = x
    for _ in range(2):
        x = layers.Conv1D(filters, 3, padding="causal", dilation_rate=dilation)(x)
        x = layers.LayerNormalization()(x)
        x = layers.Activation("gelu")(x)
        x = layers.SpatialDropout1D(dropout)(x)
    if shortcut.shape[-1] != filters:
        shortcut = layers.Conv1D(filters, 1)(shortcut)
    return layers.Add()([shortcut, x])


class NonCrossingQuantiles(layers.Layer):
    """raw (B, H, 3) -> [median - softplus(a), median, median + softplus(b)] so p10 <= p50 <= p90."""

    def call(self, raw):
        median = raw[..., 1:2]
        lo = median - tf.nn.softplus(raw[..., 0:1])
        hi = median + tf.nn.softplus(raw[..., 2:3])
        return tf.concat([lo, median, hi], axis=-1)


def pinball_loss(y_true, y_pred, quantiles):
    # y_true: (B, H), y_pred: (B, H, Q)
    q = tf.constant(quantiles, dtype=y_pred.dtype)
    err = tf.expand_dims(y_true, -1) - y_pred
    return tf.reduce_mean(tf.maximum(q * err, (q - 1.0) * err))


class QuantileForecaster(keras.Model):
    def __init__(self, quantiles, **kwargs):
        super().__init__(**kwargs)
        self.quantiles = tuple(quantiles)
        self.loss_tracker = keras.metrics.Mean(name="pinball")
        self.mae_tracker = keras.metrics.MeanAbsoluteError(name="median_mae")
        self.coverage_tracker = keras.metrics.Mean(name="coverage")

    @property
    def metrics(self):
        return [self.loss_tracker, self.mae_tracker, self.coverage_tracker]

    def _update(self, y, y_pred, loss):
        self.loss_tracker.update_state(loss)
        self.mae_tracker.update_state(y, y_pred[..., len(self.quantiles) // 2])
        inside = tf.logical_and(y >= y_pred[..., 0], y <= y_pred[..., -1])
        self.coverage_tracker.update_state(tf.cast(inside, tf.float32))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = pinball_loss(y, y_pred, self.quantiles)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._update(y, y_pred, loss)

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        return self._update(y, y_pred, pinball_loss(y, y_pred, self.quantiles))


def build(n_features):
    Q = len(cfg.quantiles)
    coarse = cfg.horizon // 4
    inp = keras.Input((cfg.lookback, n_features))
    x = layers.Conv1D(cfg.tcn_filters, 1)(inp)
    for d in cfg.dilations:
        x = tcn_block(x, cfg.tcn_filters, d)
    # keep the most recent `coarse` steps of the encoding as the seed for the decoder
    x = layers.Cropping1D((cfg.lookback - coarse, 0))(x)
    x = layers.Conv1DTranspose(32, 3, strides=2, padding="same", activation="gelu")(x)
    x = layers.Conv1DTranspose(16, 3, strides=2, padding="same", activation="gelu")(x)
    raw = layers.Conv1D(Q, 1)(x)  # (B, horizon, Q)
    out = NonCrossingQuantiles(name="quantiles")(raw)
    return QuantileForecaster(cfg.quantiles, inputs=inp, outputs=out, name="tcn_quantile")


def main():
    data = simulate(cfg.n_steps)
    split = int(0.8 * len(data))
    mu, sd = data[:split].mean(0), data[:split].std(0) + 1e-6
    data = (data - mu) / sd

    train_ds = make_ds(data[:split], 0, shuffle=True, take=cfg.steps_per_epoch)
    val_ds = make_ds(data[split:], 0, shuffle=False)
    xb, yb = next(iter(train_ds))
    print(f"x batch {tuple(xb.shape)}, y batch {tuple(yb.shape)}")

    model = build(data.shape[1])
    model.compile(optimizer=keras.optimizers.AdamW(cfg.lr, weight_decay=1e-4))
    model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs, verbose=2)

    results = model.evaluate(val_ds, verbose=0, return_dict=True)
    print("validation:", {k: f"{v:.3f}" for k, v in results.items()})

    xv, yv = next(iter(val_ds))
    pred = model.predict(xv[:1], verbose=0)[0] * sd[0] + mu[0]
    truth = yv[0].numpy() * sd[0] + mu[0]
    for h in range(0, cfg.horizon, 6):
        print(f"t+{h + 1:2d}: truth={truth[h]:6.1f}  p10={pred[h, 0]:6.1f}  p50={pred[h, 1]:6.1f}  p90={pred[h, 2]:6.1f}")


if __name__ == "__main__":
    main()

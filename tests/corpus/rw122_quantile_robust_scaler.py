"""Robust (quantile-based) feature scaling for a tabular regression model.

The scaler is a normal Keras layer: it owns non-trainable weights for the
per-feature low / median / high quantiles, fills them in an `adapt()` call and
then clips + rescales inputs with keras.ops only, so it should work the same
on any backend.
"""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SEED = 7
N_SAMPLES = 640
N_FEATURES = 12
BATCH_SIZE = 32
EPOCHS = 2
QUANTILES = (0.05, 0.5, 0.95)

keras.utils.set_random_seed(SEED)


def make_heavy_tailed_data(n, d, rng):
    """Student-t features with a few gross outliers sprinkled in."""
    x = rng.standard_t(df=2.5, size=(n, d)).astype("float32")
    scales = np.logspace(-1, 2, d).astype("float32")  # very different feature scales
    x *= scales
    outlier_rows = rng.choice(n, size=n // 40, replace=False)
    x[outlier_rows] *= 50.0
    w = rng.normal(size=(d,)).astype("float32") / scales
    y = np.tanh(x @ w) + 0.1 * rng.normal(size=n)
    return x, y.astype("float32")[:, None]


class QuantileScaler(layers.Layer):
    """(x - median) / (q_hi - q_lo), with values outside [q_lo, q_hi] clipped."""

    def __init__(self, quantiles=QUANTILES, clip=True, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.quantiles = tuple(float(q) for q in quantiles)
        self.clip = clip
        self.eps = eps

    def build(self, input_shape):
        n_feat = input_shape[-1]
        self.q_lo = self.add_weight(name="q_lo", shape=(n_feat,), initializer="zeros", trainable=False)
        self.q_mid = self.add_weight(name="q_mid", shape=(n_feat,), initializer="zeros", trainable=False)
        self.q_hi = self.add_weight(name="q_hi", shape=(n_feat,), initializer="ones", trainable=False)

    def adapt(self, data):
        data = ops.convert_to_tensor(data, dtype="float32")
        if not self.built:
            self.build(data.shape)
        qs = ops.quantile(data, ops.convert_to_tensor(self.quantiles), axis=0, method="linear")
        self.q_lo.assign(qs[0])
        self.q_mid.assign(qs[1])
        self.q_hi.assign(qs[2])

    def call(self, x):
        if self.clip:
            x = ops.where(x < self.q_lo, self.q_lo, x)
            x = ops.where(x > self.q_hi, self.q_hi, x)
        spread = ops.maximum(self.q_hi - self.q_lo, self.eps)
        return (x - self.q_mid) / spread

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"quantiles": list(self.quantiles), "clip": self.clip, "eps": self.eps})
        return cfg


class GaussianJitter(layers.Layer):
    """Multiplicative noise at train time, drawn via keras.random with a SeedGenerator."""

    def __init__(self, stddev=0.05, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev = stddev
        self.seed_gen = keras.random.SeedGenerator(seed)

    def call(self, x, training=False):
        if not training:
            return x
        noise = keras.random.normal(ops.shape(x), mean=1.0, stddev=self.stddev, seed=self.seed_gen)
        return x * noise

    def compute_output_shape(self, input_shape):
        return input_shape


def build_model(scaler, hidden=(64, 32)):
    inputs = keras.Input(shape=(N_FEATURES,), name="features")
    x = scaler(inputs)
    x = GaussianJitter(0.05, seed=SEED)(x)
    for i, units in enumerate(hidden):
        x = layers.Dense(units, activation="gelu", name=f"dense_{i}")(x)
    outputs = layers.Dense(1, name="target")(x)
    return keras.Model(inputs, outputs, name="robust_regressor")


def to_dataset(x, y, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=SEED)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


def main():
    rng = np.random.default_rng(SEED)
    x, y = make_heavy_tailed_data(N_SAMPLES, N_FEATURES, rng)
    split = int(0.8 * N_SAMPLES)
    x_tr, y_tr, x_va, y_va = x[:split], y[:split], x[split:], y[split:]

    scaler = QuantileScaler(name="quantile_scaler")
    scaler.adapt(x_tr)
    print("median per feature:", np.round(ops.convert_to_numpy(scaler.q_mid)[:4], 3), "...")

    scaled = ops.convert_to_numpy(scaler(x_va))
    print(f"scaled val range: [{scaled.min():.3f}, {scaled.max():.3f}]")

    model = build_model(scaler)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="huber", metrics=["mae"])
    model.summary()
    hist = model.fit(to_dataset(x_tr, y_tr), validation_data=to_dataset(x_va, y_va, False),
                     epochs=EPOCHS, verbose=2)
    for k, v in hist.history.items():
        print(f"{k:>10s}: {[round(float(t), 4) for t in v]}")

    # non-trainable quantile weights should be untouched by training
    assert np.allclose(ops.convert_to_numpy(scaler.q_mid),
                       np.quantile(x_tr, 0.5, axis=0), atol=1e-4)

    # config round-trip
    clone = QuantileScaler.from_config(scaler.get_config())
    print("clone quantiles:", clone.quantiles)


if __name__ == "__main__":
    main()

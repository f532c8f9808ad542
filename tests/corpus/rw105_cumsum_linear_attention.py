"""Causal linear attention via prefix sums (keras.ops.cumsum) for next-step forecasting.

Series have missing values (NaN). The tf.data pipeline replaces them with zeros
and emits an observed-mask; the model's train_step uses the mask so that
missing targets do not contribute to the loss.

Usage:  python rw105_cumsum_linear_attention.py [--epochs 2] [--dim 32]
"""
import argparse
import dataclasses
import json

import numpy as np
import tensorflow as tf
import keras
from keras import ops


@dataclasses.dataclass
class Config:
    n_series: int = 256
    length: int = 48
    missing_rate: float = 0.1
    dim: int = 32
    heads: int = 2
    n_layers: int = 2
    batch_size: int = 32
    epochs: int = 2
    lr: float = 3e-3
    seed: int = 42


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for f in dataclasses.fields(Config):
        p.add_argument(f"--{f.name.replace('_', '-')}", type=f.type, default=f.default)
    return Config(**vars(p.parse_args()))


# --------------------------------------------------------------------------- data
def make_series(cfg: Config):
    rng = np.random.default_rng(cfg.seed)
    t = np.arange(cfg.length + 1, dtype="float32")
    freq = rng.uniform(0.1, 0.4, size=(cfg.n_series, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(cfg.n_series, 1))
    amp = rng.uniform(0.5, 1.5, size=(cfg.n_series, 1))
    trend = rng.normal(0, 0.01, size=(cfg.n_series, 1)) * t
    series = amp * np.sin(freq * t + phase) + trend
    series += rng.normal(0, 0.05, size=series.shape)
    holes = rng.random(series.shape) < cfg.missing_rate
    series[holes] = np.nan
    return series.astype("float32")


def build_pipeline(series, cfg: Config, training: bool):
    ds = tf.data.Dataset.from_tensor_slices(series)

    def split_and_mask(s):
        observed = tf.math.logical_not(tf.math.is_nan(s))
        filled = tf.where(observed, s, tf.zeros_like(s))
        inputs = tf.stack([filled[:-1], tf.cast(observed[:-1], tf.float32)], axis=-1)
        targets = filled[1:, None]
        weights = tf.cast(observed[1:], tf.float32)
        return inputs, targets, weights

    ds = ds.map(split_and_mask, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        ds = ds.shuffle(512, seed=cfg.seed)
    return ds.batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE)


# --------------------------------------------------------------------------- layers
def elu_feature_map(x):
    return ops.elu(x) + 1.0


class CausalLinearAttention(keras.layers.Layer):
    """O(T) causal attention: numerator/denominator are prefix sums over time."""

    def __init__(self, heads, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.heads = heads
        self.eps = eps

    def build(self, input_shape):
        d = input_shape[-1]
        if d % self.heads:
            raise ValueError(f"dim {d} not divisible by heads {self.heads}")
        self.head_dim = d // self.heads
        self.qkv = self.add_weight(name="qkv", shape=(d, 3 * d), initializer="glorot_uniform")
        self.out = self.add_weight(name="out", shape=(d, d), initializer="glorot_uniform")

    def _split_heads(self, x):
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        x = ops.reshape(x, (b, t, self.heads, self.head_dim))
        return ops.transpose(x, (0, 2, 1, 3))  # (B, H, T, Dh)

    def call(self, x):
        q, k, v = ops.split(ops.matmul(x, self.qkv), 3, axis=-1)
        q, k, v = (self._split_heads(z) for z in (q, k, v))
        q, k = elu_feature_map(q), elu_feature_map(k)

        kv = ops.einsum("bhtd,bhte->bhtde", k, v)
        kv_prefix = ops.cumsum(kv, axis=2)                   # sum_{s<=t} k_s v_s^T
        k_prefix = ops.cumsum(k, axis=2)                     # sum_{s<=t} k_s
        num = ops.einsum("bhtd,bhtde->bhte", q, kv_prefix)
        den = ops.einsum("bhtd,bhtd->bht", q, k_prefix)[..., None]
        y = num / (den + self.eps)

        y = ops.transpose(y, (0, 2, 1, 3))
        b, t = ops.shape(y)[0], ops.shape(y)[1]
        y = ops.reshape(y, (b, t, self.heads * self.head_dim))
        return ops.matmul(y, self.out)

    def get_config(self):
        return {**super().get_config(), "heads": self.heads, "eps": self.eps}


class RunningStats(keras.layers.Layer):
    """Appends causal running mean/std of the observed values (cumsum over mask)."""

    def call(self, inputs):
        value, mask = inputs[..., :1], inputs[..., 1:]
        n = ops.maximum(ops.cumsum(mask, axis=1), 1.0)
        mean = ops.cumsum(value * mask, axis=1) / n
        sq = ops.cumsum(ops.square(value) * mask, axis=1) / n
        std = ops.sqrt(ops.maximum(sq - ops.square(mean), 1e-6))
        # impute missing positions with the running mean so far
        value = ops.where(mask > 0, value, mean)
        return ops.concatenate([value, mask, mean, std], axis=-1)


class Forecaster(keras.Model):
    def __init__(self, dim, heads, n_layers, **kwargs):
        super().__init__(**kwargs)
        self.dim, self.heads, self.n_layers = dim, heads, n_layers
        self.stats = RunningStats()
        self.embed = keras.layers.Dense(dim)
        self.attn = [CausalLinearAttention(heads, name=f"lin_attn_{i}") for i in range(n_layers)]
        self.ffn = [keras.layers.Dense(dim, activation="gelu") for _ in range(n_layers)]
        self.ln_a = [keras.layers.LayerNormalization() for _ in range(n_layers)]
        self.ln_f = [keras.layers.LayerNormalization() for _ in range(n_layers)]
        self.head = keras.layers.Dense(1)
        self.wmae = keras.metrics.Mean(name="masked_mae")

    def call(self, x):
        h = self.embed(self.stats(x))
        for attn, ffn, la, lf in zip(self.attn, self.ffn, self.ln_a, self.ln_f):
            h = h + attn(la(h))
            h = h + ffn(lf(h))
        return self.head(h)

    def train_step(self, data):
        x, y, w = keras.utils.unpack_x_y_sample_weight(data)
        with tf.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=w)
        grads = tape.gradient(loss, self.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        return self._update_trackers(x, y, y_pred, w, loss)

    def test_step(self, data):
        x, y, w = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=w)
        return self._update_trackers(x, y, y_pred, w, loss)

    def _update_trackers(self, x, y, y_pred, w, loss):
        # compiled loss tracker is not fed automatically once train_step is overridden
        for m in self.metrics:
            if m.name == "loss":
                m.update_state(loss)
        abs_err = ops.abs(y - y_pred)[..., 0]
        self.wmae.update_state(ops.sum(abs_err * w) / ops.maximum(ops.sum(w), 1.0))
        logs = self.compute_metrics(x, y, y_pred, sample_weight=w)
        logs["masked_mae"] = self.wmae.result()
        return logs

    def get_config(self):
        base = super().get_config()
        return {**base, "dim": self.dim, "heads": self.heads, "n_layers": self.n_layers}


def causality_check(model, cfg):
    """Perturbing step t must not change predictions before t."""
    x = np.random.default_rng(0).normal(size=(1, cfg.length, 2)).astype("float32")
    x[..., 1] = 1.0
    base = ops.convert_to_numpy(model(x))
    x2 = x.copy()
    x2[0, cfg.length // 2:, 0] += 5.0
    pert = ops.convert_to_numpy(model(x2))
    cut = cfg.length // 2
    return float(np.abs(base[0, :cut] - pert[0, :cut]).max())


def main():
    cfg = parse_args()
    keras.utils.set_random_seed(cfg.seed)
    print(json.dumps(dataclasses.asdict(cfg)))

    series = make_series(cfg)
    n_val = cfg.n_series // 5
    train = build_pipeline(series[n_val:], cfg, training=True)
    val = build_pipeline(series[:n_val], cfg, training=False)
    print("missing fraction:", float(np.isnan(series).mean()))

    model = Forecaster(cfg.dim, cfg.heads, cfg.n_layers)
    model.compile(optimizer=keras.optimizers.Adam(cfg.lr), loss="mse")
    model.fit(train, validation_data=val, epochs=cfg.epochs, verbose=2)

    leak = causality_check(model, cfg)
    print(f"max change before perturbation point: {leak:.2e}")
    assert leak < 1e-4, "attention leaks future information"
    print("config:", model.get_config())


if __name__ == "__main__":
    main()

"""Encoder-only Transformer forecaster with a custom GradientTape training loop.

- sinusoidal positional encoding + learned projection of the input features
- a few pre-LN encoder blocks (MultiHeadAttention + FFN)
- multi-horizon head: flatten the encoded sequence and regress all H steps at once
- tf.data pipeline built from numpy windows, with shuffling/prefetching
- train_step / val_step compiled with tf.function

Runs on synthetic electricity-like load curves for a handful of steps.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class Config:
    input_len: int = 96
    horizon: int = 24
    n_covariates: int = 3          # hour-of-day sin/cos + weekend flag
    d_model: int = 32
    num_heads: int = 4
    ff_dim: int = 64
    num_layers: int = 2
    dropout: float = 0.1
    batch_size: int = 32
    lr: float = 1e-3
    train_steps: int = 40
    val_every: int = 20
    seed: int = 1234
    quantiles: list = field(default_factory=lambda: [0.5])


def positional_encoding(length, depth):
    depth_half = depth / 2
    positions = np.arange(length)[:, np.newaxis]                 # (L, 1)
    depths = np.arange(depth_half)[np.newaxis, :] / depth_half   # (1, D/2)
    angle_rates = 1 / (10000 ** depths)
    angle_rads = positions * angle_rates                         # (L, D/2)
    pe = np.concatenate([np.sin(angle_rads), np.cos(angle_rads)], axis=-1)
    return tf.cast(pe, dtype=tf.float32)


class PositionalEmbedding(layers.Layer):
    def __init__(self, length, d_model, **kwargs):
        super().__init__(**kwargs)
        self.d_model = d_model
        self.proj = layers.Dense(d_model)
        self.pos_encoding = positional_encoding(length, d_model)

    def call(self, x):
        length = tf.shape(x)[1]
        x = self.proj(x)
        x *= tf.math.sqrt(tf.cast(self.d_model, tf.float32))
        return x + self.pos_encoding[tf.newaxis, :length, :]


class EncoderBlock(layers.Layer):
    """Pre-LayerNorm transformer encoder block."""

    def __init__(self, d_model, num_heads, ff_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.mha = layers.MultiHeadAttention(num_heads=num_heads,
                                             key_dim=d_model // num_heads,
                                             dropout=dropout)
        self.ffn = keras.Sequential([
            layers.Dense(ff_dim, activation="gelu"),
            layers.Dropout(dropout),
            layers.Dense(d_model),
        ])
        self.drop = layers.Dropout(dropout)

    def call(self, x, training=False):
        h = self.ln1(x)
        attn = self.mha(h, h, training=training)
        x = x + self.drop(attn, training=training)
        h = self.ln2(x)
        return x + self.ffn(h, training=training)


class TransformerForecaster(keras.Model):
    def __init__(self, cfg: Config, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.embed = PositionalEmbedding(cfg.input_len, cfg.d_model)
        self.blocks = [EncoderBlock(cfg.d_model, cfg.num_heads, cfg.ff_dim, cfg.dropout,
                                    name=f"encoder_{i}") for i in range(cfg.num_layers)]
        self.final_ln = layers.LayerNormalization(epsilon=1e-6)
        self.flatten = layers.Flatten()
        self.head = layers.Dense(cfg.horizon * len(cfg.quantiles))
        self.reshape = layers.Reshape((cfg.horizon, len(cfg.quantiles)))

    def call(self, inputs, training=False):
        x = self.embed(inputs)
        for block in self.blocks:
            x = block(x, training=training)
        x = self.final_ln(x)
        x = self.flatten(x)
        return self.reshape(self.head(x))   # (B, H, Q)


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def make_load_curve(n_hours, rng):
    t = np.arange(n_hours)
    hour = t % 24
    dow = (t // 24) % 7
    daily = np.exp(-((hour - 18) ** 2) / 12.0) + 0.6 * np.exp(-((hour - 8) ** 2) / 6.0)
    weekend = (dow >= 5).astype("float32")
    load = 1.0 + daily * (1.0 - 0.3 * weekend) + 0.05 * rng.standard_normal(n_hours)
    covs = np.stack([np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24), weekend], axis=-1)
    return load.astype("float32"), covs.astype("float32")


def window_numpy(load, covs, input_len, horizon):
    n = len(load) - input_len - horizon + 1
    idx = np.arange(input_len)[None, :] + np.arange(n)[:, None]        # (n, L)
    tgt_idx = np.arange(horizon)[None, :] + (np.arange(n) + input_len)[:, None]
    x = np.concatenate([load[idx][..., None], covs[idx]], axis=-1)   # (n, L, 1+C)
    y = load[tgt_idx]                                                # (n, H)
    return x, y


def to_dataset(x, y, batch_size, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(2048, reshuffle_each_iteration=True).repeat()
    return ds.batch(batch_size, drop_remainder=training).prefetch(tf.data.AUTOTUNE)


def pinball_loss(y_true, y_pred, quantiles):
    # y_true (B, H), y_pred (B, H, Q)
    q = tf.constant(quantiles, dtype=tf.float32)[tf.newaxis, tf.newaxis, :]
    err = y_true[..., tf.newaxis] - y_pred
    return tf.reduce_mean(tf.maximum(q * err, (q - 1.0) * err))


def main():
    cfg = Config(quantiles=[0.1, 0.5, 0.9])
    rng = np.random.default_rng(cfg.seed)
    tf.random.set_seed(cfg.seed)

    load, covs = make_load_curve(24 * 120, rng)
    split = int(0.8 * len(load))
    x_tr, y_tr = window_numpy(load[:split], covs[:split], cfg.input_len, cfg.horizon)
    x_va, y_va = window_numpy(load[split:], covs[split:], cfg.input_len, cfg.horizon)
    print("train:", x_tr.shape, y_tr.shape, "| val:", x_va.shape, y_va.shape)

    train_ds = to_dataset(x_tr, y_tr, cfg.batch_size, training=True)
    val_ds = to_dataset(x_va, y_va, cfg.batch_size, training=False)

    model = TransformerForecaster(cfg, name="transformer_forecaster")
    model(tf.zeros((1, cfg.input_len, 1 + cfg.n_covariates)))  # build
    model.summary()

    lr = keras.optimizers.schedules.PolynomialDecay(cfg.lr, cfg.train_steps, end_learning_rate=cfg.lr / 10)
    optimizer = keras.optimizers.AdamW(learning_rate=lr, weight_decay=1e-4)
    train_loss = keras.metrics.Mean(name="train_loss")
    val_mae = keras.metrics.MeanAbsoluteError(name="val_mae_p50")
    median_idx = cfg.quantiles.index(0.5)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            preds = model(x, training=True)
            loss = pinball_loss(y, preds, cfg.quantiles)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 1.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_loss.update_state(loss)
        return loss

    @tf.function
    def val_step(x, y):
        preds = model(x, training=False)
        val_mae.update_state(y, preds[..., median_idx])
        return preds

    for step, (xb, yb) in enumerate(train_ds.take(cfg.train_steps), start=1):
        train_step(xb, yb)
        if step % cfg.val_every == 0:
            val_mae.reset_state()
            for xv, yv in val_ds:
                val_step(xv, yv)
            print(f"step {step:4d}  pinball={train_loss.result():.4f}  "
                  f"val MAE(p50)={val_mae.result():.4f}")
            train_loss.reset_state()

    # crude calibration check on the val set
    preds = model.predict(x_va, batch_size=128, verbose=0)
    lo, hi = preds[..., 0], preds[..., -1]
    coverage = np.mean((y_va >= lo) & (y_va <= hi))
    print(f"80% interval empirical coverage: {coverage:.2%}")


if __name__ == "__main__":
    main()

"""Encoder-only Transformer for multi-horizon time series forecasting.

- sinusoidal positional encoding as a custom Layer (build/call)
- pre-LayerNorm transformer blocks with MultiHeadAttention + causal mask
- the forecasting head flattens the last token and emits all horizons at once
Config lives in a dataclass so experiments are easy to sweep.
"""
from dataclasses import dataclass, asdict

import numpy as np
import keras
from keras import layers, ops


@dataclass
class ForecastConfig:
    context_len: int = 24
    horizon: int = 8
    n_features: int = 4
    d_model: int = 32
    num_heads: int = 4
    ff_dim: int = 64
    num_blocks: int = 2
    dropout: float = 0.1
    batch_size: int = 32
    learning_rate: float = 1e-3
    epochs: int = 1
    steps_per_epoch: int = 8
    seed: int = 1234


class SinusoidalPositionalEncoding(layers.Layer):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...)."""

    def __init__(self, max_len=512, **kwargs):
        super().__init__(**kwargs)
        self.max_len = max_len

    def build(self, input_shape):
        d_model = input_shape[-1]
        pos = np.arange(self.max_len)[:, None].astype("float32")
        i = np.arange(d_model)[None, :].astype("float32")
        angle_rates = 1.0 / np.power(10000.0, (2 * (i // 2)) / np.float32(d_model))
        angles = pos * angle_rates
        pe = np.zeros((self.max_len, d_model), dtype="float32")
        pe[:, 0::2] = np.sin(angles[:, 0::2])
        pe[:, 1::2] = np.cos(angles[:, 1::2])
        # non-trainable weight so it is saved with the model
        self.pe = self.add_weight(
            name="pe",
            shape=(self.max_len, d_model),
            initializer=keras.initializers.Constant(pe),
            trainable=False,
        )
        super().build(input_shape)

    def call(self, x):
        seq_len = ops.shape(x)[1]
        scale = ops.sqrt(ops.cast(ops.shape(x)[-1], x.dtype))
        return x * scale + ops.expand_dims(self.pe[:seq_len], 0)

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"max_len": self.max_len})
        return cfg


class TransformerBlock(layers.Layer):
    def __init__(self, d_model, num_heads, ff_dim, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.attn = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=d_model // num_heads, dropout=dropout
        )
        self.drop1 = layers.Dropout(dropout)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="gelu"), layers.Dropout(dropout), layers.Dense(d_model)]
        )
        self.drop2 = layers.Dropout(dropout)

    def call(self, x, training=None):
        h = self.norm1(x)
        h = self.attn(h, h, use_causal_mask=True, training=training)
        x = x + self.drop1(h, training=training)
        h = self.ffn(self.norm2(x), training=training)
        return x + self.drop2(h, training=training)


class TimeSeriesTransformer(keras.Model):
    def __init__(self, cfg: ForecastConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.input_proj = layers.Dense(cfg.d_model, name="input_proj")
        self.pos_enc = SinusoidalPositionalEncoding(max_len=cfg.context_len, name="pos_enc")
        self.blocks = [
            TransformerBlock(cfg.d_model, cfg.num_heads, cfg.ff_dim, cfg.dropout, name=f"block_{i}")
            for i in range(cfg.num_blocks)
        ]
        self.final_norm = layers.LayerNormalization(epsilon=1e-6)
        self.head = layers.Dense(cfg.horizon, name="horizon_head")

    def call(self, inputs, training=None):
        x = self.input_proj(inputs)                 # (B, T, d_model)
        x = self.pos_enc(x)
        for block in self.blocks:
            x = block(x, training=training)
        x = self.final_norm(x)
        last = x[:, -1, :]                          # causal => last token has seen everything
        # add back the last observed target level (residual forecasting)
        level = inputs[:, -1:, 0]                   # (B, 1)
        return self.head(last) + level              # (B, horizon)


def synthetic_multivariate(n, n_features, rng):
    t = np.arange(n, dtype="float32")
    target = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 13) + 0.001 * t
    covs = [np.roll(target, k) + rng.normal(0, 0.1, n) for k in range(1, n_features)]
    data = np.stack([target + rng.normal(0, 0.05, n)] + covs, axis=-1)
    return data.astype("float32")


def make_windows(data, context_len, horizon):
    total = context_len + horizon
    view = np.lib.stride_tricks.sliding_window_view(data, total, axis=0)  # (N, F, total)
    view = np.moveaxis(view, -1, 1)                                       # (N, total, F)
    x = view[:, :context_len, :]
    y = view[:, context_len:, 0]
    return x.copy(), y.copy()


def main():
    cfg = ForecastConfig()
    print("config:", asdict(cfg))
    keras.utils.set_random_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)

    series = synthetic_multivariate(800, cfg.n_features, rng)
    x, y = make_windows(series, cfg.context_len, cfg.horizon)
    split = int(0.8 * len(x))
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]
    print("x_train", x_train.shape, "y_train", y_train.shape)

    model = TimeSeriesTransformer(cfg, name="ts_transformer")
    model(x_train[:2])  # build
    model.summary()

    schedule = keras.optimizers.schedules.CosineDecay(
        cfg.learning_rate, decay_steps=cfg.steps_per_epoch * cfg.epochs, alpha=0.1
    )
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-4, clipnorm=1.0),
        loss=keras.losses.Huber(delta=1.0),
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
    )
    n_train = cfg.steps_per_epoch * cfg.batch_size
    model.fit(
        x_train[:n_train], y_train[:n_train],
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        verbose=2,
    )

    preds = model.predict(x_test[:128], verbose=0)
    per_h_mae = np.mean(np.abs(preds - y_test[:128]), axis=0)
    for h, err in enumerate(per_h_mae, start=1):
        print(f"  t+{h}: MAE={err:.4f}")

    # peek at the attention pattern of the first block
    block = model.blocks[0]
    h = block.norm1(model.pos_enc(model.input_proj(x_test[:1])))
    _, scores = block.attn(h, h, use_causal_mask=True, return_attention_scores=True)
    print("attention scores shape (B, heads, Tq, Tk):", tuple(scores.shape))


if __name__ == "__main__":
    main()

"""Gated linear unit FFN variants (GLU / ReGLU / GEGLU / SwiGLU / Bilinear).

Quick ablation harness following "GLU Variants Improve Transformer"
(Shazeer, 2020): the same tiny sequence model is trained with each FFN
variant for a handful of steps and the final loss is reported. d_ff is scaled
by 2/3 for gated variants so parameter counts stay comparable.
"""
from dataclasses import dataclass, field, replace

import numpy as np
import keras
from keras import ops

keras.utils.set_random_seed(1234)


@dataclass
class FFNConfig:
    d_model: int = 32
    d_ff: int = 128
    variant: str = "swiglu"
    dropout: float = 0.0
    use_bias: bool = False


@dataclass
class ExperimentConfig:
    seq_len: int = 20
    vocab_size: int = 64
    num_layers: int = 2
    batch_size: int = 32
    num_samples: int = 128
    epochs: int = 1
    ffn: FFNConfig = field(default_factory=FFNConfig)


ACTIVATIONS = {
    "glu": ops.sigmoid,
    "reglu": ops.relu,
    "geglu": lambda t: ops.gelu(t, approximate=True),
    "swiglu": ops.silu,
    "bilinear": lambda t: t,
}


@keras.saving.register_keras_serializable(package="rw63")
class GatedFFN(keras.layers.Layer):
    """FFN(x) = (act(x W) * (x V)) W2, with a fused [W|V] projection."""

    def __init__(self, d_ff, variant="swiglu", dropout=0.0, use_bias=False, **kwargs):
        super().__init__(**kwargs)
        if variant not in ACTIVATIONS:
            raise ValueError(f"unknown GLU variant {variant!r}; choose from {sorted(ACTIVATIONS)}")
        self.d_ff = d_ff
        self.variant = variant
        self.dropout = dropout
        self.use_bias = use_bias

    def build(self, input_shape):
        d_model = input_shape[-1]
        # fused projection: one matmul, split afterwards
        self.wi = self.add_weight(name="wi", shape=(d_model, 2 * self.d_ff), initializer="he_normal")
        self.wo = self.add_weight(name="wo", shape=(self.d_ff, d_model), initializer="glorot_uniform")
        if self.use_bias:
            self.bi = self.add_weight(name="bi", shape=(2 * self.d_ff,), initializer="zeros")
            self.bo = self.add_weight(name="bo", shape=(d_model,), initializer="zeros")
        self.drop = keras.layers.Dropout(self.dropout)

    def call(self, x, training=None):
        h = ops.matmul(x, self.wi)
        if self.use_bias:
            h = h + self.bi
        gate, value = ops.split(h, 2, axis=-1)
        h = ACTIVATIONS[self.variant](gate) * value
        h = self.drop(h, training=training)
        out = ops.matmul(h, self.wo)
        if self.use_bias:
            out = out + self.bo
        return out

    def get_config(self):
        config = super().get_config()
        config.update({"d_ff": self.d_ff, "variant": self.variant,
                       "dropout": self.dropout, "use_bias": self.use_bias})
        return config


class PlainFFN(keras.layers.Layer):
    """Baseline ReLU FFN from the original Transformer."""

    def __init__(self, d_ff, d_model, **kwargs):
        super().__init__(**kwargs)
        self.fc1 = keras.layers.Dense(d_ff, activation="relu", use_bias=False)
        self.fc2 = keras.layers.Dense(d_model, use_bias=False)

    def call(self, x):
        return self.fc2(self.fc1(x))


def make_ffn(cfg: FFNConfig):
    if cfg.variant == "relu":
        return PlainFFN(cfg.d_ff, cfg.d_model)
    # keep params roughly equal: 3 matrices instead of 2
    d_ff = int(cfg.d_ff * 2 / 3)
    return GatedFFN(d_ff, cfg.variant, cfg.dropout, cfg.use_bias)


def residual_block(x, cfg: ExperimentConfig, idx: int):
    d = cfg.ffn.d_model
    h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"ln_attn_{idx}")(x)
    h = keras.layers.MultiHeadAttention(num_heads=2, key_dim=d // 2, name=f"mha_{idx}")(
        h, h, use_causal_mask=True)
    x = keras.layers.Add()([x, h])
    h = keras.layers.LayerNormalization(epsilon=1e-6, name=f"ln_ffn_{idx}")(x)
    h = make_ffn(cfg.ffn)(h)
    return keras.layers.Add()([x, h])


def build_lm(cfg: ExperimentConfig) -> keras.Model:
    ids = keras.Input((cfg.seq_len,), dtype="int32")
    x = keras.layers.Embedding(cfg.vocab_size, cfg.ffn.d_model)(ids)
    for i in range(cfg.num_layers):
        x = residual_block(x, cfg, i)
    x = keras.layers.LayerNormalization(epsilon=1e-6)(x)
    logits = keras.layers.Dense(cfg.vocab_size)(x)
    return keras.Model(ids, logits, name=f"lm_{cfg.ffn.variant}")


def copy_task(cfg: ExperimentConfig):
    """Next-token prediction on sequences that repeat their first half."""
    half = cfg.seq_len // 2
    rng = np.random.default_rng(0)
    first = rng.integers(1, cfg.vocab_size, size=(cfg.num_samples, half))
    seq = np.concatenate([first, first], axis=1)  # (N, seq_len)
    x = seq[:, :-1]
    y = seq[:, 1:]
    # pad to seq_len so the model input stays fixed
    x = np.pad(x, ((0, 0), (0, 1)))
    y = np.pad(y, ((0, 0), (0, 1)))
    return x.astype("int32"), y.astype("int32")


def run_variant(base: ExperimentConfig, variant: str):
    cfg = replace(base, ffn=replace(base.ffn, variant=variant))
    model = build_lm(cfg)
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y = copy_task(cfg)
    hist = model.fit(x, y, batch_size=cfg.batch_size, epochs=cfg.epochs, verbose=0)
    return model.count_params(), hist.history["loss"][-1]


if __name__ == "__main__":
    base = ExperimentConfig()

    # unit check: gated FFN keeps the model dim and works on rank-2 and rank-3 inputs
    layer = GatedFFN(48, "geglu")
    for shape in [(4, base.ffn.d_model), (2, 5, base.ffn.d_model)]:
        print(shape, "->", tuple(layer(keras.random.normal(shape)).shape))
    clone = GatedFFN.from_config(layer.get_config())
    print("config round trip:", clone.variant, clone.d_ff)

    results = {}
    for variant in ["relu", "swiglu", "geglu"]:
        results[variant] = run_variant(base, variant)

    print(f"{'variant':<10}{'params':>10}{'loss':>10}")
    for name, (n_params, loss) in sorted(results.items(), key=lambda kv: kv[1][1]):
        print(f"{name:<10}{n_params:>10,}{loss:>10.4f}")

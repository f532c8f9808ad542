"""Mini causal language model with rotary position embeddings (RoPE).

Everything is written against `keras.ops` / `keras.random` so it is backend
agnostic. Trains a couple of steps on a synthetic "counting" corpus and then
samples a few tokens with temperature + top-k.
"""
from dataclasses import dataclass, asdict

import numpy as np
import keras
from keras import ops


@dataclass
class GPTConfig:
    vocab_size: int = 64
    max_len: int = 24
    d_model: int = 48
    n_heads: int = 4
    n_layers: int = 2
    ffn_mult: int = 4
    dropout: float = 0.0
    rope_base: float = 10000.0


def rotate_half(x):
    x1, x2 = ops.split(x, 2, axis=-1)
    return ops.concatenate([-x2, x1], axis=-1)


def rope_tables(seq_len, head_dim, base):
    inv_freq = 1.0 / (base ** (ops.arange(0, head_dim, 2, dtype="float32") / head_dim))
    pos = ops.arange(seq_len, dtype="float32")
    freqs = ops.einsum("i,j->ij", pos, inv_freq)          # (T, D/2)
    emb = ops.concatenate([freqs, freqs], axis=-1)        # (T, D)
    # (1, T, 1, D) to broadcast over batch and heads
    return ops.cos(emb)[None, :, None, :], ops.sin(emb)[None, :, None, :]


class RotaryCausalSelfAttention(keras.layers.Layer):
    def __init__(self, d_model, n_heads, rope_base=10000.0, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        assert d_model % n_heads == 0, "d_model must divide n_heads"
        self.d_model = d_model
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.rope_base = rope_base
        self.attn_drop = keras.layers.Dropout(dropout)

    def build(self, input_shape):
        d = input_shape[-1]
        self.qkv = self.add_weight(name="qkv_kernel", shape=(d, 3 * self.d_model),
                                   initializer=keras.initializers.GlorotUniform())
        self.proj = self.add_weight(name="out_kernel", shape=(self.d_model, d),
                                    initializer=keras.initializers.Zeros())
        self.proj_bias = self.add_weight(name="out_bias", shape=(d,), initializer="zeros")

    def call(self, x, training=None):
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        qkv = ops.matmul(x, self.qkv)
        qkv = ops.reshape(qkv, (b, t, 3, self.n_heads, self.head_dim))
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]   # each (B, T, H, Dh)

        cos, sin = rope_tables(t, self.head_dim, self.rope_base)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin

        scores = ops.einsum("bqhd,bkhd->bhqk", q, k) / ops.sqrt(
            ops.cast(self.head_dim, x.dtype))
        causal = ops.tril(ops.ones((t, t), dtype="bool"))
        scores = ops.where(causal[None, None], scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        weights = self.attn_drop(weights, training=training)
        out = ops.einsum("bhqk,bkhd->bqhd", weights, v)
        out = ops.reshape(out, (b, t, self.d_model))
        return ops.matmul(out, self.proj) + self.proj_bias


class DecoderBlock(keras.layers.Layer):
    def __init__(self, cfg: GPTConfig, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = keras.layers.LayerNormalization(epsilon=1e-5)
        self.attn = RotaryCausalSelfAttention(cfg.d_model, cfg.n_heads, cfg.rope_base,
                                              cfg.dropout)
        self.ln2 = keras.layers.LayerNormalization(epsilon=1e-5)
        self.mlp = keras.Sequential([
            keras.layers.Dense(cfg.ffn_mult * cfg.d_model, activation="gelu"),
            keras.layers.Dense(cfg.d_model),
        ])

    def call(self, x, training=None):
        x = x + self.attn(self.ln1(x), training=training)
        return x + self.mlp(self.ln2(x), training=training)


class MiniGPT(keras.Model):
    def __init__(self, cfg: GPTConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.tok_emb = keras.layers.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = [DecoderBlock(cfg, name=f"dec_{i}") for i in range(cfg.n_layers)]
        self.ln_f = keras.layers.LayerNormalization(epsilon=1e-5)

    def call(self, ids, training=None):
        h = self.tok_emb(ids)
        for blk in self.blocks:
            h = blk(h, training=training)
        h = self.ln_f(h)
        # weight tying: reuse the embedding matrix as the output projection
        return ops.matmul(h, ops.transpose(self.tok_emb.embeddings))

    def generate(self, prompt, steps, temperature=1.0, top_k=8, seed=None):
        gen = keras.random.SeedGenerator(seed)
        ids = ops.convert_to_tensor(prompt, dtype="int32")
        for _ in range(steps):
            ctx = ids[:, -self.cfg.max_len:]
            logits = self(ctx, training=False)[:, -1, :] / temperature
            kth = ops.top_k(logits, k=top_k)[0][:, -1:]
            logits = ops.where(logits < kth, -1e9, logits)
            nxt = keras.random.categorical(logits, 1, seed=gen, dtype="int32")
            ids = ops.concatenate([ids, nxt], axis=1)
        return ids


def counting_corpus(cfg, n_seqs=128, seed=1):
    """Sequences like 5 6 7 8 ... (mod vocab) - trivially predictable."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, cfg.vocab_size, size=(n_seqs, 1))
    seqs = (starts + np.arange(cfg.max_len + 1)[None, :]) % cfg.vocab_size
    return seqs[:, :-1].astype("int32"), seqs[:, 1:].astype("int32")


def main():
    cfg = GPTConfig()
    print("config:", asdict(cfg))
    keras.utils.set_random_seed(7)

    model = MiniGPT(cfg, name="mini_gpt")
    x, y = counting_corpus(cfg)
    _ = model(x[:2])  # build
    print("trainable weights:", len(model.trainable_weights),
          "params:", model.count_params())

    model.compile(
        optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    hist = model.fit(x, y, batch_size=32, epochs=2, verbose=0)
    for k, v in hist.history.items():
        print(f"{k}: {[round(float(a), 4) for a in v]}")

    prompt = np.array([[3, 4, 5, 6]], dtype="int32")
    out = model.generate(prompt, steps=6, temperature=0.8, top_k=5, seed=123)
    print("prompt  :", prompt[0].tolist())
    print("sampled :", ops.convert_to_numpy(out)[0].tolist())


if __name__ == "__main__":
    main()

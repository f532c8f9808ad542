"""
Rotary position embeddings (RoPE) in a small causal language model.

Kaggle-notebook style: cells separated by comments, a config dataclass,
a tf.data pipeline that builds (input, target) pairs by shifting, and
model.fit on a subclassed keras.Model.
"""
# %% imports & config
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class Cfg:
    vocab: int = 20
    seq_len: int = 32
    d_model: int = 48
    n_heads: int = 4
    n_layers: int = 2
    rope_base: float = 10000.0
    batch: int = 32
    n_seqs: int = 256
    epochs: int = 2
    lr: float = 2e-3


CFG = Cfg()
tf.random.set_seed(42)
rng = np.random.default_rng(42)


# %% rotary helpers
def rope_tables(seq_len, head_dim, base=10000.0, offset=0):
    """cos/sin tables of shape [seq_len, head_dim] (pairs interleaved as halves)."""
    half = head_dim // 2
    inv_freq = 1.0 / (base ** (tf.range(half, dtype=tf.float32) / half))
    pos = tf.cast(tf.range(offset, offset + seq_len), tf.float32)
    angles = tf.einsum("t,f->tf", pos, inv_freq)           # [T, half]
    angles = tf.concat([angles, angles], axis=-1)           # [T, head_dim]
    return tf.cos(angles), tf.sin(angles)


def rotate_half(x):
    x1, x2 = tf.split(x, 2, axis=-1)
    return tf.concat([-x2, x1], axis=-1)


def apply_rope(x, cos, sin):
    # x: [B, H, T, Dh]; cos/sin: [T, Dh] broadcast over batch & heads
    return x * cos + rotate_half(x) * sin


def check_relative_property(head_dim=16):
    """<rope(q, m), rope(k, n)> should depend only on m - n."""
    q = tf.random.normal((1, 1, 1, head_dim))
    k = tf.random.normal((1, 1, 1, head_dim))
    cos, sin = rope_tables(64, head_dim)
    def score(m, n):
        qm = apply_rope(q, cos[m:m + 1], sin[m:m + 1])
        kn = apply_rope(k, cos[n:n + 1], sin[n:n + 1])
        return float(tf.reduce_sum(qm * kn))
    pairs = [(5, 2), (13, 10), (40, 37)]
    scores = [score(m, n) for m, n in pairs]
    print("scores for offset 3 at different absolute positions:",
          [f"{s:.5f}" for s in scores])
    np.testing.assert_allclose(scores, scores[0], rtol=1e-4, atol=1e-4)


# %% layers
class RotaryCausalAttention(layers.Layer):
    def __init__(self, d_model, n_heads, base, **kw):
        super().__init__(**kw)
        self.h = n_heads
        self.dh = d_model // n_heads
        self.base = base
        self.qkv = layers.Dense(3 * d_model, use_bias=False)
        self.proj = layers.Dense(d_model)

    def call(self, x):
        B, T = tf.shape(x)[0], tf.shape(x)[1]
        qkv = tf.reshape(self.qkv(x), (B, T, 3, self.h, self.dh))
        q, k, v = tf.unstack(tf.transpose(qkv, (2, 0, 3, 1, 4)), num=3)
        cos, sin = rope_tables(T, self.dh, self.base)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)

        att = tf.matmul(q, k, transpose_b=True) * (self.dh ** -0.5)
        causal = tf.linalg.band_part(tf.ones((T, T)), -1, 0)
        att = att + (1.0 - causal) * -1e9
        att = tf.nn.softmax(att, axis=-1)
        y = tf.transpose(tf.matmul(att, v), (0, 2, 1, 3))
        return self.proj(tf.reshape(y, (B, T, self.h * self.dh)))


class Block(layers.Layer):
    def __init__(self, cfg, **kw):
        super().__init__(**kw)
        self.ln1 = layers.LayerNormalization(epsilon=1e-5)
        self.ln2 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = RotaryCausalAttention(cfg.d_model, cfg.n_heads, cfg.rope_base)
        self.mlp = keras.Sequential([
            layers.Dense(4 * cfg.d_model, activation="gelu"),
            layers.Dense(cfg.d_model),
        ])

    def call(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class RopeLM(keras.Model):
    """No absolute position embedding at all - position comes only from RoPE."""

    def __init__(self, cfg, **kw):
        super().__init__(**kw)
        self.tok = layers.Embedding(cfg.vocab, cfg.d_model)
        self.blocks = [Block(cfg, name=f"block_{i}") for i in range(cfg.n_layers)]
        self.ln_f = layers.LayerNormalization(epsilon=1e-5)
        self.lm_head = layers.Dense(cfg.vocab, use_bias=False)

    def call(self, ids):
        x = self.tok(ids)
        for blk in self.blocks:
            x = blk(x)
        return self.lm_head(self.ln_f(x))


# %% data: arithmetic progressions mod vocab -> predictable next token
def make_corpus(n, cfg):
    starts = rng.integers(0, cfg.vocab, size=(n, 1))
    steps = rng.integers(1, 4, size=(n, 1))
    seq = (starts + steps * np.arange(cfg.seq_len + 1)[None, :]) % cfg.vocab
    return seq.astype(np.int32)


def to_xy(seq):
    return seq[:-1], seq[1:]


corpus = make_corpus(CFG.n_seqs, CFG)
ds = (tf.data.Dataset.from_tensor_slices(corpus)
      .map(to_xy, num_parallel_calls=tf.data.AUTOTUNE)
      .shuffle(256, seed=1)
      .batch(CFG.batch, drop_remainder=True)
      .prefetch(tf.data.AUTOTUNE))

# %% train
check_relative_property()
model = RopeLM(CFG)
model.compile(
    optimizer=keras.optimizers.AdamW(CFG.lr, weight_decay=0.01),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
model.fit(ds, epochs=CFG.epochs, verbose=2)
print(f"params: {model.count_params():,}")

# %% greedy continuation (no cache; re-run full prefix each step)
prompt = np.array([[3, 5, 7, 9]], dtype=np.int32)
ids = prompt
for _ in range(8):
    logits = model(ids)
    nxt = ops.argmax(logits[:, -1, :], axis=-1)
    ids = np.concatenate([ids, np.asarray(nxt, dtype=np.int32)[:, None]], axis=1)
print("prompt     :", prompt[0].tolist())
print("continued  :", ids[0].tolist())
print("expected   :", [(3 + 2 * i) % CFG.vocab for i in range(ids.shape[1])])

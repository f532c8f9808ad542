"""Minimal GPT-style transformer decoder in Keras 3.

Two flavours of causal masking are used on purpose:
  * ``CausalSelfAttention`` builds its own lower-triangular mask with
    ``tf.linalg.band_part`` and applies it to raw attention logits;
  * ``DecoderBlock`` feeds a boolean mask built with ``keras.ops`` into
    ``layers.MultiHeadAttention``.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class GPTConfig:
    vocab_size: int = 256
    block_size: int = 32
    n_layer: int = 2
    n_head: int = 4
    d_model: int = 64
    dropout: float = 0.1
    ffn_mult: int = 4
    batch_size: int = 16
    learning_rate: float = 3e-4
    train_steps: int = 20


def causal_mask_band_part(seq_len, dtype=tf.float32):
    """(T, T) matrix with ones on and below the diagonal."""
    return tf.linalg.band_part(tf.ones((seq_len, seq_len), dtype=dtype), -1, 0)


def causal_mask_ops(batch_size, n_dest, n_src):
    """Boolean (B, n_dest, n_src) mask, the layout MultiHeadAttention expects."""
    i = ops.arange(n_dest)[:, None]
    j = ops.arange(n_src)
    mask = i >= j - n_src + n_dest
    mask = ops.reshape(mask, (1, n_dest, n_src))
    return ops.broadcast_to(mask, (batch_size, n_dest, n_src))


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, d_model, **kwargs):
        super().__init__(**kwargs)
        self.tok = layers.Embedding(vocab_size, d_model)
        self.pos = layers.Embedding(max_len, d_model)

    def call(self, x):
        positions = ops.arange(0, ops.shape(x)[-1], 1)
        return self.tok(x) + self.pos(positions)[None, :, :]


class CausalSelfAttention(layers.Layer):
    def __init__(self, d_model, n_head, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        assert d_model % n_head == 0
        self.n_head = n_head
        self.head_dim = d_model // n_head
        self.qkv = layers.Dense(3 * d_model, use_bias=False)
        self.proj = layers.Dense(d_model)
        self.attn_drop = layers.Dropout(dropout)

    def call(self, x, training=False):
        B, T = ops.shape(x)[0], ops.shape(x)[1]
        C = self.n_head * self.head_dim
        q, k, v = ops.split(self.qkv(x), 3, axis=-1)

        def heads(t):
            t = ops.reshape(t, (B, T, self.n_head, self.head_dim))
            return ops.transpose(t, (0, 2, 1, 3))  # (B, H, T, hd)

        q, k, v = heads(q), heads(k), heads(v)
        att = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))
        att = att / ops.sqrt(ops.cast(self.head_dim, att.dtype))
        mask = causal_mask_band_part(T, dtype=att.dtype)[None, None]
        att = att * mask + (1.0 - mask) * -1e9
        att = self.attn_drop(ops.softmax(att, axis=-1), training=training)
        y = ops.matmul(att, v)                         # (B, H, T, hd)
        y = ops.reshape(ops.transpose(y, (0, 2, 1, 3)), (B, T, C))
        return self.proj(y)


class DecoderBlock(layers.Layer):
    def __init__(self, cfg: GPTConfig, use_mha=False, **kwargs):
        super().__init__(**kwargs)
        self.use_mha = use_mha
        self.ln1 = layers.LayerNormalization(epsilon=1e-5)
        self.ln2 = layers.LayerNormalization(epsilon=1e-5)
        if use_mha:
            self.attn = layers.MultiHeadAttention(
                cfg.n_head, cfg.d_model // cfg.n_head, dropout=cfg.dropout
            )
        else:
            self.attn = CausalSelfAttention(cfg.d_model, cfg.n_head, cfg.dropout)
        self.mlp = keras.Sequential([
            layers.Dense(cfg.ffn_mult * cfg.d_model, activation="gelu"),
            layers.Dense(cfg.d_model),
            layers.Dropout(cfg.dropout),
        ])

    def call(self, x, training=False):
        h = self.ln1(x)
        if self.use_mha:
            shape = ops.shape(h)
            mask = causal_mask_ops(shape[0], shape[1], shape[1])
            h = self.attn(h, h, attention_mask=mask, training=training)
        else:
            h = self.attn(h, training=training)
        x = x + h
        return x + self.mlp(self.ln2(x), training=training)


class MiniGPT(keras.Model):
    def __init__(self, cfg: GPTConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.embed = TokenAndPositionEmbedding(cfg.vocab_size, cfg.block_size, cfg.d_model)
        self.drop = layers.Dropout(cfg.dropout)
        # alternate the two attention implementations across depth
        self.blocks = [DecoderBlock(cfg, use_mha=(i % 2 == 1), name=f"block_{i}")
                       for i in range(cfg.n_layer)]
        self.ln_f = layers.LayerNormalization(epsilon=1e-5)
        self.head = layers.Dense(cfg.vocab_size, use_bias=False)

    def call(self, idx, training=False):
        x = self.drop(self.embed(idx), training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return self.head(self.ln_f(x))


def synthetic_corpus(n_tokens, vocab_size, seed=0):
    """Byte stream with some repeating structure so the loss can move."""
    rng = np.random.default_rng(seed)
    motifs = [rng.integers(0, vocab_size, size=rng.integers(3, 9)) for _ in range(16)]
    out = []
    while len(out) < n_tokens:
        out.extend(motifs[rng.integers(len(motifs))])
    return np.asarray(out[:n_tokens], dtype="int32")


def get_batch(data, cfg, rng):
    ix = rng.integers(0, len(data) - cfg.block_size - 1, size=cfg.batch_size)
    x = np.stack([data[i:i + cfg.block_size] for i in ix])
    y = np.stack([data[i + 1:i + 1 + cfg.block_size] for i in ix])
    return tf.constant(x), tf.constant(y)


cfg = GPTConfig()
data = synthetic_corpus(20_000, cfg.vocab_size)
model = MiniGPT(cfg)
optimizer = keras.optimizers.AdamW(cfg.learning_rate, weight_decay=0.1)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

_ = model(tf.zeros((1, cfg.block_size), dtype=tf.int32))
print(f"params: {model.count_params():,}")

# sanity check: both masks agree for a square window
m1 = causal_mask_band_part(8, tf.bool)
m2 = causal_mask_ops(1, 8, 8)[0]
assert bool(tf.reduce_all(tf.equal(m1, m2)))


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = loss_fn(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss


rng = np.random.default_rng(1)
for step in range(cfg.train_steps):
    xb, yb = get_batch(data, cfg, rng)
    loss = train_step(xb, yb)
    if step % 5 == 0 or step == cfg.train_steps - 1:
        print(f"step {step:3d}  loss {float(loss):.4f}")


def generate(model, prompt, max_new_tokens, temperature=1.0, top_k=20):
    idx = tf.constant(prompt[None, :], dtype=tf.int32)
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -model.cfg.block_size:]
        logits = model(idx_cond, training=False)[:, -1, :] / temperature
        values, _ = tf.math.top_k(logits, k=top_k)
        logits = tf.where(logits < values[:, -1:], tf.fill(tf.shape(logits), -1e9), logits)
        next_id = tf.random.categorical(logits, num_samples=1, dtype=tf.int32)
        idx = tf.concat([idx, next_id], axis=1)
    return idx.numpy()[0]


sample = generate(model, data[:10], max_new_tokens=24)
print("prompt :", data[:10].tolist())
print("sample :", sample[10:].tolist())

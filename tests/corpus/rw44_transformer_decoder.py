"""Tiny GPT: decoder-only transformer with a causal mask, written with keras.ops.

Multi-head causal self-attention is implemented by hand (split heads / scaled dot
product / merge heads) so the masking logic is explicit. Trained with a custom
GradientTape loop on a synthetic "counting" language, then sampled with top-k.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


class GPTConfig:
    vocab_size = 64
    block_size = 32
    n_layer = 2
    n_head = 4
    n_embd = 64
    dropout = 0.1
    batch_size = 32
    learning_rate = 3e-3
    train_steps = 30
    log_every = 10


def causal_attention_mask(seq_len, dtype="bool"):
    """Lower-triangular (seq, seq) mask: position i may attend to j <= i."""
    i = ops.arange(seq_len)[:, None]
    j = ops.arange(seq_len)[None, :]
    return ops.cast(i >= j, dtype)


class CausalSelfAttention(layers.Layer):
    def __init__(self, n_embd, n_head, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        assert n_embd % n_head == 0, "n_embd must be divisible by n_head"
        self.n_head = n_head
        self.head_dim = n_embd // n_head
        self.qkv = layers.Dense(3 * n_embd, name="c_attn")
        self.proj = layers.Dense(n_embd, name="c_proj")
        self.attn_drop = layers.Dropout(dropout)
        self.resid_drop = layers.Dropout(dropout)

    def _split_heads(self, x, batch, seq):
        x = ops.reshape(x, (batch, seq, self.n_head, self.head_dim))
        return ops.transpose(x, (0, 2, 1, 3))          # (B, H, T, hd)

    def call(self, x, training=False):
        batch, seq = ops.shape(x)[0], ops.shape(x)[1]
        q, k, v = ops.split(self.qkv(x), 3, axis=-1)
        q = self._split_heads(q, batch, seq)
        k = self._split_heads(k, batch, seq)
        v = self._split_heads(v, batch, seq)

        att = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2))) / math.sqrt(self.head_dim)
        mask = causal_attention_mask(seq)[None, None, :, :]   # broadcast over B, H
        att = ops.where(mask, att, ops.full_like(att, -1e9))
        att = ops.softmax(att, axis=-1)
        att = self.attn_drop(att, training=training)

        y = ops.matmul(att, v)                                  # (B, H, T, hd)
        y = ops.transpose(y, (0, 2, 1, 3))
        y = ops.reshape(y, (batch, seq, self.n_head * self.head_dim))
        return self.resid_drop(self.proj(y), training=training)


class Block(layers.Layer):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.ln_1 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = CausalSelfAttention(cfg.n_embd, cfg.n_head, cfg.dropout)
        self.ln_2 = layers.LayerNormalization(epsilon=1e-5)
        self.mlp = keras.Sequential([
            layers.Dense(4 * cfg.n_embd, activation="gelu"),
            layers.Dense(cfg.n_embd),
            layers.Dropout(cfg.dropout),
        ])

    def call(self, x, training=False):
        # pre-LN residual block
        x = x + self.attn(self.ln_1(x), training=training)
        x = x + self.mlp(self.ln_2(x), training=training)
        return x


class GPT(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.wte = layers.Embedding(cfg.vocab_size, cfg.n_embd, name="wte")
        self.wpe = layers.Embedding(cfg.block_size, cfg.n_embd, name="wpe")
        self.drop = layers.Dropout(cfg.dropout)
        self.blocks = [Block(cfg, name=f"h_{i}") for i in range(cfg.n_layer)]
        self.ln_f = layers.LayerNormalization(epsilon=1e-5)
        self.lm_head = layers.Dense(cfg.vocab_size, use_bias=False, name="lm_head")

    def call(self, idx, training=False):
        t = ops.shape(idx)[1]
        pos = ops.arange(t)[None, :]
        x = self.drop(self.wte(idx) + self.wpe(pos), training=training)
        for block in self.blocks:
            x = block(x, training=training)
        return self.lm_head(self.ln_f(x))


def get_batch(data, cfg, rng):
    ix = rng.integers(0, len(data) - cfg.block_size - 1, size=cfg.batch_size)
    x = np.stack([data[i:i + cfg.block_size] for i in ix])
    y = np.stack([data[i + 1:i + cfg.block_size + 1] for i in ix])
    return tf.constant(x), tf.constant(y)


def synthetic_stream(n_tokens, vocab, rng):
    """Arithmetic runs: start at a random token and count up with a random stride."""
    out = []
    while len(out) < n_tokens:
        start, stride = rng.integers(0, vocab), rng.integers(1, 4)
        run = (start + stride * np.arange(rng.integers(5, 20))) % vocab
        out.extend(run.tolist())
    return np.asarray(out[:n_tokens], dtype=np.int32)


def generate(model, idx, max_new_tokens, block_size, temperature=1.0, top_k=None, seed=0):
    """Autoregressive sampling; crops context to block_size as in nanoGPT."""
    gen = tf.random.Generator.from_seed(seed)
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -block_size:]
        logits = model(idx_cond, training=False)[:, -1, :] / temperature
        if top_k is not None:
            kth = ops.top_k(logits, k=top_k)[0][:, -1:]
            logits = ops.where(logits < kth, ops.full_like(logits, -float("inf")), logits)
        next_id = tf.random.stateless_categorical(
            logits, 1, seed=gen.uniform_full_int([2], dtype=tf.int32), dtype=tf.int32)
        idx = ops.concatenate([idx, next_id], axis=1)
    return idx


def main():
    cfg = GPTConfig()
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    data = synthetic_stream(20_000, cfg.vocab_size, rng)
    n = int(0.9 * len(data))
    train_data, val_data = data[:n], data[n:]

    model = GPT(cfg)
    model(tf.zeros((1, cfg.block_size), dtype=tf.int32))
    print("params: %.2fK" % (model.count_params() / 1e3))
    print("causal mask (5x5):\n", ops.convert_to_numpy(causal_attention_mask(5, "int32")))

    optimizer = keras.optimizers.AdamW(cfg.learning_rate, weight_decay=0.1,
                                       global_clipnorm=1.0)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def eval_step(x, y):
        return loss_fn(y, model(x, training=False))

    for step in range(cfg.train_steps):
        xb, yb = get_batch(train_data, cfg, rng)
        loss = train_step(xb, yb)
        if step % cfg.log_every == 0 or step == cfg.train_steps - 1:
            xv, yv = get_batch(val_data, cfg, rng)
            print(f"step {step:3d} | train loss {float(loss):.4f} | "
                  f"val loss {float(eval_step(xv, yv)):.4f}")

    prompt = tf.constant([[3, 5, 7, 9]], dtype=tf.int32)
    out = generate(model, prompt, max_new_tokens=12, block_size=cfg.block_size,
                   temperature=0.8, top_k=5)
    print("prompt  :", prompt.numpy()[0].tolist())
    print("sampled :", out.numpy()[0].tolist())


if __name__ == "__main__":
    main()

"""Rotary position embeddings (RoPE) + causal linear attention in keras.ops.

Research scratchpad: compare softmax attention against the kernelised
linear attention of Katharopoulos et al. (phi(x) = elu(x) + 1) with RoPE
applied to q/k. The causal variant uses prefix sums, so memory is O(T d^2)
instead of O(T^2). A subclassed Model overrides train_step to log the
attention-entropy diagnostic alongside the loss.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import ops

cfg = dict(
    vocab=128,
    seq_len=48,
    d_model=64,
    heads=4,
    layers=2,
    rope_base=10000.0,
    batch=16,
    train_steps=8,
)


def rope_frequencies(head_dim, seq_len, base=10000.0):
    """Return cos/sin tables of shape (seq_len, head_dim // 2)."""
    inv_freq = 1.0 / (base ** (np.arange(0, head_dim, 2, dtype="float32") / head_dim))
    t = np.arange(seq_len, dtype="float32")
    freqs = np.einsum("i,j->ij", t, inv_freq)
    return np.cos(freqs), np.sin(freqs)


def apply_rope(x, cos, sin):
    """x: (B, H, T, Dh). Rotate pairs (x_even, x_odd) by position-dependent angles."""
    x1 = x[..., 0::2]
    x2 = x[..., 1::2]
    cos = cos[None, None, :, :]
    sin = sin[None, None, :, :]
    r1 = x1 * cos - x2 * sin
    r2 = x1 * sin + x2 * cos
    # interleave back: stack on last axis then flatten the pair dimension
    out = ops.stack([r1, r2], axis=-1)
    return ops.reshape(out, ops.shape(x))


def elu_feature_map(x):
    return ops.elu(x) + 1.0


class RotaryAttention(keras.layers.Layer):
    def __init__(self, d_model, heads, kind="linear", max_len=512, base=10000.0, eps=1e-6, **kw):
        super().__init__(**kw)
        self.d_model, self.heads, self.kind = d_model, heads, kind
        self.head_dim = d_model // heads
        self.eps = eps
        cos, sin = rope_frequencies(self.head_dim, max_len, base)
        # non-trainable buffers, sliced to the actual length in call()
        self.cos_cached = ops.convert_to_tensor(cos)
        self.sin_cached = ops.convert_to_tensor(sin)
        self.to_qkv = keras.layers.Dense(3 * d_model, use_bias=False)
        self.to_out = keras.layers.Dense(d_model)

    def _heads(self, t):
        b, n = ops.shape(t)[0], ops.shape(t)[1]
        t = ops.reshape(t, (b, n, self.heads, self.head_dim))
        return ops.transpose(t, (0, 2, 1, 3))

    def softmax_attention(self, q, k, v):
        n = ops.shape(q)[2]
        logits = ops.einsum("bhid,bhjd->bhij", q, k) / ops.sqrt(ops.cast(self.head_dim, q.dtype))
        mask = ops.tril(ops.ones((n, n)))
        logits = logits - 1e9 * (1.0 - mask)
        attn = ops.softmax(logits, axis=-1)
        ent = -ops.sum(attn * ops.log(attn + 1e-9), axis=-1)
        return ops.einsum("bhij,bhjd->bhid", attn, v), ops.mean(ent)

    def causal_linear_attention(self, q, k, v):
        q, k = elu_feature_map(q), elu_feature_map(k)
        # S_i = sum_{j<=i} k_j v_j^T  -> (B, H, T, Dh, Dh)
        kv = ops.einsum("bhjd,bhje->bhjde", k, v)
        kv_cum = ops.cumsum(kv, axis=2)
        k_cum = ops.cumsum(k, axis=2)                              # (B, H, T, Dh)
        num = ops.einsum("bhid,bhide->bhie", q, kv_cum)
        den = ops.einsum("bhid,bhid->bhi", q, k_cum)[..., None]
        return num / (den + self.eps), ops.zeros(())

    def call(self, x):
        n = ops.shape(x)[1]
        q, k, v = ops.split(self.to_qkv(x), 3, axis=-1)
        q, k, v = self._heads(q), self._heads(k), self._heads(v)
        cos, sin = self.cos_cached[:n], self.sin_cached[:n]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        if self.kind == "softmax":
            out, ent = self.softmax_attention(q, k, v)
        else:
            out, ent = self.causal_linear_attention(q, k, v)
        out = ops.transpose(out, (0, 2, 1, 3))
        out = ops.reshape(out, (ops.shape(x)[0], n, self.d_model))
        self.last_entropy = ent
        return self.to_out(out)


class RMSNorm(keras.layers.Layer):
    def __init__(self, eps=1e-6, **kw):
        super().__init__(**kw)
        self.eps = eps

    def build(self, shape):
        self.scale = self.add_weight(name="scale", shape=(shape[-1],), initializer="ones")

    def call(self, x):
        ms = ops.mean(ops.square(x), axis=-1, keepdims=True)
        return x * ops.rsqrt(ms + self.eps) * self.scale


class TinyLM(keras.Model):
    def __init__(self, config, kind="linear"):
        super().__init__()
        self.config_ = config
        self.tok = keras.layers.Embedding(config["vocab"], config["d_model"])
        self.blocks = []
        for i in range(config["layers"]):
            self.blocks.append((
                RMSNorm(name=f"n1_{i}"),
                RotaryAttention(config["d_model"], config["heads"], kind=kind,
                                max_len=config["seq_len"], base=config["rope_base"], name=f"attn_{i}"),
                RMSNorm(name=f"n2_{i}"),
                keras.layers.Dense(config["d_model"] * 2, activation="silu", name=f"ff1_{i}"),
                keras.layers.Dense(config["d_model"], name=f"ff2_{i}"),
            ))
        self.norm_f = RMSNorm(name="norm_f")
        self.entropy_tracker = keras.metrics.Mean(name="attn_entropy")
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, ids, training=False):
        x = self.tok(ids)
        for n1, attn, n2, ff1, ff2 in self.blocks:
            x = x + attn(n1(x))
            x = x + ff2(ff1(n2(x)))
        x = self.norm_f(x)
        # tied output embedding
        return ops.matmul(x, ops.transpose(self.tok.embeddings))

    def train_step(self, data):
        ids = data
        inp, tgt = ids[:, :-1], ids[:, 1:]
        with tf.GradientTape() as tape:
            logits = self(inp, training=True)
            loss = ops.mean(keras.losses.sparse_categorical_crossentropy(tgt, logits, from_logits=True))
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.entropy_tracker.update_state(self.blocks[0][1].last_entropy)
        return {m.name: m.result() for m in self.metrics}

    @property
    def metrics(self):
        return [self.loss_tracker, self.entropy_tracker]


def periodic_sequences(n, length, vocab, seed=0):
    rng = np.random.default_rng(seed)
    periods = rng.integers(2, 7, size=n)
    out = np.zeros((n, length), dtype="int32")
    for i, p in enumerate(periods):
        motif = rng.integers(0, vocab, size=p)
        out[i] = np.tile(motif, length // p + 1)[:length]
    return out


if __name__ == "__main__":
    # RoPE sanity check: <R_m q, R_n k> depends only on (m - n)
    hd = 16
    cos, sin = rope_frequencies(hd, 32)
    q = keras.random.normal((1, 1, 1, hd), seed=1)
    k = keras.random.normal((1, 1, 1, hd), seed=2)
    def rotated_at(vec, pos):
        return apply_rope(ops.tile(vec, (1, 1, 32, 1)), cos, sin)[:, :, pos]
    d1 = ops.sum(rotated_at(q, 10) * rotated_at(k, 7))
    d2 = ops.sum(rotated_at(q, 20) * rotated_at(k, 17))
    print(f"relative invariance: {float(d1):.5f} vs {float(d2):.5f}")

    # linear causal attention shape check
    layer = RotaryAttention(64, 4, kind="linear", max_len=cfg["seq_len"])
    print("linear attn out:", tuple(layer(keras.random.normal((2, 20, 64))).shape))

    data = periodic_sequences(cfg["batch"] * cfg["train_steps"], cfg["seq_len"] + 1, cfg["vocab"])
    ds = tf.data.Dataset.from_tensor_slices(data).batch(cfg["batch"])
    for kind in ["softmax", "linear"]:
        lm = TinyLM(cfg, kind=kind)
        lm.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3))
        hist = lm.fit(ds, epochs=1, verbose=0)
        print(f"{kind:>8}: loss={hist.history['loss'][-1]:.3f} entropy={hist.history['attn_entropy'][-1]:.3f}")

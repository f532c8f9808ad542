"""T5-style relative position bias + Shaw et al. relative key embeddings.

Two ways of injecting relative position into self-attention:
  * RelativePositionBias: log-bucketed scalar bias per head (T5), shared
    across layers and added to the attention logits.
  * ShawRelativeAttention: clipped relative distance embeddings that are
    dotted with the queries (Shaw, Uszkoreit & Vaswani 2018).
Trained on a toy "count tokens to the left" task where absolute positions
are useless but relative ones matter.
"""
import math

import numpy as np
import tensorflow as tf

keras = tf.keras
layers = tf.keras.layers

MAX_LEN = 40
VOCAB = 16
D_MODEL = 32
HEADS = 4
NUM_BUCKETS = 16
MAX_DISTANCE = 64
BATCH_SIZE = 32


def relative_position_bucket(relative_position, bidirectional=True, num_buckets=32, max_distance=128):
    """Port of the T5 bucketing function (mesh_tensorflow / HF)."""
    ret = tf.zeros_like(relative_position)
    n = -relative_position
    if bidirectional:
        num_buckets //= 2
        ret += tf.cast(tf.less(n, 0), tf.int32) * num_buckets
        n = tf.abs(n)
    else:
        n = tf.maximum(n, 0)
    max_exact = num_buckets // 2
    is_small = tf.less(n, max_exact)
    # log-spaced buckets for larger distances; clamp n>=1 to keep log finite
    val_if_large = max_exact + tf.cast(
        tf.math.log(tf.cast(tf.maximum(n, 1), tf.float32) / max_exact)
        / math.log(max_distance / max_exact) * (num_buckets - max_exact),
        tf.int32,
    )
    val_if_large = tf.minimum(val_if_large, num_buckets - 1)
    ret += tf.where(is_small, n, val_if_large)
    return ret


class RelativePositionBias(layers.Layer):
    def __init__(self, num_heads, num_buckets=32, max_distance=128, bidirectional=True, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.bidirectional = bidirectional
        self.bias_table = layers.Embedding(num_buckets, num_heads, name="rel_bias")

    def call(self, q_len, k_len):
        ctx = tf.range(q_len)[:, None]
        mem = tf.range(k_len)[None, :]
        rel = mem - ctx                                   # (q, k)
        buckets = relative_position_bucket(rel, self.bidirectional, self.num_buckets, self.max_distance)
        values = self.bias_table(buckets)                 # (q, k, h)
        return tf.transpose(values, [2, 0, 1])[None]      # (1, h, q, k)


class BiasedSelfAttention(layers.Layer):
    """Vanilla MHA that accepts an additive position bias."""

    def __init__(self, d_model, num_heads, **kwargs):
        super().__init__(**kwargs)
        assert d_model % num_heads == 0
        self.h = num_heads
        self.dk = d_model // num_heads
        self.qkv = layers.Dense(3 * d_model, use_bias=False)
        self.out = layers.Dense(d_model)

    def _split_heads(self, x):
        b, t = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, [b, t, self.h, self.dk])
        return tf.transpose(x, [0, 2, 1, 3])

    def call(self, x, position_bias=None):
        q, k, v = tf.split(self.qkv(x), 3, axis=-1)
        q, k, v = map(self._split_heads, (q, k, v))
        # T5 does not scale by sqrt(d_k); we keep the scaling and let the bias adapt
        logits = tf.matmul(q, k, transpose_b=True) / tf.sqrt(tf.cast(self.dk, x.dtype))
        if position_bias is not None:
            logits += position_bias
        w = tf.nn.softmax(logits, axis=-1)
        ctx = tf.matmul(w, v)                              # (b, h, t, dk)
        ctx = tf.transpose(ctx, [0, 2, 1, 3])
        ctx = tf.reshape(ctx, [tf.shape(x)[0], tf.shape(x)[1], self.h * self.dk])
        return self.out(ctx)


class ShawRelativeAttention(layers.Layer):
    def __init__(self, d_model, num_heads, max_relative=8, **kwargs):
        super().__init__(**kwargs)
        self.h = num_heads
        self.dk = d_model // num_heads
        self.max_relative = max_relative
        self.wq = layers.Dense(d_model)
        self.wk = layers.Dense(d_model)
        self.wv = layers.Dense(d_model)
        self.wo = layers.Dense(d_model)

    def build(self, input_shape):
        vocab = 2 * self.max_relative + 1
        self.rel_k = self.add_weight(name="rel_k", shape=(vocab, self.dk), initializer="glorot_uniform")
        self.rel_v = self.add_weight(name="rel_v", shape=(vocab, self.dk), initializer="glorot_uniform")

    def _relative_index(self, length):
        r = tf.range(length)
        dist = r[None, :] - r[:, None]
        return tf.clip_by_value(dist, -self.max_relative, self.max_relative) + self.max_relative

    def call(self, x):
        b, t = tf.shape(x)[0], tf.shape(x)[1]
        heads = lambda z: tf.reshape(z, [b, t, self.h, self.dk])
        q, k, v = heads(self.wq(x)), heads(self.wk(x)), heads(self.wv(x))
        idx = self._relative_index(t)
        a_k = tf.gather(self.rel_k, idx)                    # (t, t, dk)
        a_v = tf.gather(self.rel_v, idx)
        content = tf.einsum("bqhd,bkhd->bhqk", q, k)
        position = tf.einsum("bqhd,qkd->bhqk", q, a_k)
        logits = (content + position) / math.sqrt(self.dk)
        w = tf.nn.softmax(logits, -1)
        out = tf.einsum("bhqk,bkhd->bqhd", w, v) + tf.einsum("bhqk,qkd->bqhd", w, a_v)
        return self.wo(tf.reshape(out, [b, t, self.h * self.dk]))


class RelPosEncoder(keras.Model):
    def __init__(self, num_layers=2, mode="t5"):
        super().__init__()
        self.mode = mode
        self.embed = layers.Embedding(VOCAB, D_MODEL)
        if mode == "t5":
            # one bias table shared by every layer, as in T5
            self.rel_bias = RelativePositionBias(HEADS, NUM_BUCKETS, MAX_DISTANCE)
            self.attn = [BiasedSelfAttention(D_MODEL, HEADS) for _ in range(num_layers)]
        else:
            self.attn = [ShawRelativeAttention(D_MODEL, HEADS, max_relative=6) for _ in range(num_layers)]
        self.norms = [layers.LayerNormalization() for _ in range(2 * num_layers)]
        self.ffn = [keras.Sequential([layers.Dense(2 * D_MODEL, activation="relu"), layers.Dense(D_MODEL)])
                    for _ in range(num_layers)]
        self.head = layers.Dense(1)

    def call(self, tokens):
        x = self.embed(tokens)
        t = tf.shape(tokens)[1]
        bias = self.rel_bias(t, t) if self.mode == "t5" else None
        for i, (attn, ffn) in enumerate(zip(self.attn, self.ffn)):
            h = self.norms[2 * i](x)
            x = x + (attn(h, position_bias=bias) if self.mode == "t5" else attn(h))
            x = x + ffn(self.norms[2 * i + 1](x))
        return tf.squeeze(self.head(x), -1)   # per-token regression


def make_dataset(n, seq_len, target_token=3, window=5, shuffle=True):
    """Target at position i = count of `target_token` in the `window` tokens before i."""
    rng = np.random.default_rng(42)
    toks = rng.integers(0, VOCAB, size=(n, seq_len)).astype("int32")
    hits = (toks == target_token).astype("float32")
    csum = np.concatenate([np.zeros((n, 1), "float32"), np.cumsum(hits, axis=1)], axis=1)
    idx = np.arange(seq_len)
    y = csum[:, idx] - csum[:, np.maximum(idx - window, 0)]
    ds = tf.data.Dataset.from_tensor_slices((toks, y.astype("float32")))
    if shuffle:
        ds = ds.shuffle(n, seed=0)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


if __name__ == "__main__":
    # inspect the bucket layout once
    rel = tf.range(-12, 13)
    print("buckets for -12..12:", relative_position_bucket(rel, True, NUM_BUCKETS, MAX_DISTANCE).numpy().tolist())

    train_ds = make_dataset(384, 24)
    # evaluate on *longer* sequences: relative schemes should extrapolate
    long_ds = make_dataset(64, MAX_LEN, shuffle=False)

    for mode in ("t5", "shaw"):
        model = RelPosEncoder(num_layers=2, mode=mode)
        model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
        model.fit(train_ds, epochs=1, verbose=0)
        res = model.evaluate(long_ds, verbose=0, return_dict=True)
        print(f"[{mode}] params={model.count_params():,} long-seq mae={res['mae']:.3f}")

"""A small Transformer encoder implemented from first principles.

Scaled dot-product attention is a plain function, multi-head attention does
its own split/merge with tf.reshape + tf.transpose, and sinusoidal positional
encodings are precomputed in numpy. The toy task: given a padded sequence of
integer tokens, predict which token id occurs most often (ties broken toward
the smallest id). Padding positions are masked out of attention and pooling.
"""
import argparse

import numpy as np
import tensorflow as tf

PAD = 0


def sinusoidal_positions(max_len, d_model):
    pos = np.arange(max_len)[:, None]
    i = np.arange(d_model)[None, :]
    angle = pos / np.power(10000.0, (2 * (i // 2)) / d_model)
    enc = np.zeros((max_len, d_model), dtype=np.float32)
    enc[:, 0::2] = np.sin(angle[:, 0::2])
    enc[:, 1::2] = np.cos(angle[:, 1::2])
    return enc


def scaled_dot_product_attention(q, k, v, mask=None):
    """q,k,v: [B, H, T, Dh]; mask: [B, 1, 1, T] with 1 for keep."""
    d_k = tf.cast(tf.shape(k)[-1], q.dtype)
    scores = tf.einsum("bhqd,bhkd->bhqk", q, k) / tf.sqrt(d_k)
    if mask is not None:
        scores += (1.0 - mask) * -1e9
    weights = tf.nn.softmax(scores, axis=-1)
    return tf.einsum("bhqk,bhkd->bhqd", weights, v), weights


class MultiHeadAttention(tf.keras.layers.Layer):
    def __init__(self, d_model, num_heads, **kwargs):
        super().__init__(**kwargs)
        assert d_model % num_heads == 0
        self.h = num_heads
        self.dh = d_model // num_heads
        self.d_model = d_model
        self.wq = tf.keras.layers.Dense(d_model, use_bias=False)
        self.wk = tf.keras.layers.Dense(d_model, use_bias=False)
        self.wv = tf.keras.layers.Dense(d_model, use_bias=False)
        self.wo = tf.keras.layers.Dense(d_model)

    def _split(self, x):
        b, t = tf.shape(x)[0], tf.shape(x)[1]
        x = tf.reshape(x, [b, t, self.h, self.dh])
        return tf.transpose(x, [0, 2, 1, 3])

    def _merge(self, x):
        b, t = tf.shape(x)[0], tf.shape(x)[2]
        x = tf.transpose(x, [0, 2, 1, 3])
        return tf.reshape(x, [b, t, self.d_model])

    def call(self, x, attn_mask=None):
        q, k, v = self._split(self.wq(x)), self._split(self.wk(x)), self._split(self.wv(x))
        ctx, attn = scaled_dot_product_attention(q, k, v, attn_mask)
        return self.wo(self._merge(ctx)), attn


class EncoderBlock(tf.keras.layers.Layer):
    def __init__(self, d_model, num_heads, d_ff, dropout, **kwargs):
        super().__init__(**kwargs)
        self.mha = MultiHeadAttention(d_model, num_heads)
        self.ff1 = tf.keras.layers.Dense(d_ff, activation="relu")
        self.ff2 = tf.keras.layers.Dense(d_model)
        self.ln1 = tf.keras.layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = tf.keras.layers.LayerNormalization(epsilon=1e-6)
        self.drop = tf.keras.layers.Dropout(dropout)

    def call(self, x, attn_mask=None, training=False):
        attn_out, _ = self.mha(self.ln1(x), attn_mask=attn_mask)
        x = x + self.drop(attn_out, training=training)
        ff = self.ff2(self.ff1(self.ln2(x)))
        return x + self.drop(ff, training=training)


class TinyTransformer(tf.keras.Model):
    def __init__(self, vocab, max_len, d_model, heads, d_ff, layers, n_classes, dropout):
        super().__init__()
        self.embed = tf.keras.layers.Embedding(vocab, d_model)
        self.pos = tf.constant(sinusoidal_positions(max_len, d_model))
        self.blocks = [EncoderBlock(d_model, heads, d_ff, dropout) for _ in range(layers)]
        self.final_ln = tf.keras.layers.LayerNormalization(epsilon=1e-6)
        self.head = tf.keras.layers.Dense(n_classes)
        self.scale = float(np.sqrt(d_model))

    def call(self, tokens, training=False):
        keep = tf.cast(tf.not_equal(tokens, PAD), tf.float32)  # [B, T]
        attn_mask = keep[:, None, None, :]
        t = tf.shape(tokens)[1]
        x = self.embed(tokens) * self.scale + self.pos[None, :t, :]
        for blk in self.blocks:
            x = blk(x, attn_mask=attn_mask, training=training)
        x = self.final_ln(x)
        pooled = tf.reduce_sum(x * keep[..., None], axis=1) / tf.maximum(
            tf.reduce_sum(keep, axis=1, keepdims=True), 1.0)
        return self.head(pooled)


def make_data(n, max_len, vocab, rng):
    toks = np.zeros((n, max_len), dtype=np.int32)
    labels = np.zeros((n,), dtype=np.int32)
    for i in range(n):
        length = rng.integers(4, max_len + 1)
        seq = rng.integers(1, vocab, size=length)
        toks[i, :length] = seq
        labels[i] = np.argmax(np.bincount(seq, minlength=vocab)[1:])
    return toks, labels


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--vocab", type=int, default=8)
    p.add_argument("--max-len", type=int, default=16)
    p.add_argument("--d-model", type=int, default=32)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--batch", type=int, default=64)
    args = p.parse_args([])

    rng = np.random.default_rng(3)
    tf.random.set_seed(3)
    x_tr, y_tr = make_data(3000, args.max_len, args.vocab, rng)
    x_va, y_va = make_data(500, args.max_len, args.vocab, rng)
    n_classes = args.vocab - 1

    model = TinyTransformer(args.vocab, args.max_len, args.d_model, args.heads,
                            4 * args.d_model, args.layers, n_classes, 0.1)
    schedule = tf.keras.optimizers.schedules.CosineDecay(3e-3, args.steps, alpha=0.1)
    opt = tf.keras.optimizers.Adam(schedule)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def eval_acc(x, y):
        pred = tf.argmax(model(x, training=False), axis=-1, output_type=tf.int32)
        return tf.reduce_mean(tf.cast(tf.equal(pred, y), tf.float32))

    logs = []
    for step in range(args.steps):
        idx = rng.integers(0, len(x_tr), size=args.batch)
        loss = train_step(tf.constant(x_tr[idx]), tf.constant(y_tr[idx]))
        if step % 50 == 0 or step == args.steps - 1:
            acc = eval_acc(tf.constant(x_va), tf.constant(y_va))
            logs.append({"step": step, "loss": float(loss), "val_acc": float(acc)})
            print(logs[-1])
    print("chance level:", round(1.0 / n_classes, 3))


if __name__ == "__main__":
    main()

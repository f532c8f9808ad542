"""Perceiver over raw UTF-8 bytes (no tokenizer).

latent array  --cross-attn-->  byte array (len up to 2k in the real runs)
then a few weight-shared latent self-attention blocks, mean-pool, classify.
"""
import argparse
import functools
import time

import numpy as np
import tensorflow as tf

layers = tf.keras.layers

ARCHS = {}


def arch(name):
    def wrap(fn):
        ARCHS[name] = fn
        return fn
    return wrap


def fourier_positions(seq_len, num_bands, max_freq=64.0):
    pos = np.linspace(-1.0, 1.0, seq_len, dtype=np.float32)[:, None]
    freqs = np.linspace(1.0, max_freq / 2.0, num_bands, dtype=np.float32)[None, :]
    ang = np.pi * pos * freqs
    return np.concatenate([pos, np.sin(ang), np.cos(ang)], axis=-1)  # (L, 2*bands+1)


@tf.keras.utils.register_keras_serializable(package="perceiver")
class LatentArray(layers.Layer):
    def __init__(self, num_latents, latent_dim, **kwargs):
        super().__init__(**kwargs)
        self.num_latents = num_latents
        self.latent_dim = latent_dim

    def build(self, input_shape):
        self.latents = self.add_weight(
            name="latents", shape=(self.num_latents, self.latent_dim),
            initializer=tf.keras.initializers.TruncatedNormal(stddev=0.02))

    def call(self, inputs):
        batch = tf.shape(inputs)[0]
        return tf.tile(self.latents[None], [batch, 1, 1])

    def get_config(self):
        config = super().get_config()
        config.update({"num_latents": self.num_latents, "latent_dim": self.latent_dim})
        return config


@tf.keras.utils.register_keras_serializable(package="perceiver")
class CrossAttention(layers.Layer):
    """Single-head-per-group cross attention written out with einsum."""

    def __init__(self, dim, heads=1, **kwargs):
        super().__init__(**kwargs)
        self.dim = dim
        self.heads = heads
        self.head_dim = dim // heads
        self.q_norm = layers.LayerNormalization()
        self.kv_norm = layers.LayerNormalization()
        self.to_q = layers.Dense(dim, use_bias=False)
        self.to_kv = layers.Dense(2 * dim, use_bias=False)
        self.out = layers.Dense(dim)

    def _split(self, t):
        b, n = tf.shape(t)[0], tf.shape(t)[1]
        return tf.transpose(tf.reshape(t, [b, n, self.heads, self.head_dim]), [0, 2, 1, 3])

    def call(self, latents, data, data_mask=None):
        q = self._split(self.to_q(self.q_norm(latents)))
        k, v = tf.split(self.to_kv(self.kv_norm(data)), 2, axis=-1)
        k, v = self._split(k), self._split(v)
        logits = tf.einsum("bhnd,bhmd->bhnm", q, k) / tf.sqrt(float(self.head_dim))
        if data_mask is not None:
            logits += (1.0 - tf.cast(data_mask[:, None, None, :], logits.dtype)) * -1e9
        attn = tf.nn.softmax(logits, axis=-1)
        o = tf.einsum("bhnm,bhmd->bhnd", attn, v)
        o = tf.transpose(o, [0, 2, 1, 3])
        o = tf.reshape(o, [tf.shape(o)[0], -1, self.dim])
        return latents + self.out(o)

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "heads": self.heads}


class LatentBlock(layers.Layer):
    def __init__(self, dim, heads, mlp_ratio=2, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = layers.LayerNormalization()
        self.attn = layers.MultiHeadAttention(heads, dim // heads)
        self.ln2 = layers.LayerNormalization()
        self.mlp = tf.keras.Sequential([layers.Dense(dim * mlp_ratio, activation="gelu"),
                                        layers.Dense(dim)])

    def call(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h)
        return x + self.mlp(self.ln2(x))


def build_perceiver(seq_len=128, vocab=258, num_latents=16, dim=64, cross_heads=1,
                    latent_heads=4, depth=2, repeats=2, num_classes=4, fourier_bands=8,
                    name="perceiver"):
    byte_ids = tf.keras.Input((seq_len,), dtype="int32", name="bytes")
    mask = tf.keras.Input((seq_len,), dtype="float32", name="mask")

    emb = layers.Embedding(vocab, dim - (2 * fourier_bands + 1), name="byte_embed")(byte_ids)
    pos_table = tf.constant(fourier_positions(seq_len, fourier_bands))
    pos = layers.Lambda(
        lambda e: tf.broadcast_to(pos_table[None], [tf.shape(e)[0], seq_len, pos_table.shape[-1]]),
        name="fourier_pos")(emb)
    data = layers.Concatenate(name="byte_array")([emb, pos])

    latents = LatentArray(num_latents, dim, name="latent_array")(byte_ids)
    cross = CrossAttention(dim, heads=cross_heads, name="cross_attn")
    blocks = [LatentBlock(dim, latent_heads, name=f"latent_{i}") for i in range(depth)]
    # weight sharing across repeats (like Perceiver, except the 1st cross attn isn't separate)
    x = latents
    for r in range(repeats):
        x = cross(x, data, data_mask=mask)
        for blk in blocks:
            x = blk(x)
    x = layers.LayerNormalization()(x)
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(num_classes, name="cls")(x)
    return tf.keras.Model([byte_ids, mask], out, name=name)


@arch("perceiver_tiny")
def perceiver_tiny(**kw):
    return build_perceiver(num_latents=8, dim=32, depth=1, repeats=2, name="perceiver_tiny", **kw)


@arch("perceiver_small")
def perceiver_small(**kw):
    return build_perceiver(num_latents=16, dim=64, depth=2, repeats=1, cross_heads=2,
                           name="perceiver_small", **kw)


def encode_bytes(texts, seq_len):
    ids = np.zeros((len(texts), seq_len), dtype=np.int32)
    mask = np.zeros((len(texts), seq_len), dtype=np.float32)
    for i, t in enumerate(texts):
        b = list(t.encode("utf-8"))[:seq_len]
        ids[i, :len(b)] = np.array(b) + 2  # 0 = pad, 1 = reserved
        mask[i, :len(b)] = 1.0
    return ids, mask


def make_corpus(n, seed=3):
    rng = np.random.default_rng(seed)
    topics = ["sports", "finance", "weather", "science"]
    words = {t: [f"{t[:3]}{j}" for j in range(6)] for t in topics}
    texts, labels = [], []
    for _ in range(n):
        y = int(rng.integers(len(topics)))
        k = int(rng.integers(4, 20))
        toks = rng.choice(words[topics[y]] + ["the", "a", "über", "naïve"], size=k)
        texts.append(" ".join(toks))
        labels.append(y)
    return texts, np.array(labels, dtype=np.int32)


class TimeHistory(tf.keras.callbacks.Callback):
    def on_train_batch_begin(self, batch, logs=None):
        self._t = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.last = time.perf_counter() - self._t


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--archs", nargs="*", default=list(ARCHS))
    parser.add_argument("--seq_len", type=int, default=128)
    parser.add_argument("--bs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-4)
    args = parser.parse_args([])

    texts, labels = make_corpus(40)
    ids, mask = encode_bytes(texts, args.seq_len)
    ds = tf.data.Dataset.from_tensor_slices(({"bytes": ids, "mask": mask}, labels))
    ds = ds.shuffle(40).batch(args.bs)

    make_opt = functools.partial(tf.keras.optimizers.Adam, clipnorm=1.0)
    for name in args.archs:
        model = ARCHS[name](seq_len=args.seq_len)
        lr = tf.keras.optimizers.schedules.CosineDecayRestarts(args.lr, first_decay_steps=3)
        model.compile(make_opt(learning_rate=lr),
                      loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[tf.keras.metrics.SparseCategoricalAccuracy(name="acc")])
        timer = TimeHistory()
        h = model.fit(ds, epochs=1, steps_per_epoch=3, verbose=0, callbacks=[timer])
        n_lat = model.get_layer("latent_array").num_latents
        print(f"{name}: latents={n_lat} params={model.count_params()} "
              f"loss={h.history['loss'][-1]:.3f} last_step={timer.last * 1e3:.0f}ms")

    probs = tf.nn.softmax(model.predict({"bytes": ids[:4], "mask": mask[:4]}, verbose=0))
    print("pred:", np.argmax(probs, -1), "true:", labels[:4])
    ca = CrossAttention.from_config(CrossAttention(32, heads=2).get_config())
    print("cross-attn heads after roundtrip:", ca.heads)

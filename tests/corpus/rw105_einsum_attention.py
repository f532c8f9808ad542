"""Backend-agnostic multi-head self-attention written with keras.ops.einsum.

A small sequence classifier: tokens -> embedding -> N x (attention + MLP) -> pooled logits.
Everything inside the layers goes through keras.ops so it would run on jax/torch too.
"""
import os
import tempfile

import numpy as np
import keras
from keras import layers, ops

SEED = 7
VOCAB = 64
SEQ_LEN = 24
NUM_CLASSES = 3
N_SAMPLES = 384

CONFIG = {
    "embed_dim": 32,
    "num_heads": 4,
    "mlp_ratio": 2,
    "depth": 2,
    "dropout": 0.1,
}

keras.utils.set_random_seed(SEED)


def make_dataset(n, seq_len, vocab, num_classes, rng):
    """Label = which third of the vocab is most frequent in the sequence."""
    x = rng.integers(1, vocab, size=(n, seq_len)).astype("int32")
    bucket = (x * num_classes) // vocab
    counts = np.stack([(bucket == c).sum(axis=1) for c in range(num_classes)], axis=1)
    y = counts.argmax(axis=1).astype("int32")
    # pad a random tail of each sequence with 0 so masking matters
    lengths = rng.integers(seq_len // 2, seq_len + 1, size=n)
    for i, L in enumerate(lengths):
        x[i, L:] = 0
    return x, y


@keras.saving.register_keras_serializable(package="rw105")
class EinsumMHA(layers.Layer):
    def __init__(self, num_heads, key_dim=None, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.dropout = dropout
        self.supports_masking = True
        self.attn_drop = layers.Dropout(dropout)

    def build(self, input_shape):
        d_model = input_shape[-1]
        kd = self.key_dim or d_model // self.num_heads
        self._kd = kd
        init = keras.initializers.GlorotUniform()
        # (d_model, heads, head_dim) kernels, einsum-friendly
        self.wq = self.add_weight(name="wq", shape=(d_model, self.num_heads, kd), initializer=init)
        self.wk = self.add_weight(name="wk", shape=(d_model, self.num_heads, kd), initializer=init)
        self.wv = self.add_weight(name="wv", shape=(d_model, self.num_heads, kd), initializer=init)
        self.wo = self.add_weight(name="wo", shape=(self.num_heads, kd, d_model), initializer=init)
        self.bo = self.add_weight(name="bo", shape=(d_model,), initializer="zeros")
        super().build(input_shape)

    def call(self, x, mask=None, training=None):
        q = ops.einsum("btd,dhk->bhtk", x, self.wq)
        k = ops.einsum("btd,dhk->bhtk", x, self.wk)
        v = ops.einsum("btd,dhk->bhtk", x, self.wv)
        scores = ops.einsum("bhqk,bhsk->bhqs", q, k) / ops.sqrt(ops.cast(self._kd, x.dtype))
        if mask is not None:
            key_mask = ops.cast(mask, "bool")[:, None, None, :]
            scores = ops.where(key_mask, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        weights = self.attn_drop(weights, training=training)
        ctx = ops.einsum("bhqs,bhsk->bhqk", weights, v)
        return ops.einsum("bhqk,hkd->bqd", ctx, self.wo) + self.bo

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_heads=self.num_heads, key_dim=self.key_dim, dropout=self.dropout)
        return cfg


@keras.saving.register_keras_serializable(package="rw105")
class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, mlp_ratio=2, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.mlp_ratio = mlp_ratio
        self.dropout = dropout
        self.supports_masking = True
        self.norm1 = layers.LayerNormalization(epsilon=1e-5)
        self.norm2 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = EinsumMHA(num_heads, dropout=dropout)
        self.mlp = keras.Sequential(
            [
                layers.Dense(embed_dim * mlp_ratio, activation="gelu"),
                layers.Dropout(dropout),
                layers.Dense(embed_dim),
            ]
        )

    def call(self, x, mask=None, training=None):
        h = x + self.attn(self.norm1(x), mask=mask, training=training)
        return h + self.mlp(self.norm2(h), training=training)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(
            embed_dim=self.embed_dim,
            num_heads=self.num_heads,
            mlp_ratio=self.mlp_ratio,
            dropout=self.dropout,
        )
        return cfg


@keras.saving.register_keras_serializable(package="rw105")
class AttentionClassifier(keras.Model):
    def __init__(self, vocab, seq_len, num_classes, embed_dim, num_heads, depth, mlp_ratio=2,
                 dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.vocab = vocab
        self.seq_len = seq_len
        self.num_classes = num_classes
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.depth = depth
        self.mlp_ratio = mlp_ratio
        self.dropout = dropout

        self.tok = layers.Embedding(vocab, embed_dim, mask_zero=True)
        self.pos = layers.Embedding(seq_len, embed_dim)
        self.blocks = [
            TransformerBlock(embed_dim, num_heads, mlp_ratio, dropout, name=f"block_{i}")
            for i in range(depth)
        ]
        self.final_norm = layers.LayerNormalization()
        self.head = layers.Dense(num_classes)

    def call(self, tokens, training=None):
        mask = ops.not_equal(tokens, 0)
        positions = ops.arange(ops.shape(tokens)[1])
        h = self.tok(tokens) + self.pos(positions)[None, :, :]
        for block in self.blocks:
            h = block(h, mask=mask, training=training)
        h = self.final_norm(h)
        # masked mean pool
        m = ops.expand_dims(ops.cast(mask, h.dtype), -1)
        pooled = ops.sum(h * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)
        return self.head(pooled)

    def get_config(self):
        return {
            "name": self.name,
            "vocab": self.vocab,
            "seq_len": self.seq_len,
            "num_classes": self.num_classes,
            "embed_dim": self.embed_dim,
            "num_heads": self.num_heads,
            "depth": self.depth,
            "mlp_ratio": self.mlp_ratio,
            "dropout": self.dropout,
        }


def main():
    rng = np.random.default_rng(SEED)
    x, y = make_dataset(N_SAMPLES, SEQ_LEN, VOCAB, NUM_CLASSES, rng)
    split = int(0.8 * N_SAMPLES)
    x_train, y_train, x_val, y_val = x[:split], y[:split], x[split:], y[split:]
    print(f"train={x_train.shape} val={x_val.shape} class counts={np.bincount(y)}")

    model = AttentionClassifier(VOCAB, SEQ_LEN, NUM_CLASSES, **CONFIG)
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=3e-3, weight_decay=1e-4),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model(x_train[:2])  # build
    model.summary()

    hist = model.fit(x_train, y_train, validation_data=(x_val, y_val),
                     batch_size=32, epochs=2, verbose=2)
    print({k: [round(v, 4) for v in vals] for k, vals in hist.history.items()})

    out_dir = tempfile.mkdtemp(prefix="rw105_attn_")
    path = os.path.join(out_dir, "einsum_attention.keras")
    model.save(path)
    restored = keras.saving.load_model(path)
    a = model.predict(x_val[:8], verbose=0)
    b = restored.predict(x_val[:8], verbose=0)
    print("max abs diff after reload:", float(np.max(np.abs(a - b))))

    # rebuild from config alone to check get_config round-trip
    clone = AttentionClassifier.from_config(model.get_config())
    clone(x_val[:2])
    print("clone params:", clone.count_params(), "orig params:", model.count_params())


if __name__ == "__main__":
    main()

"""Multi-head self-attention written with einsum (keras.ops only).

Small reimplementation I use to sanity-check attention shapes before porting to
bigger models. Projections are kept as explicit (d_model, heads, head_dim)
kernels so the einsum strings mirror the paper notation.
"""
import numpy as np
import keras
from keras import layers, ops

SEQ_LEN = 32
D_MODEL = 64
NUM_HEADS = 4
VOCAB = 500
NUM_CLASSES = 3
BATCH = 16


class EinsumMultiHeadAttention(layers.Layer):
    def __init__(self, num_heads, head_dim, dropout=0.0, causal=False, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.dropout_rate = dropout
        self.causal = causal
        self.attn_dropout = layers.Dropout(dropout)

    def build(self, input_shape):
        d_model = input_shape[-1]
        init = keras.initializers.GlorotUniform()
        # q/k/v kernels: (d_model, heads, head_dim)
        self.wq = self.add_weight(name="wq", shape=(d_model, self.num_heads, self.head_dim), initializer=init)
        self.wk = self.add_weight(name="wk", shape=(d_model, self.num_heads, self.head_dim), initializer=init)
        self.wv = self.add_weight(name="wv", shape=(d_model, self.num_heads, self.head_dim), initializer=init)
        # output kernel: (heads, head_dim, d_model)
        self.wo = self.add_weight(name="wo", shape=(self.num_heads, self.head_dim, d_model), initializer=init)
        self.bo = self.add_weight(name="bo", shape=(d_model,), initializer="zeros")
        super().build(input_shape)

    def call(self, x, mask=None, training=None, return_scores=False):
        q = ops.einsum("btd,dhk->bhtk", x, self.wq)
        k = ops.einsum("bsd,dhk->bhsk", x, self.wk)
        v = ops.einsum("bsd,dhk->bhsk", x, self.wv)

        q = q * ops.cast(1.0 / np.sqrt(self.head_dim), q.dtype)
        logits = ops.einsum("bhtk,bhsk->bhts", q, k)

        if self.causal:
            t = ops.shape(x)[1]
            causal_mask = ops.tril(ops.ones((t, t), dtype="bool"))
            logits = ops.where(causal_mask[None, None, :, :], logits, -1e9)

        if mask is not None:
            # padding mask (b, s) -> (b, 1, 1, s)
            key_mask = ops.cast(mask, "bool")[:, None, None, :]
            logits = ops.where(key_mask, logits, -1e9)

        scores = ops.softmax(logits, axis=-1)
        scores = self.attn_dropout(scores, training=training)
        ctx = ops.einsum("bhts,bhsk->bhtk", scores, v)
        out = ops.einsum("bhtk,hkd->btd", ctx, self.wo) + self.bo
        if return_scores:
            return out, scores
        return out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_heads=self.num_heads, head_dim=self.head_dim,
                   dropout=self.dropout_rate, causal=self.causal)
        return cfg


class LearnedPositionEmbedding(layers.Layer):
    """Adds a trainable (max_len, d) table, sliced to the actual sequence length."""

    def __init__(self, max_len, **kwargs):
        super().__init__(**kwargs)
        self.max_len = max_len

    def build(self, input_shape):
        self.table = self.add_weight(name="table", shape=(self.max_len, input_shape[-1]),
                                     initializer=keras.initializers.TruncatedNormal(stddev=0.02))

    def call(self, x):
        t = ops.shape(x)[1]
        return x + ops.expand_dims(self.table[:t], 0)


class TransformerBlock(layers.Layer):
    def __init__(self, d_model, num_heads, mlp_ratio=4, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.attn = EinsumMultiHeadAttention(num_heads, d_model // num_heads, dropout=dropout)
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.mlp = keras.Sequential([
            layers.Dense(d_model * mlp_ratio, activation="gelu"),
            layers.Dropout(dropout),
            layers.Dense(d_model),
        ])
        self.drop = layers.Dropout(dropout)

    def call(self, x, mask=None, training=None):
        h = self.attn(self.norm1(x), mask=mask, training=training)
        x = x + self.drop(h, training=training)
        x = x + self.drop(self.mlp(self.norm2(x)), training=training)
        return x


def build_classifier():
    tokens = keras.Input(shape=(SEQ_LEN,), dtype="int32", name="tokens")
    emb = layers.Embedding(VOCAB, D_MODEL, mask_zero=True)
    x = emb(tokens)
    pad_mask = ops.not_equal(tokens, 0)
    x = LearnedPositionEmbedding(SEQ_LEN, name="pos_emb")(x)
    for i in range(2):
        x = TransformerBlock(D_MODEL, NUM_HEADS, name=f"block_{i}")(x, mask=pad_mask)
    x = layers.GlobalAveragePooling1D()(x)
    out = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(tokens, out, name="einsum_transformer")


def make_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, size=(n, SEQ_LEN)).astype("int32")
    lengths = rng.integers(SEQ_LEN // 2, SEQ_LEN + 1, size=n)
    for i, L in enumerate(lengths):
        x[i, L:] = 0
    y = (x[:, 0] % NUM_CLASSES).astype("int32")
    return x, y


if __name__ == "__main__":
    # quick shape check on the bare layer
    mha = EinsumMultiHeadAttention(num_heads=NUM_HEADS, head_dim=D_MODEL // NUM_HEADS, causal=True)
    dummy = keras.random.normal((2, 10, D_MODEL))
    out, attn = mha(dummy, return_scores=True)
    print("attn out:", out.shape, "scores:", attn.shape)
    # rows of a causal softmax should still sum to 1
    print("row sums ok:", np.allclose(ops.convert_to_numpy(ops.sum(attn, axis=-1)), 1.0, atol=1e-5))

    model = build_classifier()
    model.compile(optimizer=keras.optimizers.AdamW(3e-4, weight_decay=1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    x, y = make_data()
    model.fit(x, y, batch_size=BATCH, epochs=1, validation_split=0.2, verbose=2)
    preds = model.predict(x[:4], verbose=0)
    print("pred shape:", preds.shape)

"""Minimal decoder-only transformer LM written against keras.ops.

Hand-rolled causal self-attention (einsum + additive mask), learned position
embeddings, pre-norm blocks. Every layer implements build(input_shape) so the
weights are created lazily with the right fan-in, plus get_config so the whole
model can be rebuilt from JSON. We test three persistence paths:
  * model.to_json() / keras.models.model_from_json + set_weights
  * save_weights(*.weights.h5) / load_weights into a fresh instance
  * full model.save(*.keras) / load_model
"""
import json
import os
import tempfile

import numpy as np
import keras
from keras import layers, ops

VOCAB_SIZE = 256
MAX_LEN = 32
D_MODEL = 48
NUM_HEADS = 4
NUM_LAYERS = 2
BATCH_SIZE = 8
STEPS = 6


@keras.saving.register_keras_serializable(package="rw79_lm")
class CausalSelfAttention(layers.Layer):
    def __init__(self, num_heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.dropout = dropout

    def build(self, input_shape):
        _, _, d_model = input_shape
        if d_model % self.num_heads:
            raise ValueError(f"d_model={d_model} not divisible by num_heads={self.num_heads}")
        self.head_dim = d_model // self.num_heads
        self.qkv = self.add_weight(
            name="qkv_kernel",
            shape=(d_model, 3, self.num_heads, self.head_dim),
            initializer="glorot_uniform",
        )
        self.out_kernel = self.add_weight(
            name="out_kernel",
            shape=(self.num_heads, self.head_dim, d_model),
            initializer="glorot_uniform",
        )
        self.attn_drop = layers.Dropout(self.dropout)

    def call(self, x, training=None):
        seq_len = ops.shape(x)[1]
        # (B, T, D) x (D, 3, H, K) -> (B, T, 3, H, K)
        qkv = ops.einsum("btd,dshk->btshk", x, self.qkv)
        q, k, v = qkv[:, :, 0], qkv[:, :, 1], qkv[:, :, 2]
        scores = ops.einsum("bqhk,bthk->bhqt", q, k) / ops.sqrt(
            ops.cast(self.head_dim, x.dtype)
        )
        # lower-triangular mask, broadcast over batch and heads
        causal = ops.tril(ops.ones((seq_len, seq_len), dtype="bool"))
        scores = ops.where(causal[None, None, :, :], scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        weights = self.attn_drop(weights, training=training)
        ctx = ops.einsum("bhqt,bthk->bqhk", weights, v)
        return ops.einsum("bqhk,hkd->bqd", ctx, self.out_kernel)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_heads=self.num_heads, dropout=self.dropout)
        return cfg


@keras.saving.register_keras_serializable(package="rw79_lm")
class DecoderBlock(layers.Layer):
    def __init__(self, num_heads, mlp_ratio=4, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.mlp_ratio = mlp_ratio
        self.dropout = dropout
        self.ln1 = layers.LayerNormalization(epsilon=1e-5, name="ln1")
        self.ln2 = layers.LayerNormalization(epsilon=1e-5, name="ln2")
        self.attn = CausalSelfAttention(num_heads, dropout=dropout, name="attn")
        self.drop = layers.Dropout(dropout)

    def build(self, input_shape):
        d_model = input_shape[-1]
        self.fc1 = layers.Dense(d_model * self.mlp_ratio, activation="gelu", name="fc1")
        self.fc2 = layers.Dense(d_model, name="fc2")
        # build children explicitly so weights exist before the first call
        self.ln1.build(input_shape)
        self.ln2.build(input_shape)
        self.attn.build(input_shape)
        self.fc1.build(input_shape)
        self.fc2.build(tuple(input_shape[:-1]) + (d_model * self.mlp_ratio,))

    def call(self, x, training=None):
        x = x + self.drop(self.attn(self.ln1(x), training=training), training=training)
        h = self.fc2(self.fc1(self.ln2(x)))
        return x + self.drop(h, training=training)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_heads=self.num_heads, mlp_ratio=self.mlp_ratio, dropout=self.dropout)
        return cfg


@keras.saving.register_keras_serializable(package="rw79_lm")
class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.max_len = max_len
        self.embed_dim = embed_dim
        self.tok = layers.Embedding(vocab_size, embed_dim, name="tok")
        self.pos = layers.Embedding(max_len, embed_dim, name="pos")

    def build(self, input_shape):
        self.tok.build(input_shape)
        self.pos.build((self.max_len,))

    def call(self, ids):
        positions = ops.arange(ops.shape(ids)[-1])
        return self.tok(ids) + self.pos(positions)[None, ...]

    def get_config(self):
        cfg = super().get_config()
        cfg.update(vocab_size=self.vocab_size, max_len=self.max_len, embed_dim=self.embed_dim)
        return cfg


def build_lm(vocab=VOCAB_SIZE, max_len=MAX_LEN, d_model=D_MODEL, heads=NUM_HEADS, n_layers=NUM_LAYERS):
    ids = keras.Input((None,), dtype="int32", name="input_ids")
    x = TokenAndPositionEmbedding(vocab, max_len, d_model, name="embed")(ids)
    for i in range(n_layers):
        x = DecoderBlock(heads, name=f"block_{i}")(x)
    x = layers.LayerNormalization(epsilon=1e-5, name="ln_f")(x)
    logits = layers.Dense(vocab, use_bias=False, name="lm_head")(x)
    return keras.Model(ids, logits, name="tiny_lm")


def random_batches(n_batches, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n_batches):
        # repeating patterns make next-token prediction non-trivial
        period = rng.integers(2, 6)
        base = rng.integers(0, VOCAB_SIZE, size=(BATCH_SIZE, period))
        seq = np.tile(base, (1, MAX_LEN // period + 2))[:, : MAX_LEN + 1]
        yield seq[:, :-1].astype("int32"), seq[:, 1:].astype("int32")


@keras.saving.register_keras_serializable(package="rw79_lm")
def masked_lm_loss(y_true, y_pred):
    # ignore the first few positions where the pattern can't be inferred yet
    per_tok = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    warmup = ops.cast(ops.arange(ops.shape(per_tok)[1]) >= 4, per_tok.dtype)
    return ops.sum(per_tok * warmup, axis=-1) / ops.sum(warmup)


def main():
    keras.utils.set_random_seed(5)
    model = build_lm()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=masked_lm_loss)

    for step, (x, y) in enumerate(random_batches(STEPS)):
        loss = model.train_on_batch(x, y)
        if step % 2 == 0:
            print(f"step {step}: loss={float(loss):.4f}")

    probe = next(random_batches(1, seed=99))[0][:2]
    ref = ops.convert_to_numpy(model(probe, training=False))
    print("logits:", ref.shape)

    # 1) architecture JSON + raw weights
    arch = json.loads(model.to_json())
    print("json layers:", [l["class_name"] for l in arch["config"]["layers"]][:4], "...")
    clone = keras.models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(ref, ops.convert_to_numpy(clone(probe)), atol=1e-5)

    with tempfile.TemporaryDirectory() as tmp:
        # 2) weights-only checkpoint into a freshly built model
        wpath = os.path.join(tmp, "lm.weights.h5")
        model.save_weights(wpath)
        fresh = build_lm()
        fresh.load_weights(wpath)
        np.testing.assert_allclose(ref, ops.convert_to_numpy(fresh(probe)), atol=1e-5)

        # 3) full archive, including optimizer state
        kpath = os.path.join(tmp, "lm.keras")
        model.save(kpath)
        loaded = keras.models.load_model(kpath)
        np.testing.assert_allclose(ref, ops.convert_to_numpy(loaded(probe)), atol=1e-5)
        print("optimizer iterations restored:", int(loaded.optimizer.iterations.numpy()))

    # variable-length input works since the Input has shape (None,)
    short = ops.convert_to_numpy(loaded(probe[:, :10]))
    print("short-context logits:", short.shape)
    # causal => prefix logits must not depend on later tokens
    np.testing.assert_allclose(short, ref[:, :10], atol=1e-4)
    print("causality check passed")


if __name__ == "__main__":
    main()

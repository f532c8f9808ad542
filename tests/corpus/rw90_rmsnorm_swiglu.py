"""Tiny pre-norm transformer encoder built from backend-agnostic Keras 3 pieces.

RMSNorm + SwiGLU feed-forward (as in LLaMA-style blocks), written only with
keras.ops so the same file runs on TensorFlow, JAX or PyTorch backends.
Trains for one epoch on a toy sequence-classification task and round-trips
the model through the native `.keras` format.
"""
import os
import tempfile

import numpy as np
import keras
from keras import layers, ops

SEQ_LEN = 32
VOCAB = 500
D_MODEL = 64
N_HEADS = 4
N_LAYERS = 2
N_CLASSES = 3
BATCH = 16


@keras.saving.register_keras_serializable(package="rw90")
class RMSNorm(layers.Layer):
    """Root-mean-square layer norm (no mean centering, no bias)."""

    def __init__(self, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.scale = self.add_weight(
            name="scale",
            shape=(input_shape[-1],),
            initializer="ones",
            trainable=True,
        )

    def call(self, x):
        # compute in float32 for stability under mixed precision
        x32 = ops.cast(x, "float32")
        var = ops.mean(ops.square(x32), axis=-1, keepdims=True)
        normed = x32 * ops.rsqrt(var + self.epsilon)
        return ops.cast(normed, self.compute_dtype) * self.scale

    def get_config(self):
        config = super().get_config()
        config.update({"epsilon": self.epsilon})
        return config


@keras.saving.register_keras_serializable(package="rw90")
class SwiGLU(layers.Layer):
    """Gated FFN: W2( silu(W1 x) * (W3 x) )."""

    def __init__(self, hidden_dim, multiple_of=32, **kwargs):
        super().__init__(**kwargs)
        # round hidden dim like the reference implementation does
        hidden_dim = int(2 * hidden_dim / 3)
        self.hidden_dim = multiple_of * ((hidden_dim + multiple_of - 1) // multiple_of)
        self.multiple_of = multiple_of

    def build(self, input_shape):
        d = input_shape[-1]
        self.w_gate = self.add_weight(name="w_gate", shape=(d, self.hidden_dim),
                                      initializer="glorot_uniform")
        self.w_up = self.add_weight(name="w_up", shape=(d, self.hidden_dim),
                                    initializer="glorot_uniform")
        self.w_down = self.add_weight(name="w_down", shape=(self.hidden_dim, d),
                                      initializer="glorot_uniform")

    def call(self, x):
        gate = ops.silu(ops.matmul(x, self.w_gate))
        up = ops.matmul(x, self.w_up)
        return ops.matmul(gate * up, self.w_down)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        # store the *original* requested width so from_config reproduces it
        config.update({"hidden_dim": int(self.hidden_dim * 3 / 2),
                       "multiple_of": self.multiple_of})
        return config


@keras.saving.register_keras_serializable(package="rw90")
class PaddingMask(layers.Layer):
    """Boolean mask of non-pad positions (pad id = 0)."""

    def call(self, tokens):
        return ops.not_equal(tokens, 0)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="rw90")
class EncoderBlock(layers.Layer):
    def __init__(self, d_model, num_heads, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.d_model = d_model
        self.num_heads = num_heads
        self.dropout_rate = dropout
        self.norm1 = RMSNorm(name="attn_norm")
        self.attn = layers.MultiHeadAttention(
            num_heads=num_heads, key_dim=d_model // num_heads, dropout=dropout
        )
        self.norm2 = RMSNorm(name="ffn_norm")
        self.ffn = SwiGLU(4 * d_model)
        self.drop = layers.Dropout(dropout)

    def build(self, input_shape):
        self.norm1.build(input_shape)
        self.attn.build(input_shape, input_shape)
        self.norm2.build(input_shape)
        self.ffn.build(input_shape)

    def call(self, x, padding_mask=None, training=False):
        attn_mask = None
        if padding_mask is not None:
            # (B, T) -> (B, 1, T) so every query sees the same key mask
            attn_mask = ops.expand_dims(padding_mask, axis=1)
        h = self.norm1(x)
        h = self.attn(h, h, attention_mask=attn_mask, training=training)
        x = x + self.drop(h, training=training)
        h = self.ffn(self.norm2(x))
        return x + self.drop(h, training=training)

    def get_config(self):
        config = super().get_config()
        config.update({"d_model": self.d_model, "num_heads": self.num_heads,
                       "dropout": self.dropout_rate})
        return config


def build_model():
    tokens = keras.Input(shape=(SEQ_LEN,), dtype="int32", name="tokens")
    mask = PaddingMask(name="pad_mask")(tokens)
    x = layers.Embedding(VOCAB, D_MODEL, name="tok_emb")(tokens)
    for i in range(N_LAYERS):
        x = EncoderBlock(D_MODEL, N_HEADS, name=f"block_{i}")(x, padding_mask=mask)
    x = RMSNorm(name="final_norm")(x)
    # masked mean pooling
    m = ops.expand_dims(ops.cast(mask, x.dtype), -1)
    pooled = ops.sum(x * m, axis=1) / ops.maximum(ops.sum(m, axis=1), 1.0)
    out = layers.Dense(N_CLASSES, name="head")(pooled)
    return keras.Model(tokens, out, name="rms_swiglu_encoder")


def make_data(n=192, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, size=(n, SEQ_LEN)).astype("int32")
    lengths = rng.integers(8, SEQ_LEN + 1, size=n)
    for i, L in enumerate(lengths):
        x[i, L:] = 0
    # label depends on the fraction of "high" tokens, so it's learnable
    frac = ((x > VOCAB // 2) & (x > 0)).sum(1) / lengths
    y = np.digitize(frac, [0.45, 0.55]).astype("int32")
    return x, y


if __name__ == "__main__":
    keras.utils.set_random_seed(42)
    model = build_model()
    model.summary(line_length=90)

    x, y = make_data()
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=3e-4, weight_decay=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(x, y, batch_size=BATCH, epochs=1, validation_split=0.2, verbose=2)

    path = os.path.join(tempfile.mkdtemp(), "encoder.keras")
    model.save(path)
    restored = keras.saving.load_model(path, safe_mode=False)
    a = model.predict(x[:8], verbose=0)
    b = restored.predict(x[:8], verbose=0)
    print("reload max abs diff:", float(np.max(np.abs(a - b))))
    assert np.allclose(a, b, atol=1e-5)

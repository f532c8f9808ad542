"""Hand-written multi-head self-attention built on layers.EinsumDense.

Q/K/V projections use EinsumDense to go straight to (batch, seq, heads, dim)
without reshapes; attention scores are computed with ops.einsum, a causal
mask is built from ops.arange, and the output projection is another
EinsumDense contracting heads and head_dim.  The block is used in a tiny
causal language model trained on random token ids.  RMSNormalization is
used as the pre-norm.
"""
import numpy as np
import keras
from keras import layers, ops

VOCAB = 256
SEQ_LEN = 24
DIM = 64
HEADS = 4
HEAD_DIM = DIM // HEADS


@keras.saving.register_keras_serializable(package="rw13")
class EinsumSelfAttention(layers.Layer):
    def __init__(self, num_heads, head_dim, causal=True, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.num_heads = num_heads
        self.head_dim = head_dim
        self.causal = causal
        self.dropout = dropout
        self.attn_drop = layers.Dropout(dropout)

    def build(self, input_shape):
        model_dim = input_shape[-1]
        proj = dict(
            equation="btd,dnh->btnh",
            output_shape=(None, self.num_heads, self.head_dim),
            bias_axes="nh",
        )
        self.q_proj = layers.EinsumDense(**proj, name="query")
        self.k_proj = layers.EinsumDense(**proj, name="key")
        self.v_proj = layers.EinsumDense(**proj, name="value")
        self.o_proj = layers.EinsumDense(
            "btnh,nhd->btd", output_shape=(None, model_dim), bias_axes="d", name="out"
        )
        for p in (self.q_proj, self.k_proj, self.v_proj):
            p.build(input_shape)
        self.o_proj.build((input_shape[0], input_shape[1], self.num_heads, self.head_dim))

    def call(self, x, training=None):
        q = self.q_proj(x)
        k = self.k_proj(x)
        v = self.v_proj(x)
        q = q * (self.head_dim ** -0.5)
        scores = ops.einsum("bqnh,bknh->bnqk", q, k)
        if self.causal:
            length = ops.shape(x)[1]
            i = ops.arange(length)
            mask = ops.expand_dims(i, 1) >= ops.expand_dims(i, 0)  # (T, T)
            scores = ops.where(mask[None, None], scores, ops.cast(-1e9, scores.dtype))
        weights = ops.softmax(scores, axis=-1)
        weights = self.attn_drop(weights, training=training)
        context = ops.einsum("bnqk,bknh->bqnh", weights, v)
        return self.o_proj(context)

    def get_config(self):
        return {
            **super().get_config(),
            "num_heads": self.num_heads,
            "head_dim": self.head_dim,
            "causal": self.causal,
            "dropout": self.dropout,
        }


def decoder_block(x, i):
    h = layers.RMSNormalization(name=f"blk{i}_rms1")(x)
    h = EinsumSelfAttention(HEADS, HEAD_DIM, dropout=0.1, name=f"blk{i}_attn")(h)
    x = layers.Add()([x, h])
    h = layers.RMSNormalization(name=f"blk{i}_rms2")(x)
    h = layers.EinsumDense("btd,df->btf", output_shape=(None, 4 * DIM), activation="gelu",
                           bias_axes="f", name=f"blk{i}_up")(h)
    h = layers.EinsumDense("btf,fd->btd", output_shape=(None, DIM), bias_axes="d",
                           name=f"blk{i}_down")(h)
    return layers.Add()([x, h])


def build_lm(num_blocks=2):
    tokens = keras.Input((SEQ_LEN,), dtype="int32", name="tokens")
    x = layers.Embedding(VOCAB, DIM, name="tok_emb")(tokens)
    positions = ops.arange(SEQ_LEN)
    pos_emb = layers.Embedding(SEQ_LEN, DIM, name="pos_emb")(positions)
    x = x + ops.expand_dims(pos_emb, 0)
    for i in range(num_blocks):
        x = decoder_block(x, i)
    x = layers.RMSNormalization(name="final_rms")(x)
    logits = layers.Dense(VOCAB, name="lm_head")(x)
    return keras.Model(tokens, logits, name="einsum_lm")


if __name__ == "__main__":
    keras.utils.set_random_seed(5)
    data = np.random.randint(0, VOCAB, size=(128, SEQ_LEN + 1)).astype("int32")
    x, y = data[:, :-1], data[:, 1:]

    model = build_lm()
    model.compile(
        optimizer=keras.optimizers.AdamW(5e-4, weight_decay=0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="tok_acc")],
    )
    model.summary()
    model.fit(x, y, batch_size=32, epochs=1, verbose=2)

    # Greedy continuation of a short prompt (fixed-length window, padded with 0).
    prompt = [int(t) for t in x[0, :8]]
    for _ in range(5):
        window = np.zeros((1, SEQ_LEN), dtype="int32")
        window[0, : len(prompt)] = prompt[-SEQ_LEN:]
        logits = model.predict(window, verbose=0)
        next_id = int(np.argmax(logits[0, len(prompt) - 1]))
        prompt.append(next_id)
    print("generated:", prompt)

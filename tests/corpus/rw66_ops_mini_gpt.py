"""A tiny decoder-only transformer written with keras.ops only (no tf.* calls).

Because every tensor op goes through `keras.ops`, this file should run unchanged
on the TensorFlow, JAX or PyTorch backends. Includes causal self-attention with
an explicit mask, learned positional embeddings, a weight-tied output head and
temperature sampling via keras.random.categorical.
"""
import numpy as np
import keras
from keras import layers, ops

CONFIG = dict(
    vocab_size=48,
    max_len=24,
    d_model=32,
    n_heads=4,
    n_layers=2,
    ffn_mult=4,
    dropout=0.1,
    batch_size=16,
    train_sequences=256,
    seed=11,
)


class CausalSelfAttention(layers.Layer):
    def __init__(self, d_model, n_heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        assert d_model % n_heads == 0, "d_model must be divisible by n_heads"
        self.d_model = d_model
        self.n_heads = n_heads
        self.head_dim = d_model // n_heads
        self.qkv = layers.Dense(3 * d_model, use_bias=False)
        self.out = layers.Dense(d_model)
        self.attn_drop = layers.Dropout(dropout)

    def call(self, x, training=False):
        b, t = ops.shape(x)[0], ops.shape(x)[1]
        qkv = self.qkv(x)                                            # (b, t, 3d)
        qkv = ops.reshape(qkv, (b, t, 3, self.n_heads, self.head_dim))
        qkv = ops.transpose(qkv, (2, 0, 3, 1, 4))                    # (3, b, h, t, hd)
        q, k, v = qkv[0], qkv[1], qkv[2]

        scores = ops.einsum("bhqd,bhkd->bhqk", q, k) / ops.sqrt(float(self.head_dim))
        causal = ops.tril(ops.ones((t, t), dtype="bool"))
        scores = ops.where(causal[None, None, :, :], scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1)
        weights = self.attn_drop(weights, training=training)

        ctx = ops.einsum("bhqk,bhkd->bhqd", weights, v)
        ctx = ops.reshape(ops.transpose(ctx, (0, 2, 1, 3)), (b, t, self.d_model))
        return self.out(ctx)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(d_model=self.d_model, n_heads=self.n_heads,
                   dropout=self.attn_drop.rate)
        return cfg


class DecoderBlock(layers.Layer):
    def __init__(self, d_model, n_heads, ffn_mult=4, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.ln1 = layers.LayerNormalization(epsilon=1e-5)
        self.ln2 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = CausalSelfAttention(d_model, n_heads, dropout)
        self.ffn_in = layers.Dense(d_model * ffn_mult, activation="gelu")
        self.ffn_out = layers.Dense(d_model)
        self.drop = layers.Dropout(dropout)
        self._cfg = dict(d_model=d_model, n_heads=n_heads, ffn_mult=ffn_mult, dropout=dropout)

    def call(self, x, training=False):
        x = x + self.drop(self.attn(self.ln1(x), training=training), training=training)
        h = self.ffn_out(self.ffn_in(self.ln2(x)))
        return x + self.drop(h, training=training)

    def get_config(self):
        return {**super().get_config(), **self._cfg}


class TiedLMHead(layers.Layer):
    """Projects hidden states back to vocab logits using the embedding matrix."""

    def __init__(self, embedding, **kwargs):
        super().__init__(**kwargs)
        self.embedding = embedding

    def build(self, input_shape):
        vocab = self.embedding.input_dim
        self.bias = self.add_weight(shape=(vocab,), initializer="zeros", name="bias")

    def call(self, h):
        return ops.matmul(h, ops.transpose(self.embedding.embeddings)) + self.bias


class MiniGPT(keras.Model):
    def __init__(self, vocab_size, max_len, d_model, n_heads, n_layers,
                 ffn_mult=4, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_len = max_len
        self.tok_emb = layers.Embedding(vocab_size, d_model, name="tok_emb")
        self.pos_emb = layers.Embedding(max_len, d_model, name="pos_emb")
        self.blocks = [DecoderBlock(d_model, n_heads, ffn_mult, dropout, name=f"block_{i}")
                       for i in range(n_layers)]
        self.ln_f = layers.LayerNormalization(epsilon=1e-5)
        self.head = TiedLMHead(self.tok_emb, name="lm_head")

    def call(self, token_ids, training=False):
        t = ops.shape(token_ids)[1]
        positions = ops.expand_dims(ops.arange(t), 0)
        x = self.tok_emb(token_ids) + self.pos_emb(positions)
        for block in self.blocks:
            x = block(x, training=training)
        return self.head(self.ln_f(x))


def make_copy_task(n, max_len, vocab, rng):
    """Sequences like  a b c d | a b c d  -- the second half copies the first."""
    half = max_len // 2
    first = rng.integers(2, vocab, size=(n, half))
    seq = np.concatenate([first, first], axis=1)
    return seq[:, :-1].astype("int32"), seq[:, 1:].astype("int32")


def sample(model, prompt, steps, temperature=1.0, seed=None):
    seed_gen = keras.random.SeedGenerator(seed)
    tokens = ops.convert_to_tensor(prompt, dtype="int32")
    for _ in range(steps):
        window = tokens[:, -(model.max_len - 1):]
        logits = model(window, training=False)[:, -1, :] / temperature
        nxt = keras.random.categorical(logits, 1, seed=seed_gen, dtype="int32")
        tokens = ops.concatenate([tokens, nxt], axis=1)
    return tokens


def main():
    cfg = CONFIG
    keras.utils.set_random_seed(cfg["seed"])
    rng = np.random.default_rng(cfg["seed"])
    x, y = make_copy_task(cfg["train_sequences"], cfg["max_len"], cfg["vocab_size"], rng)
    print("inputs:", x.shape, "targets:", y.shape)

    model = MiniGPT(cfg["vocab_size"], cfg["max_len"], cfg["d_model"], cfg["n_heads"],
                    cfg["n_layers"], cfg["ffn_mult"], cfg["dropout"])
    logits = model(x[:2])
    print("logits:", tuple(logits.shape))

    lr = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=64, alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.Adam(lr, global_clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    model.fit(x, y, batch_size=cfg["batch_size"], epochs=2, verbose=2)
    model.summary()

    prompt = x[:2, : cfg["max_len"] // 2]
    out = sample(model, prompt, steps=6, temperature=0.7, seed=cfg["seed"])
    print("prompt :", prompt[0].tolist())
    print("sampled:", ops.convert_to_numpy(out)[0, prompt.shape[1]:].tolist())


if __name__ == "__main__":
    main()

"""miniGPT on a byte-level BPE tokenizer (minbpe-style), trained for a few steps.

- Tokenizer: starts from the 256 raw UTF-8 bytes and greedily merges the most frequent
  adjacent id pair, recording merges as {(id_a, id_b): new_id}.
- Model: decoder-only Transformer; the causal self-attention layer creates its own
  kernels in build() and does the head split / merge with einsum.
- Decoding: greedy, temperature + top-k, and nucleus (top-p) sampling. The forward
  pass is a tf.function over a fixed-size, left-aligned window so it traces once.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

keras.utils.set_random_seed(2024)

NUM_MERGES = 64
CONTEXT = 48
D_MODEL = 64
N_HEAD = 4
N_LAYER = 2
BATCH_SIZE = 32
STEPS = 40

TEXT = (
    "the quick brown fox jumps over the lazy dog. "
    "a lazy dog sleeps in the warm sun while the quick fox runs. "
    "the brown dog and the brown fox are friends. "
    "every morning the fox jumps over the sleeping dog and laughs. "
) * 30


# ----------------------------------------------------------------------------
# byte-level BPE
# ----------------------------------------------------------------------------
def get_stats(ids, counts=None):
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts


def merge(ids, pair, idx):
    new_ids, i = [], 0
    while i < len(ids):
        if i < len(ids) - 1 and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            new_ids.append(idx)
            i += 2
        else:
            new_ids.append(ids[i])
            i += 1
    return new_ids


class ByteBPETokenizer:
    def __init__(self):
        self.merges = {}
        self.vocab = {i: bytes([i]) for i in range(256)}

    def train(self, text, num_merges, verbose=False):
        ids = list(text.encode("utf-8"))
        for k in range(num_merges):
            stats = get_stats(ids)
            pair = max(stats, key=stats.get)
            idx = 256 + k
            ids = merge(ids, pair, idx)
            self.merges[pair] = idx
            self.vocab[idx] = self.vocab[pair[0]] + self.vocab[pair[1]]
            if verbose and k < 5:
                print(f"merge {k + 1}: {pair} -> {idx} ({self.vocab[idx]!r})")
        return self

    def encode(self, text):
        ids = list(text.encode("utf-8"))
        while len(ids) >= 2:
            stats = get_stats(ids)
            # pick the pair that was merged earliest during training
            pair = min(stats, key=lambda p: self.merges.get(p, float("inf")))
            if pair not in self.merges:
                break
            ids = merge(ids, pair, self.merges[pair])
        return ids

    def decode(self, ids):
        return b"".join(self.vocab[int(i)] for i in ids).decode("utf-8", errors="replace")

    @property
    def vocab_size(self):
        return 256 + len(self.merges)


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
class CausalSelfAttention(layers.Layer):
    def __init__(self, n_head, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.n_head = n_head
        self.attn_drop = layers.Dropout(dropout)
        self.resid_drop = layers.Dropout(dropout)

    def build(self, input_shape):
        d_model = input_shape[-1]
        assert d_model % self.n_head == 0, "d_model must be divisible by n_head"
        self.head_dim = d_model // self.n_head
        self.w_qkv = self.add_weight(name="w_qkv", shape=(d_model, 3, self.n_head, self.head_dim),
                                     initializer="glorot_uniform")
        self.b_qkv = self.add_weight(name="b_qkv", shape=(3, self.n_head, self.head_dim),
                                     initializer="zeros")
        self.w_out = self.add_weight(name="w_out", shape=(self.n_head, self.head_dim, d_model),
                                     initializer="glorot_uniform")
        self.b_out = self.add_weight(name="b_out", shape=(d_model,), initializer="zeros")

    def call(self, x, training=None):
        t = ops.shape(x)[1]
        qkv = ops.einsum("btd,dkhe->kbhte", x, self.w_qkv)
        qkv = qkv + ops.expand_dims(ops.expand_dims(self.b_qkv, 1), 3)  # (3,1,H,1,E)
        q, k, v = qkv[0], qkv[1], qkv[2]                                 # (B, H, T, E)

        att = ops.einsum("bhqe,bhke->bhqk", q, k) / ops.sqrt(ops.cast(self.head_dim, x.dtype))
        causal = ops.tril(ops.ones((t, t), dtype="bool"))
        att = ops.where(causal[None, None, :, :], att, ops.full_like(att, -1e9))
        att = self.attn_drop(ops.softmax(att, axis=-1), training=training)

        y = ops.einsum("bhqk,bhke->bhqe", att, v)
        y = ops.einsum("bhte,hed->btd", y, self.w_out) + self.b_out
        return self.resid_drop(y, training=training)


class Block(layers.Layer):
    def __init__(self, d_model, n_head, **kwargs):
        super().__init__(**kwargs)
        self.ln_1 = layers.LayerNormalization(epsilon=1e-5)
        self.attn = CausalSelfAttention(n_head)
        self.ln_2 = layers.LayerNormalization(epsilon=1e-5)
        self.mlp = keras.Sequential([
            layers.Dense(4 * d_model, activation="gelu"),
            layers.Dense(d_model),
            layers.Dropout(0.1),
        ])

    def call(self, x, training=None):
        x = x + self.attn(self.ln_1(x), training=training)
        return x + self.mlp(self.ln_2(x), training=training)


def build_gpt(vocab_size):
    idx = keras.Input(shape=(CONTEXT,), dtype="int32", name="idx")
    tok = layers.Embedding(vocab_size, D_MODEL, name="wte")(idx)
    pos = layers.Embedding(CONTEXT, D_MODEL, name="wpe")(ops.arange(CONTEXT))
    x = layers.Dropout(0.1)(tok + pos)
    for i in range(N_LAYER):
        x = Block(D_MODEL, N_HEAD, name=f"h{i}")(x)
    x = layers.LayerNormalization(epsilon=1e-5, name="ln_f")(x)
    logits = layers.Dense(vocab_size, use_bias=False, name="lm_head")(x)
    return keras.Model(idx, logits, name="minigpt")


# ----------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------
def make_lm_dataset(token_ids):
    ids = tf.constant(token_ids, dtype=tf.int32)
    ds = tf.data.Dataset.from_tensor_slices(ids).batch(CONTEXT + 1, drop_remainder=True)
    # also add shifted windows so the model sees every offset
    shifted = tf.data.Dataset.from_tensor_slices(ids[CONTEXT // 2:]).batch(CONTEXT + 1, drop_remainder=True)
    ds = ds.concatenate(shifted)
    ds = ds.map(lambda chunk: (chunk[:-1], chunk[1:]))
    return ds.shuffle(512).repeat().batch(BATCH_SIZE, drop_remainder=True).prefetch(2)


# ----------------------------------------------------------------------------
# sampling
# ----------------------------------------------------------------------------
def top_k_filter(logits, k):
    values, _ = ops.top_k(logits, k=k)
    min_values = values[:, -1:]
    return ops.where(logits < min_values, ops.full_like(logits, -1e9), logits)


def top_p_filter(logits, p):
    sorted_logits = ops.sort(logits, axis=-1)[:, ::-1]
    cum_probs = ops.cumsum(ops.softmax(sorted_logits, axis=-1), axis=-1)
    # number of tokens needed to reach mass p (at least one)
    n_keep = ops.maximum(ops.sum(ops.cast(cum_probs < p, "int32"), axis=-1, keepdims=True) + 1, 1)
    cutoff = ops.take_along_axis(sorted_logits, n_keep - 1, axis=-1)
    return ops.where(logits < cutoff, ops.full_like(logits, -1e9), logits)


def generate(model, tokenizer, prompt, max_new_tokens=30, strategy="greedy",
             temperature=1.0, top_k=10, top_p=0.9):
    @tf.function(input_signature=[tf.TensorSpec([1, CONTEXT], tf.int32), tf.TensorSpec([], tf.int32)])
    def next_token_logits(window, last_pos):
        logits = model(window, training=False)
        return tf.gather(logits, last_pos, axis=1)  # (1, V)

    ids = tokenizer.encode(prompt)
    for _ in range(max_new_tokens):
        ctx = ids[-CONTEXT:]
        window = np.zeros((1, CONTEXT), dtype=np.int32)
        window[0, : len(ctx)] = ctx  # left-aligned; causal mask makes the padding harmless
        logits = next_token_logits(tf.constant(window), tf.constant(len(ctx) - 1, tf.int32))

        if strategy == "greedy":
            nxt = int(ops.argmax(logits, axis=-1)[0])
        else:
            logits = logits / temperature
            if strategy == "top_k":
                logits = top_k_filter(logits, top_k)
            elif strategy == "top_p":
                logits = top_p_filter(logits, top_p)
            nxt = int(tf.random.categorical(logits, num_samples=1)[0, 0])
        ids.append(nxt)
    return tokenizer.decode(ids)


def main():
    tokenizer = ByteBPETokenizer().train(TEXT, NUM_MERGES, verbose=True)
    token_ids = tokenizer.encode(TEXT)
    ratio = len(TEXT.encode("utf-8")) / len(token_ids)
    print(f"vocab={tokenizer.vocab_size} tokens={len(token_ids)} compression={ratio:.2f}x")
    assert tokenizer.decode(tokenizer.encode("the lazy fox")) == "the lazy fox"

    ds = make_lm_dataset(token_ids)
    xb, yb = next(iter(ds))
    print("x batch:", xb.shape, "y batch:", yb.shape)

    model = build_gpt(tokenizer.vocab_size)
    model.summary()
    model.compile(
        optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=0.1, beta_2=0.95,
                                         clipnorm=1.0),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(ds, epochs=2, steps_per_epoch=STEPS // 2, verbose=2)

    for strategy in ("greedy", "top_k", "top_p"):
        text = generate(model, tokenizer, "the quick", max_new_tokens=20, strategy=strategy,
                        temperature=0.8)
        print(f"[{strategy:6s}] {text!r}")


if __name__ == "__main__":
    main()

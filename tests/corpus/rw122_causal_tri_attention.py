# Causal self-attention + running-mean mixer written with keras.ops only.
# Masks come from ops.tril / ops.triu / ops.tri, projections are einsums.
# Trained with a hand-written tf.function loop on a toy "copy-the-max-so-far" task.
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import ops

CFG = dict(
    vocab=20,
    seq_len=16,
    d_model=32,
    heads=4,
    n_blocks=2,
    window=4,          # local band width for the banded-attention head
    batch=32,
    n_train=512,
    steps=30,
    lr=3e-3,
    seed=1234,
)

keras.utils.set_random_seed(CFG["seed"])


# --------------------------------------------------------------------------- data
def make_sequences(n, seq_len, vocab, rng):
    toks = rng.integers(1, vocab, size=(n, seq_len)).astype("int32")
    # target at t = max(token[0..t]) -> needs only the causal past
    targets = np.maximum.accumulate(toks, axis=1).astype("int32")
    return toks, targets


# --------------------------------------------------------------------------- layers
class CausalSelfAttention(keras.layers.Layer):
    def __init__(self, d_model, heads, window=None, **kwargs):
        super().__init__(**kwargs)
        assert d_model % heads == 0
        self.d_model = d_model
        self.heads = heads
        self.head_dim = d_model // heads
        self.window = window

    def build(self, input_shape):
        d_in = input_shape[-1]
        init = keras.initializers.GlorotUniform()
        self.w_qkv = self.add_weight(name="w_qkv", shape=(3, d_in, self.heads, self.head_dim),
                                     initializer=init)
        self.w_out = self.add_weight(name="w_out", shape=(self.heads, self.head_dim, self.d_model),
                                     initializer=init)
        self.b_out = self.add_weight(name="b_out", shape=(self.d_model,), initializer="zeros")

    def _allowed(self, seq_len):
        # NB: built inside call(), not build(): tensors created in build() can end
        # up in a scratch graph and are not reusable from the traced call.
        # lower triangle = allowed positions (query i may look at key j <= i)
        causal = ops.tril(ops.ones((seq_len, seq_len), dtype="float32"))
        if self.window is not None:
            # drop keys older than `window` steps: keep triu(k=-(window-1))
            causal = causal * ops.triu(ops.ones((seq_len, seq_len)), k=-(self.window - 1))
        return causal

    def call(self, x):
        mask = self._allowed(x.shape[1])
        qkv = ops.einsum("btd,sdhk->sbhtk", x, self.w_qkv)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = ops.einsum("bhqk,bhsk->bhqs", q, k) / math.sqrt(self.head_dim)
        neg_inf = ops.full_like(scores, -1e9)
        scores = ops.where(mask[None, None] > 0, scores, neg_inf)
        attn = ops.softmax(scores, axis=-1)
        ctx = ops.einsum("bhqs,bhsk->bhqk", attn, v)
        return ops.einsum("bhqk,hkd->bqd", ctx, self.w_out) + self.b_out

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.d_model)


class PrefixMean(keras.layers.Layer):
    """Cumulative mean over time, via a lower-triangular averaging matrix from ops.tri."""

    def build(self, input_shape):
        self.gate = self.add_weight(name="gate", shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        t = x.shape[1]
        tri = ops.tri(t, t, k=0, dtype=x.dtype)
        avg = tri / ops.sum(tri, axis=1, keepdims=True)
        running = ops.einsum("ts,bsd->btd", avg, x)
        g = ops.sigmoid(self.gate)
        return g * running + (1.0 - g) * x

    def compute_output_shape(self, input_shape):
        return input_shape


class Block(keras.layers.Layer):
    def __init__(self, d_model, heads, window, **kwargs):
        super().__init__(**kwargs)
        self.norm1 = keras.layers.LayerNormalization()
        self.attn = CausalSelfAttention(d_model, heads, window=window)
        self.norm2 = keras.layers.LayerNormalization()
        self.mix = PrefixMean()
        self.ff = keras.Sequential([keras.layers.Dense(2 * d_model, activation="relu"),
                                    keras.layers.Dense(d_model)])

    def call(self, x):
        x = x + self.attn(self.norm1(x))
        x = x + self.ff(self.mix(self.norm2(x)))
        return x


class TinyCausalLM(keras.Model):
    def __init__(self, cfg, **kwargs):
        super().__init__(**kwargs)
        self.embed = keras.layers.Embedding(cfg["vocab"], cfg["d_model"])
        self.pos = self.add_weight(name="pos_emb", shape=(cfg["seq_len"], cfg["d_model"]),
                                   initializer=keras.initializers.RandomNormal(stddev=0.02))
        # alternate full-causal and banded blocks
        self.blocks = [Block(cfg["d_model"], cfg["heads"], window=None if i % 2 == 0 else cfg["window"],
                             name=f"block_{i}")
                       for i in range(cfg["n_blocks"])]
        self.head = keras.layers.Dense(cfg["vocab"])

    def call(self, tokens):
        h = self.embed(tokens) + self.pos
        for blk in self.blocks:
            h = blk(h)
        return self.head(h)


# --------------------------------------------------------------------------- training
def main():
    rng = np.random.default_rng(CFG["seed"])
    x, y = make_sequences(CFG["n_train"], CFG["seq_len"], CFG["vocab"], rng)
    ds = (tf.data.Dataset.from_tensor_slices((x, y))
          .shuffle(CFG["n_train"], seed=CFG["seed"])
          .repeat()
          .batch(CFG["batch"], drop_remainder=True))

    model = TinyCausalLM(CFG)
    model(x[:2])  # build
    print(f"params: {model.count_params():,}")

    opt = keras.optimizers.Adam(CFG["lr"])
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    acc = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            logits = model(xb, training=True)
            loss = loss_fn(yb, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        acc.update_state(yb, logits)
        return loss

    t0 = time.time()
    for step, (xb, yb) in enumerate(ds.take(CFG["steps"])):
        loss = train_step(xb, yb)
        if step % 10 == 0 or step == CFG["steps"] - 1:
            print(f"step {step:3d}  loss={float(loss):.4f}  acc={float(acc.result()):.3f}")
    print(f"trained {CFG['steps']} steps in {time.time() - t0:.1f}s")

    # sanity: changing a future token must not change earlier logits
    probe = x[:1].copy()
    base = ops.convert_to_numpy(model(probe))
    probe[0, -1] = (probe[0, -1] % (CFG["vocab"] - 1)) + 1
    bumped = ops.convert_to_numpy(model(probe))
    leak = np.abs(base[0, :-1] - bumped[0, :-1]).max()
    print(f"max change in past logits after editing last token: {leak:.2e}")
    assert leak < 1e-4, "causal mask is leaking future information"


if __name__ == "__main__":
    main()

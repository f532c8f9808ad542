"""Hand-built padding + causal masks for a tiny self-attention classifier.

Sequences of variable length are right-padded with PAD_ID=0. We build the
key padding mask with tf.math.not_equal, a lower-triangular causal mask with
tf.linalg.band_part, combine them, and feed the result to a scaled
dot-product attention written from scratch. Trained with a custom loop.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
PAD_ID = 0
VOCAB = 40
MAX_LEN = 24
D_MODEL = 32
NUM_HEADS = 4
N_SAMPLES = 384
BATCH = 32
EPOCHS = 2

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_dataset(n):
    """Label = 1 if token 7 occurs more often than token 9 in the sequence."""
    xs = np.zeros((n, MAX_LEN), dtype=np.int32)
    ys = np.zeros((n,), dtype=np.int32)
    for i in range(n):
        length = rng.integers(5, MAX_LEN + 1)
        seq = rng.integers(1, VOCAB, size=length)
        xs[i, :length] = seq
        ys[i] = int((seq == 7).sum() > (seq == 9).sum())
    return xs, ys


def padding_mask(tokens):
    # [B, T] -> [B, 1, 1, T]  (True where the key is a real token)
    mask = tf.math.not_equal(tokens, PAD_ID)
    return mask[:, tf.newaxis, tf.newaxis, :]


def causal_mask(length):
    ones = tf.ones((length, length), dtype=tf.bool)
    # keep lower triangle incl. diagonal -> query i can see keys <= i
    lower = tf.linalg.band_part(tf.cast(ones, tf.int32), -1, 0)
    return tf.cast(lower, tf.bool)[tf.newaxis, tf.newaxis, :, :]


def combined_mask(tokens):
    t = tf.shape(tokens)[1]
    return tf.logical_and(padding_mask(tokens), causal_mask(t))


def scaled_dot_product_attention(q, k, v, mask=None):
    d_k = tf.cast(tf.shape(k)[-1], q.dtype)
    scores = tf.matmul(q, k, transpose_b=True) / tf.math.sqrt(d_k)
    if mask is not None:
        # large negative instead of -inf to keep fully masked rows finite
        scores = tf.where(mask, scores, tf.fill(tf.shape(scores), -1e9))
    weights = tf.nn.softmax(scores, axis=-1)
    return tf.matmul(weights, v), weights


class MaskedSelfAttention(layers.Layer):
    def __init__(self, d_model, num_heads, **kwargs):
        super().__init__(**kwargs)
        assert d_model % num_heads == 0
        self.d_model = d_model
        self.num_heads = num_heads
        self.depth = d_model // num_heads
        self.wq = layers.Dense(d_model, use_bias=False)
        self.wk = layers.Dense(d_model, use_bias=False)
        self.wv = layers.Dense(d_model, use_bias=False)
        self.wo = layers.Dense(d_model)

    def _split(self, x):
        b = tf.shape(x)[0]
        x = tf.reshape(x, (b, -1, self.num_heads, self.depth))
        return tf.transpose(x, [0, 2, 1, 3])

    def call(self, x, mask=None):
        q, k, v = self._split(self.wq(x)), self._split(self.wk(x)), self._split(self.wv(x))
        out, attn = scaled_dot_product_attention(q, k, v, mask)
        out = tf.transpose(out, [0, 2, 1, 3])
        out = tf.reshape(out, (tf.shape(x)[0], -1, self.d_model))
        return self.wo(out), attn


class TinyCausalClassifier(keras.Model):
    def __init__(self):
        super().__init__()
        self.embed = layers.Embedding(VOCAB, D_MODEL)
        self.pos = layers.Embedding(MAX_LEN, D_MODEL)
        self.attn = MaskedSelfAttention(D_MODEL, NUM_HEADS)
        self.norm1 = layers.LayerNormalization()
        self.ffn = keras.Sequential([layers.Dense(64, activation="gelu"), layers.Dense(D_MODEL)])
        self.norm2 = layers.LayerNormalization()
        self.head = layers.Dense(2)

    def call(self, tokens, training=False):
        t = tf.shape(tokens)[1]
        h = self.embed(tokens) + self.pos(tf.range(t))[tf.newaxis]
        mask = combined_mask(tokens)
        a, _ = self.attn(h, mask=mask)
        h = self.norm1(h + a)
        h = self.norm2(h + self.ffn(h))
        # causal model: the last *real* token summarises the sequence
        lengths = tf.reduce_sum(tf.cast(tf.math.not_equal(tokens, PAD_ID), tf.int32), axis=1)
        last = tf.gather(h, lengths - 1, batch_dims=1)
        return self.head(last)


def sanity_check_masks():
    toks = tf.constant([[5, 3, 2, 0, 0], [1, 1, 0, 0, 0]], dtype=tf.int32)
    m = combined_mask(toks)
    print("combined mask shape:", m.shape)
    print("sample 0, head-broadcast mask:\n", tf.cast(m[0, 0], tf.int32).numpy())
    # every query row must see at least its own position if it is a real token
    diag = tf.linalg.diag_part(tf.cast(m[:, 0], tf.int32))
    tf.debugging.assert_equal(diag, tf.cast(tf.math.not_equal(toks, PAD_ID), tf.int32))


def main():
    sanity_check_masks()
    x, y = make_dataset(N_SAMPLES)
    split = int(0.8 * N_SAMPLES)
    train_ds = (tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
                .shuffle(512, seed=SEED).batch(BATCH))
    val_ds = tf.data.Dataset.from_tensor_slices((x[split:], y[split:])).batch(BATCH)

    model = TinyCausalClassifier()
    optimizer = keras.optimizers.Adam(2e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    val_acc = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(tokens, labels):
        with tf.GradientTape() as tape:
            logits = model(tokens, training=True)
            loss = loss_fn(labels, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_acc.update_state(labels, logits)
        return loss

    for epoch in range(EPOCHS):
        train_acc.reset_state()
        val_acc.reset_state()
        losses = [float(train_step(xb, yb)) for xb, yb in train_ds]
        for xb, yb in val_ds:
            val_acc.update_state(yb, model(xb))
        print(f"epoch {epoch + 1}: loss={np.mean(losses):.4f} "
              f"train_acc={train_acc.result():.3f} val_acc={val_acc.result():.3f}")

    # attention weights on padded keys should be ~0
    xb = tf.constant(x[:4])
    h = model.embed(xb) + model.pos(tf.range(MAX_LEN))[tf.newaxis]
    _, attn = model.attn(h, mask=combined_mask(xb))
    pad_keys = tf.logical_not(padding_mask(xb))
    leaked = tf.reduce_max(tf.where(pad_keys, attn, 0.0))
    print(f"max attention mass on padded keys: {float(leaked):.2e}")


if __name__ == "__main__":
    main()

# Multi-head self-attention written by hand with keras.ops
# (split / reshape / transpose / matmul / softmax), token embeddings via ops.take,
# and a model with a custom train_step.  Synthetic "reviews" for speed.
import numpy as np
import tensorflow as tf
import keras
from keras import ops, layers

VOCAB = 500
MAXLEN = 40
EMBED = 32
HEADS = 4
FF = 64


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim

    def build(self, input_shape):
        self.token_table = self.add_weight(
            shape=(self.vocab_size, self.embed_dim), initializer="uniform", name="tok")
        self.pos_table = self.add_weight(
            shape=(self.maxlen, self.embed_dim), initializer="uniform", name="pos")

    def call(self, x):
        seq_len = ops.shape(x)[-1]
        positions = ops.arange(0, seq_len)
        tok = ops.take(self.token_table, ops.cast(x, "int32"), axis=0)
        pos = ops.take(self.pos_table, positions, axis=0)
        return tok + pos

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.embed_dim,)


class SelfAttention(layers.Layer):
    def __init__(self, dim, num_heads, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        assert dim % num_heads == 0
        self.dim = dim
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = layers.Dense(dim * 3, use_bias=False)
        self.proj = layers.Dense(dim)
        self.attn_drop = layers.Dropout(dropout)

    def _split_heads(self, t, batch, seq):
        t = ops.reshape(t, (batch, seq, self.num_heads, self.head_dim))
        return ops.transpose(t, (0, 2, 1, 3))  # B, H, N, hd

    def call(self, x, mask=None, training=False, return_scores=False):
        batch, seq = ops.shape(x)[0], ops.shape(x)[1]
        qkv = self.qkv(x)
        q, k, v = ops.split(qkv, 3, axis=-1)
        q = self._split_heads(q, batch, seq)
        k = self._split_heads(k, batch, seq)
        v = self._split_heads(v, batch, seq)

        scores = ops.matmul(q, ops.transpose(k, (0, 1, 3, 2)))
        scores = scores / ops.sqrt(ops.cast(self.head_dim, scores.dtype))
        if mask is not None:
            # mask: (B, N) -> (B, 1, 1, N)
            m = ops.cast(mask[:, None, None, :], scores.dtype)
            scores = scores + (1.0 - m) * -1e9
        weights = ops.softmax(scores, axis=-1)
        weights = self.attn_drop(weights, training=training)

        out = ops.matmul(weights, v)  # B, H, N, hd
        out = ops.transpose(out, (0, 2, 1, 3))
        out = ops.reshape(out, (batch, seq, self.dim))
        out = self.proj(out)
        if return_scores:
            return out, weights
        return out


class EncoderBlock(layers.Layer):
    def __init__(self, dim, heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = SelfAttention(dim, heads, dropout=rate)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(dim)])
        self.ln1 = layers.LayerNormalization(epsilon=1e-6)
        self.ln2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop1 = layers.Dropout(rate)
        self.drop2 = layers.Dropout(rate)

    def call(self, x, mask=None, training=False):
        a = self.att(x, mask=mask, training=training)
        x = self.ln1(x + self.drop1(a, training=training))
        f = self.ffn(x)
        return self.ln2(x + self.drop2(f, training=training))


class TextClassifier(keras.Model):
    def __init__(self, num_layers=2, **kwargs):
        super().__init__(**kwargs)
        self.embed = TokenAndPositionEmbedding(MAXLEN, VOCAB, EMBED)
        self.blocks = [EncoderBlock(EMBED, HEADS, FF) for _ in range(num_layers)]
        self.pool = layers.GlobalAveragePooling1D()
        self.drop = layers.Dropout(0.1)
        self.hidden = layers.Dense(20, activation="relu")
        self.out = layers.Dense(1)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc = keras.metrics.BinaryAccuracy(name="acc", threshold=0.0)

    def call(self, tokens, training=False):
        mask = ops.not_equal(tokens, 0)
        x = self.embed(tokens)
        for blk in self.blocks:
            x = blk(x, mask=mask, training=training)
        x = self.pool(x)
        x = self.drop(x, training=training)
        x = self.hidden(x)
        return self.out(x)

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc]

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = keras.losses.binary_crossentropy(y, logits, from_logits=True)
            loss = ops.mean(loss)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply(grads, self.trainable_variables)
        self.loss_tracker.update_state(loss)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self(x, training=False)
        loss = ops.mean(keras.losses.binary_crossentropy(y, logits, from_logits=True))
        self.loss_tracker.update_state(loss)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}


def fake_reviews(n, rng):
    lengths = rng.integers(8, MAXLEN + 1, size=n)
    seqs = [list(rng.integers(1, VOCAB, size=L)) for L in lengths]
    labels = np.array([int(np.mean(s) > VOCAB / 2) for s in seqs], dtype="float32")
    padded = keras.utils.pad_sequences(seqs, maxlen=MAXLEN, padding="post")
    return padded, labels[:, None]


rng = np.random.default_rng(0)
x_train, y_train = fake_reviews(320, rng)
x_val, y_val = fake_reviews(64, rng)
print(x_train.shape, y_train.shape)

model = TextClassifier(num_layers=2)
model.compile(optimizer=keras.optimizers.Adam(2e-3))
model.fit(x_train, y_train, batch_size=32, epochs=2, validation_data=(x_val, y_val), verbose=2)

# peek at the attention maps of the first block
emb = model.embed(x_val[:3])
_, attn = model.blocks[0].att(emb, mask=ops.not_equal(x_val[:3], 0), return_scores=True)
print("embeddings:", emb.shape, "attention:", attn.shape)
print("row sums ~1:", np.round(ops.convert_to_numpy(ops.sum(attn[0, 0], axis=-1))[:5], 3))
print("logits:", model.predict(x_val[:5], verbose=0).ravel())

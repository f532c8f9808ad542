"""
Encoder-decoder transformer on a toy "reverse the digits" task, with every
mask built by hand and handed to keras.layers.MultiHeadAttention as a
boolean `attention_mask`:

    encoder self-attn : [B, S, S]  source padding (keys)
    decoder self-attn : [B, T, T]  causal (band_part) AND target padding
    cross-attn        : [B, T, S]  source padding broadcast over queries

Decoding runs fully in graph mode: tf.while_loop over a fixed-size buffer.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

PAD, BOS, EOS = 0, 1, 2
N_DIGITS = 10                     # digit d -> token d + 3
VOCAB = N_DIGITS + 3
MIN_LEN, MAX_LEN = 3, 9
SRC_LEN = MAX_LEN
TGT_LEN = MAX_LEN + 2             # BOS ... EOS
HP = dict(d_model=48, heads=4, ff=96, enc_layers=1, dec_layers=1, dropout=0.0)

keras.utils.set_random_seed(5)


# ----------------------------------------------------------------- data
def make_pairs(n, rs):
    src = np.full((n, SRC_LEN), PAD, np.int32)
    tgt = np.full((n, TGT_LEN), PAD, np.int32)
    for i in range(n):
        L = rs.randint(MIN_LEN, MAX_LEN + 1)
        digits = rs.randint(0, N_DIGITS, size=L) + 3
        src[i, :L] = digits
        tgt[i, :L + 2] = np.concatenate([[BOS], digits[::-1], [EOS]])
    return src, tgt


def split_teacher_forcing(src, tgt):
    return (src, tgt[:-1]), tgt[1:]


rs = np.random.RandomState(0)
train_src, train_tgt = make_pairs(512, rs)
test_src, test_tgt = make_pairs(64, rs)

train_ds = (tf.data.Dataset.from_tensor_slices((train_src, train_tgt))
            .shuffle(512, seed=0)
            .map(split_teacher_forcing)
            .batch(64))


# ---------------------------------------------------------------- masks
def key_padding(tokens):
    return tf.math.not_equal(tokens, PAD)                    # [B, S]


def self_pad_mask(tokens):
    k = key_padding(tokens)
    return tf.logical_and(k[:, None, :], tf.ones_like(k)[:, :, None])   # [B, S, S]


def decoder_self_mask(tgt_in):
    T = tf.shape(tgt_in)[1]
    causal = tf.cast(tf.linalg.band_part(tf.ones((T, T), tf.int8), -1, 0), tf.bool)
    return tf.logical_and(causal[None], key_padding(tgt_in)[:, None, :])


def cross_mask(tgt_in, src):
    T = tf.shape(tgt_in)[1]
    src_keys = key_padding(src)[:, None, :]                  # [B, 1, S]
    return tf.tile(src_keys, [1, T, 1])                       # [B, T, S]


# --------------------------------------------------------------- layers
class SinusoidalPosition(layers.Layer):
    def __init__(self, max_len, dim, **kw):
        super().__init__(**kw)
        pos = np.arange(max_len)[:, None]
        i = np.arange(dim)[None, :]
        angle = pos / np.power(10000, (2 * (i // 2)) / dim)
        table = np.where(i % 2 == 0, np.sin(angle), np.cos(angle))
        self.table = tf.constant(table, tf.float32)

    def call(self, x):
        return x + self.table[None, : tf.shape(x)[1]]


def ffn(hp, name):
    return keras.Sequential([layers.Dense(hp["ff"], activation="relu"),
                             layers.Dense(hp["d_model"])], name=name)


class EncoderLayer(layers.Layer):
    def __init__(self, hp, **kw):
        super().__init__(**kw)
        self.mha = layers.MultiHeadAttention(hp["heads"], hp["d_model"] // hp["heads"])
        self.ff = ffn(hp, "enc_ff")
        self.ln = [layers.LayerNormalization() for _ in range(2)]

    def call(self, x, mask):
        x = self.ln[0](x + self.mha(x, x, attention_mask=mask))
        return self.ln[1](x + self.ff(x))


class DecoderLayer(layers.Layer):
    def __init__(self, hp, **kw):
        super().__init__(**kw)
        kd = hp["d_model"] // hp["heads"]
        self.self_attn = layers.MultiHeadAttention(hp["heads"], kd)
        self.cross_attn = layers.MultiHeadAttention(hp["heads"], kd)
        self.ff = ffn(hp, "dec_ff")
        self.ln = [layers.LayerNormalization() for _ in range(3)]

    def call(self, y, memory, self_mask, mem_mask):
        y = self.ln[0](y + self.self_attn(y, y, attention_mask=self_mask))
        y = self.ln[1](y + self.cross_attn(y, memory, attention_mask=mem_mask))
        return self.ln[2](y + self.ff(y))


class Seq2SeqTransformer(keras.Model):
    def __init__(self, hp, **kw):
        super().__init__(**kw)
        self.src_emb = layers.Embedding(VOCAB, hp["d_model"])
        self.tgt_emb = layers.Embedding(VOCAB, hp["d_model"])
        self.pos = SinusoidalPosition(max(SRC_LEN, TGT_LEN), hp["d_model"])
        self.encoders = [EncoderLayer(hp, name=f"enc_{i}") for i in range(hp["enc_layers"])]
        self.decoders = [DecoderLayer(hp, name=f"dec_{i}") for i in range(hp["dec_layers"])]
        self.to_vocab = layers.Dense(VOCAB)

    def encode(self, src):
        h = self.pos(self.src_emb(src))
        m = self_pad_mask(src)
        for enc in self.encoders:
            h = enc(h, m)
        return h

    def decode(self, tgt_in, memory, src):
        y = self.pos(self.tgt_emb(tgt_in))
        sm, cm = decoder_self_mask(tgt_in), cross_mask(tgt_in, src)
        for dec in self.decoders:
            y = dec(y, memory, sm, cm)
        return self.to_vocab(y)

    def call(self, inputs):
        src, tgt_in = inputs
        return self.decode(tgt_in, self.encode(src), src)


def masked_sparse_ce(y_true, logits):
    y_true = tf.cast(y_true, tf.int32)   # keras hands targets over as float
    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_true, logits=logits)
    w = tf.cast(tf.math.not_equal(y_true, PAD), ce.dtype)
    return tf.reduce_sum(ce * w) / tf.reduce_sum(w)


def masked_acc(y_true, logits):
    y_true = tf.cast(y_true, tf.int32)
    pred = tf.argmax(logits, -1, output_type=tf.int32)
    w = tf.cast(tf.math.not_equal(y_true, PAD), tf.float32)
    return tf.reduce_sum(tf.cast(pred == y_true, tf.float32) * w) / tf.reduce_sum(w)


model = Seq2SeqTransformer(HP)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss=masked_sparse_ce, metrics=[masked_acc])
model.fit(train_ds, epochs=2, verbose=2)


# ------------------------------------------------------ graph-mode greedy
@tf.function(input_signature=[tf.TensorSpec([None, SRC_LEN], tf.int32)])
def greedy_decode(src):
    B = tf.shape(src)[0]
    memory = model.encode(src)
    buf = tf.concat([tf.fill([B, 1], BOS), tf.fill([B, TGT_LEN - 1], PAD)], axis=1)
    done = tf.zeros([B], tf.bool)
    positions = tf.range(TGT_LEN)[None, :]

    def cond(i, buf, done):
        return tf.logical_and(i < TGT_LEN - 1, tf.logical_not(tf.reduce_all(done)))

    def body(i, buf, done):
        logits = model.decode(buf, memory, src)                   # [B, T, V]
        step = tf.gather(logits, i, axis=1)                       # [B, V]
        nxt = tf.argmax(step, -1, output_type=tf.int32)
        nxt = tf.where(done, tf.fill([B], PAD), nxt)              # pad after EOS
        buf = tf.where(positions == i + 1, nxt[:, None], buf)
        done = tf.logical_or(done, tf.equal(nxt, EOS))
        return i + 1, buf, done

    _, buf, _ = tf.while_loop(cond, body, [tf.constant(0), buf, done])
    return buf


def detok(row):
    return "".join(str(t - 3) for t in row if t >= 3)


out = greedy_decode(tf.constant(test_src)).numpy()
hits = 0
for s, o in zip(test_src, out):
    hits += detok(o) == detok(s)[::-1]
for s, o in list(zip(test_src, out))[:5]:
    print(f"{detok(s):>10} -> {detok(o):<10} (want {detok(s)[::-1]})")
print(f"exact-match reversal: {hits}/{len(test_src)}")

# causal check: scribbling over future target positions must not change
# the logits of earlier positions
K = 4
src_b = tf.constant(test_src[:8])
tgt_b = test_tgt[:8, :-1].copy()
ref = model((src_b, tf.constant(tgt_b)))
tgt_b[:, K:] = np.random.randint(3, VOCAB, size=tgt_b[:, K:].shape)
poked = model((src_b, tf.constant(tgt_b)))
delta = float(tf.reduce_max(tf.abs(ref[:, :K] - poked[:, :K])))
print(f"max change in first {K} positions after editing the future: {delta:.2e}")
assert delta < 1e-4

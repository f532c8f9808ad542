"""Tiny Transformer encoder-decoder that "translates" human dates to ISO format.

  "march 7, 2014"  ->  "2014-03-07"

Character-level on both sides. Trained with model.fit + teacher forcing;
decoding is a graph-mode greedy loop built with tf.while_loop.
"""
import calendar
import random

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

random.seed(5)
tf.random.set_seed(5)

hparams = dict(d_model=64, heads=4, ff_dim=128, enc_layers=1, dec_layers=1,
               dropout=0.1, src_len=24, tgt_len=12, batch=32, n_samples=600, epochs=2)

MONTHS = [calendar.month_name[i].lower() for i in range(1, 13)]
SHORT = [m[:3] for m in MONTHS]
FORMATS = [
    lambda d, m, y: f"{MONTHS[m - 1]} {d}, {y}",
    lambda d, m, y: f"{d} {SHORT[m - 1]} {y}",
    lambda d, m, y: f"{d:02d}/{m:02d}/{y}",
    lambda d, m, y: f"{SHORT[m - 1]} {d:02d} {y}",
]


def random_date_pair():
    y, m = random.randint(1950, 2049), random.randint(1, 12)
    d = random.randint(1, calendar.monthrange(y, m)[1])
    human = random.choice(FORMATS)(d, m, y)
    return human, f"{y:04d}-{m:02d}-{d:02d}"


pairs = [random_date_pair() for _ in range(hparams["n_samples"])]
for p in pairs[:4]:
    print(p)

# ---- vectorizers -------------------------------------------------------
src_vec = layers.TextVectorization(standardize=None, split="character",
                                   output_sequence_length=hparams["src_len"])
src_vec.adapt([h for h, _ in pairs])
# target: '^' = start, '$' = end
tgt_vec = layers.TextVectorization(standardize=None, split="character",
                                   output_sequence_length=hparams["tgt_len"])
tgt_vec.adapt(["^$0123456789-"])
tgt_vocab = np.array(tgt_vec.get_vocabulary())
START, END = int(np.where(tgt_vocab == "^")[0][0]), int(np.where(tgt_vocab == "$")[0][0])
SRC_V, TGT_V = src_vec.vocabulary_size(), tgt_vec.vocabulary_size()
print(f"src vocab {SRC_V}, tgt vocab {TGT_V}, start={START}, end={END}")

enc_in = src_vec([h for h, _ in pairs])
tgt_ids = tgt_vec(["^" + iso + "$" for _, iso in pairs])
dec_in, dec_out = tgt_ids[:, :-1], tgt_ids[:, 1:]
print("shapes:", enc_in.shape, dec_in.shape, dec_out.shape)


# ---- layers ------------------------------------------------------------
class TokenAndPosition(layers.Layer):
    def __init__(self, vocab, maxlen, dim, **kw):
        super().__init__(**kw)
        self.tok = layers.Embedding(vocab, dim, mask_zero=True)
        self.pos = layers.Embedding(maxlen, dim)
        self.scale = float(dim) ** 0.5

    def call(self, x):
        positions = tf.range(tf.shape(x)[-1])
        return self.tok(x) * self.scale + self.pos(positions)

    def compute_mask(self, x, mask=None):
        return self.tok.compute_mask(x)


def feed_forward(dim, ff, rate):
    return keras.Sequential([layers.Dense(ff, activation="relu"), layers.Dense(dim),
                             layers.Dropout(rate)])


class EncoderBlock(layers.Layer):
    def __init__(self, dim, heads, ff, rate, **kw):
        super().__init__(**kw)
        self.mha = layers.MultiHeadAttention(heads, dim // heads, dropout=rate)
        self.ffn = feed_forward(dim, ff, rate)
        self.ln1, self.ln2 = layers.LayerNormalization(), layers.LayerNormalization()
        self.supports_masking = True

    def call(self, x, padding_mask=None, training=False):
        attn_mask = None if padding_mask is None else padding_mask[:, None, :]
        x = self.ln1(x + self.mha(x, x, attention_mask=attn_mask, training=training))
        return self.ln2(x + self.ffn(x, training=training))


class DecoderBlock(layers.Layer):
    def __init__(self, dim, heads, ff, rate, **kw):
        super().__init__(**kw)
        self.self_attn = layers.MultiHeadAttention(heads, dim // heads, dropout=rate)
        self.cross_attn = layers.MultiHeadAttention(heads, dim // heads, dropout=rate)
        self.ffn = feed_forward(dim, ff, rate)
        self.norms = [layers.LayerNormalization() for _ in range(3)]

    def call(self, x, enc, enc_mask=None, training=False):
        h = self.self_attn(x, x, use_causal_mask=True, training=training)
        x = self.norms[0](x + h)
        cross_mask = None if enc_mask is None else enc_mask[:, None, :]
        h = self.cross_attn(x, enc, attention_mask=cross_mask, training=training)
        x = self.norms[1](x + h)
        return self.norms[2](x + self.ffn(x, training=training))


class DateTransformer(keras.Model):
    def __init__(self, cfg, **kw):
        super().__init__(**kw)
        d = cfg["d_model"]
        self.src_emb = TokenAndPosition(SRC_V, cfg["src_len"], d)
        self.tgt_emb = TokenAndPosition(TGT_V, cfg["tgt_len"], d)
        self.enc_blocks = [EncoderBlock(d, cfg["heads"], cfg["ff_dim"], cfg["dropout"],
                                        name=f"enc_{i}") for i in range(cfg["enc_layers"])]
        self.dec_blocks = [DecoderBlock(d, cfg["heads"], cfg["ff_dim"], cfg["dropout"],
                                        name=f"dec_{i}") for i in range(cfg["dec_layers"])]
        self.head = layers.Dense(TGT_V)

    def encode(self, src, training=False):
        mask = tf.not_equal(src, 0)
        x = self.src_emb(src)
        for blk in self.enc_blocks:
            x = blk(x, padding_mask=mask, training=training)
        return x, mask

    def decode(self, tgt, enc, enc_mask, training=False):
        y = self.tgt_emb(tgt)
        for blk in self.dec_blocks:
            y = blk(y, enc, enc_mask=enc_mask, training=training)
        return self.head(y)

    def call(self, inputs, training=False):
        src, tgt = inputs
        enc, mask = self.encode(src, training=training)
        return self.decode(tgt, enc, mask, training=training)


model = DateTransformer(hparams, name="date_transformer")
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0),
    metrics=["accuracy"],
)
model.fit((enc_in, dec_in), dec_out, batch_size=hparams["batch"], epochs=hparams["epochs"],
          validation_split=0.1, verbose=2)


# ---- greedy decoding in graph mode ---------------------------------------
@tf.function(input_signature=[tf.TensorSpec([None, hparams["src_len"]], tf.int64)])
def greedy_translate(src):
    batch = tf.shape(src)[0]
    enc, mask = model.encode(src)
    out = tf.fill([batch, 1], tf.constant(START, tf.int64))
    finished = tf.zeros([batch], tf.bool)

    def cond(i, out, finished):
        return tf.logical_and(i < hparams["tgt_len"] - 1,
                              tf.logical_not(tf.reduce_all(finished)))

    def body(i, out, finished):
        logits = model.decode(out, enc, mask)
        nxt = tf.argmax(logits[:, -1, :], axis=-1, output_type=tf.int64)
        nxt = tf.where(finished, tf.zeros_like(nxt), nxt)  # pad after END
        finished = tf.logical_or(finished, tf.equal(nxt, END))
        return i + 1, tf.concat([out, nxt[:, None]], axis=1), finished

    _, out, _ = tf.while_loop(
        cond, body, [tf.constant(0), out, finished],
        shape_invariants=[tf.TensorShape([]), tf.TensorShape([None, None]),
                          tf.TensorShape([None])])
    return out


def ids_to_text(row):
    chars = [tgt_vocab[i] for i in row if i not in (0, START)]
    text = "".join(chars)
    return text.split("$")[0]


test_pairs = [random_date_pair() for _ in range(8)]
pred_ids = greedy_translate(src_vec([h for h, _ in test_pairs])).numpy()
n_ok = 0
for (human, iso), row in zip(test_pairs, pred_ids):
    guess = ids_to_text(row)
    n_ok += guess == iso
    print(f"{human:<22} -> {guess:<12} {'ok' if guess == iso else 'x (' + iso + ')'}")
print(f"exact match: {n_ok}/{len(test_pairs)}")

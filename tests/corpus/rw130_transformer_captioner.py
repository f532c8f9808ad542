#!/usr/bin/env python
# Image captioning: small conv stem region features ->
# Transformer decoder with causal self-attention + cross-attention.
# Teacher forcing is done by feeding caption[:, :-1] and predicting caption[:, 1:]
# through plain model.fit(); decoding uses a tf.while_loop inside tf.function.
import string

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMAGE_SIZE = (64, 64)
SEQ_LEN = 10            # including <s> and </s>
EMBED = 64
FF_DIM = 128
HEADS = 4
NUM_IMAGES = 240
BATCH_SIZE = 24

tf.keras.utils.set_random_seed(99)
rand = np.random.default_rng(99)

# ---------------------------------------------------------------- data ------
OBJECTS = {"circle": 0, "cross": 1, "square": 2}
SIZES = ["small", "big"]
BACKGROUNDS = {"dark": 0.1, "light": 0.8}


def paint(obj, size, bg):
    h, w = IMAGE_SIZE
    img = np.full((h, w, 3), BACKGROUNDS[bg], np.float32)
    radius = 8 if size == "small" else 20
    cy, cx = rand.integers(radius + 2, h - radius - 2, 2)
    yy, xx = np.ogrid[:h, :w]
    if obj == "circle":
        m = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius ** 2
    elif obj == "square":
        m = (abs(yy - cy) <= radius) & (abs(xx - cx) <= radius)
    else:
        m = ((abs(yy - cy) <= 2) & (abs(xx - cx) <= radius)) | ((abs(xx - cx) <= 2) & (abs(yy - cy) <= radius))
    color = rand.uniform(0.2, 1.0, 3)
    img[m] = color
    return img


records = []
for _ in range(NUM_IMAGES):
    o, s, b = rand.choice(list(OBJECTS)), rand.choice(SIZES), rand.choice(list(BACKGROUNDS))
    phrasing = rand.integers(0, 3)
    text = [f"a {s} {o} on a {b} background",
            f"{s} {o} over {b} backdrop",
            f"there is a {s} {o}"][phrasing]
    records.append((paint(o, s, b), text))

images = np.stack([r[0] for r in records])
raw_captions = np.array([f"<s> {r[1]} </s>" for r in records])


def custom_standardize(s):
    s = tf.strings.lower(s)
    return tf.strings.regex_replace(s, f"[{string.punctuation.replace('<', '').replace('>', '').replace('/', '')}]", "")


vectorize = layers.TextVectorization(
    max_tokens=100, output_sequence_length=SEQ_LEN + 1, standardize=custom_standardize
)
vectorize.adapt(raw_captions)
VOCAB = vectorize.get_vocabulary()
V = len(VOCAB)
START_ID, END_ID = VOCAB.index("<s>"), VOCAB.index("</s>")
print(f"vocab={V} start={START_ID} end={END_ID}; sample: {raw_captions[0]}")


def to_teacher_forcing(img, caption):
    tokens = vectorize(caption)
    return (img, tokens[:-1]), tokens[1:]


ds = tf.data.Dataset.from_tensor_slices((images, raw_captions))
train_ds = ds.take(200).shuffle(200).map(to_teacher_forcing).batch(BATCH_SIZE).prefetch(2)
val_ds = ds.skip(200).map(to_teacher_forcing).batch(BATCH_SIZE)


# --------------------------------------------------------------- model ------
def image_encoder(widths=(32, 48, EMBED)):
    """Small conv stem -> 8x8 grid of region tokens, plus a global token."""
    inp = keras.Input(IMAGE_SIZE + (3,))
    x = layers.Rescaling(2.0, offset=-1.0)(inp)
    for i, w in enumerate(widths):
        x = layers.Conv2D(w, 3, strides=2, padding="same", use_bias=False, name=f"stem{i}")(x)
        x = layers.BatchNormalization(name=f"stem_bn{i}")(x)
        x = layers.Activation("swish")(x)
    regions = layers.Reshape((-1, EMBED))(x)                    # (64, EMBED)
    global_tok = layers.Reshape((1, EMBED))(layers.GlobalAveragePooling2D()(x))
    tokens = layers.Concatenate(axis=1)([global_tok, regions])
    tokens = layers.Dense(EMBED)(tokens)
    return keras.Model(inp, layers.LayerNormalization()(tokens), name="image_encoder")


class PositionalEmbedding(layers.Layer):
    def __init__(self, seq_len, vocab, dim, **kw):
        super().__init__(**kw)
        self.tokens = layers.Embedding(vocab, dim)
        self.positions = layers.Embedding(seq_len, dim)
        self.scale = float(np.sqrt(dim))

    def call(self, x):
        pos = tf.range(tf.shape(x)[-1])
        return self.tokens(x) * self.scale + self.positions(pos)

    def compute_mask(self, x, mask=None):
        return keras.ops.not_equal(x, 0)


class DecoderBlock(layers.Layer):
    def __init__(self, dim, ff, heads, dropout=0.1, **kw):
        super().__init__(**kw)
        self.self_attn = layers.MultiHeadAttention(heads, dim // heads, dropout=dropout)
        self.cross_attn = layers.MultiHeadAttention(heads, dim // heads, dropout=dropout)
        self.ffn = keras.Sequential([layers.Dense(ff, activation="relu"), layers.Dense(dim)])
        self.norms = [layers.LayerNormalization() for _ in range(3)]
        self.drop = layers.Dropout(dropout)

    def call(self, x, memory, training=False):
        h = self.self_attn(x, x, use_causal_mask=True, training=training)
        x = self.norms[0](x + h)
        h = self.cross_attn(x, memory, training=training)
        x = self.norms[1](x + h)
        return self.norms[2](x + self.drop(self.ffn(x), training=training))


def build_captioner(n_blocks=2):
    img_in = keras.Input(IMAGE_SIZE + (3,), name="image")
    tok_in = keras.Input((SEQ_LEN,), dtype="int64", name="tokens")
    memory = image_encoder()(img_in)
    x = PositionalEmbedding(SEQ_LEN, V, EMBED)(tok_in)
    for i in range(n_blocks):
        x = DecoderBlock(EMBED, FF_DIM, HEADS, name=f"dec_block_{i}")(x, memory)
    logits = layers.Dense(V, name="vocab_logits")(x)
    return keras.Model([img_in, tok_in], logits, name="transformer_captioner")


def masked_sparse_ce(y_true, y_pred):
    loss = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    mask = tf.cast(y_true != 0, loss.dtype)
    return tf.reduce_sum(loss * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


def masked_accuracy(y_true, y_pred):
    y_true = tf.cast(y_true, tf.int64)
    hit = tf.cast(tf.argmax(y_pred, -1) == y_true, tf.float32)
    mask = tf.cast(y_true != 0, tf.float32)
    return tf.reduce_sum(hit * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


captioner = build_captioner()
print(f"captioner params: {captioner.count_params():,}")
schedule = keras.optimizers.schedules.CosineDecay(1e-3, decay_steps=40, warmup_target=2e-3, warmup_steps=5)
captioner.compile(optimizer=keras.optimizers.Adam(schedule), loss=masked_sparse_ce, metrics=[masked_accuracy])
captioner.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)


# ------------------------------------------------------------ decoding ------
@tf.function
def greedy_decode(img):
    batch = tf.shape(img)[0]
    tokens = tf.zeros((batch, SEQ_LEN), tf.int64)
    tokens = tf.tensor_scatter_nd_update(
        tokens, tf.stack([tf.range(batch), tf.zeros(batch, tf.int32)], 1),
        tf.fill([batch], tf.cast(START_ID, tf.int64)))
    done = tf.zeros([batch], tf.bool)

    def cond(i, toks, done):
        return tf.logical_and(i < SEQ_LEN, tf.logical_not(tf.reduce_all(done)))

    def body(i, toks, done):
        logits = captioner([img, toks], training=False)
        nxt = tf.argmax(logits[:, i - 1, :], -1)
        nxt = tf.where(done, tf.zeros_like(nxt), nxt)  # pad after </s>
        idx = tf.stack([tf.range(batch), tf.fill([batch], i)], 1)
        toks = tf.tensor_scatter_nd_update(toks, idx, nxt)
        return i + 1, toks, tf.logical_or(done, tf.equal(nxt, END_ID))

    _, tokens, _ = tf.while_loop(cond, body, [tf.constant(1), tokens, done])
    return tokens


def detokenize(ids):
    words = [VOCAB[i] for i in ids if i not in (0, START_ID)]
    return " ".join(words[: words.index("</s>")] if "</s>" in words else words)


decoded = greedy_decode(tf.constant(images[200:205])).numpy()
for ref, ids in zip(raw_captions[200:205], decoded):
    print(f"ref : {ref}\nhyp : {detokenize(ids)}")

"""Image captioning: CNN encoder + GRU decoder with additive attention.

The encoder turns a 64x64 image into a 4x4 grid of feature vectors.
The decoder embeds the (shifted) caption tokens, runs a GRU whose initial
state comes from the pooled image features, attends over the grid at
every step and predicts the next token. Teacher forcing for training,
greedy decoding loop afterwards. Vocab and captions are synthetic.
"""
import numpy as np
import tensorflow as tf
import keras
from keras.layers import (Conv2D, MaxPooling2D, Dense, Embedding, GRU, Reshape,
                          GlobalAveragePooling2D, AdditiveAttention, Concatenate,
                          TimeDistributed, Dropout, LayerNormalization)

VOCAB_SIZE = 200
MAX_LEN = 12
EMBED_DIM = 64
UNITS = 96
IMG = 64
START, END, PAD = 1, 2, 0

vocab = ["<pad>", "<start>", "<end>"] + [f"w{i}" for i in range(VOCAB_SIZE - 3)]
index_to_word = dict(enumerate(vocab))


def cnn_encoder(img_size=IMG):
    img = keras.Input((img_size, img_size, 3), name="image")
    x = img
    for i, f in enumerate((32, 64, 96, 128)):
        x = Conv2D(f, 3, padding="same", activation="relu", name=f"enc_conv{i}a")(x)
        x = Conv2D(f, 3, padding="same", activation="relu", name=f"enc_conv{i}b")(x)
        x = MaxPooling2D(name=f"enc_pool{i}")(x)
    grid = x.shape[1] * x.shape[2]
    seq = Reshape((grid, x.shape[-1]), name="to_sequence")(x)
    seq = Dense(UNITS, activation="relu", name="enc_proj")(seq)
    pooled = GlobalAveragePooling2D(name="enc_gap")(x)
    return keras.Model(img, [seq, pooled], name="cnn_encoder")


encoder = cnn_encoder()

# ---- training model (teacher forcing) ----
image_in = keras.Input((IMG, IMG, 3), name="image")
tokens_in = keras.Input((MAX_LEN - 1,), dtype="int32", name="tokens_in")

img_seq, img_vec = encoder(image_in)
init_state = Dense(UNITS, activation="tanh", name="init_h")(img_vec)

embedding = Embedding(VOCAB_SIZE, EMBED_DIM, mask_zero=True, name="tok_embed")
decoder_gru = GRU(UNITS, return_sequences=True, return_state=True, name="decoder_gru")
attention = AdditiveAttention(name="bahdanau")
ln = LayerNormalization(name="dec_ln")
out_proj = Dense(VOCAB_SIZE, name="vocab_logits")

emb = embedding(tokens_in)
gru_out, _ = decoder_gru(emb, initial_state=init_state)
context = attention([gru_out, img_seq])
h = Concatenate(name="ctx_concat")([gru_out, context])
h = ln(h)
h = Dropout(0.2)(h)
logits = TimeDistributed(out_proj, name="td_logits")(h)

caption_model = keras.Model([image_in, tokens_in], logits, name="captioner")
caption_model.summary(expand_nested=False)


def masked_loss(y_true, y_pred):
    loss = keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)
    mask = tf.cast(tf.not_equal(y_true, PAD), loss.dtype)
    return tf.reduce_sum(loss * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)


caption_model.compile(optimizer=keras.optimizers.Adam(2e-3), loss=masked_loss)

# ---- synthetic data ----
def random_caption(rng):
    n = rng.integers(3, MAX_LEN - 2)
    words = rng.integers(3, VOCAB_SIZE, size=n)
    cap = [START] + list(words) + [END]
    return cap + [PAD] * (MAX_LEN - len(cap))


rng = np.random.default_rng(0)
N = 32
images = rng.random((N, IMG, IMG, 3), dtype=np.float32)
captions = np.array([random_caption(rng) for _ in range(N)], dtype="int32")
dec_in, dec_out = captions[:, :-1], captions[:, 1:]

ds = (tf.data.Dataset.from_tensor_slices(((images, dec_in), dec_out))
      .shuffle(N).batch(8).prefetch(tf.data.AUTOTUNE))
caption_model.fit(ds, epochs=1, verbose=1)

# ---- greedy decoding, re-using the trained layers step by step ----
def greedy_caption(image):
    seq, vec = encoder(image[None, ...], training=False)
    state = caption_model.get_layer("init_h")(vec)
    word = tf.constant([[START]])
    result = []
    for _ in range(MAX_LEN - 1):
        e = embedding(word)
        o, state = decoder_gru(e, initial_state=state)
        ctx = attention([o, seq])
        z = ln(tf.concat([o, ctx], axis=-1))
        step_logits = out_proj(z)
        next_id = int(tf.argmax(step_logits[0, -1]).numpy())
        if next_id == END:
            break
        result.append(index_to_word[next_id])
        word = tf.constant([[next_id]])
    return " ".join(result)


for i in range(2):
    print(f"image {i}: {greedy_caption(images[i])!r}")
    print("   truth:", " ".join(index_to_word[t] for t in captions[i] if t > END))

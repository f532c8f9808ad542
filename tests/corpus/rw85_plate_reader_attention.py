"""License-plate reader: CNN features + Transformer encoder + CTC head.

Instead of the usual BiLSTM, the column features from a small ResNet-ish
backbone go through a couple of self-attention blocks with learned positional
embeddings. Labels are padded with -1, the blank is the *last* class
(tf.nn.ctc_loss blank_index=-1), and training uses plain model.fit with a
custom loss function. Plates are synthetic (random blocks per character).
"""
import string

import numpy as np
import tensorflow as tf

keras = tf.keras
L = tf.keras.layers

PLATE_FORMATS = {
    "uk": "LLDDLLL",   # L = letter, D = digit
    "us": "DLLLDDD",
    "eu": "LLDDDD",
}
ALPHABET = string.ascii_uppercase + string.digits
NUM_CLASSES = len(ALPHABET) + 1  # + blank (last)
PAD = -1
IMG_SHAPE = (24, 96, 3)
MAX_LEN = max(len(f) for f in PLATE_FORMATS.values())

HPARAMS = {
    "d_model": 64,
    "num_heads": 4,
    "ff_dim": 96,
    "num_blocks": 2,
    "dropout": 0.1,
    "batch_size": 16,
    "train_size": 64,
    "val_size": 32,
}

rng = np.random.default_rng(2024)
# each character gets a fixed random 16x8 color pattern
CHAR_PATTERNS = {c: rng.random((16, 8, 3)).astype("float32") for c in ALPHABET}


def random_plate_text():
    fmt = PLATE_FORMATS[rng.choice(list(PLATE_FORMATS))]
    return "".join(
        rng.choice(list(string.ascii_uppercase)) if t == "L" else rng.choice(list(string.digits))
        for t in fmt
    )


def render_plate(text):
    img = np.full(IMG_SHAPE, 0.95, dtype="float32")
    img[:, :, 2] = 0.3  # yellow-ish plate
    x = 4
    for ch in text:
        img[4:20, x:x + 8] = CHAR_PATTERNS[ch] * 0.6
        x += 12 + int(rng.integers(-1, 2))
    return img


def build_arrays(n):
    texts = [random_plate_text() for _ in range(n)]
    images = np.stack([render_plate(t) for t in texts])
    labels = np.full((n, MAX_LEN), PAD, dtype="int32")
    for i, t in enumerate(texts):
        labels[i, : len(t)] = [ALPHABET.index(c) for c in t]
    return images, labels, texts


def augment(image, label):
    image = tf.image.random_brightness(image, 0.15)
    image = tf.image.random_contrast(image, 0.8, 1.2)
    # small random shift: pad then random crop back to the original size
    image = tf.image.pad_to_bounding_box(image, 2, 2, IMG_SHAPE[0] + 4, IMG_SHAPE[1] + 4)
    image = tf.image.random_crop(image, IMG_SHAPE)
    return tf.clip_by_value(image, 0.0, 1.0), label


x_tr, y_tr, _ = build_arrays(HPARAMS["train_size"])
x_va, y_va, va_texts = build_arrays(HPARAMS["val_size"])

train_ds = (
    tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
    .shuffle(256)
    .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(HPARAMS["batch_size"], drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(HPARAMS["batch_size"])


# ---------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------
class PositionalEmbedding(L.Layer):
    """Adds a learned position vector to every time step."""

    def build(self, input_shape):
        seq_len, dim = input_shape[-2], input_shape[-1]
        self.pos = self.add_weight(
            name="pos_embedding", shape=(1, seq_len, dim), initializer="random_normal",
            trainable=True,
        )
        super().build(input_shape)

    def call(self, x):
        return x + self.pos  # broadcast over batch


class TransformerBlock(L.Layer):
    def __init__(self, d_model, num_heads, ff_dim, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = L.MultiHeadAttention(num_heads=num_heads, key_dim=d_model // num_heads)
        self.ffn = keras.Sequential([L.Dense(ff_dim, activation="gelu"), L.Dense(d_model)])
        self.norm1 = L.LayerNormalization(epsilon=1e-6)
        self.norm2 = L.LayerNormalization(epsilon=1e-6)
        self.drop1 = L.Dropout(dropout)
        self.drop2 = L.Dropout(dropout)

    def call(self, x, training=None):
        # pre-norm variant
        h = self.norm1(x)
        h = self.att(h, h, training=training)
        x = x + self.drop1(h, training=training)
        h = self.ffn(self.norm2(x))
        return x + self.drop2(h, training=training)


def residual_block(x, filters, stride):
    shortcut = x
    x = L.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    x = L.ReLU()(x)
    x = L.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = L.BatchNormalization()(x)
    if stride != (1, 1) or shortcut.shape[-1] != filters:
        shortcut = L.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
    return L.ReLU()(L.Add()([x, shortcut]))


def build_plate_reader(hp):
    inp = keras.Input(shape=IMG_SHAPE, name="plate")
    x = L.Rescaling(2.0, offset=-1.0)(inp)
    x = L.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = residual_block(x, 32, (2, 2))   # 12 x 48
    x = residual_block(x, 64, (2, 1))   # 6 x 48 -- keep horizontal resolution
    x = residual_block(x, 64, (2, 1))   # 3 x 48
    # average the remaining rows -> (B, W, C)
    x = L.Lambda(lambda t: tf.reduce_mean(t, axis=1), name="height_pool")(x)
    x = L.Dense(hp["d_model"])(x)
    x = PositionalEmbedding(name="pos_emb")(x)
    for i in range(hp["num_blocks"]):
        x = TransformerBlock(hp["d_model"], hp["num_heads"], hp["ff_dim"], hp["dropout"],
                             name=f"encoder_{i}")(x)
    x = L.LayerNormalization()(x)
    logits = L.Dense(NUM_CLASSES, name="ctc_logits")(x)
    return keras.Model(inp, logits, name="plate_reader")


def ctc_loss_fn(y_true, y_pred):
    y_true = tf.cast(y_true, tf.int32)
    label_len = tf.reduce_sum(tf.cast(y_true != PAD, tf.int32), axis=-1)
    # values past label_length are ignored, but must still be valid ids
    labels = tf.where(y_true == PAD, tf.zeros_like(y_true), y_true)
    logit_len = tf.fill([tf.shape(y_pred)[0]], tf.shape(y_pred)[1])
    loss = tf.nn.ctc_loss(
        labels=labels,
        logits=y_pred,
        label_length=label_len,
        logit_length=logit_len,
        logits_time_major=False,
        blank_index=-1,
    )
    return tf.reduce_mean(loss)


model = build_plate_reader(HPARAMS)
model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4), loss=ctc_loss_fn)
model.summary()
model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)


def read_plates(images):
    logits = model.predict(images, verbose=0)
    seq_len = np.full((logits.shape[0],), logits.shape[1], np.int32)
    (decoded,), _ = tf.nn.ctc_greedy_decoder(np.transpose(logits, (1, 0, 2)), seq_len)
    dense = tf.sparse.to_dense(decoded, default_value=PAD).numpy()
    return ["".join(ALPHABET[i] for i in row if i != PAD) for row in dense]


preds = read_plates(x_va[:6])
for p, t in zip(preds, va_texts[:6]):
    print(f"{t:>8} -> {p or '<empty>'}")

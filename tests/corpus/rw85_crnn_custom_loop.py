"""CRNN for handwritten word recognition trained with a hand-written loop.

Subclassed keras.Model (VGG-ish conv stack -> collapse height -> 2x BiLSTM ->
per-frame logits) trained with tf.GradientTape and tf.nn.ctc_loss using
*sparse* labels and time-major logits, the way the original CRNN paper / many
TF1-era repos did it. Data is synthetic "words" drawn from random strokes.
"""

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class Config:
    img_h: int = 32
    img_w: int = 100
    alphabet: str = "abcdefghijklmnopqrstuvwxyz"
    min_len: int = 3
    max_len: int = 8
    batch_size: int = 8
    train_steps: int = 6
    lr: float = 1e-3
    clipnorm: float = 5.0
    rnn_units: int = 48
    conv_filters: tuple = (16, 32, 64)
    seed: int = 7
    log_every: int = 2
    extra: dict = field(default_factory=lambda: {"dropout": 0.1})

    @property
    def num_classes(self):
        # index 0 is reserved for the CTC blank
        return len(self.alphabet) + 1


CFG = Config()
tf.random.set_seed(CFG.seed)
rng = np.random.default_rng(CFG.seed)

CHAR2IDX = {c: i + 1 for i, c in enumerate(CFG.alphabet)}
IDX2CHAR = {i: c for c, i in CHAR2IDX.items()}


def encode(word):
    return [CHAR2IDX[c] for c in word]


def decode(ids):
    return "".join(IDX2CHAR.get(int(i), "") for i in ids)


# ----------------------------------------------------------------------------
# Synthetic handwriting: every char is a short random polyline "stroke"
# ----------------------------------------------------------------------------
STROKES = {c: rng.uniform(0, 1, size=(4, 2)) for c in CFG.alphabet}


def draw_word(word, h, w):
    canvas = np.zeros((h, w), dtype=np.float32)
    char_w = w / (CFG.max_len + 1)
    x0 = rng.uniform(0, char_w)
    for ch in word:
        pts = STROKES[ch] * [char_w, h * 0.8] + [x0, h * 0.1]
        pts += rng.normal(0, 0.8, pts.shape)  # hand jitter
        for (xa, ya), (xb, yb) in zip(pts[:-1], pts[1:]):
            for t in np.linspace(0, 1, 12):
                xi = int(np.clip(xa + t * (xb - xa), 0, w - 1))
                yi = int(np.clip(ya + t * (yb - ya), 0, h - 1))
                canvas[max(yi - 1, 0):yi + 1, xi] = 1.0
        x0 += char_w * rng.uniform(0.85, 1.1)
    return canvas


def sample_batch(bs):
    words = [
        "".join(rng.choice(list(CFG.alphabet), size=rng.integers(CFG.min_len, CFG.max_len + 1)))
        for _ in range(bs)
    ]
    imgs = np.stack([draw_word(wd, CFG.img_h, CFG.img_w) for wd in words])[..., None]
    # ragged -> padded with zeros (blank) + explicit lengths
    lengths = np.array([len(wd) for wd in words], dtype=np.int32)
    labels = np.zeros((bs, CFG.max_len), dtype=np.int32)
    for i, wd in enumerate(words):
        labels[i, : len(wd)] = encode(wd)
    return imgs, labels, lengths, words


# ----------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------
class ConvBlock(layers.Layer):
    def __init__(self, filters, pool=(2, 2), **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(filters, 3, padding="same", use_bias=False)
        self.bn = layers.BatchNormalization()
        self.act = layers.ReLU()
        self.pool = layers.MaxPool2D(pool_size=pool, strides=pool) if pool else None

    def call(self, x, training=False):
        x = self.act(self.bn(self.conv(x), training=training))
        if self.pool is not None:
            x = self.pool(x)
        return x


class CRNN(keras.Model):
    def __init__(self, cfg: Config, **kwargs):
        super().__init__(**kwargs)
        f1, f2, f3 = cfg.conv_filters
        # pooling (2,2),(2,2),(2,1): height /8, width /4 -> keeps enough frames
        self.blocks = [
            ConvBlock(f1, (2, 2), name="block1"),
            ConvBlock(f2, (2, 2), name="block2"),
            ConvBlock(f3, (2, 1), name="block3"),
            ConvBlock(f3, None, name="block4"),
        ]
        self.proj = layers.Dense(cfg.rnn_units, activation="relu")
        self.drop = layers.Dropout(cfg.extra["dropout"])
        self.rnn1 = layers.Bidirectional(layers.LSTM(cfg.rnn_units, return_sequences=True))
        self.rnn2 = layers.Bidirectional(layers.LSTM(cfg.rnn_units, return_sequences=True))
        self.classifier = layers.Dense(cfg.num_classes, name="logits")

    def call(self, images, training=False):
        x = images
        for block in self.blocks:
            x = block(x, training=training)
        # (B, H', W', C) -> (B, W', H'*C): width becomes the time axis
        b = tf.shape(x)[0]
        _, h, w, c = x.shape
        x = tf.transpose(x, [0, 2, 1, 3])
        x = tf.reshape(x, [b, w, h * c])
        x = self.drop(self.proj(x), training=training)
        x = self.rnn1(x, training=training)
        x = self.rnn2(x, training=training)
        return self.classifier(x)  # (B, T, num_classes) raw logits


model = CRNN(CFG, name="crnn")
dummy = tf.zeros((1, CFG.img_h, CFG.img_w, 1))
print("logits shape for a dummy image:", model(dummy).shape)
model.summary()

optimizer = keras.optimizers.Adam(learning_rate=CFG.lr, clipnorm=CFG.clipnorm)
loss_tracker = keras.metrics.Mean(name="ctc_loss")


def dense_to_sparse(labels, lengths):
    """Pad-aware conversion: keep only positions < length."""
    mask = tf.sequence_mask(lengths, maxlen=tf.shape(labels)[1])
    idx = tf.where(mask)
    vals = tf.gather_nd(labels, idx)
    return tf.SparseTensor(idx, vals, tf.shape(labels, out_type=tf.int64))


@tf.function(reduce_retracing=True)
def train_step(images, labels, label_len):
    with tf.GradientTape() as tape:
        logits = model(images, training=True)
        batch = tf.shape(logits)[0]
        t_steps = tf.shape(logits)[1]
        logit_len = tf.fill([batch], t_steps)
        sparse_labels = dense_to_sparse(labels, label_len)
        per_example = tf.nn.ctc_loss(
            labels=sparse_labels,
            logits=tf.transpose(logits, [1, 0, 2]),  # time-major
            label_length=None,
            logit_length=logit_len,
            logits_time_major=True,
            blank_index=0,
        )
        loss = tf.reduce_mean(per_example)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    loss_tracker.update_state(loss)
    return loss


@tf.function
def greedy_decode(images):
    logits = model(images, training=False)
    t_major = tf.transpose(logits, [1, 0, 2])
    seq_len = tf.fill([tf.shape(logits)[0]], tf.shape(logits)[1])
    # blank_index=0 matches our label encoding; default would be num_classes-1
    decoded, neg_sum_logits = tf.nn.ctc_greedy_decoder(
        t_major, seq_len, merge_repeated=True, blank_index=0
    )
    return tf.sparse.to_dense(decoded[0], default_value=-1), neg_sum_logits


for step in range(1, CFG.train_steps + 1):
    imgs, labels, lengths, _ = sample_batch(CFG.batch_size)
    loss = train_step(tf.constant(imgs), tf.constant(labels), tf.constant(lengths))
    if step % CFG.log_every == 0:
        print(f"step {step:3d}  loss={float(loss):.3f}  running={float(loss_tracker.result()):.3f}")

# ----------------------------------------------------------------------------
# Evaluate with character error rate via tf.edit_distance
# ----------------------------------------------------------------------------
imgs, labels, lengths, words = sample_batch(CFG.batch_size)
dense_pred, scores = greedy_decode(tf.constant(imgs))
pred_sparse = tf.sparse.from_dense(tf.where(dense_pred < 0, 0, dense_pred))
true_sparse = tf.cast(dense_to_sparse(tf.constant(labels), tf.constant(lengths)), tf.int64)
cer = tf.edit_distance(pred_sparse, true_sparse, normalize=True)
print("per-sample CER:", np.round(cer.numpy(), 2))
for row, truth in zip(dense_pred.numpy()[:3], words[:3]):
    print(f"  pred={decode(row[row > 0])!r:12} true={truth!r}")

"""Online handwriting recognition (pen trajectories -> text) with CTC.

IAM-OnDB-style setup: every sample is a variable-length sequence of
(dx, dy, pen_up) points. Sequences are padded, frame-stacked 2x to halve the
time axis, and fed to a masked BiLSTM stack. Labels are ragged -> sparse for
tf.nn.ctc_loss, logit lengths come from the real stroke lengths. Training is a
custom loop with tf.function(input_signature=...), global-norm clipping and
tf.train.CheckpointManager.
"""
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras

CHARS = "abcdefghijklmnopqrstuvwxyz"
BLANK = len(CHARS)  # blank last -> tf.nn.ctc_loss default-compatible
POINTS_PER_CHAR = 10
STACK = 2           # frames concatenated per time step
FEAT_DIM = 3
BATCH_SIZE = 8
STEPS = 6

tf.random.set_seed(3)
np_rng = np.random.default_rng(3)
CHAR_TRAJ = {c: np_rng.normal(0, 1.0, size=(POINTS_PER_CHAR, 2)).astype(np.float32) for c in CHARS}


def write_word(word):
    """Return (N, 3) array of pen offsets + pen-up flag."""
    pieces = []
    for ch in word:
        traj = CHAR_TRAJ[ch] + np_rng.normal(0, 0.1, size=(POINTS_PER_CHAR, 2))
        pen = np.zeros((POINTS_PER_CHAR, 1), np.float32)
        pen[-1] = 1.0  # lift the pen after each character
        pieces.append(np.concatenate([traj, pen], axis=1))
        # random number of extra "hesitation" points
        extra = np_rng.integers(0, 4)
        if extra:
            pieces.append(np.zeros((extra, 3), np.float32))
    return np.concatenate(pieces, axis=0).astype(np.float32)


def make_batch(batch_size):
    words = ["".join(np_rng.choice(list(CHARS), np_rng.integers(2, 6))) for _ in range(batch_size)]
    strokes = [write_word(w) for w in words]
    lengths = np.array([len(s) for s in strokes], np.int32)
    max_len = int(np.ceil(lengths.max() / STACK) * STACK)
    padded = keras.utils.pad_sequences(strokes, maxlen=max_len, dtype="float32",
                                       padding="post", value=0.0)
    labels = tf.ragged.constant([[CHARS.index(c) for c in w] for w in words], dtype=tf.int32)
    return padded, lengths, labels, words


class FrameStack(keras.layers.Layer):
    """(B, T, F) -> (B, T // k, F * k); lengths are divided (ceil) as well."""

    def __init__(self, k, **kwargs):
        super().__init__(**kwargs)
        self.k = k

    def call(self, x, lengths):
        b = tf.shape(x)[0]
        t = tf.shape(x)[1]
        f = x.shape[-1]
        x = tf.reshape(x, [b, t // self.k, f * self.k])
        new_len = (lengths + self.k - 1) // self.k
        return x, new_len


class OnlineHWR(keras.Model):
    def __init__(self, units=64, num_layers=2, num_classes=len(CHARS) + 1, **kwargs):
        super().__init__(**kwargs)
        self.stack = FrameStack(STACK)
        self.input_proj = keras.layers.Dense(units, activation="tanh")
        self.num_layers = num_layers
        # NOTE: layers kept in a plain python list were not picked up by
        # tf.train.Checkpoint here (restored model had fresh LSTM weights), so
        # register each one as a named attribute instead.
        for i in range(num_layers):
            setattr(self, f"bilstm_{i}", keras.layers.Bidirectional(
                keras.layers.LSTM(units, return_sequences=True), name=f"bilstm_{i}"))
            setattr(self, f"norm_{i}", keras.layers.LayerNormalization(name=f"norm_{i}"))
        self.head = keras.layers.Dense(num_classes)

    def call(self, points, lengths, training=False):
        x, out_len = self.stack(points, lengths)
        mask = tf.sequence_mask(out_len, maxlen=tf.shape(x)[1])
        x = self.input_proj(x)
        for i in range(self.num_layers):
            rnn = getattr(self, f"bilstm_{i}")
            norm = getattr(self, f"norm_{i}")
            x = norm(rnn(x, mask=mask, training=training))
        logits = self.head(x)
        # zero-out padded frames so nothing leaks into the decoder
        logits = logits * tf.cast(mask, logits.dtype)[..., tf.newaxis]
        return logits, out_len


model = OnlineHWR(name="online_hwr")
optimizer = keras.optimizers.Adam(learning_rate=2e-3)

pts, lens, labs, _ = make_batch(2)
logits, out_len = model(pts, lens)
print("points", pts.shape, "-> logits", logits.shape, "frame lengths", out_len.numpy())

ckpt_dir = tempfile.mkdtemp(prefix="hwr_ckpt_")
ckpt = tf.train.Checkpoint(step=tf.Variable(0, dtype=tf.int64), model=model, optimizer=optimizer)
manager = tf.train.CheckpointManager(ckpt, ckpt_dir, max_to_keep=2)

SIGNATURE = [
    tf.TensorSpec([None, None, FEAT_DIM], tf.float32),
    tf.TensorSpec([None], tf.int32),
    tf.SparseTensorSpec([None, None], tf.int32),
]


@tf.function(input_signature=SIGNATURE)
def train_step(points, lengths, sparse_labels):
    with tf.GradientTape() as tape:
        logits, logit_len = model(points, lengths, training=True)
        loss = tf.nn.ctc_loss(
            labels=sparse_labels,
            logits=logits,
            label_length=None,
            logit_length=logit_len,
            logits_time_major=False,
            blank_index=BLANK,
        )
        loss = tf.reduce_mean(loss / tf.cast(logit_len, tf.float32))  # per-frame normalized
    grads = tape.gradient(loss, model.trainable_variables)
    grads, global_norm = tf.clip_by_global_norm(grads, 1.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    ckpt.step.assign_add(1)
    return loss, global_norm


for _ in range(STEPS):
    pts, lens, labs, _ = make_batch(BATCH_SIZE)
    loss, gnorm = train_step(tf.constant(pts), tf.constant(lens), labs.to_sparse())
    print(f"step {int(ckpt.step):2d}  loss/frame={float(loss):.4f}  |g|={float(gnorm):.2f}")
    if int(ckpt.step) % 3 == 0:
        manager.save()

print("checkpoints:", [p.split("/")[-1] for p in manager.checkpoints])

# restore into a fresh model and check the logits match
fresh = OnlineHWR(name="online_hwr_restored")
fresh(pts, lens)  # build variables
status = tf.train.Checkpoint(model=fresh).restore(manager.latest_checkpoint)
status.assert_existing_objects_matched()

pts, lens, labs, words = make_batch(4)
a, seq_len = model(pts, lens)
b, _ = fresh(pts, lens)
print("max |diff| after restore:", float(tf.reduce_max(tf.abs(a - b))))

decoded, _ = tf.nn.ctc_greedy_decoder(tf.transpose(a, [1, 0, 2]), seq_len, blank_index=BLANK)
dense = tf.sparse.to_dense(decoded[0], default_value=-1).numpy()
for w, row in zip(words, dense):
    print(f"  {w:<6} -> {''.join(CHARS[i] for i in row if i >= 0)!r}")

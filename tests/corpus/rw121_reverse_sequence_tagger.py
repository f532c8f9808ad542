import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# Per-timestep tagger on variable-length sequences.
# The backward direction is done by hand with tf.reverse_sequence so that
# padding stays at the end (a plain tf.reverse would put the pad first).
# Loss/metrics only look at real timesteps via tf.boolean_mask.

VOCAB = 30
N_TAGS = 4
MAX_T = 20
N_SEQ = 256
BATCH = 32
HIDDEN = 24
STEPS_PER_EPOCH = 6
EPOCHS = 2

rng = np.random.default_rng(2024)


def make_sequences(n):
    """Tag = f(previous token, next token) so both directions matter."""
    lengths = rng.integers(4, MAX_T + 1, size=n).astype(np.int32)
    x = np.zeros((n, MAX_T), np.int32)
    y = np.zeros((n, MAX_T), np.int32)
    for i, L in enumerate(lengths):
        toks = rng.integers(1, VOCAB, size=L)
        prev_tok = np.concatenate([[0], toks[:-1]])
        next_tok = np.concatenate([toks[1:], [0]])
        tags = (prev_tok % 2) * 2 + (next_tok > VOCAB // 2)
        x[i, :L] = toks
        y[i, :L] = tags
    return x, y, lengths


x_np, y_np, len_np = make_sequences(N_SEQ)
valid_np = np.arange(MAX_T)[None, :] < len_np[:, None]
print("tag histogram (real steps only):", np.bincount(y_np[valid_np], minlength=N_TAGS))

dataset = (
    tf.data.Dataset.from_tensor_slices((x_np, y_np, len_np))
    .shuffle(N_SEQ, seed=0)
    .batch(BATCH, drop_remainder=True)
    .repeat()
)


class ReverseSeqBiGRU(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.fwd = layers.GRU(units, return_sequences=True, name="fwd_gru")
        self.bwd = layers.GRU(units, return_sequences=True, name="bwd_gru")

    def call(self, x, lengths, training=None):
        mask = tf.sequence_mask(lengths, maxlen=tf.shape(x)[1])
        h_f = self.fwd(x, mask=mask, training=training)

        x_rev = tf.reverse_sequence(x, lengths, seq_axis=1, batch_axis=0)
        h_b_rev = self.bwd(x_rev, mask=mask, training=training)
        h_b = tf.reverse_sequence(h_b_rev, lengths, seq_axis=1, batch_axis=0)

        out = tf.concat([h_f, h_b], axis=-1)
        return out * tf.cast(mask, out.dtype)[..., None]


class Tagger(keras.Model):
    def __init__(self):
        super().__init__()
        self.embed = layers.Embedding(VOCAB, 16)
        self.birnn = ReverseSeqBiGRU(HIDDEN)
        self.proj = layers.Dense(N_TAGS)

    def call(self, tokens, lengths, training=False):
        h = self.embed(tokens)
        h = self.birnn(h, lengths, training=training)
        return self.proj(h)


model = Tagger()
optimizer = keras.optimizers.Adam(learning_rate=1e-2)
loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
acc_metric = keras.metrics.SparseCategoricalAccuracy()
loss_tracker = keras.metrics.Mean()


def masked_flat(logits, labels, lengths):
    mask = tf.sequence_mask(lengths, maxlen=tf.shape(labels)[1])
    return tf.boolean_mask(logits, mask), tf.boolean_mask(labels, mask)


@tf.function
def train_step(x, y, lengths):
    with tf.GradientTape() as tape:
        logits = model(x, lengths, training=True)
        flat_logits, flat_y = masked_flat(logits, y, lengths)
        loss = loss_fn(flat_y, flat_logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    loss_tracker.update_state(loss)
    acc_metric.update_state(flat_y, flat_logits)
    return loss


it = iter(dataset)
for epoch in range(EPOCHS):
    loss_tracker.reset_state()
    acc_metric.reset_state()
    for step in range(STEPS_PER_EPOCH):
        xb, yb, lb = next(it)
        train_step(xb, yb, lb)
    print(f"epoch {epoch + 1}: loss={loss_tracker.result():.4f} "
          f"token_acc={acc_metric.result():.4f}")

# Sanity: reverse_sequence twice is identity, and padding is untouched
xb, yb, lb = next(it)
twice = tf.reverse_sequence(tf.reverse_sequence(xb, lb, 1, 0), lb, 1, 0)
tf.debugging.assert_equal(twice, xb)
rev = tf.reverse_sequence(xb, lb, seq_axis=1, batch_axis=0)
pad_after = tf.boolean_mask(rev, ~tf.sequence_mask(lb, MAX_T))
print("padding stays zero after reverse:", bool(tf.reduce_all(pad_after == 0)))

logits = model(xb, lb)
preds = tf.argmax(logits, axis=-1, output_type=tf.int32)
first_len = int(lb[0])
print("tokens:", xb[0, :first_len].numpy().tolist())
print("gold  :", yb[0, :first_len].numpy().tolist())
print("pred  :", preds[0, :first_len].numpy().tolist())

# ragged view of predictions (drops padding)
ragged_preds = tf.RaggedTensor.from_tensor(preds, lengths=lb)
print("ragged row lengths match:", bool(tf.reduce_all(ragged_preds.row_lengths() == tf.cast(lb, tf.int64))))

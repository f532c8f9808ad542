"""Answer: custom loss that ignores padded timesteps (sequence tagging with padding).

Q: "My targets are padded with -1. How do I write a loss that skips those
positions? Masking() doesn't seem to affect my custom loss."

A: the Keras mask is only propagated to built-in losses via the sample
weights; if you roll your own, just build the mask from y_true yourself.
"""
import numpy as np
import tensorflow as tf

PAD = -1
vocab_size, n_tags, max_len = 50, 4, 20


def masked_sparse_ce(y_true, y_pred):
    # y_true: (batch, max_len) int, y_pred: (batch, max_len, n_tags) probs
    y_true = tf.cast(y_true, tf.int32)
    mask = tf.cast(tf.not_equal(y_true, PAD), tf.float32)
    safe_true = tf.where(y_true == PAD, tf.zeros_like(y_true), y_true)
    loss = tf.keras.losses.sparse_categorical_crossentropy(safe_true, y_pred)
    loss = loss * mask
    # average over real tokens only, not over batch*max_len
    return tf.reduce_sum(loss) / tf.maximum(tf.reduce_sum(mask), 1.0)


def masked_accuracy(y_true, y_pred):
    y_true = tf.cast(y_true, tf.int32)
    mask = tf.cast(tf.not_equal(y_true, PAD), tf.float32)
    pred_ids = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
    hits = tf.cast(tf.equal(y_true, pred_ids), tf.float32) * mask
    return tf.reduce_sum(hits) / tf.maximum(tf.reduce_sum(mask), 1.0)


def masked_mse(y_true, y_pred, pad_value=0.0):
    """Regression variant: (batch, T, 1) targets padded with `pad_value`.

    Returns per-timestep values (batch, T) instead of a scalar, so it also
    plays nicely with a Masking layer upstream (Keras multiplies in its own
    mask and does the reduction).
    """
    mask = tf.cast(tf.reduce_any(tf.not_equal(y_true, pad_value), axis=-1), y_pred.dtype)
    sq = tf.reduce_mean(tf.square(y_true - y_pred), axis=-1)    # (batch, T)
    return sq * mask


# --- toy data: variable-length sentences, 0 = padding token id ---------------
rng = np.random.default_rng(1)
lengths = rng.integers(5, max_len + 1, size=128)
X = np.zeros((128, max_len), dtype="int32")
y = np.full((128, max_len), PAD, dtype="int32")
for i, L in enumerate(lengths):
    X[i, :L] = rng.integers(1, vocab_size, size=L)
    y[i, :L] = X[i, :L] % n_tags

model = tf.keras.Sequential([
    tf.keras.Input(shape=(max_len,)),
    # NOTE: no mask_zero here. With mask_zero=True Keras passes the mask into the
    # loss as sample_weight and a loss that already reduces to a scalar blows up
    # ("Shape must be at most rank 0 but is rank 2"). We build the mask from
    # y_true ourselves, so we don't need it.
    tf.keras.layers.Embedding(vocab_size, 16),
    tf.keras.layers.Bidirectional(tf.keras.layers.LSTM(16, return_sequences=True)),
    tf.keras.layers.TimeDistributed(tf.keras.layers.Dense(n_tags, activation="softmax")),
])
model.compile(optimizer="adam", loss=masked_sparse_ce, metrics=[masked_accuracy])
model.fit(X, y, batch_size=32, epochs=1, verbose=2)

probs = model.predict(X[:2], verbose=0)
print("pred shape:", probs.shape, "true lengths:", lengths[:2])

# sanity check: loss on padded positions must not matter
y_a = y[:4].copy()
p = tf.constant(model.predict(X[:4], verbose=0))
p_garbage = tf.where(tf.constant(y_a == PAD)[..., None], tf.ones_like(p) / n_tags, p)
print("loss equal after changing padded preds:",
      np.isclose(masked_sparse_ce(y_a, p).numpy(), masked_sparse_ce(y_a, p_garbage).numpy()))

# --- regression version with Masking layer ------------------------------------
seq = rng.normal(size=(64, max_len, 3)).astype("float32")
tgt = seq.sum(axis=-1, keepdims=True)
for i, L in enumerate(rng.integers(5, max_len, size=64)):
    seq[i, L:] = 0.0
    tgt[i, L:] = 0.0

reg = tf.keras.Sequential([
    tf.keras.Input(shape=(max_len, 3)),
    tf.keras.layers.Masking(mask_value=0.0),
    tf.keras.layers.GRU(8, return_sequences=True),
    tf.keras.layers.Dense(1),
])
reg.compile(optimizer="adam", loss=masked_mse)
hist = reg.fit(seq, tgt, epochs=1, batch_size=16, verbose=0)
print("masked mse:", round(hist.history["loss"][0], 4))

"""Build a compact vocabulary from raw (sparse) token ids with tf.unique and
tf.math.bincount, then train a tiny bag-of-embeddings classifier on ragged
sequences padded through tf.data."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
NUM_DOCS = 320
RAW_ID_SPACE = 50_000       # raw ids are sparse hashes in a big space
MIN_COUNT = 2
MAX_LEN = 24
BATCH = 32
EMBED_DIM = 16
OOV_INDEX = 1               # 0 is padding

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_corpus(n_docs):
    """Two classes draw from overlapping but shifted pools of raw ids."""
    pool_a = rng.choice(RAW_ID_SPACE, size=120, replace=False)
    pool_b = rng.choice(RAW_ID_SPACE, size=120, replace=False)
    docs, labels = [], []
    for i in range(n_docs):
        label = i % 2
        pool = pool_a if label == 0 else pool_b
        length = rng.integers(5, MAX_LEN + 8)
        # mostly from own pool, some noise from the other one
        own = rng.choice(pool, size=length)
        noise_mask = rng.random(length) < 0.2
        other = rng.choice(pool_b if label == 0 else pool_a, size=length)
        docs.append(np.where(noise_mask, other, own).astype(np.int64))
        labels.append(label)
    return docs, np.array(labels, dtype=np.int32)


docs, labels = make_corpus(NUM_DOCS)
ragged_docs = tf.ragged.constant(docs, dtype=tf.int64)
print("ragged shape:", ragged_docs.shape, "total tokens:", int(tf.size(ragged_docs.flat_values)))

# ---------------------------------------------------------------------------
# Vocabulary via tf.unique + bincount over the flat values
# ---------------------------------------------------------------------------
flat_tokens = ragged_docs.flat_values
uniq_ids, inverse_idx = tf.unique(flat_tokens)
counts = tf.math.bincount(tf.cast(inverse_idx, tf.int32), minlength=tf.size(uniq_ids))
print(f"unique raw ids: {uniq_ids.shape[0]}, max count: {int(tf.reduce_max(counts))}")

keep = counts >= MIN_COUNT
kept_ids = tf.boolean_mask(uniq_ids, keep)
kept_counts = tf.boolean_mask(counts, keep)

# Sort vocab by frequency (descending) so the most common ids get small indices
order = tf.argsort(kept_counts, direction="DESCENDING", stable=True)
vocab_ids = tf.gather(kept_ids, order)
vocab_size = int(vocab_ids.shape[0]) + 2  # + pad + oov
print(f"vocab after min_count={MIN_COUNT}: {vocab_size} entries")

# Map raw id -> compact index using searchsorted on a sorted copy of the vocab
sort_perm = tf.argsort(vocab_ids)              # sorted position -> freq rank
sorted_vocab = tf.gather(vocab_ids, sort_perm)
# inverse permutation (freq rank -> sorted position), handy for debugging
inv_perm = tf.scatter_nd(
    tf.expand_dims(sort_perm, 1), tf.range(tf.size(vocab_ids)), shape=tf.shape(vocab_ids)
)
tf.debugging.assert_equal(tf.gather(sorted_vocab, inv_perm), vocab_ids)


def lookup(raw):
    """Raw int64 ids (any shape) -> compact int32 indices, OOV -> 1."""
    pos = tf.searchsorted(sorted_vocab, tf.reshape(raw, [-1]), side="left")
    pos_clipped = tf.minimum(pos, tf.size(sorted_vocab) - 1)
    hit = tf.equal(tf.gather(sorted_vocab, pos_clipped), tf.reshape(raw, [-1]))
    freq_rank = tf.gather(sort_perm, pos_clipped)
    idx = tf.where(hit, freq_rank + 2, tf.fill(tf.shape(freq_rank), OOV_INDEX))
    return tf.reshape(idx, tf.shape(raw))


# sanity check: first vocab entry must map to index 2
assert int(lookup(vocab_ids[:1])[0]) == 2

encoded = ragged_docs.with_flat_values(lookup(ragged_docs.flat_values))
oov_rate = tf.reduce_mean(tf.cast(tf.equal(encoded.flat_values, OOV_INDEX), tf.float32))
print(f"OOV rate: {float(oov_rate):.3f}")

# ---------------------------------------------------------------------------
# tf.data: ragged -> truncated -> padded dense + length
# ---------------------------------------------------------------------------
truncated = encoded[:, :MAX_LEN]
lengths = truncated.row_lengths()
padded = truncated.to_tensor(default_value=0, shape=[None, MAX_LEN])

ds = tf.data.Dataset.from_tensor_slices(((padded, lengths), labels))
ds = ds.shuffle(NUM_DOCS, seed=SEED, reshuffle_each_iteration=False)


def add_mask(inputs, y):
    tokens, length = inputs
    mask = tf.sequence_mask(length, maxlen=MAX_LEN)
    return {"tokens": tokens, "mask": mask}, y


N_DROP = 2  # token positions replaced by OOV per training example


def token_dropout(features, y):
    """Overwrite a few real (non-pad) positions with OOV."""
    tokens = features["tokens"]
    length = tf.reduce_sum(tf.cast(features["mask"], tf.int32))
    pos = tf.random.uniform([N_DROP], 0, length, dtype=tf.int32)
    tokens = tf.tensor_scatter_nd_update(
        tokens, pos[:, None], tf.fill([N_DROP], tf.cast(OOV_INDEX, tokens.dtype))
    )
    return dict(features, tokens=tokens), y


ds = ds.map(add_mask, num_parallel_calls=tf.data.AUTOTUNE)
n_val = NUM_DOCS // 5
val_ds = ds.take(n_val).batch(BATCH)
train_ds = (
    ds.skip(n_val)
    .map(token_dropout, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(BATCH)
    .prefetch(tf.data.AUTOTUNE)
)
peek, _ = next(iter(train_ds))
print("OOV per row after dropout (first 8):",
      tf.reduce_sum(tf.cast(peek["tokens"] == OOV_INDEX, tf.int32), axis=1).numpy()[:8])


class MaskedMeanPool(layers.Layer):
    """Mean over time where mask is True (explicit, no Keras masking)."""

    def call(self, x, mask_bool):
        m = tf.cast(mask_bool, x.dtype)[..., None]
        total = tf.reduce_sum(x * m, axis=1)
        denom = tf.maximum(tf.reduce_sum(m, axis=1), 1.0)
        return total / denom


tok_in = keras.Input(shape=(MAX_LEN,), dtype="int32", name="tokens")
mask_in = keras.Input(shape=(MAX_LEN,), dtype="bool", name="mask")
emb = layers.Embedding(vocab_size, EMBED_DIM, name="emb")(tok_in)
pooled = MaskedMeanPool(name="masked_mean")(emb, mask_in)
h = layers.Dense(32, activation="relu")(pooled)
h = layers.Dropout(0.2)(h)
out = layers.Dense(1, activation="sigmoid")(h)
model = keras.Model([tok_in, mask_in], out)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
model.summary()

history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)
print("final val acc:", round(history.history["val_accuracy"][-1], 3))

# Check a couple of predictions on fresh raw ids, including unseen ones
probe = tf.constant([[int(vocab_ids[0]), 123456789, int(vocab_ids[3])]], dtype=tf.int64)
probe_idx = tf.cast(lookup(probe), tf.int32)
probe_pad = tf.pad(probe_idx, [[0, 0], [0, MAX_LEN - 3]])
probe_mask = tf.sequence_mask([3], MAX_LEN)
print("probe indices:", probe_idx.numpy().tolist())
print("probe prob:", float(model.predict({"tokens": probe_pad, "mask": probe_mask}, verbose=0)[0, 0]))

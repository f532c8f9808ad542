# %% [markdown]
# Topic classification from variable-length sentences.
# Tokenise with tf.strings -> RaggedTensor, map words to ids with StringLookup,
# then turn ragged batches into dense padded batches for a small transformer encoder.

# %%
import collections
import itertools

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

print("TF", tf.__version__, "| Keras", keras.__version__)

MAX_LEN = 32
EMBED = 32
HEADS = 2
BATCH_SIZE = 24

# %% build a toy labelled corpus
TOPIC_WORDS = {
    "sports": "goal match team player score coach league win referee stadium".split(),
    "food": "pizza pasta salad recipe oven spicy sweet dinner bake flavor".split(),
    "tech": "laptop code server bug python cloud data chip network app".split(),
    "weather": "rain sunny cloud storm wind snow forecast cold warm humid".split(),
}
FILLER = "the a is was very really today yesterday i we they this that and but so".split()
LABELS = sorted(TOPIC_WORDS)
rng = np.random.default_rng(2024)


def random_sentence(topic):
    length = int(rng.integers(4, 22))
    words = []
    for _ in range(length):
        pool = TOPIC_WORDS[topic] if rng.random() < 0.45 else FILLER
        words.append(pool[rng.integers(len(pool))])
    text = " ".join(words)
    # sprinkle messy formatting so the preprocessing has something to do
    if rng.random() < 0.3:
        text = text.upper()
    if rng.random() < 0.3:
        text = text + "!!"
    return "  " + text.replace(" ", "  ", int(rng.integers(0, 3))) + " "


texts, labels = [], []
for i in range(480):
    topic = LABELS[i % len(LABELS)]
    texts.append(random_sentence(topic))
    labels.append(LABELS.index(topic))
texts = np.array(texts)
labels = np.array(labels, dtype="int32")
print(collections.Counter(labels.tolist()))
print(repr(texts[0]))

# %% tf.strings preprocessing -> ragged tokens


def clean_and_split(s):
    s = tf.strings.lower(s)
    s = tf.strings.regex_replace(s, r"[!?.,]+", " ")
    s = tf.strings.strip(s)
    return tf.strings.split(s)  # ragged when s is a batch


ragged_tokens = clean_and_split(tf.constant(texts))
print(type(ragged_tokens).__name__, ragged_tokens.shape, "row lengths:", ragged_tokens.row_lengths()[:8].numpy())

# vocabulary from token counts (flatten the ragged values)
counts = collections.Counter(w.decode() for w in ragged_tokens.flat_values.numpy())
vocab = [w for w, c in counts.most_common() if c >= 2]
print(f"{len(vocab)} words in vocab, top 10: {vocab[:10]}")

lookup = layers.StringLookup(vocabulary=vocab, mask_token="", num_oov_indices=1)
# StringLookup maps ragged -> ragged ids
ragged_ids = lookup(ragged_tokens)
print("ragged ids example:", ragged_ids[0].numpy())

# %% tf.data: ragged batching, then pad to dense inside map
split = int(0.8 * len(texts))
idx = rng.permutation(len(texts))
tr_idx, va_idx = idx[:split], idx[split:]


def to_dense(ids, y):
    # ids is a RaggedTensor [batch, None]; truncate then pad with 0
    ids = ids[:, :MAX_LEN]
    dense = ids.to_tensor(default_value=0, shape=[None, MAX_LEN])
    return dense, y


def make_ds(indices, training):
    ds = tf.data.Dataset.from_tensor_slices((tf.gather(ragged_ids, indices), labels[indices]))
    if training:
        ds = ds.shuffle(len(indices), seed=0)
    ds = ds.ragged_batch(BATCH_SIZE)
    return ds.map(to_dense, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


train_ds = make_ds(tr_idx, training=True)
val_ds = make_ds(va_idx, training=False)
xb, yb = next(iter(train_ds))
print("dense batch:", xb.shape, xb.dtype, "| pad fraction:", float(tf.reduce_mean(tf.cast(xb == 0, tf.float32))))

# alternative: bucketing by length keeps padding low (only used for a quick check here)
bucketed = (
    tf.data.Dataset.from_tensor_slices(tf.gather(ragged_ids, tr_idx))
    # elements come out with a RaggedTensorSpec; an identity map turns each row into
    # a plain 1-D tensor of varying length, which is what bucket_by_sequence_length wants
    .map(lambda row: row)
    .bucket_by_sequence_length(
        element_length_func=lambda t: tf.shape(t)[0],
        bucket_boundaries=[8, 16],
        bucket_batch_sizes=[32, 32, 32],
        pad_to_bucket_boundary=False,
    )
)
for b in itertools.islice(bucketed, 3):
    print("bucket batch shape:", tuple(b.shape))


# %% model
class TransformerEncoder(layers.Layer):
    def __init__(self, dim, heads, ff, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mha = layers.MultiHeadAttention(num_heads=heads, key_dim=dim)
        self.ff1 = layers.Dense(ff, activation="relu")
        self.ff2 = layers.Dense(dim)
        self.n1 = layers.LayerNormalization()
        self.n2 = layers.LayerNormalization()
        self.do = layers.Dropout(dropout)

    def call(self, x, mask=None, training=None):
        attn_mask = None
        if mask is not None:
            m = ops.cast(mask, "int32")
            attn_mask = ops.expand_dims(m, 1) * ops.expand_dims(m, 2)
        a = self.mha(x, x, attention_mask=attn_mask, training=training)
        x = self.n1(x + self.do(a, training=training))
        return self.n2(x + self.do(self.ff2(self.ff1(x)), training=training))


class PositionEmbedding(layers.Layer):
    def __init__(self, max_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.table = layers.Embedding(max_len, dim)

    def call(self, x, mask=None):
        pos = ops.arange(ops.shape(x)[1])
        return x + self.table(pos)[None, ...]


inputs = keras.Input(shape=(MAX_LEN,), dtype="int64")
h = layers.Embedding(lookup.vocabulary_size(), EMBED, mask_zero=True)(inputs)
h = PositionEmbedding(MAX_LEN, EMBED)(h)
h = TransformerEncoder(EMBED, HEADS, 2 * EMBED)(h)
h = layers.GlobalAveragePooling1D()(h)  # respects the padding mask
h = layers.Dropout(0.2)(h)
outputs = layers.Dense(len(LABELS), activation="softmax")(h)
clf = keras.Model(inputs, outputs)

clf.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
clf.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

# %% inference on raw strings
raw = tf.constant(["The coach said the team will WIN the match!!", "  heavy rain and cold wind today ", "my python code has a bug"])
ids = lookup(clean_and_split(raw))
dense, _ = to_dense(ids, tf.zeros([3], tf.int32))
probs = clf.predict(dense, verbose=0)
for s, p in zip(raw.numpy(), probs):
    print(f"{s.decode()!r:50s} -> {LABELS[int(np.argmax(p))]} ({p.max():.2f})")

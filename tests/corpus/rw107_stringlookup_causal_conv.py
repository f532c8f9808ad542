"""StringLookup + tf.data word LM with a dilated causal Conv1D stack (WaveNet-ish),
plus top-p (nucleus) sampling implemented with tensor ops inside tf.function.
"""
import collections
import string

import numpy as np
import tensorflow as tf
import keras
from keras import layers

tf.random.set_seed(11)
np.random.seed(11)

WINDOW = 24
BATCH_SIZE = 24
DILATIONS = [1, 2, 4, 8]
FILTERS = 64
TOP_P = 0.9
TEMP = 0.9

# ---------------------------------------------------------------- data
weather = ["sunny", "cloudy", "rainy", "windy", "foggy"]
cities = ["paris", "oslo", "lima", "cairo", "tokyo", "quito"]
temps = [str(t) for t in range(-5, 35, 5)]


def forecast_line():
    c = np.random.choice(cities)
    w1, w2 = np.random.choice(weather, 2, replace=False)
    t = np.random.choice(temps)
    return f"in {c} it will be {w1} , later {w2} , around {t} degrees ."


lines = [forecast_line() for _ in range(500)]
print(lines[0])

counts = collections.Counter(w for ln in lines for w in ln.split())
vocab = [w for w, c in counts.most_common() if c >= 2]
lookup = layers.StringLookup(vocabulary=vocab, num_oov_indices=1)
id_to_word = layers.StringLookup(vocabulary=vocab, num_oov_indices=1, invert=True)
V = lookup.vocabulary_size()
print("vocab size:", V, "| punctuation kept:", [w for w in vocab if w in string.punctuation])

# one long stream of ids, then chop into fixed windows
text_ds = tf.data.Dataset.from_tensor_slices(lines)
id_stream = text_ds.map(lambda s: lookup(tf.strings.split(s))).unbatch()


def split_input_target(chunk):
    return chunk[:-1], chunk[1:]


train_ds = (id_stream.batch(WINDOW + 1, drop_remainder=True)
            .map(split_input_target, num_parallel_calls=tf.data.AUTOTUNE)
            .shuffle(256, seed=11)
            .batch(BATCH_SIZE, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))
for xb, yb in train_ds.take(1):
    print("batch:", xb.shape, yb.shape, xb.dtype)


# ---------------------------------------------------------------- model
def residual_block(x, dilation, name):
    h = layers.Conv1D(FILTERS, 3, padding="causal", dilation_rate=dilation,
                      activation="gelu", name=f"{name}_conv")(x)
    h = layers.Conv1D(FILTERS, 1, name=f"{name}_proj")(h)
    h = layers.Dropout(0.1)(h)
    return layers.LayerNormalization(name=f"{name}_ln")(layers.Add()([x, h]))


inputs = keras.Input(shape=(None,), dtype="int64")
x = layers.Embedding(V, FILTERS)(inputs)
for i, d in enumerate(DILATIONS):
    x = residual_block(x, d, name=f"block{i}")
logits = layers.Dense(V, name="lm_head")(x)
model = keras.Model(inputs, logits, name="causal_conv_lm")
print("receptive field:", 1 + sum(2 * d for d in DILATIONS), "tokens")

model.compile(optimizer=keras.optimizers.AdamW(learning_rate=3e-3, weight_decay=1e-4),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=3, name="top3")])
model.fit(train_ds, epochs=2, verbose=2)


# ---------------------------------------------------------------- sampling
@tf.function(input_signature=[tf.TensorSpec([None, None], tf.float32),
                              tf.TensorSpec([], tf.float32),
                              tf.TensorSpec([], tf.float32)])
def nucleus_filter(logits, top_p, temperature):
    """Mask everything outside the smallest set whose prob mass >= top_p."""
    logits = logits / temperature
    sorted_logits = tf.sort(logits, direction="DESCENDING", axis=-1)
    sorted_probs = tf.nn.softmax(sorted_logits, axis=-1)
    cum = tf.cumsum(sorted_probs, axis=-1, exclusive=True)
    # keep tokens whose *exclusive* cumulative mass is still below top_p
    keep = cum < top_p
    cutoff_count = tf.reduce_sum(tf.cast(keep, tf.int32), axis=-1, keepdims=True)
    cutoff_count = tf.maximum(cutoff_count, 1)
    cutoff_logit = tf.gather(sorted_logits, cutoff_count - 1, batch_dims=1)
    return tf.where(logits < cutoff_logit, tf.fill(tf.shape(logits), -1e9), logits)


@tf.function(reduce_retracing=True)
def sample_next(context, top_p, temperature):
    last_logits = model(context, training=False)[:, -1, :]
    filtered = nucleus_filter(last_logits, top_p, temperature)
    return tf.random.categorical(filtered, num_samples=1)  # (B, 1) int64


def generate(prompts, n_tokens=20, top_p=TOP_P, temperature=TEMP):
    ctx = lookup(tf.strings.split(tf.constant(prompts))).to_tensor()
    # no left padding here, so the demo prompts all have the same word count
    for _ in range(n_tokens):
        nxt = sample_next(ctx[:, -WINDOW:], tf.constant(top_p), tf.constant(temperature))
        ctx = tf.concat([ctx, nxt], axis=1)
    words = id_to_word(ctx).numpy()
    return [" ".join(w.decode() for w in row) for row in words]


prompts = ["in paris it will", "in oslo it will", "in tokyo it will"]
for p, g in zip(prompts, generate(prompts)):
    print(f"> {g}")

# quick check of the filter on a known distribution
probe = tf.math.log(tf.constant([[0.5, 0.3, 0.15, 0.05]]))
print("nucleus(0.75) keeps:", (nucleus_filter(probe, 0.75, 1.0).numpy() > -1e8).astype(int))

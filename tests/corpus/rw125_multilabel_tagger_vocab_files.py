# Multi-label tag prediction for short support tickets.
#
# - bigram TF-IDF features from TextVectorization
# - a small custom layer (log1p + Normalization) for a skewed numeric column
# - tag strings -> multi-hot targets with StringLookup, and decoded back
#   with an inverted StringLookup
# - vocabularies written to plain text files under /tmp and reloaded
import os
import random
import shutil

import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

WORKDIR = "/tmp/rw125_tagger"
MAX_TOKENS = 600
TOP_K = 3
THRESHOLD = 0.35

TOPICS = {
    "billing":  ["invoice", "charged", "twice", "refund", "card", "payment", "receipt"],
    "login":    ["password", "reset", "locked", "2fa", "code", "sign", "account"],
    "mobile":   ["app", "iphone", "android", "crash", "update", "notification"],
    "shipping": ["package", "tracking", "late", "courier", "address", "delivered"],
    "bug":      ["error", "500", "broken", "page", "blank", "stuck", "loading"],
}
FILLER = "hi hello please help my the a is not it again today urgent thanks".split()


def fake_ticket(rnd):
    n_tags = rnd.choice([1, 1, 2, 2, 3])
    tags = rnd.sample(sorted(TOPICS), n_tags)
    words = [rnd.choice(FILLER) for _ in range(rnd.randint(4, 9))]
    for t in tags:
        words += rnd.sample(TOPICS[t], 3)
    rnd.shuffle(words)
    minutes_open = rnd.lognormvariate(3.0 + 0.4 * n_tags, 1.0)
    return " ".join(words), "|".join(tags), minutes_open


rnd = random.Random(99)
rows = [fake_ticket(rnd) for _ in range(400)]
texts, tag_strings, minutes = map(np.array, zip(*rows))
minutes = minutes.astype("float32")[:, None]
print(rows[0])


class LogNormalization(layers.Layer):
    """log1p followed by a learned (adapted) standardization."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.norm = layers.Normalization(axis=-1)

    def adapt(self, data):
        self.norm.adapt(np.log1p(np.asarray(data, dtype="float32")))

    def call(self, x):
        return self.norm(tf.math.log1p(tf.maximum(x, 0.0)))


def split_tags(s):
    return tf.strings.split(s, "|").to_tensor(default_value="")


# ---- build + adapt preprocessing -------------------------------------------
text_vec = layers.TextVectorization(max_tokens=MAX_TOKENS, ngrams=2, output_mode="tf_idf")
text_vec.adapt(texts)

tag_lookup = layers.StringLookup(mask_token="", num_oov_indices=0, output_mode="multi_hot")
tag_lookup.adapt(split_tags(tf.constant(tag_strings)))
TAGS = tag_lookup.get_vocabulary()
print("tags:", TAGS)

minutes_norm = LogNormalization(name="log_minutes")
minutes_norm.adapt(minutes)

# ---- persist vocabularies as text files and rebuild from them ----------------
shutil.rmtree(WORKDIR, ignore_errors=True)
os.makedirs(WORKDIR)
tok_path = os.path.join(WORKDIR, "tokens.txt")
tag_path = os.path.join(WORKDIR, "tags.txt")
with open(tok_path, "w") as fh:
    # skip the [UNK] entry; TextVectorization re-adds it on load
    fh.write("\n".join(text_vec.get_vocabulary()[1:]))
with open(tag_path, "w") as fh:
    fh.write("\n".join(TAGS))
# Keras 3 doesn't expose the idf weights publicly; they live on the inner lookup layer
idf = np.asarray(text_vec._lookup_layer.idf_weights)
np.save(os.path.join(WORKDIR, "idf.npy"), idf)
print(f"wrote {len(text_vec.get_vocabulary())} tokens, {len(TAGS)} tags to {WORKDIR}")

# tf_idf mode refuses a vocabulary *path*, so read the file into a list first
with open(tok_path) as fh:
    saved_tokens = fh.read().splitlines()
text_vec_loaded = layers.TextVectorization(
    ngrams=2, output_mode="tf_idf",
    vocabulary=saved_tokens,
    idf_weights=np.load(os.path.join(WORKDIR, "idf.npy"))[1:],
)
tag_lookup_loaded = layers.StringLookup(vocabulary=tag_path, mask_token="", num_oov_indices=0,
                                        output_mode="multi_hot")
tags_from_index = layers.StringLookup(vocabulary=tag_path, num_oov_indices=0, invert=True)

a = text_vec(texts[:8]).numpy()
b = text_vec_loaded(texts[:8]).numpy()
print("reloaded tf-idf max abs diff:", float(np.abs(a - b).max()))

# ---- datasets --------------------------------------------------------------
def to_features(text, mins, tags):
    feats = {"tfidf": text_vec_loaded(text), "minutes": minutes_norm(mins)}
    return feats, tf.cast(tag_lookup_loaded(split_tags(tags)), tf.float32)


ds = tf.data.Dataset.from_tensor_slices((texts, minutes, tag_strings))
ds = ds.shuffle(400, seed=1, reshuffle_each_iteration=False)
train_ds = ds.take(320).batch(32).map(to_features).prefetch(2)
val_ds = ds.skip(320).batch(32).map(to_features).cache()

# ---- model -----------------------------------------------------------------
n_tok = text_vec_loaded.vocabulary_size()
tfidf_in = keras.Input((n_tok,), name="tfidf")
min_in = keras.Input((1,), name="minutes")
h = layers.Dense(64, activation="relu")(tfidf_in)
h = layers.Concatenate()([h, min_in])
h = layers.Dropout(0.25)(h)
out = layers.Dense(len(TAGS), activation="sigmoid", name="tags")(h)
model = keras.Model({"tfidf": tfidf_in, "minutes": min_in}, out)

model.compile(
    optimizer="adam",
    loss="binary_crossentropy",
    metrics=[keras.metrics.BinaryAccuracy(threshold=THRESHOLD),
             keras.metrics.Precision(thresholds=THRESHOLD),
             keras.metrics.Recall(thresholds=THRESHOLD)],
)
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

# ---- decode predictions ------------------------------------------------------
new_tickets = np.array(["app crash after update, my password reset code never arrives",
                        "charged twice on my card, need refund and the tracking says late"])
new_minutes = np.array([[12.0], [240.0]], dtype="float32")
probs = model.predict({"tfidf": text_vec_loaded(new_tickets), "minutes": minutes_norm(new_minutes)},
                      verbose=0)
top_idx = tf.math.top_k(probs, k=TOP_K).indices
top_tags = tags_from_index(top_idx).numpy()
for t, p, idxs, names in zip(new_tickets, probs, top_idx.numpy(), top_tags):
    picks = [f"{n.decode()}({p[i]:.2f})" for i, n in zip(idxs, names)]
    print(f"{t[:45]:45s} -> {', '.join(picks)}")

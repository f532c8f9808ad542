"""fastText-ish classifier: hashed character n-grams + word ids, averaged and concatenated.

Char n-grams make it robust to typos ("terrible" vs "terible"), which matters a lot
for short user reviews. Everything is done in the tf.data pipeline so the model
only ever sees int tensors.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "ngram_sizes": (2, 3, 4),
    "hash_bins": 2048,
    "max_ngrams": 96,
    "max_words": 20,
    "word_vocab": 400,
    "embed_dim": 32,
    "num_classes": 3,
    "batch_size": 8,
    "epochs": 1,
}

LABELS = ["negative", "neutral", "positive"]

reviews = [
    ("this phone is terrible and the battery dies fast", 0),
    ("worst purchase ever, totally broken", 0),
    ("the screen cracked after one day, awful", 0),
    ("terible service and rude staff", 0),
    ("i hate the new update it is so slow", 0),
    ("refund please, this is garbage", 0),
    ("it arrived on tuesday", 1),
    ("the box contains a charger and a cable", 1),
    ("it is a phone, it makes calls", 1),
    ("delivery took about a week", 1),
    ("the color is grey", 1),
    ("average product, nothing special", 1),
    ("absolutely love it, great camera", 2),
    ("amazing battery life and super fast", 2),
    ("best phone i have owned, highly recomend", 2),
    ("excellent value for the price", 2),
    ("the display is gorgeous and bright", 2),
    ("fantastic support, they fixed it quickly", 2),
]
texts = np.array([r[0] for r in reviews])
labels = np.array([r[1] for r in reviews], dtype="int32")

# --- preprocessing -----------------------------------------------------------
word_lookup = layers.TextVectorization(
    max_tokens=CONFIG["word_vocab"],
    output_sequence_length=CONFIG["max_words"],
    standardize="lower_and_strip_punctuation",
)
word_lookup.adapt(texts)
ngram_hasher = layers.Hashing(num_bins=CONFIG["hash_bins"], mask_value="")


def char_ngrams(text):
    text = tf.strings.lower(text)
    text = tf.strings.regex_replace(text, r"[^a-z0-9 ]", "")
    words = tf.strings.split(text)
    # boundary markers like fastText, so "<ca" and "at>" are different from "cat" inside a word
    words = tf.strings.join(["<", words, ">"])
    chars = tf.strings.unicode_split(words, "UTF-8")
    grams = [tf.strings.ngrams(chars, n, separator="") for n in CONFIG["ngram_sizes"]]
    grams = tf.concat(grams, axis=-1)
    return grams.flat_values


def featurize(text, label):
    grams = char_ngrams(text)
    gram_ids = ngram_hasher(grams)
    # pad / truncate to a fixed length; 0 is the mask bin
    gram_ids = gram_ids[: CONFIG["max_ngrams"]]
    pad = CONFIG["max_ngrams"] - tf.shape(gram_ids)[0]
    gram_ids = tf.pad(gram_ids, [[0, pad]])
    gram_ids = tf.ensure_shape(gram_ids, [CONFIG["max_ngrams"]])
    word_ids = word_lookup(text)
    return {"ngram_ids": gram_ids, "word_ids": word_ids}, label


def build_ds(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(len(x), seed=42)
    ds = ds.map(featurize, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(CONFIG["batch_size"]).prefetch(tf.data.AUTOTUNE)


sample_feats, _ = featurize(tf.constant("Great camera"), 0)
nonzero = int(tf.math.count_nonzero(sample_feats["ngram_ids"]))
print(f"'Great camera' -> {nonzero} hashed char n-grams, words={sample_feats['word_ids'][:4].numpy()}")


# --- model -------------------------------------------------------------------
class MaskedAverage(layers.Layer):
    def call(self, inputs, mask=None):
        if mask is None:
            return tf.reduce_mean(inputs, axis=1)
        mask = tf.cast(mask, inputs.dtype)[..., None]
        return tf.reduce_sum(inputs * mask, axis=1) / (tf.reduce_sum(mask, axis=1) + 1e-6)

    def compute_mask(self, inputs, mask=None):
        return None


def build_model(cfg):
    ngram_in = keras.Input(shape=(cfg["max_ngrams"],), dtype="int64", name="ngram_ids")
    word_in = keras.Input(shape=(cfg["max_words"],), dtype="int64", name="word_ids")

    branches = []
    for name, inp, n_tokens in [
        ("ngram", ngram_in, cfg["hash_bins"]),
        ("word", word_in, word_lookup.vocabulary_size()),
    ]:
        emb = layers.Embedding(n_tokens, cfg["embed_dim"], mask_zero=True, name=f"{name}_emb")(inp)
        branches.append(MaskedAverage(name=f"{name}_avg")(emb))

    x = layers.Concatenate(name="concat")(branches)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(32, activation="relu")(x)
    out = layers.Dense(cfg["num_classes"], activation="softmax", name="label")(x)
    return keras.Model(inputs=[ngram_in, word_in], outputs=out, name="ngram_hash_clf")


model = build_model(CONFIG)
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(),
    metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
)
print(f"params: {model.count_params():,}")

idx = np.random.default_rng(0).permutation(len(texts))
train_idx, test_idx = idx[:14], idx[14:]
train_ds = build_ds(texts[train_idx], labels[train_idx], training=True)
test_ds = build_ds(texts[test_idx], labels[test_idx], training=False)

model.fit(train_ds, epochs=CONFIG["epochs"], verbose=2)
loss, acc = model.evaluate(test_ds, verbose=0)
print(f"held-out loss={loss:.3f} acc={acc:.2f}")

# typo robustness check: the misspelled words share most n-grams with the originals
probe = ["amazng camra", "terrrible batery", "it is grey"]
probe_ds = tf.data.Dataset.from_tensor_slices((probe, [0] * len(probe))).map(featurize).batch(4)
probs = model.predict(probe_ds, verbose=0)
for text, p in zip(probe, probs):
    print(f"{text:<20s} -> {LABELS[int(np.argmax(p))]:<8s} {np.round(p, 2)}")

"""fastText-style classifier where all preprocessing is tf.strings ops in tf.data.

Raw TSV lines ("label<TAB>text") are parsed, cleaned, split into words and
character n-grams (`<wo`, `wor`, `ord`, `rd>` ...), hashed into buckets with
`tf.strings.to_hash_bucket_fast`, truncated/padded to a fixed length with a
small tf.pad helper and fed to a bag-of-embeddings model. No vocabulary file
needed, which is handy for multilingual / noisy text.
"""
import numpy as np
import tensorflow as tf

# Hyper-parameters
NUM_WORD_BUCKETS = 5000
NUM_NGRAM_BUCKETS = 20000
MAX_WORDS = 32
MAX_NGRAMS = 160
NGRAM_SIZES = (3, 4)
EMBED_DIM = 32
BATCH_SIZE = 32
LABELS = ["sports", "tech", "food"]

tf.random.set_seed(3)
rng = np.random.default_rng(3)

VOCAB_BY_LABEL = {
    "sports": ["fútbol", "goal", "match", "équipe", "striker", "derby", "coach", "league"],
    "tech": ["GPU", "kernel", "compiler", "café-app", "server", "latency", "cloud", "API"],
    "food": ["crème", "brûlée", "pasta", "umami", "bakery", "jalapeño", "ramen", "tapas"],
}
COMMON = ["the", "new", "best", "today", "with", "for", "and", "in", "a", "our"]


def synth_tsv_lines(n):
    lines = []
    for _ in range(n):
        k = int(rng.integers(len(LABELS)))
        words = [rng.choice(VOCAB_BY_LABEL[LABELS[k]]) if rng.random() < 0.4 else rng.choice(COMMON)
                 for _ in range(rng.integers(4, 20))]
        text = " ".join(words)
        if rng.random() < 0.3:
            text = "  " + text.upper() + "!!  "
        lines.append(f"{k}\t{text}")
    return lines


# ---------------------------------------------------------------------------
# tf.strings preprocessing
# ---------------------------------------------------------------------------
def clean_text(text):
    text = tf.strings.lower(text, encoding="utf-8")      # utf-8 aware: É -> é
    text = tf.strings.regex_replace(text, r"[^\p{L}\p{N}\s\-]", " ")
    text = tf.strings.regex_replace(text, r"\s+", " ")
    return tf.strings.strip(text)


def char_ngrams(words, sizes=NGRAM_SIZES):
    """words: 1-D string tensor -> 1-D tensor of all char n-grams of all words."""
    bounded = tf.strings.join(["<", words, ">"])
    chars = tf.strings.unicode_split(bounded, "UTF-8")              # ragged [W, C]
    grams = [tf.strings.ngrams(chars, n, separator="") for n in sizes]
    grams = tf.concat(grams, axis=1)                                 # ragged [W, G]
    return grams.flat_values


def pad_or_truncate(ids, max_len):
    ids = ids[:max_len]
    pad_amount = max_len - tf.shape(ids)[0]
    ids = tf.pad(ids, [[0, pad_amount]])
    return tf.ensure_shape(ids, [max_len])


def parse_line(line):
    parts = tf.strings.split(line, sep="\t", maxsplit=1)
    label = tf.strings.to_number(parts[0], out_type=tf.int32)
    text = clean_text(parts[1])
    words = tf.strings.split(text)

    # +1 so that 0 stays reserved for padding
    word_ids = tf.strings.to_hash_bucket_fast(words, NUM_WORD_BUCKETS - 1) + 1
    ngram_ids = tf.strings.to_hash_bucket_fast(char_ngrams(words), NUM_NGRAM_BUCKETS - 1) + 1

    features = {
        "word_ids": pad_or_truncate(word_ids, MAX_WORDS),
        "ngram_ids": pad_or_truncate(ngram_ids, MAX_NGRAMS),
        "num_chars": tf.strings.length(text, unit="UTF8_CHAR"),
    }
    return features, label


def make_dataset(lines, training):
    ds = tf.data.Dataset.from_tensor_slices(lines)
    if training:
        ds = ds.shuffle(len(lines), seed=3)
    ds = ds.map(parse_line, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------
class BagOfEmbeddings(tf.keras.layers.Layer):
    def __init__(self, num_buckets, dim, **kwargs):
        super().__init__(**kwargs)
        self.embedding = tf.keras.layers.Embedding(num_buckets, dim)

    def call(self, ids):
        vecs = self.embedding(ids)                                      # (B, T, D)
        mask = tf.cast(ids > 0, vecs.dtype)[..., tf.newaxis]            # (B, T, 1)
        denom = tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
        return tf.reduce_sum(vecs * mask, axis=1) / denom               # (B, D)


class FastTextClassifier(tf.keras.Model):
    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.word_bag = BagOfEmbeddings(NUM_WORD_BUCKETS, EMBED_DIM, name="word_bag")
        self.ngram_bag = BagOfEmbeddings(NUM_NGRAM_BUCKETS, EMBED_DIM, name="ngram_bag")
        self.len_norm = tf.keras.layers.Normalization(axis=-1, name="len_norm")
        self.hidden = tf.keras.layers.Dense(32, activation="relu")
        self.out = tf.keras.layers.Dense(num_classes)

    def call(self, inputs, training=False):
        w = self.word_bag(inputs["word_ids"])
        g = self.ngram_bag(inputs["ngram_ids"])
        length = self.len_norm(tf.cast(inputs["num_chars"], tf.float32)[:, tf.newaxis])  # (B, 1)
        x = tf.concat([w, g, length], axis=-1)                          # (B, 2D + 1)
        return self.out(self.hidden(x))


def main():
    train_lines = synth_tsv_lines(800)
    val_lines = synth_tsv_lines(160)

    # peek at the preprocessing for one line
    feats, label = parse_line(tf.constant("2\t  Crème BRÛLÉE, with jalapeño!!  "))
    print("label:", int(label), "| num_chars:", int(feats["num_chars"]))
    print("word ids:", feats["word_ids"].numpy()[:6], "shape", feats["word_ids"].shape)
    print("ngrams of 'ramen':", char_ngrams(tf.constant(["ramen"])).numpy()[:6])

    train_ds = make_dataset(train_lines, training=True)
    val_ds = make_dataset(val_lines, training=False)
    print(train_ds.element_spec)

    model = FastTextClassifier(len(LABELS), name="fasttext")
    # adapt the length normaliser on the num_chars feature only
    model.len_norm.adapt(train_ds.map(lambda f, y: tf.cast(f["num_chars"], tf.float32)[:, None]))

    model.compile(
        optimizer=tf.keras.optimizers.Adam(5e-3),
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)
    model.summary()

    texts = tf.constant(["0\tthe derby striker scored", "1\tnew GPU kernel compiler",
                         "2\tramen and tapas today"])
    batch_feats, batch_labels = next(iter(tf.data.Dataset.from_tensor_slices(texts)
                                          .map(parse_line).batch(3)))
    logits = model(batch_feats)
    pred = tf.argmax(logits, axis=-1).numpy()
    print("pred:", [LABELS[i] for i in pred], "| gold:", [LABELS[i] for i in batch_labels.numpy()])


if __name__ == "__main__":
    main()

"""Toy NER-style token tagger.

Sentences and their per-token tags are variable length -> stored as RaggedTensors,
streamed with Dataset.from_generator and padded with padded_batch. The model relies on
Keras mask propagation (Embedding(mask_zero=True) -> mask-aware encoder -> Dense),
so padded positions are ignored by the loss and metrics automatically.
"""
import argparse
import sys

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers


def parse_args(argv):
    p = argparse.ArgumentParser()
    p.add_argument("--n-sentences", type=int, default=360)
    p.add_argument("--embed-dim", type=int, default=32)
    p.add_argument("--heads", type=int, default=2)
    p.add_argument("--blocks", type=int, default=2)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=24)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--max-words", type=int, default=12, help="pad every batch to this length")
    return p.parse_args(argv)


args = parse_args(sys.argv[1:])
tf.keras.utils.set_random_seed(args.seed)
rng = np.random.default_rng(args.seed)

TAGS = ["PAD", "O", "PER", "LOC", "ORG", "DATE"]
TAG2ID = {t: i for i, t in enumerate(TAGS)}
LEXICON = {
    "PER": ["alice", "bruno", "chen", "diana", "emeka", "fatima"],
    "LOC": ["paris", "lagos", "lima", "oslo", "kyoto", "denver"],
    "ORG": ["acme", "globex", "initech", "umbrella", "hooli"],
    "DATE": ["monday", "tuesday", "january", "march", "2021", "2019"],
}
PATTERNS = [
    "PER works for ORG in LOC",
    "PER flew to LOC on DATE",
    "ORG opened an office in LOC",
    "on DATE PER met PER at ORG",
    "PER and PER visited LOC",
    "the ORG team from LOC won in DATE",
]


def make_example():
    words, tags = [], []
    for tok in rng.choice(PATTERNS).split():
        if tok in LEXICON:
            words.append(str(rng.choice(LEXICON[tok])))
            tags.append(tok)
        else:
            words.append(tok)
            tags.append("O")
    return " ".join(words), tags


examples = [make_example() for _ in range(args.n_sentences)]
sentences = tf.constant([s for s, _ in examples])
tag_ids = tf.ragged.constant([[TAG2ID[t] for t in tags] for _, tags in examples], dtype=tf.int32)
print(examples[0])

# ---------------------------------------------------------------- vocab from ragged words
words = tf.strings.split(sentences)  # RaggedTensor[string]
assert bool(tf.reduce_all(words.row_lengths() == tag_ids.row_lengths()))
word_lookup = layers.StringLookup(mask_token="[PAD]", oov_token="[UNK]")
word_lookup.adapt(words.flat_values)
word_ids = word_lookup(words)  # ragged int64
print("vocab size:", word_lookup.vocabulary_size(), "| first ids:", word_ids[0].numpy(), "| tags:", tag_ids[0].numpy())


def gen(ragged_x, ragged_y):
    def _g():
        for x, y in zip(ragged_x, ragged_y):
            yield x.numpy(), y.numpy()
    return _g


n_train = int(0.85 * args.n_sentences)
sig = (tf.TensorSpec([None], tf.int64), tf.TensorSpec([None], tf.int32))


def make_ds(xr, yr, shuffle):
    ds = tf.data.Dataset.from_generator(gen(xr, yr), output_signature=sig)
    # fixed padded length -> one traced graph instead of one per batch length
    ds = ds.map(lambda x, y: (x[: args.max_words], y[: args.max_words]))
    if shuffle:
        ds = ds.shuffle(256, seed=args.seed)
    return ds.padded_batch(args.batch_size, padded_shapes=([args.max_words], [args.max_words]), padding_values=(tf.constant(0, tf.int64), 0))


train_ds = make_ds(word_ids[:n_train], tag_ids[:n_train], True)
val_ds = make_ds(word_ids[n_train:], tag_ids[n_train:], False)
for xb, yb in train_ds.take(1):
    print("padded batch:", xb.shape, yb.shape)


# ---------------------------------------------------------------- model
class SinusoidalPosition(layers.Layer):
    """Adds fixed sin/cos positions; passes the incoming mask through unchanged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, x):
        length, dim = tf.shape(x)[1], x.shape[-1]
        pos = tf.cast(tf.range(length)[:, None], tf.float32)
        i = tf.cast(tf.range(dim // 2)[None, :], tf.float32)
        angles = pos / tf.pow(10000.0, 2.0 * i / dim)
        pe = tf.concat([tf.sin(angles), tf.cos(angles)], axis=-1)
        return x + pe[None]


class MaskedEncoder(layers.Layer):
    def __init__(self, dim, heads, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.mha = layers.MultiHeadAttention(heads, dim // heads)
        self.dense_in = layers.Dense(dim * 2, activation="relu")
        self.dense_out = layers.Dense(dim)
        self.norm_a = layers.LayerNormalization()
        self.norm_b = layers.LayerNormalization()

    def call(self, x, mask=None):
        # MHA picks up the keras mask of x for query/value and builds the attention mask itself
        y = self.mha(query=x, value=x, key=x)
        x = self.norm_a(x + y)
        return self.norm_b(x + self.dense_out(self.dense_in(x)))


def build_tagger(vocab_size, n_tags):
    inputs = tf.keras.Input(shape=(None,), dtype="int64", name="word_ids")
    x = layers.Embedding(vocab_size, args.embed_dim, mask_zero=True, name="word_emb")(inputs)
    x = SinusoidalPosition(name="posenc")(x)
    x = layers.Dropout(0.1)(x)
    for b in range(args.blocks):
        x = MaskedEncoder(args.embed_dim, args.heads, name=f"encoder_{b}")(x)
    logits = layers.Dense(n_tags, name="tag_logits")(x)
    return tf.keras.Model(inputs, logits, name="tagger")


class EntityF1(tf.keras.callbacks.Callback):
    """Token-level micro F1 over non-O tags, computed on val set at epoch end."""

    def __init__(self, data):
        super().__init__()
        self.data = data

    def on_epoch_end(self, epoch, logs=None):
        tp = fp = fn = 0
        for xb, yb in self.data:
            pred = np.argmax(self.model.predict_on_batch(xb), axis=-1)
            y = yb.numpy()
            real = y > 0
            ent_pred = (pred > TAG2ID["O"]) & real
            ent_true = y > TAG2ID["O"]
            tp += int(np.sum(ent_pred & ent_true & (pred == y)))
            fp += int(np.sum(ent_pred & ~((pred == y) & ent_true)))
            fn += int(np.sum(ent_true & (pred != y)))
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        print(f"  [epoch {epoch + 1}] entity token F1 = {f1:.3f}")
        if logs is not None:
            logs["val_entity_f1"] = f1


model = build_tagger(word_lookup.vocabulary_size(), len(TAGS))
model.compile(
    optimizer=tf.keras.optimizers.Adam(learning_rate=3e-3),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.summary(line_length=90)
model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=[EntityF1(val_ds)], verbose=2)

# ---------------------------------------------------------------- tag new sentences
new = tf.constant(["diana flew to kyoto on march", "hooli opened an office in someplace"])
ids = word_lookup(tf.strings.split(new)).to_tensor()
pred = tf.argmax(model(ids), axis=-1).numpy()
for sent, row in zip(new.numpy(), pred):
    toks = sent.decode().split()
    print(" ".join(f"{w}/{TAGS[t]}" for w, t in zip(toks, row[: len(toks)])))

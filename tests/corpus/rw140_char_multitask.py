"""Character-level transformer with two heads: next-character LM + language ID.

Heavy on tf.strings: normalisation with regex, unicode_decode to code points
(RaggedTensor), a StaticHashTable that maps code points to compact ids,
and ragged -> dense padding inside Dataset.map.
"""
import string

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

MAXLEN = 40
DIM = 32
HEADS = 4
N_LAYERS = 2
BATCH = 32
PAD, BOS, UNK = 0, 1, 2

rs = np.random.RandomState(5)

# pseudo "languages" built from different syllable inventories (with a few accented chars)
SYLLABLES = {
    "en": ["th", "the", "ing", "and", "wh", "ould", "er", "sh", "ay", "ow"],
    "es": ["ción", "que", "el", "la", "ño", "ar", "os", "ía", "dad", "mente"],
    "de": ["sch", "ein", "ung", "ich", "über", "keit", "ge", "ß", "zu", "ach"],
}
LANGS = sorted(SYLLABLES)


def fake_sentence(lang):
    words = []
    for _ in range(rs.randint(3, 7)):
        w = "".join(rs.choice(SYLLABLES[lang], size=rs.randint(1, 4)))
        words.append(w.capitalize() if rs.rand() < 0.2 else w)
    s = " ".join(words)
    return s + rs.choice([".", "!", "?", "", "  "])


raw_texts, lang_ids = [], []
for i in range(450):
    lang = LANGS[i % 3]
    raw_texts.append(fake_sentence(lang))
    lang_ids.append(i % 3)
print(raw_texts[:3])


def normalize(s):
    s = tf.strings.lower(s, encoding="utf-8")
    s = tf.strings.regex_replace(s, r"[%s]" % string.punctuation.replace("\\", "\\\\").replace("]", "\\]"), "")
    s = tf.strings.regex_replace(s, r"\s+", " ")
    return tf.strings.strip(s)


clean = normalize(tf.constant(raw_texts))
codepoints = tf.strings.unicode_decode(clean, "UTF-8")  # RaggedTensor[int32]
print("ragged codepoints:", codepoints.shape, "| lengths min/max:",
      int(tf.reduce_min(codepoints.row_lengths())), int(tf.reduce_max(codepoints.row_lengths())))

# build a char vocabulary from the flat values of the ragged tensor
uniq = np.unique(codepoints.flat_values.numpy())
char_list = [chr(c) for c in uniq]
print(f"{len(char_list)} distinct chars:", "".join(char_list))
table = tf.lookup.StaticHashTable(
    tf.lookup.KeyValueTensorInitializer(
        keys=tf.constant(uniq, tf.int32),
        values=tf.range(3, 3 + len(uniq), dtype=tf.int32),
    ),
    default_value=UNK,
)
VOCAB = 3 + len(uniq)
id_to_char = {i + 3: ch for i, ch in enumerate(char_list)}


def encode(texts, langs):
    cps = tf.strings.unicode_decode(normalize(texts), "UTF-8")
    ids = tf.ragged.map_flat_values(table.lookup, cps)
    bos = tf.fill([ids.nrows(), 1], BOS)
    ids = tf.concat([bos, ids], axis=1)[:, : MAXLEN + 1]
    dense = ids.to_tensor(default_value=PAD, shape=[None, MAXLEN + 1])
    x, y_next = dense[:, :-1], dense[:, 1:]
    # per-position weights so padding doesn't count toward the LM loss
    lm_w = tf.cast(tf.not_equal(y_next, PAD), tf.float32)
    return x, {"next_char": y_next, "lang": langs}, {"next_char": lm_w, "lang": tf.ones_like(langs, tf.float32)}


ds = tf.data.Dataset.from_tensor_slices((raw_texts, np.array(lang_ids, "int32")))
ds = ds.shuffle(450, seed=5)
val = ds.take(90).batch(BATCH).map(encode)
train = ds.skip(90).batch(BATCH).map(encode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
xb, yb, wb = next(iter(train))
print("x:", xb.shape, "next_char:", yb["next_char"].shape, "lang:", yb["lang"].shape)
print("decoded x[0]:", "".join(id_to_char.get(int(i), "") for i in xb[0].numpy()))


class CharEmbedding(layers.Layer):
    def __init__(self, vocab, maxlen, dim, **kw):
        super().__init__(**kw)
        self.char = layers.Embedding(vocab, dim)
        self.pos = layers.Embedding(maxlen, dim)

    def call(self, x):
        return self.char(x) + self.pos(ops.arange(ops.shape(x)[1]))


class CausalBlock(layers.Layer):
    def __init__(self, dim, heads, **kw):
        super().__init__(**kw)
        self.attn = layers.MultiHeadAttention(heads, dim // heads)
        self.mlp = keras.Sequential([layers.Dense(4 * dim, activation="gelu"), layers.Dense(dim)])
        self.ln1, self.ln2 = layers.LayerNormalization(), layers.LayerNormalization()

    def call(self, x, keep):
        # keep: [B, T] 1 for real chars. causal + padding combined by MHA.
        a = self.attn(x, x, attention_mask=ops.expand_dims(keep, 1), use_causal_mask=True)
        x = self.ln1(x + a)
        return self.ln2(x + self.mlp(x))


class MaskedMeanPool(layers.Layer):
    def call(self, x, keep):
        keep = ops.cast(ops.expand_dims(keep, -1), x.dtype)
        return ops.sum(x * keep, axis=1) / ops.maximum(ops.sum(keep, axis=1), 1.0)


def build():
    inp = keras.Input((MAXLEN,), dtype="int32", name="chars")
    keep = ops.cast(ops.not_equal(inp, PAD), "int32")
    h = CharEmbedding(VOCAB, MAXLEN, DIM)(inp)
    for i in range(N_LAYERS):
        h = CausalBlock(DIM, HEADS, name=f"causal_{i}")(h, keep)
    next_char = layers.Dense(VOCAB, name="next_char")(h)
    pooled = MaskedMeanPool(name="pool")(h, keep)
    lang = layers.Dense(len(LANGS), activation="softmax", name="lang")(pooled)
    return keras.Model(inp, {"next_char": next_char, "lang": lang})


model = build()
model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss={
        "next_char": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        "lang": keras.losses.SparseCategoricalCrossentropy(),
    },
    loss_weights={"next_char": 1.0, "lang": 0.5},
    metrics={"lang": ["accuracy"]},
    jit_compile=False,
)
model.fit(train, validation_data=val, epochs=2, verbose=2)


def greedy_continue(prefix, n=15):
    """Greedy char generation from a prefix; uses the next_char head only."""
    ids = [BOS] + [int(v) for v in table.lookup(tf.strings.unicode_decode(normalize(prefix), "UTF-8")).numpy()]
    for _ in range(n):
        if len(ids) >= MAXLEN:
            break
        x = np.zeros((1, MAXLEN), "int32")
        x[0, : len(ids)] = ids
        logits = model.predict_on_batch(x)["next_char"][0, len(ids) - 1]
        logits[[PAD, BOS, UNK]] = -np.inf
        ids.append(int(np.argmax(logits)))
    return "".join(id_to_char.get(i, "") for i in ids[1:])


for pref in ["the", "la que", "schein"]:
    x, _, _ = encode(tf.constant([pref]), tf.constant([0]))
    probs = model.predict_on_batch(x)["lang"][0]
    guess = LANGS[int(np.argmax(probs))]
    print(f"{pref!r:10} lang={guess} {np.round(probs, 2)} | continuation: {greedy_continue(pref)!r}")

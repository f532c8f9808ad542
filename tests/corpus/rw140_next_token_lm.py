import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---- hyperparams -------------------------------------------------------------
VOCAB = 300
SEQ_LEN = 20          # model sees SEQ_LEN tokens, predicts the next SEQ_LEN
D_MODEL = 48
HEADS = 3
FFN = 96
N_BLOCKS = 2
BATCH = 32
EPOCHS = 2

rng = np.random.default_rng(123)

# a little nursery-rhyme-ish corpus generated from templates
templates = [
    "once upon a time there was a {adj} {noun} who lived {where}",
    "every morning the {noun} would {verb} {where}",
    "the {adj} {noun} did not like to {verb}",
    "one day the {noun} decided to {verb} with a {adj} {noun2}",
    "and so the {noun} and the {noun2} were {adj} forever",
]
fill = {
    "adj": ["little", "brave", "sleepy", "happy", "grumpy", "tiny", "clever"],
    "noun": ["fox", "rabbit", "king", "baker", "owl", "mouse", "giant"],
    "noun2": ["frog", "queen", "bear", "goat", "crow"],
    "verb": ["sing", "dance", "run", "bake", "read", "swim"],
    "where": ["in the forest", "by the sea", "under a bridge", "in a castle", "on a hill"],
}


def sample_sentence():
    t = templates[rng.integers(len(templates))]
    return t.format(**{k: v[rng.integers(len(v))] for k, v in fill.items()})


stories = [" . ".join(sample_sentence() for _ in range(rng.integers(1, 3))) for _ in range(350)]
print(len(stories), "stories; e.g.", stories[0][:80], "...")


def custom_standardize(s):
    s = tf.strings.lower(s)
    # keep the period as its own token, strip other punctuation
    s = tf.strings.regex_replace(s, r"[^a-z. ]", "")
    s = tf.strings.regex_replace(s, r"\.", " . ")
    s = tf.strings.regex_replace(s, r"\s+", " ")
    return tf.strings.strip(s)


# +1 so that we can build (input, target) by shifting one step
vectorize = layers.TextVectorization(
    max_tokens=VOCAB,
    standardize=custom_standardize,
    output_sequence_length=SEQ_LEN + 1,
)
vectorize.adapt(stories)
itos = [str(w) for w in vectorize.get_vocabulary()]
stoi = {w: i for i, w in enumerate(itos)}
print("vocab:", len(itos), itos[:12])


def to_lm_pairs(text):
    ids = vectorize(text)
    return ids[:, :-1], ids[:, 1:]


train_ds = (
    tf.data.Dataset.from_tensor_slices(stories)
    .shuffle(400, seed=1)
    .batch(BATCH)
    .map(to_lm_pairs, num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(tf.data.AUTOTUNE)
)


class PositionalEmbedding(layers.Layer):
    """Learned token embedding + fixed sinusoidal positions."""

    def __init__(self, vocab_size, seq_len, dim, **kw):
        super().__init__(**kw)
        self.emb = layers.Embedding(vocab_size, dim)
        pos = np.arange(seq_len)[:, None]
        i = np.arange(dim)[None, :]
        angle = pos / np.power(10000, (2 * (i // 2)) / dim)
        angle[:, 0::2] = np.sin(angle[:, 0::2])
        angle[:, 1::2] = np.cos(angle[:, 1::2])
        self.pos_table = tf.constant(angle, dtype=tf.float32)
        self.scale = tf.math.sqrt(tf.cast(dim, tf.float32))

    def call(self, ids):
        n = tf.shape(ids)[1]
        return self.emb(ids) * self.scale + self.pos_table[tf.newaxis, :n, :]


class DecoderBlock(layers.Layer):
    def __init__(self, dim, heads, ffn, rate=0.1, **kw):
        super().__init__(**kw)
        self.attn = layers.MultiHeadAttention(heads, key_dim=dim // heads, dropout=rate)
        self.ffn = keras.Sequential([layers.Dense(ffn, activation="relu"), layers.Dense(dim)])
        self.ln1 = layers.LayerNormalization()
        self.ln2 = layers.LayerNormalization()
        self.drop = layers.Dropout(rate)

    def call(self, x, padding_mask=None, training=False):
        # pre-norm; padding mask combined with causal mask inside MHA
        h = self.ln1(x)
        pad = None if padding_mask is None else tf.cast(padding_mask[:, tf.newaxis, :], tf.bool)
        h = self.attn(h, h, attention_mask=pad, use_causal_mask=True, training=training)
        x = x + self.drop(h, training=training)
        x = x + self.drop(self.ffn(self.ln2(x)), training=training)
        return x


class TinyGPT(keras.Model):
    def __init__(self, vocab_size, seq_len, dim, heads, ffn, n_blocks, **kw):
        super().__init__(**kw)
        self.embed = PositionalEmbedding(vocab_size, seq_len, dim)
        self.blocks = [DecoderBlock(dim, heads, ffn, name=f"block_{i}") for i in range(n_blocks)]
        self.final_ln = layers.LayerNormalization()
        self.lm_head = layers.Dense(vocab_size, name="next_token")

    def call(self, ids, training=False):
        # padding mask is computed here and handed to each block explicitly,
        # so the loss/metrics below do their own masking on y_true == 0
        mask = tf.not_equal(ids, 0)
        x = self.embed(ids)
        for blk in self.blocks:
            x = blk(x, padding_mask=mask, training=training)
        return self.lm_head(self.final_ln(x))


def masked_ce(y_true, logits):
    per_tok = keras.losses.sparse_categorical_crossentropy(y_true, logits, from_logits=True)
    m = tf.cast(tf.not_equal(y_true, 0), per_tok.dtype)
    return tf.reduce_sum(per_tok * m) / tf.maximum(tf.reduce_sum(m), 1.0)


def masked_acc(y_true, logits):
    pred = tf.argmax(logits, axis=-1, output_type=y_true.dtype)
    m = tf.cast(tf.not_equal(y_true, 0), tf.float32)
    hit = tf.cast(tf.equal(pred, y_true), tf.float32) * m
    return tf.reduce_sum(hit) / tf.maximum(tf.reduce_sum(m), 1.0)


gpt = TinyGPT(len(itos), SEQ_LEN, D_MODEL, HEADS, FFN, N_BLOCKS)
gpt.compile(optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4),
            loss=masked_ce, metrics=[masked_acc], jit_compile=False)
gpt.fit(train_ds, epochs=EPOCHS, verbose=2)
gpt.summary()


def generate(prompt, n_new=10, temperature=0.8):
    tokens = [stoi.get(w, 1) for w in prompt.lower().split()]
    for _ in range(n_new):
        window = tokens[-SEQ_LEN:]
        x = np.array([window + [0] * (SEQ_LEN - len(window))], dtype="int64")
        logits = gpt(x, training=False)[0, len(window) - 1].numpy()
        logits[:2] = -1e9  # never sample pad / [UNK]
        probs = tf.nn.softmax(logits / temperature).numpy()
        nxt = int(rng.choice(len(probs), p=probs / probs.sum()))
        tokens.append(nxt)
    return " ".join(itos[t] for t in tokens)


for p in ["once upon a time", "every morning the", "the grumpy"]:
    print(f"[{p}] -> {generate(p)}")

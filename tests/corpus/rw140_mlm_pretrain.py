"""Tiny BERT-style masked language model pretraining on an in-script corpus.

TextVectorization -> token+position embedding -> 2 transformer encoder blocks
-> MLM head. Loss is only computed on masked positions via sample weights.
"""
import random

import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 7
random.seed(SEED)
np.random.seed(SEED)
tf.random.set_seed(SEED)

CONFIG = {
    "vocab_size": 200,
    "max_len": 24,
    "embed_dim": 32,
    "num_heads": 4,
    "ff_dim": 64,
    "num_layers": 2,
    "mask_rate": 0.15,
    "batch_size": 16,
    "epochs": 2,
    "lr": 1e-3,
}

SUBJECTS = ["the cat", "a dog", "my friend", "the teacher", "our neighbor", "the bird"]
VERBS = ["sees", "likes", "chases", "finds", "watches", "follows"]
OBJECTS = ["the ball", "a red car", "the old tree", "some fresh bread", "the river", "a small box"]
PLACES = ["in the park", "near the house", "at school", "by the lake", "on sunday", "after lunch"]


def make_corpus(n):
    out = []
    for _ in range(n):
        s = f"{random.choice(SUBJECTS)} {random.choice(VERBS)} {random.choice(OBJECTS)}"
        if random.random() < 0.6:
            s += f" {random.choice(PLACES)}"
        if random.random() < 0.3:
            s += f" and {random.choice(SUBJECTS)} {random.choice(VERBS)} it"
        out.append(s)
    return out


corpus = make_corpus(400)
print("example:", corpus[0])

vectorizer = layers.TextVectorization(
    max_tokens=CONFIG["vocab_size"],
    output_mode="int",
    output_sequence_length=CONFIG["max_len"],
    standardize="lower_and_strip_punctuation",
)
vectorizer.adapt(tf.data.Dataset.from_tensor_slices(corpus).batch(64))
vocab = [str(v) for v in vectorizer.get_vocabulary()]
# append a [mask] token at the end of the vocabulary
MASK_ID = len(vocab)
vocab = vocab + ["[mask]"]
VOCAB_SIZE = len(vocab)
print(f"vocab size (with mask): {VOCAB_SIZE}, mask id: {MASK_ID}")

token_ids = vectorizer(np.array(corpus)).numpy()


def mask_tokens(ids, rate=CONFIG["mask_rate"]):
    """BERT-ish masking: 80% -> [mask], 10% -> random, 10% -> unchanged."""
    ids = ids.copy()
    labels = ids.copy()
    candidates = ids > 1  # skip padding(0) and OOV(1)
    selected = (np.random.rand(*ids.shape) < rate) & candidates
    # make sure each row has at least one masked position
    for r in range(ids.shape[0]):
        if not selected[r].any():
            nz = np.flatnonzero(candidates[r])
            if len(nz):
                selected[r, np.random.choice(nz)] = True
    action = np.random.rand(*ids.shape)
    to_mask = selected & (action < 0.8)
    to_rand = selected & (action >= 0.8) & (action < 0.9)
    ids[to_mask] = MASK_ID
    ids[to_rand] = np.random.randint(2, MASK_ID, size=to_rand.sum())
    weights = selected.astype("float32")
    return ids, labels, weights


x_masked, y_labels, sample_w = mask_tokens(token_ids)
print("masked positions:", int(sample_w.sum()))


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.max_len = max_len
        self.embed_dim = embed_dim
        self.tok = layers.Embedding(vocab_size, embed_dim, mask_zero=True)
        self.pos = layers.Embedding(max_len, embed_dim)

    def call(self, x):
        positions = tf.range(tf.shape(x)[-1])
        return self.tok(x) + self.pos(positions)

    def compute_mask(self, x, mask=None):
        return keras.ops.not_equal(x, 0)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(vocab_size=self.vocab_size, max_len=self.max_len, embed_dim=self.embed_dim)
        return cfg


def encoder_block(x, padding_mask, cfg, idx):
    attn_mask = keras.ops.expand_dims(padding_mask, axis=1)
    attn = layers.MultiHeadAttention(
        num_heads=cfg["num_heads"],
        key_dim=cfg["embed_dim"] // cfg["num_heads"],
        name=f"enc{idx}_mha",
    )(x, x, attention_mask=attn_mask)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"enc{idx}_ln1")(x + layers.Dropout(0.1)(attn))
    ff = layers.Dense(cfg["ff_dim"], activation="gelu", name=f"enc{idx}_ff1")(x)
    ff = layers.Dense(cfg["embed_dim"], name=f"enc{idx}_ff2")(ff)
    return layers.LayerNormalization(epsilon=1e-6, name=f"enc{idx}_ln2")(x + layers.Dropout(0.1)(ff))


def build_mlm(cfg):
    inp = keras.Input(shape=(cfg["max_len"],), dtype="int32", name="input_ids")
    padding_mask = keras.ops.cast(keras.ops.not_equal(inp, 0), "int32")
    x = TokenAndPositionEmbedding(VOCAB_SIZE, cfg["max_len"], cfg["embed_dim"], name="embed")(inp)
    for i in range(cfg["num_layers"]):
        x = encoder_block(x, padding_mask, cfg, i)
    logits = layers.Dense(VOCAB_SIZE, name="mlm_head")(x)
    return keras.Model(inp, logits, name="tiny_bert_mlm")


model = build_mlm(CONFIG)
model.compile(
    optimizer=keras.optimizers.Adam(CONFIG["lr"]),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    weighted_metrics=["sparse_categorical_accuracy"],
)
model.summary()

ds = (
    tf.data.Dataset.from_tensor_slices((x_masked, y_labels, sample_w))
    .shuffle(512, seed=SEED)
    .batch(CONFIG["batch_size"])
    .prefetch(tf.data.AUTOTUNE)
)
history = model.fit(ds, epochs=CONFIG["epochs"], verbose=2)
print({k: [round(v, 4) for v in vals] for k, vals in history.history.items()})


def fill_mask(sentence_with_mask):
    words = sentence_with_mask.lower().split()
    ids = [MASK_ID if w == "[mask]" else (vocab.index(w) if w in vocab else 1) for w in words]
    ids = ids[: CONFIG["max_len"]] + [0] * (CONFIG["max_len"] - len(ids))
    logits = model.predict(np.array([ids]), verbose=0)[0]
    pos = ids.index(MASK_ID)
    top = np.argsort(logits[pos][:MASK_ID])[::-1][:3]
    return [vocab[t] for t in top]


for probe in ["the cat [mask] the ball", "a dog chases the [mask] tree", "my friend likes [mask] red car"]:
    print(f"{probe!r:40s} -> {fill_mask(probe)}")

# Tiny BERT-style encoder pre-trained with masked language modelling.
# Everything (corpus, vocab, masking) is synthetic and built in-script.
import itertools
import random

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CFG = dict(
    seq_len=20,
    embed_dim=48,
    num_heads=4,
    ff_dim=96,
    num_layers=2,
    mask_prob=0.15,
    batch_size=32,
    epochs=2,
    lr=1e-3,
    n_sentences=500,
    seed=123,
)

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = range(len(SPECIAL))

random.seed(CFG["seed"])
np.random.seed(CFG["seed"])
tf.random.set_seed(CFG["seed"])

subjects = ["the cat", "a dog", "my neighbour", "the teacher", "our robot", "the child"]
verbs = ["eats", "sees", "likes", "chases", "paints", "finds"]
objects = ["an apple", "the ball", "a red car", "the garden", "some bread", "the moon"]
tails = ["today", "every morning", "in the park", "quietly", "at night", ""]


def make_corpus(n):
    combos = list(itertools.product(subjects, verbs, objects, tails))
    picks = random.sample(combos, k=min(n, len(combos)))
    return [" ".join(p).strip() for p in picks]


corpus = make_corpus(CFG["n_sentences"])
words = sorted({w for s in corpus for w in s.split()})
vocab = SPECIAL + words
word2id = {w: i for i, w in enumerate(vocab)}
VOCAB_SIZE = len(vocab)
print(f"{len(corpus)} sentences, vocab={VOCAB_SIZE}")


def tokenize(sentence):
    ids = [CLS_ID] + [word2id.get(w, UNK_ID) for w in sentence.split()] + [SEP_ID]
    ids = ids[: CFG["seq_len"]]
    return ids + [PAD_ID] * (CFG["seq_len"] - len(ids))


token_ids = np.array([tokenize(s) for s in corpus], dtype="int32")


def mask_tokens(ids):
    """BERT masking: 15% of real tokens are chosen; 80% -> [MASK], 10% -> random, 10% kept."""
    ids = tf.cast(ids, tf.int32)
    is_real = ids >= len(SPECIAL)  # never mask PAD/CLS/SEP
    rand = tf.random.uniform(tf.shape(ids))
    selected = tf.logical_and(rand < CFG["mask_prob"], is_real)

    action = tf.random.uniform(tf.shape(ids))
    random_tokens = tf.random.uniform(
        tf.shape(ids), minval=len(SPECIAL), maxval=VOCAB_SIZE, dtype=tf.int32
    )
    masked = tf.where(selected & (action < 0.8), MASK_ID, ids)
    masked = tf.where(selected & (action >= 0.8) & (action < 0.9), random_tokens, masked)

    sample_weight = tf.cast(selected, tf.float32)
    return masked, ids, sample_weight


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, vocab_size, max_len, dim, **kwargs):
        super().__init__(**kwargs)
        self.tok = layers.Embedding(vocab_size, dim)
        self.pos = layers.Embedding(max_len, dim)

    def call(self, x):
        positions = ops.arange(0, ops.shape(x)[-1])
        return self.tok(x) + self.pos(positions)


class EncoderBlock(layers.Layer):
    def __init__(self, dim, heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.attn = layers.MultiHeadAttention(num_heads=heads, key_dim=dim // heads)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="gelu"), layers.Dense(dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop1 = layers.Dropout(rate)
        self.drop2 = layers.Dropout(rate)

    def call(self, x, attention_mask=None, training=False):
        h = self.attn(x, x, attention_mask=attention_mask, training=training)
        x = self.norm1(x + self.drop1(h, training=training))
        h = self.ffn(x)
        return self.norm2(x + self.drop2(h, training=training))


class MiniBert(keras.Model):
    def __init__(self, cfg, vocab_size, **kwargs):
        super().__init__(**kwargs)
        self.embed = TokenAndPositionEmbedding(vocab_size, cfg["seq_len"], cfg["embed_dim"])
        self.blocks = [
            EncoderBlock(cfg["embed_dim"], cfg["num_heads"], cfg["ff_dim"], name=f"block_{i}")
            for i in range(cfg["num_layers"])
        ]
        self.mlm_head = layers.Dense(vocab_size, name="mlm_logits")
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.SparseCategoricalAccuracy(name="masked_acc")

    def call(self, ids, training=False):
        pad_mask = ops.not_equal(ids, PAD_ID)
        attn_mask = ops.logical_and(pad_mask[:, None, :], pad_mask[:, :, None])
        x = self.embed(ids)
        for block in self.blocks:
            x = block(x, attention_mask=attn_mask, training=training)
        return self.mlm_head(x)

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def train_step(self, data):
        inputs, labels, weights = data
        with tf.GradientTape() as tape:
            logits = self(inputs, training=True)
            loss = self.loss_fn(labels, logits, sample_weight=weights)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(labels, logits, sample_weight=weights)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        inputs, labels, weights = data
        logits = self(inputs, training=False)
        self.loss_tracker.update_state(self.loss_fn(labels, logits, sample_weight=weights))
        self.acc_tracker.update_state(labels, logits, sample_weight=weights)
        return {m.name: m.result() for m in self.metrics}


def make_dataset(arr, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices(arr)
    if shuffle:
        ds = ds.shuffle(len(arr), seed=CFG["seed"])
    return ds.map(mask_tokens, num_parallel_calls=tf.data.AUTOTUNE).batch(CFG["batch_size"]).prefetch(2)


n_train = int(len(token_ids) * 0.9)
train_ds = make_dataset(token_ids[:n_train])
val_ds = make_dataset(token_ids[n_train:], shuffle=False)

model = MiniBert(CFG, VOCAB_SIZE, name="mini_bert")
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=CFG["lr"], weight_decay=0.01))
history = model.fit(train_ds, validation_data=val_ds, epochs=CFG["epochs"], verbose=2)
print({k: [round(float(v), 4) for v in vals] for k, vals in history.history.items()})


def fill_mask(sentence, top_k=3):
    toks = sentence.split()
    ids = [CLS_ID] + [MASK_ID if t == "[MASK]" else word2id.get(t, UNK_ID) for t in toks] + [SEP_ID]
    ids = np.array([ids + [PAD_ID] * (CFG["seq_len"] - len(ids))], dtype="int32")
    logits = model(ids, training=False).numpy()[0]
    for pos in np.where(ids[0] == MASK_ID)[0]:
        best = np.argsort(-logits[pos])[:top_k]
        print(f"  pos {pos}: " + ", ".join(vocab[b] for b in best))


for probe in ["the cat [MASK] the ball today", "a dog sees [MASK] apple in the park"]:
    print(f"probe: {probe}")
    fill_mask(probe)

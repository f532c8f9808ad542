#!/usr/bin/env python
# coding: utf-8
# # Session-based recommendation with GRU4Rec-style models
#
# Each user session is a variable-length list of item ids. We left-pad the
# sessions with 0 (reserved as the mask id), embed with `mask_zero=True`, and
# let the GRU / attention layers consume the propagated mask.

import numpy as np
import tensorflow as tf
import keras
from keras import layers

keras.utils.set_random_seed(2024)

NUM_ITEMS = 1500          # real item ids are 1..NUM_ITEMS, 0 is padding
MAX_LEN = 20
EMBED_DIM = 48
HIDDEN = 64
BATCH_SIZE = 64

# ## 1. Fake click sessions
# Items are grouped into "topics" so that the next item is somewhat predictable.

rng = np.random.default_rng(0)
topic_of_item = rng.integers(0, 30, NUM_ITEMS + 1)
items_by_topic = [np.where(topic_of_item == t)[0] for t in range(30)]
items_by_topic = [ids[ids > 0] for ids in items_by_topic]


def sample_session():
    length = rng.integers(3, MAX_LEN + 6)
    topic = rng.integers(0, 30)
    seq = []
    for _ in range(length):
        if rng.random() < 0.2:
            topic = rng.integers(0, 30)
        seq.append(int(rng.choice(items_by_topic[topic])))
    return seq


sessions = [sample_session() for _ in range(1200)]
print("avg session length:", np.mean([len(s) for s in sessions]))

# Inputs are s[:-1], targets are s[1:] (next-item at every position).
inputs = keras.utils.pad_sequences([s[:-1] for s in sessions], maxlen=MAX_LEN, padding="pre", truncating="pre")
targets = keras.utils.pad_sequences([s[1:] for s in sessions], maxlen=MAX_LEN, padding="pre", truncating="pre")
print("inputs:", inputs.shape, "targets:", targets.shape)

split = int(0.9 * len(sessions))
train_ds = (
    tf.data.Dataset.from_tensor_slices((inputs[:split], targets[:split]))
    .shuffle(2048)
    .batch(BATCH_SIZE)
    .map(lambda x, y: (x, y, tf.cast(tf.not_equal(y, 0), tf.float32)))  # per-timestep sample weights
    .prefetch(tf.data.AUTOTUNE)
)
val_x, val_y = inputs[split:], targets[split:]

# ## 2. GRU4Rec: predict the next item at every step


def build_gru4rec():
    item_seq = keras.Input(shape=(MAX_LEN,), dtype="int32", name="item_seq")
    x = layers.Embedding(NUM_ITEMS + 1, EMBED_DIM, mask_zero=True, name="item_embedding")(item_seq)
    x = layers.SpatialDropout1D(0.1)(x)
    x = layers.GRU(HIDDEN, return_sequences=True, name="gru_1")(x)
    x = layers.GRU(HIDDEN, return_sequences=True, name="gru_2")(x)
    x = layers.LayerNormalization()(x)
    logits = layers.Dense(NUM_ITEMS + 1, name="next_item_logits")(x)
    return keras.Model(item_seq, logits, name="gru4rec")


gru4rec = build_gru4rec()
gru4rec.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    weighted_metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=20, name="hr@20")],
)
gru4rec.summary()
gru4rec.fit(train_ds, epochs=1, steps_per_epoch=12, verbose=2)

# ## 3. Session encoder + masked attention pooling
# Instead of using every step, encode the session into a single vector and
# score all items by dot product with the (shared) item embedding table.


class MaskedAttentionPooling(layers.Layer):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True
        self.proj = layers.Dense(units, activation="tanh")
        self.score = layers.Dense(1, use_bias=False)

    def call(self, h, mask=None):
        e = tf.squeeze(self.score(self.proj(h)), axis=-1)  # [B, T]
        if mask is not None:
            e = tf.where(mask, e, tf.fill(tf.shape(e), -1e9))
        alpha = tf.nn.softmax(e, axis=-1)
        return tf.einsum("bt,btd->bd", alpha, h)

    def compute_mask(self, inputs, mask=None):
        return None


class SessionEncoder(keras.Model):
    def __init__(self, num_items, dim, **kwargs):
        super().__init__(**kwargs)
        self.item_emb = layers.Embedding(num_items + 1, dim, mask_zero=True)
        self.gru = layers.GRU(dim, return_sequences=True)
        self.pool = MaskedAttentionPooling(32)
        self.last = layers.Dense(dim)

    def call(self, seq, training=False):
        x = self.item_emb(seq)
        mask = self.item_emb.compute_mask(seq)
        h = self.gru(x, mask=mask, training=training)
        session = self.pool(h, mask=mask)
        # final hidden state = last (right-most) position since we left-pad
        session = tf.concat([session, h[:, -1, :]], axis=-1)
        session = self.last(session)
        table = self.item_emb.embeddings  # weight tying
        return tf.matmul(session, table, transpose_b=True)  # [B, num_items + 1]


encoder = SessionEncoder(NUM_ITEMS, EMBED_DIM, name="session_encoder")
encoder.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=20, name="hr@20")],
)
last_targets = targets[:, -1]
encoder.fit(inputs[:split], last_targets[:split], batch_size=BATCH_SIZE, epochs=1, verbose=2)

# ## 4. Offline evaluation: HitRate@K and MRR@K on the last item of each session


def rank_metrics(scores, labels, k=20):
    scores = scores.copy()
    scores[:, 0] = -np.inf  # never recommend padding
    topk = np.argsort(-scores, axis=1)[:, :k]
    hits = topk == labels[:, None]
    hr = hits.any(axis=1).mean()
    ranks = np.argmax(hits, axis=1) + 1
    mrr = np.where(hits.any(axis=1), 1.0 / ranks, 0.0).mean()
    return hr, mrr


step_logits = gru4rec.predict(val_x, verbose=0)[:, -1, :]
enc_logits = encoder.predict(val_x, verbose=0)
for name, logits in [("gru4rec", step_logits), ("gru+attn", enc_logits)]:
    hr, mrr = rank_metrics(logits, val_y[:, -1])
    print(f"{name:10s} HR@20={hr:.3f}  MRR@20={mrr:.3f}")

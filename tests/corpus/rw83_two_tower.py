"""Two-tower retrieval model with in-batch softmax (sampled softmax w/ logQ correction).

Query tower encodes (user_id, recent item ids) and the candidate tower encodes
(item_id, category). Trained with a custom train_step so we can plug in the
in-batch negatives loss, then we do brute-force top-k retrieval over the full
item corpus. Synthetic interactions so this runs anywhere.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

NUM_USERS = 500
NUM_ITEMS = 1000
NUM_CATEGORIES = 20
HISTORY_LEN = 8
EMBED_DIM = 32
BATCH_SIZE = 128
TEMPERATURE = 0.1
SEED = 7

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_synthetic_interactions(n_rows=6000):
    """Users have a latent 'favorite category' so there is some signal to learn."""
    item_category = rng.integers(0, NUM_CATEGORIES, size=NUM_ITEMS)
    user_pref = rng.integers(0, NUM_CATEGORIES, size=NUM_USERS)
    items_by_cat = [np.where(item_category == c)[0] for c in range(NUM_CATEGORIES)]

    users = rng.integers(0, NUM_USERS, size=n_rows)
    pos_items = np.empty(n_rows, dtype=np.int64)
    history = np.empty((n_rows, HISTORY_LEN), dtype=np.int64)
    for i, u in enumerate(users):
        pool = items_by_cat[user_pref[u]]
        if rng.random() < 0.7 and len(pool) > 0:
            pos_items[i] = rng.choice(pool)
        else:
            pos_items[i] = rng.integers(0, NUM_ITEMS)
        history[i] = rng.choice(pool if len(pool) else NUM_ITEMS, size=HISTORY_LEN)

    # item popularity -> sampling probability for logQ correction
    counts = np.bincount(pos_items, minlength=NUM_ITEMS).astype("float32") + 1.0
    item_prob = counts / counts.sum()

    features = {
        "user_id": users.astype("int64"),
        "history": history,
        "item_id": pos_items,
        "item_category": item_category[pos_items].astype("int64"),
        "item_logq": np.log(item_prob[pos_items]).astype("float32"),
    }
    return features, item_category


class QueryTower(keras.Model):
    def __init__(self, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.user_emb = layers.Embedding(NUM_USERS, embed_dim, name="user_emb")
        # shared with nothing here, but history items get their own table
        self.hist_emb = layers.Embedding(NUM_ITEMS, embed_dim, name="hist_item_emb")
        self.pool = layers.GlobalAveragePooling1D()
        self.mlp = keras.Sequential(
            [
                layers.Dense(64, activation="relu"),
                layers.Dropout(0.1),
                layers.Dense(embed_dim),
            ],
            name="query_mlp",
        )

    def call(self, inputs, training=False):
        u = self.user_emb(inputs["user_id"])              # (B, D)
        h = self.pool(self.hist_emb(inputs["history"]))   # (B, L, D) -> (B, D)
        x = tf.concat([u, h], axis=-1)                    # (B, 2D)
        x = self.mlp(x, training=training)
        return tf.math.l2_normalize(x, axis=-1)


class CandidateTower(keras.Model):
    def __init__(self, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.item_emb = layers.Embedding(NUM_ITEMS, embed_dim, name="item_emb")
        self.cat_emb = layers.Embedding(NUM_CATEGORIES, 8, name="cat_emb")
        self.proj = layers.Dense(embed_dim, name="cand_proj")

    def call(self, inputs, training=False):
        x = tf.concat(
            [self.item_emb(inputs["item_id"]), self.cat_emb(inputs["item_category"])],
            axis=-1,
        )
        return tf.math.l2_normalize(self.proj(x), axis=-1)


class TwoTowerRetrieval(keras.Model):
    def __init__(self, embed_dim=EMBED_DIM, temperature=TEMPERATURE, **kwargs):
        super().__init__(**kwargs)
        self.query_tower = QueryTower(embed_dim, name="query_tower")
        self.candidate_tower = CandidateTower(embed_dim, name="candidate_tower")
        self.temperature = temperature
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.SparseCategoricalAccuracy(name="in_batch_acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def call(self, inputs, training=False):
        q = self.query_tower(inputs, training=training)
        c = self.candidate_tower(inputs, training=training)
        return q, c

    def _in_batch_logits(self, q, c, logq, item_ids):
        logits = tf.matmul(q, c, transpose_b=True) / self.temperature  # (B, B)
        # logQ correction: subtract log sampling prob of each candidate column
        logits = logits - tf.expand_dims(logq, 0)
        # mask accidental hits: same item appearing twice in batch (off-diagonal)
        same_item = tf.equal(tf.expand_dims(item_ids, 1), tf.expand_dims(item_ids, 0))
        diag = tf.eye(tf.shape(logits)[0], dtype=tf.bool)
        accidental = tf.logical_and(same_item, tf.logical_not(diag))
        logits = tf.where(accidental, tf.fill(tf.shape(logits), -1e9), logits)
        return logits

    def train_step(self, data):
        labels_idx = tf.range(tf.shape(data["user_id"])[0])
        with tf.GradientTape() as tape:
            q, c = self(data, training=True)
            logits = self._in_batch_logits(q, c, data["item_logq"], data["item_id"])
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels_idx, logits=logits)
            )
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(labels_idx, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        labels_idx = tf.range(tf.shape(data["user_id"])[0])
        q, c = self(data, training=False)
        logits = self._in_batch_logits(q, c, data["item_logq"], data["item_id"])
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels_idx, logits=logits)
        )
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(labels_idx, logits)
        return {m.name: m.result() for m in self.metrics}


def build_dataset(features, batch_size, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices(features)
    if shuffle:
        ds = ds.shuffle(4096, seed=SEED)
    # drop_remainder keeps the (B, B) logits square and static
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def build_item_index(model, item_category):
    """Embed every item once; retrieval is then just a matmul + top_k."""
    all_items = {
        "item_id": tf.range(NUM_ITEMS, dtype=tf.int64),
        "item_category": tf.constant(item_category, dtype=tf.int64),
    }
    return model.candidate_tower(all_items, training=False)  # (N, D)


@tf.function
def retrieve_top_k(query_tower, index, queries, k=10):
    q = query_tower(queries, training=False)          # (B, D)
    scores = tf.linalg.matmul(q, index, transpose_b=True)  # (B, N)
    return tf.math.top_k(scores, k=k)


def recall_at_k(top_ids, true_ids):
    hits = tf.reduce_any(tf.equal(top_ids, tf.expand_dims(true_ids, -1)), axis=-1)
    return tf.reduce_mean(tf.cast(hits, tf.float32))


if __name__ == "__main__":
    features, item_category = make_synthetic_interactions()
    n = len(features["user_id"])
    split = int(0.85 * n)
    train_feats = {k: v[:split] for k, v in features.items()}
    val_feats = {k: v[split:] for k, v in features.items()}

    train_ds = build_dataset(train_feats, BATCH_SIZE)
    val_ds = build_dataset(val_feats, BATCH_SIZE, shuffle=False)

    model = TwoTowerRetrieval()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3))
    history = model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    model.query_tower.summary()
    model.candidate_tower.summary()

    index = build_item_index(model, item_category)
    print("item index:", index.shape)

    q_batch = {
        "user_id": tf.constant(val_feats["user_id"][:256]),
        "history": tf.constant(val_feats["history"][:256]),
    }
    top = retrieve_top_k(model.query_tower, index, q_batch, k=50)
    print("top-k ids shape:", top.indices.shape)
    r = recall_at_k(tf.cast(top.indices, tf.int64), tf.constant(val_feats["item_id"][:256]))
    print(f"recall@50 on held-out: {float(r):.3f}")

"""Two-tower retrieval model trained with in-batch sampled softmax.

Query tower: user id + recent watch history (mean-pooled, masked) + user
country. Candidate tower: item id + genre multi-hot + normalized year.
Trained with a custom GradientTape loop, logQ correction for popularity
bias, and evaluated with brute-force top-K recall over the full corpus.
No TFRS dependency -- everything is plain Keras/TF.
"""
import numpy as np
import tensorflow as tf
import keras

tf.random.set_seed(1234)
np.random.seed(1234)

NUM_USERS = 500
NUM_ITEMS = 800
NUM_GENRES = 18
NUM_COUNTRIES = 10
HISTORY_LEN = 10
EMBED_DIM = 32
BATCH = 128
TRAIN_STEPS = 40
TEMPERATURE = 0.1
TOP_K = 50


# ---------------------------------------------------------------------------
# synthetic interaction log
# ---------------------------------------------------------------------------
def build_catalog():
    genres = (np.random.rand(NUM_ITEMS, NUM_GENRES) < 0.12).astype("float32")
    genres[np.arange(NUM_ITEMS), np.random.randint(0, NUM_GENRES, NUM_ITEMS)] = 1.0
    year = np.random.randint(1960, 2024, size=(NUM_ITEMS, 1)).astype("float32")
    popularity = np.random.zipf(1.5, NUM_ITEMS).astype("float64")
    popularity = popularity / popularity.sum()
    return genres, year, popularity


def build_interactions(popularity, n_events=6000):
    users = np.random.randint(0, NUM_USERS, n_events)
    items = np.random.choice(NUM_ITEMS, size=n_events, p=popularity)
    # history: previously consumed items, 0 is reserved for padding -> ids shifted by 1
    hist = np.random.choice(NUM_ITEMS, size=(n_events, HISTORY_LEN), p=popularity) + 1
    hist_len = np.random.randint(1, HISTORY_LEN + 1, n_events)
    pad_mask = np.arange(HISTORY_LEN)[None, :] >= hist_len[:, None]
    hist[pad_mask] = 0
    country = users % NUM_COUNTRIES
    return {
        "user_id": users.astype("int32"),
        "country": country.astype("int32"),
        "history": hist.astype("int32"),
    }, items.astype("int32")


GENRES, YEARS, POPULARITY = build_catalog()
QUERY_FEATS, POS_ITEMS = build_interactions(POPULARITY)


# ---------------------------------------------------------------------------
# towers
# ---------------------------------------------------------------------------
class MaskedMeanPool(keras.layers.Layer):
    """Average over the time axis, ignoring padded positions."""

    def call(self, x, mask=None):
        if mask is None:
            return tf.reduce_mean(x, axis=1)
        m = tf.cast(mask, x.dtype)[..., tf.newaxis]  # (B, T, 1)
        summed = tf.reduce_sum(x * m, axis=1)
        count = tf.maximum(tf.reduce_sum(m, axis=1), 1.0)
        return summed / count

    def compute_mask(self, inputs, mask=None):
        return None


class QueryTower(keras.Model):
    def __init__(self, dim):
        super().__init__(name="query_tower")
        self.user_emb = keras.layers.Embedding(NUM_USERS, dim)
        self.country_emb = keras.layers.Embedding(NUM_COUNTRIES, 8)
        # +1 for padding id 0
        self.hist_emb = keras.layers.Embedding(NUM_ITEMS + 1, dim, mask_zero=True)
        self.pool = MaskedMeanPool()
        self.mlp = keras.Sequential([
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(dim),
        ])

    def call(self, feats, training=False):
        u = self.user_emb(feats["user_id"])
        c = self.country_emb(feats["country"])
        h = self.pool(self.hist_emb(feats["history"]))
        x = tf.concat([u, c, h], axis=-1)
        return tf.math.l2_normalize(self.mlp(x, training=training), axis=-1)


class CandidateTower(keras.Model):
    def __init__(self, dim, year_values):
        super().__init__(name="candidate_tower")
        self.item_emb = keras.layers.Embedding(NUM_ITEMS, dim)
        self.genre_proj = keras.layers.Dense(16, use_bias=False)
        self.year_norm = keras.layers.Normalization(axis=-1)
        self.year_norm.adapt(year_values)
        self.mlp = keras.Sequential([
            keras.layers.Dense(64, activation="relu"),
            keras.layers.Dense(dim),
        ])

    def call(self, feats, training=False):
        x = tf.concat([
            self.item_emb(feats["item_id"]),
            self.genre_proj(feats["genres"]),
            self.year_norm(feats["year"]),
        ], axis=-1)
        return tf.math.l2_normalize(self.mlp(x, training=training), axis=-1)


def item_features(item_ids):
    """Gather side features for a batch of item ids (works inside tf.data)."""
    return {
        "item_id": item_ids,
        "genres": tf.gather(GENRES, item_ids),
        "year": tf.gather(YEARS, item_ids),
    }


def add_candidate_feats(query, item_id):
    return query, item_features(item_id), tf.gather(tf.cast(np.log(POPULARITY), tf.float32), item_id)


N_TRAIN = 5000
train_ds = (
    tf.data.Dataset.from_tensor_slices(
        ({k: v[:N_TRAIN] for k, v in QUERY_FEATS.items()}, POS_ITEMS[:N_TRAIN])
    )
    .shuffle(N_TRAIN, seed=7)
    .batch(BATCH, drop_remainder=True)
    .map(add_candidate_feats, num_parallel_calls=tf.data.AUTOTUNE)
    .repeat()
    .prefetch(2)
)

query_tower = QueryTower(EMBED_DIM)
candidate_tower = CandidateTower(EMBED_DIM, YEARS)
optimizer = keras.optimizers.Adagrad(learning_rate=0.2)
loss_tracker = keras.metrics.Mean(name="loss")


@tf.function
def train_step(query, candidate, log_q):
    with tf.GradientTape() as tape:
        q = query_tower(query, training=True)           # (B, D)
        c = candidate_tower(candidate, training=True)   # (B, D)
        logits = tf.matmul(q, c, transpose_b=True) / TEMPERATURE  # (B, B)
        # logQ correction: popular items show up as in-batch negatives too often
        logits = logits - log_q[tf.newaxis, :]
        # mask accidental hits: same item appearing elsewhere in the batch
        same_item = tf.equal(candidate["item_id"][:, None], candidate["item_id"][None, :])
        off_diag = tf.logical_not(tf.eye(tf.shape(logits)[0], dtype=tf.bool))
        logits = tf.where(same_item & off_diag, -1e9, logits)
        labels = tf.range(tf.shape(logits)[0])
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        )
    variables = query_tower.trainable_variables + candidate_tower.trainable_variables
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    loss_tracker.update_state(loss)
    return loss


for step, (query, candidate, log_q) in enumerate(train_ds.take(TRAIN_STEPS)):
    loss = train_step(query, candidate, log_q)
    if step % 10 == 0:
        print(f"step {step:3d}  in-batch softmax loss {loss_tracker.result():.4f}")
        loss_tracker.reset_state()


# ---------------------------------------------------------------------------
# brute-force retrieval evaluation
# ---------------------------------------------------------------------------
all_item_ids = tf.range(NUM_ITEMS, dtype=tf.int32)
item_index = candidate_tower(item_features(all_item_ids))  # (NUM_ITEMS, D)
print("candidate index:", item_index.shape)


def recall_at_k(queries, positives, k=TOP_K, batch=512):
    hits = []
    for start in range(0, len(positives), batch):
        q_batch = {name: v[start:start + batch] for name, v in queries.items()}
        q = query_tower(q_batch)
        scores = tf.matmul(q, item_index, transpose_b=True)   # (b, NUM_ITEMS)
        _, top_idx = tf.math.top_k(scores, k=k)
        pos = tf.constant(positives[start:start + batch])[:, None]
        hits.append(tf.reduce_any(tf.equal(top_idx, pos), axis=1))
    return tf.reduce_mean(tf.cast(tf.concat(hits, axis=0), tf.float32)).numpy()


holdout = {k: v[N_TRAIN:] for k, v in QUERY_FEATS.items()}
print(f"holdout recall@{TOP_K}: {recall_at_k(holdout, POS_ITEMS[N_TRAIN:]):.3f} "
      f"(random ~ {TOP_K / NUM_ITEMS:.3f})")

# Recommend for one user
user_query = {k: v[:1] for k, v in QUERY_FEATS.items()}
scores = tf.squeeze(tf.matmul(query_tower(user_query), item_index, transpose_b=True), 0)
top_scores, top_items = tf.math.top_k(scores, k=5)
print("top-5 items for user", int(user_query["user_id"][0]), ":", top_items.numpy().tolist())

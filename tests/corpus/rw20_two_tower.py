"""Two-tower retrieval model for candidate generation.

Query tower consumes user features (user id, country, device, recent
item ids); candidate tower consumes item features (item id, category,
price bucket).  Trained with an in-batch sampled softmax, then used to
build a brute-force top-k index over the item corpus.

Synthetic data only -- this mirrors the layout of our production
retrieval job so that the pipeline can be smoke-tested in CI.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 7
EMBED_DIM = 32
NUM_USERS = 500
NUM_ITEMS = 300
HISTORY_LEN = 5
COUNTRIES = ["us", "de", "fr", "jp", "br", "in", "gb"]
DEVICES = ["ios", "android", "web"]
CATEGORIES = ["shoes", "bags", "hats", "shirts", "pants", "watches"]

rng = np.random.default_rng(SEED)


def make_interactions(n):
    """Generate (user, item) positive pairs plus side features."""
    user_ids = rng.integers(1, NUM_USERS, size=n)
    item_ids = rng.integers(1, NUM_ITEMS, size=n)
    return {
        "user_id": user_ids.astype("int64"),
        "country": rng.choice(COUNTRIES, size=n),
        "device": rng.choice(DEVICES, size=n),
        "history": rng.integers(0, NUM_ITEMS, size=(n, HISTORY_LEN)).astype("int64"),
        "item_id": item_ids.astype("int64"),
        "category": np.array([CATEGORIES[i % len(CATEGORIES)] for i in item_ids]),
        "price": rng.lognormal(3.0, 0.8, size=n).astype("float32"),
    }


class QueryTower(keras.Model):
    def __init__(self, user_vocab, embed_dim=EMBED_DIM, **kwargs):
        super().__init__(**kwargs)
        self.user_lookup = layers.IntegerLookup(vocabulary=user_vocab, mask_token=None)
        self.user_emb = layers.Embedding(len(user_vocab) + 1, embed_dim)
        self.country_lookup = layers.StringLookup(vocabulary=COUNTRIES)
        self.country_emb = layers.Embedding(len(COUNTRIES) + 1, 8)
        self.device_lookup = layers.StringLookup(vocabulary=DEVICES)
        self.device_emb = layers.Embedding(len(DEVICES) + 1, 4)
        self.history_hash = layers.Hashing(num_bins=1024)
        self.history_emb = layers.Embedding(1024, embed_dim)
        self.history_pool = layers.GlobalAveragePooling1D()
        self.dense = keras.Sequential(
            [layers.Dense(64, activation="relu"), layers.Dense(embed_dim)],
            name="query_mlp",
        )

    def call(self, features):
        parts = [
            self.user_emb(self.user_lookup(features["user_id"])),
            self.country_emb(self.country_lookup(features["country"])),
            self.device_emb(self.device_lookup(features["device"])),
            self.history_pool(self.history_emb(self.history_hash(features["history"]))),
        ]
        x = tf.concat(parts, axis=-1)
        return tf.math.l2_normalize(self.dense(x), axis=-1)


class CandidateTower(keras.Model):
    def __init__(self, item_vocab, embed_dim=EMBED_DIM, **kwargs):
        super().__init__(**kwargs)
        self.item_lookup = layers.IntegerLookup(vocabulary=item_vocab, mask_token=None)
        self.item_emb = layers.Embedding(len(item_vocab) + 1, embed_dim)
        self.cat_lookup = layers.StringLookup(vocabulary=CATEGORIES, output_mode="int")
        self.cat_emb = layers.Embedding(len(CATEGORIES) + 1, 8)
        self.price_bins = layers.Discretization(bin_boundaries=[5.0, 10.0, 20.0, 50.0, 100.0])
        self.price_emb = layers.Embedding(6, 4)
        self.proj = layers.Dense(embed_dim)

    def call(self, features):
        x = tf.concat(
            [
                self.item_emb(self.item_lookup(features["item_id"])),
                self.cat_emb(self.cat_lookup(features["category"])),
                self.price_emb(self.price_bins(features["price"])),
            ],
            axis=-1,
        )
        return tf.math.l2_normalize(self.proj(x), axis=-1)


class TwoTowerRetrieval(keras.Model):
    QUERY_KEYS = ("user_id", "country", "device", "history")
    CANDIDATE_KEYS = ("item_id", "category", "price")

    def __init__(self, query_tower, candidate_tower, temperature=0.1, **kwargs):
        super().__init__(**kwargs)
        self.query_tower = query_tower
        self.candidate_tower = candidate_tower
        self.temperature = temperature
        self.loss_tracker = keras.metrics.Mean(name="loss")

    def call(self, features):
        q = self.query_tower({k: features[k] for k in self.QUERY_KEYS})
        c = self.candidate_tower({k: features[k] for k in self.CANDIDATE_KEYS})
        return q, c

    def train_step(self, data):
        with tf.GradientTape() as tape:
            q, c = self(data, training=True)
            logits = tf.matmul(q, c, transpose_b=True) / self.temperature
            labels = tf.range(tf.shape(logits)[0])
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            )
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def build_item_corpus():
    ids = np.arange(1, NUM_ITEMS, dtype="int64")
    return {
        "item_id": ids,
        "category": np.array([CATEGORIES[i % len(CATEGORIES)] for i in ids]),
        "price": rng.lognormal(3.0, 0.8, size=len(ids)).astype("float32"),
    }


def top_k_items(query_emb, item_emb, item_ids, k=10):
    scores = query_emb @ item_emb.T
    idx = np.argsort(-scores, axis=1)[:, :k]
    return item_ids[idx], np.take_along_axis(scores, idx, axis=1)


def main():
    tf.random.set_seed(SEED)
    train = make_interactions(512)
    user_vocab = np.unique(train["user_id"])
    item_vocab = np.arange(1, NUM_ITEMS, dtype="int64")

    model = TwoTowerRetrieval(QueryTower(user_vocab), CandidateTower(item_vocab))
    model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=0.1))

    ds = tf.data.Dataset.from_tensor_slices(train).shuffle(512, seed=SEED).batch(64, drop_remainder=True)
    history = model.fit(ds, epochs=1, verbose=0)
    print("train loss:", round(float(history.history["loss"][-1]), 4))

    corpus = build_item_corpus()
    corpus_ds = tf.data.Dataset.from_tensor_slices(corpus).batch(128)
    item_emb = model.candidate_tower.predict(corpus_ds, verbose=0)

    eval_users = make_interactions(8)
    query_emb = model.query_tower({k: eval_users[k] for k in TwoTowerRetrieval.QUERY_KEYS}).numpy()
    ids, scores = top_k_items(query_emb, item_emb, corpus["item_id"], k=5)
    for uid, rec, sc in zip(eval_users["user_id"], ids, scores):
        print(f"user={uid:4d} top5={rec.tolist()} best={sc[0]:.3f}")


if __name__ == "__main__":
    main()

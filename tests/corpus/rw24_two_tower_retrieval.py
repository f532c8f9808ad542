"""Two-tower retrieval model with in-batch negatives.

Query tower: user id + user country + recent-activity bucket.
Candidate tower: item id + item category + item price.
Scoring is the dot product between L2-normalised tower outputs, and we
train with a sampled softmax over the in-batch candidates.
"""
import dataclasses
import logging

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
log = logging.getLogger("two_tower")


@dataclasses.dataclass
class RetrievalConfig:
    num_users: int = 500
    num_items: int = 800
    num_categories: int = 24
    countries: tuple = ("us", "de", "fr", "jp", "br", "in")
    embedding_dim: int = 32
    tower_units: tuple = (64, 32)
    temperature: float = 0.05
    batch_size: int = 128
    num_interactions: int = 4096
    top_k: int = 10


def make_synthetic_logs(cfg: RetrievalConfig, seed: int = 7):
    rng = np.random.default_rng(seed)
    user_ids = np.array([f"user_{i}" for i in range(cfg.num_users)])
    item_ids = np.array([f"item_{i}" for i in range(cfg.num_items)])
    item_cat = rng.integers(0, cfg.num_categories, size=cfg.num_items)
    item_price = rng.lognormal(3.0, 0.8, size=cfg.num_items).astype("float32")

    u = rng.integers(0, cfg.num_users, size=cfg.num_interactions)
    i = rng.zipf(1.3, size=cfg.num_interactions) % cfg.num_items
    interactions = {
        "user_id": user_ids[u],
        "country": np.array(cfg.countries)[u % len(cfg.countries)],
        "activity": rng.integers(0, 50, size=cfg.num_interactions).astype("int64"),
        "item_id": item_ids[i],
        "item_category": item_cat[i].astype("int64"),
        "item_price": item_price[i],
    }
    catalog = {
        "item_id": item_ids,
        "item_category": item_cat.astype("int64"),
        "item_price": item_price,
    }
    return interactions, catalog


def mlp_stack(units, name):
    block = keras.Sequential(name=name)
    for j, n in enumerate(units):
        activation = "relu" if j < len(units) - 1 else None
        block.add(layers.Dense(n, activation=activation))
    return block


class QueryTower(keras.Model):
    def __init__(self, cfg: RetrievalConfig, user_vocab, **kwargs):
        super().__init__(**kwargs)
        self.user_lookup = layers.StringLookup(vocabulary=user_vocab, mask_token=None)
        self.user_emb = layers.Embedding(len(user_vocab) + 1, cfg.embedding_dim)
        self.country_lookup = layers.StringLookup(vocabulary=list(cfg.countries))
        self.country_emb = layers.Embedding(len(cfg.countries) + 1, 8)
        self.activity_bins = layers.Discretization(bin_boundaries=[1.0, 5.0, 10.0, 25.0])
        self.activity_emb = layers.Embedding(5, 4)
        self.mlp = mlp_stack(cfg.tower_units, "query_mlp")

    def call(self, features):
        x = tf.concat(
            [
                self.user_emb(self.user_lookup(features["user_id"])),
                self.country_emb(self.country_lookup(features["country"])),
                self.activity_emb(self.activity_bins(tf.cast(features["activity"], tf.float32))),
            ],
            axis=-1,
        )
        return tf.math.l2_normalize(self.mlp(x), axis=-1)


class CandidateTower(keras.Model):
    def __init__(self, cfg: RetrievalConfig, item_vocab, **kwargs):
        super().__init__(**kwargs)
        self.item_lookup = layers.StringLookup(vocabulary=item_vocab, mask_token=None)
        self.item_emb = layers.Embedding(len(item_vocab) + 1, cfg.embedding_dim)
        self.cat_emb = layers.Embedding(cfg.num_categories, 8)
        self.price_norm = layers.Normalization(axis=None)
        self.mlp = mlp_stack(cfg.tower_units, "candidate_mlp")

    def call(self, features):
        log_price = tf.math.log1p(tf.cast(features["item_price"], tf.float32))
        price = tf.expand_dims(self.price_norm(log_price), -1)
        x = tf.concat(
            [self.item_emb(self.item_lookup(features["item_id"])), self.cat_emb(features["item_category"]), price],
            axis=-1,
        )
        return tf.math.l2_normalize(self.mlp(x), axis=-1)


class TwoTowerModel(keras.Model):
    def __init__(self, query_tower, candidate_tower, temperature, **kwargs):
        super().__init__(**kwargs)
        self.query_tower = query_tower
        self.candidate_tower = candidate_tower
        self.temperature = temperature
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.SparseCategoricalAccuracy(name="in_batch_acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def call(self, features):
        q = self.query_tower(features)
        c = self.candidate_tower(features)
        return tf.matmul(q, c, transpose_b=True) / self.temperature  # [B, B]

    def train_step(self, features):
        with tf.GradientTape() as tape:
            logits = self(features, training=True)
            labels = tf.range(tf.shape(logits)[0])
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
            )
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(labels, logits)
        return {m.name: m.result() for m in self.metrics}


def build_index(candidate_tower, catalog, batch_size=256):
    ds = tf.data.Dataset.from_tensor_slices(catalog).batch(batch_size)
    embeddings = [candidate_tower(batch) for batch in ds]
    return tf.concat(embeddings, axis=0)


def retrieve(query_tower, index, item_ids, queries, k):
    q = query_tower(queries)
    scores = tf.linalg.matmul(q, index, transpose_b=True)
    top = tf.math.top_k(scores, k=k)
    return tf.gather(item_ids, top.indices), top.values


def main():
    cfg = RetrievalConfig()
    tf.random.set_seed(0)
    interactions, catalog = make_synthetic_logs(cfg)

    user_vocab = sorted(set(interactions["user_id"].tolist()))
    item_vocab = list(catalog["item_id"])
    query_tower = QueryTower(cfg, user_vocab, name="query_tower")
    candidate_tower = CandidateTower(cfg, item_vocab, name="candidate_tower")
    candidate_tower.price_norm.adapt(np.log1p(catalog["item_price"]))

    model = TwoTowerModel(query_tower, candidate_tower, cfg.temperature)
    model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=0.1))

    train_ds = (
        tf.data.Dataset.from_tensor_slices(interactions)
        .shuffle(cfg.num_interactions, seed=1)
        .batch(cfg.batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    history = model.fit(train_ds, epochs=1, steps_per_epoch=12, verbose=2)
    log.info("final loss %.4f", history.history["loss"][-1])

    index = build_index(candidate_tower, catalog)
    log.info("index shape %s", tuple(index.shape))

    probe = {k: v[:5] for k, v in interactions.items() if k in ("user_id", "country", "activity")}
    ids, scores = retrieve(query_tower, index, tf.constant(catalog["item_id"]), probe, cfg.top_k)
    for user, row, s in zip(probe["user_id"], ids.numpy(), scores.numpy()):
        log.info("%s -> %s (%.3f)", user, row[0].decode(), s[0])


if __name__ == "__main__":
    main()

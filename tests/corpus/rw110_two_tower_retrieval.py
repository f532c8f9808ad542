# Two-tower retrieval model trained with in-batch negatives (sampled softmax over the batch).
# Synthetic users/items with string ids, a user "country" feature and an item "genre" feature.
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

CFG = dict(
    n_users=120,
    n_items=200,
    n_interactions=1500,
    embed_dim=16,
    tower_units=(32, 16),
    temperature=0.1,
    batch_size=128,
    epochs=2,
    lr=3e-3,
    top_k=10,
)

COUNTRIES = ["us", "de", "br", "in", "jp"]
GENRES = ["action", "drama", "comedy", "doc", "horror", "kids"]

np.random.seed(0)
keras.utils.set_random_seed(0)


# ----------------------------------------------------------------------------- data
def synth_catalog(cfg):
    user_ids = np.array([f"u{i:04d}" for i in range(cfg["n_users"])])
    item_ids = np.array([f"i{i:04d}" for i in range(cfg["n_items"])])
    user_country = np.random.choice(COUNTRIES, cfg["n_users"])
    item_genre = np.random.choice(GENRES, cfg["n_items"])
    # every country has a favourite genre; users mostly click that genre
    fav = {c: GENRES[i % len(GENRES)] for i, c in enumerate(COUNTRIES)}

    rows_u, rows_i = [], []
    for _ in range(cfg["n_interactions"]):
        u = np.random.randint(cfg["n_users"])
        if np.random.rand() < 0.7:
            pool = np.flatnonzero(item_genre == fav[user_country[u]])
        else:
            pool = np.arange(cfg["n_items"])
        rows_u.append(u)
        rows_i.append(np.random.choice(pool))
    rows_u, rows_i = np.array(rows_u), np.array(rows_i)

    interactions = {
        "user_id": user_ids[rows_u],
        "country": user_country[rows_u],
        "item_id": item_ids[rows_i],
        "genre": item_genre[rows_i],
    }
    items = {"item_id": item_ids, "genre": item_genre}
    return interactions, items, user_ids, user_country


# ----------------------------------------------------------------------------- towers
class Tower(keras.Model):
    """id embedding + side-feature embedding -> MLP -> L2-normalised vector."""

    def __init__(self, id_vocab, side_vocab, id_key, side_key, cfg, **kwargs):
        super().__init__(**kwargs)
        self.id_key, self.side_key = id_key, side_key
        self.id_lookup = layers.StringLookup(vocabulary=id_vocab, mask_token=None)
        self.side_lookup = layers.StringLookup(vocabulary=side_vocab, mask_token=None)
        self.id_emb = layers.Embedding(self.id_lookup.vocabulary_size(), cfg["embed_dim"])
        self.side_emb = layers.Embedding(self.side_lookup.vocabulary_size(), cfg["embed_dim"] // 2)
        self.mlp = [layers.Dense(u, activation="relu" if i < len(cfg["tower_units"]) - 1 else None)
                    for i, u in enumerate(cfg["tower_units"])]

    def call(self, features):
        x = ops.concatenate([
            self.id_emb(self.id_lookup(features[self.id_key])),
            self.side_emb(self.side_lookup(features[self.side_key])),
        ], axis=-1)
        for dense in self.mlp:
            x = dense(x)
        return ops.normalize(x, axis=-1)


class TwoTowerRetrieval(keras.Model):
    def __init__(self, user_tower, item_tower, temperature=0.1, **kwargs):
        super().__init__(**kwargs)
        self.user_tower = user_tower
        self.item_tower = item_tower
        self.temperature = temperature
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc_tracker = keras.metrics.Mean(name="in_batch_top1")

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc_tracker]

    def call(self, features):
        return self.user_tower(features), self.item_tower(features)

    def _in_batch_loss(self, features, training):
        u = self.user_tower(features, training=training)
        v = self.item_tower(features, training=training)
        logits = tf.matmul(u, v, transpose_b=True) / self.temperature  # [B, B]
        labels = tf.range(tf.shape(logits)[0])
        # the same item can appear twice in one batch -> mask accidental "negatives" that are positives
        same_item = tf.equal(features["item_id"][:, None], features["item_id"][None, :])
        off_diag = tf.logical_not(tf.eye(tf.shape(logits)[0], dtype=tf.bool))
        logits = tf.where(tf.logical_and(same_item, off_diag), -1e9 * tf.ones_like(logits), logits)
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        top1 = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), labels),
                                      tf.float32))
        return loss, top1

    def train_step(self, features):
        with tf.GradientTape() as tape:
            loss, top1 = self._in_batch_loss(features, training=True)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(top1)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, features):
        loss, top1 = self._in_batch_loss(features, training=False)
        self.loss_tracker.update_state(loss)
        self.acc_tracker.update_state(top1)
        return {m.name: m.result() for m in self.metrics}


# ----------------------------------------------------------------------------- main
def main(cfg=CFG):
    interactions, items, user_ids, user_country = synth_catalog(cfg)
    n = len(interactions["user_id"])
    n_train = int(0.85 * n)

    ds = tf.data.Dataset.from_tensor_slices(interactions)
    train_ds = (ds.take(n_train).shuffle(n_train, seed=1)
                .batch(cfg["batch_size"], drop_remainder=True).prefetch(2))
    val_ds = ds.skip(n_train).batch(cfg["batch_size"])

    user_tower = Tower(user_ids, COUNTRIES, "user_id", "country", cfg, name="user_tower")
    item_tower = Tower(items["item_id"], GENRES, "item_id", "genre", cfg, name="item_tower")
    model = TwoTowerRetrieval(user_tower, item_tower, temperature=cfg["temperature"])
    model.compile(optimizer=keras.optimizers.Adam(cfg["lr"]))
    model.fit(train_ds, validation_data=val_ds, epochs=cfg["epochs"], verbose=2)

    # --- brute force retrieval over the whole catalogue ---
    item_vecs = item_tower.predict(
        tf.data.Dataset.from_tensor_slices(items).batch(64), verbose=0)
    query = {"user_id": tf.constant(user_ids[:4]), "country": tf.constant(user_country[:4])}
    user_vecs = user_tower(query)
    scores = tf.matmul(user_vecs, item_vecs, transpose_b=True)
    top_scores, top_idx = tf.math.top_k(scores, k=cfg["top_k"])

    for row, uid in enumerate(user_ids[:4]):
        genres = items["genre"][top_idx[row].numpy()]
        counts = {g: int((genres == g).sum()) for g in GENRES if (genres == g).any()}
        print(f"{uid} ({user_country[row]}): top-{cfg['top_k']} genres {counts}, "
              f"best score {top_scores[row, 0].numpy():.3f}")

    # simple recall@k on held-out interactions
    held = {k: v[n_train:] for k, v in interactions.items()}
    q = user_tower({"user_id": tf.constant(held["user_id"]), "country": tf.constant(held["country"])})
    _, idx = tf.math.top_k(tf.matmul(q, item_vecs, transpose_b=True), k=cfg["top_k"])
    retrieved = items["item_id"][idx.numpy()]
    recall = np.mean([t in r for t, r in zip(held["item_id"], retrieved)])
    print(f"held-out recall@{cfg['top_k']}: {recall:.3f}")


if __name__ == "__main__":
    main()

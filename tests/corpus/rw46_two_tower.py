"""Two-tower retrieval model trained with in-batch negatives.

Query tower embeds (user_id, recent categories), candidate tower embeds
(item_id, item category). Training uses a softmax over the batch, so every
other item in the batch acts as a negative. A logQ correction term removes
the popularity bias introduced by in-batch sampling.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

NUM_USERS = 500
NUM_ITEMS = 1000
NUM_CATEGORIES = 20
HIST_LEN = 5
EMBED_DIM = 32
TOWER_DIMS = [64, 32]
BATCH_SIZE = 128
TEMPERATURE = 0.05
NUM_INTERACTIONS = 4096

rng = np.random.default_rng(7)


def make_synthetic_log(n):
    """Zipf-ish item popularity, users have a preferred category."""
    item_category = rng.integers(0, NUM_CATEGORIES, size=NUM_ITEMS)
    popularity = 1.0 / np.arange(1, NUM_ITEMS + 1) ** 0.8
    popularity /= popularity.sum()
    users = rng.integers(0, NUM_USERS, size=n)
    items = rng.choice(NUM_ITEMS, size=n, p=popularity)
    history = rng.integers(0, NUM_CATEGORIES, size=(n, HIST_LEN))
    # item sampling probability, used for logQ correction
    item_prob = popularity[items].astype("float32")
    return {
        "user_id": users.astype("int32"),
        "history": history.astype("int32"),
        "item_id": items.astype("int32"),
        "item_cat": item_category[items].astype("int32"),
        "item_prob": item_prob,
    }, item_category


def mlp_tower(dims, name):
    block = keras.Sequential(name=name)
    for i, d in enumerate(dims):
        act = "relu" if i < len(dims) - 1 else None
        block.add(layers.Dense(d, activation=act))
    return block


class QueryTower(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user_emb = layers.Embedding(NUM_USERS, EMBED_DIM)
        self.cat_emb = layers.Embedding(NUM_CATEGORIES, EMBED_DIM)
        self.pool = layers.GlobalAveragePooling1D()
        self.mlp = mlp_tower(TOWER_DIMS, "query_mlp")

    def call(self, features):
        u = self.user_emb(features["user_id"])            # (B, D)
        h = self.pool(self.cat_emb(features["history"]))  # (B, L, D) -> (B, D)
        x = tf.concat([u, h], axis=-1)
        return tf.math.l2_normalize(self.mlp(x), axis=-1)


class CandidateTower(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.item_emb = layers.Embedding(NUM_ITEMS, EMBED_DIM)
        self.cat_emb = layers.Embedding(NUM_CATEGORIES, EMBED_DIM // 2)
        self.mlp = mlp_tower(TOWER_DIMS, "candidate_mlp")

    def call(self, features):
        x = tf.concat(
            [self.item_emb(features["item_id"]), self.cat_emb(features["item_cat"])],
            axis=-1,
        )
        return tf.math.l2_normalize(self.mlp(x), axis=-1)


class TwoTowerRetrieval(keras.Model):
    def __init__(self, temperature=TEMPERATURE, **kwargs):
        super().__init__(**kwargs)
        self.query_tower = QueryTower(name="query_tower")
        self.candidate_tower = CandidateTower(name="candidate_tower")
        self.temperature = temperature
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.recall_tracker = keras.metrics.Mean(name="in_batch_top1")

    @property
    def metrics(self):
        return [self.loss_tracker, self.recall_tracker]

    def call(self, features):
        q = self.query_tower(features)
        c = self.candidate_tower(features)
        return q, c

    def compute_in_batch_loss(self, features, training=False):
        q, c = self(features, training=training)
        logits = tf.matmul(q, c, transpose_b=True) / self.temperature  # (B, B)
        # logQ correction: subtract log sampling prob of each column's item
        logits = logits - tf.math.log(features["item_prob"])[tf.newaxis, :]
        # mask accidental hits: same item appearing twice in batch
        item_ids = features["item_id"]
        same_item = tf.equal(item_ids[:, None], item_ids[None, :])
        diag = tf.eye(tf.shape(logits)[0], dtype=tf.bool)
        accidental = tf.logical_and(same_item, tf.logical_not(diag))
        logits = tf.where(accidental, tf.fill(tf.shape(logits), -1e9), logits)

        labels = tf.range(tf.shape(logits)[0])
        loss = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        )
        top1 = tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), labels), tf.float32)
        return loss, tf.reduce_mean(top1)

    def train_step(self, features):
        with tf.GradientTape() as tape:
            loss, acc = self.compute_in_batch_loss(features, training=True)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.recall_tracker.update_state(acc)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, features):
        loss, acc = self.compute_in_batch_loss(features, training=False)
        self.loss_tracker.update_state(loss)
        self.recall_tracker.update_state(acc)
        return {m.name: m.result() for m in self.metrics}


def build_index(model, item_category):
    """Embed the whole catalogue once, as you'd do before exporting to ANN."""
    all_items = {
        "item_id": np.arange(NUM_ITEMS, dtype="int32"),
        "item_cat": item_category.astype("int32"),
    }
    ds = tf.data.Dataset.from_tensor_slices(all_items).batch(256)
    chunks = [model.candidate_tower(b) for b in ds]
    return tf.concat(chunks, axis=0)  # (NUM_ITEMS, out_dim)


def recommend(model, index, features, k=10):
    q = model.query_tower(features)
    scores = tf.matmul(q, index, transpose_b=True)
    return tf.math.top_k(scores, k=k)


if __name__ == "__main__":
    log, item_category = make_synthetic_log(NUM_INTERACTIONS)
    split = int(0.9 * NUM_INTERACTIONS)
    train = {k: v[:split] for k, v in log.items()}
    val = {k: v[split:] for k, v in log.items()}

    train_ds = (
        tf.data.Dataset.from_tensor_slices(train)
        .shuffle(2048, seed=1)
        .batch(BATCH_SIZE, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices(val).batch(BATCH_SIZE, drop_remainder=True)

    model = TwoTowerRetrieval()
    model.compile(optimizer=keras.optimizers.Adagrad(learning_rate=0.1))
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

    index = build_index(model, item_category)
    print("candidate index:", index.shape)

    sample = {k: v[:4] for k, v in val.items() if k in ("user_id", "history")}
    top = recommend(model, index, sample, k=5)
    print("top-5 scores shape:", top.values.shape)
    print("top-5 item ids for first user:", top.indices[0].numpy().tolist())

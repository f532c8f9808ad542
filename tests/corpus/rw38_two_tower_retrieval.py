# Two-tower retrieval with in-batch softmax (sampled softmax w/ logQ correction skipped for brevity)
# Loosely follows the "Sampling-Bias-Corrected Neural Modeling" setup from YouTube,
# but everything is synthetic so it runs anywhere.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

np.random.seed(7)
tf.random.set_seed(7)

NUM_USERS = 500
NUM_ITEMS = 800
NUM_GENRES = 18
EMB_DIM = 32
BATCH = 128
TEMPERATURE = 0.05

# ----- fake interaction log -----
n_interactions = 6000
user_ids = np.random.randint(0, NUM_USERS, size=n_interactions)
# popular items get more clicks (zipf-ish)
item_pop = np.random.zipf(1.3, size=n_interactions) % NUM_ITEMS
item_ids = item_pop.astype("int64")
user_age_bucket = np.random.randint(0, 10, size=NUM_USERS)
item_genre = np.random.randint(0, NUM_GENRES, size=NUM_ITEMS)
item_price = np.random.lognormal(2.0, 0.5, size=NUM_ITEMS).astype("float32")

features = {
    "user_id": user_ids,
    "age_bucket": user_age_bucket[user_ids],
    "item_id": item_ids,
    "genre": item_genre[item_ids],
    "log_price": np.log1p(item_price[item_ids]).reshape(-1, 1),
}

ds = (tf.data.Dataset.from_tensor_slices(features)
      .shuffle(4096)
      .batch(BATCH, drop_remainder=True)
      .prefetch(tf.data.AUTOTUNE))


class UserTower(keras.Model):
    def __init__(self, emb_dim=EMB_DIM, **kw):
        super().__init__(**kw)
        self.uid_emb = layers.Embedding(NUM_USERS, emb_dim)
        self.age_emb = layers.Embedding(10, 8)
        self.mlp = keras.Sequential([
            layers.Dense(64, activation="relu"),
            layers.Dense(emb_dim),
        ])

    def call(self, inputs):
        u = self.uid_emb(inputs["user_id"])          # (B, 32)
        a = self.age_emb(inputs["age_bucket"])       # (B, 8)
        x = tf.concat([u, a], axis=-1)
        x = self.mlp(x)
        return tf.math.l2_normalize(x, axis=-1)


class ItemTower(keras.Model):
    def __init__(self, emb_dim=EMB_DIM, **kw):
        super().__init__(**kw)
        self.iid_emb = layers.Embedding(NUM_ITEMS, emb_dim)
        self.genre_emb = layers.Embedding(NUM_GENRES, 8)
        self.price_proj = layers.Dense(4)
        self.hidden = layers.Dense(64, activation="relu")
        self.out = layers.Dense(emb_dim)

    def call(self, inputs):
        parts = [
            self.iid_emb(inputs["item_id"]),
            self.genre_emb(inputs["genre"]),
            self.price_proj(inputs["log_price"]),
        ]
        h = self.hidden(tf.concat(parts, axis=1))
        return tf.math.l2_normalize(self.out(h), axis=-1)


user_tower = UserTower()
item_tower = ItemTower()
optimizer = keras.optimizers.Adagrad(learning_rate=0.1)


def in_batch_softmax_loss(u, v, temperature=TEMPERATURE):
    # u: (B, D), v: (B, D) -> logits (B, B); the diagonal holds the positives
    logits = tf.matmul(u, v, transpose_b=True) / temperature
    labels = tf.range(tf.shape(logits)[0])
    loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    return tf.reduce_mean(loss), logits


@tf.function
def train_step(batch):
    with tf.GradientTape() as tape:
        u = user_tower(batch, training=True)
        v = item_tower(batch, training=True)
        loss, logits = in_batch_softmax_loss(u, v)
    variables = user_tower.trainable_variables + item_tower.trainable_variables
    grads = tape.gradient(loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    acc = tf.reduce_mean(tf.cast(
        tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), tf.range(tf.shape(logits)[0])),
        tf.float32))
    return loss, acc


for epoch in range(2):
    losses, accs = [], []
    for step, batch in enumerate(ds):
        l, a = train_step(batch)
        losses.append(float(l)); accs.append(float(a))
        if step >= 20:
            break
    print(f"epoch {epoch}: loss={np.mean(losses):.4f} in-batch acc={np.mean(accs):.3f}")

# ----- build the item index (brute force) -----
all_items = {
    "item_id": np.arange(NUM_ITEMS),
    "genre": item_genre,
    "log_price": np.log1p(item_price).reshape(-1, 1),
}
item_matrix = item_tower(all_items).numpy()          # (NUM_ITEMS, EMB_DIM)
print("item index:", item_matrix.shape)

eval_users = np.arange(64)
q = user_tower({"user_id": eval_users, "age_bucket": user_age_bucket[eval_users]})
scores = tf.matmul(q, item_matrix, transpose_b=True)  # (64, NUM_ITEMS)
top_scores, top_idx = tf.math.top_k(scores, k=20)
print("scores", scores.shape, "top_idx", top_idx.shape)

# recall@20 against each user's history
history = {}
for u, i in zip(user_ids, item_ids):
    history.setdefault(u, set()).add(i)
recalls = []
for row, u in enumerate(eval_users):
    truth = history.get(u, set())
    if not truth:
        continue
    hits = len(truth.intersection(top_idx[row].numpy().tolist()))
    recalls.append(hits / min(len(truth), 20))
print("recall@20: %.4f" % np.mean(recalls))

# Factorization Machine for rating prediction, trained with a hand-written tf.function loop.
# Fields: user, item, user_age_bucket, item_category, weekday.  Every field is mapped to a
# slot in one shared index space (offset per field) so a single embedding table is enough.
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

FIELDS = {"user": 80, "item": 120, "age_bucket": 6, "category": 10, "weekday": 7}
OFFSETS = np.cumsum([0] + list(FIELDS.values())[:-1])
TOTAL_SLOTS = int(sum(FIELDS.values()))
K = 8
LR = 0.02
L2 = 1e-4
BATCH = 64
EPOCHS = 2
N_RATINGS = 1200

rs = np.random.RandomState(2024)
tf.random.set_seed(2024)


def simulate_ratings(n):
    user = rs.randint(0, FIELDS["user"], n)
    item = rs.randint(0, FIELDS["item"], n)
    user_age = rs.randint(0, FIELDS["age_bucket"], FIELDS["user"])[user]
    item_cat = (np.arange(FIELDS["item"]) % FIELDS["category"])[item]
    weekday = rs.randint(0, 7, n)

    user_taste = rs.normal(size=(FIELDS["user"], 3))
    item_style = rs.normal(size=(FIELDS["item"], 3))
    base = 3.4 + 0.6 * np.sum(user_taste[user] * item_style[item], axis=1) / np.sqrt(3)
    base += 0.3 * (weekday >= 5) + 0.2 * (item_cat == user_age)
    rating = np.clip(np.round(base + rs.normal(0, 0.4, n)), 1, 5).astype("float32")

    cols = np.stack([user, item, user_age, item_cat, weekday], axis=1) + OFFSETS[None, :]
    return cols.astype("int32"), rating


class FMLayer(keras.layers.Layer):
    """y = w0 + sum_i w_i + 0.5 * sum_f [(sum_i v_if)^2 - sum_i v_if^2]"""

    def __init__(self, num_slots, k, **kwargs):
        super().__init__(**kwargs)
        self.linear = keras.layers.Embedding(num_slots, 1, name="linear")
        self.factors = keras.layers.Embedding(
            num_slots, k, embeddings_initializer=keras.initializers.RandomNormal(stddev=0.05),
            name="factors")

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(), initializer=keras.initializers.Constant(3.0))

    def call(self, idx):
        lin = tf.reduce_sum(tf.squeeze(self.linear(idx), -1), axis=1)       # [B]
        v = self.factors(idx)                                                # [B, F, K]
        sum_sq = tf.square(tf.reduce_sum(v, axis=1))
        sq_sum = tf.reduce_sum(tf.square(v), axis=1)
        pairwise = 0.5 * tf.reduce_sum(sum_sq - sq_sum, axis=1)
        return self.bias + lin + pairwise


class FMRegressor(keras.Model):
    def __init__(self, num_slots, k):
        super().__init__()
        self.fm = FMLayer(num_slots, k)

    def call(self, idx):
        # clamp to the valid rating range without python branching
        return tf.clip_by_value(self.fm(idx), 1.0, 5.0)


cols, ratings = simulate_ratings(N_RATINGS)
perm = rs.permutation(N_RATINGS)
train_idx, val_idx = perm[:1000], perm[1000:]

train_ds = (tf.data.Dataset.from_tensor_slices((cols[train_idx], ratings[train_idx]))
            .shuffle(1000, seed=1).batch(BATCH))
val_ds = tf.data.Dataset.from_tensor_slices((cols[val_idx], ratings[val_idx])).batch(256)

model = FMRegressor(TOTAL_SLOTS, K)
optimizer = keras.optimizers.Adagrad(learning_rate=LR * 5)
mse = keras.losses.MeanSquaredError()
train_rmse = keras.metrics.RootMeanSquaredError()
val_rmse = keras.metrics.RootMeanSquaredError()
_ = model(tf.constant(cols[:2]))  # build variables before tracing


@tf.function(input_signature=[tf.TensorSpec([None, len(FIELDS)], tf.int32),
                              tf.TensorSpec([None], tf.float32)])
def train_step(x, y):
    with tf.GradientTape() as tape:
        pred = model(x, training=True)
        reg = L2 * tf.add_n([tf.nn.l2_loss(w) for w in model.trainable_weights])
        loss = mse(y, pred) + reg
    grads = tape.gradient(loss, model.trainable_weights)
    # embedding gradients come back as IndexedSlices; clip by global norm works on them too
    grads, gnorm = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_weights))
    train_rmse.update_state(y, pred)
    return loss, gnorm


@tf.function
def eval_step(x, y):
    val_rmse.update_state(y, model(x, training=False))


for epoch in range(EPOCHS):
    t0 = time.perf_counter()
    train_rmse.reset_state()
    val_rmse.reset_state()
    losses = []
    for step, (xb, yb) in enumerate(train_ds):
        loss, gnorm = train_step(xb, yb)
        losses.append(float(loss))
        if step % 5 == 0:
            print(f"  epoch {epoch} step {step:2d} loss={float(loss):.4f} |g|={float(gnorm):.3f}")
    for xb, yb in val_ds:
        eval_step(xb, yb)
    print(f"epoch {epoch}: mean loss {np.mean(losses):.4f}  train RMSE {train_rmse.result():.4f}  "
          f"val RMSE {val_rmse.result():.4f}  ({time.perf_counter() - t0:.1f}s)")

# baseline: predict the global mean
baseline = np.sqrt(np.mean((ratings[val_idx] - ratings[train_idx].mean()) ** 2))
print(f"global-mean baseline val RMSE: {baseline:.4f}")

# nearest items by factor cosine similarity
item_vecs = model.fm.factors.embeddings.numpy()[OFFSETS[1]:OFFSETS[1] + FIELDS["item"]]
item_vecs /= np.linalg.norm(item_vecs, axis=1, keepdims=True) + 1e-8
for q in [0, 1, 2]:
    sims = item_vecs @ item_vecs[q]
    nn = [int(i) for i in np.argsort(-sims)[1:4]]
    print(f"item {q}: nearest {nn}")

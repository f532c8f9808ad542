"""Neural Collaborative Filtering (NeuMF = GMF + MLP) on implicit feedback.

Fake user/item interactions are generated from latent factors, negatives are
sampled per positive, and the model is a subclassed keras.Model with separate
GMF and MLP embedding tables whose towers get fused before the final logit.
Also shows a quick hit-rate@K evaluation loop.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

NUM_USERS = 300
NUM_ITEMS = 500
NEG_PER_POS = 4
HP = {
    "gmf_dim": 16,
    "mlp_dim": 16,
    "mlp_layers": [64, 32, 16],
    "l2": 1e-6,
    "batch_size": 256,
    "lr": 1e-3,
}


def simulate_interactions(seed=11, per_user=8):
    rs = np.random.RandomState(seed)
    U = rs.normal(size=(NUM_USERS, 6))
    V = rs.normal(size=(NUM_ITEMS, 6))
    scores = U @ V.T
    pos = {}
    for u in range(NUM_USERS):
        top = np.argsort(-scores[u])[:40]
        pos[u] = set(rs.choice(top, per_user, replace=False).tolist())
    return pos


def sample_training_pairs(pos, rs):
    users, items, labels = [], [], []
    for u, its in pos.items():
        for i in its:
            users.append(u); items.append(i); labels.append(1.0)
            for _ in range(NEG_PER_POS):
                j = rs.randint(NUM_ITEMS)
                while j in its:
                    j = rs.randint(NUM_ITEMS)
                users.append(u); items.append(j); labels.append(0.0)
    return (np.array(users, dtype=np.int32), np.array(items, dtype=np.int32),
            np.array(labels, dtype=np.float32))


class NeuMF(keras.Model):
    def __init__(self, num_users, num_items, hp, **kwargs):
        super().__init__(**kwargs)
        reg = keras.regularizers.l2(hp["l2"])
        self.gmf_user = layers.Embedding(num_users, hp["gmf_dim"], embeddings_regularizer=reg,
                                         name="gmf_user_emb")
        self.gmf_item = layers.Embedding(num_items, hp["gmf_dim"], embeddings_regularizer=reg,
                                         name="gmf_item_emb")
        self.mlp_user = layers.Embedding(num_users, hp["mlp_dim"], embeddings_regularizer=reg,
                                         name="mlp_user_emb")
        self.mlp_item = layers.Embedding(num_items, hp["mlp_dim"], embeddings_regularizer=reg,
                                         name="mlp_item_emb")
        self.mlp = keras.Sequential(
            [layers.Dense(u, activation="relu", kernel_regularizer=reg) for u in hp["mlp_layers"]],
            name="mlp_tower")
        self.out = layers.Dense(1, kernel_initializer="lecun_uniform", name="prediction")

    def call(self, inputs, training=False):
        user, item = inputs["user_id"], inputs["item_id"]
        gmf = self.gmf_user(user) * self.gmf_item(item)
        mlp_in = tf.concat([self.mlp_user(user), self.mlp_item(item)], axis=-1)
        mlp = self.mlp(mlp_in, training=training)
        fused = tf.concat([gmf, mlp], axis=-1)
        return tf.squeeze(self.out(fused), axis=-1)  # logits


def hit_rate_at_k(model, pos, k=10, n_users=50, n_candidates=99, seed=0):
    rs = np.random.RandomState(seed)
    hits = 0
    for u in range(n_users):
        target = rs.choice(list(pos[u]))
        negs = [i for i in rs.choice(NUM_ITEMS, n_candidates * 2, replace=False)
                if i not in pos[u]][:n_candidates]
        cand = np.array([target] + negs, dtype=np.int32)
        batch = {"user_id": np.full_like(cand, u), "item_id": cand}
        scores = model.predict(batch, verbose=0, batch_size=len(cand))
        rank = np.argsort(-scores)[:k]
        hits += int(0 in rank)
    return hits / n_users


class HitRateCallback(keras.callbacks.Callback):
    def __init__(self, positives, k=10):
        super().__init__()
        self.positives, self.k = positives, k

    def on_epoch_end(self, epoch, logs=None):
        hr = hit_rate_at_k(self.model, self.positives, k=self.k, n_users=20)
        if logs is not None:
            logs[f"hr@{self.k}"] = hr
        print(f" -- HR@{self.k} = {hr:.3f}")


def main():
    rs = np.random.RandomState(5)
    positives = simulate_interactions()
    u, i, y = sample_training_pairs(positives, rs)
    print("training pairs:", len(y), "positive rate:", y.mean())

    ds = (tf.data.Dataset.from_tensor_slices(({"user_id": u, "item_id": i}, y))
          .shuffle(len(y), seed=1)
          .batch(HP["batch_size"])
          .prefetch(tf.data.AUTOTUNE))

    model = NeuMF(NUM_USERS, NUM_ITEMS, HP, name="neumf")
    model.compile(optimizer=keras.optimizers.Adam(HP["lr"]),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[keras.metrics.AUC(from_logits=True, name="auc")])
    # call once so summary has shapes
    model({"user_id": u[:2], "item_id": i[:2]})
    model.summary()

    model.fit(ds, epochs=1, steps_per_epoch=20,
              callbacks=[HitRateCallback(positives),
                         keras.callbacks.EarlyStopping(monitor="loss", patience=2)])

    user = 3
    all_items = np.arange(NUM_ITEMS, dtype=np.int32)
    logits = model.predict({"user_id": np.full_like(all_items, user), "item_id": all_items},
                           batch_size=512, verbose=0)
    seen = positives[user]
    ranked = [int(x) for x in np.argsort(-logits) if x not in seen][:5]
    print(f"top-5 recs for user {user}:", ranked)


if __name__ == "__main__":
    main()

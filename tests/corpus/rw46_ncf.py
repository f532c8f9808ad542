"""Neural Collaborative Filtering (NeuMF = GMF + MLP) on implicit feedback.

Follows He et al. 2017: separate embeddings for the GMF and MLP branches,
the two branch outputs are concatenated and fed to a single sigmoid unit.
Negatives are sampled uniformly per positive (4:1), evaluation is HR@10
with 99 sampled negatives per held-out positive.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras


@dataclass
class NCFConfig:
    num_users: int = 300
    num_items: int = 600
    gmf_dim: int = 8
    mlp_layers: list = field(default_factory=lambda: [64, 32, 16, 8])
    reg: float = 1e-6
    num_neg: int = 4
    batch_size: int = 256
    lr: float = 1e-3
    epochs: int = 1
    top_k: int = 10


def generate_implicit_data(cfg, interactions_per_user=15, seed=0):
    rng = np.random.default_rng(seed)
    # low-rank latent structure so the model has something to learn
    u_lat = rng.normal(size=(cfg.num_users, 4))
    i_lat = rng.normal(size=(cfg.num_items, 4))
    affinity = u_lat @ i_lat.T
    positives = {}
    for u in range(cfg.num_users):
        probs = np.exp(affinity[u] - affinity[u].max())
        probs /= probs.sum()
        positives[u] = rng.choice(cfg.num_items, size=interactions_per_user, replace=False, p=probs)
    return positives


def leave_one_out(positives):
    train, test = {}, {}
    for u, items in positives.items():
        train[u] = items[:-1]
        test[u] = items[-1]
    return train, test


def sample_training_instances(train, cfg, rng):
    users, items, labels = [], [], []
    for u, pos_items in train.items():
        pos_set = set(pos_items.tolist())
        for i in pos_items:
            users.append(u); items.append(i); labels.append(1.0)
            for _ in range(cfg.num_neg):
                j = rng.integers(cfg.num_items)
                while j in pos_set:
                    j = rng.integers(cfg.num_items)
                users.append(u); items.append(j); labels.append(0.0)
    return (np.array(users, dtype="int32"),
            np.array(items, dtype="int32"),
            np.array(labels, dtype="float32"))


def build_neumf(cfg: NCFConfig) -> keras.Model:
    user_in = keras.Input(shape=(), dtype="int32", name="user")
    item_in = keras.Input(shape=(), dtype="int32", name="item")
    l2 = keras.regularizers.l2(cfg.reg)

    # --- GMF branch ---
    mf_user = keras.layers.Embedding(cfg.num_users, cfg.gmf_dim, embeddings_regularizer=l2,
                                     name="mf_user_embedding")(user_in)
    mf_item = keras.layers.Embedding(cfg.num_items, cfg.gmf_dim, embeddings_regularizer=l2,
                                     name="mf_item_embedding")(item_in)
    gmf_vec = keras.layers.Multiply(name="gmf")([mf_user, mf_item])

    # --- MLP branch: first layer size / 2 per side, like the reference impl ---
    half = cfg.mlp_layers[0] // 2
    mlp_user = keras.layers.Embedding(cfg.num_users, half, embeddings_regularizer=l2,
                                      name="mlp_user_embedding")(user_in)
    mlp_item = keras.layers.Embedding(cfg.num_items, half, embeddings_regularizer=l2,
                                      name="mlp_item_embedding")(item_in)
    mlp_vec = keras.layers.Concatenate(name="mlp_concat")([mlp_user, mlp_item])
    for idx, units in enumerate(cfg.mlp_layers[1:], start=1):
        mlp_vec = keras.layers.Dense(units, activation="relu", kernel_regularizer=l2,
                                     name=f"mlp_layer{idx}")(mlp_vec)

    neumf_vec = keras.layers.Concatenate(name="neumf_concat")([gmf_vec, mlp_vec])
    pred = keras.layers.Dense(1, activation="sigmoid", kernel_initializer="lecun_uniform",
                              name="prediction")(neumf_vec)
    pred = keras.layers.Reshape(())(pred)
    return keras.Model([user_in, item_in], pred, name="NeuMF")


def hit_ratio_at_k(model, train, test, cfg, n_neg=99, seed=123):
    rng = np.random.default_rng(seed)
    hits = []
    user_ids = list(test.keys())[:100]  # subset keeps eval quick
    for u in user_ids:
        seen = set(train[u].tolist()) | {int(test[u])}
        negs = []
        while len(negs) < n_neg:
            j = int(rng.integers(cfg.num_items))
            if j not in seen:
                negs.append(j)
        cand = np.array([test[u]] + negs, dtype="int32")
        users = np.full_like(cand, u)
        scores = model.predict_on_batch([users, cand])
        topk = np.argsort(-scores)[: cfg.top_k]
        hits.append(float(0 in topk))
    return float(np.mean(hits))


def main():
    cfg = NCFConfig()
    keras.utils.set_random_seed(42)
    positives = generate_implicit_data(cfg)
    train, test = leave_one_out(positives)

    rng = np.random.default_rng(1)
    users, items, labels = sample_training_instances(train, cfg, rng)
    print(f"training instances: {len(labels)}  positive rate: {labels.mean():.3f}")

    model = build_neumf(cfg)
    model.summary()
    model.compile(
        optimizer=keras.optimizers.Adam(cfg.lr),
        loss="binary_crossentropy",
        metrics=[keras.metrics.AUC(name="auc")],
    )
    ds = (tf.data.Dataset.from_tensor_slices(((users, items), labels))
          .shuffle(len(labels), seed=3)
          .batch(cfg.batch_size)
          .prefetch(tf.data.AUTOTUNE))
    model.fit(ds, epochs=cfg.epochs, verbose=2)

    hr = hit_ratio_at_k(model, train, test, cfg)
    print(f"HR@{cfg.top_k}: {hr:.3f}")


if __name__ == "__main__":
    main()

"""Neural Collaborative Filtering (NeuMF = GMF + MLP) on implicit feedback.

Follows He et al. 2017: pointwise BCE with 4 sampled negatives per positive,
leave-one-out evaluation with HR@10 / NDCG@10 against 99 sampled negatives.
Data is a synthetic low-rank implicit matrix instead of MovieLens.
"""
import math

import numpy as np
import keras
from keras import layers, ops

# ---- config -----------------------------------------------------------------
N_USERS, N_ITEMS = 300, 400
GMF_DIM = 16
MLP_LAYERS = [64, 32, 16]    # first entry is the concat size (2 * mlp embedding)
REG = 1e-6
NUM_NEG = 4
TOPK = 10
EVAL_NEGATIVES = 99
BATCH = 256
EPOCHS = 2

np.random.seed(0)
keras.utils.set_random_seed(0)


def synth_implicit_matrix(n_users, n_items, rank=6, density=0.04):
    """Sample positives from a low-rank preference score so the model can learn something."""
    U = np.random.normal(size=(n_users, rank))
    V = np.random.normal(size=(n_items, rank))
    scores = U @ V.T
    thresh = np.quantile(scores, 1.0 - density, axis=1, keepdims=True)
    pos = scores >= thresh
    user_items = {u: np.flatnonzero(pos[u]).tolist() for u in range(n_users)}
    return user_items


def leave_one_out(user_items):
    train, test = {}, {}
    for u, items in user_items.items():
        items = list(items)
        np.random.shuffle(items)
        test[u] = items[-1]
        train[u] = set(items[:-1])
    return train, test


def sample_training_instances(train, num_neg):
    users, items, labels = [], [], []
    for u, pos_set in train.items():
        for i in pos_set:
            users.append(u); items.append(i); labels.append(1.0)
            for _ in range(num_neg):
                j = np.random.randint(N_ITEMS)
                while j in pos_set:
                    j = np.random.randint(N_ITEMS)
                users.append(u); items.append(j); labels.append(0.0)
    return (np.array(users, dtype="int32"),
            np.array(items, dtype="int32"),
            np.array(labels, dtype="float32"))


def get_neumf(n_users, n_items, gmf_dim, mlp_layers, reg):
    user_in = keras.Input(shape=(1,), dtype="int32", name="user_input")
    item_in = keras.Input(shape=(1,), dtype="int32", name="item_input")

    l2 = keras.regularizers.l2(reg)
    init = keras.initializers.RandomNormal(stddev=0.01)

    # GMF branch
    mf_u = layers.Embedding(n_users, gmf_dim, embeddings_initializer=init,
                            embeddings_regularizer=l2, name="mf_user_emb")(user_in)
    mf_i = layers.Embedding(n_items, gmf_dim, embeddings_initializer=init,
                            embeddings_regularizer=l2, name="mf_item_emb")(item_in)
    mf_vec = layers.Multiply(name="gmf_product")([layers.Flatten()(mf_u), layers.Flatten()(mf_i)])

    # MLP branch
    half = mlp_layers[0] // 2
    mlp_u = layers.Embedding(n_users, half, embeddings_initializer=init,
                             embeddings_regularizer=l2, name="mlp_user_emb")(user_in)
    mlp_i = layers.Embedding(n_items, half, embeddings_initializer=init,
                             embeddings_regularizer=l2, name="mlp_item_emb")(item_in)
    mlp_vec = layers.Concatenate(name="mlp_concat")([layers.Flatten()(mlp_u), layers.Flatten()(mlp_i)])
    for idx, units in enumerate(mlp_layers[1:], start=1):
        mlp_vec = layers.Dense(units, activation="relu", kernel_regularizer=l2,
                               name=f"mlp_layer{idx}")(mlp_vec)

    pred_vec = layers.Concatenate(name="neumf_concat")([mf_vec, mlp_vec])
    out = layers.Dense(1, activation="sigmoid", kernel_initializer="lecun_uniform",
                       name="prediction")(pred_vec)
    return keras.Model([user_in, item_in], out, name="NeuMF")


def evaluate_hr_ndcg(model, train, test, topk=TOPK, n_neg=EVAL_NEGATIVES):
    """Rank the held-out item among n_neg random unseen items, batched per user."""
    users = sorted(test)
    cand = np.zeros((len(users), n_neg + 1), dtype="int32")
    for r, u in enumerate(users):
        negs = set()
        while len(negs) < n_neg:
            j = np.random.randint(N_ITEMS)
            if j not in train[u] and j != test[u]:
                negs.add(j)
        cand[r, 0] = test[u]
        cand[r, 1:] = list(negs)

    u_flat = np.repeat(np.array(users, dtype="int32"), n_neg + 1)[:, None]
    i_flat = cand.reshape(-1, 1)
    scores = model.predict([u_flat, i_flat], batch_size=4096, verbose=0)
    scores = ops.reshape(scores, (len(users), n_neg + 1))

    # rank of the true item (column 0) = number of items scored strictly higher
    true_score = scores[:, :1]
    rank = ops.sum(ops.cast(scores > true_score, "int32"), axis=1)
    rank = ops.convert_to_numpy(rank)
    hits = rank < topk
    ndcg = np.where(hits, 1.0 / np.log2(rank + 2.0), 0.0)
    return hits.mean(), ndcg.mean()


if __name__ == "__main__":
    user_items = synth_implicit_matrix(N_USERS, N_ITEMS)
    train, test = leave_one_out(user_items)
    print("avg positives per user:", np.mean([len(v) for v in train.values()]))

    model = get_neumf(N_USERS, N_ITEMS, GMF_DIM, MLP_LAYERS, REG)
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc")])
    model.summary(line_length=100)

    hr, ndcg = evaluate_hr_ndcg(model, train, test)
    print(f"init  HR@{TOPK}={hr:.3f} NDCG@{TOPK}={ndcg:.3f}")

    for epoch in range(EPOCHS):
        # resample negatives every epoch, as in the reference implementation
        u, i, y = sample_training_instances(train, NUM_NEG)
        steps = math.ceil(len(y) / BATCH)
        hist = model.fit([u[:, None], i[:, None]], y, batch_size=BATCH,
                         epochs=1, shuffle=True, verbose=0)
        hr, ndcg = evaluate_hr_ndcg(model, train, test)
        print(f"epoch {epoch + 1}: steps={steps} loss={hist.history['loss'][-1]:.4f} "
              f"HR@{TOPK}={hr:.3f} NDCG@{TOPK}={ndcg:.3f}")

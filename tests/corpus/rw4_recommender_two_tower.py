"""Two-tower retrieval model with in-memory brute-force top-k scoring."""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

NUM_USERS = 200
NUM_ITEMS = 120
NUM_GENRES = 12
EMBED_DIM = 16
TOWER_UNITS = [32, 16]
N_INTERACTIONS = 64
TOP_K = 5

rng = np.random.default_rng(2024)

# implicit feedback: (user, item, item_genre, clicked)
user_ids = rng.integers(0, NUM_USERS, N_INTERACTIONS).astype("int32")
item_ids = rng.integers(0, NUM_ITEMS, N_INTERACTIONS).astype("int32")
item_genre_table = rng.integers(0, NUM_GENRES, NUM_ITEMS).astype("int32")
item_genres = item_genre_table[item_ids]
clicked = rng.integers(0, 2, N_INTERACTIONS).astype("float32")


def make_user_tower():
    uid = keras.Input(shape=(), dtype="int32", name="user_id")
    x = layers.Embedding(NUM_USERS, EMBED_DIM, name="user_embedding")(uid)
    for i, units in enumerate(TOWER_UNITS):
        act = "relu" if i < len(TOWER_UNITS) - 1 else None
        x = layers.Dense(units, activation=act, name="user_dense_%d" % i)(x)
    return keras.Model(uid, x, name="user_tower")


def make_item_tower():
    iid = keras.Input(shape=(), dtype="int32", name="item_id")
    genre = keras.Input(shape=(), dtype="int32", name="item_genre")
    id_emb = layers.Embedding(NUM_ITEMS, EMBED_DIM, name="item_embedding")(iid)
    genre_emb = layers.Embedding(NUM_GENRES, 4, name="genre_embedding")(genre)
    x = layers.Concatenate()([id_emb, genre_emb])
    for i, units in enumerate(TOWER_UNITS):
        act = "relu" if i < len(TOWER_UNITS) - 1 else None
        x = layers.Dense(units, activation=act, name="item_dense_%d" % i)(x)
    return keras.Model([iid, genre], x, name="item_tower")


user_tower = make_user_tower()
item_tower = make_item_tower()
user_tower.summary()
item_tower.summary()

# ---- combined training model ----
u_in = keras.Input(shape=(), dtype="int32", name="user_id")
i_in = keras.Input(shape=(), dtype="int32", name="item_id")
g_in = keras.Input(shape=(), dtype="int32", name="item_genre")
u_vec = user_tower(u_in)
i_vec = item_tower([i_in, g_in])
cosine = layers.Dot(axes=1, normalize=True, name="cosine")([u_vec, i_vec])
logit = layers.Dense(1, activation="sigmoid", name="click_prob")(cosine)

retrieval_model = keras.Model(
    inputs={"user_id": u_in, "item_id": i_in, "item_genre": g_in},
    outputs=logit,
    name="two_tower",
)
retrieval_model.compile(
    optimizer=keras.optimizers.Adagrad(learning_rate=0.1),
    loss="binary_crossentropy",
    metrics=[keras.metrics.AUC(name="auc")],
)
retrieval_model.summary()

train_inputs = {"user_id": user_ids, "item_id": item_ids, "item_genre": item_genres}
history = retrieval_model.fit(train_inputs, clicked, batch_size=16, epochs=1, verbose=2)
print("loss:", history.history["loss"][-1])

# ---- alternative scoring: raw dot product ----
u = user_tower(tf.constant(user_ids[:8]))
v = item_tower([tf.constant(item_ids[:8]), tf.constant(item_genres[:8])])
raw_scores = tf.reduce_sum(u * v, axis=1, keepdims=True)
print("raw dot scores:", raw_scores.shape)

# ---- brute-force retrieval over the full catalogue ----
all_item_ids = np.arange(NUM_ITEMS, dtype="int32")
item_vecs = item_tower.predict([all_item_ids, item_genre_table], batch_size=64, verbose=0)
item_vecs = tf.math.l2_normalize(item_vecs, axis=1)

query_users = np.array([0, 5, 17, 42], dtype="int32")
user_vecs = tf.math.l2_normalize(user_tower(query_users), axis=1)

scores = tf.matmul(user_vecs, item_vecs, transpose_b=True)  # (num_queries, NUM_ITEMS)
top_scores, top_items = tf.math.top_k(scores, k=TOP_K)
print("score matrix:", scores.shape, "top-k:", top_items.shape)
for uid, items, sc in zip(query_users, top_items.numpy(), top_scores.numpy()):
    print(f"user {uid:3d} -> items {items.tolist()} (best {sc[0]:.3f})")

# recall@k style check: did any clicked item show up in the user's top-k?
clicked_pairs = {(int(a), int(b)) for a, b, c in zip(user_ids, item_ids, clicked) if c > 0}
hits = sum((int(uid), int(it)) in clicked_pairs for uid, row in zip(query_users, top_items.numpy()) for it in row)
print("hits in top-%d:" % TOP_K, hits)

"""NeuMF (He et al. 2017) - GMF + MLP fused, trained on implicit feedback
with 4 negatives per positive sampled in numpy. Evaluated with leave-one-out HR@10 / NDCG@10.
"""
import math
import numpy as np
import tensorflow as tf
import keras
from keras import layers, Model

num_users, num_items = 300, 1000
num_neg = 4
mf_dim = 8
layers_cfg = [64, 32, 16, 8]   # first layer is the concat of user+item MLP embeddings
reg = 1e-6

rng = np.random.default_rng(2024)

# synthetic implicit feedback: each user interacts with ~20 items
train_pos = {}
test_item = {}
for u in range(num_users):
    items = rng.choice(num_items, size=rng.integers(10, 30), replace=False)
    test_item[u] = int(items[-1])
    train_pos[u] = set(items[:-1].tolist())


def get_train_instances(train_pos, num_neg):
    users, items, labels = [], [], []
    for u, pos in train_pos.items():
        for i in pos:
            users.append(u); items.append(i); labels.append(1)
            for _ in range(num_neg):
                j = rng.integers(num_items)
                while j in pos:
                    j = rng.integers(num_items)
                users.append(u); items.append(j); labels.append(0)
    return np.array(users), np.array(items), np.array(labels, dtype="float32")


def get_model(num_users, num_items, mf_dim=8, layers_=(64, 32, 16, 8), reg_mf=0.0, reg_layers=0.0):
    user_input = layers.Input(shape=(1,), dtype="int32", name="user_input")
    item_input = layers.Input(shape=(1,), dtype="int32", name="item_input")

    MF_Embedding_User = layers.Embedding(num_users, mf_dim, name="mf_embedding_user",
                                         embeddings_regularizer=keras.regularizers.l2(reg_mf))
    MF_Embedding_Item = layers.Embedding(num_items, mf_dim, name="mf_embedding_item",
                                         embeddings_regularizer=keras.regularizers.l2(reg_mf))
    MLP_Embedding_User = layers.Embedding(num_users, layers_[0] // 2, name="mlp_embedding_user")
    MLP_Embedding_Item = layers.Embedding(num_items, layers_[0] // 2, name="mlp_embedding_item")

    # MF part
    mf_user_latent = layers.Flatten()(MF_Embedding_User(user_input))
    mf_item_latent = layers.Flatten()(MF_Embedding_Item(item_input))
    mf_vector = layers.Multiply()([mf_user_latent, mf_item_latent])

    # MLP part
    mlp_user_latent = layers.Flatten()(MLP_Embedding_User(user_input))
    mlp_item_latent = layers.Flatten()(MLP_Embedding_Item(item_input))
    mlp_vector = layers.Concatenate()([mlp_user_latent, mlp_item_latent])
    for idx in range(1, len(layers_)):
        mlp_vector = layers.Dense(layers_[idx], activation="relu",
                                  kernel_regularizer=keras.regularizers.l2(reg_layers),
                                  name="layer%d" % idx)(mlp_vector)

    predict_vector = layers.Concatenate()([mf_vector, mlp_vector])
    prediction = layers.Dense(1, activation="sigmoid", kernel_initializer="lecun_uniform",
                              name="prediction")(predict_vector)
    return Model(inputs=[user_input, item_input], outputs=prediction)


model = get_model(num_users, num_items, mf_dim, layers_cfg, reg, reg)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
model.summary()


def evaluate(model, k=10, n_eval_neg=99):
    hits, ndcgs = [], []
    users_batch, items_batch = [], []
    for u in range(num_users):
        negs = []
        while len(negs) < n_eval_neg:
            j = int(rng.integers(num_items))
            if j not in train_pos[u] and j != test_item[u]:
                negs.append(j)
        cand = negs + [test_item[u]]
        users_batch.append(np.full(len(cand), u))
        items_batch.append(np.array(cand))
    U = np.concatenate(users_batch).reshape(-1, 1)
    I = np.concatenate(items_batch).reshape(-1, 1)
    preds = model.predict([U, I], batch_size=4096, verbose=0).reshape(num_users, n_eval_neg + 1)
    for row in preds:
        # test item is the last column
        rank = int((row > row[-1]).sum())
        hits.append(1.0 if rank < k else 0.0)
        ndcgs.append(math.log(2) / math.log(rank + 2) if rank < k else 0.0)
    return np.mean(hits), np.mean(ndcgs)


hr, ndcg = evaluate(model)
print("Init: HR = %.4f, NDCG = %.4f" % (hr, ndcg))

for epoch in range(2):
    u_in, i_in, labels = get_train_instances(train_pos, num_neg)
    hist = model.fit([u_in.reshape(-1, 1), i_in.reshape(-1, 1)], labels,
                     batch_size=256, epochs=1, verbose=0, shuffle=True)
    hr, ndcg = evaluate(model)
    print("Iteration %d: HR = %.4f, NDCG = %.4f, loss = %.4f"
          % (epoch, hr, ndcg, hist.history["loss"][0]))

# peek at the learned GMF embedding table
w = model.get_layer("mf_embedding_user").get_weights()[0]
print("GMF user table:", w.shape)

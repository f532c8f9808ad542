# Q: "How do I compute recall@k for an in-batch two-tower model without writing
#     TF-specific code?"  -> everything below is keras.ops, so it stays backend-agnostic.

import numpy as np
import tensorflow as tf
import keras
from keras import ops, layers

NUM_USERS, NUM_ITEMS = 200, 150
EMB_DIM = 16
N_INTERACTIONS = 600
TOPK = (1, 5, 10)
OUT = "/tmp"

rng = np.random.default_rng(5)
# hidden "taste" vectors drive which item each user clicks
user_taste = rng.normal(size=(NUM_USERS, 4))
item_style = rng.normal(size=(NUM_ITEMS, 4))
users = rng.integers(0, NUM_USERS, N_INTERACTIONS)
affinity = user_taste[users] @ item_style.T
items = np.array([rng.choice(NUM_ITEMS, p=np.exp(a * 2) / np.exp(a * 2).sum()) for a in affinity])
users, items = users.astype("int32"), items.astype("int32")


@keras.saving.register_keras_serializable()
class L2Normalize(layers.Layer):
    def __init__(self, axis=-1, eps=1e-6, **kw):
        super().__init__(**kw)
        self.axis, self.eps = axis, eps

    def call(self, x):
        return x / ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=self.axis, keepdims=True), self.eps))

    def get_config(self):
        return dict(super().get_config(), axis=self.axis, eps=self.eps)


def tower(vocab, name):
    inp = keras.Input((), dtype="int32", name=f"{name}_id")
    x = layers.Embedding(vocab, 32)(inp)
    x = layers.Dense(32, activation="relu")(x)
    x = layers.Dense(EMB_DIM)(x)
    return keras.Model(inp, L2Normalize()(x), name=f"{name}_tower")


@keras.saving.register_keras_serializable()
class InBatchSoftmaxLoss(keras.losses.Loss):
    """y_pred is the (B, B) similarity matrix; the positives sit on the diagonal."""

    def __init__(self, temperature=0.1, **kw):
        super().__init__(**kw)
        self.temperature = temperature

    def call(self, y_true, y_pred):
        logits = y_pred / self.temperature
        labels = ops.arange(ops.shape(logits)[0])
        return keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


@keras.saving.register_keras_serializable()
class RecallAtK(keras.metrics.Metric):
    def __init__(self, k=5, name=None, **kw):
        super().__init__(name=name or f"recall_at_{k}", **kw)
        self.k = k
        self.hits = self.add_variable((), initializer="zeros", name="hits")
        self.count = self.add_variable((), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        n = ops.shape(y_pred)[0]
        k = min(self.k, y_pred.shape[-1]) if y_pred.shape[-1] is not None else self.k
        _, idx = ops.top_k(y_pred, k=k)
        target = ops.expand_dims(ops.arange(n, dtype=idx.dtype), -1)
        hit = ops.any(ops.equal(idx, target), axis=-1)
        self.hits.assign_add(ops.sum(ops.cast(hit, "float32")))
        self.count.assign_add(ops.cast(n, "float32"))

    def result(self):
        return ops.divide_no_nan(self.hits, self.count)

    def get_config(self):
        return {**super().get_config(), "k": self.k}


class TwoTower(keras.Model):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.user_tower = tower(NUM_USERS, "user")
        self.item_tower = tower(NUM_ITEMS, "item")

    def call(self, inputs):
        u = self.user_tower(inputs["user"])
        v = self.item_tower(inputs["item"])
        return ops.matmul(u, ops.transpose(v))  # (B, B)


def full_catalog_recall(model, k):
    """Score every item for each held-out user and check whether the clicked one is in top-k."""
    all_items = model.item_tower(np.arange(NUM_ITEMS, dtype="int32"))
    u = model.user_tower(users[-100:])
    scores = ops.matmul(u, ops.transpose(all_items))
    _, top = ops.top_k(scores, k=k)
    truth = ops.expand_dims(ops.convert_to_tensor(items[-100:]), -1)
    return float(ops.mean(ops.cast(ops.any(top == ops.cast(truth, top.dtype), axis=-1), "float32")))


if __name__ == "__main__":
    ds = tf.data.Dataset.from_tensor_slices(
        ({"user": users[:-100], "item": items[:-100]}, np.zeros(len(users) - 100, "float32"))
    ).shuffle(512, seed=0).batch(50, drop_remainder=True)

    model = TwoTower()
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=InBatchSoftmaxLoss(temperature=0.2),
                  metrics=[RecallAtK(k) for k in TOPK])
    model.fit(ds, epochs=2, verbose=2)

    for k in TOPK:
        print(f"catalog recall@{k}: {full_catalog_recall(model, k):.3f}  (random ~ {k / NUM_ITEMS:.3f})")

    # only the towers are needed at serving time -> save them independently
    for t in (model.user_tower, model.item_tower):
        path = f"{OUT}/{t.name}.keras"
        t.save(path)
        back = keras.models.load_model(path)
        probe = np.arange(10, dtype="int32")
        print(t.name, "reloaded ok:", np.allclose(t(probe), back(probe), atol=1e-6))

    m = RecallAtK.from_config(RecallAtK(k=3).get_config())
    m.update_state(None, ops.convert_to_tensor(np.eye(4, dtype="float32")))
    print("identity similarity recall@3 =", float(m.result()))

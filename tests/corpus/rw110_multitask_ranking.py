"""
Multi-task ranking model (click / purchase / rating) with shared bottom.

- IntegerLookup for integer user & product ids
- Hashing for a high-cardinality search query string
- Discretization for price buckets
- dict outputs + dict losses + dict loss_weights + per-head metrics
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N = 800
N_USERS, N_PRODUCTS = 50, 90
HASH_BINS = 256
PRICE_BINS = 8
BATCH = 64

TASKS = {
    # name: (units, activation, loss, weight, metrics)
    "click":    (1, "sigmoid", "binary_crossentropy", 1.0, [keras.metrics.AUC(name="auc")]),
    "purchase": (1, "sigmoid", "binary_crossentropy", 2.0, [keras.metrics.AUC(name="auc")]),
    "rating":   (1, None,      "mse",                 0.5, [keras.metrics.RootMeanSquaredError(name="rmse")]),
}

rng = np.random.default_rng(1234)


def generate_sessions(n):
    user = rng.integers(1, N_USERS + 1, size=n)
    product = rng.integers(100, 100 + N_PRODUCTS, size=n)
    price = rng.lognormal(mean=3.0, sigma=0.7, size=n).astype("float32")
    words = ["red", "shoes", "cheap", "laptop", "bag", "kids", "phone", "case", "wireless", "sale"]
    query = np.array([" ".join(rng.choice(words, size=rng.integers(1, 4))) for _ in range(n)])
    position = rng.integers(1, 11, size=n).astype("float32")

    affinity = np.sin(user * 0.7) * np.cos(product * 0.3)
    click_logit = 1.2 * affinity - 0.15 * position + 0.5
    click = (rng.random(n) < 1 / (1 + np.exp(-click_logit))).astype("float32")
    buy_prob = click * 1 / (1 + np.exp(-(affinity * 2 - np.log(price) + 2.0)))
    purchase = (rng.random(n) < buy_prob).astype("float32")
    rating = np.clip(3 + 1.5 * affinity + rng.normal(0, 0.5, n), 1, 5).astype("float32")

    x = {
        "user_id": user.astype("int64"),
        "product_id": product.astype("int64"),
        "price": price,
        "query": query,
        "position": position,
    }
    y = {"click": click, "purchase": purchase, "rating": rating}
    return x, y


def build_preprocessors(x):
    user_lookup = layers.IntegerLookup(name="user_lookup")
    user_lookup.adapt(x["user_id"])
    product_lookup = layers.IntegerLookup(name="product_lookup")
    product_lookup.adapt(x["product_id"])
    price_buckets = layers.Discretization(num_bins=PRICE_BINS, epsilon=0.01, name="price_bucket")
    price_buckets.adapt(x["price"])
    position_norm = layers.Normalization(axis=None, name="position_norm")
    position_norm.adapt(x["position"])
    return user_lookup, product_lookup, price_buckets, position_norm


def build_model(x_train):
    user_lookup, product_lookup, price_buckets, position_norm = build_preprocessors(x_train)

    inp = {
        "user_id": keras.Input(shape=(), dtype="int64", name="user_id"),
        "product_id": keras.Input(shape=(), dtype="int64", name="product_id"),
        "price": keras.Input(shape=(), dtype="float32", name="price"),
        "query": keras.Input(shape=(), dtype="string", name="query"),
        "position": keras.Input(shape=(), dtype="float32", name="position"),
    }

    user_vec = layers.Embedding(user_lookup.vocabulary_size(), 12, name="user_emb")(user_lookup(inp["user_id"]))
    prod_vec = layers.Embedding(product_lookup.vocabulary_size(), 12, name="product_emb")(
        product_lookup(inp["product_id"]))
    price_vec = layers.Embedding(PRICE_BINS, 4, name="price_emb")(price_buckets(inp["price"]))
    query_vec = layers.Embedding(HASH_BINS, 8, name="query_emb")(
        layers.Hashing(num_bins=HASH_BINS, name="query_hash")(inp["query"]))
    pos = layers.Reshape((1,))(position_norm(inp["position"]))

    shared = layers.Concatenate(name="shared_input")([user_vec, prod_vec, price_vec, query_vec, pos])
    shared = layers.Dense(64, activation="relu", name="shared_0")(shared)
    shared = layers.BatchNormalization(name="shared_bn")(shared)
    shared = layers.Dense(32, activation="relu", name="shared_1")(shared)

    outputs = {}
    for task, (units, act, *_rest) in TASKS.items():
        h = layers.Dense(16, activation="relu", name=f"{task}_tower")(shared)
        outputs[task] = layers.Dense(units, activation=act, name=task)(h)

    return keras.Model(inp, outputs, name="mtl_ranker")


def make_ds(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(2048, seed=3)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


if __name__ == "__main__":
    x, y = generate_sessions(N)
    cut = int(0.8 * N)
    x_tr = {k: v[:cut] for k, v in x.items()}
    y_tr = {k: v[:cut] for k, v in y.items()}
    x_va = {k: v[cut:] for k, v in x.items()}
    y_va = {k: v[cut:] for k, v in y.items()}

    model = build_model(x_tr)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=2e-3),
        loss={t: spec[2] for t, spec in TASKS.items()},
        loss_weights={t: spec[3] for t, spec in TASKS.items()},
        metrics={t: spec[4] for t, spec in TASKS.items()},
    )
    print(f"model outputs: {list(model.output.keys()) if isinstance(model.output, dict) else model.output_names}")

    hist = model.fit(make_ds(x_tr, y_tr, True), validation_data=make_ds(x_va, y_va, False),
                     epochs=2, verbose=2)

    results = model.evaluate(make_ds(x_va, y_va, False), return_dict=True, verbose=0)
    for name, value in sorted(results.items()):
        print(f"  {name:28s} {value:.4f}")

    preds = model.predict(make_ds(x_va, y_va, False).take(1), verbose=0)
    # blend heads into a single ranking score, the way a serving layer would
    score = preds["click"][:, 0] * (1 + preds["purchase"][:, 0]) * preds["rating"][:, 0] / 5.0
    order = np.argsort(-score)[:5]
    print("top-5 candidates in first val batch:", order.tolist(), np.round(score[order], 3).tolist())

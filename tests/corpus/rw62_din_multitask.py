"""Deep Interest Network (DIN) style ranker with an MMoE multi-task head.

User behaviour sequences have variable length; they are streamed from a
Python generator and padded per batch with Dataset.padded_batch. A target
attention unit scores each past item against the candidate ad
(concat[h, t, h-t, h*t] -> MLP), masked softmax over valid positions, and
the attended interest vector feeds an MMoE with two tasks: click (CTR) and
add-to-cart (CVR-ish). Item ids are hashed so unseen ids don't need a vocab.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = dict(
    num_item_buckets=2000,
    num_categories=40,
    emb_dim=16,
    max_seq_len=30,
    attn_hidden=[32, 16],
    num_experts=3,
    expert_units=32,
    tower_units=16,
    batch_size=64,
    n_examples=1500,
    steps_per_epoch=15,
)


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------
def behaviour_generator(n, seed=11):
    rng = np.random.default_rng(seed)
    item_cat = rng.integers(0, CFG["num_categories"], size=50_000)
    for _ in range(n):
        seq_len = int(rng.integers(3, CFG["max_seq_len"] + 1))
        fav_cat = rng.integers(0, CFG["num_categories"])
        # users mostly browse their favourite category
        pool = np.flatnonzero(item_cat == fav_cat)
        hist = np.where(rng.random(seq_len) < 0.6,
                        rng.choice(pool, seq_len), rng.integers(0, 50_000, seq_len))
        target = int(rng.choice(pool)) if rng.random() < 0.5 else int(rng.integers(0, 50_000))
        match = float(item_cat[target] == fav_cat)
        click = float(rng.random() < 0.15 + 0.6 * match)
        cart = float(click and rng.random() < 0.3 + 0.4 * match)
        yield (
            {
                "hist_item": hist.astype("int64"),
                "hist_cat": item_cat[hist].astype("int64"),
                "target_item": np.int64(target),
                "target_cat": np.int64(item_cat[target]),
                "price": np.float32(rng.lognormal(3, 1)),
            },
            {"click": np.float32(click), "cart": np.float32(cart)},
        )


feature_sig = {
    "hist_item": tf.TensorSpec([None], tf.int64),
    "hist_cat": tf.TensorSpec([None], tf.int64),
    "target_item": tf.TensorSpec([], tf.int64),
    "target_cat": tf.TensorSpec([], tf.int64),
    "price": tf.TensorSpec([], tf.float32),
}
label_sig = {"click": tf.TensorSpec([], tf.float32), "cart": tf.TensorSpec([], tf.float32)}


def add_derived(features, labels):
    # log-price and a sequence-length feature; -1 is the padding value for ids
    features = dict(features)
    features["log_price"] = tf.math.log1p(features.pop("price"))[:, None]
    features["seq_len"] = tf.reduce_sum(
        tf.cast(features["hist_item"] >= 0, tf.float32), axis=1, keepdims=True)
    return features, labels


ds = (
    tf.data.Dataset.from_generator(
        lambda: behaviour_generator(CFG["n_examples"]),
        output_signature=(feature_sig, label_sig),
    )
    .shuffle(512)
    .padded_batch(
        CFG["batch_size"],
        padded_shapes=(
            {"hist_item": [None], "hist_cat": [None], "target_item": [],
             "target_cat": [], "price": []},
            {"click": [], "cart": []},
        ),
        padding_values=(
            {"hist_item": tf.constant(-1, tf.int64), "hist_cat": tf.constant(-1, tf.int64),
             "target_item": tf.constant(0, tf.int64), "target_cat": tf.constant(0, tf.int64),
             "price": 0.0},
            {"click": 0.0, "cart": 0.0},
        ),
        drop_remainder=True,
    )
    .map(add_derived, num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(tf.data.AUTOTUNE)
)


# ---------------------------------------------------------------------------
# layers
# ---------------------------------------------------------------------------
class HashedIdEmbedding(layers.Layer):
    """Hashing + Embedding; returns embeddings and a validity mask (id >= 0)."""

    def __init__(self, num_bins, dim, **kwargs):
        super().__init__(**kwargs)
        self.hashing = layers.Hashing(num_bins=num_bins)
        self.embedding = layers.Embedding(num_bins, dim)

    def call(self, ids):
        valid = tf.greater_equal(ids, 0)
        return self.embedding(self.hashing(ids)), valid


class TargetAttention(layers.Layer):
    """DIN local activation unit with masked softmax over the sequence."""

    def __init__(self, hidden_units, use_softmax=True, **kwargs):
        super().__init__(**kwargs)
        self.mlp = keras.Sequential(
            [layers.Dense(u, activation="sigmoid") for u in hidden_units] + [layers.Dense(1)]
        )
        self.use_softmax = use_softmax

    def call(self, query, keys, key_mask):
        # query: (B, D) keys: (B, T, D) key_mask: (B, T)
        t = tf.shape(keys)[1]
        q = tf.tile(query[:, None, :], [1, t, 1])                       # (B, T, D)
        att_in = tf.concat([q, keys, q - keys, q * keys], axis=-1)      # (B, T, 4D)
        scores = tf.squeeze(self.mlp(att_in), axis=-1)                  # (B, T)
        if self.use_softmax:
            scores = tf.where(key_mask, scores, tf.fill(tf.shape(scores), -1e9))
            weights = tf.nn.softmax(scores, axis=-1)
        else:  # original DIN keeps raw (unnormalised) weights
            weights = scores * tf.cast(key_mask, scores.dtype)
        return tf.einsum("bt,btd->bd", weights, keys), weights


class MMoE(layers.Layer):
    def __init__(self, num_experts, expert_units, num_tasks, **kwargs):
        super().__init__(**kwargs)
        self.experts = [layers.Dense(expert_units, activation="relu", name=f"expert_{i}")
                        for i in range(num_experts)]
        self.gates = [layers.Dense(num_experts, activation="softmax", name=f"gate_{k}")
                      for k in range(num_tasks)]

    def call(self, x):
        expert_out = tf.stack([e(x) for e in self.experts], axis=1)   # (B, E, U)
        outputs = []
        for gate in self.gates:
            g = gate(x)[:, :, None]                                    # (B, E, 1)
            outputs.append(tf.reduce_sum(g * expert_out, axis=1))      # (B, U)
        return outputs


# ---------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------
def build_din_mmoe(cfg):
    hist_item = keras.Input(shape=(None,), dtype="int64", name="hist_item")
    hist_cat = keras.Input(shape=(None,), dtype="int64", name="hist_cat")
    target_item = keras.Input(shape=(), dtype="int64", name="target_item")
    target_cat = keras.Input(shape=(), dtype="int64", name="target_cat")
    log_price = keras.Input(shape=(1,), name="log_price")
    seq_len = keras.Input(shape=(1,), name="seq_len")

    # shared tables between history and target, as in the DIN paper
    item_table = HashedIdEmbedding(cfg["num_item_buckets"], cfg["emb_dim"], name="item_emb")
    cat_table = HashedIdEmbedding(cfg["num_categories"] * 2, cfg["emb_dim"] // 2, name="cat_emb")

    h_item, h_mask = item_table(hist_item)
    h_cat, _ = cat_table(hist_cat)
    t_item, _ = item_table(target_item)
    t_cat, _ = cat_table(target_cat)

    keys = layers.Concatenate(axis=-1)([h_item, h_cat])       # (B, T, 1.5D)
    query = layers.Concatenate(axis=-1)([t_item, t_cat])      # (B, 1.5D)

    interest, att_weights = TargetAttention(cfg["attn_hidden"], name="din_attention")(
        query, keys, h_mask)

    dense_feats = layers.Concatenate()([log_price, layers.Rescaling(1.0 / cfg["max_seq_len"])(seq_len)])
    x = layers.Concatenate(name="din_features")([interest, query, interest * query, dense_feats])
    x = layers.BatchNormalization()(x)

    click_in, cart_in = MMoE(cfg["num_experts"], cfg["expert_units"], 2, name="mmoe")(x)
    click = layers.Dense(cfg["tower_units"], activation="relu")(click_in)
    click = layers.Dense(1, activation="sigmoid", name="click")(click)
    cart = layers.Dense(cfg["tower_units"], activation="relu")(cart_in)
    cart = layers.Dense(1, activation="sigmoid", name="cart")(cart)

    inputs = dict(hist_item=hist_item, hist_cat=hist_cat, target_item=target_item,
                  target_cat=target_cat, log_price=log_price, seq_len=seq_len)
    model = keras.Model(inputs, {"click": click, "cart": cart}, name="din_mmoe")
    attn_model = keras.Model(inputs, att_weights, name="din_attention_probe")
    return model, attn_model


model, attn_probe = build_din_mmoe(CFG)
model.compile(
    optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0),
    loss={"click": "binary_crossentropy", "cart": "binary_crossentropy"},
    loss_weights={"click": 1.0, "cart": 0.5},
    metrics={"click": [keras.metrics.AUC(name="auc")], "cart": [keras.metrics.AUC(name="auc")]},
)
model.fit(ds.repeat(), steps_per_epoch=CFG["steps_per_epoch"], epochs=1, verbose=2)

feats, labels = next(iter(ds))
preds = model.predict(feats, verbose=0)
w = attn_probe.predict(feats, verbose=0)
print("batch hist shape:", feats["hist_item"].shape,
      "| click pred:", preds["click"].shape, "| cart pred:", preds["cart"].shape)
print("attention weights:", w.shape, "row sums (first 3):", np.round(w.sum(axis=1)[:3], 3))
valid0 = int(feats["seq_len"][0, 0])
print(f"example 0 has {valid0} real behaviours; weight on padding = {w[0, valid0:].sum():.2e}")

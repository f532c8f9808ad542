"""Wide & Deep for app-install prediction with hashed feature crosses.

The wide part is a linear model over hashed single features plus hashed
crosses (user_country x app_category, device x hour_bucket) and is trained
with FTRL, the deep part embeds the same categorical features and runs an
MLP, trained with Adagrad, as in Cheng et al. 2016. Preprocessing happens
in tf.data so the model only sees integer bucket ids.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

SEED = 11
N_ROWS = 6000
BATCH = 256
HASH_BUCKETS = 1000
CROSS_BUCKETS = 2000
EMB_DIM = 8
DEEP_UNITS = [64, 32]

CATEGORICAL = ["country", "app_category", "device", "hour_bucket"]
CROSSES = [("country", "app_category"), ("device", "hour_bucket")]
NUMERIC = ["age", "num_installed"]

VOCABS = {
    "country": ["US", "IN", "BR", "DE", "JP", "FR", "GB", "NG", "MX", "ID"],
    "app_category": ["game", "social", "finance", "health", "news", "tools", "music", "video"],
    "device": ["android_low", "android_high", "ios", "tablet"],
    "hour_bucket": ["night", "morning", "afternoon", "evening"],
}


def synth_frame(n, seed=SEED):
    rng = np.random.default_rng(seed)
    frame = {k: rng.choice(v, size=n) for k, v in VOCABS.items()}
    frame["age"] = rng.integers(16, 70, size=n).astype("float32")
    frame["num_installed"] = rng.poisson(30, size=n).astype("float32")
    # memorisable cross effect + generalisable numeric effect
    score = (
        1.5 * ((frame["country"] == "IN") & (frame["app_category"] == "game"))
        + 1.0 * ((frame["device"] == "ios") & (frame["hour_bucket"] == "evening"))
        - 0.02 * (frame["age"] - 35)
        - 0.8
    )
    frame["label"] = (rng.random(n) < 1.0 / (1.0 + np.exp(-score))).astype("float32")
    return frame


# ---- preprocessing (runs inside Dataset.map) ----
single_hashers = {name: layers.Hashing(num_bins=HASH_BUCKETS, name=f"hash_{name}") for name in CATEGORICAL}
crossers = {
    f"{a}_x_{b}": layers.HashedCrossing(num_bins=CROSS_BUCKETS, name=f"cross_{a}_{b}")
    for a, b in CROSSES
}
numeric_norm = layers.Normalization(axis=-1, name="numeric_norm")


def preprocess(row):
    label = row.pop("label")
    wide_ids, deep_ids = [], []
    for name in CATEGORICAL:
        ids = single_hashers[name](row[name])
        wide_ids.append(ids)
        deep_ids.append(ids)
    for (a, b), key in zip(CROSSES, crossers):
        # offset crosses so they don't collide with single-feature buckets
        wide_ids.append(crossers[key]((row[a], row[b])) + HASH_BUCKETS)
    numeric = tf.stack([row[n] for n in NUMERIC], axis=-1)
    features = {
        "wide_ids": tf.stack(wide_ids, axis=-1),           # (B, 4 + 2)
        "deep_ids": tf.stack(deep_ids, axis=-1),           # (B, 4)
        "numeric": numeric_norm(numeric),                  # (B, 2)
    }
    return features, label


def make_dataset(frame, training):
    ds = tf.data.Dataset.from_tensor_slices(dict(frame))
    if training:
        ds = ds.shuffle(4096, seed=SEED)
    # batch before map so the preprocessing layers run vectorised
    return ds.batch(BATCH).map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


# ---- model ----
class WideAndDeep(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        wide_vocab = HASH_BUCKETS + CROSS_BUCKETS
        # linear model == 1-d embedding summed over active features
        self.wide_weights = layers.Embedding(wide_vocab, 1, embeddings_initializer="zeros",
                                             name="wide_weights")
        self.wide_bias = self.add_weight(name="wide_bias", shape=(1,), initializer="zeros")
        self.deep_embeddings = [
            layers.Embedding(HASH_BUCKETS, EMB_DIM, name=f"deep_emb_{n}") for n in CATEGORICAL
        ]
        self.deep_mlp = keras.Sequential(
            [layers.Dense(u, activation="relu") for u in DEEP_UNITS] + [layers.Dense(1)],
            name="deep_mlp",
        )

    def call(self, features, training=False):
        wide_logit = tf.reduce_sum(self.wide_weights(features["wide_ids"]), axis=1) + self.wide_bias

        embs = [
            emb(features["deep_ids"][:, i]) for i, emb in enumerate(self.deep_embeddings)
        ]
        deep_in = tf.concat(embs + [features["numeric"]], axis=-1)
        deep_logit = self.deep_mlp(deep_in, training=training)
        return tf.squeeze(wide_logit + deep_logit, axis=-1)

    @property
    def wide_variables(self):
        return self.wide_weights.trainable_variables + [self.wide_bias]

    @property
    def deep_variables(self):
        ids = {id(v) for v in self.wide_variables}
        return [v for v in self.trainable_variables if id(v) not in ids]


def main():
    keras.utils.set_random_seed(SEED)
    frame = synth_frame(N_ROWS)
    split = int(0.85 * N_ROWS)
    train = {k: v[:split] for k, v in frame.items()}
    test = {k: v[split:] for k, v in frame.items()}

    numeric_norm.adapt(np.stack([train[n] for n in NUMERIC], axis=-1))
    train_ds = make_dataset(train, training=True)
    test_ds = make_dataset(test, training=False)

    model = WideAndDeep(name="wide_and_deep")
    sample_x, _ = next(iter(train_ds))
    model(sample_x)  # build
    print({k: tuple(v.shape) for k, v in sample_x.items()})
    print("wide vars:", len(model.wide_variables), "deep vars:", len(model.deep_variables))

    wide_opt = keras.optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=1e-3)
    deep_opt = keras.optimizers.Adagrad(learning_rate=0.05)
    loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
    train_auc = keras.metrics.AUC(from_logits=True, name="train_auc")
    test_auc = keras.metrics.AUC(from_logits=True, name="test_auc")

    wide_vars = model.wide_variables
    deep_vars = model.deep_variables

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, wide_vars + deep_vars)
        wide_opt.apply_gradients(zip(grads[: len(wide_vars)], wide_vars))
        deep_opt.apply_gradients(zip(grads[len(wide_vars):], deep_vars))
        train_auc.update_state(y, logits)
        return loss

    for epoch in range(1):
        for step, (x, y) in enumerate(train_ds):
            loss = train_step(x, y)
            if step % 5 == 0:
                print(f"epoch {epoch} step {step:3d} loss {float(loss):.4f}")

    for x, y in test_ds:
        test_auc.update_state(y, model(x, training=False))
    print(f"train AUC {float(train_auc.result()):.3f}  test AUC {float(test_auc.result()):.3f}")

    # inspect the learned weights of the crossed buckets
    nonzero = np.count_nonzero(model.wide_weights.embeddings.numpy()[HASH_BUCKETS:])
    print("non-zero cross weights after FTRL:", nonzero)


if __name__ == "__main__":
    main()

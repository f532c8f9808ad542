"""Wide & Deep CTR model (Cheng et al., 2016) with Keras preprocessing layers.

The wide part is a linear model over one-hot / hashed-crossed categorical
features; the deep part embeds categoricals and concatenates normalized
numerics. Everything goes through a tf.data pipeline that applies the
preprocessing in Dataset.map, so the trained model consumes dense tensors.
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class WideDeepConfig:
    n_rows: int = 8000
    batch_size: int = 256
    epochs: int = 1
    deep_units: list = field(default_factory=lambda: [128, 64, 32])
    dropout: float = 0.2
    embedding_dim: int = 8
    cross_bins: int = 256
    wide_lr: float = 0.05
    deep_lr: float = 1e-3
    seed: int = 42


CATEGORICAL_VOCABS = {
    "device": ["ios", "android", "web", "tv"],
    "country": ["us", "de", "fr", "br", "in", "jp", "gb"],
    "ad_category": ["games", "fashion", "travel", "food", "finance", "auto"],
}
HASHED_FEATURES = {"publisher_id": 500, "ad_id": 2000}
NUMERIC_FEATURES = ["hour_of_day", "user_age", "ad_price"]
CROSSES = [("device", "ad_category"), ("country", "ad_category")]


def generate_clicks(cfg: WideDeepConfig):
    rng = np.random.default_rng(cfg.seed)
    n = cfg.n_rows
    df = {name: rng.choice(vocab, size=n) for name, vocab in CATEGORICAL_VOCABS.items()}
    df["publisher_id"] = rng.integers(0, 5000, size=n).astype("int64")
    df["ad_id"] = rng.integers(0, 50000, size=n).astype("int64")
    df["hour_of_day"] = rng.integers(0, 24, size=n).astype("float32")
    df["user_age"] = rng.normal(35, 10, size=n).clip(13, 80).astype("float32")
    df["ad_price"] = rng.lognormal(1.0, 0.6, size=n).astype("float32")

    # a click propensity that depends on a cross feature (what 'wide' is for)
    logit = -2.0 + 0.03 * (df["hour_of_day"] - 12)
    logit = logit + 1.5 * ((df["device"] == "ios") & (df["ad_category"] == "fashion"))
    logit = logit + 1.0 * ((df["country"] == "jp") & (df["ad_category"] == "games"))
    logit = logit - 0.2 * np.log(df["ad_price"])
    p = 1 / (1 + np.exp(-logit))
    label = (rng.random(n) < p).astype("float32")
    return df, label


class FeaturePreprocessor:
    """Holds all stateful preprocessing layers; adapt() once on training data."""

    def __init__(self, cfg: WideDeepConfig):
        self.cfg = cfg
        self.lookups = {
            name: layers.StringLookup(vocabulary=vocab, num_oov_indices=1, name=f"{name}_lookup")
            for name, vocab in CATEGORICAL_VOCABS.items()
        }
        self.hashers = {
            name: layers.Hashing(num_bins=bins, name=f"{name}_hash")
            for name, bins in HASHED_FEATURES.items()
        }
        self.crossers = {
            f"{a}_X_{b}": layers.HashedCrossing(num_bins=cfg.cross_bins, output_mode="int")
            for a, b in CROSSES
        }
        self.normalizer = layers.Normalization(axis=-1, name="numeric_norm")

    def adapt(self, df):
        numeric = np.stack([df[c] for c in NUMERIC_FEATURES], axis=-1)
        self.normalizer.adapt(numeric)

    def vocab_size(self, name):
        if name in self.lookups:
            return self.lookups[name].vocabulary_size()
        if name in self.hashers:
            return HASHED_FEATURES[name]
        return self.cfg.cross_bins

    def __call__(self, features, label):
        out = {}
        for name, lookup in self.lookups.items():
            out[name] = lookup(features[name])
        for name, hasher in self.hashers.items():
            out[name] = hasher(features[name])
        for (a, b), (cname, crosser) in zip(CROSSES, self.crossers.items()):
            # cross on raw strings so the hash is independent of vocab order
            out[cname] = crosser((features[a], features[b]))
        numeric = tf.stack([features[c] for c in NUMERIC_FEATURES], axis=-1)
        out["numeric"] = self.normalizer(numeric)
        return out, label


def make_dataset(df, label, prep, cfg, training=True):
    ds = tf.data.Dataset.from_tensor_slices((dict(df), label))
    if training:
        ds = ds.shuffle(cfg.n_rows, seed=cfg.seed)
    ds = ds.batch(cfg.batch_size)
    ds = ds.map(prep, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


def build_wide_and_deep(prep: FeaturePreprocessor, cfg: WideDeepConfig):
    cat_names = list(CATEGORICAL_VOCABS) + list(HASHED_FEATURES)
    cross_names = list(prep.crossers)

    inputs = {name: keras.Input(shape=(), dtype="int64", name=name)
              for name in cat_names + cross_names}
    inputs["numeric"] = keras.Input(shape=(len(NUMERIC_FEATURES),), name="numeric")

    # ----- wide: sparse one-hot of raw cats + crosses, then a linear layer
    wide_parts = []
    for name in list(CATEGORICAL_VOCABS) + cross_names:
        depth = prep.vocab_size(name)
        wide_parts.append(layers.CategoryEncoding(num_tokens=depth, output_mode="one_hot",
                                                  name=f"wide_{name}_onehot")(inputs[name]))
    wide = layers.Concatenate(name="wide_concat")(wide_parts)
    wide_logit = layers.Dense(1, name="wide_linear")(wide)

    # ----- deep: embeddings + numerics through an MLP
    deep_parts = [inputs["numeric"]]
    for name in cat_names:
        emb = layers.Embedding(prep.vocab_size(name), cfg.embedding_dim,
                               name=f"deep_{name}_emb")(inputs[name])
        deep_parts.append(emb)
    deep = layers.Concatenate(name="deep_concat")(deep_parts)
    for i, units in enumerate(cfg.deep_units):
        deep = layers.Dense(units, name=f"deep_dense_{i}")(deep)
        deep = layers.BatchNormalization(name=f"deep_bn_{i}")(deep)
        deep = layers.Activation("relu")(deep)
        deep = layers.Dropout(cfg.dropout)(deep)
    deep_logit = layers.Dense(1, name="deep_logit")(deep)

    logit = layers.Add(name="joint_logit")([wide_logit, deep_logit])
    prob = layers.Activation("sigmoid", name="ctr")(logit)
    return keras.Model(inputs, prob, name="wide_and_deep")


class WideDeepTrainer(keras.Model):
    """Wraps the functional model so wide and deep weights get separate optimizers
    (FTRL-ish / Adagrad for wide, Adam for deep), like the original paper."""

    def __init__(self, inner, cfg, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner
        self.wide_opt = keras.optimizers.Adagrad(cfg.wide_lr)
        self.deep_opt = keras.optimizers.Adam(cfg.deep_lr)
        self.loss_fn = keras.losses.BinaryCrossentropy()
        self.loss_metric = keras.metrics.Mean(name="loss")
        self.auc = keras.metrics.AUC(name="auc")

    @property
    def metrics(self):
        return [self.loss_metric, self.auc]

    def call(self, x, training=False):
        return self.inner(x, training=training)

    def _split_vars(self):
        wide_vars = [v for v in self.inner.trainable_variables if "wide_" in v.path]
        deep_vars = [v for v in self.inner.trainable_variables if "wide_" not in v.path]
        return wide_vars, deep_vars

    def train_step(self, data):
        x, y = data
        wide_vars, deep_vars = self._split_vars()
        with tf.GradientTape(persistent=True) as tape:
            y_pred = self.inner(x, training=True)
            loss = self.loss_fn(y[:, None], y_pred)
        self.wide_opt.apply_gradients(zip(tape.gradient(loss, wide_vars), wide_vars))
        self.deep_opt.apply_gradients(zip(tape.gradient(loss, deep_vars), deep_vars))
        del tape
        self.loss_metric.update_state(loss)
        self.auc.update_state(y, tf.squeeze(y_pred, -1))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_pred = self.inner(x, training=False)
        self.loss_metric.update_state(self.loss_fn(y[:, None], y_pred))
        self.auc.update_state(y, tf.squeeze(y_pred, -1))
        return {m.name: m.result() for m in self.metrics}


def main():
    cfg = WideDeepConfig()
    keras.utils.set_random_seed(cfg.seed)
    df, label = generate_clicks(cfg)
    print(f"CTR in synthetic log: {label.mean():.3f}")

    split = int(cfg.n_rows * 0.8)
    train_df = {k: v[:split] for k, v in df.items()}
    valid_df = {k: v[split:] for k, v in df.items()}

    prep = FeaturePreprocessor(cfg)
    prep.adapt(train_df)
    train_ds = make_dataset(train_df, label[:split], prep, cfg)
    valid_ds = make_dataset(valid_df, label[split:], prep, cfg, training=False)

    for xb, yb in train_ds.take(1):
        for k, v in xb.items():
            print(f"  {k:24s} {v.shape} {v.dtype.name}")

    inner = build_wide_and_deep(prep, cfg)
    inner.summary(line_length=110, expand_nested=False)

    model = WideDeepTrainer(inner, cfg)
    model.compile()
    model.fit(train_ds, validation_data=valid_ds, epochs=cfg.epochs, verbose=2)


if __name__ == "__main__":
    main()

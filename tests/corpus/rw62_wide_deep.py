"""Wide & Deep CTR model (Cheng et al., 2016) with Keras preprocessing layers.

The wide part is a linear model over one-hot / multi-hot categorical features
plus hashed feature crosses; the deep part embeds the same categoricals and
concatenates them with normalized dense features. Both logits are summed.
Preprocessing layers live inside the model so it can take raw strings/ints.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
# config
# ---------------------------------------------------------------------------
CONFIG = {
    "num_samples": 3000,
    "batch_size": 256,
    "epochs": 1,
    "embedding_dim": 8,
    "deep_units": [64, 32],
    "dropout": 0.2,
    "cross_bins": 128,
    "learning_rate": 2e-3,
}

CATEGORICAL_STRING = {
    "device_type": ["mobile", "desktop", "tablet", "tv"],
    "site_category": [f"cat_{i}" for i in range(12)],
    "app_domain": [f"dom_{i}" for i in range(20)],
}
CATEGORICAL_INT = {
    "hour_of_day": list(range(24)),
    "banner_pos": list(range(7)),
}
NUMERIC = ["user_ctr_7d", "ad_age_days", "price"]
CROSSES = [("device_type", "site_category"), ("hour_of_day", "banner_pos")]


def generate_clicks(n, seed=0):
    rs = np.random.RandomState(seed)
    data = {}
    for name, vocab in CATEGORICAL_STRING.items():
        data[name] = rs.choice(vocab, size=(n, 1))
    for name, vocab in CATEGORICAL_INT.items():
        data[name] = rs.choice(vocab, size=(n, 1)).astype("int64")
    data["user_ctr_7d"] = rs.beta(2, 30, size=(n, 1)).astype("float32")
    data["ad_age_days"] = rs.gamma(2.0, 10.0, size=(n, 1)).astype("float32")
    data["price"] = rs.lognormal(1.0, 0.7, size=(n, 1)).astype("float32")

    score = (
        8.0 * data["user_ctr_7d"][:, 0]
        + 0.6 * (data["device_type"][:, 0] == "mobile")
        + 0.4 * (data["banner_pos"][:, 0] == 0)
        - 0.02 * data["ad_age_days"][:, 0]
        - 1.2
    )
    clicked = (rs.rand(n) < 1 / (1 + np.exp(-score))).astype("float32")
    return data, clicked


def build_inputs():
    inputs = {}
    for name in CATEGORICAL_STRING:
        inputs[name] = keras.Input(shape=(1,), name=name, dtype="string")
    for name in CATEGORICAL_INT:
        inputs[name] = keras.Input(shape=(1,), name=name, dtype="int64")
    for name in NUMERIC:
        inputs[name] = keras.Input(shape=(1,), name=name, dtype="float32")
    return inputs


def make_lookup(name, vocab, output_mode="int"):
    if name in CATEGORICAL_STRING:
        return layers.StringLookup(
            vocabulary=vocab, output_mode=output_mode, name=f"{name}_lookup_{output_mode}"
        )
    return layers.IntegerLookup(
        vocabulary=vocab, output_mode=output_mode, name=f"{name}_lookup_{output_mode}"
    )


def build_wide_and_deep(train_numeric, cfg):
    inputs = build_inputs()
    all_vocab = {**CATEGORICAL_STRING, **CATEGORICAL_INT}

    # ---------------- wide: one-hot + hashed crosses ----------------
    wide_parts = []
    for name, vocab in all_vocab.items():
        wide_parts.append(make_lookup(name, vocab, output_mode="one_hot")(inputs[name]))

    for a, b in CROSSES:
        crossed = layers.HashedCrossing(
            num_bins=cfg["cross_bins"], output_mode="one_hot", name=f"cross_{a}_x_{b}"
        )((inputs[a], inputs[b]))
        wide_parts.append(crossed)

    wide = layers.Concatenate(name="wide_features")(wide_parts)
    wide_logit = layers.Dense(1, name="wide_linear")(wide)

    # ---------------- deep: embeddings + normalized numerics ----------
    deep_parts = []
    for name, vocab in all_vocab.items():
        idx = make_lookup(name, vocab, output_mode="int")(inputs[name])
        # rule of thumb: dim ~ 6 * card^0.25, capped by config
        dim = min(cfg["embedding_dim"], int(6 * (len(vocab) + 1) ** 0.25))
        emb = layers.Embedding(len(vocab) + 1, dim, name=f"{name}_emb")(idx)
        deep_parts.append(layers.Flatten()(emb))  # (batch, 1, dim) -> (batch, dim)

    numeric = layers.Concatenate(name="numeric_raw")([inputs[n] for n in NUMERIC])
    norm = layers.Normalization(axis=-1, name="numeric_norm")
    norm.adapt(train_numeric)
    deep_parts.append(norm(numeric))

    x = layers.Concatenate(name="deep_features")(deep_parts)
    for i, units in enumerate(cfg["deep_units"]):
        x = layers.Dense(units, name=f"deep_{i}")(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        x = layers.Dropout(cfg["dropout"])(x)
    deep_logit = layers.Dense(1, name="deep_logit")(x)

    logit = layers.Add(name="wide_plus_deep")([wide_logit, deep_logit])
    prob = layers.Activation("sigmoid", name="ctr")(logit)
    return keras.Model(inputs=inputs, outputs=prob, name="wide_and_deep")


def to_dataset(features, labels, batch_size, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        ds = ds.shuffle(len(labels), seed=42)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def main(cfg=CONFIG):
    features, labels = generate_clicks(cfg["num_samples"])
    n_train = int(len(labels) * 0.85)
    train = {k: v[:n_train] for k, v in features.items()}
    test = {k: v[n_train:] for k, v in features.items()}

    train_numeric = np.concatenate([train[n] for n in NUMERIC], axis=1)
    model = build_wide_and_deep(train_numeric, cfg)
    model.summary(line_length=110)

    # Classic W&D trains the wide side with FTRL and the deep side with Adagrad/Adam;
    # here a single optimizer keeps the example compact.
    model.compile(
        optimizer=keras.optimizers.Adam(cfg["learning_rate"]),
        loss=keras.losses.BinaryCrossentropy(),
        metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="acc")],
    )
    model.fit(
        to_dataset(train, labels[:n_train], cfg["batch_size"]),
        validation_data=to_dataset(test, labels[n_train:], cfg["batch_size"], shuffle=False),
        epochs=cfg["epochs"],
        verbose=2,
    )

    # numpy unicode arrays aren't accepted by predict(); go through tf.constant
    sample = {k: tf.constant(v[:5]) for k, v in test.items()}
    preds = model.predict(sample, verbose=0)
    print("pred CTR for 5 impressions:", np.round(preds.ravel(), 3))
    print("wide kernel shape:", model.get_layer("wide_linear").kernel.shape)


if __name__ == "__main__":
    main()

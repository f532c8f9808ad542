"""Telecom churn (3 classes: stay / downgrade / churn) with keras.utils.FeatureSpace.

A FEATURE_SPEC dict drives everything: which columns are string/int categoricals, which
floats get normalized vs. discretized, and which pairs are crossed.  FeatureSpace is adapted
on a tf.data dataset, used in .map() for training, and then folded into an end-to-end model
that accepts raw feature dicts.
"""
import numpy as np
import tensorflow as tf
import keras
from keras.utils import FeatureSpace

N_CUSTOMERS = 700
CLASSES = ["stay", "downgrade", "churn"]
BATCH = 32

FEATURE_SPEC = {
    "plan":          ("string_categorical", ["basic", "plus", "premium", "family"]),
    "contract":      ("string_categorical", ["monthly", "annual", "two_year"]),
    "payment":       ("string_hashed", ["card", "bank", "paypal", "voucher", "cash"]),
    "support_calls": ("integer_categorical", list(range(8))),
    "tenure_months": ("float_discretized", 6),
    "monthly_bill":  ("float_normalized", None),
    "data_gb":       ("float_normalized", None),
}
CROSS_PAIRS = [("plan", "contract"), ("contract", "support_calls")]


def simulate(n, seed=99):
    g = np.random.default_rng(seed)
    cols = {}
    for name, (kind, values) in FEATURE_SPEC.items():
        if kind in ("string_categorical", "string_hashed", "integer_categorical"):
            cols[name] = g.choice(values, size=n)
    cols["support_calls"] = np.minimum(g.poisson(1.2, n), 7).astype("int64")
    cols["tenure_months"] = g.integers(1, 72, n).astype("float32")
    cols["monthly_bill"] = (20 + 15 * np.array([FEATURE_SPEC["plan"][1].index(p) for p in cols["plan"]])
                            + g.normal(0, 5, n)).astype("float32")
    cols["data_gb"] = g.gamma(2, 6, n).astype("float32")

    monthly = cols["contract"] == "monthly"
    risk = 0.45 * cols["support_calls"] + 1.1 * monthly - 0.03 * cols["tenure_months"] \
        + 0.02 * (cols["monthly_bill"] - 50)
    # ordinal-ish target from a noisy risk score
    noisy = risk + g.logistic(0, 0.7, n)
    target = np.digitize(noisy, np.quantile(noisy, [0.6, 0.85])).astype("int64")
    return cols, target


def make_feature_space(spec, crosses):
    feats = {}
    for name, (kind, arg) in spec.items():
        if kind == "string_categorical":
            feats[name] = FeatureSpace.string_categorical(num_oov_indices=1)
        elif kind == "string_hashed":
            feats[name] = FeatureSpace.string_hashed(num_bins=16)
        elif kind == "integer_categorical":
            feats[name] = FeatureSpace.integer_categorical(num_oov_indices=1)
        elif kind == "float_discretized":
            feats[name] = FeatureSpace.float_discretized(num_bins=arg)
        elif kind == "float_normalized":
            feats[name] = FeatureSpace.float_normalized()
        else:
            raise ValueError(f"unknown feature kind {kind!r} for {name}")
    cross_list = [FeatureSpace.cross(feature_names=pair, crossing_dim=32) for pair in crosses]
    return FeatureSpace(features=feats, crosses=cross_list, output_mode="concat")


def main():
    cols, target = simulate(N_CUSTOMERS)
    print("class balance:", {c: int((target == i).sum()) for i, c in enumerate(CLASSES)})

    full = tf.data.Dataset.from_tensor_slices((cols, target)).shuffle(N_CUSTOMERS, seed=0,
                                                                      reshuffle_each_iteration=False)
    n_val = N_CUSTOMERS // 5
    val_raw, train_raw = full.take(n_val), full.skip(n_val)

    feature_space = make_feature_space(FEATURE_SPEC, CROSS_PAIRS)
    feature_space.adapt(train_raw.map(lambda x, _: x).batch(64))

    def preprocess(x, y):
        return feature_space(x), tf.one_hot(y, depth=len(CLASSES))

    train_ds = train_raw.batch(BATCH).map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)
    val_ds = val_raw.batch(BATCH).map(preprocess, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)

    encoded_dim = next(iter(train_ds))[0].shape[-1]
    print(f"FeatureSpace output width: {encoded_dim}")

    encoded_in = keras.Input(shape=(encoded_dim,), name="encoded")
    h = encoded_in
    for units, drop in [(64, 0.3), (32, 0.2)]:
        h = keras.layers.Dense(units, activation="gelu")(h)
        h = keras.layers.Dropout(drop)(h)
    out = keras.layers.Dense(len(CLASSES), activation="softmax", name="churn_class")(h)
    training_model = keras.Model(encoded_in, out)

    training_model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.CategoricalCrossentropy(),
        metrics=[keras.metrics.CategoricalAccuracy(name="acc"),
                 keras.metrics.TopKCategoricalAccuracy(k=2, name="top2")],
    )
    training_model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

    # end-to-end inference model: raw dict -> FeatureSpace -> classifier
    raw_inputs = feature_space.get_inputs()
    encoded = feature_space.get_encoded_features()
    inference_model = keras.Model(raw_inputs, training_model(encoded))

    customers = {
        "plan": ["premium", "basic"],
        "contract": ["monthly", "two_year"],
        "payment": ["voucher", "bank"],
        "support_calls": [6, 0],
        "tenure_months": [3.0, 60.0],
        "monthly_bill": [78.0, 22.0],
        "data_gb": [30.0, 2.5],
    }
    batch = {k: tf.convert_to_tensor(v, dtype="int64" if k == "support_calls" else None)
             for k, v in customers.items()}
    probs = inference_model.predict(batch, verbose=0)
    for i, p in enumerate(probs):
        ranked = sorted(zip(CLASSES, p), key=lambda t: -t[1])
        print(f"customer {i}: " + "  ".join(f"{c}={q:.2f}" for c, q in ranked))


if __name__ == "__main__":
    main()

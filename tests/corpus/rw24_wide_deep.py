"""Wide & Deep for app-install prediction, migrated from tf.feature_column to Keras preprocessing layers.

The old estimator used:
  wide: crossed_column([installed_app, impression_app]) + bucketized(age) x gender
  deep: embedding_column for each categorical, numeric columns normalised
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers, ops, Model, Input, optimizers, losses, metrics

APPS = [f"com.app.{i:03d}" for i in range(120)]
GENDERS = ["F", "M", "U"]
DEVICES = ["android", "ios", "web"]

NUMERIC_COLUMNS = ["age", "sessions_7d", "avg_session_len"]
CATEGORICAL_COLUMNS = {
    "gender": GENDERS,
    "device": DEVICES,
    "installed_app": APPS,
    "impression_app": APPS,
}
CROSSED_COLUMNS = [("installed_app", "impression_app", 2048), ("age_bucket", "gender", 64)]
AGE_BOUNDARIES = [18.0, 25.0, 30.0, 35.0, 45.0, 55.0, 65.0]
HPARAMS = {"deep_units": [128, 64, 32], "embedding_dim": 12, "dropout": 0.2, "batch": 256}


def synthetic_frame(n, seed=123):
    rng = np.random.default_rng(seed)
    frame = {
        "age": rng.integers(14, 80, n).astype("float32"),
        "sessions_7d": rng.poisson(6, n).astype("float32"),
        "avg_session_len": rng.gamma(2.0, 90.0, n).astype("float32"),
        "gender": rng.choice(GENDERS, n),
        "device": rng.choice(DEVICES, n, p=[0.6, 0.3, 0.1]),
        "installed_app": rng.choice(APPS, n),
        "impression_app": rng.choice(APPS, n),
    }
    same_family = np.array([a[-1] == b[-1] for a, b in zip(frame["installed_app"], frame["impression_app"])])
    p = 0.1 + 0.5 * same_family + 0.1 * (frame["device"] == "ios")
    labels = (rng.random(n) < p).astype("int32")
    return frame, labels


def make_dataset(frame, labels, batch_size, shuffle=True):
    # Keras Inputs are declared with shape (1,), so give every column a trailing axis.
    features = {name: np.asarray(col)[:, np.newaxis] for name, col in frame.items()}
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        ds = ds.shuffle(len(labels), reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def build_inputs():
    inputs = {c: Input(shape=(1,), name=c, dtype="float32") for c in NUMERIC_COLUMNS}
    inputs.update({c: Input(shape=(1,), name=c, dtype="string") for c in CATEGORICAL_COLUMNS})
    return inputs


def build_wide_deep(train_frame):
    inputs = build_inputs()

    # --- shared categorical encoders ---------------------------------------
    lookups = {name: layers.StringLookup(vocabulary=vocab, name=f"{name}_lookup")
               for name, vocab in CATEGORICAL_COLUMNS.items()}
    indexed = {name: lookups[name](inputs[name]) for name in CATEGORICAL_COLUMNS}
    indexed["age_bucket"] = layers.Discretization(AGE_BOUNDARIES, name="age_bucketize")(inputs["age"])

    # --- wide part: sparse one-hot + hashed crosses -> single linear unit ----
    wide_features = []
    for name in ("gender", "device"):
        wide_features.append(
            layers.CategoryEncoding(lookups[name].vocabulary_size(), output_mode="one_hot")(indexed[name])
        )
    for a, b, bins in CROSSED_COLUMNS:
        crossed = layers.HashedCrossing(num_bins=bins, output_mode="one_hot", name=f"cross_{a}_x_{b}")(
            (indexed[a], indexed[b])
        )
        wide_features.append(crossed)
    wide = layers.concatenate(wide_features, name="wide_features")
    wide_logit = layers.Dense(1, use_bias=False, name="wide_linear")(wide)

    # --- deep part: embeddings + normalised numerics -------------------------
    deep_parts = []
    for name in CATEGORICAL_COLUMNS:
        emb = layers.Embedding(lookups[name].vocabulary_size(), HPARAMS["embedding_dim"], name=f"{name}_emb")
        deep_parts.append(layers.Flatten()(emb(indexed[name])))
    for name in NUMERIC_COLUMNS:
        norm = layers.Normalization(axis=None, name=f"{name}_norm")
        norm.adapt(np.log1p(train_frame[name]))
        deep_parts.append(norm(ops.log1p(inputs[name])))
    h = layers.concatenate(deep_parts, name="deep_features")
    for i, units in enumerate(HPARAMS["deep_units"]):
        h = layers.Dense(units, name=f"deep_{i}")(h)
        h = layers.BatchNormalization()(h)
        h = layers.Activation("relu")(h)
        h = layers.Dropout(HPARAMS["dropout"])(h)
    deep_logit = layers.Dense(1, name="deep_logit")(h)

    logit = layers.Add(name="combined_logit")([wide_logit, deep_logit])
    prob = layers.Activation("sigmoid", name="install_prob")(logit)
    return Model(inputs=inputs, outputs=prob, name="wide_and_deep")


def main():
    tf.random.set_seed(3)
    train_frame, train_y = synthetic_frame(3000)
    eval_frame, eval_y = synthetic_frame(600, seed=9)

    model = build_wide_deep(train_frame)
    # Wide part historically used FTRL; approximate with a separate LR via a single Adam here.
    model.compile(
        optimizer=optimizers.Adam(learning_rate=2e-3),
        loss=losses.BinaryCrossentropy(),
        metrics=[metrics.AUC(name="auc"), metrics.BinaryAccuracy(name="acc")],
    )
    model.summary(line_length=110, show_trainable=True)

    train_ds = make_dataset(train_frame, train_y, HPARAMS["batch"])
    eval_ds = make_dataset(eval_frame, eval_y, HPARAMS["batch"], shuffle=False)
    model.fit(train_ds, validation_data=eval_ds, epochs=2, verbose=2)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "wide_deep.keras")
        model.save(path)
        restored = tf.keras.models.load_model(path)
        sample = {k: v[:4] for k, v in eval_frame.items()}
        sample = {k: tf.reshape(tf.constant(v), (-1, 1)) for k, v in sample.items()}
        a = model.predict(sample, verbose=0)
        b = restored.predict(sample, verbose=0)
        print("reload max abs diff:", float(np.max(np.abs(a - b))))
        print("predictions:", a.ravel().round(3))


if __name__ == "__main__":
    main()

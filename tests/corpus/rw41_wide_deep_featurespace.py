"""Wide & Deep model for loan-default prediction using keras.utils.FeatureSpace.

The FeatureSpace is adapted on a tf.data pipeline and applied *inside* the
dataset via .map() so preprocessing runs on CPU asynchronously; the wide part
consumes one-hot + crossed features, the deep part consumes the concatenated
encoded vector. At the end we wrap preprocessing + model into an inference
model that takes raw dict inputs.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers
from keras.utils import FeatureSpace

SEED = 2024
N_ROWS = 1500
BATCH = 64
EPOCHS = 1

rng = np.random.default_rng(SEED)
keras.utils.set_random_seed(SEED)

GRADES = ["A", "B", "C", "D", "E", "F", "G"]
PURPOSES = ["debt_consolidation", "credit_card", "home_improvement", "car", "medical", "other"]
HOME = ["RENT", "OWN", "MORTGAGE"]


def synth_loans(n):
    grade = rng.choice(GRADES, n, p=[0.2, 0.25, 0.2, 0.15, 0.1, 0.06, 0.04])
    grade_idx = np.array([GRADES.index(g) for g in grade])
    df = {
        "grade": grade,
        "purpose": rng.choice(PURPOSES, n),
        "home_ownership": rng.choice(HOME, n),
        "term_months": rng.choice([36, 60], n).astype("int64"),
        "emp_length": rng.integers(0, 11, n).astype("int64"),
        "loan_amnt": rng.lognormal(9.3, 0.6, n).astype("float32"),
        "annual_inc": rng.lognormal(11.0, 0.5, n).astype("float32"),
        "dti": rng.uniform(0, 40, n).astype("float32"),
        "revol_util": rng.uniform(0, 1.2, n).astype("float32"),
    }
    z = (0.35 * grade_idx + 0.02 * df["dti"] + 0.8 * (df["term_months"] == 60)
         + 0.6 * np.log(df["loan_amnt"] / df["annual_inc"] + 1e-3) + 1.0)
    df["default"] = (rng.random(n) < 1 / (1 + np.exp(-z + 2.5))).astype("int64")
    return df


def dataframe_to_dataset(df):
    df = dict(df)
    labels = df.pop("default")
    return tf.data.Dataset.from_tensor_slices((df, labels))


data = synth_loans(N_ROWS)
idx = rng.permutation(N_ROWS)
split = int(0.8 * N_ROWS)
train_df = {k: v[idx[:split]] for k, v in data.items()}
val_df = {k: v[idx[split:]] for k, v in data.items()}

train_ds = dataframe_to_dataset(train_df).shuffle(1024, seed=SEED).batch(BATCH)
val_ds = dataframe_to_dataset(val_df).batch(BATCH)
print("default rate (train):", train_df["default"].mean().round(3))

# --------------------------------------------------------------------------- #
# FeatureSpace: per-feature preprocessing + feature crosses for the wide part
# --------------------------------------------------------------------------- #
feature_space = FeatureSpace(
    features={
        "grade": FeatureSpace.string_categorical(num_oov_indices=1),
        "purpose": FeatureSpace.string_categorical(num_oov_indices=1),
        "home_ownership": FeatureSpace.string_categorical(num_oov_indices=0),
        "term_months": FeatureSpace.integer_categorical(num_oov_indices=0),
        "emp_length": FeatureSpace.integer_categorical(num_oov_indices=1),
        "loan_amnt": FeatureSpace.float_normalized(),
        "annual_inc": FeatureSpace.float_normalized(),
        "dti": FeatureSpace.float_discretized(num_bins=8),
        "revol_util": FeatureSpace.float_rescaled(scale=1.0),
    },
    crosses=[
        FeatureSpace.cross(feature_names=("grade", "term_months"), crossing_dim=32),
        FeatureSpace.cross(feature_names=("purpose", "home_ownership"), crossing_dim=32),
    ],
    output_mode="dict",
)

# adapt on features only (labels dropped)
train_ds_features_only = train_ds.map(lambda x, _: x)
feature_space.adapt(train_ds_features_only)

for name in ("grade", "dti", "loan_amnt"):
    print(f"{name:12s} ->", feature_space.preprocessors[name].__class__.__name__)
for name, crosser in feature_space.crossers.items():
    print(f"{name:12s} -> HashedCrossing(num_bins={crosser.num_bins})")

# map the preprocessing into the pipeline so training sees encoded tensors only
preprocessed_train_ds = train_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
).prefetch(tf.data.AUTOTUNE)
preprocessed_val_ds = val_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
).prefetch(tf.data.AUTOTUNE)

encoded_example, _ = next(iter(preprocessed_train_ds))
for k, v in sorted(encoded_example.items()):
    print(f"  {k:28s} {tuple(v.shape)}")

# --------------------------------------------------------------------------- #
# Wide & Deep model built on top of the encoded dict
# --------------------------------------------------------------------------- #
WIDE_KEYS = ["grade", "term_months", "grade_X_term_months", "purpose_X_home_ownership", "dti"]
DEEP_KEYS = ["grade", "purpose", "home_ownership", "term_months", "emp_length",
             "loan_amnt", "annual_inc", "dti", "revol_util"]


def build_wide_and_deep(encoded_spec, deep_units=(64, 32), dropout=0.2):
    inputs = {
        name: keras.Input(shape=(spec.shape[-1],), name=name, dtype=spec.dtype)
        for name, spec in encoded_spec.items()
    }

    wide = layers.concatenate([inputs[k] for k in WIDE_KEYS], name="wide_concat")
    wide_logit = layers.Dense(1, name="wide_linear")(wide)

    deep = layers.concatenate([inputs[k] for k in DEEP_KEYS], name="deep_concat")
    for i, units in enumerate(deep_units):
        deep = layers.Dense(units, activation="relu", name=f"deep_{i}")(deep)
        deep = layers.Dropout(dropout)(deep)
    deep_logit = layers.Dense(1, name="deep_logit")(deep)

    logit = layers.Add(name="wide_plus_deep")([wide_logit, deep_logit])
    output = layers.Activation("sigmoid", name="p_default")(logit)
    return keras.Model(inputs, output, name="wide_and_deep")


encoded_spec = preprocessed_train_ds.element_spec[0]
model = build_wide_and_deep(encoded_spec)
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=2e-3),
    loss="binary_crossentropy",
    metrics=["accuracy", keras.metrics.AUC(name="auc"),
             keras.metrics.Precision(name="precision"), keras.metrics.Recall(name="recall")],
)
model.summary(line_length=110, show_trainable=False)

# class weights because defaults are the minority class
pos = float(train_df["default"].mean())
class_weight = {0: 0.5 / (1 - pos), 1: 0.5 / pos}
model.fit(
    preprocessed_train_ds,
    validation_data=preprocessed_val_ds,
    epochs=EPOCHS,
    class_weight=class_weight,
    verbose=2,
)

# --------------------------------------------------------------------------- #
# End-to-end inference model: raw dict in -> probability out
# --------------------------------------------------------------------------- #
raw_inputs = feature_space.get_inputs()
encoded = feature_space.get_encoded_features()
inference_model = keras.Model(raw_inputs, model(encoded), name="loan_scorer")

sample = {
    "grade": tf.constant(["C"]),
    "purpose": tf.constant(["credit_card"]),
    "home_ownership": tf.constant(["RENT"]),
    "term_months": tf.constant([60], dtype="int64"),
    "emp_length": tf.constant([3], dtype="int64"),
    "loan_amnt": tf.constant([15000.0]),
    "annual_inc": tf.constant([52000.0]),
    "dti": tf.constant([21.5]),
    "revol_util": tf.constant([0.64]),
}
p = inference_model.predict(sample, verbose=0)
print(f"P(default) for sample applicant: {float(p[0, 0]):.3f}")

# the FeatureSpace is serialisable alongside the model
with tempfile.TemporaryDirectory() as tmp:
    fs_path = os.path.join(tmp, "feature_space.keras")
    feature_space.save(fs_path)
    reloaded_fs = keras.saving.load_model(fs_path)
    re_encoded = reloaded_fs(sample)
    print("reloaded feature space ok, keys:", len(re_encoded))

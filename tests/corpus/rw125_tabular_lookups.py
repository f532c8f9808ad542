# Tabular churn model: every column gets its own preprocessing layer,
# adapted from the training data, applied in tf.data (not inside the model).
import numpy as np
import tensorflow as tf
import keras
from keras import layers

rng = np.random.default_rng(42)
N = 600

PLANS = ["basic", "plus", "pro", "enterprise"]
REGIONS = ["us-east", "us-west", "eu", "apac", "latam"]
AREA_CODES = [212, 310, 415, 512, 617, 702, 808]

CONFIG = {
    "numeric": ["monthly_spend", "tenure_months"],
    "bucketized": {"age": [25.0, 35.0, 45.0, 55.0, 65.0]},
    "string_cat": ["plan", "region"],
    "int_cat": ["area_code"],
    "count_cat": {"support_calls": 8},  # cap the vocab, rare counts go to OOV
    "batch_size": 64,
    "epochs": 2,
}


def synth_table(n):
    cols = {
        "monthly_spend": rng.gamma(2.0, 30.0, n).astype("float32"),
        "tenure_months": rng.integers(1, 72, n).astype("float32"),
        "age": rng.normal(42, 12, n).clip(18, 90).astype("float32"),
        "plan": rng.choice(PLANS, n, p=[0.4, 0.3, 0.2, 0.1]),
        "region": rng.choice(REGIONS, n),
        "area_code": rng.choice(AREA_CODES, n).astype("int64"),
        "support_calls": rng.poisson(1.5, n).astype("int64"),
    }
    logit = (0.6 * cols["support_calls"]
             - 0.04 * cols["tenure_months"]
             + 0.8 * (cols["plan"] == "basic")
             - 0.5 * (cols["region"] == "eu")
             + rng.normal(0, 0.5, n))
    y = (logit > np.median(logit)).astype("float32")
    return cols, y


features, target = synth_table(N)
cut = int(N * 0.8)
train_feats = {k: v[:cut] for k, v in features.items()}
val_feats = {k: v[cut:] for k, v in features.items()}

# a couple of unseen values in validation to exercise the OOV buckets
val_feats["plan"][:3] = "legacy"
val_feats["area_code"][:3] = 999

preprocessors = {}

for name in CONFIG["numeric"]:
    norm = layers.Normalization(axis=None, name=f"norm_{name}")
    norm.adapt(train_feats[name])
    preprocessors[name] = norm
    print(f"{name}: mean={float(norm.mean.numpy().squeeze()):.2f} var={float(norm.variance.numpy().squeeze()):.2f}")

for name, edges in CONFIG["bucketized"].items():
    preprocessors[name] = layers.Discretization(bin_boundaries=edges, output_mode="one_hot", name=f"bins_{name}")

# also learn quantile bins for spend, as a second view of the same column
spend_bins = layers.Discretization(num_bins=6, output_mode="one_hot", name="spend_quantiles")
spend_bins.adapt(train_feats["monthly_spend"])
print("learned spend bin edges:", np.round(spend_bins.bin_boundaries, 1))

for name in CONFIG["string_cat"]:
    lookup = layers.StringLookup(output_mode="one_hot", num_oov_indices=1, name=f"lookup_{name}")
    lookup.adapt(train_feats[name])
    preprocessors[name] = lookup
    print(f"{name} vocab -> {lookup.get_vocabulary()}")

for name in CONFIG["int_cat"]:
    lookup = layers.IntegerLookup(output_mode="multi_hot", max_tokens=12, name=f"ilookup_{name}")
    lookup.adapt(train_feats[name])
    preprocessors[name] = lookup
    print(f"{name} vocab size {lookup.vocabulary_size()}")

# two-step version: IntegerLookup -> integer ids, CategoryEncoding -> one-hot
for name, max_tok in CONFIG["count_cat"].items():
    ids = layers.IntegerLookup(max_tokens=max_tok, output_mode="int", name=f"ids_{name}")
    ids.adapt(train_feats[name])
    preprocessors[name] = keras.Sequential(
        [ids, layers.CategoryEncoding(num_tokens=ids.vocabulary_size(), output_mode="one_hot")],
        name=f"onehot_{name}",
    )
    print(f"{name} kept values {ids.get_vocabulary()}")


def encode_batch(batch, label):
    # every column arrives as shape (batch,), make it (batch, 1) first
    batch = {k: tf.expand_dims(v, -1) for k, v in batch.items()}
    parts = [tf.cast(preprocessors[name](batch[name]), tf.float32) for name in sorted(batch)]
    parts.append(tf.cast(spend_bins(batch["monthly_spend"]), tf.float32))
    return tf.concat(parts, axis=-1), label


def to_dataset(feats, y, shuffle=False):
    ds = tf.data.Dataset.from_tensor_slices((feats, y))
    if shuffle:
        ds = ds.shuffle(len(y), seed=1)
    ds = ds.batch(CONFIG["batch_size"])
    return ds.map(encode_batch, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


train_ds = to_dataset(train_feats, target[:cut], shuffle=True)
val_ds = to_dataset(val_feats, target[cut:])

x_example, _ = next(iter(train_ds))
n_inputs = x_example.shape[-1]
print("encoded feature width:", n_inputs)

model = keras.Sequential([
    keras.Input(shape=(n_inputs,)),
    layers.Dense(32, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile("adam", "binary_crossentropy", metrics=[keras.metrics.AUC(name="auc"), "accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2)

# check what an OOV row looks like after encoding
oov_row = {k: v[:1, None] for k, v in val_feats.items()}
print("OOV plan one-hot:", preprocessors["plan"](oov_row["plan"]).numpy())
print("OOV area multi-hot:", preprocessors["area_code"](oov_row["area_code"]).numpy())

# CTR model where the preprocessing layers run inside tf.data (.map) instead of the model.
# Adapt Discretization / StringLookup / Normalization on the raw training arrays, then
# map them over the dataset so the model only sees dense numeric tensors.
import numpy as np
import tensorflow as tf
import keras

N_TRAIN, N_TEST = 500, 150
BATCH_SIZE = 50
TAG_VOCAB = ["sports", "news", "tech", "music", "food", "travel", "finance", "games"]
DEVICES = ["ios", "android", "web"]
MAX_TAGS = 3
HOUR_BINS = [6.0, 12.0, 18.0]   # fixed boundaries -> 4 day-parts
DWELL_BINS = 5                  # learned quantile bins
MISSING = -1.0


def fake_impressions(n, seed):
    r = np.random.default_rng(seed)
    tags = r.choice(TAG_VOCAB + [""], size=(n, MAX_TAGS))  # "" = padding
    hour = r.integers(0, 24, size=n).astype("float32")
    dwell = r.gamma(2.0, 15.0, size=n).astype("float32")
    dwell[r.random(n) < 0.1] = MISSING  # some sessions have no dwell time logged
    device = r.choice(DEVICES, size=n, p=[0.4, 0.45, 0.15])
    ad_id = r.integers(0, 10_000, size=n).astype("int64")

    likes = np.isin(tags, ["tech", "games"]).sum(axis=1)
    z = 0.8 * likes + 0.02 * np.maximum(dwell, 0) + (device == "ios") * 0.4 - (hour < 6) * 0.7 - 1.0
    clicked = (r.random(n) < 1.0 / (1.0 + np.exp(-z))).astype("int32")
    return {"tags": tags, "hour": hour, "dwell": dwell, "device": device, "ad_id": ad_id}, clicked


raw_train, y_train = fake_impressions(N_TRAIN, seed=11)
raw_test, y_test = fake_impressions(N_TEST, seed=12)

# ---- preprocessing layers -------------------------------------------------------------
tag_encoder = keras.layers.StringLookup(vocabulary=TAG_VOCAB, mask_token="", output_mode="multi_hot")
hour_bucket = keras.layers.Discretization(bin_boundaries=HOUR_BINS)
hour_onehot = keras.layers.CategoryEncoding(num_tokens=len(HOUR_BINS) + 1, output_mode="one_hot")
dwell_bucket = keras.layers.Discretization(num_bins=DWELL_BINS)
dwell_onehot = keras.layers.CategoryEncoding(num_tokens=DWELL_BINS + 1, output_mode="one_hot")  # +1 = missing
device_encoder = keras.layers.StringLookup(vocabulary=DEVICES, output_mode="one_hot")
ad_hash = keras.layers.Hashing(num_bins=32, output_mode="one_hot")
dwell_norm = keras.layers.Normalization(axis=None)

observed = raw_train["dwell"][raw_train["dwell"] != MISSING]
dwell_bucket.adapt(observed)
dwell_norm.adapt(np.log1p(observed))
print("learned dwell bin edges:", np.round(dwell_bucket.bin_boundaries, 2))


def encode(features, label):
    dwell = features["dwell"]
    is_missing = tf.equal(dwell, MISSING)
    # missing rows go to their own bucket index DWELL_BINS; no python `if` on tensors
    bucket = tf.where(is_missing, tf.cast(DWELL_BINS, tf.int64), tf.cast(dwell_bucket(dwell), tf.int64))
    safe_log = tf.math.log1p(tf.maximum(dwell, 0.0))
    dwell_scaled = tf.where(is_missing, tf.zeros_like(safe_log), tf.reshape(dwell_norm(safe_log), [-1]))

    x = tf.concat([
        tf.cast(tag_encoder(features["tags"]), tf.float32),
        tf.cast(hour_onehot(hour_bucket(features["hour"])), tf.float32),
        tf.cast(dwell_onehot(bucket), tf.float32),
        tf.cast(device_encoder(features["device"]), tf.float32),
        tf.cast(ad_hash(features["ad_id"]), tf.float32),
        tf.expand_dims(dwell_scaled, -1),
        tf.expand_dims(tf.cast(is_missing, tf.float32), -1),
    ], axis=-1)
    return x, tf.cast(label, tf.float32)


def pipeline(raw, labels, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((raw, labels))
    if shuffle:
        ds = ds.shuffle(N_TRAIN, seed=5, reshuffle_each_iteration=True)
    # batch first so the preprocessing layers run vectorised
    return ds.batch(BATCH_SIZE).map(encode, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


train_ds = pipeline(raw_train, y_train, shuffle=True)
test_ds = pipeline(raw_test, y_test, shuffle=False)

x_peek, y_peek = next(iter(train_ds))
n_features = x_peek.shape[-1]
print(f"encoded batch: {x_peek.shape}, labels {y_peek.shape}, positive rate {y_train.mean():.2f}")

model = keras.Sequential([
    keras.Input(shape=(n_features,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dropout(0.25),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
], name="ctr_mlp")

model.compile(
    optimizer="adam",
    loss=keras.losses.BinaryCrossentropy(label_smoothing=0.05),
    metrics=[keras.metrics.AUC(name="auc"), keras.metrics.Precision(name="precision"),
             keras.metrics.Recall(name="recall")],
)
model.fit(train_ds, epochs=2, validation_data=test_ds, verbose=2)

metrics = model.evaluate(test_ds, verbose=0, return_dict=True)
print("test:", ", ".join(f"{k}={v:.3f}" for k, v in metrics.items()))

# calibration-ish check: mean predicted vs observed click rate per device
probs = model.predict(test_ds, verbose=0).ravel()
for dev in DEVICES:
    mask = raw_test["device"] == dev
    print(f"{dev:8s} n={mask.sum():3d} predicted={probs[mask].mean():.3f} observed={y_test[mask].mean():.3f}")

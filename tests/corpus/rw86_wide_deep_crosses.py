"""Wide & Deep model with hashed feature crosses (Cheng et al., 2016).

Click-through-rate style toy problem: the "wide" part is a linear model over
one-hot categoricals plus hashed crosses (HashedCrossing), the "deep" part is an
MLP over embeddings + normalized numerics. All data is pure numpy, no pandas.
"""
import numpy as np
import keras
from keras import layers, ops

# ---- hyper-parameters -------------------------------------------------------
NUM_SAMPLES = 3000
BATCH_SIZE = 256
EPOCHS = 2
HASH_BINS_CROSS = 128
DEEP_UNITS = (64, 32)
EMBED_DIM = 8

# vocab sizes for integer-coded categoricals (0 .. n-1)
CATEGORICAL_CARDINALITY = {
    "device_type": 4,
    "hour_of_day": 24,
    "ad_category": 12,
    "site_id": 200,
}
NUMERIC_COLUMNS = ["user_age", "session_length", "past_clicks"]
CROSSES = [("device_type", "hour_of_day"), ("ad_category", "site_id")]

rng = np.random.default_rng(7)


def synth_ctr_data(n):
    cats = {
        name: rng.integers(0, card, size=(n,)).astype("int64")
        for name, card in CATEGORICAL_CARDINALITY.items()
    }
    nums = {
        "user_age": rng.normal(35, 10, size=(n,)).astype("float32"),
        "session_length": rng.lognormal(3.0, 0.7, size=(n,)).astype("float32"),
        "past_clicks": rng.poisson(2.0, size=(n,)).astype("float32"),
    }
    # interaction effect that only a cross can capture well
    evening_mobile = (cats["device_type"] == 1) & (cats["hour_of_day"] >= 18)
    logits = -1.5 + 1.8 * evening_mobile + 0.15 * nums["past_clicks"] + 0.3 * (cats["ad_category"] % 3 == 0)
    y = (rng.random(n) < 1.0 / (1.0 + np.exp(-logits))).astype("float32")
    return {**cats, **nums}, y


features, labels = synth_ctr_data(NUM_SAMPLES)
print("CTR rate in synthetic data: %.3f" % labels.mean())

# ---- inputs -----------------------------------------------------------------
inputs = {}
for name in CATEGORICAL_CARDINALITY:
    inputs[name] = keras.Input(shape=(1,), name=name, dtype="int64")
for name in NUMERIC_COLUMNS:
    inputs[name] = keras.Input(shape=(1,), name=name, dtype="float32")

# ---- wide part: one-hot + crosses ------------------------------------------
wide_parts = []
for name, card in CATEGORICAL_CARDINALITY.items():
    one_hot = layers.CategoryEncoding(num_tokens=card, output_mode="one_hot", name=f"{name}_onehot")
    wide_parts.append(one_hot(inputs[name]))

for a, b in CROSSES:
    crossing = layers.HashedCrossing(
        num_bins=HASH_BINS_CROSS, output_mode="one_hot", name=f"cross_{a}_x_{b}"
    )
    wide_parts.append(crossing((inputs[a], inputs[b])))

wide = layers.Concatenate(name="wide_features")(wide_parts)
print("wide feature width:", wide.shape[-1])

# ---- deep part: embeddings + normalized numerics ---------------------------
normalizers = {}
deep_parts = []
for name, card in CATEGORICAL_CARDINALITY.items():
    # rule of thumb: min(EMBED_DIM, ~card ** 0.25 * 4)
    dim = int(min(EMBED_DIM, round(4 * card ** 0.25)))
    emb = layers.Embedding(card, dim, name=f"{name}_embedding")(inputs[name])  # (B, 1, dim)
    deep_parts.append(layers.Flatten()(emb))

for name in NUMERIC_COLUMNS:
    norm = layers.Normalization(axis=-1, name=f"{name}_norm")
    norm.adapt(features[name].reshape(-1, 1))
    normalizers[name] = norm
    deep_parts.append(norm(inputs[name]))

deep = layers.Concatenate(name="deep_features")(deep_parts)
for i, units in enumerate(DEEP_UNITS):
    deep = layers.Dense(units, name=f"deep_dense_{i}")(deep)
    deep = layers.BatchNormalization(name=f"deep_bn_{i}")(deep)
    deep = layers.ReLU()(deep)
    deep = layers.Dropout(0.2)(deep)

# ---- combine ----------------------------------------------------------------
merged = layers.Concatenate(name="wide_and_deep")([wide, deep])
output = layers.Dense(1, activation="sigmoid", name="ctr")(merged)
model = keras.Model(inputs=inputs, outputs=output, name="wide_and_deep")

# The paper uses FTRL for the wide part and AdaGrad for the deep part; we keep
# a single Adam optimizer for simplicity.
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=3e-3),
    loss="binary_crossentropy",
    metrics=[keras.metrics.AUC(name="auc"), keras.metrics.BinaryAccuracy(name="acc")],
)
model.summary(line_length=100)

x_dict = {k: v.reshape(-1, 1) for k, v in features.items()}
history = model.fit(
    x_dict,
    labels,
    batch_size=BATCH_SIZE,
    epochs=EPOCHS,
    validation_split=0.2,
    verbose=2,
)
print("final val_auc: %.4f" % history.history["val_auc"][-1])

# ---- inspect the cross weights ---------------------------------------------
ctr_kernel = model.get_layer("ctr").kernel
wide_width = wide.shape[-1]
wide_weights = ops.convert_to_numpy(ctr_kernel[:wide_width, 0])
offset = sum(CATEGORICAL_CARDINALITY.values())
cross_weights = wide_weights[offset:offset + HASH_BINS_CROSS]
top_bins = np.argsort(-np.abs(cross_weights))[:5]
print("top device x hour cross bins:", top_bins.tolist())

# score a couple of hand-written requests
requests = {
    "device_type": np.array([[1], [0]]),
    "hour_of_day": np.array([[21], [9]]),
    "ad_category": np.array([[3], [5]]),
    "site_id": np.array([[17], [42]]),
    "user_age": np.array([[29.0], [51.0]], dtype="float32"),
    "session_length": np.array([[40.0], [8.0]], dtype="float32"),
    "past_clicks": np.array([[4.0], [0.0]], dtype="float32"),
}
probs = model.predict(requests, verbose=0)
for i, p in enumerate(probs[:, 0]):
    print(f"request {i}: p(click) = {p:.3f}")

"""Wide & Deep + DCN-v2 cross layer for app-install style ranking.

Wide side: one-hot of hashed feature crosses (country x app_category, device x hour)
Deep side: embeddings of categorical ids + numeric features, then a cross network and an MLP.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

rng = np.random.default_rng(99)
N_ROWS = 5000
COUNTRIES = np.array(["us", "br", "in", "de", "jp", "ng", "fr", "mx"])
DEVICES = np.array(["android", "ios", "web"])
APP_CATS = np.array(["games", "social", "finance", "health", "shopping", "music", "tools"])
CROSS_BINS = 256

raw = {
    "country": rng.choice(COUNTRIES, N_ROWS),
    "device": rng.choice(DEVICES, N_ROWS),
    "app_category": rng.choice(APP_CATS, N_ROWS),
    "hour": rng.integers(0, 24, N_ROWS),
    "app_id": rng.integers(0, 3000, N_ROWS),
    "user_installs": rng.poisson(4, N_ROWS).astype("float32"),
    "app_rating": rng.uniform(1, 5, N_ROWS).astype("float32"),
}
y = ((raw["country"] == "br") & (raw["app_category"] == "games")) | (rng.random(N_ROWS) < 0.15)
y = y.astype("float32")

# ---------------- preprocessing (done in tf.data, outside the model) ----------------
lookups = {}
for col in ["country", "device", "app_category"]:
    lk = layers.StringLookup(num_oov_indices=1)
    lk.adapt(raw[col])
    lookups[col] = lk
    print(col, "vocab:", lk.vocabulary_size())

cross_country_cat = layers.HashedCrossing(num_bins=CROSS_BINS)
cross_device_hour = layers.HashedCrossing(num_bins=CROSS_BINS)
installs_norm = layers.Normalization(axis=None)
installs_norm.adapt(np.log1p(raw["user_installs"]))


def preprocess(features, label):
    out = {col: lookups[col](features[col]) for col in lookups}
    out["hour"] = features["hour"]
    out["app_id"] = features["app_id"]
    out["x_country_cat"] = cross_country_cat((features["country"], features["app_category"]))
    out["x_device_hour"] = cross_device_hour((features["device"], features["hour"]))
    out["numeric"] = tf.stack([
        installs_norm(tf.math.log1p(features["user_installs"])),
        (features["app_rating"] - 3.0) / 2.0,
    ], axis=-1)
    return out, label


ds = tf.data.Dataset.from_tensor_slices((raw, y))
train_ds = ds.take(4000).shuffle(4000).batch(256).map(preprocess).prefetch(tf.data.AUTOTUNE)
val_ds = ds.skip(4000).batch(512).map(preprocess)

sample_x, _ = next(iter(train_ds))
for k, v in sample_x.items():
    print(f"  {k:15s} {v.shape} {v.dtype.name}")


class CrossNetV2(layers.Layer):
    """x_{l+1} = x0 * (W_l x_l + b_l) + x_l"""

    def __init__(self, num_layers=2, **kw):
        super().__init__(**kw)
        self.num_layers = num_layers

    def build(self, input_shape):
        d = input_shape[-1]
        self.dense_layers = [layers.Dense(d) for _ in range(self.num_layers)]
        for dl in self.dense_layers:
            dl.build(input_shape)

    def call(self, x0):
        x = x0
        for dl in self.dense_layers:
            x = x0 * dl(x) + x
        return x


vocab_sizes = {c: lookups[c].vocabulary_size() for c in lookups}
vocab_sizes.update({"hour": 24, "app_id": 3000})
emb_dims = {"country": 4, "device": 2, "app_category": 4, "hour": 4, "app_id": 16}

inp = {c: keras.Input(shape=(), dtype="int64", name=c) for c in vocab_sizes}
inp["x_country_cat"] = keras.Input(shape=(), dtype="int64", name="x_country_cat")
inp["x_device_hour"] = keras.Input(shape=(), dtype="int64", name="x_device_hour")
inp["numeric"] = keras.Input(shape=(2,), name="numeric")

# wide: multi-hot of crossed buckets -> linear
wide = layers.Concatenate(name="wide_onehots")([
    layers.CategoryEncoding(CROSS_BINS, output_mode="one_hot")(inp["x_country_cat"]),
    layers.CategoryEncoding(CROSS_BINS, output_mode="one_hot")(inp["x_device_hour"]),
])
wide_logit = layers.Dense(1, name="wide_logit")(wide)

# deep
emb_out = [layers.Embedding(vocab_sizes[c], emb_dims[c], name=f"emb_{c}")(inp[c]) for c in emb_dims]
deep_in = layers.Concatenate(name="deep_input")(emb_out + [inp["numeric"]])
print("deep_input:", deep_in.shape, " wide:", wide.shape)

# a mistake people make: trying to glue the one-hot wide block onto a 3D embedding
try:
    bad = layers.Concatenate()([wide, layers.Embedding(3000, 16)(layers.Reshape((1,))(inp["app_id"]))])
except ValueError as err:
    print("expected failure ->", str(err).splitlines()[0][:120])

crossed = CrossNetV2(num_layers=2, name="cross_net")(deep_in)
h = deep_in
for units in [64, 32]:
    h = layers.Dense(units, activation="relu")(h)
deep_logit = layers.Dense(1, name="deep_logit")(layers.Concatenate()([crossed, h]))

logit = layers.Add()([wide_logit, deep_logit])
prob = layers.Activation("sigmoid")(logit)
model = keras.Model(inp, prob, name="wide_deep_dcn")

model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
              metrics=[keras.metrics.AUC(name="auc")])
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

# per-country top-5 apps by predicted install prob
scores = model.predict(val_ds, verbose=0).ravel()
val_countries = raw["country"][4000:]
val_apps = raw["app_id"][4000:]
for c in COUNTRIES[:3]:
    idx = np.where(val_countries == c)[0]
    best = idx[np.argsort(-scores[idx])[:5]]
    print(c, "top apps:", val_apps[best].tolist(), [round(float(s), 3) for s in scores[best]])

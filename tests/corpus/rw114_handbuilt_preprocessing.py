# Hand-built preprocessing stack for a house-price regression problem.
# Normalization.adapt / Discretization / StringLookup(one_hot) /
# IntegerLookup(multi_hot) / CategoryEncoding / Hashing all glued into one
# functional model that takes a dict of raw columns.
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

N = 360
NEIGHBORHOODS = ["oakwood", "riverside", "downtown", "hillcrest", "lakeside", "old_town"]
AMENITY_IDS = [3, 7, 11, 19, 23, 42]  # pool, garage, garden, ...
rng = np.random.RandomState(123)

CONFIG = {
    "lr": 3e-3,
    "epochs": 2,
    "batch_size": 48,
    "hash_bins": 64,
    "year_bins": [1950.0, 1970.0, 1990.0, 2005.0, 2015.0],
    "hidden": [64, 32],
}


def synth_houses(n):
    sqft = rng.lognormal(7.3, 0.35, n).astype("float32")
    bedrooms = rng.randint(1, 6, n).astype("int64")
    year_built = rng.randint(1930, 2023, n).astype("float32")
    neighborhood = rng.choice(NEIGHBORHOODS, n)
    # each house has up to 3 amenities; 0 is padding
    amenities = np.zeros((n, 3), dtype="int64")
    for i in range(n):
        k = rng.randint(0, 4)
        if k:
            amenities[i, :k] = rng.choice(AMENITY_IDS, k, replace=False)
    zip_code = np.array([f"9{rng.randint(1000, 9999)}" for _ in range(n)])
    price = (
        0.12 * sqft
        + 15 * bedrooms
        + 0.3 * (year_built - 1930)
        + 20 * (amenities > 0).sum(1)
        + np.array([NEIGHBORHOODS.index(h) * 12 for h in neighborhood])
        + rng.normal(0, 20, n)
    ).astype("float32")
    return (
        {
            "sqft": sqft[:, None],
            "bedrooms": bedrooms[:, None],
            "year_built": year_built[:, None],
            "neighborhood": neighborhood[:, None],
            "amenities": amenities,
            "zip_code": zip_code[:, None],
        },
        price / 100.0,
    )


features, target = synth_houses(N)
print("columns:", {k: v.shape for k, v in features.items()})

# ---- build & adapt preprocessing layers -------------------------------------
sqft_norm = layers.Normalization(axis=None, name="sqft_norm")
sqft_norm.adapt(np.log(features["sqft"]))

year_bucket = layers.Discretization(bin_boundaries=CONFIG["year_bins"], name="year_bucket")
year_onehot = layers.CategoryEncoding(
    num_tokens=len(CONFIG["year_bins"]) + 1, output_mode="one_hot", name="year_onehot"
)

hood_lookup = layers.StringLookup(output_mode="one_hot", name="hood_onehot")
hood_lookup.adapt(features["neighborhood"])
print("neighborhood vocab:", hood_lookup.get_vocabulary())

bed_lookup = layers.IntegerLookup(output_mode="one_hot", name="bed_onehot")
bed_lookup.adapt(features["bedrooms"])

amenity_lookup = layers.IntegerLookup(mask_token=0, output_mode="multi_hot", name="amenity_multihot")
amenity_lookup.adapt(features["amenities"])
print("amenity vocab:", amenity_lookup.get_vocabulary())

zip_hash = layers.Hashing(num_bins=CONFIG["hash_bins"], name="zip_hash")
zip_encode = layers.CategoryEncoding(num_tokens=CONFIG["hash_bins"], output_mode="one_hot", name="zip_onehot")

# learned discretization of square footage (quantile bins from data)
sqft_quantiles = layers.Discretization(num_bins=8, name="sqft_quantiles")
sqft_quantiles.adapt(features["sqft"])


def build_model():
    inputs = {
        "sqft": keras.Input(shape=(1,), name="sqft", dtype="float32"),
        "bedrooms": keras.Input(shape=(1,), name="bedrooms", dtype="int64"),
        "year_built": keras.Input(shape=(1,), name="year_built", dtype="float32"),
        "neighborhood": keras.Input(shape=(1,), name="neighborhood", dtype="string"),
        "amenities": keras.Input(shape=(3,), name="amenities", dtype="int64"),
        "zip_code": keras.Input(shape=(1,), name="zip_code", dtype="string"),
    }
    log_sqft = layers.Lambda(lambda t: tf.math.log(t), name="log_sqft")(inputs["sqft"])
    sqft_bins_oh = layers.CategoryEncoding(num_tokens=8, output_mode="one_hot")(
        sqft_quantiles(inputs["sqft"])
    )
    pieces = [
        sqft_norm(log_sqft),
        sqft_bins_oh,
        year_onehot(year_bucket(inputs["year_built"])),
        hood_lookup(inputs["neighborhood"]),
        bed_lookup(inputs["bedrooms"]),
        amenity_lookup(inputs["amenities"]),
        zip_encode(zip_hash(inputs["zip_code"])),
    ]
    x = layers.Concatenate(name="all_features")(pieces)
    for i, units in enumerate(CONFIG["hidden"]):
        x = layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
        x = layers.BatchNormalization(name=f"bn_{i}")(x)
    out = layers.Dense(1, name="price")(x)
    return keras.Model(inputs, out, name="house_price")


model = build_model()
model.compile(
    optimizer=keras.optimizers.Adam(CONFIG["lr"]),
    loss="mse",
    metrics=[keras.metrics.MeanAbsoluteError(name="mae")],
)
model.summary(line_length=100)

ds = (
    tf.data.Dataset.from_tensor_slices((features, target))
    .shuffle(N, seed=1)
    .batch(CONFIG["batch_size"])
    .prefetch(tf.data.AUTOTUNE)
)
n_val_batches = 2
val_ds = ds.take(n_val_batches)
train_ds = ds.skip(n_val_batches)

model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2)

# quick check on a couple of hand-written rows, including unseen categories
new_rows = {
    "sqft": np.array([[1500.0], [3200.0]], dtype="float32"),
    "bedrooms": np.array([[3], [9]], dtype="int64"),  # 9 bedrooms never seen
    "year_built": np.array([[1965.0], [2020.0]], dtype="float32"),
    "neighborhood": np.array([["riverside"], ["moon_base"]]),
    "amenities": np.array([[7, 42, 0], [0, 0, 0]], dtype="int64"),
    "zip_code": np.array([["91234"], ["90000"]]),
}
# numpy unicode arrays don't go through predict() cleanly, so convert to tensors
new_rows = {k: tf.constant(v) for k, v in new_rows.items()}
preds = model(new_rows, training=False).numpy()
for row, p in zip(range(len(preds)), preds[:, 0]):
    print(f"row {row}: predicted price ~ {p * 100:.1f}k")

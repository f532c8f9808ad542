"""FeatureSpace on a synthetic apartment-listing table.

Uses keras.utils.FeatureSpace for normalization, string/int categoricals,
hashing, and two feature crosses; trains on the preprocessed dataset, then
builds an inference model that takes the raw dict of features.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras.utils import FeatureSpace

NUM_ROWS = 500
BATCH = 50
rng = np.random.default_rng(2024)

neighborhoods = np.array(["downtown", "riverside", "oldtown", "harbor", "uptown", "suburbs"])
heating = np.array(["gas", "electric", "heat_pump", "district"])


def make_listings(n):
    hood = rng.choice(neighborhoods, n)
    rooms = rng.integers(1, 6, n)
    floor = rng.integers(0, 20, n)
    area = (rooms * 22 + rng.normal(0, 8, n)).clip(15, None)
    year = rng.integers(1920, 2024, n)
    heat = rng.choice(heating, n)
    agent_id = np.array([f"agent_{i}" for i in rng.integers(0, 300, n)])
    hood_bonus = {h: b for h, b in zip(neighborhoods, [1.6, 1.2, 1.3, 1.4, 1.5, 0.8])}
    price = (area * 45 * np.vectorize(hood_bonus.get)(hood)
             + 15 * floor + 3 * (year - 1920)
             + rng.normal(0, 200, n)) / 1000.0
    data = {
        "neighborhood": hood,
        "rooms": rooms.astype("int64"),
        "floor": floor.astype("int64"),
        "area_m2": area.astype("float32"),
        "year_built": year.astype("float32"),
        "heating": heat,
        "agent_id": agent_id,
    }
    return data, price.astype("float32")


data, price = make_listings(NUM_ROWS)
full_ds = tf.data.Dataset.from_tensor_slices((data, price)).shuffle(NUM_ROWS, seed=3, reshuffle_each_iteration=False)
n_val = NUM_ROWS // 5
val_ds = full_ds.take(n_val)
train_ds = full_ds.skip(n_val)

feature_space = FeatureSpace(
    features={
        "area_m2": FeatureSpace.float_normalized(),
        "year_built": FeatureSpace.float_discretized(num_bins=8),
        "floor": FeatureSpace.integer_categorical(num_oov_indices=1),
        "rooms": FeatureSpace.integer_categorical(num_oov_indices=0),
        "neighborhood": FeatureSpace.string_categorical(num_oov_indices=1),
        "heating": FeatureSpace.string_categorical(),
        "agent_id": FeatureSpace.string_hashed(num_bins=32),
    },
    crosses=[
        FeatureSpace.cross(feature_names=("neighborhood", "rooms"), crossing_dim=48),
        FeatureSpace.cross(feature_names=("heating", "year_built"), crossing_dim=16),
    ],
    output_mode="concat",
)

feature_space.adapt(train_ds.map(lambda x, _: x).batch(BATCH))
print("encoded width:", feature_space.get_encoded_features().shape)

preprocessed_train = (train_ds.batch(BATCH)
                      .map(lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE)
                      .prefetch(tf.data.AUTOTUNE))
preprocessed_val = (val_ds.batch(BATCH)
                    .map(lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE)
                    .cache())

encoded = feature_space.get_encoded_features()
h = keras.layers.Dense(64, activation="relu")(encoded)
h = keras.layers.Dense(32, activation="relu")(h)
pred = keras.layers.Dense(1, name="price_k")(h)
training_model = keras.Model(encoded, pred)
training_model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse", metrics=["mae"])
training_model.fit(preprocessed_train, validation_data=preprocessed_val, epochs=2, verbose=2)


def predict_raw(raw_batch):
    # In Keras 3 FeatureSpace can't be traced on symbolic inputs, so we run
    # it eagerly on the raw dict and feed the encoded tensor to the model.
    return training_model.predict(feature_space(raw_batch), verbose=0)


sample = {
    "neighborhood": tf.constant(["harbor", "atlantis"]),  # second one is OOV
    "rooms": tf.constant([3, 2], dtype=tf.int64),
    "floor": tf.constant([4, 35], dtype=tf.int64),
    "area_m2": tf.constant([71.0, 48.0]),
    "year_built": tf.constant([1995.0, 2021.0]),
    "heating": tf.constant(["gas", "heat_pump"]),
    "agent_id": tf.constant(["agent_17", "agent_9999"]),
}
preds = predict_raw(sample)
for hood, p in zip(sample["neighborhood"].numpy(), preds.ravel()):
    print(f"{hood.decode():>10s}: predicted price {p:.1f}k")

# FeatureSpace itself is serializable
save_dir = tempfile.mkdtemp(prefix="fs_", dir="/tmp")
fs_path = os.path.join(save_dir, "housing_featurespace.keras")
feature_space.save(fs_path)
reloaded_fs = keras.models.load_model(fs_path)
same = np.allclose(reloaded_fs(sample).numpy(), feature_space(sample).numpy())
print(f"reloaded FeatureSpace matches original: {same}")

"""Structured data: lookup, hashing, discretization and normalization layers feeding one model."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

n = 64
age = np.random.randint(18, 80, size=(n, 1)).astype("float32")
income = np.random.lognormal(10, 1, size=(n, 1)).astype("float32")
cities = ["paris", "tokyo", "lima", "oslo"]
city = tf.constant([[cities[i % len(cities)]] for i in range(n)])
plan = np.random.randint(0, 5, size=(n, 1))
churn = np.random.randint(0, 2, size=(n, 1))

age_bins = layers.Discretization(bin_boundaries=[25.0, 35.0, 50.0, 65.0])
income_norm = layers.Normalization()
income_norm.adapt(income)
city_lookup = layers.StringLookup(output_mode="one_hot")
city_lookup.adapt(city)
plan_lookup = layers.IntegerLookup(output_mode="one_hot")
plan_lookup.adapt(plan)
age_onehot = layers.CategoryEncoding(num_tokens=5, output_mode="one_hot")
city_hash = layers.Hashing(num_bins=16, output_mode="one_hot")

age_in = keras.Input(shape=(1,), name="age")
income_in = keras.Input(shape=(1,), name="income")
city_in = keras.Input(shape=(1,), name="city", dtype="string")
plan_in = keras.Input(shape=(1,), name="plan", dtype="int64")

encoded = [
    age_onehot(age_bins(age_in)),
    income_norm(income_in),
    city_lookup(city_in),
    plan_lookup(plan_in),
    city_hash(city_in),
]
all_features = layers.concatenate(encoded)
x = layers.Dense(32, activation="relu")(all_features)
x = layers.Dropout(0.5)(x)
output = layers.Dense(1, activation="sigmoid")(x)

model = keras.Model({"age": age_in, "income": income_in, "city": city_in, "plan": plan_in}, output)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
train_ds = tf.data.Dataset.from_tensor_slices(
    ({"age": age, "income": income, "city": city, "plan": plan}, churn)
)
model.fit(train_ds.batch(32), epochs=1, verbose=0)

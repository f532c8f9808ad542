"""Tabular model with one Input per column (dict comprehensions) and a dict of outputs."""
import numpy as np
import tensorflow as tf
from tensorflow import keras

NUMERIC_FEATURES = ["age", "fare", "hours_per_week", "capital_gain"]
CATEGORICAL_FEATURES = {"workclass": 9, "education": 16, "occupation": 15}
EMBED_DIM = 4
N = 32

inputs = {name: keras.Input(shape=(1,), name=name) for name in NUMERIC_FEATURES}
inputs.update({
    name: keras.Input(shape=(1,), name=name, dtype="int32")
    for name in CATEGORICAL_FEATURES
})

numeric = keras.layers.Concatenate(name="numeric")([inputs[n] for n in NUMERIC_FEATURES])
numeric = keras.layers.BatchNormalization()(numeric)

embedded = []
for name, vocab in CATEGORICAL_FEATURES.items():
    e = keras.layers.Embedding(vocab + 1, EMBED_DIM, name=f"emb_{name}")(inputs[name])
    e = keras.layers.Flatten()(e)
    embedded.append(e)

all_features = keras.layers.concatenate([numeric] + embedded)
x = keras.layers.Dense(32, activation="relu")(all_features)
x = keras.layers.Dropout(0.2)(x)
x = keras.layers.Dense(16, activation="relu")(x)

outputs = {
    "income": keras.layers.Dense(1, activation="sigmoid", name="income")(x),
    "hours": keras.layers.Dense(1, name="hours")(x),
    "segment": keras.layers.Dense(5, activation="softmax", name="segment")(x),
}
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(
    optimizer="adam",
    loss={"income": "binary_crossentropy", "hours": "mse",
          "segment": "sparse_categorical_crossentropy"},
    loss_weights={"income": 1.0, "hours": 0.1, "segment": 0.5},
)

data = {name: np.random.rand(N, 1).astype("float32") for name in NUMERIC_FEATURES}
for name, vocab in CATEGORICAL_FEATURES.items():
    data[name] = np.random.randint(0, vocab, size=(N, 1)).astype("int32")
targets = {
    "income": np.random.randint(0, 2, size=(N, 1)),
    "hours": np.random.rand(N, 1),
    "segment": np.random.randint(0, 5, size=(N,)),
}
model.fit(data, targets, batch_size=32, epochs=1, verbose=0)
predictions = model.predict({k: v[:3] for k, v in data.items()}, verbose=0)

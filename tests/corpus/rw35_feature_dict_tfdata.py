# Adult-income-like tabular: feature dicts -> tf.data -> functional model with dict inputs
import numpy as np
import tensorflow as tf
from tensorflow import keras

N = 2000
BATCH = 128
rs = np.random.RandomState(0)

WORKCLASS = np.array(["Private", "Self-emp", "Gov", "Without-pay", "Never-worked"])
EDU = np.array(["HS-grad", "Bachelors", "Masters", "Doctorate", "Some-college", "Assoc"])
OCC = np.array(["Tech", "Craft", "Sales", "Exec", "Admin", "Service", "Farming", "Transport"])

raw = {
    "age": rs.randint(17, 90, N).astype("float32"),
    "hours_per_week": rs.randint(1, 99, N).astype("float32"),
    "capital_gain": np.abs(rs.standard_cauchy(N)).clip(0, 5e4).astype("float32"),
    "education_num": rs.randint(1, 17, N).astype("int64"),
    "workclass": WORKCLASS[rs.randint(0, len(WORKCLASS), N)],
    "education": EDU[rs.randint(0, len(EDU), N)],
    "occupation": OCC[rs.randint(0, len(OCC), N)],
}
label = ((raw["age"] > 40) & (raw["hours_per_week"] > 45)).astype("float32")
label = np.where(rs.rand(N) < 0.1, 1 - label, label)

NUMERIC = ["age", "hours_per_week", "capital_gain"]
INT_CATEGORICAL = ["education_num"]
STR_CATEGORICAL = ["workclass", "education", "occupation"]

idx = rs.permutation(N)
split = int(N * 0.8)
train_feats = {k: v[idx[:split]] for k, v in raw.items()}
val_feats = {k: v[idx[split:]] for k, v in raw.items()}
y_tr, y_va = label[idx[:split]], label[idx[split:]]


def df_to_dataset(feats, y=None, shuffle=True, batch_size=BATCH):
    feats = {key: value[:, np.newaxis] for key, value in feats.items()}
    if y is None:
        ds = tf.data.Dataset.from_tensor_slices(dict(feats))
    else:
        ds = tf.data.Dataset.from_tensor_slices((dict(feats), y))
    if shuffle:
        ds = ds.shuffle(buffer_size=len(next(iter(feats.values()))))
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


train_ds = df_to_dataset(train_feats, y_tr)
val_ds = df_to_dataset(val_feats, y_va, shuffle=False)

for x_batch, y_batch in train_ds.take(1):
    print("keys:", list(x_batch.keys()))
    print("age batch:", x_batch["age"].shape, "occupation batch:", x_batch["occupation"][:3].numpy())
    print("labels:", y_batch.shape)


def encode_numerical(name, ds, inp):
    norm = keras.layers.Normalization(axis=None, name=f"norm_{name}")
    norm.adapt(ds.map(lambda x, y: x[name]))
    return norm(inp)


def encode_categorical(name, ds, inp, is_string, embed=False):
    lookup_cls = keras.layers.StringLookup if is_string else keras.layers.IntegerLookup
    lookup = lookup_cls(output_mode="int" if embed else "one_hot", name=f"lookup_{name}")
    lookup.adapt(ds.map(lambda x, y: x[name]))
    encoded = lookup(inp)
    if embed:
        vocab = lookup.vocabulary_size()
        encoded = keras.layers.Embedding(vocab, 4, name=f"emb_{name}")(encoded)
        encoded = keras.layers.Flatten()(encoded)
    return encoded


all_inputs = {}
encoded_features = []

for name in NUMERIC:
    inp = keras.Input(shape=(1,), name=name, dtype="float32")
    all_inputs[name] = inp
    encoded_features.append(encode_numerical(name, train_ds, inp))

for name in INT_CATEGORICAL:
    inp = keras.Input(shape=(1,), name=name, dtype="int64")
    all_inputs[name] = inp
    encoded_features.append(encode_categorical(name, train_ds, inp, is_string=False))

for name in STR_CATEGORICAL:
    inp = keras.Input(shape=(1,), name=name, dtype="string")
    all_inputs[name] = inp
    # occupation has the most levels -> embed it, the rest one-hot
    encoded_features.append(
        encode_categorical(name, train_ds, inp, is_string=True, embed=(name == "occupation")))

for t in encoded_features:
    print(t.name if hasattr(t, "name") else "", tuple(t.shape))

all_features = keras.layers.concatenate(encoded_features)
x = keras.layers.Dense(64, activation="relu")(all_features)
x = keras.layers.Dropout(0.3)(x)
x = keras.layers.Dense(32, activation="relu")(x)
output = keras.layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(all_inputs, output)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
print("concatenated width:", all_features.shape[-1])

model.fit(train_ds, epochs=2, validation_data=val_ds, verbose=2)

# inference on a single raw sample, like the keras.io example
sample = {
    "age": 52.0, "hours_per_week": 55.0, "capital_gain": 0.0, "education_num": 13,
    "workclass": "Private", "education": "Masters", "occupation": "Exec",
}
input_dict = {name: tf.convert_to_tensor([[value]]) for name, value in sample.items()}
predictions = model.predict(input_dict, verbose=0)
print(f"P(income > 50K) = {100 * predictions[0][0]:.1f}%  pred shape {predictions.shape}")

# batch predictions on the validation features (no labels)
test_ds = df_to_dataset(val_feats, shuffle=False, batch_size=256)
probs = model.predict(test_ds, verbose=0)
print("val probs:", probs.shape, "acc:", ((probs[:, 0] > 0.5) == y_va).mean())

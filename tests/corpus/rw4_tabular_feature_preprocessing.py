# Structured data classification with Keras preprocessing layers.
# Heart-disease style columns, generated on the fly (no CSV, no pandas).
import numpy as np
import tensorflow as tf
import keras
from keras import layers

N = 48
rng = np.random.RandomState(1337)

columns = {
    "age": rng.randint(29, 78, size=N).astype("int64"),
    "sex": rng.randint(0, 2, size=N).astype("int64"),
    "cp": rng.randint(0, 5, size=N).astype("int64"),
    "trestbps": rng.normal(130, 15, size=N).astype("float32"),
    "chol": rng.normal(245, 50, size=N).astype("float32"),
    "thalach": rng.normal(150, 22, size=N).astype("float32"),
    "oldpeak": rng.exponential(1.0, size=N).astype("float32"),
    "thal": rng.choice(["fixed", "normal", "reversible"], size=N),
    "slope": rng.randint(1, 4, size=N).astype("int64"),
}
labels = rng.randint(0, 2, size=N).astype("float32")

NUMERIC_FEATURES = ["age", "trestbps", "chol", "thalach", "oldpeak"]
INT_CATEGORICAL = ["sex", "cp", "slope"]
STRING_CATEGORICAL = ["thal"]

# keep the last 16 rows for validation
split = 32
train_features = {k: v[:split] for k, v in columns.items()}
val_features = {k: v[split:] for k, v in columns.items()}
train_ds = tf.data.Dataset.from_tensor_slices((dict(train_features), labels[:split]))
val_ds = tf.data.Dataset.from_tensor_slices((dict(val_features), labels[split:]))

for x, y in train_ds.take(1):
    print("Input:", {k: v.numpy() for k, v in x.items()})
    print("Target:", y.numpy())

train_ds = train_ds.shuffle(buffer_size=len(labels)).batch(8)
val_ds = val_ds.batch(8)


def encode_numerical_feature(feature, name, dataset):
    normalizer = layers.Normalization()
    # Prepare a Dataset that only yields our feature
    feature_ds = dataset.map(lambda x, y: x[name])
    feature_ds = feature_ds.map(lambda x: tf.expand_dims(x, -1))
    normalizer.adapt(feature_ds)
    return normalizer(feature)


def encode_categorical_feature(feature, name, dataset, is_string):
    lookup_class = layers.StringLookup if is_string else layers.IntegerLookup
    lookup = lookup_class(output_mode="int")
    feature_ds = dataset.map(lambda x, y: x[name])
    feature_ds = feature_ds.map(lambda x: tf.expand_dims(x, -1))
    lookup.adapt(feature_ds)
    encoder = layers.CategoryEncoding(num_tokens=lookup.vocabulary_size(), output_mode="one_hot")
    return encoder(lookup(feature))


# Build one Input per column
inputs = {}
for name in NUMERIC_FEATURES:
    dtype = "int64" if columns[name].dtype == np.int64 else "float32"
    inputs[name] = keras.Input(shape=(1,), name=name, dtype=dtype)
for name in INT_CATEGORICAL:
    inputs[name] = keras.Input(shape=(1,), name=name, dtype="int64")
for name in STRING_CATEGORICAL:
    inputs[name] = keras.Input(shape=(1,), name=name, dtype="string")

encoded = []
for name in NUMERIC_FEATURES:
    feat = inputs[name]
    if feat.dtype != "float32":
        feat = layers.Lambda(lambda t: tf.cast(t, "float32"), name=f"{name}_cast")(feat)
    encoded.append(encode_numerical_feature(feat, name, train_ds))
for name in INT_CATEGORICAL:
    encoded.append(encode_categorical_feature(inputs[name], name, train_ds, False))
for name in STRING_CATEGORICAL:
    encoded.append(encode_categorical_feature(inputs[name], name, train_ds, True))

for e in encoded:
    print(e.shape)

all_features = layers.concatenate(encoded)
x = layers.Dense(32, activation="relu")(all_features)
x = layers.Dropout(0.5)(x)
output = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, output)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.summary()

model.fit(train_ds, epochs=1, validation_data=val_ds)

# single-sample inference with a dict of tensors
sample = {
    "age": 60, "sex": 1, "cp": 1, "trestbps": 145.0, "chol": 233.0,
    "thalach": 150.0, "oldpeak": 2.3, "thal": "fixed", "slope": 3,
}
input_dict = {name: tf.convert_to_tensor([value]) for name, value in sample.items()}
input_dict = {k: tf.expand_dims(v, -1) for k, v in input_dict.items()}
input_dict = {k: tf.cast(v, inputs[k].dtype) if v.dtype != tf.string else v
              for k, v in input_dict.items()}
predictions = model.predict(input_dict)
print(
    f"This particular patient had a {100 * predictions[0][0]:.1f} "
    "percent probability of having a heart disease."
)

"""Keras preprocessing layers: adapt once, preprocess in tf.data, export end-to-end.

PetFinder-style multiclass problem (adoption speed 0..4) on a synthetic table.
Shows Normalization, Discretization, StringLookup (incl. multi-hot tags),
IntegerLookup and Hashing; preprocessing runs inside Dataset.map for training,
and is then glued in front of the trained model for raw-feature inference.
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras import layers

NUM_CLASSES = 5
N = 2500
BATCH = 64
AUTOTUNE = tf.data.AUTOTUNE

PET_TYPES = ["Dog", "Cat"]
COLORS = ["Black", "Brown", "Golden", "Yellow", "Cream", "Gray", "White"]
BREEDS = [f"breed_{i}" for i in range(120)]
TAGS = ["vaccinated", "sterilized", "dewormed", "healthy", "injured", "playful", "shy"]


def make_fake_petfinder(n, seed=11):
    rng = np.random.default_rng(seed)
    age = rng.gamma(2.0, 8.0, n).astype("float32")           # months
    fee = (rng.random(n) < 0.3) * rng.integers(10, 300, n)
    photo_amt = rng.poisson(3, n).astype("int64")
    n_tags = rng.integers(0, 4, n)
    tags = np.array([" ".join(rng.choice(TAGS, k, replace=False)) for k in n_tags])
    data = {
        "Type": rng.choice(PET_TYPES, n),
        "Age": age,
        "Breed1": rng.choice(BREEDS, n),
        "Color1": rng.choice(COLORS, n),
        "MaturitySize": rng.integers(1, 5, n).astype("int64"),
        "Fee": fee.astype("float32"),
        "PhotoAmt": photo_amt,
        "Tags": tags,
    }
    score = -0.03 * age + 0.25 * photo_amt - 0.004 * data["Fee"] + rng.normal(0, 1, n)
    # bucket into 5 roughly balanced adoption-speed classes
    labels = np.digitize(score, np.quantile(score, [0.2, 0.4, 0.6, 0.8])).astype("int64")
    return data, labels


raw_x, raw_y = make_fake_petfinder(N)
split = int(0.8 * N)
train_raw = tf.data.Dataset.from_tensor_slices(({k: v[:split] for k, v in raw_x.items()}, raw_y[:split]))
val_raw = tf.data.Dataset.from_tensor_slices(({k: v[split:] for k, v in raw_x.items()}, raw_y[split:]))
train_raw = train_raw.shuffle(split, seed=0).batch(BATCH)
val_raw = val_raw.batch(BATCH)


def feature_ds(name):
    """Dataset yielding a single column; used for adapt()."""
    return train_raw.map(lambda x, y: x[name])


# ---------------------------------------------------------------------------
# Build + adapt one preprocessing layer per feature
# ---------------------------------------------------------------------------
def get_normalization_layer(name):
    normalizer = layers.Normalization(axis=None, name=f"norm_{name}")
    # Keras 3 treats a rank-1 dataset as *unbatched* and re-batches it, which
    # breaks on the ragged final batch; give it an explicit feature axis.
    normalizer.adapt(feature_ds(name).map(lambda f: tf.expand_dims(f, -1)))
    return lambda feature: normalizer(tf.expand_dims(feature, -1))


def get_discretization_layer(name, num_bins):
    disc = layers.Discretization(num_bins=num_bins, epsilon=0.01, name=f"bins_{name}")
    disc.adapt(feature_ds(name))
    one_hot = layers.CategoryEncoding(num_tokens=num_bins, output_mode="one_hot")
    return lambda feature: one_hot(disc(feature))


def get_category_encoding_layer(name, dtype, max_tokens=None):
    if dtype == "string":
        index = layers.StringLookup(max_tokens=max_tokens, name=f"lookup_{name}")
    else:
        index = layers.IntegerLookup(max_tokens=max_tokens, name=f"lookup_{name}")
    index.adapt(feature_ds(name))
    encoder = layers.CategoryEncoding(num_tokens=index.vocabulary_size(), output_mode="one_hot")
    return lambda feature: encoder(index(feature))


def get_hashing_layer(num_bins):
    hasher = layers.Hashing(num_bins=num_bins)
    encoder = layers.CategoryEncoding(num_tokens=num_bins, output_mode="one_hot")
    return lambda feature: encoder(hasher(feature))


def get_multi_hot_tags_layer(name):
    lookup = layers.StringLookup(output_mode="multi_hot", name=f"multihot_{name}")
    lookup.adapt(feature_ds(name).map(tf.strings.split))
    # ragged (batch, None) tokens -> (batch, vocab) multi-hot
    return lambda feature: lookup(tf.strings.split(feature))


preprocessors = {
    "Age": get_discretization_layer("Age", num_bins=8),
    "Fee": get_normalization_layer("Fee"),
    "PhotoAmt": get_normalization_layer("PhotoAmt"),
    "Type": get_category_encoding_layer("Type", "string"),
    "Color1": get_category_encoding_layer("Color1", "string"),
    "MaturitySize": get_category_encoding_layer("MaturitySize", "int64"),
    "Breed1": get_hashing_layer(32),
    "Tags": get_multi_hot_tags_layer("Tags"),
}


def preprocess(x):
    encoded = []
    for name, fn in preprocessors.items():
        feat = fn(x[name])
        feat = tf.cast(feat, tf.float32)
        if feat.shape.rank == 1:
            feat = tf.expand_dims(feat, -1)
        encoded.append(feat)
    return tf.concat(encoded, axis=-1)


train_ds = train_raw.map(lambda x, y: (preprocess(x), y), num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
val_ds = val_raw.map(lambda x, y: (preprocess(x), y), num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)

example_x, example_y = next(iter(train_ds))
feature_dim = example_x.shape[-1]
print("encoded batch:", example_x.shape, "labels:", example_y.shape)

# ---------------------------------------------------------------------------
# Classifier on the encoded vector
# ---------------------------------------------------------------------------
classifier = keras.Sequential(
    [
        keras.Input(shape=(feature_dim,)),
        layers.Dense(64, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(32, activation="relu"),
        layers.Dense(NUM_CLASSES),
    ],
    name="adoption_speed_classifier",
)
classifier.compile(
    optimizer="adam",
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["sparse_categorical_accuracy"],
)
classifier.summary()
classifier.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

# ---------------------------------------------------------------------------
# End-to-end export: raw dict -> probabilities
# ---------------------------------------------------------------------------
class EndToEnd(tf.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    @tf.function(input_signature=[{
        "Type": tf.TensorSpec([None], tf.string),
        "Age": tf.TensorSpec([None], tf.float32),
        "Breed1": tf.TensorSpec([None], tf.string),
        "Color1": tf.TensorSpec([None], tf.string),
        "MaturitySize": tf.TensorSpec([None], tf.int64),
        "Fee": tf.TensorSpec([None], tf.float32),
        "PhotoAmt": tf.TensorSpec([None], tf.int64),
        "Tags": tf.TensorSpec([None], tf.string),
    }])
    def serve(self, features):
        logits = self.model(preprocess(features), training=False)
        return {"probabilities": tf.nn.softmax(logits, axis=-1),
                "adoption_speed": tf.argmax(logits, axis=-1)}


serving = EndToEnd(classifier)
sample = {
    "Type": tf.constant(["Cat", "Dog"]),
    "Age": tf.constant([3.0, 48.0]),
    "Breed1": tf.constant(["breed_7", "breed_unknown"]),
    "Color1": tf.constant(["Black", "Golden"]),
    "MaturitySize": tf.constant([2, 4], dtype=tf.int64),
    "Fee": tf.constant([0.0, 150.0]),
    "PhotoAmt": tf.constant([5, 0], dtype=tf.int64),
    "Tags": tf.constant(["vaccinated playful", ""]),
}
out = serving.serve(sample)
print("predicted adoption speed:", out["adoption_speed"].numpy().tolist())
print("probabilities shape:", out["probabilities"].shape)

# round-trip the classifier through the native .keras format
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "classifier.keras")
    classifier.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(
        reloaded.predict(example_x, verbose=0), classifier.predict(example_x, verbose=0), atol=1e-5
    )
    print("reloaded model matches original")

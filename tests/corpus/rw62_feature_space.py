"""Census-style income classification with keras.utils.FeatureSpace.

Synthetic stand-in for the UCI "adult" dataset: a mix of numeric, integer
categorical and string categorical columns. FeatureSpace handles
normalization, lookups, and a couple of crossed features; the preprocessed
vectors are fed to a small MLP. Finally an end-to-end inference model that
takes raw dict inputs is exported.
"""
import numpy as np
import tensorflow as tf
import keras
from keras.utils import FeatureSpace

SEED = 7
NUM_ROWS = 2048
BATCH_SIZE = 128

rng = np.random.default_rng(SEED)

WORKCLASS = ["Private", "Self-emp", "Federal-gov", "Local-gov", "Never-worked"]
EDUCATION = ["HS-grad", "Bachelors", "Masters", "Doctorate", "Some-college", "Assoc"]
OCCUPATION = ["Tech", "Sales", "Exec", "Craft", "Clerical", "Service", "Farming"]


def make_synthetic_census(n):
    """Returns a dict of column -> numpy array plus a binary label."""
    age = rng.integers(18, 80, size=n).astype("float32")
    hours = rng.normal(40, 10, size=n).clip(1, 99).astype("float32")
    capital_gain = rng.exponential(800.0, size=n).astype("float32")
    education_num = rng.integers(1, 17, size=n).astype("int64")
    workclass = rng.choice(WORKCLASS, size=n)
    education = rng.choice(EDUCATION, size=n)
    occupation = rng.choice(OCCUPATION, size=n)
    sex = rng.choice(["Male", "Female"], size=n)

    logit = (
        0.04 * (age - 40)
        + 0.03 * (hours - 40)
        + 0.0004 * capital_gain
        + 0.15 * (education_num - 9)
        + np.where(occupation == "Exec", 0.8, 0.0)
        - 1.0
    )
    label = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype("int64")
    features = {
        "age": age,
        "hours_per_week": hours,
        "capital_gain": capital_gain,
        "education_num": education_num,
        "workclass": workclass,
        "education": education,
        "occupation": occupation,
        "sex": sex,
    }
    return features, label


features, labels = make_synthetic_census(NUM_ROWS)
split = int(0.8 * NUM_ROWS)
train_features = {k: v[:split] for k, v in features.items()}
val_features = {k: v[split:] for k, v in features.items()}

train_ds = tf.data.Dataset.from_tensor_slices((train_features, labels[:split]))
val_ds = tf.data.Dataset.from_tensor_slices((val_features, labels[split:]))

feature_space = FeatureSpace(
    features={
        # numeric
        "age": FeatureSpace.float_discretized(num_bins=8),
        "hours_per_week": FeatureSpace.float_normalized(),
        "capital_gain": FeatureSpace.float_rescaled(scale=1.0 / 1000.0),
        # integer categorical
        "education_num": FeatureSpace.integer_categorical(num_oov_indices=1),
        # string categorical
        "workclass": FeatureSpace.string_categorical(num_oov_indices=1),
        "education": FeatureSpace.string_categorical(num_oov_indices=1),
        "occupation": FeatureSpace.string_categorical(num_oov_indices=1),
        "sex": FeatureSpace.string_categorical(num_oov_indices=0),
    },
    crosses=[
        FeatureSpace.cross(feature_names=("sex", "occupation"), crossing_dim=32),
        FeatureSpace.cross(feature_names=("education", "workclass"), crossing_dim=64),
    ],
    output_mode="concat",
)

# adapt() only needs the features, not the labels
train_ds_no_labels = train_ds.map(lambda x, _: x)
feature_space.adapt(train_ds_no_labels.batch(BATCH_SIZE))

preprocessed_train = (
    train_ds.batch(BATCH_SIZE)
    .map(lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(tf.data.AUTOTUNE)
)
preprocessed_val = (
    val_ds.batch(BATCH_SIZE)
    .map(lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE)
    .prefetch(tf.data.AUTOTUNE)
)

for x, y in preprocessed_train.take(1):
    print("preprocessed batch:", x.shape, y.shape)
    encoded_dim = x.shape[-1]

# --- model on top of the encoded features -------------------------------
encoded_features = feature_space.get_encoded_features()
h = keras.layers.Dense(64, activation="relu")(encoded_features)
h = keras.layers.Dropout(0.3)(h)
h = keras.layers.Dense(32, activation="relu")(h)
output = keras.layers.Dense(1, activation="sigmoid")(h)

training_model = keras.Model(inputs=encoded_features, outputs=output)
training_model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="binary_crossentropy",
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
)
training_model.summary()

history = training_model.fit(
    preprocessed_train, validation_data=preprocessed_val, epochs=1, verbose=2
)

# --- end-to-end inference model: raw dict in, probability out ------------
# get_encoded_features() is wired to get_inputs(), so the graph connects
dict_inputs = feature_space.get_inputs()
encoded = feature_space.get_encoded_features()
inference_model = keras.Model(inputs=dict_inputs, outputs=training_model(encoded))

sample = {
    "age": tf.constant([[37.0]]),
    "hours_per_week": tf.constant([[50.0]]),
    "capital_gain": tf.constant([[0.0]]),
    "education_num": tf.constant([[13]], dtype=tf.int64),
    "workclass": tf.constant([["Private"]]),
    "education": tf.constant([["Bachelors"]]),
    "occupation": tf.constant([["Exec"]]),
    "sex": tf.constant([["Female"]]),
}
prob = inference_model.predict(sample, verbose=0)
print(f"encoded dim={encoded_dim}, P(income > 50K) = {float(prob[0][0]):.3f}")

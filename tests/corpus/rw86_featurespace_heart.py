"""Structured data classification with keras.utils.FeatureSpace.

Mirrors the "heart disease" tutorial but generates a synthetic patient table
so it runs offline. FeatureSpace handles normalization, lookup and crosses;
the model is a small functional MLP on top of the concatenated features.
"""
import numpy as np
import tensorflow as tf
import keras
from keras.utils import FeatureSpace

SEED = 42
N_ROWS = 1200
BATCH_SIZE = 64
VAL_FRACTION = 0.2

rng = np.random.default_rng(SEED)


def make_synthetic_heart_data(n):
    """Return a dict of numpy columns resembling the Cleveland heart dataset."""
    data = {
        "age": rng.integers(29, 78, size=n).astype("float32"),
        "sex": rng.integers(0, 2, size=n).astype("int64"),
        "cp": rng.integers(0, 5, size=n).astype("int64"),
        "trestbps": rng.normal(131, 17, size=n).astype("float32"),
        "chol": rng.normal(246, 51, size=n).astype("float32"),
        "fbs": rng.integers(0, 2, size=n).astype("int64"),
        "restecg": rng.integers(0, 3, size=n).astype("int64"),
        "thalach": rng.normal(150, 22, size=n).astype("float32"),
        "exang": rng.integers(0, 2, size=n).astype("int64"),
        "oldpeak": np.abs(rng.normal(1.0, 1.1, size=n)).astype("float32"),
        "slope": rng.integers(0, 3, size=n).astype("int64"),
        "ca": rng.integers(0, 4, size=n).astype("int64"),
        "thal": rng.choice(["normal", "fixed", "reversible"], size=n),
    }
    logit = (
        0.04 * (data["age"] - 54)
        + 0.8 * data["exang"]
        + 0.6 * data["oldpeak"]
        - 0.03 * (data["thalach"] - 150)
        + 0.9 * (data["thal"] == "reversible")
    )
    target = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    return data, target


def dataframe_to_dataset(features, labels, shuffle=True):
    ds = tf.data.Dataset.from_tensor_slices((dict(features), labels))
    if shuffle:
        ds = ds.shuffle(buffer_size=len(labels), seed=SEED)
    return ds


features, target = make_synthetic_heart_data(N_ROWS)
n_val = int(N_ROWS * VAL_FRACTION)
train_features = {k: v[n_val:] for k, v in features.items()}
val_features = {k: v[:n_val] for k, v in features.items()}
train_ds = dataframe_to_dataset(train_features, target[n_val:]).batch(BATCH_SIZE)
val_ds = dataframe_to_dataset(val_features, target[:n_val], shuffle=False).batch(BATCH_SIZE)

for x, y in train_ds.take(1):
    print("Input batch keys:", sorted(x.keys())[:5], "...")
    print("age:", x["age"].shape, "target:", y.shape)

feature_space = FeatureSpace(
    features={
        # Categorical features encoded as integers
        "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
        "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
        "fbs": FeatureSpace.integer_categorical(num_oov_indices=0),
        "restecg": FeatureSpace.integer_categorical(num_oov_indices=0),
        "exang": FeatureSpace.integer_categorical(num_oov_indices=0),
        "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
        # Categorical feature encoded as string
        "thal": FeatureSpace.string_categorical(num_oov_indices=0),
        # Numerical feature to discretize
        "age": FeatureSpace.float_discretized(num_bins=30),
        # Numerical features to normalize
        "trestbps": FeatureSpace.float_normalized(),
        "chol": FeatureSpace.float_normalized(),
        "thalach": FeatureSpace.float_normalized(),
        "oldpeak": FeatureSpace.float_normalized(),
        "slope": FeatureSpace.float_normalized(),
    },
    # Specify feature cross with a custom crossing dim.
    crosses=[
        FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
        FeatureSpace.cross(feature_names=("thal", "ca"), crossing_dim=16),
    ],
    output_mode="concat",
)

train_ds_with_no_labels = train_ds.map(lambda x, _: x)
feature_space.adapt(train_ds_with_no_labels)

for x, _ in train_ds.take(1):
    preprocessed_x = feature_space(x)
    print("preprocessed_x.shape:", preprocessed_x.shape)
    print("preprocessed_x.dtype:", preprocessed_x.dtype)

# Asynchronous preprocessing in the tf.data pipeline
preprocessed_train_ds = train_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
).prefetch(tf.data.AUTOTUNE)
preprocessed_val_ds = val_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
).prefetch(tf.data.AUTOTUNE)

dict_inputs = feature_space.get_inputs()
encoded_features = feature_space.get_encoded_features()

x = keras.layers.Dense(32, activation="relu")(encoded_features)
x = keras.layers.Dropout(0.5)(x)
predictions = keras.layers.Dense(1, activation="sigmoid")(x)

training_model = keras.Model(inputs=encoded_features, outputs=predictions)
training_model.compile(
    optimizer="adam",
    loss="binary_crossentropy",
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
)
training_model.summary()

inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)

training_model.fit(
    preprocessed_train_ds,
    epochs=1,
    validation_data=preprocessed_val_ds,
    verbose=2,
)

# Inference on a single raw record
sample = {
    "age": 60.0,
    "sex": 1,
    "cp": 1,
    "trestbps": 145.0,
    "chol": 233.0,
    "fbs": 1,
    "restecg": 2,
    "thalach": 150.0,
    "exang": 0,
    "oldpeak": 2.3,
    "slope": 3.0,
    "ca": 0,
    "thal": "fixed",
}
input_dict = {name: tf.convert_to_tensor([value]) for name, value in sample.items()}
predictions = inference_model.predict(input_dict, verbose=0)
print(
    f"This particular patient had a {100 * predictions[0][0]:.1f}% probability "
    "of having a heart disease, as evaluated by our model."
)

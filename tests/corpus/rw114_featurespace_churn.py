"""Customer churn classifier using keras.utils.FeatureSpace on synthetic tabular data."""
import numpy as np
import tensorflow as tf
import keras
from keras.utils import FeatureSpace

SEED = 7
N_ROWS = 400
BATCH = 32
PLANS = ["basic", "plus", "pro", "enterprise"]
REGIONS = ["north", "south", "east", "west", "central"]

rng = np.random.default_rng(SEED)
keras.utils.set_random_seed(SEED)


def make_frame(n):
    """Return a dict of columns, like you'd get from df.to_dict('list')."""
    tenure = rng.integers(1, 72, size=n).astype("float32")
    monthly = rng.normal(60, 20, size=n).clip(10, 150).astype("float32")
    plan = rng.choice(PLANS, size=n)
    region = rng.choice(REGIONS, size=n)
    support_calls = rng.poisson(2.0, size=n).astype("int64")
    age = rng.integers(18, 80, size=n).astype("float32")
    logit = (
        -0.04 * tenure
        + 0.02 * monthly
        + 0.35 * support_calls
        + np.where(plan == "basic", 0.6, -0.2)
        - 1.0
    )
    churn = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("int64")
    return {
        "tenure": tenure,
        "monthly_charges": monthly,
        "plan": plan,
        "region": region,
        "support_calls": support_calls,
        "age": age,
        "churn": churn,
    }


def to_dataset(frame, shuffle=True):
    frame = dict(frame)
    labels = frame.pop("churn")
    ds = tf.data.Dataset.from_tensor_slices((frame, labels))
    if shuffle:
        ds = ds.shuffle(len(labels), seed=SEED)
    return ds.batch(BATCH)


data = make_frame(N_ROWS)
split = int(0.8 * N_ROWS)
train_frame = {k: v[:split] for k, v in data.items()}
val_frame = {k: v[split:] for k, v in data.items()}
train_ds = to_dataset(train_frame)
val_ds = to_dataset(val_frame, shuffle=False)

feature_space = FeatureSpace(
    features={
        "tenure": FeatureSpace.float_discretized(num_bins=6),
        "monthly_charges": FeatureSpace.float_normalized(),
        "age": FeatureSpace.float_discretized(num_bins=5),
        "plan": FeatureSpace.string_categorical(num_oov_indices=1),
        "region": FeatureSpace.string_categorical(num_oov_indices=1),
        "support_calls": FeatureSpace.integer_categorical(num_oov_indices=1),
    },
    crosses=[
        FeatureSpace.cross(feature_names=("plan", "region"), crossing_dim=32),
    ],
    output_mode="concat",
)

# adapt only on features, not labels
feature_space.adapt(train_ds.map(lambda x, y: x))

preprocessed_train = train_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
).prefetch(tf.data.AUTOTUNE)
preprocessed_val = val_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
).prefetch(tf.data.AUTOTUNE)

for x_batch, y_batch in preprocessed_train.take(1):
    print(f"encoded batch: {x_batch.shape}, labels: {y_batch.shape}")

encoded_dim = x_batch.shape[-1]

# training model works on already-encoded vectors
encoded_inputs = keras.Input(shape=(encoded_dim,), name="encoded")
x = keras.layers.Dense(32, activation="relu")(encoded_inputs)
x = keras.layers.Dropout(0.3)(x)
x = keras.layers.Dense(16, activation="relu")(x)
output = keras.layers.Dense(1, activation="sigmoid", name="churn_prob")(x)
training_model = keras.Model(encoded_inputs, output)
training_model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="binary_crossentropy",
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
)
training_model.summary()

history = training_model.fit(
    preprocessed_train, validation_data=preprocessed_val, epochs=2, verbose=2
)
print({k: round(v[-1], 4) for k, v in history.history.items()})

# inference model: raw dict in, probability out
dict_inputs = feature_space.get_inputs()
encoded = feature_space.get_encoded_features()
inference_model = keras.Model(dict_inputs, training_model(encoded))

sample = {
    "tenure": np.array([3.0, 60.0], dtype="float32"),
    "monthly_charges": np.array([95.0, 35.0], dtype="float32"),
    "plan": np.array(["basic", "pro"]),
    "region": np.array(["south", "antarctica"]),  # second is OOV
    "support_calls": np.array([6, 0], dtype="int64"),
    "age": np.array([25.0, 61.0], dtype="float32"),
}
sample_ds = tf.data.Dataset.from_tensor_slices(sample).batch(2)
probs = inference_model.predict(sample_ds, verbose=0)
for i, p in enumerate(probs.ravel()):
    print(f"customer {i}: churn probability {p:.3f}")

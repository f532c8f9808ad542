"""One-hot vs sparse integer labels: which loss goes with which.

Repro for the common "logits and labels must have the same shape ((None, 10)
vs (None, 1))" error. Trains the same small classifier three ways and shows
the label shapes each loss expects.
"""
import numpy as np
import tensorflow as tf

NUM_CLASSES = 10
INPUT_DIM = 28 * 28
N_TRAIN = 512


def get_data():
    # fake MNIST-like data, already flattened and scaled
    x = np.random.rand(N_TRAIN, 28, 28).astype("float32")
    y = np.random.randint(0, NUM_CLASSES, size=(N_TRAIN,)).astype("int64")
    return x.reshape(-1, INPUT_DIM), y


def make_model(from_logits=False):
    activation = None if from_logits else "softmax"
    return tf.keras.Sequential([
        tf.keras.layers.Input(shape=(INPUT_DIM,)),
        tf.keras.layers.Dense(64, activation="relu"),
        tf.keras.layers.Dropout(0.1),
        tf.keras.layers.Dense(NUM_CLASSES, activation=activation),
    ])


x_train, y_sparse = get_data()
y_onehot = tf.keras.utils.to_categorical(y_sparse, num_classes=NUM_CLASSES)
print("sparse labels:", y_sparse.shape, "one-hot labels:", y_onehot.shape)

# equivalent ways to one-hot
y_onehot_tf = tf.one_hot(y_sparse, depth=NUM_CLASSES)
y_onehot_np = np.eye(NUM_CLASSES, dtype="float32")[y_sparse]
assert np.allclose(y_onehot, y_onehot_tf.numpy()) and np.allclose(y_onehot, y_onehot_np)

experiments = [
    # (name, labels, loss, metric, from_logits)
    ("categorical + one-hot", y_onehot, tf.keras.losses.CategoricalCrossentropy(),
     tf.keras.metrics.CategoricalAccuracy(name="acc"), False),
    ("sparse + int labels", y_sparse, tf.keras.losses.SparseCategoricalCrossentropy(),
     tf.keras.metrics.SparseCategoricalAccuracy(name="acc"), False),
    ("sparse + logits", y_sparse.reshape(-1, 1),
     tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
     tf.keras.metrics.SparseCategoricalAccuracy(name="acc"), True),
]

results = {}
for name, labels, loss, metric, from_logits in experiments:
    tf.keras.utils.set_random_seed(0)
    model = make_model(from_logits=from_logits)
    model.compile(optimizer="adam", loss=loss, metrics=[metric])
    h = model.fit(x_train, labels, batch_size=64, epochs=1, verbose=0)
    results[name] = (h.history["loss"][-1], h.history["acc"][-1])
    print(f"{name:24s} labels{labels.shape!s:12s} loss={results[name][0]:.4f} acc={results[name][1]:.3f}")

# Check the losses agree on the same predictions
probs = np.random.dirichlet(np.ones(NUM_CLASSES), size=8).astype("float32")
idx = np.random.randint(0, NUM_CLASSES, size=8)
cce = tf.keras.losses.categorical_crossentropy(tf.one_hot(idx, NUM_CLASSES), probs)
scce = tf.keras.losses.sparse_categorical_crossentropy(idx, probs)
print("per-sample losses match:", np.allclose(cce.numpy(), scce.numpy(), atol=1e-5))

# Multi-label is a different beast: sigmoid + binary_crossentropy on multi-hot targets
multi_hot = (np.random.rand(N_TRAIN, NUM_CLASSES) > 0.8).astype("float32")
ml_model = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(INPUT_DIM,)),
    tf.keras.layers.Dense(64, activation="relu"),
    tf.keras.layers.Dense(NUM_CLASSES, activation="sigmoid"),
])
ml_model.compile("adam", "binary_crossentropy",
                 metrics=[tf.keras.metrics.BinaryAccuracy(threshold=0.5)])
ml_model.fit(x_train, multi_hot, batch_size=64, epochs=1, verbose=0)

# Converting predictions back: argmax for single-label, threshold for multi-label
logits_model = make_model(from_logits=True)
logits = logits_model(x_train[:4], training=False)
pred_probs = tf.nn.softmax(logits, axis=-1)
print("argmax classes:", tf.argmax(pred_probs, axis=-1).numpy())
print("multi-label preds:", (ml_model.predict(x_train[:2], verbose=0) > 0.5).astype(int))

# tf.data pipeline that one-hots on the fly
ds = (tf.data.Dataset.from_tensor_slices((x_train, y_sparse))
      .map(lambda x, y: (x, tf.one_hot(y, NUM_CLASSES)))
      .batch(64))
print("dataset element_spec:", ds.element_spec)
m = make_model()
m.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
m.fit(ds, epochs=1, verbose=0)

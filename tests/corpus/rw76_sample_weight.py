"""Answer: sample_weight vs class_weight, and per-timestep (temporal) weights.

- sample_weight: 1D array, one weight per sample, same length as x.
- class_weight: dict {class_id: weight}; only for single-output models with
  sparse/one-hot labels.
- for sequence outputs (batch, T, ...) pass a 2D sample_weight of shape
  (batch, T) to weight individual timesteps.
- with tf.data, yield (x, y, sample_weight) tuples.
"""
import numpy as np
import tensorflow as tf

N, D, T, C = 200, 10, 15, 3
rng = np.random.default_rng(42)

X = rng.normal(size=(N, D)).astype("float32")
# imbalanced: ~80% class 0
y = rng.choice(C, size=N, p=[0.8, 0.15, 0.05])
print("class counts:", np.bincount(y, minlength=C))


def build_clf():
    m = tf.keras.Sequential([
        tf.keras.layers.Input(shape=(D,)),
        tf.keras.layers.Dense(32, activation="relu"),
        tf.keras.layers.Dense(C, activation="softmax"),
    ])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              weighted_metrics=["accuracy"])
    return m


# 1) class_weight
# same formula as sklearn's compute_class_weight("balanced", ...)
counts = np.bincount(y, minlength=C)
weights = len(y) / (C * np.maximum(counts, 1))
class_weight = {i: float(w) for i, w in enumerate(weights)}
print("class_weight:", {k: round(v, 2) for k, v in class_weight.items()})
build_clf().fit(X, y, class_weight=class_weight, epochs=1, verbose=0)

# 2) equivalent sample_weight (1D, len N)
sw = np.array([class_weight[c] for c in y], dtype="float32")
assert sw.shape == (N,)
m = build_clf()
m.fit(X, y, sample_weight=sw, epochs=1, batch_size=32, verbose=0)

# 3) tf.data with a third element
ds = tf.data.Dataset.from_tensor_slices((X, y, sw)).shuffle(N).batch(32)
x_b, y_b, w_b = next(iter(ds))
print("batch:", x_b.shape, y_b.shape, w_b.shape)
m.fit(ds, epochs=1, verbose=0)
print("weighted eval:", m.evaluate(X, y, sample_weight=sw, verbose=0))

# 4) temporal sample weights for seq2seq style outputs
Xs = rng.normal(size=(N, T, 4)).astype("float32")
ys = rng.integers(0, C, size=(N, T))
lengths = rng.integers(3, T + 1, size=N)
# 1.0 for real steps, 0.0 for padding -> shape (N, T)
step_w = (np.arange(T)[None, :] < lengths[:, None]).astype("float32")
print("temporal weights:", step_w.shape)

seq = tf.keras.Sequential([
    tf.keras.layers.Input(shape=(T, 4)),
    tf.keras.layers.LSTM(16, return_sequences=True),
    tf.keras.layers.Dense(C, activation="softmax"),
])
seq.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
seq.fit(Xs, ys, sample_weight=step_w, batch_size=32, epochs=1, verbose=2)

# 5) class weights for a sequence model: class_weight isn't supported for 3D
# targets, so turn it into a (N, T) sample_weight yourself
cw = np.asarray(weights, dtype="float32")
seq_sw = cw[ys] * step_w                  # fancy indexing keeps (N, T)
seq.fit(Xs, ys, sample_weight=seq_sw, batch_size=32, epochs=1, verbose=0)
print("seq sample_weight:", seq_sw.shape, "mean", round(float(seq_sw.mean()), 3))

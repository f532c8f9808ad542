"""Fraud-style imbalanced binary classification (~5% positives).

Compares three ways of dealing with imbalance in Keras 3:
  1. class_weight={0: w0, 1: w1} in fit()
  2. per-sample sample_weight array in fit()
  3. a tf.data pipeline yielding (x, y, sample_weight) triples
plus an output-bias initialisation trick, and a stateful F-beta metric
written as a keras.metrics.Metric subclass.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

RNG = np.random.default_rng(2024)
N = 800
N_FEATURES = 10
POS_RATE = 0.05
BATCH = 32
EPOCHS = 2


class FBetaScore(keras.metrics.Metric):
    """Binary F-beta from running TP/FP/FN counts (thresholded probabilities)."""

    def __init__(self, beta=1.0, threshold=0.5, name="fbeta", **kwargs):
        super().__init__(name=name, **kwargs)
        self.beta = beta
        self.threshold = threshold
        self.tp = self.add_weight(name="tp", initializer="zeros")
        self.fp = self.add_weight(name="fp", initializer="zeros")
        self.fn = self.add_weight(name="fn", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.cast(tf.reshape(y_true, [-1]), tf.float32)
        y_hat = tf.cast(tf.reshape(y_pred, [-1]) >= self.threshold, tf.float32)
        if sample_weight is None:
            w = tf.ones_like(y_true)
        else:
            w = tf.cast(tf.reshape(sample_weight, [-1]), tf.float32)
        self.tp.assign_add(tf.reduce_sum(w * y_true * y_hat))
        self.fp.assign_add(tf.reduce_sum(w * (1.0 - y_true) * y_hat))
        self.fn.assign_add(tf.reduce_sum(w * y_true * (1.0 - y_hat)))

    def result(self):
        b2 = self.beta ** 2
        num = (1.0 + b2) * self.tp
        den = (1.0 + b2) * self.tp + b2 * self.fn + self.fp
        return tf.math.divide_no_nan(num, den)

    def reset_state(self):
        for v in (self.tp, self.fp, self.fn):
            v.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "beta": self.beta, "threshold": self.threshold}


def make_imbalanced(n=N, d=N_FEATURES, pos_rate=POS_RATE):
    y = (RNG.random(n) < pos_rate).astype("float32")
    X = RNG.normal(size=(n, d)).astype("float32")
    # positives are shifted along a couple of directions
    X[y == 1, :3] += np.array([2.5, -2.0, 2.5], dtype="float32")
    X[y == 1, 3:] *= 1.5
    return X, y


def class_weights_from_labels(y):
    counts = np.bincount(y.astype(int), minlength=2)
    total = counts.sum()
    # same formula as sklearn's 'balanced', re-implemented
    return {c: float(total / (2.0 * counts[c])) for c in range(2)}


def build_model(output_bias=None):
    bias_init = keras.initializers.Constant(output_bias) if output_bias is not None else "zeros"
    inputs = keras.Input(shape=(N_FEATURES,))
    x = layers.Dense(32, activation="relu")(inputs)
    x = layers.Dropout(0.2)(x)
    x = layers.Dense(16, activation="relu")(x)
    out = layers.Dense(1, activation="sigmoid", bias_initializer=bias_init)(x)
    model = keras.Model(inputs, out)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss="binary_crossentropy",
        metrics=[
            keras.metrics.Precision(name="precision"),
            keras.metrics.Recall(name="recall"),
            keras.metrics.AUC(curve="PR", name="pr_auc"),
            FBetaScore(beta=2.0, name="f2"),
        ],
        weighted_metrics=[],  # keep metrics unweighted so the runs are comparable
    )
    return model


def report(tag, model, X, y):
    res = model.evaluate(X, y, verbose=0, return_dict=True)
    probs = model.predict(X, verbose=0).ravel()
    pred_pos = int((probs >= 0.5).sum())
    print(f"{tag:<16s} " + " ".join(f"{k}={v:.3f}" for k, v in sorted(res.items()))
          + f" predicted_pos={pred_pos}/{int(y.sum())}")
    return res


X, y = make_imbalanced()
split = int(0.75 * N)
X_tr, y_tr, X_te, y_te = X[:split], y[:split], X[split:], y[split:]
print(f"train positives: {int(y_tr.sum())}/{len(y_tr)}  test positives: {int(y_te.sum())}/{len(y_te)}")

cw = class_weights_from_labels(y_tr)
print("class_weight:", {k: round(v, 3) for k, v in cw.items()})
p = y_tr.mean()
initial_bias = float(np.log(p / (1 - p)))
print(f"initial output bias = log(p/(1-p)) = {initial_bias:.3f}")

summary = {}

# 0. baseline (no weighting) with the bias trick only
keras.utils.set_random_seed(0)
m0 = build_model(output_bias=initial_bias)
m0.fit(X_tr, y_tr, batch_size=BATCH, epochs=EPOCHS, verbose=0)
summary["baseline"] = report("baseline", m0, X_te, y_te)

# 1. class_weight
keras.utils.set_random_seed(0)
m1 = build_model(output_bias=initial_bias)
m1.fit(X_tr, y_tr, batch_size=BATCH, epochs=EPOCHS, class_weight=cw, verbose=0)
summary["class_weight"] = report("class_weight", m1, X_te, y_te)

# 2. sample_weight array: class weight times an extra "recency" factor
recency = np.linspace(0.5, 1.5, len(y_tr)).astype("float32")
sw = np.where(y_tr == 1, cw[1], cw[0]).astype("float32") * recency
keras.utils.set_random_seed(0)
m2 = build_model(output_bias=initial_bias)
m2.fit(X_tr, y_tr, sample_weight=sw, batch_size=BATCH, epochs=EPOCHS, verbose=0)
summary["sample_weight"] = report("sample_weight", m2, X_te, y_te)


# 3. tf.data with weights computed inside the pipeline
def add_weight(x, label):
    w = tf.where(label > 0.5, tf.constant(cw[1]), tf.constant(cw[0]))
    return x, label, w


ds = (
    tf.data.Dataset.from_tensor_slices((X_tr, y_tr))
    .shuffle(len(X_tr), seed=1)
    .map(add_weight, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(BATCH)
    .prefetch(tf.data.AUTOTUNE)
)
x_b, y_b, w_b = next(iter(ds))
print("tf.data batch:", x_b.shape, y_b.shape, "weights seen:", sorted(set(np.round(w_b.numpy(), 3))))
keras.utils.set_random_seed(0)
m3 = build_model(output_bias=initial_bias)
m3.fit(ds, epochs=EPOCHS, verbose=0)
summary["tf.data weights"] = report("tf.data weights", m3, X_te, y_te)

best = max(summary, key=lambda k: summary[k]["f2"])
print(f"best F2 on held-out data: {best} ({summary[best]['f2']:.3f})")

"""Custom streaming metrics for Keras 3 (macro-F1, expected calibration error, pinball).

Each metric keeps its state in `add_variable` slots, supports sample_weight,
and round-trips through get_config. They're used three ways:
  1. in model.compile(metrics=...) for fit/evaluate,
  2. manually in a hand-written evaluation loop,
  3. after save/load of the whole model (compiled metrics restored).
"""
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras

NUM_CLASSES = 4
N_FEATURES = 20
N_BINS = 10
QUANTILES = (0.1, 0.5, 0.9)


@keras.utils.register_keras_serializable(package="rw79_metrics")
class MacroF1(keras.metrics.Metric):
    """Macro-averaged F1 from running per-class TP/FP/FN counts."""

    def __init__(self, num_classes, name="macro_f1", dtype="float32", **kwargs):
        super().__init__(name=name, dtype=dtype, **kwargs)
        self.num_classes = num_classes
        self.tp = self.add_variable(shape=(num_classes,), initializer="zeros", name="tp")
        self.fp = self.add_variable(shape=(num_classes,), initializer="zeros", name="fp")
        self.fn = self.add_variable(shape=(num_classes,), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.reshape(tf.cast(y_true, tf.int32), [-1])
        y_hat = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
        t = tf.one_hot(y_true, self.num_classes, dtype=self.dtype)
        p = tf.one_hot(y_hat, self.num_classes, dtype=self.dtype)
        if sample_weight is not None:
            w = tf.reshape(tf.cast(sample_weight, self.dtype), [-1, 1])
            t, p = t * w, p * w
        self.tp.assign_add(tf.reduce_sum(t * p, axis=0))
        self.fp.assign_add(tf.reduce_sum((1.0 - t) * p, axis=0))
        self.fn.assign_add(tf.reduce_sum(t * (1.0 - p), axis=0))

    def result(self):
        precision = tf.math.divide_no_nan(self.tp, self.tp + self.fp)
        recall = tf.math.divide_no_nan(self.tp, self.tp + self.fn)
        f1 = tf.math.divide_no_nan(2.0 * precision * recall, precision + recall)
        return tf.reduce_mean(f1)

    def reset_state(self):
        for v in self.variables:
            v.assign(tf.zeros_like(v))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


@keras.utils.register_keras_serializable(package="rw79_metrics")
class ExpectedCalibrationError(keras.metrics.Metric):
    """ECE with equal-width confidence bins, accumulated across batches."""

    def __init__(self, n_bins=10, name="ece", **kwargs):
        super().__init__(name=name, **kwargs)
        self.n_bins = n_bins
        self.bin_count = self.add_variable((n_bins,), initializer="zeros", name="bin_count")
        self.bin_conf = self.add_variable((n_bins,), initializer="zeros", name="bin_conf")
        self.bin_acc = self.add_variable((n_bins,), initializer="zeros", name="bin_acc")

    def update_state(self, y_true, y_pred, sample_weight=None):
        probs = tf.nn.softmax(y_pred, axis=-1)  # model outputs logits
        conf = tf.reduce_max(probs, axis=-1)
        correct = tf.cast(
            tf.equal(tf.argmax(probs, -1, output_type=tf.int32),
                     tf.reshape(tf.cast(y_true, tf.int32), [-1])),
            self.dtype,
        )
        idx = tf.minimum(tf.cast(conf * self.n_bins, tf.int32), self.n_bins - 1)
        w = tf.ones_like(conf) if sample_weight is None else tf.reshape(
            tf.cast(sample_weight, self.dtype), [-1])
        self.bin_count.assign_add(tf.math.unsorted_segment_sum(w, idx, self.n_bins))
        self.bin_conf.assign_add(tf.math.unsorted_segment_sum(w * conf, idx, self.n_bins))
        self.bin_acc.assign_add(tf.math.unsorted_segment_sum(w * correct, idx, self.n_bins))

    def result(self):
        total = tf.maximum(tf.reduce_sum(self.bin_count), 1e-7)
        gap = tf.abs(self.bin_acc - self.bin_conf)  # |sum acc - sum conf| per bin
        return tf.reduce_sum(gap) / total

    def get_config(self):
        return {**super().get_config(), "n_bins": self.n_bins}


@keras.utils.register_keras_serializable(package="rw79_metrics")
class MeanPinballLoss(keras.metrics.Mean):
    """Average quantile (pinball) loss over all quantile heads; subclasses Mean."""

    def __init__(self, quantiles=(0.5,), name="pinball", **kwargs):
        super().__init__(name=name, **kwargs)
        self.quantiles = tuple(quantiles)

    def update_state(self, y_true, y_pred, sample_weight=None):
        q = tf.constant(self.quantiles, dtype=y_pred.dtype)[tf.newaxis, :]
        err = tf.cast(y_true, y_pred.dtype) - y_pred  # (B,1) - (B,Q) broadcasts
        loss = tf.reduce_mean(tf.maximum(q * err, (q - 1.0) * err), axis=-1)
        return super().update_state(loss, sample_weight=sample_weight)

    def get_config(self):
        return {**super().get_config(), "quantiles": list(self.quantiles)}


@keras.utils.register_keras_serializable(package="rw79_metrics")
def pinball_loss(y_true, y_pred):
    q = tf.constant(QUANTILES, dtype=y_pred.dtype)[tf.newaxis, :]
    err = tf.cast(y_true, y_pred.dtype) - y_pred
    return tf.reduce_mean(tf.maximum(q * err, (q - 1.0) * err), axis=-1)


def build_model():
    inp = keras.Input((N_FEATURES,), name="features")
    h = keras.layers.Dense(64, activation="relu")(inp)
    h = keras.layers.BatchNormalization()(h)
    h = keras.layers.Dense(32, activation="relu")(h)
    cls_logits = keras.layers.Dense(NUM_CLASSES, name="cls")(h)
    quantiles = keras.layers.Dense(len(QUANTILES), name="q")(h)
    return keras.Model(inp, {"cls": cls_logits, "q": quantiles}, name="cls_and_quantiles")


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, N_FEATURES)).astype("float32")
    w_true = rng.normal(size=(N_FEATURES, NUM_CLASSES))
    y_cls = np.argmax(x @ w_true + 0.5 * rng.normal(size=(n, NUM_CLASSES)), axis=1)
    y_reg = (x[:, :3].sum(axis=1, keepdims=True) + rng.gamma(2.0, 0.5, size=(n, 1))).astype("float32")
    weights = np.where(y_cls == 0, 2.0, 1.0).astype("float32")  # upweight class 0
    return x, {"cls": y_cls.astype("int32"), "q": y_reg}, weights


def manual_eval(model, ds):
    """Same metrics, driven by hand - handy when you need per-slice numbers."""
    metrics = {
        "f1": MacroF1(NUM_CLASSES),
        "ece": ExpectedCalibrationError(N_BINS),
        "pinball": MeanPinballLoss(QUANTILES),
    }
    for xb, yb in ds:
        out = model(xb, training=False)
        metrics["f1"].update_state(yb["cls"], out["cls"])
        metrics["ece"].update_state(yb["cls"], out["cls"])
        metrics["pinball"].update_state(yb["q"], out["q"])
    return {k: float(m.result()) for k, m in metrics.items()}


def main():
    keras.utils.set_random_seed(11)
    x, y, sw = make_data(600, seed=0)
    xv, yv, _ = make_data(200, seed=1)

    model = build_model()
    model.compile(
        optimizer="adam",
        loss={"cls": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "q": pinball_loss},
        metrics={
            "cls": [MacroF1(NUM_CLASSES), ExpectedCalibrationError(N_BINS)],
            "q": [MeanPinballLoss(QUANTILES)],
        },
    )
    model.fit(x, y, sample_weight=sw, batch_size=64, epochs=1, verbose=2)
    compiled = model.evaluate(xv, yv, batch_size=64, verbose=0, return_dict=True)
    print("evaluate():", {k: round(v, 4) for k, v in compiled.items()})

    val_ds = tf.data.Dataset.from_tensor_slices((xv, yv)).batch(64)
    manual = manual_eval(model, val_ds)
    print("manual loop:", {k: round(v, 4) for k, v in manual.items()})
    assert abs(manual["f1"] - compiled["cls_macro_f1"]) < 1e-4

    # config round trip for a single metric
    m = MacroF1(NUM_CLASSES, name="f1_val")
    m2 = MacroF1.from_config(m.get_config())
    print("cloned metric:", m2.name, m2.num_classes, "vars:", len(m2.variables))

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "metrics_model.keras")
        model.save(path)
        restored = keras.models.load_model(path)
    again = restored.evaluate(xv, yv, batch_size=64, verbose=0, return_dict=True)
    print("restored evaluate():", {k: round(v, 4) for k, v in again.items() if "f1" in k or "ece" in k})


if __name__ == "__main__":
    main()

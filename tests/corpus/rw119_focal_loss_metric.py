from tensorflow import keras
from tensorflow.keras import layers
import numpy as np
import tensorflow as tf

ops = keras.ops

IMG = 16
N_CLASSES = 5
N_TRAIN, N_VAL = 320, 80
MODEL_FILE = "/tmp/rw119_focal_cnn.keras"


# ---------------------------------------------------------------- loss / metric
@keras.utils.register_keras_serializable(package="rw119")
class CategoricalFocalLoss(keras.losses.Loss):
    def __init__(self, gamma=2.0, alpha=None, label_smoothing=0.0,
                 name="categorical_focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = gamma
        self.alpha = alpha
        self.label_smoothing = label_smoothing

    def call(self, y_true, y_pred):
        y_true = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), N_CLASSES)
        if self.label_smoothing:
            y_true = y_true * (1.0 - self.label_smoothing) + self.label_smoothing / N_CLASSES
        log_p = ops.log_softmax(y_pred, axis=-1)
        p = ops.exp(log_p)
        modulator = ops.power(1.0 - p, self.gamma)
        ce = -y_true * log_p
        if self.alpha is not None:
            ce = ce * ops.convert_to_tensor(self.alpha, dtype=ce.dtype)
        return ops.sum(modulator * ce, axis=-1)

    def get_config(self):
        base = super().get_config()
        return {**base, "gamma": self.gamma, "alpha": self.alpha,
                "label_smoothing": self.label_smoothing}


@keras.utils.register_keras_serializable(package="rw119")
class MacroF1(keras.metrics.Metric):
    """Streaming macro F1 computed from a confusion-matrix-ish accumulator."""

    def __init__(self, num_classes, name="macro_f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.tp = self.add_variable(shape=(num_classes,), initializer="zeros", name="tp")
        self.fp = self.add_variable(shape=(num_classes,), initializer="zeros", name="fp")
        self.fn = self.add_variable(shape=(num_classes,), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        pred = ops.argmax(y_pred, axis=-1)
        t = ops.one_hot(y_true, self.num_classes)
        p = ops.one_hot(pred, self.num_classes)
        if sample_weight is not None:
            w = ops.reshape(ops.cast(sample_weight, t.dtype), (-1, 1))
            t, p = t * w, p * w
        self.tp.assign_add(ops.sum(t * p, axis=0))
        self.fp.assign_add(ops.sum((1 - t) * p, axis=0))
        self.fn.assign_add(ops.sum(t * (1 - p), axis=0))

    def result(self):
        precision = ops.divide_no_nan(self.tp, self.tp + self.fp)
        recall = ops.divide_no_nan(self.tp, self.tp + self.fn)
        f1 = ops.divide_no_nan(2 * precision * recall, precision + recall)
        return ops.mean(f1)

    def reset_state(self):
        for v in (self.tp, self.fp, self.fn):
            v.assign(ops.zeros_like(v))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


# ---------------------------------------------------------------- data
def blob_images(n, seed):
    """Imbalanced synthetic images: class k = a bright square at a position tied to k."""
    r = np.random.RandomState(seed)
    probs = np.array([0.45, 0.25, 0.15, 0.1, 0.05])
    y = r.choice(N_CLASSES, size=n, p=probs)
    x = r.normal(0, 0.3, size=(n, IMG, IMG, 1)).astype("float32")
    for i, c in enumerate(y):
        row, col = divmod(int(c), 3)
        x[i, row * 5:row * 5 + 5, col * 5:col * 5 + 5, 0] += 1.5
    return x, y.astype("int32")


def to_ds(x, y, training):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(len(x), seed=3).map(
            lambda a, b: (a + tf.random.normal(tf.shape(a), stddev=0.05), b),
            num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(32).prefetch(2)


def small_cnn():
    inputs = keras.Input((IMG, IMG, 1))
    x = inputs
    for filters in (16, 32):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dense(32, activation="relu")(x)
    logits = layers.Dense(N_CLASSES)(x)
    return keras.Model(inputs, logits)


if __name__ == "__main__":
    xtr, ytr = blob_images(N_TRAIN, 0)
    xva, yva = blob_images(N_VAL, 1)
    print("train class counts:", np.bincount(ytr, minlength=N_CLASSES).tolist())

    alpha = (1.0 / np.bincount(ytr, minlength=N_CLASSES).clip(1)).astype("float32")
    alpha = (alpha / alpha.sum() * N_CLASSES).round(3).tolist()
    loss_fn = CategoricalFocalLoss(gamma=2.0, alpha=alpha, label_smoothing=0.05)

    # config round trip for both custom objects
    loss_copy = CategoricalFocalLoss.from_config(loss_fn.get_config())
    logits = np.random.randn(4, N_CLASSES).astype("float32")
    labels = np.array([0, 1, 2, 4])
    print("loss original vs copy:", float(loss_fn(labels, logits)), float(loss_copy(labels, logits)))
    metric_copy = MacroF1.from_config(MacroF1(N_CLASSES).get_config())
    print("metric copy config:", metric_copy.get_config())

    model = small_cnn()
    model.compile(optimizer="adam", loss=loss_fn,
                  metrics=[MacroF1(N_CLASSES), keras.metrics.SparseCategoricalAccuracy(name="acc")])
    model.fit(to_ds(xtr, ytr, True), validation_data=to_ds(xva, yva, False), epochs=2, verbose=2)

    model.save(MODEL_FILE)
    reloaded = keras.models.load_model(MODEL_FILE)
    print("reloaded loss type:", type(reloaded.loss).__name__, "gamma =", reloaded.loss.gamma)
    before = model.evaluate(to_ds(xva, yva, False), verbose=0, return_dict=True)
    after = reloaded.evaluate(to_ds(xva, yva, False), verbose=0, return_dict=True)
    for k in before:
        print(f"  {k:>10s}: {before[k]:.4f} -> {after[k]:.4f}")

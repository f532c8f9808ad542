"""
Custom metrics, old and new.

Part A: the famous "recall_m / precision_m / f1_m" functions from the
        Keras-2 days (they were removed from keras.metrics in 2.0) used in
        compile().  Batch-wise, so only approximate - kept for comparison.
Part B: stateful keras.metrics.Metric subclasses (macro-F1 from a running
        confusion matrix, and a top-k-ish "confident accuracy").
Part C: the same metrics driven by a hand-written tf.function train loop.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers
from tensorflow.keras import backend as K

NUM_CLASSES = 4
SEQ_LEN = 32
N_SAMPLES = 384
BATCH_SIZE = 32

keras.utils.set_random_seed(11)


# ---------------------------------------------------------------- Part A
def recall_m(y_true, y_pred):
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    possible_positives = K.sum(K.round(K.clip(y_true, 0, 1)))
    return true_positives / (possible_positives + K.epsilon())


def precision_m(y_true, y_pred):
    true_positives = K.sum(K.round(K.clip(y_true * y_pred, 0, 1)))
    predicted_positives = K.sum(K.round(K.clip(y_pred, 0, 1)))
    return true_positives / (predicted_positives + K.epsilon())


def f1_m(y_true, y_pred):
    p = precision_m(y_true, y_pred)
    r = recall_m(y_true, y_pred)
    return 2 * ((p * r) / (p + r + K.epsilon()))


# ---------------------------------------------------------------- Part B
class MacroF1(keras.metrics.Metric):
    def __init__(self, num_classes, name="macro_f1", **kwargs):
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.cm = self.add_weight(
            name="confusion", shape=(num_classes, num_classes), initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        # accept both one-hot and sparse labels
        y_true = tf.convert_to_tensor(y_true)
        if len(y_true.shape) > 1 and y_true.shape[-1] == self.num_classes:
            y_true = tf.argmax(y_true, axis=-1)
        y_true = tf.reshape(tf.cast(y_true, tf.int32), [-1])
        y_pred = tf.argmax(y_pred, axis=-1, output_type=tf.int32)
        cm = tf.math.confusion_matrix(
            y_true, y_pred, num_classes=self.num_classes, weights=sample_weight, dtype=tf.float32
        )
        self.cm.assign_add(cm)

    def result(self):
        tp = tf.linalg.diag_part(self.cm)
        precision = tf.math.divide_no_nan(tp, tf.reduce_sum(self.cm, axis=0))
        recall = tf.math.divide_no_nan(tp, tf.reduce_sum(self.cm, axis=1))
        f1 = tf.math.divide_no_nan(2 * precision * recall, precision + recall)
        return tf.reduce_mean(f1)

    def reset_state(self):
        self.cm.assign(tf.zeros_like(self.cm))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(num_classes=self.num_classes)
        return cfg


class ConfidentAccuracy(keras.metrics.Metric):
    """Accuracy restricted to predictions whose max prob exceeds `min_conf`;
    also tracks the coverage (fraction of samples that were confident)."""

    def __init__(self, min_conf=0.6, name="confident_acc", **kwargs):
        super().__init__(name=name, **kwargs)
        self.min_conf = min_conf
        self.correct = self.add_weight(name="correct", initializer="zeros")
        self.confident = self.add_weight(name="confident", initializer="zeros")
        self.seen = self.add_weight(name="seen", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.reshape(tf.cast(y_true, tf.int64), [-1])
        conf = tf.reduce_max(y_pred, axis=-1)
        mask = tf.cast(conf >= self.min_conf, tf.float32)
        hit = tf.cast(tf.equal(tf.argmax(y_pred, axis=-1), y_true), tf.float32)
        self.correct.assign_add(tf.reduce_sum(hit * mask))
        self.confident.assign_add(tf.reduce_sum(mask))
        self.seen.assign_add(tf.cast(tf.size(y_true), tf.float32))

    def result(self):
        return tf.math.divide_no_nan(self.correct, self.confident)

    def coverage(self):
        return tf.math.divide_no_nan(self.confident, self.seen)

    def reset_state(self):
        for v in self.variables:
            v.assign(tf.zeros_like(v))


# ---------------------------------------------------------------- data
def make_signals(n):
    """Class = frequency bucket of a noisy sine wave."""
    t = np.linspace(0, 1, SEQ_LEN, dtype=np.float32)
    labels = np.random.randint(0, NUM_CLASSES, n)
    freqs = 2.0 + 3.0 * labels + np.random.uniform(-0.5, 0.5, n)
    phase = np.random.uniform(0, 2 * np.pi, n)
    x = np.sin(2 * np.pi * freqs[:, None] * t[None, :] + phase[:, None])
    x += np.random.normal(0, 0.3, x.shape)
    return x[..., None].astype(np.float32), labels.astype(np.int32)


def build_net():
    inp = keras.Input((SEQ_LEN, 1))
    x = inp
    for filters, k in [(16, 5), (32, 3)]:
        x = layers.Conv1D(filters, k, padding="same", activation="relu")(x)
        x = layers.MaxPooling1D(2)(x)
    x = layers.GlobalMaxPooling1D()(x)
    out = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inp, out)


x_all, y_all = make_signals(N_SAMPLES)
x_train, y_train = x_all[:288], y_all[:288]
x_test, y_test = x_all[288:], y_all[288:]
y_train_oh = keras.utils.to_categorical(y_train, NUM_CLASSES)
y_test_oh = keras.utils.to_categorical(y_test, NUM_CLASSES)

# ---- Part A + B through compile/fit (one-hot targets for the K-style funcs)
model = build_net()
model.compile(
    optimizer=keras.optimizers.Adam(5e-3),
    loss="categorical_crossentropy",
    metrics=["accuracy", recall_m, precision_m, f1_m, MacroF1(NUM_CLASSES)],
)
model.fit(x_train, y_train_oh, batch_size=BATCH_SIZE, epochs=2,
          validation_data=(x_test, y_test_oh), verbose=2)
scores = model.evaluate(x_test, y_test_oh, verbose=0, return_dict=True)
print("compile/fit metrics:", {k: round(float(v), 4) for k, v in scores.items()})

# ---- Part C: custom loop with sparse labels
net = build_net()
optimizer = keras.optimizers.Adam(5e-3)
loss_fn = keras.losses.SparseCategoricalCrossentropy()
train_metrics = {
    "loss": keras.metrics.Mean(name="loss"),
    "acc": keras.metrics.SparseCategoricalAccuracy(name="acc"),
    "macro_f1": MacroF1(NUM_CLASSES),
}
val_conf = ConfidentAccuracy(min_conf=0.4)
val_f1 = MacroF1(NUM_CLASSES, name="val_macro_f1")

train_ds = (tf.data.Dataset.from_tensor_slices((x_train, y_train))
            .shuffle(512).batch(BATCH_SIZE))
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(BATCH_SIZE)


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        probs = net(x, training=True)
        loss = loss_fn(y, probs)
    grads = tape.gradient(loss, net.trainable_variables)
    optimizer.apply_gradients(zip(grads, net.trainable_variables))
    train_metrics["loss"].update_state(loss)
    train_metrics["acc"].update_state(y, probs)
    train_metrics["macro_f1"].update_state(y, probs)


@tf.function
def eval_step(x, y):
    probs = net(x, training=False)
    val_conf.update_state(y, probs)
    val_f1.update_state(y, probs)


for epoch in range(2):
    for m in list(train_metrics.values()) + [val_conf, val_f1]:
        m.reset_state()
    for xb, yb in train_ds:
        train_step(xb, yb)
    for xb, yb in test_ds:
        eval_step(xb, yb)
    log = " ".join(f"{k}={float(m.result()):.4f}" for k, m in train_metrics.items())
    print(f"[loop] epoch {epoch + 1}: {log} val_macro_f1={float(val_f1.result()):.4f} "
          f"val_confident_acc={float(val_conf.result()):.4f} "
          f"(coverage {float(val_conf.coverage()):.2%})")

# metrics are plain objects - they can be used standalone on numpy too
standalone = MacroF1(NUM_CLASSES)
standalone.update_state(y_test, net.predict(x_test, verbose=0))
print("standalone macro-F1 on test:", round(float(standalone.result()), 4))
print("confusion matrix:\n", standalone.cm.numpy().astype(int))

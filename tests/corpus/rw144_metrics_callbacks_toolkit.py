"""Kaggle-style training setup: custom metrics + a stack of custom callbacks.

- mixed_float16 policy; compile() wraps the optimizer in LossScaleOptimizer
- optimizer-level gradient accumulation (gradient_accumulation_steps)
- warmup + cosine learning-rate schedule (LearningRateSchedule subclass)
- custom metrics: stateful BalancedAccuracy class + a plain function metric
- callbacks: loss-scale/LR logger, best-weights-on-custom-metric, timing,
  CSVLogger to /tmp
"""
import tempfile
import math
import os
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

OUT_DIR = os.path.join(tempfile.gettempdir(), "rw144_toolkit")
os.makedirs(OUT_DIR, exist_ok=True)

PARAMS = {
    "n": 640,
    "dim": 16,
    "batch": 32,
    "epochs": 2,
    "peak_lr": 3e-3,
    "warmup_steps": 6,
    "accum_steps": 2,
    "pos_rate": 0.25,
}

keras.utils.set_random_seed(123)
keras.mixed_precision.set_global_policy("mixed_float16")


# ---------------------------------------------------------------- data
def imbalanced_binary(n, dim, pos_rate):
    x = np.random.normal(size=(n, dim)).astype("float32")
    w = np.random.normal(size=(dim,)).astype("float32")
    score = x @ w + 0.5 * np.sin(3 * x[:, 0])
    thresh = np.quantile(score, 1 - pos_rate)
    y = (score > thresh).astype("float32")
    return x, y


X, Y = imbalanced_binary(PARAMS["n"], PARAMS["dim"], PARAMS["pos_rate"])
n_val = PARAMS["n"] // 5
x_tr, y_tr, x_va, y_va = X[n_val:], Y[n_val:], X[:n_val], Y[:n_val]
print(f"train pos rate {y_tr.mean():.2f}, val pos rate {y_va.mean():.2f}")

pos_w = (1 - y_tr.mean()) / y_tr.mean()
train_ds = (tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
            .shuffle(len(x_tr))
            .batch(PARAMS["batch"])
            .map(lambda x, y: (x, y, tf.where(y > 0.5, pos_w, 1.0)))  # sample weights
            .prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(64)


# ---------------------------------------------------------------- schedule
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps, total_steps, floor=1e-5):
        self.peak_lr = peak_lr
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.floor = floor

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = self.peak_lr * (step + 1.0) / float(self.warmup_steps)
        progress = (step - self.warmup_steps) / float(max(1, self.total_steps - self.warmup_steps))
        progress = tf.clip_by_value(progress, 0.0, 1.0)
        cosine = self.floor + 0.5 * (self.peak_lr - self.floor) * (1.0 + tf.cos(math.pi * progress))
        return tf.where(step < self.warmup_steps, warm, cosine)

    def get_config(self):
        return dict(peak_lr=self.peak_lr, warmup_steps=self.warmup_steps,
                    total_steps=self.total_steps, floor=self.floor)


# ---------------------------------------------------------------- metrics
class BalancedAccuracy(keras.metrics.Metric):
    def __init__(self, threshold=0.5, name="bal_acc", **kw):
        super().__init__(name=name, **kw)
        self.threshold = threshold
        self.tp = self.add_weight(name="tp", initializer="zeros")
        self.tn = self.add_weight(name="tn", initializer="zeros")
        self.pos = self.add_weight(name="pos", initializer="zeros")
        self.neg = self.add_weight(name="neg", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = tf.reshape(tf.cast(y_true, tf.float32), [-1])
        y_hat = tf.cast(tf.reshape(y_pred, [-1]) >= self.threshold, tf.float32)
        self.tp.assign_add(tf.reduce_sum(y_true * y_hat))
        self.tn.assign_add(tf.reduce_sum((1 - y_true) * (1 - y_hat)))
        self.pos.assign_add(tf.reduce_sum(y_true))
        self.neg.assign_add(tf.reduce_sum(1 - y_true))

    def result(self):
        tpr = tf.math.divide_no_nan(self.tp, self.pos)
        tnr = tf.math.divide_no_nan(self.tn, self.neg)
        return 0.5 * (tpr + tnr)

    def reset_state(self):
        for v in self.variables:
            v.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}


def mean_confidence(y_true, y_pred):
    """How far predictions are from 0.5 on average (calibration smell test)."""
    return tf.reduce_mean(tf.abs(tf.cast(y_pred, tf.float32) - 0.5)) * 2.0


# ---------------------------------------------------------------- callbacks
class OptimizerStateLogger(keras.callbacks.Callback):
    def __init__(self, every=5):
        super().__init__()
        self.every = every
        self.rows = []

    def on_train_batch_end(self, batch, logs=None):
        if batch % self.every:
            return
        opt = self.model.optimizer
        inner = getattr(opt, "inner_optimizer", opt)
        lr = float(keras.ops.convert_to_numpy(inner.learning_rate))
        scale = float(opt.dynamic_scale.numpy()) if hasattr(opt, "dynamic_scale") else 1.0
        self.rows.append((int(inner.iterations.numpy()), lr, scale))

    def on_epoch_end(self, epoch, logs=None):
        last = self.rows[-1] if self.rows else None
        print(f"  [opt] iter={last[0]} lr={last[1]:.2e} loss_scale={last[2]:.0f}")


class KeepBest(keras.callbacks.Callback):
    """Like EarlyStopping(restore_best_weights=True) but for any logged key."""

    def __init__(self, monitor="val_bal_acc", mode="max"):
        super().__init__()
        self.monitor, self.mode = monitor, mode
        self.best, self.best_weights, self.best_epoch = None, None, -1

    def _better(self, cur):
        if self.best is None:
            return True
        return cur > self.best if self.mode == "max" else cur < self.best

    def on_epoch_end(self, epoch, logs=None):
        cur = (logs or {}).get(self.monitor)
        if cur is not None and self._better(cur):
            self.best, self.best_epoch = float(cur), epoch
            self.best_weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            print(f"  restored epoch {self.best_epoch + 1} weights ({self.monitor}={self.best:.4f})")


class Timer(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        self._t = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["epoch_seconds"] = time.perf_counter() - self._t


# ---------------------------------------------------------------- model
def residual_mlp(dim, width=64, blocks=2):
    inp = keras.Input((dim,))
    h = layers.Dense(width)(inp)
    for b in range(blocks):
        r = layers.Dense(width, activation="relu", name=f"block{b}_a")(h)
        r = layers.Dropout(0.1)(r)
        r = layers.Dense(width, name=f"block{b}_b")(r)
        h = layers.Add(name=f"block{b}_add")([h, r])
        h = layers.LayerNormalization(name=f"block{b}_ln")(h)
    out = layers.Dense(1, activation="sigmoid", dtype="float32", name="prob")(h)
    return keras.Model(inp, out, name="res_mlp")


steps_per_epoch = math.ceil(len(x_tr) / PARAMS["batch"])
total_updates = steps_per_epoch * PARAMS["epochs"] // PARAMS["accum_steps"]
schedule = WarmupCosine(PARAMS["peak_lr"], PARAMS["warmup_steps"], total_updates)

model = residual_mlp(PARAMS["dim"])
model.compile(
    optimizer=keras.optimizers.Adam(
        learning_rate=schedule, gradient_accumulation_steps=PARAMS["accum_steps"]
    ),
    loss=keras.losses.BinaryCrossentropy(),
    metrics=[BalancedAccuracy(), mean_confidence, keras.metrics.AUC(name="auc")],
)
print("optimizer after compile:", type(model.optimizer).__name__)

callbacks = [
    OptimizerStateLogger(every=4),
    KeepBest(monitor="val_bal_acc"),
    Timer(),
    keras.callbacks.CSVLogger(os.path.join(OUT_DIR, "log.csv")),
    keras.callbacks.TerminateOnNaN(),
]
history = model.fit(train_ds, validation_data=val_ds, epochs=PARAMS["epochs"],
                    callbacks=callbacks, verbose=2)

res = model.evaluate(val_ds, verbose=0, return_dict=True)
print("final:", ", ".join(f"{k}={v:.4f}" for k, v in res.items()))
with open(os.path.join(OUT_DIR, "log.csv")) as fh:
    print("csv columns:", fh.readline().strip())

keras.mixed_precision.set_global_policy("float32")

"""Comparing learning-rate schedules on the same tabular regression baseline.

Includes a warmup+cosine LearningRateSchedule subclass, a one-cycle style
LearningRateScheduler callback, and a custom callback that logs the LR and
keeps the best epoch's weights in memory.
"""
import math
import time

import numpy as np
import tensorflow as tf
import keras

SEED = 2024
N, D = 512, 10
BATCH = 32
EPOCHS = 2
BASE_LR = 3e-3
STEPS_PER_EPOCH = math.ceil(0.8 * N / BATCH)
TOTAL_STEPS = STEPS_PER_EPOCH * EPOCHS

keras.utils.set_random_seed(SEED)


# ---------------------------------------------------------------- data
def make_regression(n, d):
    X = np.random.normal(size=(n, d)).astype(np.float32)
    w = np.linspace(-1, 1, d).astype(np.float32)
    y = X @ w + 0.5 * np.sin(3 * X[:, 0]) + 0.1 * np.random.normal(size=n)
    return X, y.astype(np.float32)


X, y = make_regression(N, D)
cut = int(0.8 * N)
X_tr, X_va, y_tr, y_va = X[:cut], X[cut:], y[:cut], y[cut:]


# ---------------------------------------------------------------- schedules
@keras.saving.register_keras_serializable(package="rw136")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps, total_steps, min_lr=1e-5):
        super().__init__()
        self.peak_lr = peak_lr
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr = min_lr

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = tf.cast(self.warmup_steps, tf.float32)
        total = tf.cast(self.total_steps, tf.float32)
        warm_lr = self.peak_lr * (step + 1.0) / tf.maximum(warm, 1.0)
        progress = tf.clip_by_value((step - warm) / tf.maximum(total - warm, 1.0), 0.0, 1.0)
        cos_lr = self.min_lr + 0.5 * (self.peak_lr - self.min_lr) * (1.0 + tf.cos(math.pi * progress))
        return tf.where(step < warm, warm_lr, cos_lr)

    def get_config(self):
        return {
            "peak_lr": self.peak_lr,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
            "min_lr": self.min_lr,
        }


def one_cycle(epoch, lr):
    """Epoch-level schedule for LearningRateScheduler: ramp up, then decay."""
    half = max(EPOCHS // 2, 1)
    if epoch < half:
        return BASE_LR * (0.3 + 0.7 * epoch / half)
    return BASE_LR * 0.5 ** (epoch - half + 1)


# ---------------------------------------------------------------- callbacks
class LRLogger(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.lrs = []

    def on_epoch_end(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        lr_val = float(keras.ops.convert_to_numpy(lr))
        self.lrs.append(lr_val)
        if logs is not None:
            logs["lr_logged"] = lr_val


class KeepBestInMemory(keras.callbacks.Callback):
    def __init__(self, monitor="val_loss"):
        super().__init__()
        self.monitor = monitor
        self.best = np.inf
        self.best_weights = None
        self.best_epoch = -1

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is not None and current < self.best:
            self.best, self.best_epoch = current, epoch
            self.best_weights = self.model.get_weights()

    def on_train_end(self, logs=None):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


class Timer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.t0 = time.perf_counter()

    def on_train_end(self, logs=None):
        print(f"    training took {time.perf_counter() - self.t0:.2f}s")


# ---------------------------------------------------------------- model
def get_model(learning_rate):
    model = keras.Sequential(
        [keras.Input(shape=(D,))]
        + [keras.layers.Dense(u, activation="swish") for u in (128, 64, 32)]
        + [keras.layers.Dense(1)]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="mse",
        metrics=[keras.metrics.RootMeanSquaredError(name="rmse")],
    )
    return model


EXPERIMENTS = {
    "constant": dict(lr=BASE_LR, extra=[]),
    "warmup_cosine": dict(lr=WarmupCosine(BASE_LR, STEPS_PER_EPOCH // 2, TOTAL_STEPS), extra=[]),
    "exp_decay": dict(
        lr=keras.optimizers.schedules.ExponentialDecay(BASE_LR, decay_steps=STEPS_PER_EPOCH, decay_rate=0.7),
        extra=[],
    ),
    "one_cycle_cb": dict(lr=BASE_LR, extra=[keras.callbacks.LearningRateScheduler(one_cycle, verbose=0)]),
    "plateau": dict(lr=BASE_LR, extra=[keras.callbacks.ReduceLROnPlateau(factor=0.3, patience=1, min_lr=1e-5)]),
}

results = {}
for name, spec in EXPERIMENTS.items():
    print(f"--- {name}")
    keras.utils.set_random_seed(SEED)
    model = get_model(spec["lr"])
    keep_best = KeepBestInMemory()
    cbs = [keep_best, Timer(), keras.callbacks.TerminateOnNaN()] + spec["extra"]
    if not isinstance(spec["lr"], keras.optimizers.schedules.LearningRateSchedule):
        lr_log = LRLogger()
        cbs.append(lr_log)
    else:
        lr_log = None
    model.fit(X_tr, y_tr, validation_data=(X_va, y_va), epochs=EPOCHS,
              batch_size=BATCH, callbacks=cbs, verbose=0)
    _, rmse = model.evaluate(X_va, y_va, verbose=0)
    results[name] = rmse
    lr_str = ", ".join(f"{v:.2e}" for v in lr_log.lrs) if lr_log else "schedule"
    print(f"    best epoch {keep_best.best_epoch}, val rmse {rmse:.4f}, lrs [{lr_str}]")

# peek at the custom schedule's shape
sched = WarmupCosine(BASE_LR, 5, 40)
print("warmup-cosine samples:", [round(float(sched(s)), 5) for s in range(0, 40, 8)])
restored = WarmupCosine.from_config(sched.get_config())
assert abs(float(restored(10)) - float(sched(10))) < 1e-9

print("\nranking:")
for rank, (name, score) in enumerate(sorted(results.items(), key=lambda kv: kv[1]), 1):
    print(f"  {rank}. {name:<15s} {score:.4f}")

"""Custom learning-rate schedulers for Keras 3.

* WarmupCosineDecay      - linear warmup then cosine to a floor (LearningRateSchedule)
* InverseSqrtSchedule    - the "Attention is all you need" Noam schedule
* OneCycleCallback       - one-cycle LR *and* momentum (Smith 2018) as a Callback
* PlateauHalver          - tiny hand-written ReduceLROnPlateau

Schedules are graph-safe: no Python branching on the step tensor, only ops.where.
A small 1D-conv sequence classifier is trained with each for a few steps.
"""
import math

import numpy as np
import keras
from keras import layers, ops

SEQ_LEN = 64
N_CHANNELS = 6
N_CLASSES = 4
BATCH_SIZE = 32
N_SAMPLES = 640
EPOCHS = 2
STEPS_PER_EPOCH = N_SAMPLES // BATCH_SIZE
TOTAL_STEPS = EPOCHS * STEPS_PER_EPOCH
PEAK_LR = 3e-3

keras.utils.set_random_seed(7)


# ---------------------------------------------------------------------------
# schedules
# ---------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package="rw94")
class WarmupCosineDecay(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak_lr, warmup_steps, total_steps, min_lr_ratio=0.05):
        super().__init__()
        self.peak_lr = peak_lr
        self.warmup_steps = warmup_steps
        self.total_steps = total_steps
        self.min_lr_ratio = min_lr_ratio

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = float(max(1, self.warmup_steps))
        warm_lr = self.peak_lr * step / warmup

        progress = (step - warmup) / float(max(1, self.total_steps - self.warmup_steps))
        progress = ops.clip(progress, 0.0, 1.0)
        cosine = 0.5 * (1.0 + ops.cos(math.pi * progress))
        floor = self.peak_lr * self.min_lr_ratio
        decay_lr = floor + (self.peak_lr - floor) * cosine

        return ops.where(step < warmup, warm_lr, decay_lr)

    def get_config(self):
        return {
            "peak_lr": self.peak_lr,
            "warmup_steps": self.warmup_steps,
            "total_steps": self.total_steps,
            "min_lr_ratio": self.min_lr_ratio,
        }


class InverseSqrtSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """lr = d_model^-0.5 * min(step^-0.5, step * warmup^-1.5)"""

    def __init__(self, d_model, warmup_steps=4000, scale=1.0):
        super().__init__()
        self.d_model = float(d_model)
        self.warmup_steps = float(warmup_steps)
        self.scale = scale

    def __call__(self, step):
        step = ops.cast(step, "float32") + 1.0   # step 0 would blow up rsqrt
        arg1 = ops.rsqrt(step)
        arg2 = step * (self.warmup_steps ** -1.5)
        return self.scale * (self.d_model ** -0.5) * ops.minimum(arg1, arg2)

    def get_config(self):
        return {"d_model": self.d_model, "warmup_steps": self.warmup_steps,
                "scale": self.scale}


# ---------------------------------------------------------------------------
# callbacks
# ---------------------------------------------------------------------------
class OneCycleCallback(keras.callbacks.Callback):
    """LR goes low->high->very low while momentum (beta_1) goes high->low->high."""

    def __init__(self, max_lr, total_steps, pct_start=0.3, div_factor=25.0,
                 final_div_factor=1e3, base_mom=0.85, max_mom=0.95):
        super().__init__()
        self.max_lr = max_lr
        self.total_steps = total_steps
        self.up_steps = int(total_steps * pct_start)
        self.init_lr = max_lr / div_factor
        self.final_lr = self.init_lr / final_div_factor
        self.base_mom, self.max_mom = base_mom, max_mom
        self.step = 0
        self.history = {"lr": [], "momentum": []}

    @staticmethod
    def _anneal(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    def _values(self):
        if self.step <= self.up_steps:
            pct = self.step / max(1, self.up_steps)
            return (self._anneal(self.init_lr, self.max_lr, pct),
                    self._anneal(self.max_mom, self.base_mom, pct))
        pct = (self.step - self.up_steps) / max(1, self.total_steps - self.up_steps)
        pct = min(pct, 1.0)
        return (self._anneal(self.max_lr, self.final_lr, pct),
                self._anneal(self.base_mom, self.max_mom, pct))

    def on_train_batch_begin(self, batch, logs=None):
        lr, mom = self._values()
        opt = self.model.optimizer
        opt.learning_rate.assign(lr)
        if hasattr(opt, "beta_1"):
            opt.beta_1 = mom        # Adam reads beta_1 as a python float
        self.history["lr"].append(lr)
        self.history["momentum"].append(mom)
        self.step += 1


class PlateauHalver(keras.callbacks.Callback):
    def __init__(self, monitor="val_loss", patience=1, factor=0.5, min_lr=1e-6):
        super().__init__()
        self.monitor, self.patience = monitor, patience
        self.factor, self.min_lr = factor, min_lr
        self.best = np.inf
        self.wait = 0

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            return
        if current < self.best - 1e-4:
            self.best, self.wait = current, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            old = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
            new = max(old * self.factor, self.min_lr)
            self.model.optimizer.learning_rate.assign(new)
            print(f"\nepoch {epoch + 1}: {self.monitor} stalled, lr {old:.2e} -> {new:.2e}")
            self.wait = 0


# ---------------------------------------------------------------------------
# data + model
# ---------------------------------------------------------------------------
def make_signals(n):
    t = np.linspace(0, 1, SEQ_LEN, dtype="float32")
    y = np.random.randint(0, N_CLASSES, size=n)
    freq = (y + 1) * 3.0
    base = np.sin(2 * np.pi * freq[:, None] * t[None, :])          # (n, T)
    x = base[..., None] * np.random.uniform(0.5, 1.5, (n, 1, N_CHANNELS))
    x += 0.3 * np.random.randn(n, SEQ_LEN, N_CHANNELS)
    return x.astype("float32"), y


def build_model():
    return keras.Sequential([
        keras.Input((SEQ_LEN, N_CHANNELS)),
        layers.Conv1D(32, 5, padding="same", activation="relu"),
        layers.Conv1D(32, 5, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(64, 3, padding="same", activation="relu"),
        layers.GlobalMaxPooling1D(),
        layers.Dense(N_CLASSES),
    ], name="conv1d_clf")


def compile_and_fit(optimizer, x, y, callbacks=(), tag=""):
    model = build_model()
    model.compile(optimizer=optimizer,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=BATCH_SIZE, epochs=EPOCHS,
                     validation_split=0.2, callbacks=list(callbacks), verbose=0)
    print(f"[{tag:>12s}] final loss={hist.history['loss'][-1]:.4f} "
          f"val_acc={hist.history['val_accuracy'][-1]:.3f}")
    return model, hist


if __name__ == "__main__":
    x, y = make_signals(N_SAMPLES)
    print("x:", x.shape, "y:", y.shape)
    fit_steps = int(N_SAMPLES * 0.8) // BATCH_SIZE * EPOCHS

    # preview the schedules at a handful of steps
    wc = WarmupCosineDecay(PEAK_LR, warmup_steps=fit_steps // 5, total_steps=fit_steps)
    noam = InverseSqrtSchedule(d_model=64, warmup_steps=10, scale=0.1)
    print(f"{'step':>5} {'warmup-cos':>12} {'noam':>12}")
    for s in [0, 2, fit_steps // 5, fit_steps // 2, fit_steps - 1]:
        print(f"{s:>5d} {float(wc(s)):12.6f} {float(noam(s)):12.6f}")

    # round-trip the schedule through the optimizer config
    opt = keras.optimizers.Adam(learning_rate=wc)
    restored = keras.optimizers.Adam.from_config(opt.get_config())
    print("restored schedule config:", restored.get_config()["learning_rate"])

    compile_and_fit(keras.optimizers.Adam(learning_rate=wc), x, y, tag="warmup-cos")
    compile_and_fit(keras.optimizers.Adam(learning_rate=noam), x, y, tag="noam")

    one_cycle = OneCycleCallback(max_lr=PEAK_LR, total_steps=fit_steps)
    compile_and_fit(keras.optimizers.Adam(learning_rate=1e-4), x, y,
                    callbacks=[one_cycle], tag="one-cycle")
    lrs = one_cycle.history["lr"]
    print("one-cycle lr: start %.2e  peak %.2e  end %.2e" % (lrs[0], max(lrs), lrs[-1]))

    compile_and_fit(keras.optimizers.SGD(learning_rate=0.05, momentum=0.9), x, y,
                    callbacks=[PlateauHalver(patience=1)], tag="plateau")

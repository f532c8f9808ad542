"""Teacher -> student knowledge distillation with Keras 3 `compute_loss`.

Instead of rewriting train_step, the Distiller overrides `compute_loss`
(so fit/evaluate/compiled metrics keep working) and mixes the hard-label
loss with a temperature-softened KL term against a frozen teacher.
A handful of custom callbacks show what a production run usually wires
in: linear LR warmup, per-epoch timing, a "stop when good enough" guard
and a LambdaCallback for lightweight logging.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras

NUM_FEATURES = 40
NUM_CLASSES = 6
BATCH_SIZE = 64
TEMPERATURE = 3.0
ALPHA = 0.3  # weight of the hard-label loss


def mlp(hidden, name, dropout=0.0):
    model = keras.Sequential(name=name)
    model.add(keras.Input(shape=(NUM_FEATURES,)))
    for units in hidden:
        model.add(keras.layers.Dense(units, activation="relu"))
        if dropout:
            model.add(keras.layers.Dropout(dropout))
    model.add(keras.layers.Dense(NUM_CLASSES))  # logits
    return model


class Distiller(keras.Model):
    def __init__(self, student, teacher, temperature=TEMPERATURE, alpha=ALPHA, **kwargs):
        super().__init__(**kwargs)
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.temperature = temperature
        self.alpha = alpha
        self.hard_loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.kl = keras.losses.KLDivergence()
        self.distill_tracker = keras.metrics.Mean(name="distill_loss")
        self.hard_tracker = keras.metrics.Mean(name="student_loss")

    def call(self, x, training=False):
        return self.student(x, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        teacher_logits = self.teacher(x, training=False)
        t = self.temperature
        soft_targets = tf.nn.softmax(teacher_logits / t, axis=-1)
        soft_preds = tf.nn.softmax(y_pred / t, axis=-1)
        distill = self.kl(soft_targets, soft_preds) * (t ** 2)
        hard = self.hard_loss_fn(y, y_pred, sample_weight=sample_weight)
        self.distill_tracker.update_state(distill)
        self.hard_tracker.update_state(hard)
        return self.alpha * hard + (1.0 - self.alpha) * distill

    @property
    def metrics(self):
        return super().metrics + [self.distill_tracker, self.hard_tracker]


# -------------------------------------------------------------- callbacks
def warmup_then_step(warmup_epochs, base_lr, drop=0.5, drop_every=3):
    def schedule(epoch, lr):
        if epoch < warmup_epochs:
            return base_lr * (epoch + 1) / warmup_epochs
        return base_lr * drop ** ((epoch - warmup_epochs) // drop_every)

    return keras.callbacks.LearningRateScheduler(schedule, verbose=0)


class EpochTimer(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._t0)


class StopAtThreshold(keras.callbacks.Callback):
    def __init__(self, monitor="val_acc", threshold=0.99):
        super().__init__()
        self.monitor, self.threshold = monitor, threshold

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and value >= self.threshold:
            print(f"\n{self.monitor}={value:.3f} >= {self.threshold}, stopping.")
            self.model.stop_training = True


# ------------------------------------------------------------------- data
CENTERS = np.random.default_rng(1234).normal(scale=0.6, size=(NUM_CLASSES, NUM_FEATURES))


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    centers = CENTERS
    y = rng.integers(0, NUM_CLASSES, n)
    x = centers[y] + rng.normal(size=(n, NUM_FEATURES))
    return x.astype("float32"), y.astype("int32")


def to_ds(x, y, shuffle):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), reshuffle_each_iteration=True)
    return ds.batch(BATCH_SIZE).cache().prefetch(tf.data.AUTOTUNE)


def main():
    keras.utils.set_random_seed(5)
    x_tr, y_tr = make_data(1024, 0)
    x_va, y_va = make_data(256, 1)
    train_ds, val_ds = to_ds(x_tr, y_tr, True), to_ds(x_va, y_va, False)

    # 1) train the teacher normally
    teacher = mlp([256, 128], "teacher", dropout=0.2)
    teacher.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    teacher.fit(train_ds, epochs=1, verbose=0)
    print("teacher:", teacher.evaluate(val_ds, return_dict=True, verbose=0))

    # 2) distill into a much smaller student
    student = mlp([16], "student")
    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    timer = EpochTimer()
    callbacks = [
        warmup_then_step(warmup_epochs=1, base_lr=2e-3),
        timer,
        StopAtThreshold("val_acc", 0.999),
        keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: print(
                f"  epoch {epoch}: distill={logs['distill_loss']:.3f} "
                f"hard={logs['student_loss']:.3f} val_acc={logs['val_acc']:.3f}"
            )
        ),
    ]
    history = distiller.fit(train_ds, validation_data=val_ds, epochs=3,
                            callbacks=callbacks, verbose=0)
    print("epoch seconds:", [round(t, 2) for t in timer.times])
    print("lr history:", [round(float(v), 5) for v in history.history["learning_rate"]])

    # 3) export just the student
    print("student params:", student.count_params(), "teacher params:", teacher.count_params())
    probs = tf.nn.softmax(student.predict(x_va[:8], verbose=0)).numpy()
    print("student top-1 on 8 val rows:", probs.argmax(-1).tolist(), "true:", y_va[:8].tolist())


if __name__ == "__main__":
    main()

"""Feature-map distillation: a frozen DenseNet121 trunk (weights=None here,
in real life you'd load a checkpoint) supervises a small student CNN at two
intermediate resolutions picked out with get_layer()."""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SIZE = 64
CLASSES = 6
HINT_LAYERS = ["pool2_pool", "pool3_pool"]   # stride 8 and stride 16
STUDENT_WIDTHS = [16, 32, 48, 64]            # each stage halves resolution
ALPHA_HINT = 0.5


def gaussian_blobs(n, rng):
    """Class k = k+1 gaussian blobs scattered on the image."""
    y = rng.integers(0, CLASSES, n)
    g = np.arange(SIZE, dtype=np.float32)
    x = np.zeros((n, SIZE, SIZE, 3), np.float32)
    for i in range(n):
        for _ in range(y[i] + 1):
            cy, cx = rng.uniform(0, SIZE, 2)
            s = rng.uniform(2, 5)
            blob = np.exp(-((g[:, None] - cy) ** 2 + (g[None, :] - cx) ** 2) / (2 * s * s))
            x[i] += blob[..., None] * rng.uniform(0.3, 1.0, 3)
    x = np.clip(x, 0, 1) * 255.0
    return x, y.astype(np.int32)


def build_teacher_taps():
    dn = keras.applications.DenseNet121(include_top=False, weights=None,
                                        input_shape=(SIZE, SIZE, 3))
    taps = [dn.get_layer(n).output for n in HINT_LAYERS]
    teacher = keras.Model(dn.input, taps, name="densenet_taps")
    teacher.trainable = False
    return teacher


def build_student():
    inp = keras.Input((SIZE, SIZE, 3))
    x = layers.Rescaling(1 / 255.0)(inp)
    x = layers.Conv2D(STUDENT_WIDTHS[0], 3, strides=2, padding="same", activation="relu")(x)
    stage_outputs = []
    for i, w in enumerate(STUDENT_WIDTHS[1:], start=1):
        x = layers.SeparableConv2D(w, 3, padding="same", activation="relu", name=f"s{i}_sep")(x)
        x = layers.BatchNormalization(name=f"s{i}_bn")(x)
        x = layers.MaxPooling2D(name=f"s{i}_pool")(x)
        stage_outputs.append(x)
    # stage outputs are at stride 4, 8, 16 -> keep the last two for hints
    hints = stage_outputs[-2:]
    logits = layers.Dense(CLASSES, name="student_logits")(layers.GlobalAveragePooling2D()(x))
    return keras.Model(inp, [logits] + hints, name="student")


class Distiller(keras.Model):
    def __init__(self, student, teacher, teacher_channels, alpha=0.5):
        super().__init__()
        self.student = student
        self.teacher = teacher
        self.alpha = alpha
        # 1x1 "regressors" map student channels onto teacher channels (FitNets style)
        self.adapters = [layers.Conv2D(c, 1, name=f"adapter_{i}")
                         for i, c in enumerate(teacher_channels)]
        self.ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.hint_tracker = keras.metrics.Mean(name="hint")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.hint_tracker, self.acc]

    def call(self, x, training=False):
        return self.student(x, training=training)[0]

    def hint_loss(self, s_feats, t_feats):
        total = 0.0
        for adapter, s, t in zip(self.adapters, s_feats, t_feats):
            # teacher maps can be huge in scale, normalise per channel
            t = (t - ops.mean(t, axis=(1, 2), keepdims=True)) / (ops.std(t, axis=(1, 2), keepdims=True) + 1e-5)
            total = total + ops.mean(ops.square(adapter(s) - t))
        return total / len(self.adapters)

    def train_step(self, data):
        x, y = data
        t_feats = self.teacher(x, training=False)
        with tf.GradientTape() as tape:
            logits, *s_feats = self.student(x, training=True)
            ce = self.ce(y, logits)
            hint = self.hint_loss(s_feats, t_feats)
            loss = ce + self.alpha * hint
        train_vars = self.student.trainable_variables + [
            v for a in self.adapters for v in a.trainable_variables]
        grads = tape.gradient(loss, train_vars)
        self.optimizer.apply_gradients(zip(grads, train_vars))
        self.loss_tracker.update_state(loss)
        self.hint_tracker.update_state(hint)
        self.acc.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self.student(x, training=False)[0]
        self.loss_tracker.update_state(self.ce(y, logits))
        self.acc.update_state(y, logits)
        return {"loss": self.loss_tracker.result(), "acc": self.acc.result()}


def main():
    rng = np.random.default_rng(42)
    x_tr, y_tr = gaussian_blobs(160, rng)
    x_te, y_te = gaussian_blobs(48, rng)

    teacher = build_teacher_taps()
    student = build_student()
    t_shapes = [tuple(o.shape[1:]) for o in teacher.outputs]
    s_shapes = [tuple(o.shape[1:]) for o in student.outputs[1:]]
    for name, ts, ss in zip(HINT_LAYERS, t_shapes, s_shapes):
        print(f"hint {name}: teacher {ts} <- student {ss}")
        assert ts[:2] == ss[:2], "spatial sizes must line up"

    distiller = Distiller(student, teacher, [s[-1] for s in t_shapes], alpha=ALPHA_HINT)
    batch = 16
    steps = math.ceil(len(x_tr) / batch)
    distiller.compile(optimizer=keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=2 * steps)))
    ds = tf.data.Dataset.from_tensor_slices((x_tr, y_tr)).shuffle(160).batch(batch)
    distiller.fit(ds, epochs=2, verbose=2)
    res = distiller.evaluate(x_te, y_te, batch_size=batch, verbose=0, return_dict=True)
    print("student eval:", {k: round(float(v), 4) for k, v in res.items()})

    print(f"teacher params: {teacher.count_params():,}  student params: {student.count_params():,}")


if __name__ == "__main__":
    main()

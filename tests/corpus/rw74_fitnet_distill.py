"""FitNets-style distillation with intermediate "hint" layers.

Teacher: a DenseNet121 (weights=None, include_top=False) with a new head.
Student: a small functional CNN. We tap the teacher at `pool3_conv`
(via get_layer) and the student at its "guided" layer, add a 1x1
regressor so channel counts match, and train the student on
soft-target KL + hint MSE + hard-label CE in a custom loop.

Afterwards the student's classifier is swapped for a new task head and
the old weights are re-loaded with skip_mismatch=True.
"""
import os
import tempfile
import warnings

import numpy as np
import tensorflow as tf
from tensorflow import keras

L = keras.layers

IMAGE_SHAPE = (64, 64, 3)
N_CLASSES = 6
TEMPERATURE = 4.0
ALPHA, BETA = 0.5, 1.0  # weights for KD and hint losses
STEPS = 4
BATCH = 8
TEACHER_HINT = "pool3_conv"       # 8x8 at 64px input
STUDENT_GUIDED = "student_block2"  # also 8x8


def build_teacher():
    base = keras.applications.DenseNet121(include_top=False, weights=None, input_shape=IMAGE_SHAPE)
    base.trainable = False
    inp = keras.Input(IMAGE_SHAPE)
    x = keras.applications.densenet.preprocess_input(inp)
    hint_model = keras.Model(base.input, [base.get_layer(TEACHER_HINT).output, base.output])
    hint, feats = hint_model(x)
    x = L.GlobalAveragePooling2D()(feats)
    logits = L.Dense(N_CLASSES, name="teacher_logits")(x)
    # one model, two outputs: hint features + logits
    return keras.Model(inp, [hint, logits], name="teacher_with_hint")


def build_student(n_classes=N_CLASSES):
    inp = keras.Input(IMAGE_SHAPE)
    x = L.Rescaling(1 / 255.0)(inp)
    for i, f in enumerate([16, 32, 64]):
        x = L.Conv2D(f, 3, padding="same", activation="relu")(x)
        x = L.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"student_block{i}")(x)
    x = L.GlobalAveragePooling2D()(x)
    x = L.Dense(64, activation="relu", name="student_fc")(x)
    out = L.Dense(n_classes, name="student_logits")(x)
    return keras.Model(inp, out, name="student")


class HintDistiller:
    def __init__(self, teacher, student):
        self.teacher = teacher
        self.student = student
        self.student_hint = keras.Model(
            student.input,
            [student.get_layer(STUDENT_GUIDED).output, student.output],
            name="student_with_hint",
        )
        t_ch = teacher.output[0].shape[-1]
        self.regressor = L.Conv2D(t_ch, 1, name="hint_regressor")
        self.opt = keras.optimizers.Adam(1e-3)
        self.ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.kl = keras.losses.KLDivergence()

    @tf.function(reduce_retracing=True)
    def step(self, x, y):
        t_feat, t_logits = self.teacher(x, training=False)
        with tf.GradientTape() as tape:
            s_feat, s_logits = self.student_hint(x, training=True)
            s_proj = self.regressor(s_feat)
            # spatial sizes match by construction; resize anyway in case of a config change
            s_proj = tf.image.resize(s_proj, tf.shape(t_feat)[1:3])
            hint = tf.reduce_mean(tf.square(s_proj - t_feat))
            kd = self.kl(tf.nn.softmax(t_logits / TEMPERATURE),
                         tf.nn.softmax(s_logits / TEMPERATURE)) * TEMPERATURE ** 2
            hard = self.ce(y, s_logits)
            loss = hard + ALPHA * kd + BETA * hint
        variables = self.student_hint.trainable_variables + self.regressor.trainable_variables
        grads = tape.gradient(loss, variables)
        self.opt.apply_gradients(zip(grads, variables))
        return {"loss": loss, "hard": hard, "kd": kd, "hint": hint}


def main():
    tf.random.set_seed(11)
    teacher = build_teacher()
    student = build_student()
    print("teacher hint:", teacher.output[0].shape, "student guided:",
          student.get_layer(STUDENT_GUIDED).output.shape)

    images = tf.random.uniform((STEPS * BATCH,) + IMAGE_SHAPE, 0, 255)
    labels = tf.random.uniform((STEPS * BATCH,), 0, N_CLASSES, dtype=tf.int32)
    ds = tf.data.Dataset.from_tensor_slices((images, labels)).batch(BATCH)

    distiller = HintDistiller(teacher, student)
    for i, (xb, yb) in enumerate(ds):
        logs = distiller.step(xb, yb)
        print(f"step {i}: " + " ".join(f"{k}={float(v):.4f}" for k, v in logs.items()))

    # --- head swap: reuse the distilled student for a 2-class task -------
    ckpt = os.path.join(tempfile.mkdtemp(), "student.weights.h5")
    student.save_weights(ckpt)
    new_student = build_student(n_classes=2)
    with warnings.catch_warnings():
        # keras warns (verbosely) about the mismatched classifier kernel
        warnings.simplefilter("ignore")
        new_student.load_weights(ckpt, skip_mismatch=True)

    same = np.allclose(new_student.get_layer("student_fc").kernel.numpy(),
                       student.get_layer("student_fc").kernel.numpy())
    print("student_fc transferred:", same)
    print("new head:", new_student.get_layer("student_logits").kernel.shape)

    # freeze everything below the classifier and fine-tune only the head
    for layer in new_student.layers[:-1]:
        layer.trainable = False
    new_student.compile(optimizer="adam",
                        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        metrics=["accuracy"])
    y2 = tf.cast(labels % 2, tf.int32)
    new_student.fit(images, y2, batch_size=BATCH, epochs=1, verbose=2)
    print("trainable weights after freeze:", [w.path for w in new_student.trainable_weights])


if __name__ == "__main__":
    main()

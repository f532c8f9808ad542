"""Knowledge distillation: teacher -> student with soft targets + feature hints.

Loosely follows the keras.io "Knowledge Distillation" example (Hinton et al.
2015) but adds a FitNets-style hint loss on an intermediate feature map,
projected to the teacher's channel count with a 1x1 conv adapter.

    L = alpha * CE(y, student) + (1 - alpha) * T^2 * KL(p_T || p_S) + beta * hint

Synthetic 32x32 RGB "images" so it runs anywhere.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

CONFIG = {
    "num_classes": 5,
    "image_shape": (32, 32, 3),
    "n_train": 384,
    "n_test": 128,
    "batch_size": 32,
    "temperature": 4.0,
    "alpha": 0.3,
    "hint_weight": 0.1,
    "teacher_epochs": 1,
    "student_epochs": 1,
}


def synthetic_images(n, num_classes, shape, seed):
    """Each class gets a different colour tint and stripe frequency."""
    r = np.random.RandomState(seed)
    h, w, c = shape
    y = r.randint(0, num_classes, n)
    xs = np.linspace(0, 2 * np.pi, w, dtype="float32")
    imgs = r.normal(0, 0.2, size=(n, h, w, c)).astype("float32")
    for i, lbl in enumerate(y):
        stripes = np.sin(xs * (lbl + 1))[None, :, None]   # (1, W, 1)
        tint = np.eye(3, dtype="float32")[lbl % 3][None, None, :]  # (1, 1, 3)
        imgs[i] += 0.5 * stripes * tint
    return imgs, y.astype("int32")


def conv_bn(x, filters, name, strides=1):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same",
                      use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def make_teacher(cfg):
    inp = keras.Input(cfg["image_shape"])
    x = conv_bn(inp, 32, "t1")
    x = conv_bn(x, 64, "t2", strides=2)             # 16x16
    x = conv_bn(x, 64, "t3")
    feat = conv_bn(x, 128, "t_hint", strides=2)     # 8x8x128  <- hint layer
    x = conv_bn(feat, 128, "t5")
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.3)(x)
    logits = layers.Dense(cfg["num_classes"], name="t_logits")(x)
    return keras.Model(inp, [logits, feat], name="teacher")


def make_student(cfg):
    inp = keras.Input(cfg["image_shape"])
    x = layers.SeparableConv2D(16, 3, strides=2, padding="same", activation="relu")(inp)
    feat = layers.SeparableConv2D(32, 3, strides=2, padding="same",
                                  activation="relu", name="s_hint")(x)   # 8x8x32
    x = layers.GlobalAveragePooling2D()(feat)
    logits = layers.Dense(cfg["num_classes"], name="s_logits")(x)
    return keras.Model(inp, [logits, feat], name="student")


class Distiller(keras.Model):
    def __init__(self, student, teacher, hint_channels):
        super().__init__()
        self.teacher = teacher
        self.student = student
        # 1x1 conv regressor: student hint (C_s) -> teacher hint (C_t)
        self.adapter = layers.Conv2D(hint_channels, 1, name="hint_adapter")
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.ce_tracker = keras.metrics.Mean(name="student_ce")
        self.kd_tracker = keras.metrics.Mean(name="kd")
        self.hint_tracker = keras.metrics.Mean(name="hint")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    def compile(self, optimizer, temperature=3.0, alpha=0.1, hint_weight=0.0):
        super().compile(optimizer=optimizer)
        self.temperature = temperature
        self.alpha = alpha
        self.hint_weight = hint_weight

    @property
    def metrics(self):
        return [self.total_tracker, self.ce_tracker, self.kd_tracker,
                self.hint_tracker, self.acc]

    def kd_loss(self, teacher_logits, student_logits):
        T = self.temperature
        p_t = tf.nn.softmax(teacher_logits / T, axis=-1)
        log_p_s = tf.nn.log_softmax(student_logits / T, axis=-1)
        log_p_t = tf.nn.log_softmax(teacher_logits / T, axis=-1)
        kl = tf.reduce_sum(p_t * (log_p_t - log_p_s), axis=-1)
        # T^2 keeps gradient magnitudes comparable when T changes
        return tf.reduce_mean(kl) * (T ** 2)

    def train_step(self, data):
        x, y = data
        t_logits, t_feat = self.teacher(x, training=False)
        t_logits = tf.stop_gradient(t_logits)
        t_feat = tf.stop_gradient(t_feat)

        with tf.GradientTape() as tape:
            s_logits, s_feat = self.student(x, training=True)
            ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=y, logits=s_logits))
            kd = self.kd_loss(t_logits, s_logits)
            projected = self.adapter(s_feat)
            hint = tf.reduce_mean(tf.square(projected - t_feat))
            loss = self.alpha * ce + (1.0 - self.alpha) * kd + self.hint_weight * hint

        train_vars = self.student.trainable_variables + self.adapter.trainable_variables
        grads = tape.gradient(loss, train_vars)
        self.optimizer.apply_gradients(zip(grads, train_vars))

        self.total_tracker.update_state(loss)
        self.ce_tracker.update_state(ce)
        self.kd_tracker.update_state(kd)
        self.hint_tracker.update_state(hint)
        self.acc.update_state(y, s_logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        s_logits, _ = self.student(x, training=False)
        ce = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=y, logits=s_logits))
        self.ce_tracker.update_state(ce)
        self.acc.update_state(y, s_logits)
        return {"student_ce": self.ce_tracker.result(), "acc": self.acc.result()}

    def call(self, x, training=False):
        return self.student(x, training=training)[0]


def main(cfg):
    x_train, y_train = synthetic_images(cfg["n_train"], cfg["num_classes"],
                                        cfg["image_shape"], seed=0)
    x_test, y_test = synthetic_images(cfg["n_test"], cfg["num_classes"],
                                      cfg["image_shape"], seed=1)

    train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)) \
        .shuffle(512).batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE)
    test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(cfg["batch_size"])

    # ---- 1. train the teacher normally (only the logits head gets a loss)
    teacher = make_teacher(cfg)
    teacher.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True), None],
        metrics=[["accuracy"], []],
    )
    teacher.fit(train_ds, epochs=cfg["teacher_epochs"], verbose=2)
    teacher.trainable = False

    # ---- 2. distil into the student
    student = make_student(cfg)
    student.summary()
    print("teacher params: %d  student params: %d" %
          (teacher.count_params(), student.count_params()))

    t_hint_channels = teacher.output[1].shape[-1]
    distiller = Distiller(student, teacher, hint_channels=t_hint_channels)
    distiller.compile(optimizer=keras.optimizers.Adam(2e-3),
                      temperature=cfg["temperature"],
                      alpha=cfg["alpha"],
                      hint_weight=cfg["hint_weight"])
    distiller.fit(train_ds, epochs=cfg["student_epochs"], verbose=2)
    print("student eval:", distiller.evaluate(test_ds, verbose=0, return_dict=True))

    # ---- 3. baseline: same student trained from scratch, no teacher
    scratch = make_student(cfg)
    scratch.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=[keras.losses.SparseCategoricalCrossentropy(from_logits=True), None],
        metrics=[["accuracy"], []],
    )
    scratch.fit(train_ds, epochs=cfg["student_epochs"], verbose=0)
    print("scratch eval:", scratch.evaluate(test_ds, verbose=0, return_dict=True))

    # soft targets at a few temperatures, for intuition
    t_logits, _ = teacher.predict(x_test[:1], verbose=0)
    for T in (1.0, cfg["temperature"], 10.0):
        print(f"T={T:>4}: ", np.round(tf.nn.softmax(t_logits / T).numpy()[0], 3))


if __name__ == "__main__":
    main(CONFIG)

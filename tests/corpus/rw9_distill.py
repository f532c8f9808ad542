"""
Knowledge distillation: big-ish CNN teacher -> small CNN student.

Distiller is a keras.Model subclass holding teacher + student, custom
train_step (alpha * hard CE + (1-alpha) * KL(soft_teacher || soft_student) * T^2)
and test_step. Also trains a student from scratch with a raw GradientTape
loop for comparison. Random 20x20 grayscale images, 10 classes.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers
from keras import ops

NUM_CLASSES = 10
H = W = 20


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.student_loss_tracker = keras.metrics.Mean(name="student_loss")
        self.distill_loss_tracker = keras.metrics.Mean(name="distillation_loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    def compile(self, optimizer, student_loss_fn, distillation_loss_fn, alpha=0.1, temperature=3):
        super().compile(optimizer=optimizer)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature

    @property
    def metrics(self):
        return [self.loss_tracker, self.student_loss_tracker, self.distill_loss_tracker, self.acc]

    def call(self, x):
        return self.student(x)

    def train_step(self, data):
        x, y = data
        teacher_predictions = self.teacher(x, training=False)

        with tf.GradientTape() as tape:
            student_predictions = self.student(x, training=True)
            student_loss = self.student_loss_fn(y, student_predictions)
            distillation_loss = self.distillation_loss_fn(
                ops.softmax(teacher_predictions / self.temperature, axis=1),
                ops.softmax(student_predictions / self.temperature, axis=1),
            ) * (self.temperature ** 2)
            loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss

        trainable_vars = self.student.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))

        self.loss_tracker.update_state(loss)
        self.student_loss_tracker.update_state(student_loss)
        self.distill_loss_tracker.update_state(distillation_loss)
        self.acc.update_state(y, student_predictions)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        y_prediction = self.student(x, training=False)
        student_loss = self.student_loss_fn(y, y_prediction)
        self.student_loss_tracker.update_state(student_loss)
        self.acc.update_state(y, y_prediction)
        return {"student_loss": self.student_loss_tracker.result(), "acc": self.acc.result()}


def make_teacher():
    return keras.Sequential(
        [
            keras.Input(shape=(H, W, 1)),
            layers.Conv2D(64, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(128, (3, 3), strides=(2, 2), padding="same"),
            layers.Flatten(),
            layers.Dense(NUM_CLASSES),
        ],
        name="teacher",
    )


def make_student():
    return keras.Sequential(
        [
            keras.Input(shape=(H, W, 1)),
            layers.Conv2D(8, (3, 3), strides=(2, 2), padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(16, (3, 3), strides=(2, 2), padding="same"),
            layers.Flatten(),
            layers.Dense(NUM_CLASSES),
        ],
        name="student",
    )


teacher = make_teacher()
student = make_student()
student_scratch = keras.models.clone_model(student)

x_train = np.random.rand(128, H, W, 1).astype("float32")
y_train = np.random.randint(0, NUM_CLASSES, size=(128,))
x_test, y_test = x_train[:32], y_train[:32]

# 1) train teacher normally
teacher.compile(
    optimizer=keras.optimizers.Adam(),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=[keras.metrics.SparseCategoricalAccuracy()],
)
teacher.fit(x_train, y_train, epochs=1, batch_size=32, verbose=2)
teacher.evaluate(x_test, y_test, verbose=0)

# 2) distill
distiller = Distiller(student=student, teacher=teacher)
distiller.compile(
    optimizer=keras.optimizers.Adam(),
    student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    distillation_loss_fn=keras.losses.KLDivergence(),
    alpha=0.1,
    temperature=10,
)
distiller.fit(x_train, y_train, epochs=1, batch_size=32, verbose=2)
print("distilled eval:", distiller.evaluate(x_test, y_test, verbose=0, return_dict=True))
student.summary()

# 3) student from scratch, manual loop
opt = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(128).batch(32)
for step, (xb, yb) in enumerate(ds):
    with tf.GradientTape() as tape:
        logits = student_scratch(xb, training=True)
        loss_value = ce(yb, logits)
    grads = tape.gradient(loss_value, student_scratch.trainable_weights)
    opt.apply_gradients(zip(grads, student_scratch.trainable_weights))
    print(f"scratch step {step}: loss={float(loss_value):.4f}")

preds = np.argmax(student_scratch.predict(x_test, verbose=0), axis=-1)
print("scratch acc:", np.mean(preds == y_test))

"""Knowledge distillation: train a small student to mimic a larger teacher.

Follows the classic Hinton et al. recipe -- the student loss is a weighted
sum of hard-label cross-entropy and KL(teacher_T || student_T) on
temperature-softened logits, scaled by T^2. Wrapped in a `Distiller` model
with custom train_step/test_step so the usual compile()/fit()/evaluate() work.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

NUM_CLASSES = 10
INPUT_SHAPE = (28, 28, 1)
N_TRAIN, N_TEST = 512, 128
BATCH = 64
TEACHER_EPOCHS = 1
DISTILL_EPOCHS = 2
ALPHA = 0.1          # weight for the hard-label loss
TEMPERATURE = 4.0


def load_fake_mnist():
    """Stand-in for keras.datasets.mnist so the script runs offline."""
    rng = np.random.default_rng(7)
    # class-dependent blobs so there is *something* to learn
    prototypes = rng.normal(0, 1, size=(NUM_CLASSES,) + INPUT_SHAPE).astype("float32")

    def sample(n):
        y = rng.integers(0, NUM_CLASSES, size=n)
        x = prototypes[y] + 0.8 * rng.normal(size=(n,) + INPUT_SHAPE).astype("float32")
        return x.astype("float32"), y.astype("int64")

    return sample(N_TRAIN), sample(N_TEST)


class Distiller(keras.Model):
    def __init__(self, student, teacher):
        super().__init__()
        self.teacher = teacher
        self.student = student

    def compile(
        self,
        optimizer,
        metrics,
        student_loss_fn,
        distillation_loss_fn,
        alpha=0.1,
        temperature=3,
    ):
        """Configure the distiller.

        Args:
            student_loss_fn: loss between student predictions and ground truth
            distillation_loss_fn: loss between soft student and teacher predictions
            alpha: weight on student_loss_fn, (1 - alpha) on distillation_loss_fn
            temperature: softening temperature for the probability distributions
        """
        super().compile(optimizer=optimizer, metrics=metrics)
        self.student_loss_fn = student_loss_fn
        self.distillation_loss_fn = distillation_loss_fn
        self.alpha = alpha
        self.temperature = temperature
        self.student_loss_tracker = keras.metrics.Mean(name="student_loss")
        self.distill_loss_tracker = keras.metrics.Mean(name="distillation_loss")

    def train_step(self, data):
        x, y = data

        # teacher is frozen: forward pass only
        teacher_predictions = self.teacher(x, training=False)

        with tf.GradientTape() as tape:
            student_predictions = self.student(x, training=True)
            student_loss = self.student_loss_fn(y, student_predictions)
            distillation_loss = self.distillation_loss_fn(
                tf.nn.softmax(teacher_predictions / self.temperature, axis=1),
                tf.nn.softmax(student_predictions / self.temperature, axis=1),
            ) * (self.temperature ** 2)
            loss = self.alpha * student_loss + (1 - self.alpha) * distillation_loss

        trainable_vars = self.student.trainable_variables
        gradients = tape.gradient(loss, trainable_vars)
        self.optimizer.apply_gradients(zip(gradients, trainable_vars))

        for metric in self.metrics:
            if metric.name == "compile_metrics":
                metric.update_state(y, student_predictions)
        self.student_loss_tracker.update_state(student_loss)
        self.distill_loss_tracker.update_state(distillation_loss)

        # skip the built-in "loss" tracker -- we report our own two losses instead
        results = {
            m.name: m.result()
            for m in self.metrics
            if m.name not in ("compile_metrics", "loss")
        }
        results.update(self.compiled_metrics_results())
        return results

    def compiled_metrics_results(self):
        out = {}
        for metric in self.metrics:
            if metric.name == "compile_metrics":
                res = metric.result()
                if isinstance(res, dict):
                    out.update(res)
        return out

    def test_step(self, data):
        x, y = data
        y_prediction = self.student(x, training=False)
        student_loss = self.student_loss_fn(y, y_prediction)
        self.student_loss_tracker.update_state(student_loss)
        for metric in self.metrics:
            if metric.name == "compile_metrics":
                metric.update_state(y, y_prediction)
        results = {"student_loss": self.student_loss_tracker.result()}
        results.update(self.compiled_metrics_results())
        return results

    def call(self, x):
        return self.student(x)


def build_teacher():
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(64, 3, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(128, 3, strides=2, padding="same"),
            layers.Flatten(),
            layers.Dense(NUM_CLASSES),
        ],
        name="teacher",
    )


def build_student():
    return keras.Sequential(
        [
            keras.Input(shape=INPUT_SHAPE),
            layers.Conv2D(8, 3, strides=2, padding="same"),
            layers.LeakyReLU(negative_slope=0.2),
            layers.MaxPooling2D(pool_size=(2, 2), strides=(1, 1), padding="same"),
            layers.Conv2D(16, 3, strides=2, padding="same"),
            layers.Flatten(),
            layers.Dense(NUM_CLASSES),
        ],
        name="student",
    )


def main():
    (x_train, y_train), (x_test, y_test) = load_fake_mnist()
    print("train:", x_train.shape, y_train.shape, " test:", x_test.shape)

    teacher = build_teacher()
    student = build_student()
    # a clone of the student trained from scratch, for comparison
    student_scratch = keras.models.clone_model(student)

    teacher.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    teacher.fit(x_train, y_train, batch_size=BATCH, epochs=TEACHER_EPOCHS, verbose=2)
    teacher.evaluate(x_test, y_test, verbose=2)
    teacher.trainable = False

    print(f"teacher params: {teacher.count_params():,} | student params: {student.count_params():,}")

    distiller = Distiller(student=student, teacher=teacher)
    distiller.compile(
        optimizer=keras.optimizers.Adam(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
        student_loss_fn=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        distillation_loss_fn=keras.losses.KLDivergence(),
        alpha=ALPHA,
        temperature=TEMPERATURE,
    )
    distiller.fit(x_train, y_train, batch_size=BATCH, epochs=DISTILL_EPOCHS, verbose=2)
    print("distilled student:", distiller.evaluate(x_test, y_test, verbose=0, return_dict=True))

    student_scratch.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    student_scratch.fit(x_train, y_train, batch_size=BATCH, epochs=DISTILL_EPOCHS, verbose=0)
    print("scratch student:", student_scratch.evaluate(x_test, y_test, verbose=0, return_dict=True))


if __name__ == "__main__":
    main()

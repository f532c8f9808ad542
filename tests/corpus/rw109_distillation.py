"""Knowledge distillation: a wide teacher MLP -> a thin student MLP.

Teacher is trained with plain fit(); the student is trained with a custom
keras.Model subclass whose train_step mixes hard-label CE and the
temperature-softened KL divergence to the teacher.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

NUM_FEATURES = 20
NUM_CLASSES = 5
N_TRAIN, N_TEST = 600, 200
TEMPERATURE = 4.0
ALPHA = 0.3  # weight on the hard-label loss

rng = np.random.default_rng(123)


def make_blobs(n):
    centers = rng.normal(scale=3.0, size=(NUM_CLASSES, NUM_FEATURES))
    labels = rng.integers(0, NUM_CLASSES, size=n)
    feats = centers[labels] + rng.normal(scale=2.5, size=(n, NUM_FEATURES))
    feats = (feats - feats.mean(0)) / feats.std(0)
    return feats.astype(np.float32), labels.astype(np.int64)


x, y = make_blobs(N_TRAIN + N_TEST)
x_train, y_train = x[:N_TRAIN], y[:N_TRAIN]
x_test, y_test = x[N_TRAIN:], y[N_TRAIN:]


def mlp(widths, name, dropout=0.0):
    layer_list = [keras.Input(shape=(NUM_FEATURES,))]
    for w in widths:
        layer_list.append(keras.layers.Dense(w, activation="relu"))
        if dropout:
            layer_list.append(keras.layers.Dropout(dropout))
    layer_list.append(keras.layers.Dense(NUM_CLASSES, name="logits"))
    return keras.Sequential(layer_list, name=name)


class Distiller(keras.Model):
    def __init__(self, student, teacher, temperature=3.0, alpha=0.1):
        super().__init__()
        self.student = student
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha
        self.hard_loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.kl = keras.losses.KLDivergence()
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.hard_tracker = keras.metrics.Mean(name="hard_loss")
        self.soft_tracker = keras.metrics.Mean(name="distill_loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    @property
    def metrics(self):
        return [self.total_tracker, self.hard_tracker, self.soft_tracker, self.acc]

    def call(self, inputs, training=False):
        return self.student(inputs, training=training)

    def train_step(self, data):
        x, y = data
        t = self.temperature
        teacher_logits = self.teacher(x, training=False)
        with tf.GradientTape() as tape:
            student_logits = self.student(x, training=True)
            hard = self.hard_loss_fn(y, student_logits)
            soft = self.kl(
                tf.nn.softmax(teacher_logits / t, axis=-1),
                tf.nn.softmax(student_logits / t, axis=-1),
            ) * (t ** 2)
            loss = self.alpha * hard + (1.0 - self.alpha) * soft
        grads = tape.gradient(loss, self.student.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.student.trainable_variables))
        self.total_tracker.update_state(loss)
        self.hard_tracker.update_state(hard)
        self.soft_tracker.update_state(soft)
        self.acc.update_state(y, student_logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self.student(x, training=False)
        hard = self.hard_loss_fn(y, logits)
        self.hard_tracker.update_state(hard)
        self.acc.update_state(y, logits)
        return {"hard_loss": self.hard_tracker.result(), "acc": self.acc.result()}


# --- 1. teacher -----------------------------------------------------------
teacher = mlp([256, 128], "teacher", dropout=0.2)
teacher.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
teacher.fit(x_train, y_train, batch_size=32, epochs=2, verbose=2)
teacher.trainable = False
_, teacher_acc = teacher.evaluate(x_test, y_test, verbose=0)

# --- 2. student via distillation ------------------------------------------
student = mlp([16], "student")
distiller = Distiller(student, teacher, temperature=TEMPERATURE, alpha=ALPHA)
distiller.compile(optimizer=keras.optimizers.Adam(3e-3))

train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(N_TRAIN).batch(32)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(64)
distiller.fit(train_ds, epochs=2, verbose=2)
distilled_results = distiller.evaluate(test_ds, verbose=0, return_dict=True)

# --- 3. same student architecture trained from scratch, for reference ------
scratch = mlp([16], "student_scratch")
scratch.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
scratch.fit(train_ds, epochs=2, verbose=0)
_, scratch_acc = scratch.evaluate(test_ds, verbose=0)

print(f"teacher params:  {teacher.count_params():>7,d}  test acc {teacher_acc:.3f}")
print(f"student params:  {student.count_params():>7,d}  test acc {distilled_results['acc']:.3f} (distilled)")
print(f"scratch params:  {scratch.count_params():>7,d}  test acc {scratch_acc:.3f} (no teacher)")

# agreement between teacher and student predictions
agree = np.mean(
    np.argmax(teacher.predict(x_test, verbose=0), -1)
    == np.argmax(student.predict(x_test, verbose=0), -1)
)
print(f"teacher/student top-1 agreement: {agree:.2%}")

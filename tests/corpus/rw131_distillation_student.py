import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---- settings -------------------------------------------------------------
H = W = 28
N_CLASSES = 6
TRAIN_N, TEST_N = 360, 120
BS = 40
TEACHER_EPOCHS = 2
STUDENT_EPOCHS = 5
TEMPERATURE = 4.0
ALPHA = 0.3  # weight of hard-label loss; (1 - ALPHA) goes to the soft targets

keras.utils.set_random_seed(2024)


# ---- toy data: noisy shapes (rings, squares, crosses...) ------------------
def draw(label, rng):
    img = np.zeros((H, W), np.float32)
    cy, cx = rng.integers(9, 19, size=2)
    r = rng.integers(4, 8)
    yy, xx = np.ogrid[:H, :W]
    dist = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
    if label == 0:
        img[dist < r] = 1
    elif label == 1:
        img[np.abs(dist - r) < 1.2] = 1
    elif label == 2:
        img[max(cy - r, 0):cy + r, max(cx - r, 0):cx + r] = 1
    elif label == 3:
        img[cy - 1:cy + 2, :] = 1
        img[:, cx - 1:cx + 2] = 1
    elif label == 4:
        np.fill_diagonal(img, 1)
        img = np.maximum(img, np.roll(img, 1, axis=1))
    else:
        img[::4, :] = 1
    return img + rng.normal(0, 0.25, img.shape).astype(np.float32)


def make_split(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, N_CLASSES, n)
    images = np.stack([draw(l, rng) for l in labels])[..., None]
    return images, labels


x_train, y_train = make_split(TRAIN_N, 0)
x_test, y_test = make_split(TEST_N, 1)
train_ds = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(TRAIN_N).batch(BS)
test_ds = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(BS)


# ---- networks -------------------------------------------------------------
def teacher_net():
    return keras.Sequential([
        layers.Input((H, W, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.3),
        layers.Dense(N_CLASSES),  # logits
    ], name="teacher")


def student_net(width=12):
    """Depthwise-separable student, a fraction of the teacher's size."""
    inp = layers.Input((H, W, 1))
    x = layers.Conv2D(width, 3, strides=2, padding="same", activation="relu")(inp)
    for mult in (1, 2):
        x = layers.SeparableConv2D(width * mult * 2, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D()(x)
    x = layers.GlobalAveragePooling2D()(x)
    out = layers.Dense(N_CLASSES)(x)
    return keras.Model(inp, out, name="student")


# ---- distiller ------------------------------------------------------------
class Distiller(keras.Model):
    def __init__(self, student, teacher, temperature=TEMPERATURE, alpha=ALPHA):
        super().__init__()
        self.student = student
        self.teacher = teacher
        self.teacher.trainable = False
        self.temperature = temperature
        self.alpha = alpha
        self.hard_loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.kl = keras.losses.KLDivergence()
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.hard_tracker = keras.metrics.Mean(name="hard")
        self.soft_tracker = keras.metrics.Mean(name="soft")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")

    @property
    def metrics(self):
        return [self.loss_tracker, self.hard_tracker, self.soft_tracker, self.acc]

    def call(self, x, training=False):
        return self.student(x, training=training)

    def soft_loss(self, teacher_logits, student_logits):
        t = self.temperature
        p_teacher = tf.nn.softmax(teacher_logits / t, axis=-1)
        p_student = tf.nn.softmax(student_logits / t, axis=-1)
        # scale by T^2 so gradient magnitudes stay comparable to the hard loss
        return self.kl(p_teacher, p_student) * (t ** 2)

    def train_step(self, data):
        x, y = data
        teacher_logits = self.teacher(x, training=False)
        with tf.GradientTape() as tape:
            student_logits = self.student(x, training=True)
            hard = self.hard_loss_fn(y, student_logits)
            soft = self.soft_loss(teacher_logits, student_logits)
            loss = self.alpha * hard + (1.0 - self.alpha) * soft
        grads = tape.gradient(loss, self.student.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.student.trainable_variables))
        for tracker, value in ((self.loss_tracker, loss), (self.hard_tracker, hard),
                               (self.soft_tracker, soft)):
            tracker.update_state(value)
        self.acc.update_state(y, student_logits)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self.student(x, training=False)
        hard = self.hard_loss_fn(y, logits)
        self.loss_tracker.update_state(hard)
        self.hard_tracker.update_state(hard)
        self.acc.update_state(y, logits)
        return {"loss": self.loss_tracker.result(), "acc": self.acc.result()}


def accuracy(model, ds):
    m = keras.metrics.SparseCategoricalAccuracy()
    for xb, yb in ds:
        m.update_state(yb, model(xb, training=False))
    return float(m.result())


# ---- 1) teacher ----------------------------------------------------------
teacher = teacher_net()
teacher.compile(optimizer="adam",
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
teacher.fit(train_ds, epochs=TEACHER_EPOCHS, verbose=2)
print(f"teacher acc={accuracy(teacher, test_ds):.3f} params={teacher.count_params():,}")

# ---- 2) student distilled from the teacher --------------------------------
student = student_net()
distiller = Distiller(student, teacher)
distiller.compile(optimizer=keras.optimizers.Adam(3e-3))
hist = distiller.fit(train_ds, epochs=STUDENT_EPOCHS, validation_data=test_ds, verbose=2)
print("distiller history keys:", sorted(hist.history))

# ---- 3) same student architecture trained from scratch -------------------
scratch = student_net()
scratch.compile(optimizer=keras.optimizers.Adam(3e-3),
                loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
scratch.fit(train_ds, epochs=STUDENT_EPOCHS, verbose=0)

results = {
    "teacher": (teacher.count_params(), accuracy(teacher, test_ds)),
    "student (KD)": (student.count_params(), accuracy(student, test_ds)),
    "student (scratch)": (scratch.count_params(), accuracy(scratch, test_ds)),
}
print()
for name, (params, acc) in results.items():
    print(f"{name:<18} params={params:>8,}  acc={acc:.3f}")
ratio = results["teacher"][0] / results["student (KD)"][0]
print(f"compression: {ratio:.1f}x fewer parameters")

# soft targets at different temperatures for one sample
logits = teacher(x_test[:1], training=False)
for t in (1.0, TEMPERATURE, 10.0):
    probs = tf.nn.softmax(logits / t).numpy().ravel()
    print(f"T={t:>4}: " + " ".join(f"{p:.2f}" for p in probs))

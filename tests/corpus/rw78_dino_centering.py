"""DINO: self-distillation with no labels (toy TF/Keras reproduction).

Key ingredients reproduced here:
  * multi-crop: 2 global crops (teacher + student) and several local crops (student only)
  * teacher = EMA of the student, never receives gradients
  * teacher outputs are *centered* (running mean `C`) and *sharpened* (low temperature)
    to avoid collapse
  * DINO head with an L2-normalised bottleneck and a weight-normalised last layer
  * teacher temperature warm-up, gradient clipping, freezing the last layer early on
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

tf.random.set_seed(7)
np.random.seed(7)

# ----------------------------------------------------------------- config ----
GLOBAL_SIZE = 32
LOCAL_SIZE = 16
N_LOCAL_CROPS = 4
OUT_DIM = 256            # number of "prototypes"
BOTTLENECK = 32
STUDENT_TEMP = 0.1
TEACHER_TEMP = 0.04
WARMUP_TEACHER_TEMP = 0.02
WARMUP_TEACHER_EPOCHS = 1
CENTER_MOMENTUM = 0.9
TEACHER_MOMENTUM = 0.996
FREEZE_LAST_LAYER_EPOCHS = 1
CLIP_GRAD = 3.0
BATCH = 16
N_IMAGES = 128
EPOCHS = 2
LR = 5e-4


# ------------------------------------------------------------ multi-crop -----
def random_resized_crop(img, out_size, scale=(0.3, 1.0)):
    h = tf.shape(img)[0]
    s = tf.sqrt(tf.random.uniform([], scale[0], scale[1]))
    crop = tf.maximum(tf.cast(tf.cast(h, tf.float32) * s, tf.int32), 4)
    patch = tf.image.random_crop(img, tf.stack([crop, crop, 3]))
    patch = tf.image.resize(patch, (out_size, out_size))
    patch = tf.image.random_flip_left_right(patch)
    patch = tf.image.random_brightness(patch, 0.3)
    return tf.clip_by_value(patch, 0.0, 1.0)


def multi_crop(img):
    global_crops = [random_resized_crop(img, GLOBAL_SIZE, (0.4, 1.0)) for _ in range(2)]
    local_crops = [random_resized_crop(img, LOCAL_SIZE, (0.05, 0.4)) for _ in range(N_LOCAL_CROPS)]
    return tuple(global_crops + local_crops)


# ----------------------------------------------------------------- model -----
class WeightNormDense(keras.layers.Layer):
    """Linear layer with weight normalisation, g fixed to 1 (as in the DINO head)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.v = self.add_weight(
            name="v", shape=(input_shape[-1], self.units),
            initializer=keras.initializers.TruncatedNormal(stddev=0.02),
        )

    def call(self, x):
        w = tf.math.l2_normalize(self.v, axis=0)
        return tf.matmul(x, w)


def make_backbone(name):
    # fully convolutional so it accepts both 32x32 and 16x16 crops
    inp = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(32, 3, padding="same", activation="gelu")(inp)
    x = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="gelu")(x)
    x = keras.layers.LayerNormalization()(x)
    x = keras.layers.Conv2D(96, 3, strides=2, padding="same", activation="gelu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, x, name=name)


def make_head(in_dim, name):
    inp = keras.Input((in_dim,))
    x = keras.layers.Dense(128, activation="gelu")(inp)
    x = keras.layers.Dense(128, activation="gelu")(x)
    x = keras.layers.Dense(BOTTLENECK)(x)
    x = keras.layers.UnitNormalization(axis=-1)(x)
    out = WeightNormDense(OUT_DIM, name="last_layer")(x)
    return keras.Model(inp, out, name=name)


class MultiCropWrapper(keras.Model):
    """Runs the backbone once per resolution group, then the head on all features."""

    def __init__(self, backbone, head, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.head = head

    def call(self, crops, training=False):
        # group consecutive crops with identical resolution (known statically)
        feats = []
        start = 0
        sizes = [c.shape[1] for c in crops]
        while start < len(crops):
            end = start
            while end < len(crops) and sizes[end] == sizes[start]:
                end += 1
            batch = tf.concat(crops[start:end], axis=0)
            feats.append(self.backbone(batch, training=training))
            start = end
        return self.head(tf.concat(feats, axis=0), training=training)


student = MultiCropWrapper(make_backbone("student_backbone"), make_head(96, "student_head"))
teacher = MultiCropWrapper(make_backbone("teacher_backbone"), make_head(96, "teacher_head"))

# build both with dummy inputs, then copy student -> teacher
_dummy = [tf.zeros((1, GLOBAL_SIZE, GLOBAL_SIZE, 3))] * 2 + [tf.zeros((1, LOCAL_SIZE, LOCAL_SIZE, 3))] * N_LOCAL_CROPS
student(_dummy)
teacher(_dummy[:2])
teacher.set_weights(student.get_weights())
teacher.trainable = False


# ----------------------------------------------------------------- loss ------
class DINOLoss:
    def __init__(self, out_dim, n_crops, warmup_teacher_temp, teacher_temp,
                 warmup_epochs, n_epochs, student_temp=0.1, center_momentum=0.9):
        self.student_temp = student_temp
        self.center_momentum = center_momentum
        self.n_crops = n_crops
        self.center = tf.Variable(tf.zeros((1, out_dim)), trainable=False, name="center")
        self.teacher_temp_schedule = np.concatenate([
            np.linspace(warmup_teacher_temp, teacher_temp, warmup_epochs),
            np.ones(n_epochs - warmup_epochs) * teacher_temp,
        ]).astype("float32")

    def __call__(self, student_out, teacher_out, teacher_temp):
        student_out = student_out / self.student_temp
        student_chunks = tf.split(student_out, self.n_crops, axis=0)

        # centering + sharpening of the teacher
        teacher_probs = tf.nn.softmax((teacher_out - self.center) / teacher_temp, axis=-1)
        teacher_probs = tf.stop_gradient(teacher_probs)
        teacher_chunks = tf.split(teacher_probs, 2, axis=0)

        total, n_terms = 0.0, 0
        for iq, q in enumerate(teacher_chunks):
            for v, s in enumerate(student_chunks):
                if v == iq:
                    continue  # skip same view for teacher and student
                loss = tf.reduce_sum(-q * tf.nn.log_softmax(s, axis=-1), axis=-1)
                total += tf.reduce_mean(loss)
                n_terms += 1
        return total / n_terms

    def update_center(self, teacher_out):
        batch_center = tf.reduce_mean(teacher_out, axis=0, keepdims=True)
        self.center.assign(self.center * self.center_momentum
                           + batch_center * (1 - self.center_momentum))


dino_loss = DINOLoss(OUT_DIM, 2 + N_LOCAL_CROPS, WARMUP_TEACHER_TEMP, TEACHER_TEMP,
                     WARMUP_TEACHER_EPOCHS, EPOCHS, STUDENT_TEMP, CENTER_MOMENTUM)
optimizer = keras.optimizers.AdamW(learning_rate=LR, weight_decay=0.04)


def build_train_step(freeze_last_layer):
    """Returns a compiled step; we rebuild it when the last-layer freeze ends."""
    last_layer_vars = {id(v) for v in student.head.get_layer("last_layer").trainable_variables}

    @tf.function
    def train_step(crops, teacher_temp):
        global_crops = list(crops[:2])
        with tf.GradientTape() as tape:
            teacher_out = teacher(global_crops, training=False)
            student_out = student(list(crops), training=True)
            loss = dino_loss(student_out, teacher_out, teacher_temp)

        tvars = student.trainable_variables
        grads = tape.gradient(loss, tvars)
        grads, grad_norm = tf.clip_by_global_norm(grads, CLIP_GRAD)
        if freeze_last_layer:
            grads = [tf.zeros_like(g) if id(v) in last_layer_vars else g
                     for g, v in zip(grads, tvars)]
        optimizer.apply_gradients(zip(grads, tvars))

        # EMA teacher update and center update
        for ws, wt in zip(student.weights, teacher.weights):
            wt.assign(TEACHER_MOMENTUM * wt + (1.0 - TEACHER_MOMENTUM) * ws)
        dino_loss.update_center(teacher_out)
        return loss, grad_norm, teacher_out

    return train_step


def teacher_entropy(teacher_out, temp):
    p = tf.nn.softmax((teacher_out - dino_loss.center) / temp, axis=-1)
    return float(tf.reduce_mean(tf.reduce_sum(-p * tf.math.log(p + 1e-12), axis=-1)))


def main():
    images = np.random.rand(N_IMAGES, GLOBAL_SIZE, GLOBAL_SIZE, 3).astype("float32")
    ds = (tf.data.Dataset.from_tensor_slices(images)
          .shuffle(N_IMAGES)
          .map(multi_crop, num_parallel_calls=tf.data.AUTOTUNE)
          .batch(BATCH, drop_remainder=True)
          .prefetch(tf.data.AUTOTUNE))

    crops = next(iter(ds))
    print("crop shapes:", [tuple(c.shape) for c in crops])
    print("student logits:", student(list(crops)).shape)

    for epoch in range(EPOCHS):
        step_fn = build_train_step(freeze_last_layer=epoch < FREEZE_LAST_LAYER_EPOCHS)
        t_temp = tf.constant(dino_loss.teacher_temp_schedule[epoch])
        losses = []
        for crops in ds:
            loss, gnorm, t_out = step_fn(crops, t_temp)
            losses.append(loss.numpy())
        print(f"epoch {epoch}: loss={np.mean(losses):.4f} grad_norm={float(gnorm):.3f} "
              f"teacher_temp={float(t_temp):.3f} "
              f"teacher_entropy={teacher_entropy(t_out, t_temp):.3f} "
              f"|center|={float(tf.norm(dino_loss.center)):.4f}")


if __name__ == "__main__":
    main()

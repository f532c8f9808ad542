# PointNet-style classifier for synthetic point clouds (sphere / cube / cylinder / cone)
# includes the input T-Net + feature T-Net with orthogonality regularizer
import math
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

NUM_POINTS = 256
SHAPES = ["sphere", "cube", "cylinder", "cone"]
PER_CLASS = 80
BATCH = 32

rng = np.random.default_rng(123)


def sample_sphere(n):
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def sample_cube(n):
    pts = rng.uniform(-1, 1, size=(n, 3))
    face = rng.integers(0, 3, size=n)
    sign = rng.choice([-1.0, 1.0], size=n)
    pts[np.arange(n), face] = sign
    return pts


def sample_cylinder(n):
    theta = rng.uniform(0, 2 * math.pi, n)
    z = rng.uniform(-1, 1, n)
    return np.stack([np.cos(theta), np.sin(theta), z], axis=1)


def sample_cone(n):
    theta = rng.uniform(0, 2 * math.pi, n)
    h = rng.uniform(0, 1, n)
    r = 1 - h
    return np.stack([r * np.cos(theta), r * np.sin(theta), 2 * h - 1], axis=1)


SAMPLERS = dict(zip(SHAPES, [sample_sphere, sample_cube, sample_cylinder, sample_cone]))


def random_rotation_z():
    a = rng.uniform(0, 2 * math.pi)
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def make_clouds():
    xs, ys = [], []
    for label, name in enumerate(SHAPES):
        for _ in range(PER_CLASS):
            pts = SAMPLERS[name](NUM_POINTS) @ random_rotation_z().T
            pts *= rng.uniform(0.7, 1.3)  # random scale
            xs.append(pts)
            ys.append(label)
    x = np.asarray(xs, dtype=np.float32)
    y = np.asarray(ys, dtype=np.int64)
    perm = rng.permutation(len(x))
    return x[perm], y[perm]


def jitter_and_shuffle(points, label):
    points = points + tf.random.normal(tf.shape(points), stddev=0.01)
    points = tf.random.shuffle(points)  # point order must not matter
    return points, label


class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """Pushes the learned k x k transform towards an orthogonal matrix."""

    def __init__(self, num_features, l2reg=0.001):
        self.num_features = num_features
        self.l2reg = l2reg

    def __call__(self, x):
        x = tf.reshape(x, (-1, self.num_features, self.num_features))
        xxt = tf.tensordot(x, x, axes=(2, 2))
        xxt = tf.reshape(xxt, (-1, self.num_features, self.num_features))
        eye = tf.eye(self.num_features)
        return tf.reduce_sum(self.l2reg * tf.square(xxt - eye))

    def get_config(self):
        return {"num_features": self.num_features, "l2reg": self.l2reg}


def conv_bn(x, filters):
    x = layers.Conv1D(filters, kernel_size=1, padding="valid")(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


def dense_bn(x, units):
    x = layers.Dense(units)(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


def tnet(inputs, k):
    bias = keras.initializers.Constant(np.eye(k).flatten())
    reg = OrthogonalRegularizer(k)
    x = conv_bn(inputs, 16)
    x = conv_bn(x, 32)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 32)
    x = layers.Dense(k * k, kernel_initializer="zeros", bias_initializer=bias,
                     activity_regularizer=reg)(x)
    feat_T = layers.Reshape((k, k))(x)
    return layers.Dot(axes=(2, 1))([inputs, feat_T])


def build_pointnet(num_points, num_classes):
    inputs = keras.Input(shape=(num_points, 3))
    x = tnet(inputs, 3)
    x = conv_bn(x, 32)
    x = conv_bn(x, 32)
    x = tnet(x, 32)
    for f in (32, 64, 128):
        x = conv_bn(x, f)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 64)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="pointnet")


x, y = make_clouds()
n_val = len(x) // 5
train_ds = (tf.data.Dataset.from_tensor_slices((x[n_val:], y[n_val:]))
            .shuffle(512)
            .map(jitter_and_shuffle)
            .batch(BATCH))
val_ds = tf.data.Dataset.from_tensor_slices((x[:n_val], y[:n_val])).batch(BATCH)

model = build_pointnet(NUM_POINTS, len(SHAPES))
model.compile(
    loss="sparse_categorical_crossentropy",
    optimizer=keras.optimizers.Adam(learning_rate=0.001),
    metrics=["sparse_categorical_accuracy"],
)
print(f"PointNet params: {model.count_params()}")
model.fit(train_ds, epochs=2, validation_data=val_ds, verbose=2)

points, labels = next(iter(val_ds))
probs = model.predict(points[:6], verbose=0)
for p, t in zip(probs, labels[:6].numpy()):
    print(f"pred={SHAPES[int(p.argmax())]:9s} ({p.max():.2f})  true={SHAPES[t]}")

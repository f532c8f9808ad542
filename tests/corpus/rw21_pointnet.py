"""PointNet classifier on synthetic point clouds.

Generates toy shapes (sphere, cube surface, cylinder) as point clouds,
applies random rotations + jitter, and trains a small PointNet with an
input T-Net and a feature T-Net (orthogonality regulariser on the latter).
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

NUM_POINTS = 256
NUM_CLASSES = 3
SAMPLES_PER_CLASS = 48
BATCH_SIZE = 16
SEED = 7

rng = np.random.default_rng(SEED)


def sample_sphere(n):
    pts = rng.normal(size=(n, 3))
    return pts / np.linalg.norm(pts, axis=1, keepdims=True)


def sample_cube(n):
    pts = rng.uniform(-1.0, 1.0, size=(n, 3))
    face = rng.integers(0, 3, size=n)
    sign = rng.choice([-1.0, 1.0], size=n)
    pts[np.arange(n), face] = sign
    return pts


def sample_cylinder(n):
    theta = rng.uniform(0, 2 * np.pi, size=n)
    z = rng.uniform(-1.0, 1.0, size=n)
    return np.stack([np.cos(theta), np.sin(theta), z], axis=1)


def random_rotation():
    # rotation around z axis only, like in the original paper's augmentation
    a = rng.uniform(0, 2 * np.pi)
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def make_dataset():
    samplers = [sample_sphere, sample_cube, sample_cylinder]
    clouds, labels = [], []
    for label, fn in enumerate(samplers):
        for _ in range(SAMPLES_PER_CLASS):
            pts = fn(NUM_POINTS) @ random_rotation().T
            pts += rng.normal(scale=0.02, size=pts.shape)
            clouds.append(pts)
            labels.append(label)
    x = np.asarray(clouds, dtype="float32")
    y = np.asarray(labels, dtype="int32")
    perm = rng.permutation(len(y))
    return x[perm], y[perm]


class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """Penalises ||I - A A^T||^2 for a batch of k x k transforms."""

    def __init__(self, num_features, l2reg=0.001):
        self.num_features = num_features
        self.l2reg = l2reg
        self.eye = tf.eye(num_features)

    def __call__(self, x):
        x = tf.reshape(x, (-1, self.num_features, self.num_features))
        xxt = tf.tensordot(x, x, axes=(2, 2))
        xxt = tf.reshape(xxt, (-1, self.num_features, self.num_features))
        return tf.reduce_sum(self.l2reg * tf.square(xxt - self.eye))

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


class ApplyTransform(layers.Layer):
    """Multiplies each point (B, N, k) by a learned (B, k, k) matrix."""

    def call(self, points, transform):
        return tf.matmul(points, transform)


def tnet(inputs, num_features, name):
    bias = keras.initializers.Constant(np.eye(num_features).flatten())
    reg = OrthogonalRegularizer(num_features) if num_features > 3 else None

    x = conv_bn(inputs, 32)
    x = conv_bn(x, 64)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 64)
    x = dense_bn(x, 32)
    x = layers.Dense(
        num_features * num_features,
        kernel_initializer="zeros",
        bias_initializer=bias,
        activity_regularizer=reg,
        name=f"{name}_matrix",
    )(x)
    feat_t = layers.Reshape((num_features, num_features))(x)
    return ApplyTransform(name=f"{name}_apply")(inputs, feat_t)


def build_pointnet():
    inputs = keras.Input(shape=(NUM_POINTS, 3), name="points")
    x = tnet(inputs, 3, "input_tnet")
    x = conv_bn(x, 32)
    x = conv_bn(x, 32)
    x = tnet(x, 32, "feature_tnet")
    x = conv_bn(x, 32)
    x = conv_bn(x, 64)
    x = conv_bn(x, 256)
    x = layers.GlobalMaxPooling1D(name="global_feature")(x)
    x = dense_bn(x, 128)
    x = layers.Dropout(0.3)(x)
    x = dense_bn(x, 64)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="pointnet")


def augment(points, label):
    points += tf.random.uniform(tf.shape(points), -0.005, 0.005, dtype=tf.float32)
    points = tf.random.shuffle(points)
    return points, label


def main():
    tf.random.set_seed(SEED)
    x, y = make_dataset()
    split = int(0.8 * len(x))
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
        .shuffle(split, seed=SEED)
        .map(augment)
        .batch(BATCH_SIZE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x[split:], y[split:])).batch(BATCH_SIZE)

    model = build_pointnet()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    model.summary(line_length=100)
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

    preds = model.predict(x[split:split + 8], verbose=0)
    print("predicted:", np.argmax(preds, axis=-1))
    print("actual:   ", y[split:split + 8])

    # Inspect the learned input transform for the first cloud
    tmat = model.get_layer("input_tnet_matrix").output
    probe = keras.Model(model.input, tmat)
    mat = probe.predict(x[:1], verbose=0).reshape(3, 3)
    print("input transform:\n", np.round(mat, 3))


if __name__ == "__main__":
    main()

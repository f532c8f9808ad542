"""PointNet classification on (synthetic) point clouds.

Follows the structure of the keras.io PointNet example: shared MLPs are
1x1 Conv1D layers, two T-Net blocks predict input/feature alignment matrices
(regularised towards orthogonality), and a global max-pool gives the
permutation-invariant shape descriptor.

Instead of ModelNet10 we sample points from three primitive shapes
(sphere, cube surface, cylinder) so the script needs no download.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

NUM_POINTS = 128
NUM_CLASSES = 3
BATCH_SIZE = 16
SAMPLES_PER_CLASS = 32
CLASS_MAP = {0: "sphere", 1: "cube", 2: "cylinder"}

tf.random.set_seed(1234)
rng = np.random.default_rng(1234)


# ---------------------------------------------------------------------------
# Synthetic point cloud generation
# ---------------------------------------------------------------------------
def sample_sphere(n):
    pts = rng.normal(size=(n, 3))
    return pts / np.linalg.norm(pts, axis=1, keepdims=True)


def sample_cube(n):
    pts = rng.uniform(-1, 1, size=(n, 3))
    face_axis = rng.integers(0, 3, size=n)
    pts[np.arange(n), face_axis] = np.sign(rng.uniform(-1, 1, size=n))
    return pts


def sample_cylinder(n):
    theta = rng.uniform(0, 2 * np.pi, size=n)
    z = rng.uniform(-1, 1, size=n)
    return np.stack([np.cos(theta), np.sin(theta), z], axis=-1)


SAMPLERS = [sample_sphere, sample_cube, sample_cylinder]


def parse_dataset(num_points=NUM_POINTS, per_class=SAMPLES_PER_CLASS):
    points, labels = [], []
    for label, sampler in enumerate(SAMPLERS):
        for _ in range(per_class):
            cloud = sampler(num_points)
            # random anisotropic scale + rotation around z so it's not trivial
            cloud = cloud * rng.uniform(0.6, 1.4, size=(1, 3))
            angle = rng.uniform(0, 2 * np.pi)
            rot = np.array(
                [[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]]
            )
            points.append(cloud @ rot.T)
            labels.append(label)
    points = np.asarray(points, dtype="float32")
    labels = np.asarray(labels, dtype="int32")
    idx = rng.permutation(len(labels))
    return points[idx], labels[idx]


def augment(points, label):
    # jitter points
    points += tf.random.uniform(points.shape, -0.005, 0.005, dtype=points.dtype)
    # shuffle points
    points = tf.random.shuffle(points)
    return points, label


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def conv_bn(x, filters):
    x = layers.Conv1D(filters, kernel_size=1, padding="valid")(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


def dense_bn(x, filters):
    x = layers.Dense(filters)(x)
    x = layers.BatchNormalization(momentum=0.0)(x)
    return layers.Activation("relu")(x)


class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """Pushes the predicted feature transform towards an orthogonal matrix."""

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


def tnet(inputs, num_features):
    # Initialise bias as the identity matrix
    bias = keras.initializers.Constant(np.eye(num_features).flatten())
    reg = OrthogonalRegularizer(num_features)

    x = conv_bn(inputs, 16)
    x = conv_bn(x, 32)
    x = conv_bn(x, 128)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 64)
    x = dense_bn(x, 32)
    x = layers.Dense(
        num_features * num_features,
        kernel_initializer="zeros",
        bias_initializer=bias,
        activity_regularizer=reg,
    )(x)
    feat_T = layers.Reshape((num_features, num_features))(x)
    # Apply affine transformation to input features
    return layers.Dot(axes=(2, 1))([inputs, feat_T])


def build_pointnet(num_points=NUM_POINTS, num_classes=NUM_CLASSES):
    inputs = keras.Input(shape=(num_points, 3))

    x = tnet(inputs, 3)
    x = conv_bn(x, 16)
    x = conv_bn(x, 16)
    x = tnet(x, 16)
    x = conv_bn(x, 16)
    x = conv_bn(x, 32)
    x = conv_bn(x, 256)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 128)
    x = layers.Dropout(0.3)(x)
    x = dense_bn(x, 64)
    x = layers.Dropout(0.3)(x)

    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="pointnet")


def main():
    points, labels = parse_dataset()
    n_train = int(0.8 * len(labels))
    train_points, train_labels = points[:n_train], labels[:n_train]
    test_points, test_labels = points[n_train:], labels[n_train:]
    print("train:", train_points.shape, "test:", test_points.shape)

    train_dataset = tf.data.Dataset.from_tensor_slices((train_points, train_labels))
    test_dataset = tf.data.Dataset.from_tensor_slices((test_points, test_labels))
    train_dataset = train_dataset.shuffle(len(train_points)).map(augment).batch(BATCH_SIZE)
    test_dataset = test_dataset.batch(BATCH_SIZE)

    model = build_pointnet()
    model.summary()
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.001),
        metrics=["sparse_categorical_accuracy"],
        jit_compile=False,  # XLA compile of the T-Nets is slow on CPU
    )
    model.fit(train_dataset, epochs=1, validation_data=test_dataset, verbose=2)

    # Predict a handful of test shapes.
    data = test_dataset.take(1)
    pts, lbls = list(data)[0]
    preds = model(pts[:6], training=False)
    preds = tf.math.argmax(preds, -1)
    for i in range(6):
        print(
            "pred: {:8s} label: {:8s}".format(
                CLASS_MAP[int(preds[i].numpy())], CLASS_MAP[int(lbls[i].numpy())]
            )
        )


if __name__ == "__main__":
    main()

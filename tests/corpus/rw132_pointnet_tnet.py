"""PointNet classifier with input and feature T-Nets on synthetic shapes.

Shapes: sphere, cube surface, cylinder, torus — sampled as point clouds,
randomly rotated about z and jittered inside a tf.data map.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

NUM_POINTS = 128
SAMPLES_PER_CLASS = 60
BATCH_SIZE = 32
EPOCHS = 2
CLASS_NAMES = ["sphere", "cube", "cylinder", "torus"]
RNG = np.random.default_rng(42)


# --- synthetic shape sampling ------------------------------------------------
def sample_sphere(n):
    v = RNG.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def sample_cube(n):
    pts = RNG.uniform(-1, 1, size=(n, 3))
    face_axis = RNG.integers(0, 3, size=n)
    face_sign = RNG.choice([-1.0, 1.0], size=n)
    pts[np.arange(n), face_axis] = face_sign
    return pts


def sample_cylinder(n):
    theta = RNG.uniform(0, 2 * np.pi, n)
    z = RNG.uniform(-1, 1, n)
    return np.stack([np.cos(theta), np.sin(theta), z], axis=1)


def sample_torus(n, R=1.0, r=0.35):
    u = RNG.uniform(0, 2 * np.pi, n)
    v = RNG.uniform(0, 2 * np.pi, n)
    return np.stack([(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u), r * np.sin(v)], axis=1)


SAMPLERS = [sample_sphere, sample_cube, sample_cylinder, sample_torus]


def make_dataset_arrays():
    clouds, labels = [], []
    for label, fn in enumerate(SAMPLERS):
        for _ in range(SAMPLES_PER_CLASS):
            pc = fn(NUM_POINTS) * RNG.uniform(0.7, 1.3)
            clouds.append(pc.astype("float32"))
            labels.append(label)
    clouds = np.stack(clouds)
    labels = np.array(labels, dtype="int32")
    idx = RNG.permutation(len(labels))
    return clouds[idx], labels[idx]


def augment(points, label):
    angle = tf.random.uniform((), 0.0, 2.0 * np.pi)
    c, s = tf.cos(angle), tf.sin(angle)
    rot = tf.stack([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    points = tf.matmul(points, rot)
    points += tf.random.normal(tf.shape(points), stddev=0.01)
    points = tf.random.shuffle(points)
    return points, label


# --- model ---------------------------------------------------------------------
def conv_bn(x, filters, name):
    x = layers.Conv1D(filters, kernel_size=1, padding="valid", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.0, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def dense_bn(x, units, name):
    x = layers.Dense(units, name=f"{name}_dense")(x)
    x = layers.BatchNormalization(momentum=0.0, name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


@keras.utils.register_keras_serializable(package="rw132")
class OrthogonalRegularizer(keras.regularizers.Regularizer):
    """Pushes the predicted transform A towards orthogonality: ||I - A A^T||^2."""

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


def tnet(inputs, num_features, name):
    bias = keras.initializers.Constant(np.eye(num_features).flatten())
    reg = OrthogonalRegularizer(num_features)

    x = inputs
    for i, f in enumerate([32, 64, 256]):
        x = conv_bn(x, f, f"{name}_c{i}")
    x = layers.GlobalMaxPooling1D(name=f"{name}_gmax")(x)
    for i, u in enumerate([128, 64]):
        x = dense_bn(x, u, f"{name}_d{i}")
    x = layers.Dense(
        num_features * num_features,
        kernel_initializer="zeros",
        bias_initializer=bias,
        activity_regularizer=reg,
        name=f"{name}_transform",
    )(x)
    feat_T = layers.Reshape((num_features, num_features), name=f"{name}_reshape")(x)
    return layers.Dot(axes=(2, 1), name=f"{name}_apply")([inputs, feat_T])


def build_pointnet(num_points, num_classes):
    inputs = keras.Input(shape=(num_points, 3), name="points")
    x = tnet(inputs, 3, "input_tnet")
    x = conv_bn(x, 32, "mlp1a")
    x = conv_bn(x, 32, "mlp1b")
    x = tnet(x, 32, "feat_tnet")
    x = conv_bn(x, 32, "mlp2a")
    x = conv_bn(x, 64, "mlp2b")
    x = conv_bn(x, 256, "mlp2c")
    global_feat = layers.GlobalMaxPooling1D(name="global_max")(x)
    x = dense_bn(global_feat, 128, "head1")
    x = layers.Dropout(0.3)(x)
    x = dense_bn(x, 64, "head2")
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="probs")(x)
    return keras.Model(inputs, outputs, name="pointnet")


def main():
    clouds, labels = make_dataset_arrays()
    n_val = len(labels) // 5
    train_ds = (
        tf.data.Dataset.from_tensor_slices((clouds[n_val:], labels[n_val:]))
        .shuffle(512)
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((clouds[:n_val], labels[:n_val])).batch(BATCH_SIZE)

    model = build_pointnet(NUM_POINTS, len(CLASS_NAMES))
    print(f"{model.name}: {model.count_params():,} parameters, {len(model.layers)} layers")
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=["sparse_categorical_accuracy"],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, verbose=2)

    # inspect the learned input transform on a few clouds
    tnet_model = keras.Model(model.input, model.get_layer("input_tnet_reshape").output)
    mats = tnet_model.predict(clouds[:3], verbose=0)
    for m in mats:
        ortho_err = np.abs(m @ m.T - np.eye(3)).max()
        print(f"input T-Net det={np.linalg.det(m):+.3f} orthogonality err={ortho_err:.3f}")

    probs = model.predict(clouds[:8], verbose=0)
    for p, y in zip(probs, labels[:8]):
        print(f"true={CLASS_NAMES[y]:<8} pred={CLASS_NAMES[int(p.argmax())]:<8} conf={p.max():.2f}")


if __name__ == "__main__":
    main()

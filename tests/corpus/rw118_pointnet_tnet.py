"""PointNet-style classifier on synthetic point clouds (sphere / cube / cylinder).

Small version of the classic architecture: input T-Net, shared MLP via Conv1D,
feature T-Net with an orthogonality regularizer, global max pooling.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

NUM_POINTS = 256
NUM_CLASSES = 3
SAMPLES_PER_CLASS = 90
BATCH_SIZE = 32
EPOCHS = 2
SEED = 7

rng = np.random.default_rng(SEED)


def sample_sphere(n):
    v = rng.normal(size=(n, 3))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return v


def sample_cube(n):
    pts = rng.uniform(-1, 1, size=(n, 3))
    face_axis = rng.integers(0, 3, size=n)
    sign = rng.choice([-1.0, 1.0], size=n)
    pts[np.arange(n), face_axis] = sign
    return pts


def sample_cylinder(n):
    theta = rng.uniform(0, 2 * np.pi, size=n)
    z = rng.uniform(-1, 1, size=n)
    return np.stack([np.cos(theta), np.sin(theta), z], axis=1)


SHAPE_FNS = [sample_sphere, sample_cube, sample_cylinder]


def make_dataset():
    xs, ys = [], []
    for label, fn in enumerate(SHAPE_FNS):
        for _ in range(SAMPLES_PER_CLASS):
            pts = fn(NUM_POINTS) * rng.uniform(0.5, 1.5)
            xs.append(pts.astype("float32"))
            ys.append(label)
    xs = np.stack(xs)
    ys = np.array(ys, dtype="int32")
    perm = rng.permutation(len(xs))
    return xs[perm], ys[perm]


def augment(points, label):
    # random rotation around z + jitter
    angle = tf.random.uniform((), 0.0, 2.0 * np.pi)
    c, s = tf.cos(angle), tf.sin(angle)
    rot = tf.stack([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    points = tf.matmul(points, rot)
    points += tf.random.normal(tf.shape(points), stddev=0.01)
    points = tf.random.shuffle(points)
    return points, label


class OrthogonalRegularizer(keras.regularizers.Regularizer):
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


def tnet(inputs, num_features):
    bias = keras.initializers.Constant(np.eye(num_features).flatten())
    reg = OrthogonalRegularizer(num_features)

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
    )(x)
    feat_T = layers.Reshape((num_features, num_features))(x)
    return layers.Dot(axes=(2, 1))([inputs, feat_T])


def build_pointnet():
    inputs = keras.Input(shape=(NUM_POINTS, 3))
    x = tnet(inputs, 3)
    x = conv_bn(x, 32)
    x = conv_bn(x, 32)
    x = tnet(x, 32)
    for f in (32, 64, 256):
        x = conv_bn(x, f)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 128)
    x = layers.Dropout(0.3)(x)
    x = dense_bn(x, 64)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
    return keras.Model(inputs=inputs, outputs=outputs, name="pointnet")


def main():
    tf.random.set_seed(SEED)
    x, y = make_dataset()
    split = int(0.8 * len(x))
    train_ds = (
        tf.data.Dataset.from_tensor_slices((x[:split], y[:split]))
        .shuffle(len(x))
        .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x[split:], y[split:])).batch(BATCH_SIZE)

    model = build_pointnet()
    model.summary(line_length=100)
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        metrics=["sparse_categorical_accuracy"],
    )
    history = model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS)
    print({k: round(v[-1], 4) for k, v in history.history.items()})

    preds = model.predict(x[split:split + 8], verbose=0)
    names = ["sphere", "cube", "cylinder"]
    for p, t in zip(preds.argmax(-1), y[split:split + 8]):
        print(f"pred={names[p]:9s} true={names[t]}")


if __name__ == "__main__":
    main()

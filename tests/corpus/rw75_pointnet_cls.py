"""PointNet classification with T-Net alignment, trained with a custom GradientTape loop.

Follows the structure of the keras.io PointNet example (shared MLPs as 1x1
Conv1D, input/feature transform nets with an orthogonality regulariser,
symmetric max pooling) but on procedurally generated shapes (sphere, cube,
cylinder, cone) so it runs offline.
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

NUM_POINTS = 256
NUM_CLASSES = 4
SAMPLES_PER_CLASS = 24
BATCH_SIZE = 16
EPOCHS = 1
CLASS_NAMES = ["sphere", "cube", "cylinder", "cone"]

rng = np.random.default_rng(7)


# --------------------------------------------------------------------------
# synthetic point clouds
# --------------------------------------------------------------------------
def sample_shape(kind, n):
    if kind == "sphere":
        p = rng.normal(size=(n, 3))
        p /= np.linalg.norm(p, axis=1, keepdims=True)
    elif kind == "cube":
        p = rng.uniform(-1, 1, size=(n, 3))
        face = rng.integers(0, 3, size=n)
        p[np.arange(n), face] = np.sign(rng.uniform(-1, 1, size=n))
    elif kind == "cylinder":
        theta = rng.uniform(0, 2 * math.pi, n)
        p = np.stack([np.cos(theta), np.sin(theta), rng.uniform(-1, 1, n)], axis=1)
    else:  # cone
        h = rng.uniform(0, 1, n)
        theta = rng.uniform(0, 2 * math.pi, n)
        p = np.stack([(1 - h) * np.cos(theta), (1 - h) * np.sin(theta), 2 * h - 1], axis=1)
    return p.astype(np.float32)


def make_dataset():
    points, labels = [], []
    for label, name in enumerate(CLASS_NAMES):
        for _ in range(SAMPLES_PER_CLASS):
            points.append(sample_shape(name, NUM_POINTS))
            labels.append(label)
    return np.stack(points), np.array(labels, dtype=np.int32)


def normalize_cloud(pc):
    """Center on the centroid and scale into the unit sphere."""
    pc = pc - np.mean(pc, axis=0)
    return pc / np.max(np.linalg.norm(pc, axis=1))


def augment(points, label):
    # random rotation about the up (z) axis + jitter + point shuffle
    theta = tf.random.uniform([], 0.0, 2.0 * math.pi)
    c, s = tf.cos(theta), tf.sin(theta)
    rot = tf.stack([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    points = tf.matmul(points, rot)
    points += tf.clip_by_value(tf.random.normal(tf.shape(points), stddev=0.01), -0.05, 0.05)
    points = tf.random.shuffle(points)
    return points, label


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
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
    bias = keras.initializers.Constant(np.eye(num_features).flatten())
    reg = OrthogonalRegularizer(num_features)

    x = conv_bn(inputs, 32)
    x = conv_bn(x, 64)
    x = conv_bn(x, 256)
    x = layers.GlobalMaxPooling1D()(x)
    x = dense_bn(x, 128)
    x = dense_bn(x, 64)
    x = layers.Dense(num_features * num_features, kernel_initializer="zeros",
                     bias_initializer=bias, activity_regularizer=reg)(x)
    feat_t = layers.Reshape((num_features, num_features))(x)
    # (B, N, k) @ (B, k, k) -> (B, N, k)
    return layers.Dot(axes=(2, 1))([inputs, feat_t])


def build_pointnet(num_points, num_classes):
    inputs = keras.Input(shape=(num_points, 3))
    x = tnet(inputs, 3)
    x = conv_bn(x, 32)
    x = conv_bn(x, 32)
    x = tnet(x, 32)
    x = conv_bn(x, 32)
    x = conv_bn(x, 64)
    x = conv_bn(x, 256)
    x = layers.GlobalMaxPooling1D(name="global_feature")(x)
    x = dense_bn(x, 128)
    x = layers.Dropout(0.3)(x)
    x = dense_bn(x, 64)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="pointnet")


# --------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------
def main():
    points, labels = make_dataset()
    points = np.stack([normalize_cloud(p) for p in points])
    perm = rng.permutation(len(points))
    points, labels = points[perm], labels[perm]
    split = int(0.8 * len(points))

    train_ds = (tf.data.Dataset.from_tensor_slices((points[:split], labels[:split]))
                .shuffle(split)
                .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
                .batch(BATCH_SIZE))
    val_ds = tf.data.Dataset.from_tensor_slices((points[split:], labels[split:])).batch(BATCH_SIZE)

    model = build_pointnet(NUM_POINTS, NUM_CLASSES)
    print("params:", model.count_params())

    optimizer = keras.optimizers.Adam(learning_rate=1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    train_acc = keras.metrics.SparseCategoricalAccuracy()
    val_acc = keras.metrics.SparseCategoricalAccuracy()
    train_loss = keras.metrics.Mean()

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            probs = model(x, training=True)
            ce = loss_fn(y, probs)
            # model.losses holds the orthogonality penalties from both T-Nets
            loss = ce + tf.add_n(model.losses)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        train_acc.update_state(y, probs)
        train_loss.update_state(loss)
        return ce

    @tf.function
    def val_step(x, y):
        val_acc.update_state(y, model(x, training=False))

    for epoch in range(EPOCHS):
        start = time.time()
        for step, (x, y) in enumerate(train_ds):
            ce = train_step(x, y)
            if step % 2 == 0:
                print(f"  step {step}: ce={float(ce):.4f}")
        for x, y in val_ds:
            val_step(x, y)
        print(f"epoch {epoch + 1}: loss={train_loss.result():.4f} "
              f"acc={train_acc.result():.3f} val_acc={val_acc.result():.3f} "
              f"({time.time() - start:.1f}s)")
        for m in (train_acc, val_acc, train_loss):
            m.reset_state()

    # permutation invariance sanity check: shuffling the points shouldn't change output
    sample = points[split:split + 1]
    shuffled = sample[:, rng.permutation(NUM_POINTS)]
    p1 = model(sample, training=False).numpy()
    p2 = model(shuffled, training=False).numpy()
    print("max |diff| under point shuffle:", float(np.abs(p1 - p2).max()))
    print("predicted:", CLASS_NAMES[int(p1.argmax())], "| true:", CLASS_NAMES[labels[split]])


if __name__ == "__main__":
    main()

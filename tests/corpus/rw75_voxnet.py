"""VoxNet-style 3-D CNN on occupancy grids built from point clouds.

Point clouds are voxelised on the fly inside tf.data (scatter into a dense
D x D x D grid), then classified with a small Conv3D network. Includes a
custom spatial-dropout-like layer and test-time rotation voting.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


class VoxConfig:
    grid = 16            # voxels per side
    pad = 1              # empty border voxels
    n_points = 600
    n_classes = 3
    n_train = 60
    n_test = 12
    batch = 12
    epochs = 2
    n_votes = 4          # rotations for test-time voting


C = VoxConfig()


# ---------------------------------------------------------------- data ----
def random_cloud(label, rng):
    n = C.n_points
    if label == 0:                     # table: flat top + 4 legs
        top = np.c_[rng.uniform(-1, 1, n // 2), rng.uniform(-.6, .6, n // 2), np.full(n // 2, .8)]
        legs = []
        for sx in (-.9, .9):
            for sy in (-.5, .5):
                m = n // 8
                legs.append(np.c_[np.full(m, sx), np.full(m, sy), rng.uniform(-1, .8, m)])
        pts = np.concatenate([top] + legs)
    elif label == 1:                   # chair-ish: seat + back
        seat = np.c_[rng.uniform(-.6, .6, n // 2), rng.uniform(-.6, .6, n // 2), np.zeros(n // 2)]
        back = np.c_[rng.uniform(-.6, .6, n // 2), np.full(n // 2, -.6), rng.uniform(0, 1, n // 2)]
        pts = np.concatenate([seat, back])
    else:                              # bottle: cylinder
        th = rng.uniform(0, 2 * np.pi, n)
        pts = np.c_[.3 * np.cos(th), .3 * np.sin(th), rng.uniform(-1, 1, n)]
    pts += rng.normal(0, 0.02, pts.shape)
    return pts.astype(np.float32)


def make_split(n, rng):
    labels = rng.integers(0, C.n_classes, n)
    clouds = np.stack([random_cloud(l, rng)[:C.n_points] for l in labels])
    return clouds, labels.astype(np.int32)


def rotate_z(points, angle):
    c, s = tf.cos(angle), tf.sin(angle)
    zero, one = tf.zeros_like(c), tf.ones_like(c)
    rot = tf.reshape(tf.stack([c, -s, zero, s, c, zero, zero, zero, one]), (3, 3))
    return points @ tf.transpose(rot)


def voxelize(points):
    """(N, 3) float points -> (G, G, G, 1) binary occupancy grid."""
    g = C.grid
    inner = g - 2 * C.pad
    mins = tf.reduce_min(points, axis=0)
    maxs = tf.reduce_max(points, axis=0)
    # keep aspect ratio: scale by the largest extent
    extent = tf.reduce_max(maxs - mins) + 1e-6
    center = (mins + maxs) / 2.0
    normed = (points - center) / extent + 0.5           # roughly [0, 1]
    idx = tf.cast(tf.floor(normed * (inner - 1) + 0.5), tf.int32) + C.pad
    idx = tf.clip_by_value(idx, 0, g - 1)
    occ = tf.scatter_nd(idx, tf.ones([tf.shape(idx)[0]]), shape=[g, g, g])
    occ = tf.minimum(occ, 1.0)                          # counts -> occupancy
    return occ[..., tf.newaxis]


def train_map(points, label):
    angle = tf.random.uniform([], 0, 2 * math.pi)
    points = rotate_z(points, angle)
    points = points * tf.random.uniform([1, 3], 0.9, 1.1)   # anisotropic scale
    return voxelize(points), label


def test_map(points, label):
    return voxelize(points), label


# --------------------------------------------------------------- model ----
class VoxelDropout(layers.Layer):
    """Randomly zero whole occupied voxels of the input grid (train only)."""

    def __init__(self, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_gen = keras.random.SeedGenerator(1337)

    def call(self, x, training=False):
        if not training:
            return x
        keep = keras.random.uniform(ops.shape(x), seed=self.seed_gen) >= self.rate
        return x * ops.cast(keep, x.dtype)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


def voxnet(grid, n_classes):
    inp = keras.Input((grid, grid, grid, 1), name="occupancy")
    x = VoxelDropout(0.1)(inp)
    x = layers.Conv3D(16, 5, strides=2, padding="same")(x)
    x = layers.LeakyReLU(0.1)(x)
    x = layers.Dropout(0.2)(x)
    x = layers.Conv3D(16, 3, padding="same")(x)
    x = layers.LeakyReLU(0.1)(x)
    x = layers.MaxPooling3D(2)(x)
    x = layers.Dropout(0.3)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    x = layers.Dropout(0.4)(x)
    out = layers.Dense(n_classes)(x)
    return keras.Model(inp, out, name="voxnet")


def vote_predict(model, clouds):
    """Average logits over C.n_votes rotations about z."""
    logits = 0.0
    for k in range(C.n_votes):
        angle = tf.constant(2 * math.pi * k / C.n_votes)
        grids = tf.stack([voxelize(rotate_z(tf.constant(c), angle)) for c in clouds])
        logits += model(grids, training=False)
    return ops.softmax(logits / C.n_votes, axis=-1)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    train_pts, train_y = make_split(C.n_train, rng)
    test_pts, test_y = make_split(C.n_test, rng)

    train_ds = (tf.data.Dataset.from_tensor_slices((train_pts, train_y))
                .shuffle(C.n_train).map(train_map, num_parallel_calls=2)
                .batch(C.batch).prefetch(1))
    test_ds = tf.data.Dataset.from_tensor_slices((test_pts, test_y)).map(test_map).batch(C.batch)

    grids, ys = next(iter(train_ds))
    print("voxel batch:", grids.shape, "occupied fraction: %.3f" % float(tf.reduce_mean(grids)))

    model = voxnet(C.grid, C.n_classes)
    model.summary()
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9, nesterov=True),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(train_ds, validation_data=test_ds, epochs=C.epochs, verbose=2)

    probs = vote_predict(model, test_pts[:4])
    print("voted predictions:", ops.argmax(probs, -1).numpy(), "true:", test_y[:4])

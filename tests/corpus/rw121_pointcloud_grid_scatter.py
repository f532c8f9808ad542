"""
Toy PointPillars-style classifier.

Each sample is a padded set of 2-D points (+ intensity). A shared per-point MLP
encodes the points, then the features are scattered onto a BEV grid with
tf.tensor_scatter_nd_max / tf.scatter_nd, and a small Conv2D stack classifies
the grid. Grid features are also gathered back to points with tf.gather_nd.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras

GRID = 16
MAX_POINTS = 96
N_CLASSES = 3
N_SAMPLES = 300
FEAT = 8
XY_RANGE = (-1.0, 1.0)

rs = np.random.RandomState(3)


# ----------------------------------------------------------------- data
def sample_shape(kind, n):
    if kind == 0:   # ring
        t = rs.uniform(0, 2 * math.pi, n)
        r = rs.normal(0.6, 0.04, n)
        pts = np.stack([r * np.cos(t), r * np.sin(t)], 1)
    elif kind == 1:  # blob
        pts = rs.normal(0, 0.25, (n, 2))
    else:            # line segment with random angle
        a = rs.uniform(0, math.pi)
        s = rs.uniform(-0.8, 0.8, n)
        pts = np.stack([s * np.cos(a), s * np.sin(a)], 1) + rs.normal(0, 0.02, (n, 2))
    pts += rs.uniform(-0.1, 0.1, (1, 2))
    intensity = rs.uniform(0, 1, (n, 1))
    return np.concatenate([pts, intensity], 1).astype("float32")


def make_dataset(n):
    clouds = np.zeros((n, MAX_POINTS, 3), "float32")
    counts = np.zeros((n,), "int32")
    labels = np.zeros((n,), "int32")
    for i in range(n):
        k = i % N_CLASSES
        m = rs.randint(40, MAX_POINTS + 1)
        clouds[i, :m] = sample_shape(k, m)
        counts[i] = m
        labels[i] = k
    return clouds, counts, labels


clouds, counts, labels = make_dataset(N_SAMPLES)
print("clouds:", clouds.shape, "mean points:", counts.mean().round(1))


def to_cell_indices(xy):
    lo, hi = XY_RANGE
    cell = (xy - lo) / (hi - lo) * GRID
    cell = tf.cast(tf.floor(cell), tf.int32)
    return tf.clip_by_value(cell, 0, GRID - 1)


def preprocess(points, n_valid, label):
    valid = tf.sequence_mask(n_valid, MAX_POINTS)
    cells = to_cell_indices(points[:, :2])             # (P, 2) -> (ix, iy)
    # random jitter / flip augmentation, tensor-only
    flip = tf.random.uniform([]) < 0.5
    xy = tf.where(flip, points[:, :2] * tf.constant([-1.0, 1.0]), points[:, :2])
    cells = tf.where(flip, to_cell_indices(xy), cells)
    points = tf.concat([xy, points[:, 2:]], axis=-1)
    return {"points": points, "cells": cells, "valid": valid}, label


ds = tf.data.Dataset.from_tensor_slices((clouds, counts, labels))
val_ds = ds.take(60).map(preprocess).batch(30)
train_ds = ds.skip(60).shuffle(256).map(preprocess, num_parallel_calls=2).batch(24)


# ----------------------------------------------------------------- model
class ScatterToGrid(keras.layers.Layer):
    """(B, P, C) point features -> (B, G, G, C) grid via max-scatter, plus
    a point-count channel built with scatter_nd (which sums duplicates)."""

    def __init__(self, grid, **kw):
        super().__init__(**kw)
        self.grid = grid

    def call(self, feats, cells, valid):
        b = tf.shape(feats)[0]
        p = tf.shape(feats)[1]
        c = feats.shape[-1]
        batch_idx = tf.tile(tf.range(b)[:, None], [1, p])                 # (B, P)
        # grid is indexed [b, row=iy, col=ix]
        idx = tf.stack([batch_idx, cells[..., 1], cells[..., 0]], axis=-1)  # (B, P, 3)

        flat_idx = tf.boolean_mask(idx, valid)         # (N_valid, 3)
        flat_feat = tf.boolean_mask(feats, valid)      # (N_valid, C)

        shape = tf.stack([b, self.grid, self.grid, c])
        empty = tf.zeros(shape, feats.dtype)
        # features are post-ReLU (>= 0) so zero is a safe identity for max
        grid = tf.tensor_scatter_nd_max(empty, flat_idx, flat_feat)

        count = tf.scatter_nd(
            flat_idx, tf.ones([tf.shape(flat_idx)[0]], feats.dtype),
            tf.stack([b, self.grid, self.grid]),
        )
        occupancy = tf.math.log1p(count)[..., None]
        return tf.concat([grid, occupancy], axis=-1)


class GatherFromGrid(keras.layers.Layer):
    """Pick the grid cell feature under each point (B, P, C)."""

    def call(self, grid, cells):
        b = tf.shape(cells)[0]
        p = tf.shape(cells)[1]
        batch_idx = tf.tile(tf.range(b)[:, None], [1, p])
        idx = tf.stack([batch_idx, cells[..., 1], cells[..., 0]], axis=-1)
        return tf.gather_nd(grid, idx)


class PillarNet(keras.Model):
    def __init__(self, n_classes, feat=FEAT, grid=GRID):
        super().__init__()
        self.point_mlp = keras.Sequential(
            [keras.layers.Dense(16, activation="relu"), keras.layers.Dense(feat, activation="relu")],
            name="point_mlp",
        )
        self.scatter = ScatterToGrid(grid)
        self.gather = GatherFromGrid()
        self.convs = [
            keras.layers.Conv2D(f, 3, padding="same", activation="relu") for f in (16, 32)
        ]
        self.pools = [keras.layers.MaxPooling2D() for _ in self.convs]
        self.head = keras.Sequential(
            [keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(n_classes)], name="head"
        )
        self.point_head = keras.layers.Dense(1, name="intensity_head")

    def call(self, inputs, training=False):
        pts, cells, valid = inputs["points"], inputs["cells"], inputs["valid"]
        xy_cells = tf.cast(cells, tf.float32) / GRID
        f = self.point_mlp(tf.concat([pts, xy_cells], -1))
        grid = self.scatter(f, cells, valid)
        x = grid
        for conv, pool in zip(self.convs, self.pools):
            x = pool(conv(x))
        logits = self.head(x)

        # decorate points with their cell context and use it for a small
        # auxiliary task: reconstruct each valid point's intensity
        ctx = self.gather(grid, cells)
        point_pred = self.point_head(tf.concat([f, ctx], -1))[..., 0]
        err = tf.boolean_mask(point_pred - pts[..., 2], valid)
        self.add_loss(0.1 * tf.reduce_mean(tf.square(err)))
        return logits


model = PillarNet(N_CLASSES)
model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["sparse_categorical_accuracy"],
)
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

xb, yb = next(iter(val_ds))
logits = model(xb)
pred = tf.argmax(logits, -1, output_type=tf.int32)
print("val batch preds :", pred.numpy()[:12])
print("val batch labels:", yb.numpy()[:12])

# quick check that the scatter layer conserves the point count
grid = model.scatter(tf.ones([30, MAX_POINTS, 2]), xb["cells"], xb["valid"])
recovered = tf.reduce_sum(tf.math.expm1(grid[..., -1]), axis=[1, 2])
expected = tf.reduce_sum(tf.cast(xb["valid"], tf.float32), axis=1)
print("max count error:", float(tf.reduce_max(tf.abs(recovered - expected))))

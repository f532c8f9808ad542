"""Point cloud -> occupancy voxel grid -> 3D CNN.

Voxelisation is done in numpy (no open3d on the box). The classifier is a
subclassed keras.Model with its own train_step / test_step so that we can
add a simple 'voxel dropout' augmentation on the GPU side and track a
custom metric.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

GRID = 16
N_POINTS = 600
N_PER_CLASS = 50
CLASSES = ("box", "ball", "torus", "plane")

CONFIG = dict(batch_size=16, epochs=2, lr=1e-3, voxel_drop=0.1)


# ---------------------------------------------------------------- data ----
def point_cloud(kind, rs):
    n = N_POINTS
    if kind == "box":
        p = rs.uniform(-1, 1, (n, 3))
        ax = rs.randint(0, 3, n)
        p[np.arange(n), ax] = rs.choice([-1, 1], n)
    elif kind == "ball":
        p = rs.normal(size=(n, 3))
        p /= np.linalg.norm(p, axis=1, keepdims=True)
    elif kind == "torus":
        u, v = rs.uniform(0, 2 * np.pi, (2, n))
        R, r = 0.7, 0.3
        p = np.stack([(R + r * np.cos(v)) * np.cos(u), (R + r * np.cos(v)) * np.sin(u), r * np.sin(v)], 1)
    else:  # tilted plane
        p = rs.uniform(-1, 1, (n, 3))
        p[:, 2] = 0.4 * p[:, 0] - 0.3 * p[:, 1]
    p += rs.normal(0, 0.02, p.shape)
    return p


def voxelize(points, grid=GRID):
    """Normalise into the unit cube and bin into an occupancy grid."""
    pts = points - points.mean(axis=0)
    pts /= np.abs(pts).max() + 1e-8            # [-1, 1]
    ijk = ((pts + 1) * 0.5 * (grid - 1)).round().astype(np.int64)
    ijk = np.clip(ijk, 0, grid - 1)
    vox = np.zeros((grid, grid, grid), np.float32)
    # count points per cell, then squash to a soft occupancy in [0, 1)
    np.add.at(vox, (ijk[:, 0], ijk[:, 1], ijk[:, 2]), 1.0)
    return 1.0 - np.exp(-vox)


def build_arrays(seed=0):
    rs = np.random.RandomState(seed)
    grids = [voxelize(point_cloud(k, rs)) for k in CLASSES for _ in range(N_PER_CLASS)]
    labels = [i for i, _ in enumerate(CLASSES) for _ in range(N_PER_CLASS)]
    X = np.asarray(grids)[..., None]
    Y = np.asarray(labels, np.int32)
    order = rs.permutation(len(X))
    return X[order], Y[order]


# --------------------------------------------------------------- model ----
class VoxNet(keras.Model):
    def __init__(self, n_classes, voxel_drop=0.0, **kw):
        super().__init__(**kw)
        self.voxel_drop = voxel_drop
        self.blocks = [
            layers.Conv3D(16, 3, strides=2, padding="same", activation="relu"),
            layers.Conv3D(32, 3, padding="same", activation="relu"),
            layers.MaxPool3D(2),
            layers.Conv3D(32, 3, padding="same", activation="relu"),
            layers.GlobalMaxPooling3D(),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.4),
        ]
        self.head = layers.Dense(n_classes)
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.acc = keras.metrics.SparseCategoricalAccuracy(name="acc")
        self.occ = keras.metrics.Mean(name="occupied_frac")

    def call(self, x, training=False):
        for blk in self.blocks:
            x = blk(x, training=training)
        return self.head(x)

    @property
    def metrics(self):
        return [self.loss_tracker, self.acc, self.occ]

    def _drop_voxels(self, x):
        keep = tf.cast(tf.random.uniform(tf.shape(x)) >= self.voxel_drop, x.dtype)
        return x * keep

    def train_step(self, data):
        x, y = data
        x = self._drop_voxels(x)
        with tf.GradientTape() as tape:
            logits = self(x, training=True)
            loss = self.loss_fn(y, logits)
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.acc.update_state(y, logits)
        self.occ.update_state(ops.mean(ops.cast(x > 0, "float32")))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        x, y = data
        logits = self(x, training=False)
        self.loss_tracker.update_state(self.loss_fn(y, logits))
        self.acc.update_state(y, logits)
        self.occ.update_state(ops.mean(ops.cast(x > 0, "float32")))
        return {m.name: m.result() for m in self.metrics}


if __name__ == "__main__":
    X, Y = build_arrays()
    print(f"voxel grids {X.shape}, mean occupancy {np.mean(X > 0):.3f}")
    for i, name in enumerate(CLASSES):
        print(f"  {name:6s}: {np.sum(Y == i)} samples, avg filled cells {np.mean((X[Y == i] > 0).sum(axis=(1, 2, 3, 4))):.0f}")

    n_tr = int(0.75 * len(X))
    model = VoxNet(len(CLASSES), voxel_drop=CONFIG["voxel_drop"])
    model.compile(optimizer=keras.optimizers.Adam(CONFIG["lr"]))
    model.fit(
        X[:n_tr], Y[:n_tr],
        validation_data=(X[n_tr:], Y[n_tr:]),
        batch_size=CONFIG["batch_size"],
        epochs=CONFIG["epochs"],
        verbose=2,
    )
    results = model.evaluate(X[n_tr:], Y[n_tr:], verbose=0, return_dict=True)
    print({k: round(float(v), 4) for k, v in results.items()})

    logits = model.predict(X[n_tr:n_tr + 8], verbose=0)
    print("predicted:", [CLASSES[i] for i in logits.argmax(-1)])
    print("actual:   ", [CLASSES[i] for i in Y[n_tr:n_tr + 8]])

"""Landmark regression with a heatmap head.

Synthetic task: every 64x64 image contains a little "creature" with three
landmarks (left eye, right eye, nose) drawn as coloured dots on a noisy blob.
The network predicts one 16x16 Gaussian heatmap per landmark; coordinates are
recovered with argmax and with a differentiable soft-argmax.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

KEYPOINTS = ("left_eye", "right_eye", "nose")
INPUT_HW = 64
STRIDE = 4
HEATMAP_HW = INPUT_HW // STRIDE
SIGMA = 1.0
N_TRAIN, N_VAL = 256, 64
BATCH_SIZE = 16
PCK_THRESHOLD = 2.0  # in heatmap pixels

rs = np.random.RandomState(11)


# ---------------------------------------------------------------- data ----
def draw_sample():
    img = rs.normal(0.1, 0.05, (INPUT_HW, INPUT_HW, 3)).astype(np.float32)
    cy, cx = rs.uniform(22, 42, size=2)
    radius = rs.uniform(12, 18)
    yy, xx = np.mgrid[:INPUT_HW, :INPUT_HW]
    face = ((yy - cy) ** 2 + (xx - cx) ** 2) < radius**2
    img[face] += 0.35

    theta = rs.uniform(-0.4, 0.4)
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    offsets = np.array([[-0.35, -0.4], [-0.35, 0.4], [0.2, 0.0]]) * radius  # (dy, dx)
    pts = (offsets @ rot.T) + np.array([cy, cx])

    colours = [(1.0, 0.2, 0.2), (0.2, 1.0, 0.2), (0.2, 0.3, 1.0)]
    for (py, px), col in zip(pts, colours):
        dot = ((yy - py) ** 2 + (xx - px) ** 2) < 2.5**2
        img[dot] = col
    return np.clip(img, 0, 1), pts.astype(np.float32)


def gaussian_heatmaps(points, hw=HEATMAP_HW, stride=STRIDE, sigma=SIGMA):
    """points: (K, 2) in input pixels -> (hw, hw, K) heatmaps in [0, 1]."""
    grid_y, grid_x = np.mgrid[:hw, :hw].astype(np.float32)
    maps = []
    for py, px in points / stride:
        maps.append(np.exp(-((grid_y - py) ** 2 + (grid_x - px) ** 2) / (2 * sigma**2)))
    return np.stack(maps, axis=-1).astype(np.float32)


def build_arrays(n):
    imgs, kps = zip(*(draw_sample() for _ in range(n)))
    imgs, kps = np.stack(imgs), np.stack(kps)
    hms = np.stack([gaussian_heatmaps(k) for k in kps])
    return imgs, hms, kps


# --------------------------------------------------------------- model ----
def conv_bn_relu(x, filters, k=3, s=1, name=None):
    x = layers.Conv2D(filters, k, strides=s, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_heatmap_net(num_kp=len(KEYPOINTS)):
    inp = keras.Input((INPUT_HW, INPUT_HW, 3))
    x = conv_bn_relu(inp, 16, s=2, name="stem")          # 32x32
    skips = []
    for f in [32, 48, 64]:                                 # skips at 32, 16, 8
        x = conv_bn_relu(x, f)
        skips.append(x)
        x = layers.MaxPool2D()(x)
    x = conv_bn_relu(x, 96, name="bottleneck")             # 4x4
    # decode back up to stride 4 (16x16) with skip connections (8x8, 16x16)
    for f, skip in zip([64, 48], reversed(skips[1:])):
        x = layers.UpSampling2D(interpolation="bilinear")(x)
        x = layers.Concatenate()([x, skip])
        x = conv_bn_relu(x, f)
    x = conv_bn_relu(x, 32)
    heat = layers.Conv2D(num_kp, 1, activation="sigmoid", name="heatmaps")(x)
    return keras.Model(inp, heat, name="kp_heatmap_net")


# ------------------------------------------------------- loss / metrics ----
class WeightedHeatmapMSE(keras.losses.Loss):
    """MSE with extra weight on foreground pixels (peaks are tiny)."""

    def __init__(self, fg_weight=10.0, name="weighted_heatmap_mse"):
        super().__init__(name=name)
        self.fg_weight = fg_weight

    def call(self, y_true, y_pred):
        w = 1.0 + self.fg_weight * y_true
        return tf.reduce_mean(w * tf.square(y_true - y_pred), axis=[1, 2, 3])


def argmax_coords(heatmaps):
    """(B, H, W, K) -> (B, K, 2) integer-grid (y, x) as float."""
    shape = tf.shape(heatmaps)
    b, h, w, k = shape[0], shape[1], shape[2], shape[3]
    flat = tf.reshape(tf.transpose(heatmaps, [0, 3, 1, 2]), [b, k, h * w])
    idx = tf.argmax(flat, axis=-1, output_type=tf.int32)
    return tf.cast(tf.stack([idx // w, idx % w], axis=-1), tf.float32)


@tf.function
def soft_argmax(heatmaps, beta=50.0):
    """Differentiable (y, x) expectation over a softmax of each heatmap."""
    h, w = heatmaps.shape[1], heatmaps.shape[2]
    b = tf.shape(heatmaps)[0]
    logits = tf.reshape(tf.transpose(heatmaps, [0, 3, 1, 2]), [b, -1, h * w]) * beta
    probs = tf.nn.softmax(logits, axis=-1)
    ys, xs = tf.meshgrid(tf.range(h, dtype=tf.float32), tf.range(w, dtype=tf.float32), indexing="ij")
    grid = tf.stack([tf.reshape(ys, [-1]), tf.reshape(xs, [-1])], axis=-1)  # (HW, 2)
    return tf.einsum("bkn,nc->bkc", probs, grid)


class PCK(keras.metrics.Metric):
    """Percentage of keypoints whose argmax lies within `threshold` px."""

    def __init__(self, threshold=PCK_THRESHOLD, name="pck", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")

    def update_state(self, y_true, y_pred, sample_weight=None):
        d = tf.norm(argmax_coords(y_true) - argmax_coords(y_pred), axis=-1)
        self.hits.assign_add(tf.reduce_sum(tf.cast(d <= self.threshold, tf.float32)))
        self.total.assign_add(tf.cast(tf.size(d), tf.float32))

    def result(self):
        return tf.math.divide_no_nan(self.hits, self.total)

    def reset_state(self):
        self.hits.assign(0.0)
        self.total.assign(0.0)


# ---------------------------------------------------------------- main ----
def main():
    x_tr, hm_tr, _ = build_arrays(N_TRAIN)
    x_va, hm_va, kp_va = build_arrays(N_VAL)
    print(f"train {x_tr.shape} -> heatmaps {hm_tr.shape}; peak={hm_tr.max():.2f}")

    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_tr, hm_tr))
        .shuffle(N_TRAIN)
        .map(lambda im, hm: (tf.image.random_contrast(im, 0.8, 1.2), hm))
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x_va, hm_va)).batch(BATCH_SIZE)

    model = build_heatmap_net()
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=WeightedHeatmapMSE(fg_weight=20.0),
        metrics=[PCK()],
    )
    print("output:", model.output_shape, "params:", model.count_params())
    model.fit(train_ds, validation_data=val_ds, epochs=3, verbose=2)

    pred = model.predict(x_va, batch_size=32, verbose=0)
    hard = argmax_coords(tf.constant(pred)).numpy() * STRIDE
    soft = soft_argmax(tf.constant(pred)).numpy() * STRIDE
    for k, name in enumerate(KEYPOINTS):
        e_hard = np.linalg.norm(hard[:, k] - kp_va[:, k], axis=-1).mean()
        e_soft = np.linalg.norm(soft[:, k] - kp_va[:, k], axis=-1).mean()
        print(f"{name:>10}: mean err argmax={e_hard:5.2f}px  soft-argmax={e_soft:5.2f}px")


if __name__ == "__main__":
    main()

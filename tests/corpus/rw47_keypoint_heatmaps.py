"""Keypoint detection via Gaussian heatmap regression (SimpleBaseline / mini-hourglass).

Synthetic "stick figure" images with K keypoints; targets are rendered as
Gaussian heatmaps inside a tf.data map function (pure tensor ops), the model is
a small encoder + transposed-conv decoder that outputs one heatmap per joint
at 1/4 resolution. Includes a weighted MSE loss that ignores invisible joints,
integral (soft-argmax) decoding and a PCK metric.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

INPUT_SIZE = 96
HEATMAP_SIZE = INPUT_SIZE // 4
NUM_KEYPOINTS = 5
SIGMA = 1.5
BATCH = 8
N_TRAIN = 48
SKELETON = [(0, 1), (1, 2), (1, 3), (1, 4)]   # head-neck, neck-hip, neck-hands


# ---------------------------------------------------------------- data
def render_stick_figures(n, rng):
    """Draw thick lines between joints; returns images, keypoints (n, K, 2) in [0,1], visibility."""
    images = np.zeros((n, INPUT_SIZE, INPUT_SIZE, 1), np.float32)
    kps = np.zeros((n, NUM_KEYPOINTS, 2), np.float32)
    vis = np.ones((n, NUM_KEYPOINTS), np.float32)
    for i in range(n):
        center = rng.uniform(0.35, 0.65, 2)
        neck = center + rng.normal(0, 0.03, 2)
        pts = np.stack([
            neck + [0.0, -0.18] + rng.normal(0, 0.02, 2),    # head
            neck,
            neck + [0.0, 0.22] + rng.normal(0, 0.03, 2),     # hip
            neck + [-0.2, 0.05] + rng.normal(0, 0.05, 2),    # left hand
            neck + [0.2, 0.05] + rng.normal(0, 0.05, 2),     # right hand
        ])
        pts = np.clip(pts, 0.02, 0.98)
        kps[i] = pts
        # randomly "occlude" a hand
        if rng.uniform() < 0.3:
            vis[i, rng.integers(3, 5)] = 0.0
        for a, b in SKELETON:
            for t in np.linspace(0, 1, 40):
                x, y = ((1 - t) * pts[a] + t * pts[b]) * (INPUT_SIZE - 1)
                images[i, int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2, 0] = 1.0
    images += rng.normal(0, 0.05, images.shape).astype(np.float32)
    return images, kps, vis


def gaussian_heatmaps(keypoints, visibility):
    """keypoints (K, 2) in [0,1] -> (H, W, K) heatmaps, zeroed for invisible joints."""
    coords = tf.range(HEATMAP_SIZE, dtype=tf.float32)
    xs = coords[None, :, None]                                   # (1, W, 1)
    ys = coords[:, None, None]                                   # (H, 1, 1)
    mu = keypoints * (HEATMAP_SIZE - 1)                          # (K, 2)
    d2 = (xs - mu[None, None, :, 0]) ** 2 + (ys - mu[None, None, :, 1]) ** 2
    hm = tf.exp(-d2 / (2.0 * SIGMA ** 2))
    return hm * visibility[None, None, :]


def to_training_example(image, keypoints, visibility):
    heatmaps = gaussian_heatmaps(keypoints, visibility)
    # target packs heatmaps and per-joint weights so the loss can mask
    weights = tf.broadcast_to(visibility[None, None, :], tf.shape(heatmaps))
    return image, tf.stack([heatmaps, weights], axis=-1)          # (H, W, K, 2)


def random_flip(image, target):
    # horizontal flip needs left/right joint swap -- hands are joints 3 and 4
    flip = tf.random.uniform(()) < 0.5
    swap = tf.constant([0, 1, 2, 4, 3])
    flipped_img = tf.image.flip_left_right(image)
    flipped_tgt = tf.gather(tf.reverse(target, axis=[1]), swap, axis=2)
    return tf.where(flip, flipped_img, image), tf.where(flip, flipped_tgt, target)


# ---------------------------------------------------------------- model
def build_simple_baseline(num_keypoints=NUM_KEYPOINTS):
    inp = keras.Input((INPUT_SIZE, INPUT_SIZE, 1))
    x = inp
    # encoder: /32
    for filters in (16, 32, 48, 64, 96):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    # decoder: three deconv layers back to /4, as in SimpleBaseline
    for _ in range(3):
        x = layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
    heatmaps = layers.Conv2D(num_keypoints, 1, name="heatmaps")(x)
    return keras.Model(inp, heatmaps, name="simple_baseline")


class JointsMSELoss(keras.losses.Loss):
    def __init__(self, name="joints_mse"):
        super().__init__(name=name)

    def call(self, y_true, y_pred):
        target, weight = y_true[..., 0], y_true[..., 1]
        return tf.reduce_mean(weight * tf.square(y_pred - target), axis=[1, 2, 3]) * 0.5


def soft_argmax(heatmaps, beta=20.0):
    """Integral regression: (B, H, W, K) -> (B, K, 2) normalised xy."""
    shape = tf.shape(heatmaps)
    b, h, w, k = shape[0], shape[1], shape[2], shape[3]
    flat = tf.reshape(tf.transpose(heatmaps, [0, 3, 1, 2]), [b, k, h * w])
    probs = tf.nn.softmax(beta * flat, axis=-1)
    probs = tf.reshape(probs, [b, k, h, w])
    xs = tf.linspace(0.0, 1.0, w)
    ys = tf.linspace(0.0, 1.0, h)
    x = tf.reduce_sum(tf.reduce_sum(probs, axis=2) * xs, axis=-1)
    y = tf.reduce_sum(tf.reduce_sum(probs, axis=3) * ys, axis=-1)
    return tf.stack([x, y], axis=-1)


def hard_argmax(heatmaps):
    shape = tf.shape(heatmaps)
    flat = tf.reshape(tf.transpose(heatmaps, [0, 3, 1, 2]), [shape[0], shape[3], -1])
    idx = tf.argmax(flat, axis=-1, output_type=tf.int32)
    x = tf.cast(idx % shape[2], tf.float32) / tf.cast(shape[2] - 1, tf.float32)
    y = tf.cast(idx // shape[2], tf.float32) / tf.cast(shape[1] - 1, tf.float32)
    return tf.stack([x, y], axis=-1)


class PCK(keras.metrics.Metric):
    """Percentage of visible keypoints within `threshold` (normalised units) of GT."""

    def __init__(self, threshold=0.1, name="pck", **kwargs):
        super().__init__(name=name, **kwargs)
        self.threshold = threshold
        self.correct = self.add_weight(name="correct", initializer="zeros")
        self.total = self.add_weight(name="total", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        gt_xy = hard_argmax(y_true[..., 0])
        vis = y_true[:, 0, 0, :, 1]
        pred_xy = hard_argmax(y_pred)
        dist = tf.norm(pred_xy - gt_xy, axis=-1)
        hit = tf.cast(dist < self.threshold, tf.float32) * vis
        self.correct.assign_add(tf.reduce_sum(hit))
        self.total.assign_add(tf.reduce_sum(vis))

    def result(self):
        return tf.math.divide_no_nan(self.correct, self.total)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)


def main():
    rng = np.random.default_rng(11)
    tf.random.set_seed(11)
    images, kps, vis = render_stick_figures(N_TRAIN + BATCH, rng)

    train = (
        tf.data.Dataset.from_tensor_slices((images[:N_TRAIN], kps[:N_TRAIN], vis[:N_TRAIN]))
        .map(to_training_example, num_parallel_calls=tf.data.AUTOTUNE)
        .map(random_flip)
        .shuffle(N_TRAIN)
        .batch(BATCH)
        .prefetch(2)
    )
    val = (
        tf.data.Dataset.from_tensor_slices((images[N_TRAIN:], kps[N_TRAIN:], vis[N_TRAIN:]))
        .map(to_training_example)
        .batch(BATCH)
    )
    x_b, y_b = next(iter(train))
    print("batch:", x_b.shape, "target:", y_b.shape)

    model = build_simple_baseline()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=JointsMSELoss(),
                  metrics=[PCK(0.1)])
    model.fit(train, validation_data=val, epochs=1, verbose=2)

    pred_hm = model.predict(images[N_TRAIN:N_TRAIN + 2], verbose=0)
    coords = soft_argmax(tf.constant(pred_hm)).numpy()
    for j in range(NUM_KEYPOINTS):
        print(f"joint {j}: pred={coords[0, j].round(2)} gt={kps[N_TRAIN, j].round(2)}")


if __name__ == "__main__":
    main()

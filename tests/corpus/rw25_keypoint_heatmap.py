"""Top-down human pose estimation, "Simple Baselines" style (Xiao et al. 2018).

Backbone downsamples by 32, three stride-2 deconvolutions bring features back to
1/4 resolution, and a 1x1 conv predicts one Gaussian heatmap per joint.
Includes target generation, target-weighted MSE, flip testing, soft-argmax decoding
and PCK evaluation.
"""
import numpy as np
import tensorflow as tf
from tensorflow.keras import Model, layers, losses, optimizers

cfg = {
    "image_size": (128, 96),  # (H, W) person crop
    "stride": 4,
    "num_joints": 17,
    "sigma": 2.0,
    "deconv_filters": (128, 128, 128),
    "backbone_widths": (32, 64, 128, 256, 256),
    "batch_size": 8,
    "num_samples": 48,
    "lr": 1e-3,
}
HEATMAP_SIZE = tuple(s // cfg["stride"] for s in cfg["image_size"])
# COCO left/right joint pairs, used for flip augmentation / flip test.
FLIP_PAIRS = [(1, 2), (3, 4), (5, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16)]


def generate_target(joints, joints_vis, sigma=cfg["sigma"]):
    """joints: (K, 2) in input pixels (x, y). Returns heatmaps (h, w, K) and weights (K,)."""
    num_joints = joints.shape[0]
    h, w = HEATMAP_SIZE
    target = np.zeros((num_joints, h, w), dtype=np.float32)
    target_weight = joints_vis.astype(np.float32).copy()
    tmp_size = sigma * 3
    size = int(2 * tmp_size + 1)
    x = np.arange(0, size, 1, np.float32)
    y = x[:, np.newaxis]
    x0 = y0 = size // 2
    g = np.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * sigma ** 2))

    for joint_id in range(num_joints):
        mu_x = int(joints[joint_id][0] / cfg["stride"] + 0.5)
        mu_y = int(joints[joint_id][1] / cfg["stride"] + 0.5)
        ul = [int(mu_x - tmp_size), int(mu_y - tmp_size)]
        br = [int(mu_x + tmp_size + 1), int(mu_y + tmp_size + 1)]
        if ul[0] >= w or ul[1] >= h or br[0] < 0 or br[1] < 0:
            target_weight[joint_id] = 0  # out of bounds
            continue
        g_x = max(0, -ul[0]), min(br[0], w) - ul[0]
        g_y = max(0, -ul[1]), min(br[1], h) - ul[1]
        img_x = max(0, ul[0]), min(br[0], w)
        img_y = max(0, ul[1]), min(br[1], h)
        if target_weight[joint_id] > 0.5:
            target[joint_id][img_y[0]:img_y[1], img_x[0]:img_x[1]] = g[g_y[0]:g_y[1], g_x[0]:g_x[1]]
    return np.transpose(target, (1, 2, 0)), target_weight


def sample_generator(num_samples, seed=0):
    rng = np.random.default_rng(seed)
    H, W = cfg["image_size"]
    for _ in range(num_samples):
        joints = rng.uniform([4, 4], [W - 4, H - 4], size=(cfg["num_joints"], 2)).astype(np.float32)
        vis = (rng.random(cfg["num_joints"]) > 0.15).astype(np.float32)
        image = rng.normal(0.0, 0.2, (H, W, 3)).astype(np.float32)
        for (x, y), v in zip(joints.astype(int), vis):
            if v:
                image[max(0, y - 2):y + 3, max(0, x - 2):x + 3] += 1.0
        heatmaps, weights = generate_target(joints, vis)
        yield image, heatmaps, weights, joints


def pack_targets(image, heatmaps, weights, joints):
    # Keras losses only get (y_true, y_pred): stack the per-joint weights as extra channels.
    w = tf.broadcast_to(weights[tf.newaxis, tf.newaxis, :], tf.shape(heatmaps))
    return image, tf.concat([heatmaps, w], axis=-1)


def make_dataset(num_samples, training=True):
    H, W = cfg["image_size"]
    K = cfg["num_joints"]
    spec = (
        tf.TensorSpec((H, W, 3), tf.float32),
        tf.TensorSpec(HEATMAP_SIZE + (K,), tf.float32),
        tf.TensorSpec((K,), tf.float32),
        tf.TensorSpec((K, 2), tf.float32),
    )
    ds = tf.data.Dataset.from_generator(lambda: sample_generator(num_samples), output_signature=spec)
    ds = ds.apply(tf.data.experimental.assert_cardinality(num_samples))
    if training:
        ds = ds.map(pack_targets, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(cfg["batch_size"]).prefetch(tf.data.AUTOTUNE)


class JointsMSELoss(losses.Loss):
    def __init__(self, use_target_weight=True, name="joints_mse"):
        super().__init__(name=name)
        self.use_target_weight = use_target_weight

    def call(self, y_true, y_pred):
        heatmaps_gt, weights = tf.split(y_true, 2, axis=-1)
        diff = tf.square(y_pred - heatmaps_gt)
        if self.use_target_weight:
            diff = diff * tf.square(weights)
        return 0.5 * tf.reduce_mean(diff, axis=[1, 2, 3])


class SoftArgmax2D(layers.Layer):
    """Differentiable heatmap -> (x, y) coordinates in heatmap pixels."""

    def __init__(self, beta=100.0, **kwargs):
        super().__init__(**kwargs)
        self.beta = beta

    def call(self, heatmaps):
        _, h, w, k = heatmaps.shape
        flat = tf.reshape(tf.transpose(heatmaps, [0, 3, 1, 2]), [-1, k, h * w])
        probs = tf.nn.softmax(self.beta * flat, axis=-1)
        probs = tf.reshape(probs, [-1, k, h, w])
        xs = tf.reduce_sum(tf.reduce_sum(probs, axis=2) * tf.range(w, dtype=tf.float32), axis=-1)
        ys = tf.reduce_sum(tf.reduce_sum(probs, axis=3) * tf.range(h, dtype=tf.float32), axis=-1)
        return tf.stack([xs, ys], axis=-1)


class PoseResNet(Model):
    def __init__(self, num_joints, widths, deconv_filters, **kwargs):
        super().__init__(**kwargs)
        blocks = [layers.Conv2D(widths[0], 7, strides=2, padding="same", use_bias=False),
                  layers.BatchNormalization(), layers.ReLU()]
        for width in widths[1:]:
            blocks += [layers.SeparableConv2D(width, 3, strides=2, padding="same", use_bias=False),
                       layers.BatchNormalization(), layers.ReLU(),
                       layers.Conv2D(width, 1, use_bias=False), layers.BatchNormalization(), layers.ReLU()]
        self.backbone = tf.keras.Sequential(blocks, name="backbone")
        head = []
        for filters in deconv_filters:
            head += [layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False),
                     layers.BatchNormalization(momentum=0.9), layers.ReLU()]
        self.deconv_layers = tf.keras.Sequential(head, name="deconv_head")
        self.final_layer = layers.Conv2D(num_joints, 1, padding="same", name="heatmaps")

    def call(self, inputs, training=False):
        x = self.backbone(inputs, training=training)
        x = self.deconv_layers(x, training=training)
        return self.final_layer(x)


def flip_back(heatmaps, pairs=FLIP_PAIRS):
    heatmaps = heatmaps[:, :, ::-1, :].copy()
    for a, b in pairs:
        heatmaps[..., [a, b]] = heatmaps[..., [b, a]]
    return heatmaps


def get_max_preds(batch_heatmaps):
    """numpy argmax decoding with the usual quarter-pixel shift towards the higher neighbour."""
    n, h, w, k = batch_heatmaps.shape
    flat = batch_heatmaps.transpose(0, 3, 1, 2).reshape(n, k, -1)
    idx = np.argmax(flat, axis=2)
    maxvals = np.max(flat, axis=2)[..., None]
    preds = np.stack([idx % w, idx // w], axis=-1).astype(np.float32)
    for i, j in np.ndindex(n, k):
        px, py = int(preds[i, j, 0]), int(preds[i, j, 1])
        hm = batch_heatmaps[i, :, :, j]
        if 1 < px < w - 1 and 1 < py < h - 1:
            preds[i, j] += np.sign([hm[py, px + 1] - hm[py, px - 1], hm[py + 1, px] - hm[py - 1, px]]) * 0.25
    return preds * (maxvals > 0), maxvals


def pck(pred, gt, vis, thr=0.1):
    norm = np.linalg.norm(np.array(HEATMAP_SIZE[::-1], np.float32))
    dist = np.linalg.norm(pred - gt, axis=-1) / norm
    return float(((dist < thr) * vis).sum() / max(vis.sum(), 1))


if __name__ == "__main__":
    tf.random.set_seed(0)
    model = PoseResNet(cfg["num_joints"], cfg["backbone_widths"], cfg["deconv_filters"])
    _ = model(tf.zeros((1,) + cfg["image_size"] + (3,)))  # build weights
    model.summary(expand_nested=False)
    model.compile(optimizer=optimizers.Adam(cfg["lr"]), loss=JointsMSELoss())
    model.fit(make_dataset(cfg["num_samples"]), epochs=1, verbose=2)

    images, heatmaps_gt, weights, joints = next(iter(make_dataset(cfg["batch_size"], training=False)))
    output = model.predict(images, verbose=0)
    output_flipped = flip_back(model.predict(tf.image.flip_left_right(images), verbose=0))
    output = 0.5 * (output + output_flipped)
    print("heatmaps:", output.shape, "expected:", (cfg["batch_size"],) + HEATMAP_SIZE + (cfg["num_joints"],))

    coords, maxvals = get_max_preds(output)
    soft_coords = SoftArgmax2D()(tf.convert_to_tensor(output)).numpy()
    gt = joints.numpy() / cfg["stride"]
    print(f"PCK@0.1 argmax={pck(coords, gt, weights.numpy()):.3f} "
          f"soft-argmax={pck(soft_coords, gt, weights.numpy()):.3f}")

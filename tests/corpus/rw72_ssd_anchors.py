"""SSD-lite on toy data.

Default-box (prior) generation per feature map, IoU matching + center/size
encoding done inside a tf.data pipeline, and a MultiBox loss with hard negative
mining. Backbone is a handful of depthwise-separable blocks so it trains on CPU.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "image_size": 128,
    "num_classes": 4,            # incl. background at index 0
    "feature_strides": [8, 16, 32, 64],
    "min_sizes": [0.1, 0.25, 0.45, 0.65],
    "max_sizes": [0.25, 0.45, 0.65, 0.9],
    "aspect_ratios": [[2], [2, 3], [2, 3], [2]],
    "variances": [0.1, 0.2],
    "iou_threshold": 0.5,
    "neg_pos_ratio": 3,
    "batch_size": 8,
    "num_samples": 32,
    "max_boxes": 6,
}


# --------------------------------------------------------------------------
# priors
# --------------------------------------------------------------------------
def num_priors_per_cell(ratios):
    # 1 for min size, 1 for sqrt(min*max), 2 for every extra ratio
    return 2 + 2 * len(ratios)


def generate_priors(cfg):
    priors = []
    size = cfg["image_size"]
    for k, stride in enumerate(cfg["feature_strides"]):
        fm = math.ceil(size / stride)
        s_min, s_max = cfg["min_sizes"][k], cfg["max_sizes"][k]
        for i in range(fm):
            for j in range(fm):
                cx = (j + 0.5) / fm
                cy = (i + 0.5) / fm
                priors.append([cx, cy, s_min, s_min])
                s_prime = math.sqrt(s_min * s_max)
                priors.append([cx, cy, s_prime, s_prime])
                for r in cfg["aspect_ratios"][k]:
                    sr = math.sqrt(r)
                    priors.append([cx, cy, s_min * sr, s_min / sr])
                    priors.append([cx, cy, s_min / sr, s_min * sr])
    priors = np.clip(np.array(priors, dtype=np.float32), 0.0, 1.0)
    return priors


def center_to_corner(boxes):
    return tf.concat([boxes[..., :2] - boxes[..., 2:] / 2,
                      boxes[..., :2] + boxes[..., 2:] / 2], axis=-1)


def corner_to_center(boxes):
    return tf.concat([(boxes[..., :2] + boxes[..., 2:]) / 2,
                      boxes[..., 2:] - boxes[..., :2]], axis=-1)


def iou_matrix(a, b):
    """a: (N, 4) xyxy, b: (M, 4) xyxy -> (N, M)."""
    lt = tf.maximum(a[:, None, :2], b[None, :, :2])
    rb = tf.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = tf.maximum(rb - lt, 0.0)
    inter = wh[..., 0] * wh[..., 1]
    area_a = tf.reduce_prod(a[:, 2:] - a[:, :2], axis=-1)
    area_b = tf.reduce_prod(b[:, 2:] - b[:, :2], axis=-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-8)


class BoxEncoder:
    """Matches GT boxes to priors and encodes offsets (SSD paper eq. 2)."""

    def __init__(self, priors, variances, iou_threshold):
        self.priors = tf.constant(priors)
        self.priors_xyxy = center_to_corner(self.priors)
        self.variances = variances
        self.iou_threshold = iou_threshold

    def encode(self, gt_boxes, gt_labels, valid):
        # drop padded rows
        gt_boxes = tf.boolean_mask(gt_boxes, valid)
        gt_labels = tf.boolean_mask(gt_labels, valid)

        ious = iou_matrix(gt_boxes, self.priors_xyxy)               # (G, P)
        best_gt_iou = tf.reduce_max(ious, axis=0)                    # (P,)
        best_gt_idx = tf.argmax(ious, axis=0, output_type=tf.int32)  # (P,)

        # make sure every GT gets at least its best prior
        best_prior_idx = tf.argmax(ious, axis=1, output_type=tf.int32)  # (G,)
        num_gt = tf.shape(gt_boxes)[0]
        best_gt_idx = tf.tensor_scatter_nd_update(
            best_gt_idx, best_prior_idx[:, None], tf.range(num_gt))
        best_gt_iou = tf.tensor_scatter_nd_update(
            best_gt_iou, best_prior_idx[:, None], tf.fill([num_gt], 2.0))

        matched_boxes = tf.gather(gt_boxes, best_gt_idx)
        matched_labels = tf.gather(gt_labels, best_gt_idx) + 1  # shift for bg
        matched_labels = tf.where(best_gt_iou < self.iou_threshold,
                                  tf.zeros_like(matched_labels), matched_labels)

        m = corner_to_center(matched_boxes)
        v0, v1 = self.variances
        d_xy = (m[:, :2] - self.priors[:, :2]) / (self.priors[:, 2:] * v0)
        d_wh = tf.math.log(m[:, 2:] / self.priors[:, 2:] + 1e-8) / v1
        return tf.concat([d_xy, d_wh], axis=-1), matched_labels

    def decode(self, deltas):
        v0, v1 = self.variances
        xy = deltas[..., :2] * v0 * self.priors[:, 2:] + self.priors[:, :2]
        wh = tf.exp(deltas[..., 2:] * v1) * self.priors[:, 2:]
        return center_to_corner(tf.concat([xy, wh], axis=-1))


# --------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------
def synthetic_detection_data(cfg, seed=1):
    rng = np.random.default_rng(seed)
    n, s, mb = cfg["num_samples"], cfg["image_size"], cfg["max_boxes"]
    images = np.zeros((n, s, s, 3), np.float32)
    boxes = np.zeros((n, mb, 4), np.float32)
    labels = np.zeros((n, mb), np.int32)
    valid = np.zeros((n, mb), bool)
    for k in range(n):
        images[k] = rng.normal(0.0, 0.1, (s, s, 3))
        for b in range(rng.integers(1, mb + 1)):
            w, h = rng.uniform(0.1, 0.5, 2)
            x0, y0 = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
            c = rng.integers(0, cfg["num_classes"] - 1)
            boxes[k, b] = [x0, y0, x0 + w, y0 + h]
            labels[k, b] = c
            valid[k, b] = True
            # paint a coloured rectangle so there is *something* to learn
            r0, r1 = int(y0 * s), int((y0 + h) * s)
            c0, c1 = int(x0 * s), int((x0 + w) * s)
            images[k, r0:r1, c0:c1, c] += 1.0
    return images, boxes, labels, valid


def make_dataset(cfg, encoder):
    images, boxes, labels, valid = synthetic_detection_data(cfg)

    def _encode(image, b, l, v):
        loc, cls = encoder.encode(b, l, v)
        return image, {"loc": loc, "cls": cls}

    ds = tf.data.Dataset.from_tensor_slices((images, boxes, labels, valid))
    ds = ds.map(_encode, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.shuffle(64).batch(cfg["batch_size"], drop_remainder=True).prefetch(2)


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
def sep_block(x, filters, strides):
    x = layers.DepthwiseConv2D(3, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(6.0)(x)
    x = layers.Conv2D(filters, 1, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU(6.0)(x)


def build_ssd(cfg):
    n_cls = cfg["num_classes"]
    inp = keras.Input((cfg["image_size"], cfg["image_size"], 3))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inp)  # /2
    x = sep_block(x, 32, 2)   # /4
    x = sep_block(x, 48, 2)   # /8
    feats = [x]
    for filters in (64, 96, 128):
        x = sep_block(x, filters, 2)
        feats.append(x)

    loc_outs, cls_outs = [], []
    for k, f in enumerate(feats):
        a = num_priors_per_cell(cfg["aspect_ratios"][k])
        loc = layers.SeparableConv2D(a * 4, 3, padding="same", name=f"loc_{k}")(f)
        cls = layers.SeparableConv2D(a * n_cls, 3, padding="same", name=f"cls_{k}")(f)
        loc_outs.append(layers.Reshape((-1, 4))(loc))
        cls_outs.append(layers.Reshape((-1, n_cls))(cls))

    loc = layers.Concatenate(axis=1, name="loc")(loc_outs)
    cls = layers.Concatenate(axis=1, name="cls")(cls_outs)
    return keras.Model(inp, {"loc": loc, "cls": cls}, name="ssd_lite")


# --------------------------------------------------------------------------
# losses
# --------------------------------------------------------------------------
class MultiBoxClsLoss(keras.losses.Loss):
    """Softmax CE with hard negative mining (top-k negatives by loss)."""

    def __init__(self, neg_pos_ratio=3, **kwargs):
        super().__init__(**kwargs)
        self.neg_pos_ratio = neg_pos_ratio

    def call(self, y_true, y_pred):
        y_true = tf.cast(y_true, tf.int32)
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred)
        pos = y_true > 0
        num_pos = tf.reduce_sum(tf.cast(pos, tf.int32), axis=1, keepdims=True)
        num_neg = tf.minimum(num_pos * self.neg_pos_ratio, tf.shape(y_true)[1] - 1)

        neg_ce = tf.where(pos, tf.zeros_like(ce), ce)
        # rank of each prior's loss among negatives (double argsort trick)
        order = tf.argsort(neg_ce, axis=1, direction="DESCENDING")
        rank = tf.argsort(order, axis=1)
        neg = rank < num_neg

        keep = tf.cast(tf.logical_or(pos, neg), ce.dtype)
        denom = tf.maximum(tf.cast(tf.reduce_sum(num_pos), ce.dtype), 1.0)
        return tf.reduce_sum(ce * keep, axis=1) / denom


def make_loc_loss():
    huber = keras.losses.Huber(delta=1.0, reduction="none")

    def loc_loss(y_true, y_pred):
        # we don't have labels here, so positives = non-zero targets.
        pos = tf.cast(tf.reduce_any(tf.not_equal(y_true, 0.0), axis=-1), y_pred.dtype)
        per_prior = huber(y_true[..., None], y_pred[..., None])
        per_prior = tf.reduce_sum(per_prior, axis=-1)
        denom = tf.maximum(tf.reduce_sum(pos), 1.0)
        return tf.reduce_sum(per_prior * pos, axis=-1) / denom

    return loc_loss


def main(cfg=CONFIG):
    priors = generate_priors(cfg)
    print("num priors:", priors.shape)
    encoder = BoxEncoder(priors, cfg["variances"], cfg["iou_threshold"])
    ds = make_dataset(cfg, encoder)

    model = build_ssd(cfg)
    n_out = model.get_layer("loc").output.shape[1]
    assert n_out == priors.shape[0], (n_out, priors.shape)

    model.compile(
        optimizer=keras.optimizers.SGD(1e-2, momentum=0.9),
        loss={"loc": make_loc_loss(), "cls": MultiBoxClsLoss(cfg["neg_pos_ratio"])},
        loss_weights={"loc": 1.0, "cls": 1.0},
    )
    for images, targets in ds.take(1):
        print("batch:", images.shape, {k: v.shape for k, v in targets.items()})
        pos_frac = tf.reduce_mean(tf.cast(targets["cls"] > 0, tf.float32))
        print(f"positive prior fraction: {pos_frac.numpy():.4f}")

    model.fit(ds, epochs=1, verbose=2)

    # decode predictions for one image
    images, _ = next(iter(ds))
    out = model.predict(images[:2], verbose=0)
    boxes = encoder.decode(tf.constant(out["loc"]))
    probs = tf.nn.softmax(out["cls"], axis=-1)[..., 1:]  # drop background
    for i in range(2):
        scores = tf.reduce_max(probs[i], axis=-1)
        classes = tf.argmax(probs[i], axis=-1)
        keep = tf.image.non_max_suppression(boxes[i], scores, 10, 0.45)
        print(f"image {i}: kept {keep.shape[0]} boxes, "
              f"classes {tf.gather(classes, keep).numpy()[:5]}")


if __name__ == "__main__":
    main()

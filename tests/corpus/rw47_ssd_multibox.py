"""SSD-lite style multibox detector on synthetic "shapes" data.

Feature maps at several resolutions each get a class head and a box head;
the per-map predictions are reshaped to (batch, num_priors_i, ...) and
concatenated so the loss sees one flat list of priors. Prior (default) boxes
are generated with the usual min/max scale + aspect ratio recipe, ground
truth is matched to priors in numpy, and training uses model.fit on a
tf.data pipeline with a custom MultiBox loss (smooth L1 + hard negative mining).
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "image_size": 96,
    "num_classes": 3,            # background + 2 foreground classes
    "feature_strides": [8, 16, 32, 96],
    "aspect_ratios": [[2.0], [2.0, 3.0], [2.0, 3.0], [2.0]],
    "min_scale": 0.15,
    "max_scale": 0.9,
    "variances": [0.1, 0.2],
    "neg_pos_ratio": 3,
    "iou_threshold": 0.5,
    "batch_size": 8,
    "num_images": 64,
}


# --------------------------------------------------------------------------
# prior boxes
# --------------------------------------------------------------------------
def num_priors_per_location(aspect_ratios):
    # 1:1 at scale s_k, 1:1 at sqrt(s_k * s_k+1), and ar + 1/ar for each extra ratio
    return 2 + 2 * len(aspect_ratios)


def generate_priors(cfg):
    img = cfg["image_size"]
    n_maps = len(cfg["feature_strides"])
    scales = np.linspace(cfg["min_scale"], cfg["max_scale"], n_maps + 1)
    priors = []
    for k, stride in enumerate(cfg["feature_strides"]):
        fm = int(math.ceil(img / stride))
        s_k, s_k1 = scales[k], scales[k + 1]
        for i in range(fm):
            for j in range(fm):
                cx = (j + 0.5) / fm
                cy = (i + 0.5) / fm
                priors.append([cx, cy, s_k, s_k])
                s_prime = math.sqrt(s_k * s_k1)
                priors.append([cx, cy, s_prime, s_prime])
                for ar in cfg["aspect_ratios"][k]:
                    r = math.sqrt(ar)
                    priors.append([cx, cy, s_k * r, s_k / r])
                    priors.append([cx, cy, s_k / r, s_k * r])
    priors = np.clip(np.array(priors, dtype=np.float32), 0.0, 1.0)
    return priors  # (P, 4) cx, cy, w, h


def cxcywh_to_corners(b):
    return np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], axis=1)


def iou_matrix(a, b):
    """a: (N, 4) corners, b: (M, 4) corners -> (N, M)."""
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=-1)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-9)


def encode_targets(gt_boxes, gt_labels, priors, cfg):
    """Match GT to priors and encode offsets. Returns (P, 4 + 1)."""
    var_c, var_s = cfg["variances"]
    prior_corners = cxcywh_to_corners(priors)
    ious = iou_matrix(gt_boxes, prior_corners)              # (G, P)
    best_gt = ious.argmax(axis=0)
    best_gt_iou = ious.max(axis=0)
    # make sure every GT box gets at least its best prior
    best_prior = ious.argmax(axis=1)
    best_gt[best_prior] = np.arange(len(gt_boxes))
    best_gt_iou[best_prior] = 1.0

    labels = gt_labels[best_gt].astype(np.float32)
    labels[best_gt_iou < cfg["iou_threshold"]] = 0.0

    matched = gt_boxes[best_gt]
    m_cxcy = (matched[:, :2] + matched[:, 2:]) / 2
    m_wh = matched[:, 2:] - matched[:, :2]
    loc = np.concatenate(
        [
            (m_cxcy - priors[:, :2]) / (var_c * priors[:, 2:]),
            np.log(m_wh / priors[:, 2:] + 1e-8) / var_s,
        ],
        axis=1,
    )
    return np.concatenate([loc, labels[:, None]], axis=1).astype(np.float32)


def make_synthetic_dataset(priors, cfg, seed=0):
    rng = np.random.default_rng(seed)
    size = cfg["image_size"]
    images, targets = [], []
    for _ in range(cfg["num_images"]):
        img = rng.normal(0.0, 0.05, (size, size, 3)).astype(np.float32)
        n_obj = rng.integers(1, 4)
        boxes, labels = [], []
        for _ in range(n_obj):
            w, h = rng.uniform(0.15, 0.5, 2)
            x0, y0 = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
            cls = rng.integers(1, cfg["num_classes"])
            px = (np.array([x0, y0, x0 + w, y0 + h]) * size).astype(int)
            img[px[1]:px[3], px[0]:px[2], cls - 1] += 1.0   # coloured rectangle
            boxes.append([x0, y0, x0 + w, y0 + h])
            labels.append(cls)
        images.append(img)
        targets.append(encode_targets(np.array(boxes, np.float32), np.array(labels), priors, cfg))
    return np.stack(images), np.stack(targets)


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
def separable_block(x, filters, stride, name):
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False,
                               name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.ReLU(6.0)(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    return layers.ReLU(6.0)(x)


def build_ssd(cfg):
    n_cls = cfg["num_classes"]
    inputs = keras.Input((cfg["image_size"], cfg["image_size"], 3))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inputs)  # 48
    x = separable_block(x, 32, 2, "b1")                                             # 24
    f8 = separable_block(x, 48, 2, "b2")                                            # 12
    f16 = separable_block(f8, 64, 2, "b3")                                          # 6
    f32 = separable_block(f16, 96, 2, "b4")                                         # 3
    # final "extra layer" collapses to 1x1 like SSD's last feature map
    f_last = layers.Conv2D(96, 3, padding="valid", activation="relu", name="extra")(f32)

    feature_maps = [f8, f16, f32, f_last]
    cls_outputs, box_outputs = [], []
    for k, fmap in enumerate(feature_maps):
        n_priors = num_priors_per_location(cfg["aspect_ratios"][k])
        cls = layers.Conv2D(n_priors * n_cls, 3, padding="same", name=f"cls_head_{k}")(fmap)
        box = layers.Conv2D(n_priors * 4, 3, padding="same", name=f"box_head_{k}")(fmap)
        cls_outputs.append(layers.Reshape((-1, n_cls), name=f"cls_flat_{k}")(cls))
        box_outputs.append(layers.Reshape((-1, 4), name=f"box_flat_{k}")(box))

    cls_all = layers.Concatenate(axis=1, name="mbox_conf")(cls_outputs)
    box_all = layers.Concatenate(axis=1, name="mbox_loc")(box_outputs)
    # pack into one tensor so a single Keras loss can handle matching
    out = layers.Concatenate(axis=-1, name="mbox")([box_all, cls_all])
    return keras.Model(inputs, out, name="ssd_lite")


class MultiBoxLoss(keras.losses.Loss):
    def __init__(self, num_classes, neg_pos_ratio=3, name="multibox_loss"):
        super().__init__(name=name)
        self.num_classes = num_classes
        self.neg_pos_ratio = neg_pos_ratio

    def call(self, y_true, y_pred):
        loc_true, labels = y_true[..., :4], tf.cast(y_true[..., 4], tf.int32)
        loc_pred, logits = y_pred[..., :4], y_pred[..., 4:]

        pos_mask = tf.cast(labels > 0, tf.float32)                    # (B, P)
        num_pos = tf.reduce_sum(pos_mask, axis=1)                     # (B,)

        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)

        # hard negative mining: rank negatives by loss, keep the top k per image
        neg_ce = ce * (1.0 - pos_mask)
        num_neg = tf.minimum(self.neg_pos_ratio * num_pos,
                             tf.cast(tf.shape(labels)[1], tf.float32) - num_pos)
        rank = tf.argsort(tf.argsort(neg_ce, axis=1, direction="DESCENDING"), axis=1)
        neg_mask = tf.cast(tf.cast(rank, tf.float32) < num_neg[:, None], tf.float32)

        conf_loss = tf.reduce_sum(ce * (pos_mask + neg_mask), axis=1)
        # smooth L1 on positives only
        diff = tf.abs(loc_true - loc_pred)
        smooth_l1 = tf.where(diff < 1.0, 0.5 * tf.square(diff), diff - 0.5)
        loc_loss = tf.reduce_sum(tf.reduce_sum(smooth_l1, axis=-1) * pos_mask, axis=1)
        return (conf_loss + loc_loss) / tf.maximum(num_pos, 1.0)


def decode_predictions(y_pred, priors, variances, score_threshold=0.3):
    loc, logits = y_pred[..., :4], y_pred[..., 4:]
    cxcy = loc[..., :2] * variances[0] * priors[:, 2:] + priors[:, :2]
    wh = tf.exp(loc[..., 2:] * variances[1]) * priors[:, 2:]
    boxes = tf.concat([cxcy - wh / 2, cxcy + wh / 2], axis=-1)
    # tf.image NMS expects y1, x1, y2, x2
    boxes = tf.gather(boxes, [1, 0, 3, 2], axis=-1)
    scores = tf.nn.softmax(logits, axis=-1)[..., 1:]      # drop background
    return tf.image.combined_non_max_suppression(
        boxes[:, :, None, :], scores, max_output_size_per_class=10,
        max_total_size=20, iou_threshold=0.45, score_threshold=score_threshold,
    )


def main(cfg=CONFIG):
    priors = generate_priors(cfg)
    print("num priors:", priors.shape[0])

    model = build_ssd(cfg)
    assert model.output_shape[1] == priors.shape[0], (model.output_shape, priors.shape)
    print("model output:", model.output_shape)

    images, targets = make_synthetic_dataset(priors, cfg)
    print("positives per image:", (targets[..., 4] > 0).sum(axis=1)[:8])

    ds = (
        tf.data.Dataset.from_tensor_slices((images, targets))
        .shuffle(64, seed=1)
        .map(lambda x, y: (tf.image.random_brightness(x, 0.1), y),
             num_parallel_calls=tf.data.AUTOTUNE)
        .batch(cfg["batch_size"], drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )

    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss=MultiBoxLoss(cfg["num_classes"], cfg["neg_pos_ratio"]))
    model.fit(ds, epochs=1, verbose=2)

    preds = model.predict(images[:2], verbose=0)
    det = decode_predictions(tf.constant(preds), priors, cfg["variances"], score_threshold=0.1)
    print("nmsed boxes:", det.nmsed_boxes.shape, "valid:", det.valid_detections.numpy())


if __name__ == "__main__":
    main()

"""Tiny SSD: depthwise-separable backbone, 4 feature maps, default boxes in numpy.

All heads are reshaped to (batch, num_priors, k) and concatenated into one
tensor [class_logits | loc_offsets] so a single MultiBoxLoss (softmax CE with
3:1 hard-negative mining + smooth L1) can be passed to model.compile().
y_true is laid out the same way: [label | encoded_offsets].
"""
import math
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops


@dataclass
class SSDConfig:
    image_size: int = 64
    classes: tuple = ("background", "circle", "square", "triangle")
    feature_maps: tuple = (8, 4, 2, 1)
    s_min: float = 0.15
    s_max: float = 0.9
    aspect_ratios: tuple = (1.0, 2.0, 0.5)
    variances: tuple = (0.1, 0.2)
    iou_threshold: float = 0.5
    neg_pos_ratio: int = 3
    batch_size: int = 16
    n_images: int = 224
    epochs: int = 2
    widths: list = field(default_factory=lambda: [16, 32, 48, 64, 64])

    @property
    def num_classes(self):
        return len(self.classes)

    @property
    def boxes_per_loc(self):
        return len(self.aspect_ratios) + 1  # +1 for the extra sqrt(s_k * s_k+1) box


cfg = SSDConfig()
rng = np.random.default_rng(42)
keras.utils.set_random_seed(42)


# ------------------------------------------------------------------ priors
def ssd_priors(cfg):
    m = len(cfg.feature_maps)
    scales = [cfg.s_min + (cfg.s_max - cfg.s_min) * k / (m - 1) for k in range(m)] + [1.0]
    priors = []
    for k, fm in enumerate(cfg.feature_maps):
        s, s_next = scales[k], scales[k + 1]
        for i in range(fm):
            for j in range(fm):
                cx, cy = (j + 0.5) / fm, (i + 0.5) / fm
                for ar in cfg.aspect_ratios:
                    priors.append([cx, cy, s * math.sqrt(ar), s / math.sqrt(ar)])
                extra = math.sqrt(s * s_next)
                priors.append([cx, cy, extra, extra])
    return np.clip(np.array(priors, dtype=np.float32), 0.0, 1.0)


PRIORS = ssd_priors(cfg)
NUM_PRIORS = PRIORS.shape[0]


def to_corners(b):
    return np.hstack([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2])


def iou_matrix(boxes, priors_xyxy):
    x1 = np.maximum(boxes[:, None, 0], priors_xyxy[None, :, 0])
    y1 = np.maximum(boxes[:, None, 1], priors_xyxy[None, :, 1])
    x2 = np.minimum(boxes[:, None, 2], priors_xyxy[None, :, 2])
    y2 = np.minimum(boxes[:, None, 3], priors_xyxy[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / (area(boxes)[:, None] + area(priors_xyxy)[None, :] - inter)


PRIORS_XYXY = to_corners(PRIORS)


def match(gt_boxes, gt_labels):
    """gt_boxes normalised xyxy (G, 4) -> y_true row (NUM_PRIORS, 1 + 4)."""
    ious = iou_matrix(gt_boxes, PRIORS_XYXY)            # (G, P)
    best_prior_per_gt = ious.argmax(1)
    best_gt = ious.argmax(0)
    best_iou = ious.max(0)
    best_iou[best_prior_per_gt] = 2.0
    best_gt[best_prior_per_gt] = np.arange(len(gt_boxes))

    labels = np.where(best_iou >= cfg.iou_threshold, gt_labels[best_gt], 0)
    g = gt_boxes[best_gt]
    g_c = (g[:, :2] + g[:, 2:]) / 2
    g_wh = g[:, 2:] - g[:, :2]
    v0, v1 = cfg.variances
    loc = np.hstack([(g_c - PRIORS[:, :2]) / (v0 * PRIORS[:, 2:]),
                     np.log(g_wh / PRIORS[:, 2:]) / v1])
    return np.hstack([labels[:, None].astype(np.float32), loc.astype(np.float32)])


# ------------------------------------------------------------------ data
def render(cfg):
    S = cfg.image_size
    img = np.full((S, S, 3), 0.1, np.float32) + rng.normal(0, 0.03, (S, S, 3)).astype(np.float32)
    yy, xx = np.mgrid[:S, :S]
    boxes, labels = [], []
    for _ in range(rng.integers(1, 4)):
        label = int(rng.integers(1, cfg.num_classes))
        size = int(rng.integers(10, 34))
        x0, y0 = rng.integers(0, S - size, 2)
        if label == 1:
            r = size / 2
            mask = (yy - y0 - r) ** 2 + (xx - x0 - r) ** 2 <= r * r
        elif label == 2:
            mask = (yy >= y0) & (yy < y0 + size) & (xx >= x0) & (xx < x0 + size)
        else:
            mask = (yy >= y0) & (yy < y0 + size) & (np.abs(xx - x0 - size / 2) <= (yy - y0) / 2)
        img[mask] = rng.uniform(0.4, 1.0, 3)
        boxes.append([x0 / S, y0 / S, (x0 + size) / S, (y0 + size) / S])
        labels.append(label)
    return img, np.array(boxes, np.float32), np.array(labels, np.int64)


samples = [render(cfg) for _ in range(cfg.n_images)]
X = np.stack([s[0] for s in samples])
Y = np.stack([match(s[1], s[2]) for s in samples])
print(f"priors: {NUM_PRIORS}, X {X.shape}, Y {Y.shape}, "
      f"avg matched priors/img: {(Y[..., 0] > 0).sum(1).mean():.1f}")

n_val = 32
train_ds = (tf.data.Dataset.from_tensor_slices((X[n_val:], Y[n_val:]))
            .shuffle(512).batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE))
val_ds = tf.data.Dataset.from_tensor_slices((X[:n_val], Y[:n_val])).batch(cfg.batch_size)


# ------------------------------------------------------------------ model
def sep_block(x, filters, stride, name):
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.ReLU(6.0, name=f"{name}_dw_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_pw_relu")(x)


def build_ssd(cfg):
    inputs = keras.Input((cfg.image_size, cfg.image_size, 3))
    x = layers.Conv2D(cfg.widths[0], 3, strides=2, padding="same", activation="relu", name="stem")(inputs)
    x = sep_block(x, cfg.widths[1], 2, "b1")       # 16x16
    x = sep_block(x, cfg.widths[2], 2, "b2")       # 8x8   -> source 0
    sources = [x]
    for k, w in enumerate(cfg.widths[3:] + [cfg.widths[-1]]):
        x = sep_block(x, w, 2, f"extra{k}")         # 4x4, 2x2, 1x1
        sources.append(x)
    sources = sources[: len(cfg.feature_maps)]

    confs, locs = [], []
    for k, src in enumerate(sources):
        assert src.shape[1] == cfg.feature_maps[k], (src.shape, cfg.feature_maps[k])
        c = layers.Conv2D(cfg.boxes_per_loc * cfg.num_classes, 3, padding="same", name=f"conf{k}")(src)
        l = layers.Conv2D(cfg.boxes_per_loc * 4, 3, padding="same", name=f"loc{k}")(src)
        confs.append(layers.Reshape((-1, cfg.num_classes), name=f"conf{k}_flat")(c))
        locs.append(layers.Reshape((-1, 4), name=f"loc{k}_flat")(l))
    conf = layers.Concatenate(axis=1, name="conf")(confs)
    loc = layers.Concatenate(axis=1, name="loc")(locs)
    out = layers.Concatenate(axis=-1, name="predictions")([conf, loc])
    return keras.Model(inputs, out, name="tiny_ssd")


class MultiBoxLoss(keras.losses.Loss):
    def __init__(self, num_classes, neg_pos_ratio=3, name="multibox"):
        super().__init__(name=name)
        self.num_classes = num_classes
        self.neg_pos_ratio = neg_pos_ratio

    def call(self, y_true, y_pred):
        labels = ops.cast(y_true[..., 0], "int32")
        loc_t = y_true[..., 1:]
        logits = y_pred[..., : self.num_classes]
        loc_p = y_pred[..., self.num_classes:]

        pos = ops.cast(labels > 0, "float32")
        num_pos = ops.sum(pos, axis=1)                                   # (B,)

        ce = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)  # (B, P)
        # hard negative mining: rank negatives by loss, keep the top neg_pos_ratio * num_pos
        neg_ce = ce * (1.0 - pos)
        order = ops.argsort(-neg_ce, axis=1)
        rank = ops.argsort(order, axis=1)
        num_neg = ops.minimum(self.neg_pos_ratio * num_pos, ops.cast(ops.shape(labels)[1], "float32") - num_pos)
        neg = ops.cast(ops.cast(rank, "float32") < num_neg[:, None], "float32")

        conf_loss = ops.sum(ce * ops.maximum(pos, neg), axis=1)
        loc_loss = ops.sum(ops.sum(self._smooth_l1(loc_t, loc_p), axis=-1) * pos, axis=1)
        return (conf_loss + loc_loss) / ops.maximum(num_pos, 1.0)

    @staticmethod
    def _smooth_l1(t, p):
        d = ops.abs(t - p)
        return ops.where(d < 1.0, 0.5 * d * d, d - 0.5)


def positive_accuracy(y_true, y_pred):
    """Classification accuracy on matched (positive) priors only."""
    labels = ops.cast(y_true[..., 0], "int32")
    pred_cls = ops.argmax(y_pred[..., : cfg.num_classes], axis=-1)
    pos = ops.cast(labels > 0, "float32")
    hit = ops.cast(ops.equal(pred_cls, labels), "float32") * pos
    return ops.sum(hit) / ops.maximum(ops.sum(pos), 1.0)


model = build_ssd(cfg)
print("output:", model.output_shape, "| expected priors:", NUM_PRIORS)
model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss=MultiBoxLoss(cfg.num_classes, cfg.neg_pos_ratio),
              metrics=[positive_accuracy])
model.fit(train_ds, validation_data=val_ds, epochs=cfg.epochs, verbose=2)


# ------------------------------------------------------------------ decode + NMS
def detect(model, images, score_thresh=0.1, max_det=5):
    raw = model.predict(images, verbose=0)
    probs = tf.nn.softmax(raw[..., : cfg.num_classes], axis=-1).numpy()
    loc = raw[..., cfg.num_classes:]
    v0, v1 = cfg.variances
    centers = PRIORS[:, :2] + loc[..., :2] * v0 * PRIORS[:, 2:]
    sizes = PRIORS[:, 2:] * np.exp(loc[..., 2:] * v1)
    boxes = np.concatenate([centers - sizes / 2, centers + sizes / 2], -1)
    results = []
    for b in range(len(images)):
        dets = []
        for c in range(1, cfg.num_classes):
            scores = probs[b, :, c]
            yx = boxes[b][:, [1, 0, 3, 2]]
            keep = tf.image.non_max_suppression(yx, scores, max_det, 0.45, score_thresh).numpy()
            dets += [(cfg.classes[c], float(scores[i]), np.round(boxes[b, i] * cfg.image_size, 1).tolist())
                     for i in keep]
        results.append(sorted(dets, key=lambda d: -d[1])[:max_det])
    return results


for i, dets in enumerate(detect(model, X[:3])):
    gt = [cfg.classes[l] for l in samples[i][2]]
    print(f"img {i} gt={gt} det={[(n, round(s, 2)) for n, s, _ in dets]}")

"""Tiny RetinaNet on synthetic rectangles.

Anchors are generated in numpy for each pyramid level, targets are assigned
with a tf IoU matrix, and the model has shared class/box subnets applied to
P3-P5 whose outputs are reshaped and concatenated.
"""
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 128
NUM_CLASSES = 3
STRIDES = [8, 16, 32]
ANCHOR_SIZES = [24.0, 48.0, 96.0]
ASPECT_RATIOS = [0.5, 1.0, 2.0]
SCALES = [1.0, 2 ** (1 / 3)]
NUM_ANCHORS = len(ASPECT_RATIOS) * len(SCALES)
BOX_VARIANCE = np.array([0.1, 0.1, 0.2, 0.2], dtype=np.float32)
BATCH_SIZE = 8
N_SAMPLES = 160
POS_IOU, NEG_IOU = 0.5, 0.4

rng = np.random.default_rng(7)


# --------------------------------------------------------------------------
# anchors (numpy)
# --------------------------------------------------------------------------
def anchors_for_level(stride, base_size):
    fm = IMG_SIZE // stride
    shapes = []
    for ratio in ASPECT_RATIOS:
        for scale in SCALES:
            area = (base_size * scale) ** 2
            h = math.sqrt(area / ratio)
            w = area / h
            shapes.append((w, h))
    shapes = np.array(shapes, dtype=np.float32)  # (A, 2)

    cx = (np.arange(fm, dtype=np.float32) + 0.5) * stride
    cy = (np.arange(fm, dtype=np.float32) + 0.5) * stride
    cx, cy = np.meshgrid(cx, cy)
    centers = np.stack([cx, cy], axis=-1).reshape(-1, 1, 2)
    centers = np.tile(centers, (1, NUM_ANCHORS, 1))
    wh = np.tile(shapes[None], (fm * fm, 1, 1))
    return np.concatenate([centers, wh], axis=-1).reshape(-1, 4)


def build_all_anchors():
    per_level = [anchors_for_level(s, a) for s, a in zip(STRIDES, ANCHOR_SIZES)]
    for s, a in zip(STRIDES, per_level):
        print(f"  stride {s:>2}: {a.shape[0]} anchors")
    return np.concatenate(per_level, axis=0)


ANCHORS = build_all_anchors()  # (N, 4) in cxcywh
print("total anchors:", ANCHORS.shape)


# --------------------------------------------------------------------------
# box utils (tf)
# --------------------------------------------------------------------------
def cxcywh_to_xyxy(b):
    return tf.concat([b[..., :2] - b[..., 2:] / 2.0, b[..., :2] + b[..., 2:] / 2.0], axis=-1)


def xyxy_to_cxcywh(b):
    return tf.concat([(b[..., :2] + b[..., 2:]) / 2.0, b[..., 2:] - b[..., :2]], axis=-1)


def iou_matrix(boxes_a, boxes_b):
    """boxes in xyxy; returns (Na, Nb)."""
    a = boxes_a[:, None, :]
    b = boxes_b[None, :, :]
    lt = tf.maximum(a[..., :2], b[..., :2])
    rb = tf.minimum(a[..., 2:], b[..., 2:])
    inter_wh = tf.maximum(rb - lt, 0.0)
    inter = inter_wh[..., 0] * inter_wh[..., 1]
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return inter / tf.maximum(area_a + area_b - inter, 1e-8)


def encode(matched_gt_cxcywh, anchors_cxcywh):
    t_xy = (matched_gt_cxcywh[:, :2] - anchors_cxcywh[:, :2]) / anchors_cxcywh[:, 2:]
    t_wh = tf.math.log(matched_gt_cxcywh[:, 2:] / anchors_cxcywh[:, 2:])
    return tf.concat([t_xy, t_wh], axis=-1) / BOX_VARIANCE


def decode(deltas, anchors_cxcywh):
    deltas = deltas * BOX_VARIANCE
    xy = deltas[..., :2] * anchors_cxcywh[..., 2:] + anchors_cxcywh[..., :2]
    wh = tf.exp(deltas[..., 2:]) * anchors_cxcywh[..., 2:]
    return cxcywh_to_xyxy(tf.concat([xy, wh], axis=-1))


# --------------------------------------------------------------------------
# synthetic data
# --------------------------------------------------------------------------
MAX_BOXES = 4


def make_sample():
    img = rng.normal(0.0, 0.05, size=(IMG_SIZE, IMG_SIZE, 3)).astype(np.float32)
    n = rng.integers(1, MAX_BOXES + 1)
    boxes = np.zeros((MAX_BOXES, 4), np.float32)
    labels = -np.ones((MAX_BOXES,), np.int32)
    for i in range(n):
        w, h = rng.uniform(16, 70, size=2)
        x0 = rng.uniform(0, IMG_SIZE - w)
        y0 = rng.uniform(0, IMG_SIZE - h)
        c = rng.integers(0, NUM_CLASSES)
        img[int(y0):int(y0 + h), int(x0):int(x0 + w), c] += 1.0
        boxes[i] = [x0, y0, x0 + w, y0 + h]
        labels[i] = c
    return img, boxes, labels


samples = [make_sample() for _ in range(N_SAMPLES)]
images = np.stack([s[0] for s in samples])
gt_boxes = np.stack([s[1] for s in samples])
gt_labels = np.stack([s[2] for s in samples])

anchors_tf = tf.constant(ANCHORS)
anchors_xyxy = cxcywh_to_xyxy(anchors_tf)


def assign_targets(image, boxes, labels):
    valid = labels >= 0
    boxes_v = tf.boolean_mask(boxes, valid)
    labels_v = tf.boolean_mask(labels, valid)
    ious = iou_matrix(anchors_xyxy, boxes_v)  # (N, G)
    best_iou = tf.reduce_max(ious, axis=1)
    best_idx = tf.argmax(ious, axis=1)
    matched = tf.gather(boxes_v, best_idx)
    box_t = encode(xyxy_to_cxcywh(matched), anchors_tf)
    cls_t = tf.cast(tf.gather(labels_v, best_idx), tf.float32)
    # -1 negative, -2 ignore
    cls_t = tf.where(best_iou >= POS_IOU, cls_t, -1.0)
    ignore = tf.logical_and(best_iou >= NEG_IOU, best_iou < POS_IOU)
    cls_t = tf.where(ignore, -2.0, cls_t)
    target = tf.concat([box_t, cls_t[:, None]], axis=-1)
    return image, target


ds = (
    tf.data.Dataset.from_tensor_slices((images, gt_boxes, gt_labels))
    .map(assign_targets, num_parallel_calls=tf.data.AUTOTUNE)
    .shuffle(64)
    .batch(BATCH_SIZE, drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
def conv_block(x, filters, stride=1, name=None):
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_backbone(inputs):
    x = conv_block(inputs, 16, 2)
    x = conv_block(x, 24, 2)
    c3 = conv_block(x, 32, 2)   # /8
    c4 = conv_block(c3, 48, 2)  # /16
    c5 = conv_block(c4, 64, 2)  # /32
    return c3, c4, c5


def build_fpn(c3, c4, c5, width=48):
    p5 = layers.Conv2D(width, 1, name="lat5")(c5)
    p4 = layers.Add()([layers.Conv2D(width, 1, name="lat4")(c4), layers.UpSampling2D()(p5)])
    p3 = layers.Add()([layers.Conv2D(width, 1, name="lat3")(c3), layers.UpSampling2D()(p4)])
    return [layers.Conv2D(width, 3, padding="same", name=f"P{i}")(p) for i, p in zip((3, 4, 5), (p3, p4, p5))]


def make_head(out_per_anchor, width, depth, name, bias_init="zeros"):
    head = keras.Sequential(name=name)
    head.add(keras.Input(shape=(None, None, width)))
    for i in range(depth):
        head.add(layers.Conv2D(width, 3, padding="same", activation="relu",
                               kernel_initializer=keras.initializers.RandomNormal(stddev=0.01)))
    head.add(layers.Conv2D(NUM_ANCHORS * out_per_anchor, 3, padding="same",
                           kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
                           bias_initializer=bias_init))
    return head


def build_retinanet(width=48):
    inputs = keras.Input((IMG_SIZE, IMG_SIZE, 3))
    feats = build_fpn(*build_backbone(inputs), width=width)
    prior = -math.log((1 - 0.01) / 0.01)
    cls_head = make_head(NUM_CLASSES, width, 2, "cls_head", keras.initializers.Constant(prior))
    box_head = make_head(4, width, 2, "box_head")

    cls_outs, box_outs = [], []
    for lvl, f in zip(STRIDES, feats):
        cls_outs.append(layers.Reshape((-1, NUM_CLASSES), name=f"cls_s{lvl}")(cls_head(f)))
        box_outs.append(layers.Reshape((-1, 4), name=f"box_s{lvl}")(box_head(f)))
    cls_all = layers.Concatenate(axis=1)(cls_outs)
    box_all = layers.Concatenate(axis=1)(box_outs)
    out = layers.Concatenate(axis=-1, name="predictions")([box_all, cls_all])
    return keras.Model(inputs, out, name="tiny_retinanet")


class RetinaLoss(keras.losses.Loss):
    def __init__(self, alpha=0.25, gamma=2.0, delta=1.0, **kw):
        super().__init__(reduction="sum_over_batch_size", name="retina_loss", **kw)
        self.alpha, self.gamma, self.delta = alpha, gamma, delta

    def call(self, y_true, y_pred):
        box_t, cls_t = y_true[..., :4], y_true[..., 4]
        box_p, cls_p = y_pred[..., :4], y_pred[..., 4:]
        pos = tf.cast(cls_t >= 0, tf.float32)
        not_ignored = tf.cast(cls_t > -2, tf.float32)
        onehot = tf.one_hot(tf.cast(tf.maximum(cls_t, 0), tf.int32), NUM_CLASSES) * pos[..., None]

        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=onehot, logits=cls_p)
        p = tf.sigmoid(cls_p)
        p_t = onehot * p + (1 - onehot) * (1 - p)
        alpha_t = onehot * self.alpha + (1 - onehot) * (1 - self.alpha)
        focal = tf.reduce_sum(alpha_t * tf.pow(1 - p_t, self.gamma) * ce, axis=-1)

        diff = tf.abs(box_t - box_p)
        huber = tf.where(diff < self.delta, 0.5 * diff ** 2, diff - 0.5 * self.delta)
        huber = tf.reduce_sum(huber, axis=-1)

        n_pos = tf.maximum(tf.reduce_sum(pos, axis=-1), 1.0)
        cls_loss = tf.reduce_sum(focal * not_ignored, axis=-1) / n_pos
        box_loss = tf.reduce_sum(huber * pos, axis=-1) / n_pos
        return cls_loss + box_loss


model = build_retinanet()
model.summary(line_length=100)
model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=10.0), loss=RetinaLoss())
model.fit(ds, epochs=2, steps_per_epoch=10, verbose=2)


# --------------------------------------------------------------------------
# inference with combined NMS
# --------------------------------------------------------------------------
def postprocess(raw, max_det=20, score_thr=0.01):
    boxes = decode(raw[..., :4], anchors_tf[None])
    scores = tf.sigmoid(raw[..., 4:])
    boxes = tf.clip_by_value(boxes / IMG_SIZE, 0.0, 1.0)
    return tf.image.combined_non_max_suppression(
        boxes[:, :, None, :], scores,
        max_output_size_per_class=max_det,
        max_total_size=max_det,
        iou_threshold=0.5,
        score_threshold=score_thr,
        clip_boxes=False,
    )


raw = model.predict(images[:4], verbose=0)
nmsed = postprocess(tf.constant(raw))
for i in range(4):
    n = int(nmsed.valid_detections[i])
    top = nmsed.nmsed_scores[i, :min(n, 3)].numpy().round(3)
    print(f"image {i}: {n} detections, top scores {top}, gt classes {gt_labels[i][gt_labels[i] >= 0]}")

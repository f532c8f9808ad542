"""
RetinaNet-lite on a toy dataset of coloured rectangles.

 * anchors are generated once in numpy (per FPN level, scales x aspect ratios)
 * ground-truth matching (IoU) and box encoding are done in numpy as well,
   so the tf.data pipeline just serves precomputed targets
 * FPN neck (P3-P5) with lateral 1x1 convs + UpSampling2D top-down path
 * shared classification / regression subnets, reshaped to (batch, anchors, k)
 * focal loss + smooth-L1, custom tf.function training loop
 * decoding + tf.image.combined_non_max_suppression at the end
"""
import itertools
import math

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMAGE_SIZE = 64
NUM_CLASSES = 2            # red-ish boxes and blue-ish boxes
STRIDES = [8, 16, 32]      # P3, P4, P5
ANCHOR_SIZES = [12.0, 24.0, 48.0]
ASPECT_RATIOS = [0.5, 1.0, 2.0]
ANCHOR_SCALES = [1.0, 1.26]
NUM_ANCHORS_PER_LOC = len(ASPECT_RATIOS) * len(ANCHOR_SCALES)
BOX_VARIANCE = np.array([0.1, 0.1, 0.2, 0.2], dtype=np.float32)
POS_IOU, NEG_IOU = 0.5, 0.4
MAX_OBJECTS = 3
BATCH_SIZE = 16
NUM_TRAIN = 192
EPOCHS = 2

np.random.seed(0)
tf.random.set_seed(0)


# ----------------------------------------------------------------------------
# numpy box utilities
# ----------------------------------------------------------------------------
def make_anchors(image_size=IMAGE_SIZE):
    """Anchors as (cx, cy, w, h), ordered level -> y -> x -> anchor.

    That order matches what you get from Reshape((-1, k)) on a (H, W, A*k)
    head output followed by concatenation over levels.
    """
    all_anchors = []
    for stride, base in zip(STRIDES, ANCHOR_SIZES):
        fm = math.ceil(image_size / stride)
        shapes = []
        for ratio, scale in itertools.product(ASPECT_RATIOS, ANCHOR_SCALES):
            area = (base * scale) ** 2
            w = np.sqrt(area / ratio)
            shapes.append((w, w * ratio))
        shapes = np.array(shapes, dtype=np.float32)                  # (A, 2)
        centers = (np.arange(fm, dtype=np.float32) + 0.5) * stride
        cx, cy = np.meshgrid(centers, centers)                       # (fm, fm)
        ctr = np.stack([cx, cy], axis=-1).reshape(-1, 1, 2)          # (fm*fm, 1, 2)
        ctr = np.broadcast_to(ctr, (fm * fm, len(shapes), 2))
        wh = np.broadcast_to(shapes[None], (fm * fm, len(shapes), 2))
        all_anchors.append(np.concatenate([ctr, wh], axis=-1).reshape(-1, 4))
    return np.concatenate(all_anchors, axis=0)


def cxcywh_to_xyxy(b):
    return np.concatenate([b[..., :2] - b[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2], axis=-1)


def xyxy_to_cxcywh(b):
    return np.concatenate([(b[..., :2] + b[..., 2:]) / 2, b[..., 2:] - b[..., :2]], axis=-1)


def pairwise_iou(a, b):
    """a: (N, 4) xyxy, b: (M, 4) xyxy -> (N, M)"""
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=-1)
    area_a = np.prod(a[:, 2:] - a[:, :2], axis=-1)
    area_b = np.prod(b[:, 2:] - b[:, :2], axis=-1)
    return inter / (area_a[:, None] + area_b[None, :] - inter + 1e-8)


def encode_targets(anchors, gt_boxes, gt_classes):
    """Returns cls_target (N,) with -1 = ignore, 0 = bg, 1..C = class; box_target (N, 4)."""
    n = anchors.shape[0]
    cls_target = np.zeros(n, dtype=np.int32)
    box_target = np.zeros((n, 4), dtype=np.float32)
    if len(gt_boxes) == 0:
        return cls_target, box_target
    iou = pairwise_iou(cxcywh_to_xyxy(anchors), gt_boxes)
    best_gt = iou.argmax(axis=1)
    best_iou = iou.max(axis=1)
    # make sure every object gets at least its best anchor
    forced = iou.argmax(axis=0)
    best_gt[forced] = np.arange(len(gt_boxes))
    best_iou[forced] = 1.0

    cls_target[best_iou < POS_IOU] = -1
    cls_target[best_iou < NEG_IOU] = 0
    pos = best_iou >= POS_IOU
    cls_target[pos] = gt_classes[best_gt[pos]] + 1

    matched = xyxy_to_cxcywh(gt_boxes[best_gt])
    deltas = np.concatenate([
        (matched[:, :2] - anchors[:, :2]) / anchors[:, 2:],
        np.log(matched[:, 2:] / anchors[:, 2:]),
    ], axis=-1)
    box_target[:] = deltas / BOX_VARIANCE
    return cls_target, box_target


def random_scene():
    img = np.random.uniform(0, 0.2, (IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)
    boxes, classes = [], []
    for _ in range(np.random.randint(1, MAX_OBJECTS + 1)):
        w, h = np.random.randint(8, 36, size=2)
        x1 = np.random.randint(0, IMAGE_SIZE - w)
        y1 = np.random.randint(0, IMAGE_SIZE - h)
        c = np.random.randint(NUM_CLASSES)
        color = [0.9, 0.2, 0.1] if c == 0 else [0.1, 0.3, 0.9]
        img[y1:y1 + h, x1:x1 + w] = np.array(color) + np.random.normal(0, 0.05, 3)
        boxes.append([x1, y1, x1 + w, y1 + h])
        classes.append(c)
    return img, np.array(boxes, np.float32), np.array(classes, np.int32)


ANCHORS = make_anchors()
print(f"{len(ANCHORS)} anchors, {NUM_ANCHORS_PER_LOC} per location, levels {STRIDES}")

images, cls_targets, box_targets, raw_boxes = [], [], [], []
for _ in range(NUM_TRAIN):
    im, bx, cl = random_scene()
    ct, bt = encode_targets(ANCHORS, bx, cl)
    images.append(im)
    cls_targets.append(ct)
    box_targets.append(bt)
    raw_boxes.append((bx, cl))
images = np.stack(images)
cls_targets = np.stack(cls_targets)
box_targets = np.stack(box_targets)
print("positives per image (mean):", float((cls_targets > 0).sum(1).mean()))

train_ds = (tf.data.Dataset.from_tensor_slices((images, {"cls": cls_targets, "box": box_targets}))
            .shuffle(NUM_TRAIN, seed=0)
            .batch(BATCH_SIZE, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
def conv_bn(x, filters, strides=1, name=None):
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False, name=name)(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def build_backbone(inputs):
    x = conv_bn(inputs, 16, strides=2, name="stem")      # /2
    x = conv_bn(x, 24, strides=2, name="s1")              # /4
    c3 = conv_bn(x, 32, strides=2, name="c3")             # /8
    c4 = conv_bn(c3, 48, strides=2, name="c4")            # /16
    c5 = conv_bn(c4, 64, strides=2, name="c5")            # /32
    return c3, c4, c5


def build_fpn(c3, c4, c5, ch=32):
    p5 = layers.Conv2D(ch, 1, name="lat_c5")(c5)
    p4 = layers.Add(name="p4_merge")([layers.Conv2D(ch, 1, name="lat_c4")(c4),
                                      layers.UpSampling2D(2, name="p5_up")(p5)])
    p3 = layers.Add(name="p3_merge")([layers.Conv2D(ch, 1, name="lat_c3")(c3),
                                      layers.UpSampling2D(2, name="p4_up")(p4)])
    return [layers.Conv2D(ch, 3, padding="same", name=f"p{i}_out")(p)
            for i, p in zip((3, 4, 5), (p3, p4, p5))]


def make_subnet(out_per_anchor, name, bias_init="zeros", ch=32, depth=2):
    # spatial dims left as None so the same subnet can run on every pyramid level
    subnet = keras.Sequential([keras.Input((None, None, ch))], name=name)
    for i in range(depth):
        subnet.add(layers.Conv2D(ch, 3, padding="same", activation="relu", name=f"{name}_conv{i}"))
    subnet.add(layers.Conv2D(NUM_ANCHORS_PER_LOC * out_per_anchor, 3, padding="same",
                             bias_initializer=bias_init, name=f"{name}_pred"))
    return subnet


def build_retinanet():
    inputs = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    pyramid = build_fpn(*build_backbone(inputs))
    prior = 0.01
    cls_net = make_subnet(NUM_CLASSES, "cls_subnet",
                          bias_init=keras.initializers.Constant(-np.log((1 - prior) / prior)))
    box_net = make_subnet(4, "box_subnet")
    cls_outs, box_outs = [], []
    for level, p in zip((3, 4, 5), pyramid):
        cls_outs.append(layers.Reshape((-1, NUM_CLASSES), name=f"cls_reshape_p{level}")(cls_net(p)))
        box_outs.append(layers.Reshape((-1, 4), name=f"box_reshape_p{level}")(box_net(p)))
    cls_logits = layers.Concatenate(axis=1, name="cls")(cls_outs)
    box_deltas = layers.Concatenate(axis=1, name="box")(box_outs)
    return keras.Model(inputs, {"cls": cls_logits, "box": box_deltas}, name="retinanet_lite")


model = build_retinanet()
out = model(tf.zeros((2, IMAGE_SIZE, IMAGE_SIZE, 3)))
print({k: v.shape for k, v in out.items()})
assert out["cls"].shape[1] == len(ANCHORS), "head layout must match numpy anchors"


# ----------------------------------------------------------------------------
# losses + training loop
# ----------------------------------------------------------------------------
def focal_loss(cls_true, cls_logits, alpha=0.25, gamma=2.0):
    valid = tf.cast(cls_true >= 0, tf.float32)
    onehot = tf.one_hot(cls_true - 1, NUM_CLASSES)  # bg (0) and ignore (-1) -> all zeros
    ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=onehot, logits=cls_logits)
    p = tf.sigmoid(cls_logits)
    p_t = onehot * p + (1 - onehot) * (1 - p)
    a_t = onehot * alpha + (1 - onehot) * (1 - alpha)
    loss = a_t * tf.pow(1.0 - p_t, gamma) * ce
    return tf.reduce_sum(tf.reduce_sum(loss, -1) * valid)


def box_loss(cls_true, box_true, box_pred, delta=1.0):
    pos = tf.cast(cls_true > 0, tf.float32)
    diff = tf.abs(box_true - box_pred)
    l = tf.where(diff < delta, 0.5 * diff ** 2 / delta, diff - 0.5 * delta)
    return tf.reduce_sum(tf.reduce_sum(l, -1) * pos)


optimizer = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=10.0)


@tf.function
def train_step(x, targets):
    num_pos = tf.maximum(1.0, tf.reduce_sum(tf.cast(targets["cls"] > 0, tf.float32)))
    with tf.GradientTape() as tape:
        preds = model(x, training=True)
        l_cls = focal_loss(targets["cls"], preds["cls"]) / num_pos
        l_box = box_loss(targets["cls"], targets["box"], preds["box"]) / num_pos
        total = l_cls + l_box
    grads = tape.gradient(total, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return l_cls, l_box


for epoch in range(EPOCHS):
    c_hist, b_hist = [], []
    for x, t in train_ds:
        lc, lb = train_step(x, t)
        c_hist.append(float(lc))
        b_hist.append(float(lb))
    print(f"epoch {epoch + 1}/{EPOCHS}  focal={np.mean(c_hist):.4f}  smooth_l1={np.mean(b_hist):.4f}")


# ----------------------------------------------------------------------------
# inference: decode deltas against anchors and run NMS
# ----------------------------------------------------------------------------
anchors_tf = tf.constant(ANCHORS)


def decode(box_deltas):
    d = box_deltas * BOX_VARIANCE
    ctr = d[..., :2] * anchors_tf[:, 2:] + anchors_tf[:, :2]
    wh = tf.exp(d[..., 2:]) * anchors_tf[:, 2:]
    xyxy = tf.concat([ctr - wh / 2, ctr + wh / 2], axis=-1)
    return tf.clip_by_value(xyxy, 0.0, float(IMAGE_SIZE))


preds = model.predict(images[:4], verbose=0)
boxes_xyxy = decode(preds["box"])
# combined_nms wants (y1, x1, y2, x2), normalised, with a per-class box axis
yx = tf.gather(boxes_xyxy, [1, 0, 3, 2], axis=-1) / IMAGE_SIZE
nms = tf.image.combined_non_max_suppression(
    yx[:, :, None, :], tf.sigmoid(preds["cls"]),
    max_output_size_per_class=10, max_total_size=10,
    iou_threshold=0.5, score_threshold=0.05)
for i in range(4):
    n = int(nms.valid_detections[i])
    det = (nms.nmsed_boxes[i, :n].numpy() * IMAGE_SIZE).round(1)
    print(f"image {i}: gt={raw_boxes[i][0].tolist()} -> {n} detections, first: {det[:2].tolist()}")

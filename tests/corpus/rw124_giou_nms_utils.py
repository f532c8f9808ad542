# Box utilities I keep re-writing: IoU / GIoU / DIoU matrices in TF,
# a GIoU regression loss used to train a single-box localizer,
# and a comparison of the different NMS entry points in tf.image
# (hard NMS, padded NMS, soft-NMS via non_max_suppression_with_scores,
# plus a hand-rolled graph-mode NMS with tf.while_loop as a sanity check).

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

np.set_printoptions(precision=3, suppress=True)
EPS = 1e-7
IMG = 64


def box_area(b):
    return tf.maximum(b[..., 2] - b[..., 0], 0.0) * tf.maximum(b[..., 3] - b[..., 1], 0.0)


def iou_and_union(b1, b2):
    """Elementwise (broadcasting) IoU for [y1, x1, y2, x2] boxes."""
    tl = tf.maximum(b1[..., :2], b2[..., :2])
    br = tf.minimum(b1[..., 2:], b2[..., 2:])
    inter = tf.reduce_prod(tf.maximum(br - tl, 0.0), axis=-1)
    union = box_area(b1) + box_area(b2) - inter
    return inter / (union + EPS), union


def enclosing_box(b1, b2):
    return tf.concat([tf.minimum(b1[..., :2], b2[..., :2]),
                      tf.maximum(b1[..., 2:], b2[..., 2:])], axis=-1)


def giou(b1, b2):
    iou, union = iou_and_union(b1, b2)
    c_area = box_area(enclosing_box(b1, b2))
    return iou - (c_area - union) / (c_area + EPS)


def diou(b1, b2):
    iou, _ = iou_and_union(b1, b2)
    c = enclosing_box(b1, b2)
    diag = tf.reduce_sum(tf.square(c[..., 2:] - c[..., :2]), -1)
    ctr1 = (b1[..., :2] + b1[..., 2:]) / 2
    ctr2 = (b2[..., :2] + b2[..., 2:]) / 2
    return iou - tf.reduce_sum(tf.square(ctr1 - ctr2), -1) / (diag + EPS)


def pairwise(fn, a, b):
    """(N,4) x (M,4) -> (N,M) by broadcasting."""
    return fn(a[:, None, :], b[None, :, :])


# ---------------------------------------------------------------- quick check
a = tf.constant([[0., 0., 10., 10.], [5., 5., 15., 15.], [20., 20., 30., 30.]])
b = tf.constant([[0., 0., 10., 10.], [0., 0., 5., 5.]])
for name, fn in [("iou", lambda x, y: iou_and_union(x, y)[0]), ("giou", giou), ("diou", diou)]:
    print(name)
    print(pairwise(fn, a, b).numpy())

# numpy reference for the IoU matrix
def np_iou(a, b):
    tl = np.maximum(a[:, None, :2], b[None, :, :2])
    br = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(br - tl, 0, None), axis=-1)
    ar = lambda x: (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])
    return inter / (ar(a)[:, None] + ar(b)[None] - inter)

np.testing.assert_allclose(pairwise(lambda x, y: iou_and_union(x, y)[0], a, b).numpy(),
                           np_iou(a.numpy(), b.numpy()), atol=1e-5)
print("tf iou matches numpy")


# ---------------------------------------------------------------- GIoU-trained localizer
def single_box_data(n, seed):
    rs = np.random.RandomState(seed)
    x = rs.rand(n, IMG, IMG, 1).astype("float32") * 0.2
    y = np.zeros((n, 4), "float32")
    for i in range(n):
        h, w = rs.randint(8, 40, 2)
        y1, x1 = rs.randint(0, IMG - h), rs.randint(0, IMG - w)
        x[i, y1:y1 + h, x1:x1 + w, 0] = 1.0
        y[i] = np.array([y1, x1, y1 + h, x1 + w]) / IMG
    return x, y


def giou_loss(y_true, y_pred):
    return 1.0 - giou(y_true, y_pred)


class SortedBox(layers.Layer):
    """Turns 4 unconstrained numbers into a valid [y1,x1,y2,x2] box in [0,1]."""

    def call(self, t):
        ctr = tf.sigmoid(t[:, :2])
        size = tf.sigmoid(t[:, 2:])
        y1x1 = tf.clip_by_value(ctr - size / 2, 0.0, 1.0)
        y2x2 = tf.clip_by_value(ctr + size / 2, 0.0, 1.0)
        return tf.concat([y1x1, y2x2], axis=-1)


xtr, ytr = single_box_data(384, 0)
xte, yte = single_box_data(32, 1)

localizer = keras.Sequential([
    layers.Input((IMG, IMG, 1)),
    layers.Conv2D(16, 3, strides=2, activation="relu", padding="same"),
    layers.Conv2D(32, 3, strides=2, activation="relu", padding="same"),
    layers.Conv2D(32, 3, strides=2, activation="relu", padding="same"),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dense(4),
    SortedBox(),
], name="localizer")


def mean_iou_metric(y_true, y_pred):
    return iou_and_union(y_true, y_pred)[0]


localizer.compile(optimizer=keras.optimizers.Adam(3e-3), loss=giou_loss, metrics=[mean_iou_metric])
localizer.fit(xtr, ytr, epochs=2, batch_size=32, verbose=2)
scores_te = localizer.evaluate(xte, yte, verbose=0, return_dict=True)
print("test:", {k: round(float(v), 3) for k, v in scores_te.items()})


# ---------------------------------------------------------------- NMS comparison
def jitter_boxes(centers, per=6, seed=3):
    """Make clusters of overlapping candidate boxes around a few true boxes."""
    rs = np.random.RandomState(seed)
    out, scores = [], []
    for c in centers:
        for k in range(per):
            noise = rs.normal(0, 0.02, 4)
            out.append(np.clip(np.array(c) + noise, 0, 1))
            scores.append(rs.uniform(0.3, 0.95))
    return np.array(out, "float32"), np.array(scores, "float32")


true_boxes = [[0.1, 0.1, 0.4, 0.4], [0.5, 0.5, 0.9, 0.8], [0.15, 0.55, 0.45, 0.95]]
cand, cand_scores = jitter_boxes(true_boxes)
print(f"\n{len(cand)} candidates")

hard = tf.image.non_max_suppression(cand, cand_scores, max_output_size=10, iou_threshold=0.5)
print("hard NMS keeps", sorted(hard.numpy().tolist()))

padded_idx, n_valid = tf.image.non_max_suppression_padded(
    cand, cand_scores, max_output_size=10, iou_threshold=0.5, pad_to_max_output_size=True)
print("padded NMS:", padded_idx.numpy(), "valid =", int(n_valid))

soft_idx, soft_scores = tf.image.non_max_suppression_with_scores(
    cand, cand_scores, max_output_size=10, iou_threshold=1.0, score_threshold=0.1, soft_nms_sigma=0.5)
print("soft NMS idx   :", soft_idx.numpy())
print("soft NMS scores:", soft_scores.numpy())


@tf.function
def greedy_nms(boxes, scores, iou_thr=0.5, max_out=10):
    order = tf.argsort(scores, direction="DESCENDING")
    boxes = tf.gather(boxes, order)
    n = tf.shape(boxes)[0]
    ious = pairwise(lambda x, y: iou_and_union(x, y)[0], boxes, boxes)
    alive0 = tf.ones([n], tf.bool)
    keep0 = tf.TensorArray(tf.int32, size=0, dynamic_size=True)

    def cond(i, alive, keep):
        return tf.logical_and(i < n, keep.size() < max_out)

    def body(i, alive, keep):
        def take():
            suppress = ious[i] > iou_thr
            return tf.logical_and(alive, tf.logical_not(suppress)), keep.write(keep.size(), order[i])
        new_alive, new_keep = tf.cond(alive[i], take, lambda: (alive, keep))
        return i + 1, new_alive, new_keep

    _, _, keep = tf.while_loop(cond, body, [tf.constant(0), alive0, keep0])
    return keep.stack()


mine = greedy_nms(tf.constant(cand), tf.constant(cand_scores))
print("tf.while_loop NMS keeps", sorted(mine.numpy().tolist()))
assert sorted(mine.numpy().tolist()) == sorted(hard.numpy().tolist()), "mismatch with tf.image NMS"

# batch version for localizer outputs: combined NMS with a single class
pred_boxes = localizer.predict(xte[:4], verbose=0)
batched = tf.image.combined_non_max_suppression(
    pred_boxes[:, None, None, :], tf.ones([4, 1, 1]), max_output_size_per_class=1, max_total_size=1)
for i in range(4):
    got = batched.nmsed_boxes[i, 0].numpy()
    print(f"img {i}: pred {got} gt {yte[i]} giou {float(giou(got, yte[i])):.3f}")

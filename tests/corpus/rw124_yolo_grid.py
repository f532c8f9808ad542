"""YOLOv1-ish grid detector.

Output tensor is (S, S, B*5 + C): for every cell B boxes (x, y, w, h, conf)
plus one class distribution. Targets are encoded per-cell in numpy, the loss
picks the "responsible" predictor with an in-graph IoU, and detections are
filtered with tf.image.non_max_suppression.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass(frozen=True)
class YoloConfig:
    img: int = 112
    S: int = 7
    B: int = 2
    C: int = 3
    lambda_coord: float = 5.0
    lambda_noobj: float = 0.5
    n_train: int = 240
    batch: int = 12
    epochs: int = 2


cfg = YoloConfig()
CLASS_NAMES = ["red", "green", "blue"]
OUT_DEPTH = cfg.B * 5 + cfg.C


def render_dataset(n, seed=0):
    """Coloured rectangles, one colour per class; boxes in normalized xyxy."""
    r = np.random.RandomState(seed)
    xs = np.zeros((n, cfg.img, cfg.img, 3), np.float32)
    ys = np.zeros((n, cfg.S, cfg.S, 5 + cfg.C), np.float32)
    all_boxes = []
    for i in range(n):
        xs[i] += r.rand(cfg.img, cfg.img, 3).astype(np.float32) * 0.1
        boxes = []
        for _ in range(r.randint(1, 4)):
            c = r.randint(cfg.C)
            w, h = r.uniform(0.12, 0.45, size=2)
            cx, cy = r.uniform(w / 2, 1 - w / 2), r.uniform(h / 2, 1 - h / 2)
            x0, y0, x1, y1 = [int(v * cfg.img) for v in (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)]
            xs[i, y0:y1, x0:x1, c] = 0.9
            col, row = min(int(cx * cfg.S), cfg.S - 1), min(int(cy * cfg.S), cfg.S - 1)
            if ys[i, row, col, 4] == 1:   # one object per cell, first wins
                continue
            ys[i, row, col, :4] = [cx * cfg.S - col, cy * cfg.S - row, w, h]
            ys[i, row, col, 4] = 1.0
            ys[i, row, col, 5 + c] = 1.0
            boxes.append((c, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
        all_boxes.append(boxes)
    return xs, ys, all_boxes


x_train, y_train, train_boxes = render_dataset(cfg.n_train)
x_val, y_val, val_boxes = render_dataset(6, seed=99)
print("x", x_train.shape, "y", y_train.shape, "objects:", int(y_train[..., 4].sum()))


# -------------------------------------------------------------- grid helpers
def cell_offsets(S):
    gy, gx = tf.meshgrid(tf.range(S, dtype=tf.float32), tf.range(S, dtype=tf.float32), indexing="ij")
    return tf.stack([gx, gy], axis=-1)[None, :, :, None, :]  # (1,S,S,1,2)


GRID = cell_offsets(cfg.S)


def cells_to_xyxy(xywh):
    """xywh: (..., S, S, B, 4) with xy relative to the cell, wh relative to image."""
    center = (xywh[..., :2] + GRID) / cfg.S
    half = xywh[..., 2:4] / 2.0
    return tf.concat([center - half, center + half], axis=-1)


def iou_xyxy(a, b):
    inter_min = tf.maximum(a[..., :2], b[..., :2])
    inter_max = tf.minimum(a[..., 2:], b[..., 2:])
    inter = tf.reduce_prod(tf.nn.relu(inter_max - inter_min), axis=-1)
    area_a = tf.reduce_prod(a[..., 2:] - a[..., :2], axis=-1)
    area_b = tf.reduce_prod(b[..., 2:] - b[..., :2], axis=-1)
    return inter / (area_a + area_b - inter + 1e-7)


# -------------------------------------------------------------- model
class YoloHead(layers.Layer):
    """Splits the raw conv output into activated boxes and class probs."""

    def call(self, raw):
        s = tf.shape(raw)
        boxes = tf.reshape(raw[..., : cfg.B * 5], [s[0], cfg.S, cfg.S, cfg.B, 5])
        xy = tf.sigmoid(boxes[..., :2])
        wh = tf.sigmoid(boxes[..., 2:4])
        conf = tf.sigmoid(boxes[..., 4:5])
        cls = tf.nn.softmax(raw[..., cfg.B * 5:], axis=-1)
        flat = tf.reshape(tf.concat([xy, wh, conf], -1), [s[0], cfg.S, cfg.S, cfg.B * 5])
        return tf.concat([flat, cls], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape


def darknet_tiny(filters=(16, 32, 64, 96)):
    inp = keras.Input((cfg.img, cfg.img, 3))
    x = inp
    for f in filters:
        x = layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.LeakyReLU(negative_slope=0.1)(x)
        x = layers.MaxPooling2D(2)(x)
    # 112 -> 7 after four pools
    x = layers.Conv2D(128, 3, padding="same", activation="leaky_relu")(x)
    x = layers.Conv2D(OUT_DEPTH, 1)(x)
    out = YoloHead(name="yolo_head")(x)
    return keras.Model(inp, out, name="yolo_tiny")


class YoloLoss(keras.losses.Loss):
    def call(self, y_true, y_pred):
        bsz = tf.shape(y_pred)[0]
        pred_boxes = tf.reshape(y_pred[..., : cfg.B * 5], [bsz, cfg.S, cfg.S, cfg.B, 5])
        pred_cls = y_pred[..., cfg.B * 5:]
        obj = y_true[..., 4]                                   # (b,S,S)
        true_box = y_true[..., None, :4]                       # (b,S,S,1,4)

        ious = iou_xyxy(cells_to_xyxy(pred_boxes[..., :4]), cells_to_xyxy(true_box))  # (b,S,S,B)
        best = tf.one_hot(tf.argmax(ious, axis=-1), cfg.B)     # responsible predictor
        resp = best * obj[..., None]
        noresp = 1.0 - resp

        xy_loss = tf.reduce_sum(tf.square(pred_boxes[..., :2] - true_box[..., :2]), -1)
        wh_loss = tf.reduce_sum(tf.square(tf.sqrt(pred_boxes[..., 2:4] + 1e-6) -
                                          tf.sqrt(true_box[..., 2:4] + 1e-6)), -1)
        coord = cfg.lambda_coord * tf.reduce_sum(resp * (xy_loss + wh_loss), axis=[1, 2, 3])

        conf = pred_boxes[..., 4]
        conf_obj = tf.reduce_sum(resp * tf.square(conf - tf.stop_gradient(ious)), axis=[1, 2, 3])
        conf_noobj = cfg.lambda_noobj * tf.reduce_sum(noresp * tf.square(conf), axis=[1, 2, 3])
        cls = tf.reduce_sum(obj * tf.reduce_sum(tf.square(pred_cls - y_true[..., 5:]), -1), axis=[1, 2])
        return coord + conf_obj + conf_noobj + cls


class ObjectnessAccuracy(keras.metrics.Metric):
    """Fraction of cells where max box confidence > 0.5 agrees with having an object."""

    def __init__(self, name="obj_acc", **kw):
        super().__init__(name=name, **kw)
        self.correct = self.add_weight(name="correct", initializer="zeros")
        self.total = self.add_weight(name="total", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        conf = tf.reshape(y_pred[..., : cfg.B * 5], [-1, cfg.S, cfg.S, cfg.B, 5])[..., 4]
        pred_obj = tf.cast(tf.reduce_max(conf, -1) > 0.5, tf.float32)
        match = tf.cast(tf.equal(pred_obj, y_true[..., 4]), tf.float32)
        self.correct.assign_add(tf.reduce_sum(match))
        self.total.assign_add(tf.cast(tf.size(match), tf.float32))

    def result(self):
        return self.correct / tf.maximum(self.total, 1.0)

    def reset_state(self):
        self.correct.assign(0.0)
        self.total.assign(0.0)


model = darknet_tiny()
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=YoloLoss(), metrics=[ObjectnessAccuracy()])
model.fit(x_train, y_train, batch_size=cfg.batch, epochs=cfg.epochs,
          validation_split=0.1, verbose=2)


# -------------------------------------------------------------- post-process
def grid_to_detections(pred, score_thresh=0.05, iou_thresh=0.4, max_out=10):
    pred = tf.convert_to_tensor(pred)[None]
    boxes = tf.reshape(pred[..., : cfg.B * 5], [1, cfg.S, cfg.S, cfg.B, 5])
    xyxy = cells_to_xyxy(boxes[..., :4])                               # (1,S,S,B,4)
    cls_prob = pred[..., None, cfg.B * 5:]                             # (1,S,S,1,C)
    class_scores = boxes[..., 4:5] * cls_prob                          # (1,S,S,B,C)
    xyxy = tf.reshape(xyxy, [-1, 4])
    class_scores = tf.reshape(class_scores, [-1, cfg.C])
    best_cls = tf.argmax(class_scores, -1)
    best_score = tf.reduce_max(class_scores, -1)
    yxyx = tf.stack([xyxy[:, 1], xyxy[:, 0], xyxy[:, 3], xyxy[:, 2]], axis=1)
    keep = tf.image.non_max_suppression(yxyx, best_score, max_out,
                                        iou_threshold=iou_thresh, score_threshold=score_thresh)
    return (tf.gather(xyxy, keep).numpy(), tf.gather(best_score, keep).numpy(),
            tf.gather(best_cls, keep).numpy())


preds = model.predict(x_val, verbose=0)
for i, p in enumerate(preds):
    b, s, c = grid_to_detections(p)
    gt = ", ".join(CLASS_NAMES[g[0]] for g in val_boxes[i])
    found = ", ".join(f"{CLASS_NAMES[k]}@{v:.2f}" for k, v in zip(c, s))
    print(f"[{i}] gt: {gt:<22} | pred: {found or '-'}")

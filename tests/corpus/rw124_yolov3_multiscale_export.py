import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---- settings --------------------------------------------------------------
INPUT = 128
NUM_CLASSES = 3
# (w, h) anchors in pixels, 3 per scale, small scale first
ANCHORS = np.array([[10, 12], [18, 26], [30, 20],
                    [36, 48], [60, 40], [70, 80]], dtype=np.float32)
ANCHOR_MASKS = [[0, 1, 2], [3, 4, 5]]
STRIDES = [16, 32]
GRID_SIZES = [INPUT // s for s in STRIDES]
IGNORE_THRESH = 0.5
BATCH_SIZE = 8
TRAIN_SAMPLES = 192
MAX_BOXES = 6


def wh_iou(box_wh, anchors):
    inter = np.minimum(box_wh[None, 0], anchors[:, 0]) * np.minimum(box_wh[None, 1], anchors[:, 1])
    return inter / (box_wh[0] * box_wh[1] + anchors[:, 0] * anchors[:, 1] - inter)


def build_yolo_targets(boxes, classes):
    """boxes: (K,4) xyxy pixels -> list of (G, G, 3, 5 + C) arrays (one per scale)."""
    targets = [np.zeros((g, g, 3, 5 + NUM_CLASSES), np.float32) for g in GRID_SIZES]
    for (x1, y1, x2, y2), c in zip(boxes, classes):
        w, h = x2 - x1, y2 - y1
        best = int(np.argmax(wh_iou(np.array([w, h]), ANCHORS)))
        for scale, mask in enumerate(ANCHOR_MASKS):
            if best not in mask:
                continue
            g = GRID_SIZES[scale]
            cx, cy = (x1 + x2) / 2 / INPUT, (y1 + y2) / 2 / INPUT
            gi, gj = int(cx * g), int(cy * g)
            a = mask.index(best)
            targets[scale][gj, gi, a, :4] = [cx, cy, w / INPUT, h / INPUT]
            targets[scale][gj, gi, a, 4] = 1.0
            targets[scale][gj, gi, a, 5 + c] = 1.0
    return targets


def synth_dataset(n, rng):
    images = np.empty((n, INPUT, INPUT, 3), np.float32)
    t_small = np.zeros((n, GRID_SIZES[0], GRID_SIZES[0], 3, 5 + NUM_CLASSES), np.float32)
    t_large = np.zeros((n, GRID_SIZES[1], GRID_SIZES[1], 3, 5 + NUM_CLASSES), np.float32)
    for i in range(n):
        img = rng.uniform(0.0, 0.1, (INPUT, INPUT, 3))
        k = rng.integers(1, MAX_BOXES + 1)
        wh = ANCHORS[rng.integers(0, len(ANCHORS), k)] * rng.uniform(0.8, 1.2, (k, 2))
        xy = rng.uniform(0, 1, (k, 2)) * (INPUT - wh)
        boxes = np.concatenate([xy, xy + wh], axis=1)
        cls = rng.integers(0, NUM_CLASSES, k)
        for (x1, y1, x2, y2), c in zip(boxes.astype(int), cls):
            img[y1:y2, x1:x2] = 0.25
            img[y1:y2, x1:x2, c] = 1.0
        images[i] = img
        t_small[i], t_large[i] = build_yolo_targets(boxes, cls)
    return images, t_small, t_large


rng = np.random.default_rng(2024)
X, Y16, Y32 = synth_dataset(TRAIN_SAMPLES, rng)
print("images", X.shape, "| targets", Y16.shape, Y32.shape,
      "| objects per scale", int(Y16[..., 4].sum()), int(Y32[..., 4].sum()))


def random_flip(img, y16, y32):
    """Horizontal flip of image and grid targets (x -> 1 - x, columns reversed)."""
    do_flip = tf.random.uniform([]) < 0.5

    def flip_grid(t):
        t = tf.reverse(t, axis=[1])
        x = tf.where(t[..., 4:5] > 0, 1.0 - t[..., 0:1], t[..., 0:1])
        return tf.concat([x, t[..., 1:]], axis=-1)

    img = tf.cond(do_flip, lambda: tf.image.flip_left_right(img), lambda: img)
    y16 = tf.cond(do_flip, lambda: flip_grid(y16), lambda: y16)
    y32 = tf.cond(do_flip, lambda: flip_grid(y32), lambda: y32)
    return img, (y16, y32)


train_ds = (tf.data.Dataset.from_tensor_slices((X, Y16, Y32))
            .shuffle(TRAIN_SAMPLES, seed=0)
            .map(random_flip, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(BATCH_SIZE, drop_remainder=True)
            .prefetch(tf.data.AUTOTUNE))


# ---- model -----------------------------------------------------------------
def DarknetConv(x, filters, size, strides=1):
    x = layers.Conv2D(filters, size, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.LeakyReLU(0.1)(x)


def DarknetResidual(x, filters):
    shortcut = x
    x = DarknetConv(x, filters // 2, 1)
    x = DarknetConv(x, filters, 3)
    return layers.Add()([shortcut, x])


def YoloOutput(x, filters, name):
    x = DarknetConv(x, filters, 3)
    x = layers.Conv2D(3 * (5 + NUM_CLASSES), 1, name=f"{name}_conv")(x)
    g = x.shape[1]
    return layers.Reshape((g, g, 3, 5 + NUM_CLASSES), name=name)(x)


def build_yolo():
    inputs = layers.Input((INPUT, INPUT, 3), name="input")
    x = DarknetConv(inputs, 16, 3)
    for filters in (32, 48, 64):
        x = DarknetConv(x, filters, 3, strides=2)
        x = DarknetResidual(x, filters)
    route16 = DarknetConv(x, 96, 3, strides=2)        # /16
    x = DarknetConv(route16, 128, 3, strides=2)       # /32
    out32 = YoloOutput(x, 128, "yolo_s32")
    up = layers.UpSampling2D(2)(DarknetConv(x, 64, 1))
    x = layers.Concatenate()([up, route16])
    out16 = YoloOutput(x, 96, "yolo_s16")
    return keras.Model(inputs, [out16, out32], name="yolov3_micro")


@keras.utils.register_keras_serializable(package="rw124")
class YoloDecode(layers.Layer):
    """Raw grid output -> (B, G*G*3, 4) boxes [y1,x1,y2,x2] and (B, G*G*3, C) scores."""

    def __init__(self, anchors, **kwargs):
        super().__init__(**kwargs)
        self.anchors = np.asarray(anchors, np.float32).tolist()

    def call(self, raw):
        g = tf.shape(raw)[1]
        gy, gx = tf.meshgrid(tf.range(g), tf.range(g), indexing="ij")
        grid = tf.cast(tf.stack([gx, gy], -1)[:, :, None, :], raw.dtype)
        xy = (tf.sigmoid(raw[..., :2]) + grid) / tf.cast(g, raw.dtype)
        wh = tf.exp(tf.clip_by_value(raw[..., 2:4], -6.0, 6.0)) * tf.constant(self.anchors) / INPUT
        obj = tf.sigmoid(raw[..., 4:5])
        cls = tf.sigmoid(raw[..., 5:])
        x1y1, x2y2 = xy - wh / 2, xy + wh / 2
        boxes = tf.concat([x1y1[..., ::-1], x2y2[..., ::-1]], axis=-1)
        b = tf.shape(raw)[0]
        return tf.reshape(boxes, [b, -1, 4]), tf.reshape(obj * cls, [b, -1, NUM_CLASSES])

    def get_config(self):
        return {**super().get_config(), "anchors": self.anchors}


@keras.utils.register_keras_serializable(package="rw124")
class BatchedNMS(layers.Layer):
    def __init__(self, max_det=20, iou=0.45, score=0.25, **kwargs):
        super().__init__(**kwargs)
        self.max_det, self.iou, self.score = max_det, iou, score

    def call(self, boxes, scores):
        res = tf.image.combined_non_max_suppression(
            boxes[:, :, None, :], scores, self.max_det, self.max_det,
            iou_threshold=self.iou, score_threshold=self.score, clip_boxes=True)
        return res.nmsed_boxes, res.nmsed_scores, res.nmsed_classes, res.valid_detections

    def get_config(self):
        cfg = super().get_config()
        cfg.update(max_det=self.max_det, iou=self.iou, score=self.score)
        return cfg


# ---- loss ------------------------------------------------------------------
def make_yolo_loss(anchor_idx):
    anchors = tf.constant(ANCHORS[anchor_idx] / INPUT)
    decoder = YoloDecode(ANCHORS[anchor_idx])

    def loss_fn(y_true, y_pred):
        g = tf.shape(y_pred)[1]
        gf = tf.cast(g, tf.float32)
        obj_mask = y_true[..., 4]
        true_xy, true_wh = y_true[..., :2], y_true[..., 2:4]
        # targets in raw space for xy (offset in cell) and wh (log ratio)
        gy, gx = tf.meshgrid(tf.range(g), tf.range(g), indexing="ij")
        grid = tf.cast(tf.stack([gx, gy], -1)[:, :, None, :], tf.float32)
        t_xy = true_xy * gf - grid
        t_wh = tf.math.log(tf.math.divide_no_nan(true_wh, anchors))
        t_wh = tf.where(obj_mask[..., None] > 0, t_wh, 0.0)
        box_scale = 2.0 - true_wh[..., 0] * true_wh[..., 1]

        xy_loss = tf.reduce_sum(tf.square(t_xy - tf.sigmoid(y_pred[..., :2])), -1)
        wh_loss = tf.reduce_sum(tf.square(t_wh - y_pred[..., 2:4]), -1)

        # ignore predictions that already overlap any GT well
        pred_boxes, _ = decoder(y_pred)                                  # (B, N, 4) yxyx
        true_boxes = tf.concat([(true_xy - true_wh / 2)[..., ::-1], (true_xy + true_wh / 2)[..., ::-1]], -1)
        true_boxes = tf.reshape(true_boxes, [tf.shape(y_pred)[0], -1, 4])
        true_valid = tf.reshape(obj_mask, [tf.shape(y_pred)[0], -1])

        def best_iou(args):
            pb, tb, tv = args
            tb = tf.boolean_mask(tb, tv > 0)
            tl = tf.maximum(pb[:, None, :2], tb[None, :, :2])
            br = tf.minimum(pb[:, None, 2:], tb[None, :, 2:])
            inter = tf.reduce_prod(tf.maximum(br - tl, 0.0), -1)
            area = lambda z: (z[..., 2] - z[..., 0]) * (z[..., 3] - z[..., 1])
            iou = inter / (area(pb)[:, None] + area(tb)[None, :] - inter + 1e-9)
            return tf.reduce_max(tf.concat([iou, tf.zeros_like(iou[:, :1])], axis=1), axis=1)

        max_iou = tf.map_fn(best_iou, (pred_boxes, true_boxes, true_valid),
                            fn_output_signature=tf.float32)
        ignore = tf.cast(tf.reshape(max_iou, tf.shape(obj_mask)) < IGNORE_THRESH, tf.float32)

        bce = tf.nn.sigmoid_cross_entropy_with_logits
        obj_loss = bce(obj_mask, y_pred[..., 4])
        obj_loss = obj_mask * obj_loss + (1 - obj_mask) * ignore * obj_loss
        cls_loss = obj_mask * tf.reduce_sum(bce(y_true[..., 5:], y_pred[..., 5:]), -1)

        total = obj_mask * box_scale * (xy_loss + wh_loss) + obj_loss + cls_loss
        return tf.reduce_sum(total, axis=[1, 2, 3])

    loss_fn.__name__ = f"yolo_loss_{'_'.join(map(str, anchor_idx))}"
    return loss_fn


yolo = build_yolo()
yolo.summary(line_length=90, show_trainable=False)
yolo.compile(optimizer=keras.optimizers.Adam(1e-3),
             loss=[make_yolo_loss(m) for m in ANCHOR_MASKS])
yolo.fit(train_ds, epochs=2, steps_per_epoch=12, verbose=2)


# ---- export inference graph with decode + NMS ---------------------------------
def build_inference_model(train_model):
    inp = keras.Input((INPUT, INPUT, 3), name="image")
    raw16, raw32 = train_model(inp)
    b16, s16 = YoloDecode(ANCHORS[ANCHOR_MASKS[0]], name="decode_s16")(raw16)
    b32, s32 = YoloDecode(ANCHORS[ANCHOR_MASKS[1]], name="decode_s32")(raw32)
    boxes = layers.Concatenate(axis=1)([b16, b32])
    scores = layers.Concatenate(axis=1)([s16, s32])
    outs = BatchedNMS(max_det=15, score=0.05, name="nms")(boxes, scores)
    return keras.Model(inp, outs, name="yolo_infer")


# fresh, uncompiled copy so the saved file doesn't reference the training losses
export_backbone = build_yolo()
export_backbone.set_weights(yolo.get_weights())
infer = build_inference_model(export_backbone)
path = os.path.join(tempfile.mkdtemp(dir="/tmp"), "yolo_infer.keras")
infer.save(path)
restored = keras.models.load_model(path, compile=False)
print("saved and reloaded", path)

probe = X[:4]
a = infer.predict(probe, verbose=0)
b = restored.predict(probe, verbose=0)
np.testing.assert_allclose(a[1], b[1], rtol=1e-5, atol=1e-5)
for i in range(len(probe)):
    n = int(b[3][i])
    n_gt = int(Y16[i, ..., 4].sum() + Y32[i, ..., 4].sum())
    print(f"sample {i}: {n_gt} gt boxes, {n} detections, top-3 scores {np.round(b[1][i][:3], 3)}")

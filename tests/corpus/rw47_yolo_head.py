"""Tiny YOLOv3-style detector head with anchor grids and box decoding.

A minimal re-implementation of the YOLO output head: a small conv backbone,
two detection scales, per-scale anchors, a decode layer that turns raw
(tx, ty, tw, th, obj, cls...) predictions into absolute xywh boxes, and a
simplified training step with GradientTape on synthetic targets.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 128
NUM_CLASSES = 4
BATCH_SIZE = 4
STRIDES = [16, 32]
# anchors in pixels, (w, h) per scale -- three anchors per scale like the original
ANCHORS = np.array(
    [
        [[10, 14], [23, 27], [37, 58]],
        [[81, 82], [135, 169], [344, 319]],
    ],
    dtype=np.float32,
)
NUM_ANCHORS = ANCHORS.shape[1]
LAMBDA_COORD = 5.0
LAMBDA_NOOBJ = 0.5


def conv_bn_leaky(x, filters, kernel_size=3, strides=1, name=None):
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                      use_bias=False, name=None if name is None else name + "_conv")(x)
    x = layers.BatchNormalization(name=None if name is None else name + "_bn")(x)
    return layers.LeakyReLU(negative_slope=0.1)(x)


def residual_block(x, filters):
    shortcut = x
    x = conv_bn_leaky(x, filters // 2, 1)
    x = conv_bn_leaky(x, filters, 3)
    return layers.Add()([shortcut, x])


def darknet_tiny(inputs):
    x = conv_bn_leaky(inputs, 16, 3, strides=2, name="stem")  # 64
    x = conv_bn_leaky(x, 32, 3, strides=2)          # 32
    x = residual_block(x, 32)
    x = conv_bn_leaky(x, 64, 3, strides=2)          # 16
    x = residual_block(x, 64)
    x = conv_bn_leaky(x, 96, 3, strides=2)          # 8  (stride 16)
    route_16 = residual_block(x, 96)
    x = conv_bn_leaky(route_16, 128, 3, strides=2)  # 4  (stride 32)
    route_32 = residual_block(x, 128)
    return route_16, route_32


class YoloDecode(layers.Layer):
    """Turns raw head output into (boxes_xywh, objectness, class_probs)."""

    def __init__(self, anchors, stride, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.anchors = np.asarray(anchors, dtype=np.float32)
        self.stride = stride
        self.num_classes = num_classes

    def build(self, input_shape):
        grid_h, grid_w = input_shape[1], input_shape[2]
        gy, gx = np.meshgrid(np.arange(grid_h), np.arange(grid_w), indexing="ij")
        grid = np.stack([gx, gy], axis=-1).astype(np.float32)  # (H, W, 2)
        # (1, H, W, 1, 2) so it broadcasts over batch and anchors.
        # kept as numpy: build() may run inside a tf.function trace
        self.grid = grid[None, :, :, None, :]
        self.anchor_wh = self.anchors.reshape(1, 1, 1, -1, 2)
        super().build(input_shape)

    def call(self, raw):
        shape = tf.shape(raw)
        raw = tf.reshape(
            raw, [shape[0], shape[1], shape[2], len(self.anchors), 5 + self.num_classes]
        )
        txy, twh, tobj, tcls = tf.split(raw, [2, 2, 1, self.num_classes], axis=-1)
        xy = (tf.sigmoid(txy) + self.grid) * self.stride
        wh = tf.exp(tf.clip_by_value(twh, -6.0, 6.0)) * self.anchor_wh
        boxes = tf.concat([xy, wh], axis=-1)
        return boxes, tf.sigmoid(tobj), tf.sigmoid(tcls)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(anchors=self.anchors.tolist(), stride=self.stride,
                   num_classes=self.num_classes)
        return cfg


def build_yolo(num_classes=NUM_CLASSES):
    inputs = keras.Input((IMG_SIZE, IMG_SIZE, 3), name="image")
    route_16, route_32 = darknet_tiny(inputs)

    # coarse scale
    p5 = conv_bn_leaky(route_32, 128, 1)
    p5 = conv_bn_leaky(p5, 256, 3)
    out_32 = layers.Conv2D(NUM_ANCHORS * (5 + num_classes), 1, name="head_s32")(p5)

    # upsample + route, like the yolov3 neck
    up = conv_bn_leaky(p5, 64, 1)
    up = layers.UpSampling2D(2)(up)
    p4 = layers.Concatenate()([up, route_16])
    p4 = conv_bn_leaky(p4, 96, 1)
    p4 = conv_bn_leaky(p4, 192, 3)
    out_16 = layers.Conv2D(NUM_ANCHORS * (5 + num_classes), 1, name="head_s16")(p4)

    return keras.Model(inputs, [out_16, out_32], name="yolo_tiny")


def box_iou_xywh(a, b):
    """IoU between broadcastable tensors of xywh boxes."""
    a_min = a[..., :2] - a[..., 2:] / 2.0
    a_max = a[..., :2] + a[..., 2:] / 2.0
    b_min = b[..., :2] - b[..., 2:] / 2.0
    b_max = b[..., :2] + b[..., 2:] / 2.0
    inter = tf.maximum(tf.minimum(a_max, b_max) - tf.maximum(a_min, b_min), 0.0)
    inter_area = inter[..., 0] * inter[..., 1]
    union = a[..., 2] * a[..., 3] + b[..., 2] * b[..., 3] - inter_area
    return inter_area / (union + 1e-9)


def make_targets(batch_size, grid, stride, anchors, rng):
    """Random but well-formed y_true for one scale: (B, H, W, A, 5 + C)."""
    y = np.zeros((batch_size, grid, grid, len(anchors), 5 + NUM_CLASSES), np.float32)
    for b in range(batch_size):
        for _ in range(rng.integers(1, 4)):
            gx, gy = rng.integers(0, grid, size=2)
            a = rng.integers(0, len(anchors))
            cx = (gx + rng.uniform()) * stride
            cy = (gy + rng.uniform()) * stride
            w, h = anchors[a] * rng.uniform(0.7, 1.3, size=2)
            y[b, gy, gx, a, :4] = [cx, cy, w, h]
            y[b, gy, gx, a, 4] = 1.0
            y[b, gy, gx, a, 5 + rng.integers(0, NUM_CLASSES)] = 1.0
    return y


def yolo_scale_loss(y_true, boxes, obj, cls):
    obj_mask = y_true[..., 4:5]
    true_boxes = y_true[..., :4]
    # bigger weight for small boxes, as in the reference implementation
    box_scale = 2.0 - (true_boxes[..., 2:3] * true_boxes[..., 3:4]) / float(IMG_SIZE ** 2)

    iou = box_iou_xywh(boxes, true_boxes)[..., None]
    box_loss = tf.reduce_sum(obj_mask * box_scale * (1.0 - iou))

    bce = keras.losses.binary_crossentropy
    obj_loss = tf.reduce_sum(obj_mask * bce(obj_mask, obj)[..., None])
    noobj_loss = tf.reduce_sum((1.0 - obj_mask) * bce(obj_mask, obj)[..., None])
    cls_loss = tf.reduce_sum(obj_mask * bce(y_true[..., 5:], cls)[..., None])
    return LAMBDA_COORD * box_loss + obj_loss + LAMBDA_NOOBJ * noobj_loss + cls_loss


def main():
    rng = np.random.default_rng(0)
    tf.random.set_seed(0)

    model = build_yolo()
    model.summary(line_length=100, print_fn=lambda s: None)  # keep the log short
    print("params:", model.count_params())

    decoders = [
        YoloDecode(ANCHORS[i], STRIDES[i], NUM_CLASSES, name=f"decode_s{STRIDES[i]}")
        for i in range(len(STRIDES))
    ]
    optimizer = keras.optimizers.Adam(1e-3)

    @tf.function
    def train_step(images, targets):
        with tf.GradientTape() as tape:
            raw_outputs = model(images, training=True)
            total = 0.0
            for raw, decode, y_true in zip(raw_outputs, decoders, targets):
                boxes, obj, cls = decode(raw)
                total += yolo_scale_loss(y_true, boxes, obj, cls)
            total = total / tf.cast(tf.shape(images)[0], tf.float32)
        grads = tape.gradient(total, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 10.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return total

    for step in range(3):
        images = rng.uniform(0, 1, (BATCH_SIZE, IMG_SIZE, IMG_SIZE, 3)).astype("float32")
        targets = tuple(
            make_targets(BATCH_SIZE, IMG_SIZE // s, s, ANCHORS[i], rng)
            for i, s in enumerate(STRIDES)
        )
        loss = train_step(images, targets)
        print(f"step {step}: loss={float(loss):.3f}")

    # inference: decode both scales and flatten to a single list of candidates
    raw_outputs = model(images[:1], training=False)
    all_boxes, all_scores = [], []
    for raw, decode in zip(raw_outputs, decoders):
        boxes, obj, cls = decode(raw)
        scores = obj * cls                                   # (1, H, W, A, C)
        all_boxes.append(tf.reshape(boxes, [1, -1, 4]))
        all_scores.append(tf.reshape(scores, [1, -1, NUM_CLASSES]))
    boxes = tf.concat(all_boxes, axis=1)
    scores = tf.concat(all_scores, axis=1)
    print("candidates:", boxes.shape, scores.shape)

    # xywh -> y1x1y2x2 normalised for combined NMS
    xy, wh = boxes[..., :2], boxes[..., 2:]
    yx_min = (xy - wh / 2.0)[..., ::-1] / IMG_SIZE
    yx_max = (xy + wh / 2.0)[..., ::-1] / IMG_SIZE
    nms_boxes = tf.concat([yx_min, yx_max], axis=-1)[:, :, None, :]
    nmsed = tf.image.combined_non_max_suppression(
        nms_boxes, scores, max_output_size_per_class=20, max_total_size=50,
        iou_threshold=0.45, score_threshold=0.05,
    )
    print("valid detections:", nmsed.valid_detections.numpy())


if __name__ == "__main__":
    main()

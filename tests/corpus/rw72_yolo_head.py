"""Minimal YOLOv3-style detector: tiny darknet-ish backbone, 2-scale heads,
anchor-based box decoding and a hand-written YOLO loss trained with GradientTape.

Everything is synthetic so it runs anywhere; swap `make_fake_batch` for a real
loader to train on VOC/COCO.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

IMG_SIZE = 96
NUM_CLASSES = 3
# anchors in pixels, (w, h); first 3 for stride 16, last 3 for stride 32
ANCHORS = np.array(
    [[10, 14], [23, 27], [37, 58], [41, 60], [64, 72], [90, 90]], dtype=np.float32
)
ANCHOR_MASKS = [[0, 1, 2], [3, 4, 5]]
STRIDES = [16, 32]
BATCH = 4
STEPS = 3


def conv_bn_leaky(x, filters, kernel, strides=1, name=None):
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same",
                      use_bias=False, name=None if name is None else name + "_conv")(x)
    x = layers.BatchNormalization(name=None if name is None else name + "_bn")(x)
    return layers.LeakyReLU(0.1)(x)


def residual_block(x, filters):
    shortcut = x
    x = conv_bn_leaky(x, filters // 2, 1)
    x = conv_bn_leaky(x, filters, 3)
    return layers.Add()([shortcut, x])


def build_backbone(inputs):
    x = conv_bn_leaky(inputs, 16, 3, name="stem")
    x = conv_bn_leaky(x, 32, 3, strides=2)      # /2
    x = residual_block(x, 32)
    x = conv_bn_leaky(x, 64, 3, strides=2)      # /4
    x = residual_block(x, 64)
    x = conv_bn_leaky(x, 64, 3, strides=2)      # /8
    x = conv_bn_leaky(x, 96, 3, strides=2)      # /16
    route_16 = residual_block(x, 96)
    x = conv_bn_leaky(route_16, 128, 3, strides=2)  # /32
    route_32 = residual_block(x, 128)
    return route_16, route_32


def yolo_output(x, num_anchors, num_classes, name):
    x = conv_bn_leaky(x, x.shape[-1] * 2, 3)
    x = layers.Conv2D(num_anchors * (5 + num_classes), 1, name=name + "_pred")(x)
    # (B, H, W, A*(5+C)) -> (B, H, W, A, 5+C)
    grid = x.shape[1]
    return layers.Reshape((grid, grid, num_anchors, 5 + num_classes), name=name)(x)


def build_yolo(img_size=IMG_SIZE, num_classes=NUM_CLASSES):
    inputs = keras.Input((img_size, img_size, 3), name="image")
    c4, c5 = build_backbone(inputs)

    p5 = conv_bn_leaky(c5, 64, 1)
    out_large = yolo_output(p5, 3, num_classes, "yolo_s32")

    up = conv_bn_leaky(p5, 48, 1)
    up = layers.UpSampling2D(2)(up)
    p4 = layers.Concatenate()([up, c4])
    p4 = conv_bn_leaky(p4, 64, 1)
    out_medium = yolo_output(p4, 3, num_classes, "yolo_s16")

    return keras.Model(inputs, [out_medium, out_large], name="tiny_yolov3")


def decode_yolo(raw, anchors, stride):
    """raw: (B, gh, gw, A, 5+C) -> boxes xyxy normalised, objectness, class probs."""
    shape = tf.shape(raw)
    gh, gw = shape[1], shape[2]
    xy, wh, obj, cls = tf.split(raw, (2, 2, 1, -1), axis=-1)

    gx, gy = tf.meshgrid(tf.range(gw), tf.range(gh))
    grid = tf.cast(tf.stack([gx, gy], axis=-1), raw.dtype)  # (gh, gw, 2)
    grid = grid[tf.newaxis, :, :, tf.newaxis, :]           # (1, gh, gw, 1, 2)

    grid_size = tf.cast(tf.stack([gw, gh]), raw.dtype)
    box_xy = (tf.sigmoid(xy) + grid) / grid_size
    box_wh = tf.exp(tf.clip_by_value(wh, -8.0, 8.0)) * anchors / (grid_size * stride)

    box_min = box_xy - box_wh / 2.0
    box_max = box_xy + box_wh / 2.0
    boxes = tf.concat([box_min, box_max], axis=-1)
    return boxes, tf.sigmoid(obj), tf.sigmoid(cls), box_xy, box_wh


def broadcast_iou(pred_boxes, true_boxes):
    """pred_boxes (..., 4), true_boxes (N, 4) -> (..., N)."""
    pred_boxes = tf.expand_dims(pred_boxes, -2)
    true_boxes = tf.reshape(true_boxes, [1] * (len(pred_boxes.shape) - 2) + [-1, 4])
    inter_mins = tf.maximum(pred_boxes[..., :2], true_boxes[..., :2])
    inter_maxs = tf.minimum(pred_boxes[..., 2:], true_boxes[..., 2:])
    inter_wh = tf.maximum(inter_maxs - inter_mins, 0.0)
    inter = inter_wh[..., 0] * inter_wh[..., 1]
    area_p = (pred_boxes[..., 2] - pred_boxes[..., 0]) * (pred_boxes[..., 3] - pred_boxes[..., 1])
    area_t = (true_boxes[..., 2] - true_boxes[..., 0]) * (true_boxes[..., 3] - true_boxes[..., 1])
    return inter / (area_p + area_t - inter + 1e-9)


def assign_targets(boxes_xyxy, labels, grid, anchor_idx_list, stride):
    """Numpy target builder for one scale. boxes normalised xyxy, shape (N, 4)."""
    target = np.zeros((grid, grid, len(anchor_idx_list), 5 + NUM_CLASSES), np.float32)
    anchors_norm = ANCHORS / IMG_SIZE
    for box, label in zip(boxes_xyxy, labels):
        wh = box[2:] - box[:2]
        # IoU of box vs. all anchors, centred at origin
        inter = np.minimum(wh, anchors_norm).prod(axis=1)
        iou = inter / (wh.prod() + anchors_norm.prod(axis=1) - inter)
        best = int(np.argmax(iou))
        if best not in anchor_idx_list:
            continue
        a = anchor_idx_list.index(best)
        cx, cy = (box[:2] + box[2:]) / 2.0
        i, j = int(cy * grid), int(cx * grid)
        target[i, j, a, :4] = box
        target[i, j, a, 4] = 1.0
        target[i, j, a, 5 + int(label)] = 1.0
    return target


def make_fake_batch(batch_size, rng):
    images = rng.random((batch_size, IMG_SIZE, IMG_SIZE, 3), dtype=np.float32)
    y_scales = [[] for _ in STRIDES]
    for _ in range(batch_size):
        n = rng.integers(1, 4)
        centres = rng.uniform(0.2, 0.8, size=(n, 2))
        sizes = rng.uniform(0.1, 0.7, size=(n, 2))
        boxes = np.concatenate([centres - sizes / 2, centres + sizes / 2], axis=1).clip(0, 1)
        labels = rng.integers(0, NUM_CLASSES, size=n)
        for s, (stride, mask) in enumerate(zip(STRIDES, ANCHOR_MASKS)):
            y_scales[s].append(assign_targets(boxes, labels, IMG_SIZE // stride, mask, stride))
    return images, [np.stack(y) for y in y_scales]


def yolo_loss_for_scale(y_true, y_pred, anchors, stride, ignore_thresh=0.5):
    pred_box, pred_obj, pred_cls, pred_xy, pred_wh = decode_yolo(y_pred, anchors, stride)

    true_box, true_obj, true_cls = tf.split(y_true, (4, 1, NUM_CLASSES), axis=-1)
    true_xy = (true_box[..., :2] + true_box[..., 2:]) / 2.0
    true_wh = true_box[..., 2:] - true_box[..., :2]
    # small boxes weigh more
    box_scale = 2.0 - true_wh[..., 0] * true_wh[..., 1]

    obj_mask = tf.squeeze(true_obj, -1)

    # ignore predictions that already overlap a GT well (per image)
    def max_iou_per_image(args):
        pb, tb, om = args
        gt = tf.boolean_mask(tb, tf.cast(om, tf.bool))
        gt = tf.concat([gt, tf.zeros((1, 4), gt.dtype)], axis=0)  # avoid empty
        return tf.reduce_max(broadcast_iou(pb, gt), axis=-1)

    best_iou = tf.map_fn(max_iou_per_image, (pred_box, true_box, obj_mask),
                         fn_output_signature=tf.float32)
    ignore_mask = tf.cast(best_iou < ignore_thresh, tf.float32)

    xy_loss = obj_mask * box_scale * tf.reduce_sum(tf.square(true_xy - pred_xy), -1)
    wh_loss = obj_mask * box_scale * tf.reduce_sum(
        tf.square(tf.sqrt(true_wh + 1e-9) - tf.sqrt(pred_wh + 1e-9)), -1)

    bce = keras.losses.binary_crossentropy(true_obj, pred_obj)
    obj_loss = obj_mask * bce + (1.0 - obj_mask) * ignore_mask * bce
    cls_loss = obj_mask * keras.losses.binary_crossentropy(true_cls, pred_cls)

    total = xy_loss + wh_loss + obj_loss + cls_loss
    return tf.reduce_mean(tf.reduce_sum(total, axis=[1, 2, 3]))


def main():
    tf.random.set_seed(0)
    rng = np.random.default_rng(0)
    model = build_yolo()
    model.summary(line_length=100, expand_nested=False)
    for out in model.outputs:
        print("head:", out.name, out.shape)

    optimizer = keras.optimizers.Adam(1e-3)
    anchor_tensors = [tf.constant(ANCHORS[m]) for m in ANCHOR_MASKS]

    @tf.function
    def train_step(images, y_medium, y_large):
        with tf.GradientTape() as tape:
            outs = model(images, training=True)
            losses = [
                yolo_loss_for_scale(y, o, a, s)
                for y, o, a, s in zip((y_medium, y_large), outs, anchor_tensors, STRIDES)
            ]
            loss = tf.add_n(losses) + tf.add_n(model.losses) if model.losses else tf.add_n(losses)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    for step in range(STEPS):
        images, (y_m, y_l) = make_fake_batch(BATCH, rng)
        loss = train_step(images, y_m, y_l)
        print(f"step {step}: loss={float(loss):.3f}")

    # inference: decode both scales and run NMS
    images, _ = make_fake_batch(2, rng)
    outs = model(images, training=False)
    all_boxes, all_scores = [], []
    for raw, anchors, stride in zip(outs, anchor_tensors, STRIDES):
        boxes, obj, cls, _, _ = decode_yolo(raw, anchors, stride)
        b = tf.shape(boxes)[0]
        all_boxes.append(tf.reshape(boxes, (b, -1, 4)))
        all_scores.append(tf.reshape(obj * cls, (b, -1, NUM_CLASSES)))
    boxes = tf.concat(all_boxes, axis=1)
    scores = tf.concat(all_scores, axis=1)
    nms = tf.image.combined_non_max_suppression(
        boxes[:, :, tf.newaxis, :], scores,
        max_output_size_per_class=10, max_total_size=20,
        iou_threshold=0.45, score_threshold=0.05, clip_boxes=True)
    print("nms boxes:", nms.nmsed_boxes.shape, "valid:", nms.valid_detections.numpy())


if __name__ == "__main__":
    main()

"""YOLOv3-style multi-scale detector (tiny Darknet backbone + FPN neck).

Heads predict (tx, ty, tw, th, obj, cls...) per grid cell and anchor; GT boxes go
to their best-IoU anchor. Custom GradientTape loop; inference = decode + NMS."""
import numpy as np
import tensorflow as tf
from tensorflow.keras import Model
from tensorflow.keras.layers import (Add, BatchNormalization, Concatenate, Conv2D, Input,
                                     Lambda, LeakyReLU, UpSampling2D, ZeroPadding2D)
from tensorflow.keras.regularizers import l2

IMG = 128
NUM_CLASSES = 3
MAX_BOXES = 8
yolo_anchors = np.array([(10, 13), (16, 30), (33, 23), (30, 61), (62, 45),
                         (59, 119), (116, 90), (156, 198), (373, 326)], np.float32) / 416
yolo_anchor_masks = np.array([[6, 7, 8], [3, 4, 5], [0, 1, 2]])


def DarknetConv(x, filters, size, strides=1, batch_norm=True):
    if strides == 1:
        padding = "same"
    else:
        x = ZeroPadding2D(((1, 0), (1, 0)))(x)  # top left half-padding
        padding = "valid"
    x = Conv2D(filters, size, strides=strides, padding=padding, use_bias=not batch_norm,
               kernel_regularizer=l2(0.0005))(x)
    if batch_norm:
        x = BatchNormalization()(x)
        x = LeakyReLU(negative_slope=0.1)(x)
    return x


def DarknetResidual(x, filters):
    prev = x
    x = DarknetConv(x, filters // 2, 1)
    x = DarknetConv(x, filters, 3)
    return Add()([prev, x])


def DarknetBlock(x, filters, blocks):
    x = DarknetConv(x, filters, 3, strides=2)
    for _ in range(blocks):
        x = DarknetResidual(x, filters)
    return x


def Darknet(name=None):
    x = inputs = Input([None, None, 3])
    x = DarknetConv(x, 16, 3)
    x = DarknetBlock(x, 32, 1)
    x = DarknetBlock(x, 48, 1)
    x = x_36 = DarknetBlock(x, 64, 2)   # stride 8
    x = x_61 = DarknetBlock(x, 128, 2)  # stride 16
    x = DarknetBlock(x, 192, 1)         # stride 32
    return Model(inputs, (x_36, x_61, x), name=name)


def YoloConv(x_in, filters):
    if isinstance(x_in, tuple):
        x, x_skip = x_in
        x = DarknetConv(x, filters, 1)
        x = UpSampling2D(2)(x)
        x = Concatenate()([x, x_skip])
    else:
        x = x_in
    for k in (1, 3, 1):
        x = DarknetConv(x, filters if k == 1 else filters * 2, k)
    return x


def YoloOutput(x, filters, anchors, classes):
    x = DarknetConv(x, filters * 2, 3)
    x = DarknetConv(x, anchors * (classes + 5), 1, batch_norm=False)
    return Lambda(lambda t: tf.reshape(t, (-1, tf.shape(t)[1], tf.shape(t)[2], anchors, classes + 5)))(x)


def YoloV3(size=None, classes=NUM_CLASSES):
    x = inputs = Input([size, size, 3], name="input")
    x_36, x_61, x = Darknet(name="darknet")(x)
    x = YoloConv(x, 96)
    out_0 = YoloOutput(x, 96, len(yolo_anchor_masks[0]), classes)
    x = YoloConv((x, x_61), 64)
    out_1 = YoloOutput(x, 64, len(yolo_anchor_masks[1]), classes)
    x = YoloConv((x, x_36), 32)
    out_2 = YoloOutput(x, 32, len(yolo_anchor_masks[2]), classes)
    return Model(inputs, (out_0, out_1, out_2), name="yolov3")


def yolo_boxes(pred, anchors, classes):
    # pred: (batch, grid, grid, anchors, (x, y, w, h, obj, ...classes))
    grid_size = tf.shape(pred)[1:3]
    box_xy, box_wh, objectness, class_probs = tf.split(pred, (2, 2, 1, classes), axis=-1)
    box_xy = tf.sigmoid(box_xy)
    objectness = tf.sigmoid(objectness)
    class_probs = tf.sigmoid(class_probs)
    pred_box = tf.concat((box_xy, box_wh), axis=-1)  # original xywh for loss

    grid = tf.meshgrid(tf.range(grid_size[1]), tf.range(grid_size[0]))
    grid = tf.expand_dims(tf.stack(grid, axis=-1), axis=2)  # [gy, gx, 1, 2]
    grid_wh = tf.cast(tf.stack([grid_size[1], grid_size[0]]), tf.float32)
    box_xy = (box_xy + tf.cast(grid, tf.float32)) / grid_wh
    box_wh = tf.exp(box_wh) * anchors
    bbox = tf.concat([box_xy - box_wh / 2, box_xy + box_wh / 2], axis=-1)
    return bbox, objectness, class_probs, pred_box


def broadcast_iou(box_1, box_2):
    # box_1: (..., (x1, y1, x2, y2)), box_2: (N, (x1, y1, x2, y2))
    box_1, box_2 = tf.expand_dims(box_1, -2), tf.expand_dims(box_2, 0)
    new_shape = tf.broadcast_dynamic_shape(tf.shape(box_1), tf.shape(box_2))
    box_1, box_2 = tf.broadcast_to(box_1, new_shape), tf.broadcast_to(box_2, new_shape)
    int_w = tf.maximum(tf.minimum(box_1[..., 2], box_2[..., 2]) - tf.maximum(box_1[..., 0], box_2[..., 0]), 0)
    int_h = tf.maximum(tf.minimum(box_1[..., 3], box_2[..., 3]) - tf.maximum(box_1[..., 1], box_2[..., 1]), 0)
    inter = int_w * int_h
    area_1 = (box_1[..., 2] - box_1[..., 0]) * (box_1[..., 3] - box_1[..., 1])
    area_2 = (box_2[..., 2] - box_2[..., 0]) * (box_2[..., 3] - box_2[..., 1])
    return inter / (area_1 + area_2 - inter + 1e-9)


def YoloLoss(anchors, classes=NUM_CLASSES, ignore_thresh=0.5):
    def yolo_loss(y_true, y_pred):
        pred_box, pred_obj, pred_class, pred_xywh = yolo_boxes(y_pred, anchors, classes)
        pred_xy, pred_wh = pred_xywh[..., 0:2], pred_xywh[..., 2:4]

        true_box, true_obj, true_class_idx = tf.split(y_true, (4, 1, 1), axis=-1)
        true_xy = (true_box[..., 0:2] + true_box[..., 2:4]) / 2
        true_wh = true_box[..., 2:4] - true_box[..., 0:2]
        box_loss_scale = 2 - true_wh[..., 0] * true_wh[..., 1]  # favour small boxes

        grid_size = tf.shape(y_true)[1]
        grid = tf.meshgrid(tf.range(grid_size), tf.range(grid_size))
        grid = tf.expand_dims(tf.stack(grid, axis=-1), axis=2)
        true_xy = true_xy * tf.cast(grid_size, tf.float32) - tf.cast(grid, tf.float32)
        true_wh = tf.math.log(true_wh / anchors)
        true_wh = tf.where(tf.math.is_inf(true_wh), tf.zeros_like(true_wh), true_wh)

        obj_mask = tf.squeeze(true_obj, -1)
        best_iou = tf.map_fn(
            lambda x: tf.reduce_max(broadcast_iou(x[0], tf.boolean_mask(x[1], tf.cast(x[2], tf.bool))), axis=-1),
            (pred_box, true_box, obj_mask), fn_output_signature=tf.float32)
        ignore_mask = tf.cast(best_iou < ignore_thresh, tf.float32)

        xy_loss = obj_mask * box_loss_scale * tf.reduce_sum(tf.square(true_xy - pred_xy), axis=-1)
        wh_loss = obj_mask * box_loss_scale * tf.reduce_sum(tf.square(true_wh - pred_wh), axis=-1)
        obj_bce = tf.keras.losses.binary_crossentropy(true_obj, pred_obj)
        obj_loss = obj_mask * obj_bce + (1 - obj_mask) * ignore_mask * obj_bce
        onehot = tf.one_hot(tf.cast(true_class_idx[..., 0], tf.int32), classes)
        class_loss = obj_mask * tf.keras.losses.binary_crossentropy(onehot, pred_class)
        return sum(tf.reduce_sum(l, axis=(1, 2, 3)) for l in (xy_loss, wh_loss, obj_loss, class_loss))
    return yolo_loss


def transform_targets(boxes, labels, anchors, anchor_masks, size):
    """numpy: (N, MAX_BOXES, 4) normalised x1y1x2y2 -> one (N, g, g, 3, 6) target per scale."""
    n = boxes.shape[0]
    grids = [size // 32, size // 16, size // 8]
    targets = [np.zeros((n, g, g, len(m), 6), np.float32) for g, m in zip(grids, anchor_masks)]
    wh = boxes[..., 2:4] - boxes[..., 0:2]
    inter = np.minimum(wh[..., None, 0], anchors[:, 0]) * np.minimum(wh[..., None, 1], anchors[:, 1])
    iou = inter / (wh[..., 0:1] * wh[..., 1:2] + anchors[:, 0] * anchors[:, 1] - inter)
    best_anchor = np.argmax(iou, axis=-1)
    for i in range(n):
        for j in range(boxes.shape[1]):
            if wh[i, j, 0] <= 0:
                continue
            for s, mask in enumerate(anchor_masks):
                if best_anchor[i, j] in mask:
                    a = int(np.where(mask == best_anchor[i, j])[0][0])
                    cx, cy = (boxes[i, j, 0:2] + boxes[i, j, 2:4]) / 2
                    gx, gy = int(cx * grids[s]), int(cy * grids[s])
                    targets[s][i, gy, gx, a] = [*boxes[i, j], 1.0, labels[i, j]]
    return tuple(targets)


def random_boxes(rng, n):
    centers = rng.uniform(0.15, 0.85, (n, MAX_BOXES, 2))
    sizes = rng.uniform(0.05, 0.5, (n, MAX_BOXES, 2))
    valid = rng.random((n, MAX_BOXES, 1)) < 0.5
    boxes = np.concatenate([centers - sizes / 2, centers + sizes / 2], -1).clip(0, 1) * valid
    return boxes.astype(np.float32), rng.integers(0, NUM_CLASSES, (n, MAX_BOXES))


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    images = rng.random((16, IMG, IMG, 3)).astype(np.float32)
    boxes, labels = random_boxes(rng, 16)
    targets = transform_targets(boxes, labels, yolo_anchors, yolo_anchor_masks, IMG)
    print("target shapes:", [t.shape for t in targets])

    dataset = tf.data.Dataset.from_tensor_slices((images, targets)).shuffle(16).batch(4)
    model = YoloV3(IMG, classes=NUM_CLASSES)
    losses = [YoloLoss(yolo_anchors[mask]) for mask in yolo_anchor_masks]
    optimizer = tf.keras.optimizers.Adam(1e-3)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            outputs = model(x, training=True)
            reg_loss = tf.reduce_sum(model.losses)
            pred_loss = [loss_fn(label, out) for out, label, loss_fn in zip(outputs, y, losses)]
            total_loss = tf.reduce_mean(tf.add_n(pred_loss)) + reg_loss
        grads = tape.gradient(total_loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return total_loss, pred_loss

    for step, (x, y) in enumerate(dataset):
        total, per_scale = train_step(x, y)
        print(f"step {step}: loss={total.numpy():.3f} per-scale={[float(tf.reduce_sum(p)) for p in per_scale]}")

    # Inference: decode each scale, flatten and run class-aware NMS.
    outputs = model(images[:2], training=False)
    decoded = [yolo_boxes(o, yolo_anchors[m], NUM_CLASSES)[:3] for o, m in zip(outputs, yolo_anchor_masks)]
    bbox = tf.concat([tf.reshape(d[0], (2, -1, 4)) for d in decoded], axis=1)
    conf = tf.concat([tf.reshape(d[1], (2, -1, 1)) for d in decoded], axis=1)
    cls_prob = tf.concat([tf.reshape(d[2], (2, -1, NUM_CLASSES)) for d in decoded], axis=1)
    nms_boxes, scores, classes, valid = tf.image.combined_non_max_suppression(
        boxes=tf.expand_dims(bbox, 2), scores=conf * cls_prob,
        max_output_size_per_class=20, max_total_size=20, iou_threshold=0.5, score_threshold=0.3)
    print("detections:", nms_boxes.shape, scores.shape, "valid:", valid.numpy())

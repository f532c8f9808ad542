"""Tiny YOLO-style single-scale detector trained on synthetic boxes.

A small darknet-ish backbone feeds a 1x1 detection head whose output is
reshaped to (grid, grid, anchors, 5 + classes).  The loss splits the last
axis with tf.split into xy / wh / objectness / class logits and uses
tf.gather to pull the anchor priors.  Data comes from tf.data with a couple
of tf.image augmentations.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG = 64
GRID = 8
NUM_ANCHORS = 3
NUM_CLASSES = 4
ANCHORS = tf.constant([[0.10, 0.12], [0.25, 0.30], [0.55, 0.50]], dtype=tf.float32)


def conv_bn_leaky(x, filters, kernel=3, strides=1, name=None):
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same",
                      use_bias=False, name=None if name is None else name + "_conv")(x)
    x = layers.BatchNormalization(name=None if name is None else name + "_bn")(x)
    return layers.LeakyReLU(negative_slope=0.1)(x)


def build_detector():
    inputs = keras.Input(shape=(IMG, IMG, 3), name="image")
    x = conv_bn_leaky(inputs, 16, name="stem")
    for i, f in enumerate([32, 64, 96]):
        x = layers.MaxPooling2D(2)(x)
        x = conv_bn_leaky(x, f, name=f"stage{i}")
    # route: a 1x1 bottleneck then 3x3 expansion, as in yolov3-tiny
    y = conv_bn_leaky(x, 48, kernel=1, name="route_1x1")
    y = conv_bn_leaky(y, 96, name="route_3x3")
    raw = layers.Conv2D(NUM_ANCHORS * (5 + NUM_CLASSES), 1, name="det_conv")(y)
    out = layers.Reshape((GRID, GRID, NUM_ANCHORS, 5 + NUM_CLASSES), name="det_reshape")(raw)
    return keras.Model(inputs, out, name="tiny_yolo")


def make_targets(n, rng):
    """Random images with one box each; target tensor in grid layout."""
    images = rng.random((n, IMG, IMG, 3), dtype=np.float32)
    targets = np.zeros((n, GRID, GRID, NUM_ANCHORS, 5 + NUM_CLASSES), np.float32)
    anchor_np = ANCHORS.numpy()
    for i in range(n):
        cx, cy = rng.uniform(0.1, 0.9, size=2)
        w, h = rng.uniform(0.08, 0.6, size=2)
        cls = rng.integers(NUM_CLASSES)
        gx, gy = int(cx * GRID), int(cy * GRID)
        ious = np.minimum(w, anchor_np[:, 0]) * np.minimum(h, anchor_np[:, 1])
        ious = ious / (w * h + anchor_np[:, 0] * anchor_np[:, 1] - ious)
        a = int(np.argmax(ious))
        targets[i, gy, gx, a, 0:2] = [cx * GRID - gx, cy * GRID - gy]
        targets[i, gy, gx, a, 2:4] = [w, h]
        targets[i, gy, gx, a, 4] = 1.0
        targets[i, gy, gx, a, 5 + cls] = 1.0
        x0, y0 = int((cx - w / 2) * IMG), int((cy - h / 2) * IMG)
        x1, y1 = int((cx + w / 2) * IMG), int((cy + h / 2) * IMG)
        images[i, max(y0, 0):y1, max(x0, 0):x1, cls % 3] += 0.8
    return np.clip(images, 0, 1), targets


def preprocess(image, target):
    image = tf.image.random_brightness(image, 0.1)
    image = tf.image.random_saturation(image, 0.8, 1.2)
    image = tf.image.convert_image_dtype(image, tf.float32)
    image = tf.clip_by_value(image, 0.0, 1.0)
    return image, target


class YoloLoss(keras.losses.Loss):
    def __init__(self, lambda_coord=5.0, lambda_noobj=0.5, name="yolo_loss"):
        super().__init__(name=name)
        self.lambda_coord = lambda_coord
        self.lambda_noobj = lambda_noobj

    def call(self, y_true, y_pred):
        t_xy, t_wh, t_obj, t_cls = tf.split(y_true, [2, 2, 1, NUM_CLASSES], axis=-1)
        p_xy, p_wh, p_obj, p_cls = tf.split(y_pred, [2, 2, 1, NUM_CLASSES], axis=-1)
        anchor_idx = tf.range(NUM_ANCHORS)
        priors = tf.gather(ANCHORS, anchor_idx)  # (A, 2)
        priors = tf.reshape(priors, [1, 1, 1, NUM_ANCHORS, 2])
        pred_xy = tf.sigmoid(p_xy)
        pred_wh = tf.exp(tf.clip_by_value(p_wh, -6.0, 4.0)) * priors
        obj_mask = t_obj
        noobj_mask = 1.0 - t_obj
        xy_loss = tf.reduce_sum(obj_mask * tf.square(t_xy - pred_xy), axis=[1, 2, 3, 4])
        wh_loss = tf.reduce_sum(
            obj_mask * tf.square(tf.sqrt(t_wh + 1e-9) - tf.sqrt(pred_wh + 1e-9)), axis=[1, 2, 3, 4])
        obj_bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=t_obj, logits=p_obj)
        obj_loss = tf.reduce_sum(obj_mask * obj_bce, axis=[1, 2, 3, 4])
        noobj_loss = tf.reduce_sum(noobj_mask * obj_bce, axis=[1, 2, 3, 4])
        cls_ce = tf.nn.softmax_cross_entropy_with_logits(labels=t_cls, logits=p_cls)
        cls_loss = tf.reduce_sum(tf.squeeze(obj_mask, -1) * cls_ce, axis=[1, 2, 3])
        return (self.lambda_coord * (xy_loss + wh_loss) + obj_loss
                + self.lambda_noobj * noobj_loss + cls_loss)


def decode_boxes(pred, score_thresh=0.3):
    """Turn raw head output into (boxes, scores, classes) for one image."""
    xy, wh, obj, cls = tf.split(pred, [2, 2, 1, NUM_CLASSES], axis=-1)
    gy, gx = tf.meshgrid(tf.range(GRID, dtype=tf.float32),
                         tf.range(GRID, dtype=tf.float32), indexing="ij")
    offset = tf.stack([gx, gy], axis=-1)[:, :, None, :]
    centers = (tf.sigmoid(xy) + offset) / GRID
    sizes = tf.exp(tf.clip_by_value(wh, -6.0, 4.0)) * ANCHORS[None, None]
    scores = tf.sigmoid(obj[..., 0]) * tf.reduce_max(tf.nn.softmax(cls), axis=-1)
    classes = tf.argmax(cls, axis=-1)
    boxes = tf.concat([centers[..., ::-1] - sizes[..., ::-1] / 2,
                       centers[..., ::-1] + sizes[..., ::-1] / 2], axis=-1)
    boxes = tf.reshape(boxes, [-1, 4])
    scores = tf.reshape(scores, [-1])
    classes = tf.reshape(classes, [-1])
    keep = tf.image.non_max_suppression(boxes, scores, max_output_size=10,
                                        iou_threshold=0.5, score_threshold=score_thresh)
    return tf.gather(boxes, keep), tf.gather(scores, keep), tf.gather(classes, keep)


def main():
    rng = np.random.default_rng(0)
    images, targets = make_targets(64, rng)
    ds = (tf.data.Dataset.from_tensor_slices((images, targets))
          .shuffle(64, seed=0)
          .map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
          .batch(16)
          .prefetch(tf.data.AUTOTUNE))
    model = build_detector()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=YoloLoss())
    model.summary(line_length=90)
    hist = model.fit(ds, epochs=1, steps_per_epoch=4, verbose=2)
    print("final loss:", hist.history["loss"][-1])
    pred = model.predict(images[:2], verbose=0)
    boxes, scores, classes = decode_boxes(tf.convert_to_tensor(pred[0]), score_thresh=0.0)
    print("decoded boxes:", boxes.shape, "top score:", float(tf.reduce_max(scores)))


if __name__ == "__main__":
    main()

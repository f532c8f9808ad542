"""
Mini RetinaNet on synthetic data.
Loosely follows the keras.io RetinaNet example, cut down so it runs on CPU.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG_SIZE = 128
NUM_CLASSES = 3
BATCH = 4


def swap_xy(boxes):
    return tf.stack([boxes[:, 1], boxes[:, 0], boxes[:, 3], boxes[:, 2]], axis=-1)


def convert_to_corners(boxes):
    return tf.concat([boxes[..., :2] - boxes[..., 2:] / 2.0, boxes[..., :2] + boxes[..., 2:] / 2.0], axis=-1)


def compute_iou(boxes1, boxes2):
    """boxes in xywh; returns [N, M] iou matrix"""
    boxes1_corners = convert_to_corners(boxes1)
    boxes2_corners = convert_to_corners(boxes2)
    lu = tf.maximum(boxes1_corners[:, None, :2], boxes2_corners[:, :2])
    rd = tf.minimum(boxes1_corners[:, None, 2:], boxes2_corners[:, 2:])
    intersection = tf.maximum(0.0, rd - lu)
    intersection_area = intersection[:, :, 0] * intersection[:, :, 1]
    boxes1_area = boxes1[:, 2] * boxes1[:, 3]
    boxes2_area = boxes2[:, 2] * boxes2[:, 3]
    union_area = tf.maximum(boxes1_area[:, None] + boxes2_area - intersection_area, 1e-8)
    return tf.clip_by_value(intersection_area / union_area, 0.0, 1.0)


class AnchorBox:
    def __init__(self):
        self.aspect_ratios = [0.5, 1.0, 2.0]
        self.scales = [2 ** x for x in [0, 1 / 3, 2 / 3]]
        self._num_anchors = len(self.aspect_ratios) * len(self.scales)
        self._strides = [2 ** i for i in range(3, 6)]  # P3..P5
        self._areas = [x ** 2 for x in [32.0, 64.0, 128.0]]
        self._anchor_dims = self._compute_dims()

    def _compute_dims(self):
        anchor_dims_all = []
        for area in self._areas:
            anchor_dims = []
            for ratio in self.aspect_ratios:
                anchor_height = tf.math.sqrt(area / ratio)
                anchor_width = area / anchor_height
                dims = tf.reshape(tf.stack([anchor_width, anchor_height], axis=-1), [1, 1, 2])
                for scale in self.scales:
                    anchor_dims.append(scale * dims)
            anchor_dims_all.append(tf.stack(anchor_dims, axis=-2))
        return anchor_dims_all

    def _get_anchors(self, feature_height, feature_width, level):
        rx = tf.range(feature_width, dtype=tf.float32) + 0.5
        ry = tf.range(feature_height, dtype=tf.float32) + 0.5
        centers = tf.stack(tf.meshgrid(rx, ry), axis=-1) * self._strides[level - 3]
        centers = tf.tile(tf.expand_dims(centers, axis=-2), [1, 1, self._num_anchors, 1])
        dims = tf.tile(self._anchor_dims[level - 3], [feature_height, feature_width, 1, 1])
        anchors = tf.concat([centers, dims], axis=-1)
        return tf.reshape(anchors, [feature_height * feature_width * self._num_anchors, 4])

    def get_anchors(self, image_height, image_width):
        anchors = [self._get_anchors(tf.math.ceil(image_height / 2 ** i), tf.math.ceil(image_width / 2 ** i), i)
                   for i in range(3, 6)]
        return tf.concat(anchors, axis=0)


class LabelEncoder:
    def __init__(self):
        self._anchor_box = AnchorBox()
        self._box_variance = tf.convert_to_tensor([0.1, 0.1, 0.2, 0.2], dtype=tf.float32)

    def _match_anchor_boxes(self, anchor_boxes, gt_boxes, match_iou=0.5, ignore_iou=0.4):
        iou_matrix = compute_iou(anchor_boxes, gt_boxes)
        max_iou = tf.reduce_max(iou_matrix, axis=1)
        matched_gt_idx = tf.argmax(iou_matrix, axis=1)
        positive_mask = tf.greater_equal(max_iou, match_iou)
        negative_mask = tf.less(max_iou, ignore_iou)
        ignore_mask = tf.logical_not(tf.logical_or(positive_mask, negative_mask))
        return matched_gt_idx, tf.cast(positive_mask, tf.float32), tf.cast(ignore_mask, tf.float32)

    def _compute_box_target(self, anchor_boxes, matched_gt_boxes):
        box_target = tf.concat(
            [(matched_gt_boxes[:, :2] - anchor_boxes[:, :2]) / anchor_boxes[:, 2:],
             tf.math.log(matched_gt_boxes[:, 2:] / anchor_boxes[:, 2:])], axis=-1)
        return box_target / self._box_variance

    def encode_sample(self, gt_boxes, cls_ids):
        anchor_boxes = self._anchor_box.get_anchors(IMG_SIZE, IMG_SIZE)
        cls_ids = tf.cast(cls_ids, dtype=tf.float32)
        matched_gt_idx, positive_mask, ignore_mask = self._match_anchor_boxes(anchor_boxes, gt_boxes)
        matched_gt_boxes = tf.gather(gt_boxes, matched_gt_idx)
        box_target = self._compute_box_target(anchor_boxes, matched_gt_boxes)
        matched_gt_cls_ids = tf.gather(cls_ids, matched_gt_idx)
        cls_target = tf.where(tf.not_equal(positive_mask, 1.0), -1.0, matched_gt_cls_ids)
        cls_target = tf.where(tf.equal(ignore_mask, 1.0), -2.0, cls_target)
        return tf.concat([box_target, tf.expand_dims(cls_target, axis=-1)], axis=-1)


def build_head(output_filters, bias_init):
    head = keras.Sequential([keras.Input(shape=[None, None, 64])])
    for _ in range(2):
        head.add(layers.Conv2D(64, 3, padding="same"))
        head.add(layers.ReLU())
    head.add(layers.Conv2D(output_filters, 3, 1, padding="same", bias_initializer=bias_init))
    return head


def build_retinanet(num_classes, num_anchors=9):
    inp = keras.Input((IMG_SIZE, IMG_SIZE, 3))
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(inp)
    x = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(x)
    c3 = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(x)
    c4 = layers.Conv2D(96, 3, strides=2, padding="same", activation="relu")(c3)
    c5 = layers.Conv2D(128, 3, strides=2, padding="same", activation="relu")(c4)

    p5 = layers.Conv2D(64, 1)(c5)
    p4 = layers.Conv2D(64, 1)(c4) + layers.UpSampling2D(2)(p5)
    p3 = layers.Conv2D(64, 1)(c3) + layers.UpSampling2D(2)(p4)
    feats = [layers.Conv2D(64, 3, padding="same")(p) for p in (p3, p4, p5)]

    prior = keras.initializers.Constant(-np.log((1 - 0.01) / 0.01))
    cls_head = build_head(num_anchors * num_classes, prior)
    box_head = build_head(num_anchors * 4, "zeros")
    cls_outputs, box_outputs = [], []
    for f in feats:
        box_outputs.append(layers.Reshape((-1, 4))(box_head(f)))
        cls_outputs.append(layers.Reshape((-1, num_classes))(cls_head(f)))
    out = layers.Concatenate(axis=-1)([layers.Concatenate(axis=1)(box_outputs), layers.Concatenate(axis=1)(cls_outputs)])
    return keras.Model(inp, out, name="mini_retinanet")


class RetinaNetLoss(keras.losses.Loss):
    def __init__(self, num_classes=NUM_CLASSES, alpha=0.25, gamma=2.0, delta=1.0):
        super().__init__(reduction="sum_over_batch_size", name="retinanet_loss")
        self._num_classes, self._alpha, self._gamma, self._delta = num_classes, alpha, gamma, delta

    def call(self, y_true, y_pred):
        y_pred = tf.cast(y_pred, tf.float32)
        box_labels, box_predictions = y_true[:, :, :4], y_pred[:, :, :4]
        cls_labels = tf.one_hot(tf.cast(y_true[:, :, 4], tf.int32), depth=self._num_classes, dtype=tf.float32)
        cls_predictions = y_pred[:, :, 4:]
        positive_mask = tf.cast(tf.greater(y_true[:, :, 4], -1.0), tf.float32)
        ignore_mask = tf.cast(tf.equal(y_true[:, :, 4], -2.0), tf.float32)

        diff = box_labels - box_predictions
        abs_diff = tf.abs(diff)  # smooth L1
        box_loss = tf.where(tf.less(abs_diff, self._delta), 0.5 * diff ** 2, abs_diff - 0.5)
        box_loss = tf.reduce_sum(box_loss, axis=-1)

        ce = tf.nn.sigmoid_cross_entropy_with_logits(labels=cls_labels, logits=cls_predictions)
        probs = tf.nn.sigmoid(cls_predictions)
        alpha = tf.where(tf.equal(cls_labels, 1.0), self._alpha, (1.0 - self._alpha))
        pt = tf.where(tf.equal(cls_labels, 1.0), probs, 1 - probs)
        clf_loss = tf.reduce_sum(alpha * tf.pow(1.0 - pt, self._gamma) * ce, axis=-1)

        clf_loss = tf.where(tf.equal(ignore_mask, 1.0), 0.0, clf_loss)
        box_loss = tf.where(tf.equal(positive_mask, 1.0), box_loss, 0.0)
        normalizer = tf.reduce_sum(positive_mask, axis=-1)
        clf_loss = tf.math.divide_no_nan(tf.reduce_sum(clf_loss, axis=-1), normalizer)
        box_loss = tf.math.divide_no_nan(tf.reduce_sum(box_loss, axis=-1), normalizer)
        return clf_loss + box_loss


def random_sample(n_boxes=3):
    boxes = np.concatenate([np.random.uniform(20, IMG_SIZE - 20, size=(n_boxes, 2)),
                            np.random.uniform(20, 60, size=(n_boxes, 2))], axis=-1).astype("float32")
    cls = np.random.randint(0, NUM_CLASSES, size=(n_boxes,))
    img = np.random.rand(IMG_SIZE, IMG_SIZE, 3).astype("float32")
    return img, boxes, cls


encoder = LabelEncoder()
images, targets = [], []
for _ in range(8):
    img, boxes, cls = random_sample()
    images.append(img)
    targets.append(encoder.encode_sample(tf.constant(boxes), tf.constant(cls)).numpy())
images, targets = np.stack(images), np.stack(targets)
print("images", images.shape, "targets", targets.shape)

model = build_retinanet(NUM_CLASSES)
model.compile(optimizer=keras.optimizers.SGD(1e-3, momentum=0.9), loss=RetinaNetLoss())
model.fit(images, targets, batch_size=BATCH, epochs=1, verbose=2)

preds = model.predict(images[:2], verbose=0)
anchors = encoder._anchor_box.get_anchors(IMG_SIZE, IMG_SIZE)
box_pred = preds[0, :, :4] * encoder._box_variance
decoded = convert_to_corners(tf.concat(
    [box_pred[:, :2] * anchors[:, 2:] + anchors[:, :2], tf.math.exp(box_pred[:, 2:]) * anchors[:, 2:]], axis=-1))
scores = tf.reduce_max(tf.nn.sigmoid(preds[0, :, 4:]), axis=-1)
keep = tf.image.non_max_suppression(swap_xy(decoded), scores, max_output_size=10, iou_threshold=0.5)
print("kept boxes:", tf.gather(decoded, keep).shape)

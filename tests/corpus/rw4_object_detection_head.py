"""Tiny single-shot detector: multi-scale Conv2D heads over a toy backbone.

Each feature map predicts `num_anchors * (4 + num_classes)` channels that are
reshaped into a flat list of anchor predictions and concatenated across scales.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


class Config:
    image_size = 96
    num_classes = 3          # background is class 0
    num_anchors = 4          # boxes per cell
    backbone_filters = [16, 32, 48, 64, 64]
    head_from = (2, 3, 4)    # indices of backbone stages that feed heads
    batch_size = 4
    n_samples = 16


cfg = Config()
BOX_DIM = 4 + cfg.num_classes


def conv_bn_relu(x, filters, stride, name):
    x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.Activation("relu", name=f"{name}_relu")(x)


def build_backbone(inputs):
    feature_maps = []
    x = inputs
    for i, f in enumerate(cfg.backbone_filters):
        x = conv_bn_relu(x, f, stride=2, name=f"stage{i}_a")
        x = conv_bn_relu(x, f, stride=1, name=f"stage{i}_b")
        feature_maps.append(x)
    return feature_maps


def detection_head(feature, idx):
    cls_box = layers.Conv2D(
        cfg.num_anchors * BOX_DIM, kernel_size=3, padding="same", name=f"head{idx}_pred"
    )(feature)
    return layers.Reshape((-1, BOX_DIM), name=f"head{idx}_reshape")(cls_box)


inputs = keras.Input(shape=(cfg.image_size, cfg.image_size, 3), name="image")
fmaps = build_backbone(inputs)
head_outputs = [detection_head(fmaps[i], i) for i in cfg.head_from]
for i, h in zip(cfg.head_from, head_outputs):
    print("stage", i, "feature", fmaps[i].shape, "->", h.shape)
predictions = layers.Concatenate(axis=1, name="predictions")(head_outputs)

detector = keras.Model(inputs, predictions, name="tiny_ssd")
detector.summary()

# total number of anchors across all maps
num_total_anchors = 0
for i in cfg.head_from:
    h, w = fmaps[i].shape[1], fmaps[i].shape[2]
    num_total_anchors += h * w * cfg.num_anchors
print("total anchors:", num_total_anchors)


def smooth_l1(y_true, y_pred, delta=1.0):
    diff = tf.abs(y_true - y_pred)
    quad = 0.5 * tf.square(diff)
    lin = delta * diff - 0.5 * delta ** 2
    return tf.where(diff < delta, quad, lin)


def detection_loss(y_true, y_pred):
    box_true, cls_true = y_true[..., :4], y_true[..., 4:]
    box_pred, cls_pred = y_pred[..., :4], y_pred[..., 4:]

    positive = 1.0 - cls_true[..., 0]  # anchors not matched to background
    cls_loss = tf.nn.softmax_cross_entropy_with_logits(labels=cls_true, logits=cls_pred)
    box_loss = tf.reduce_sum(smooth_l1(box_true, box_pred), axis=-1)
    box_loss = box_loss * positive

    n_pos = tf.maximum(tf.reduce_sum(positive, axis=-1), 1.0)
    total = (tf.reduce_sum(cls_loss, axis=-1) + tf.reduce_sum(box_loss, axis=-1)) / n_pos
    return total


# ---- synthetic targets ----
rng = np.random.default_rng(0)
images = rng.random((cfg.n_samples, cfg.image_size, cfg.image_size, 3), dtype=np.float32)
boxes = rng.normal(size=(cfg.n_samples, num_total_anchors, 4)).astype("float32")
cls_ids = rng.choice(cfg.num_classes, size=(cfg.n_samples, num_total_anchors), p=[0.9, 0.05, 0.05])
cls_onehot = np.eye(cfg.num_classes, dtype="float32")[cls_ids]
targets = np.concatenate([boxes, cls_onehot], axis=-1)
print("targets:", targets.shape)

detector.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3, momentum=0.9),
                 loss=detection_loss)
detector.fit(images, targets, batch_size=cfg.batch_size, epochs=1, verbose=2)

raw = detector.predict(images[:2], verbose=0)
box_out = raw[..., :4]
cls_prob = tf.nn.softmax(raw[..., 4:], axis=-1)
scores = tf.reduce_max(cls_prob[..., 1:], axis=-1)
labels = tf.argmax(cls_prob[..., 1:], axis=-1) + 1
top = tf.math.top_k(scores, k=10)
print("boxes:", box_out.shape, "scores:", scores.shape, "top idx:", top.indices.shape)
print("labels of best anchors:", tf.gather(labels, top.indices, batch_dims=1).numpy())

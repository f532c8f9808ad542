"""RetinaNet-style detector written with Keras 3 (keras.ops only, backend agnostic).

* ResNet-ish backbone returning C3..C5
* FeaturePyramid layer (lateral 1x1 + top-down upsampling + P6/P7)
* shared classification / box subnets applied to every pyramid level
* focal loss + smooth-L1 via a custom train_step on a subclassed Model
"""
from dataclasses import dataclass, field

import numpy as np
import keras
from keras import layers, ops


@dataclass
class RetinaConfig:
    image_size: int = 128
    num_classes: int = 3
    pyramid_channels: int = 48
    head_depth: int = 2
    anchor_scales: tuple = (1.0, 1.26, 1.59)
    anchor_ratios: tuple = (0.5, 1.0, 2.0)
    levels: tuple = (3, 4, 5, 6, 7)
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    batch_size: int = 4
    steps: int = 4
    backbone_filters: list = field(default_factory=lambda: [24, 32, 48, 64, 96])

    @property
    def num_anchors(self):
        return len(self.anchor_scales) * len(self.anchor_ratios)


def bottleneck(x, filters, stride):
    shortcut = x
    y = layers.Conv2D(filters // 2, 1, use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters // 2, 3, strides=stride, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 1, use_bias=False)(y)
    y = layers.BatchNormalization(gamma_initializer="zeros")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.Activation("relu")(layers.Add()([shortcut, y]))


def make_backbone(cfg: RetinaConfig):
    f = cfg.backbone_filters
    inp = keras.Input((cfg.image_size, cfg.image_size, 3))
    x = layers.Conv2D(f[0], 7, strides=2, padding="same", use_bias=False)(inp)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)  # /4
    c2 = bottleneck(x, f[1], 1)
    c3 = bottleneck(c2, f[2], 2)   # /8
    c4 = bottleneck(c3, f[3], 2)   # /16
    c5 = bottleneck(c4, f[4], 2)   # /32
    return keras.Model(inp, [c3, c4, c5], name="backbone")


class FeaturePyramid(layers.Layer):
    def __init__(self, channels=64, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.lateral = [layers.Conv2D(channels, 1, name=f"lat_c{i}") for i in (3, 4, 5)]
        self.smooth = [layers.Conv2D(channels, 3, padding="same", name=f"smooth_p{i}")
                       for i in (3, 4, 5)]
        self.p6 = layers.Conv2D(channels, 3, strides=2, padding="same", name="p6")
        self.p7 = layers.Conv2D(channels, 3, strides=2, padding="same", name="p7")
        self.up = layers.UpSampling2D(2)

    def call(self, features):
        c3, c4, c5 = features
        p5 = self.lateral[2](c5)
        p4 = self.lateral[1](c4) + self.up(p5)
        p3 = self.lateral[0](c3) + self.up(p4)
        p3, p4, p5 = [conv(p) for conv, p in zip(self.smooth, (p3, p4, p5))]
        p6 = self.p6(c5)
        p7 = self.p7(ops.relu(p6))
        return [p3, p4, p5, p6, p7]

    def get_config(self):
        return {**super().get_config(), "channels": self.channels}


def build_head(out_per_anchor, cfg: RetinaConfig, bias_init, name):
    head = keras.Sequential(name=name)
    head.add(keras.Input((None, None, cfg.pyramid_channels)))
    for _ in range(cfg.head_depth):
        head.add(layers.Conv2D(cfg.pyramid_channels, 3, padding="same",
                               kernel_initializer=keras.initializers.RandomNormal(stddev=0.01)))
        head.add(layers.ReLU())
    head.add(layers.Conv2D(cfg.num_anchors * out_per_anchor, 3, padding="same",
                           kernel_initializer=keras.initializers.RandomNormal(stddev=0.01),
                           bias_initializer=bias_init))
    return head


class AnchorBox:
    """Generates (cx, cy, w, h) anchors in pixels for all pyramid levels."""

    def __init__(self, cfg: RetinaConfig):
        self.cfg = cfg
        self.strides = [2 ** l for l in cfg.levels]
        self.areas = [(4 * s) ** 2 for s in self.strides]  # 32^2 at P3

    def _dims(self, area):
        dims = []
        for r in self.cfg.anchor_ratios:
            h = np.sqrt(area / r)
            w = area / h
            for s in self.cfg.anchor_scales:
                dims.append([w * s, h * s])
        return np.array(dims, np.float32)

    def __call__(self, image_size):
        all_anchors = []
        for stride, area in zip(self.strides, self.areas):
            n = int(np.ceil(image_size / stride))
            cs = (np.arange(n, dtype=np.float32) + 0.5) * stride
            cx, cy = np.meshgrid(cs, cs)
            centers = np.stack([cx, cy], -1)[:, :, None, :]
            centers = np.tile(centers, (1, 1, self.cfg.num_anchors, 1))
            dims = np.broadcast_to(self._dims(area), (n, n, self.cfg.num_anchors, 2))
            all_anchors.append(np.concatenate([centers, dims], -1).reshape(-1, 4))
        return np.concatenate(all_anchors, 0)


def focal_loss(y_true, logits, alpha, gamma):
    p = ops.sigmoid(logits)
    ce = ops.binary_crossentropy(y_true, logits, from_logits=True)
    p_t = y_true * p + (1 - y_true) * (1 - p)
    alpha_t = y_true * alpha + (1 - y_true) * (1 - alpha)
    return alpha_t * ops.power(1.0 - p_t, gamma) * ce


class RetinaNet(keras.Model):
    def __init__(self, cfg: RetinaConfig, **kwargs):
        super().__init__(**kwargs)
        self.cfg = cfg
        self.backbone = make_backbone(cfg)
        self.fpn = FeaturePyramid(cfg.pyramid_channels, name="fpn")
        prior = -np.log((1 - 0.01) / 0.01)
        self.cls_head = build_head(cfg.num_classes, cfg,
                                   keras.initializers.Constant(prior), "cls_head")
        self.box_head = build_head(4, cfg, "zeros", "box_head")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.cls_tracker = keras.metrics.Mean(name="cls_loss")
        self.box_tracker = keras.metrics.Mean(name="box_loss")

    def call(self, images, training=False):
        feats = self.fpn(self.backbone(images, training=training))
        b = ops.shape(images)[0]
        cls_out, box_out = [], []
        for p in feats:
            cls_out.append(ops.reshape(self.cls_head(p), (b, -1, self.cfg.num_classes)))
            box_out.append(ops.reshape(self.box_head(p), (b, -1, 4)))
        return ops.concatenate(box_out, axis=1), ops.concatenate(cls_out, axis=1)

    @property
    def metrics(self):
        return [self.loss_tracker, self.cls_tracker, self.box_tracker]

    def compute_losses(self, box_targets, cls_targets, box_pred, cls_pred):
        # cls_targets: -1 ignore, 0 background, k+1 class k
        positive = ops.cast(cls_targets > 0, "float32")
        ignore = ops.cast(cls_targets < 0, "float32")
        onehot = ops.one_hot(ops.maximum(cls_targets - 1, 0), self.cfg.num_classes)
        onehot = onehot * positive[..., None]
        cls_l = focal_loss(onehot, cls_pred, self.cfg.focal_alpha, self.cfg.focal_gamma)
        cls_l = ops.sum(cls_l, axis=-1) * (1.0 - ignore)

        diff = ops.abs(box_targets - box_pred)
        smooth_l1 = ops.where(diff < 1.0, 0.5 * diff ** 2, diff - 0.5)
        box_l = ops.sum(smooth_l1, axis=-1) * positive

        normalizer = ops.maximum(ops.sum(positive, axis=1), 1.0)
        cls_l = ops.sum(cls_l, axis=1) / normalizer
        box_l = ops.sum(box_l, axis=1) / normalizer
        return ops.mean(cls_l), ops.mean(box_l)

    def train_step(self, data):
        import tensorflow as tf  # the training step itself is backend specific

        images, (box_t, cls_t) = data
        with tf.GradientTape() as tape:
            box_p, cls_p = self(images, training=True)
            cls_l, box_l = self.compute_losses(box_t, cls_t, box_p, cls_p)
            loss = cls_l + box_l
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(loss)
        self.cls_tracker.update_state(cls_l)
        self.box_tracker.update_state(box_l)
        return {m.name: m.result() for m in self.metrics}


def encode_targets(anchors, gt_boxes, gt_cls, pos_iou=0.5, neg_iou=0.4):
    """numpy label assignment for one image; gt_boxes in (cx, cy, w, h) pixels."""
    def to_xyxy(b):
        return np.concatenate([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], -1)

    a, g = to_xyxy(anchors), to_xyxy(gt_boxes)
    lt = np.maximum(a[:, None, :2], g[None, :, :2])
    rb = np.minimum(a[:, None, 2:], g[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), -1)
    union = np.prod(anchors[:, 2:], -1)[:, None] + np.prod(gt_boxes[:, 2:], -1)[None] - inter
    iou = inter / union
    best = iou.argmax(1)
    best_iou = iou.max(1)

    matched = gt_boxes[best]
    box_t = np.concatenate([
        (matched[:, :2] - anchors[:, :2]) / anchors[:, 2:],
        np.log(matched[:, 2:] / anchors[:, 2:]),
    ], -1) / np.array([0.1, 0.1, 0.2, 0.2], np.float32)

    cls_t = np.where(best_iou >= pos_iou, gt_cls[best] + 1, 0)
    cls_t = np.where((best_iou > neg_iou) & (best_iou < pos_iou), -1, cls_t)
    return box_t.astype(np.float32), cls_t.astype(np.int32)


def make_toy_batches(cfg, anchors, n_images, seed=0):
    rng = np.random.default_rng(seed)
    imgs, box_ts, cls_ts = [], [], []
    for _ in range(n_images):
        n = rng.integers(1, 5)
        wh = rng.uniform(16, 72, (n, 2))
        cxy = rng.uniform(wh / 2, cfg.image_size - wh / 2)
        gt = np.concatenate([cxy, wh], -1).astype(np.float32)
        cls = rng.integers(0, cfg.num_classes, n)
        b, c = encode_targets(anchors, gt, cls)
        imgs.append(rng.normal(size=(cfg.image_size, cfg.image_size, 3)).astype(np.float32))
        box_ts.append(b)
        cls_ts.append(c)
    return np.stack(imgs), np.stack(box_ts), np.stack(cls_ts)


def decode_predictions(anchors, box_pred, cls_pred, score_thresh=0.3, max_det=50):
    box_pred = box_pred * np.array([0.1, 0.1, 0.2, 0.2], np.float32)
    cxy = box_pred[..., :2] * anchors[:, 2:] + anchors[:, :2]
    wh = ops.exp(box_pred[..., 2:]) * anchors[:, 2:]
    boxes = ops.concatenate([cxy - wh / 2, cxy + wh / 2], axis=-1)
    scores = ops.max(ops.sigmoid(cls_pred), axis=-1)
    labels = ops.argmax(cls_pred, axis=-1)
    top_scores, top_idx = ops.top_k(scores, k=max_det)
    top_boxes = ops.take_along_axis(boxes, top_idx[..., None], axis=1)
    top_labels = ops.take_along_axis(labels, top_idx, axis=1)
    keep = ops.cast(top_scores > score_thresh, "int32")
    return top_boxes, top_scores, top_labels, ops.sum(keep, axis=-1)


if __name__ == "__main__":
    cfg = RetinaConfig()
    anchors = AnchorBox(cfg)(cfg.image_size)
    print("anchors:", anchors.shape)

    model = RetinaNet(cfg)
    box_out, cls_out = model(ops.zeros((1, cfg.image_size, cfg.image_size, 3)))
    print("box out:", box_out.shape, "cls out:", cls_out.shape)
    assert box_out.shape[1] == anchors.shape[0]

    images, box_t, cls_t = make_toy_batches(cfg, anchors, cfg.batch_size * cfg.steps)
    print("positives per image:", (cls_t > 0).sum(1))
    model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=10.0))
    model.fit(images, (box_t, cls_t), batch_size=cfg.batch_size, epochs=1, verbose=2)

    box_p, cls_p = model.predict(images[:2], verbose=0)
    boxes, scores, labels, n_valid = decode_predictions(anchors, box_p, cls_p)
    print("decoded:", boxes.shape, scores.shape, "n above threshold:", np.asarray(n_valid))

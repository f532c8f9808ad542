"""Feature Pyramid Network over a small backbone with an FCOS-style shared head.

- backbone: a few strided conv stages exposing C3, C4, C5
- FPN: 1x1 lateral convs + nearest-neighbour top-down pathway + 3x3 smoothing,
  plus P6 from a strided conv on P5 (as in RetinaNet/FCOS)
- head: one set of conv towers shared across all pyramid levels, with a
  learnable per-level Scale on the box regression
Everything is written with keras.ops so it is backend agnostic; training uses
a custom train_step on a subclassed keras.Model.
"""
import numpy as np
import keras
from keras import layers, ops
import tensorflow as tf

IMAGE_SIZE = 128
NUM_CLASSES = 3
FPN_CHANNELS = 48
LEVEL_STRIDES = (8, 16, 32, 64)
# FCOS assigns objects to a level by the max regression distance
SIZE_RANGES = ((0, 24), (24, 48), (48, 96), (96, 1e8))


class ConvBlock(layers.Layer):
    def __init__(self, filters, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.conv = layers.Conv2D(filters, 3, strides=strides, padding="same", use_bias=False)
        self.norm = layers.BatchNormalization()

    def call(self, x, training=False):
        return ops.relu(self.norm(self.conv(x), training=training))


class SmallBackbone(layers.Layer):
    """Returns C3 (stride 8), C4 (stride 16), C5 (stride 32)."""

    def __init__(self, widths=(16, 32, 48, 64, 96), **kwargs):
        super().__init__(**kwargs)
        self.stages = [ConvBlock(w, strides=2, name=f"stage{i + 1}") for i, w in enumerate(widths)]
        self.refine = [ConvBlock(w, name=f"stage{i + 1}_refine") for i, w in enumerate(widths)]

    def call(self, x, training=False):
        feats = []
        for down, refine in zip(self.stages, self.refine):
            x = refine(down(x, training=training), training=training)
            feats.append(x)
        return feats[2:]  # C3, C4, C5


class FeaturePyramid(layers.Layer):
    def __init__(self, channels=FPN_CHANNELS, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels

    def build(self, input_shapes):
        n = len(input_shapes)
        self.lateral = [layers.Conv2D(self.channels, 1, name=f"lateral_c{i + 3}") for i in range(n)]
        self.smooth = [layers.Conv2D(self.channels, 3, padding="same", name=f"smooth_p{i + 3}")
                       for i in range(n)]
        self.p6 = layers.Conv2D(self.channels, 3, strides=2, padding="same", name="p6")
        self.upsample = layers.UpSampling2D(2, interpolation="nearest")
        for conv, shape in zip(self.lateral, input_shapes):
            conv.build(shape)
        for conv in self.smooth:
            conv.build(input_shapes[0][:-1] + (self.channels,))
        self.p6.build(input_shapes[-1][:-1] + (self.channels,))
        super().build(input_shapes)

    def call(self, features):
        laterals = [conv(f) for conv, f in zip(self.lateral, features)]
        # top-down: start from the coarsest level and add upsampled maps
        merged = [laterals[-1]]
        for lat in reversed(laterals[:-1]):
            merged.insert(0, lat + self.upsample(merged[0]))
        outs = [conv(m) for conv, m in zip(self.smooth, merged)]
        outs.append(self.p6(outs[-1]))
        return outs  # P3..P6


class Scale(layers.Layer):
    """Learnable scalar, one per pyramid level (FCOS trick)."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")

    def call(self, x):
        return x * self.scale


class FCOSHead(layers.Layer):
    def __init__(self, num_classes, channels=FPN_CHANNELS, num_convs=2, num_levels=4, **kwargs):
        super().__init__(**kwargs)
        prior = 0.01
        bias_init = keras.initializers.Constant(-np.log((1 - prior) / prior))
        self.cls_tower = [layers.Conv2D(channels, 3, padding="same", activation="relu")
                          for _ in range(num_convs)]
        self.box_tower = [layers.Conv2D(channels, 3, padding="same", activation="relu")
                          for _ in range(num_convs)]
        self.cls_logits = layers.Conv2D(num_classes, 3, padding="same", bias_initializer=bias_init)
        self.bbox_pred = layers.Conv2D(4, 3, padding="same")
        self.centerness = layers.Conv2D(1, 3, padding="same")
        self.scales = [Scale(name=f"scale_p{i + 3}") for i in range(num_levels)]

    def call(self, pyramid):
        cls_out, box_out, ctr_out = [], [], []
        for level, feat in enumerate(pyramid):
            c, b = feat, feat
            for conv in self.cls_tower:
                c = conv(c)
            for conv in self.box_tower:
                b = conv(b)
            batch = ops.shape(feat)[0]
            cls_out.append(ops.reshape(self.cls_logits(c), (batch, -1, self.cls_logits.filters)))
            # exp keeps ltrb distances positive
            ltrb = ops.exp(self.scales[level](self.bbox_pred(b)))
            box_out.append(ops.reshape(ltrb, (batch, -1, 4)))
            ctr_out.append(ops.reshape(self.centerness(b), (batch, -1, 1)))
        return (ops.concatenate(cls_out, axis=1),
                ops.concatenate(box_out, axis=1),
                ops.concatenate(ctr_out, axis=1))


def sigmoid_focal_loss(labels, logits, alpha=0.25, gamma=2.0):
    p = ops.sigmoid(logits)
    ce = ops.binary_crossentropy(labels, logits, from_logits=True)
    p_t = labels * p + (1 - labels) * (1 - p)
    alpha_t = labels * alpha + (1 - labels) * (1 - alpha)
    return alpha_t * ops.power(1.0 - p_t, gamma) * ce


def giou_loss_ltrb(pred, target):
    """GIoU loss for boxes expressed as (l, t, r, b) distances from the same point."""
    pred_area = (pred[..., 0] + pred[..., 2]) * (pred[..., 1] + pred[..., 3])
    tgt_area = (target[..., 0] + target[..., 2]) * (target[..., 1] + target[..., 3])
    w_inter = ops.minimum(pred[..., 0], target[..., 0]) + ops.minimum(pred[..., 2], target[..., 2])
    h_inter = ops.minimum(pred[..., 1], target[..., 1]) + ops.minimum(pred[..., 3], target[..., 3])
    w_encl = ops.maximum(pred[..., 0], target[..., 0]) + ops.maximum(pred[..., 2], target[..., 2])
    h_encl = ops.maximum(pred[..., 1], target[..., 1]) + ops.maximum(pred[..., 3], target[..., 3])
    inter = w_inter * h_inter
    union = pred_area + tgt_area - inter
    iou = inter / (union + 1e-7)
    encl = w_encl * h_encl + 1e-7
    return 1.0 - (iou - (encl - union) / encl)


class FCOS(keras.Model):
    def __init__(self, num_classes=NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.backbone = SmallBackbone(name="backbone")
        self.fpn = FeaturePyramid(name="fpn")
        self.head = FCOSHead(num_classes, num_levels=len(LEVEL_STRIDES), name="head")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.cls_tracker = keras.metrics.Mean(name="cls")
        self.box_tracker = keras.metrics.Mean(name="giou")

    def call(self, images, training=False):
        feats = self.backbone(images, training=training)
        pyramid = self.fpn(feats)
        return self.head(pyramid)

    @property
    def metrics(self):
        return [self.loss_tracker, self.cls_tracker, self.box_tracker]

    def compute_detection_loss(self, targets, outputs):
        cls_logits, ltrb, ctr_logits = outputs
        cls_t, box_t, ctr_t = targets["cls"], targets["ltrb"], targets["ctr"]
        pos = ops.cast(ops.max(cls_t, axis=-1) > 0, "float32")          # (B, N)
        num_pos = ops.maximum(ops.sum(pos), 1.0)

        cls_loss = ops.sum(sigmoid_focal_loss(cls_t, cls_logits)) / num_pos
        giou = giou_loss_ltrb(ltrb, box_t)
        # weight the box loss by the centerness target, as in the paper
        box_loss = ops.sum(giou * pos * ctr_t[..., 0]) / ops.maximum(ops.sum(pos * ctr_t[..., 0]), 1e-6)
        ctr_loss = ops.sum(
            ops.binary_crossentropy(ctr_t, ctr_logits, from_logits=True)[..., 0] * pos
        ) / num_pos
        return cls_loss, box_loss, ctr_loss

    def train_step(self, data):
        images, targets = data
        with tf.GradientTape() as tape:
            outputs = self(images, training=True)
            cls_loss, box_loss, ctr_loss = self.compute_detection_loss(targets, outputs)
            total = cls_loss + box_loss + ctr_loss
        grads = tape.gradient(total, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        self.loss_tracker.update_state(total)
        self.cls_tracker.update_state(cls_loss)
        self.box_tracker.update_state(box_loss)
        return {m.name: m.result() for m in self.metrics}


# ---------------------------------------------------------------------------
# target assignment (numpy, offline)
# ---------------------------------------------------------------------------
def level_locations(image_size, strides):
    locs = []
    for s in strides:
        n = int(np.ceil(image_size / s))
        xs = (np.arange(n) * s + s // 2).astype(np.float32)
        yy, xx = np.meshgrid(xs, xs, indexing="ij")
        locs.append(np.stack([xx.ravel(), yy.ravel()], axis=-1))
    return locs


def assign_targets(boxes, labels, locations):
    """boxes: (G, 4) x1y1x2y2 pixels. Returns flat per-location targets over all levels."""
    cls_all, box_all, ctr_all = [], [], []
    for locs, (lo, hi) in zip(locations, SIZE_RANGES):
        x, y = locs[:, 0:1], locs[:, 1:2]
        l, t = x - boxes[None, :, 0], y - boxes[None, :, 1]
        r, b = boxes[None, :, 2] - x, boxes[None, :, 3] - y
        ltrb = np.stack([l, t, r, b], axis=-1)                   # (N, G, 4)
        inside = ltrb.min(axis=-1) > 0
        max_reg = ltrb.max(axis=-1)
        in_range = (max_reg >= lo) & (max_reg < hi)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        area = np.where(inside & in_range, area[None, :], np.inf)
        gt_idx = area.argmin(axis=1)
        positive = np.isfinite(area.min(axis=1))

        cls_t = np.zeros((len(locs), NUM_CLASSES), np.float32)
        cls_t[positive, labels[gt_idx[positive]]] = 1.0
        box_t = np.take_along_axis(ltrb, gt_idx[:, None, None], axis=1)[:, 0]
        box_t = np.where(positive[:, None], box_t, 1.0).astype(np.float32)
        lr, tb = box_t[:, [0, 2]], box_t[:, [1, 3]]
        ctr = np.sqrt((lr.min(1) / lr.max(1)) * (tb.min(1) / tb.max(1)))
        ctr_t = np.where(positive, ctr, 0.0).astype(np.float32)[:, None]
        cls_all.append(cls_t)
        box_all.append(box_t)
        ctr_all.append(ctr_t)
    return np.concatenate(cls_all), np.concatenate(box_all), np.concatenate(ctr_all)


def synthetic_batch(n, rng, locations):
    images = rng.uniform(0, 0.2, (n, IMAGE_SIZE, IMAGE_SIZE, 3)).astype(np.float32)
    cls_t, box_t, ctr_t = [], [], []
    for i in range(n):
        g = rng.integers(1, 4)
        wh = rng.uniform(12, 90, (g, 2))
        xy = rng.uniform(0, 1, (g, 2)) * (IMAGE_SIZE - wh)
        boxes = np.concatenate([xy, xy + wh], axis=1).astype(np.float32)
        labels = rng.integers(0, NUM_CLASSES, g)
        for (x1, y1, x2, y2), c in zip(boxes.astype(int), labels):
            images[i, y1:y2, x1:x2, c] = 1.0
        c_, b_, t_ = assign_targets(boxes, labels, locations)
        cls_t.append(c_)
        box_t.append(b_)
        ctr_t.append(t_)
    return images, {"cls": np.stack(cls_t), "ltrb": np.stack(box_t), "ctr": np.stack(ctr_t)}


if __name__ == "__main__":
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(3)
    locations = level_locations(IMAGE_SIZE, LEVEL_STRIDES)
    print("locations per level:", [len(l) for l in locations])

    model = FCOS()
    cls_logits, ltrb, ctr = model(ops.zeros((1, IMAGE_SIZE, IMAGE_SIZE, 3)))
    print("head outputs:", cls_logits.shape, ltrb.shape, ctr.shape)
    assert cls_logits.shape[1] == sum(len(l) for l in locations)

    images, targets = synthetic_batch(16, rng, locations)
    print("positive locations:", int(targets["cls"].max(-1).sum()))
    ds = tf.data.Dataset.from_tensor_slices((images, targets)).batch(4)

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=5.0))
    model.fit(ds, epochs=1, verbose=2)

    # per-level view of the predictions for one image
    cls_logits, ltrb, ctr = model(images[:1])
    scores = ops.sqrt(ops.sigmoid(cls_logits) * ops.sigmoid(ctr))
    splits = np.cumsum([len(l) for l in locations])[:-1].tolist()
    for stride, level_scores in zip(LEVEL_STRIDES, ops.split(scores, splits, axis=1)):
        print(f"P{int(np.log2(stride))} max score: {float(ops.max(level_scores)):.3f}")

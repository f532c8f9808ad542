"""
FCOS-like anchor-free detector (very small).

* locations for each FPN level built in numpy
* per-location targets (class, l/t/r/b distances, centerness) computed inside
  Dataset.map with pure tensor ops
* subclassed keras.Model with shared head + learnable per-level Scale
* compute_loss override: sigmoid focal + IoU loss + centerness BCE
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

SIZE = 96
LEVELS = {"p3": 8, "p4": 16, "p5": 32}
# size ranges each level is responsible for (max regression distance)
RANGES = {"p3": (0, 32), "p4": (32, 64), "p5": (64, 1e8)}
N_CLS = 2
MAX_GT = 5
BATCH = 8


def level_locations():
    locs, lo, hi = [], [], []
    for name, stride in LEVELS.items():
        n = SIZE // stride
        xs = np.arange(n) * stride + stride // 2
        xx, yy = np.meshgrid(xs, xs)
        pts = np.stack([xx.ravel(), yy.ravel()], 1).astype("float32")
        locs.append(pts)
        lo.append(np.full(len(pts), RANGES[name][0], "float32"))
        hi.append(np.full(len(pts), RANGES[name][1], "float32"))
        print(f"{name}: stride={stride} grid={n}x{n} -> {len(pts)} points")
    return np.concatenate(locs), np.concatenate(lo), np.concatenate(hi)


LOCS, LO, HI = level_locations()
N_LOC = len(LOCS)


def fake_images(n, seed=42):
    g = np.random.default_rng(seed)
    imgs = g.uniform(0, 0.1, (n, SIZE, SIZE, 3)).astype("float32")
    boxes = np.zeros((n, MAX_GT, 4), "float32")   # x1 y1 x2 y2 in pixels
    cls = np.full((n, MAX_GT), -1, "int32")
    for i in range(n):
        k = g.integers(1, MAX_GT + 1)
        for j in range(k):
            s = g.choice([12, 20, 40, 70])
            w = s * g.uniform(0.7, 1.3)
            h = s * g.uniform(0.7, 1.3)
            x1, y1 = g.uniform(0, SIZE - w), g.uniform(0, SIZE - h)
            c = int(g.integers(0, N_CLS))
            sl = np.s_[int(y1):int(y1 + h), int(x1):int(x1 + w)]
            if c == 0:
                imgs[i][sl] = [0.9, 0.8, 0.1]
            else:
                imgs[i][sl] = [0.1, 0.5, 0.9]
            boxes[i, j] = [x1, y1, min(x1 + w, SIZE), min(y1 + h, SIZE)]
            cls[i, j] = c
    return imgs, boxes, cls


LOCS_T = tf.constant(LOCS)
LO_T, HI_T = tf.constant(LO), tf.constant(HI)


def fcos_targets(image, boxes, classes):
    # (N_LOC, G) distance from each point to each box side
    x = LOCS_T[:, 0:1]
    y = LOCS_T[:, 1:2]
    l = x - boxes[None, :, 0]
    t = y - boxes[None, :, 1]
    r = boxes[None, :, 2] - x
    b = boxes[None, :, 3] - y
    ltrb = tf.stack([l, t, r, b], axis=-1)                   # (N, G, 4)
    inside = tf.reduce_min(ltrb, axis=-1) > 0
    max_d = tf.reduce_max(ltrb, axis=-1)
    in_range = (max_d >= LO_T[:, None]) & (max_d <= HI_T[:, None])
    valid_gt = (classes >= 0)[None, :]
    ok = inside & in_range & valid_gt

    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    area = tf.where(ok, tf.broadcast_to(area[None], tf.shape(ok)), 1e9)
    gt_idx = tf.argmin(area, axis=1, output_type=tf.int32)   # smallest box wins ambiguity
    positive = tf.reduce_any(ok, axis=1)

    reg = tf.gather(ltrb, gt_idx, batch_dims=1)              # (N, 4)
    cls_t = tf.where(positive, tf.gather(classes, gt_idx), -1)
    lr_min = tf.minimum(reg[:, 0], reg[:, 2])
    lr_max = tf.maximum(reg[:, 0], reg[:, 2])
    tb_min = tf.minimum(reg[:, 1], reg[:, 3])
    tb_max = tf.maximum(reg[:, 1], reg[:, 3])
    ctr = tf.sqrt(tf.math.divide_no_nan(lr_min, lr_max) * tf.math.divide_no_nan(tb_min, tb_max))
    ctr = tf.where(positive, ctr, 0.0)
    reg = tf.where(positive[:, None], tf.maximum(reg, 0.0), 0.0)
    target = tf.concat([tf.cast(cls_t, tf.float32)[:, None], reg, ctr[:, None]], axis=-1)
    return image, target


imgs, gt_boxes, gt_cls = fake_images(200)
ds = (tf.data.Dataset.from_tensor_slices((imgs, gt_boxes, gt_cls))
      .map(fcos_targets, num_parallel_calls=tf.data.AUTOTUNE)
      .batch(BATCH)
      .prefetch(1))
_, sample_t = next(iter(ds))
print("targets:", sample_t.shape, "positives in first batch:", int(tf.reduce_sum(tf.cast(sample_t[..., 0] >= 0, tf.int32))))


class Scale(layers.Layer):
    def __init__(self, init=1.0, **kw):
        super().__init__(**kw)
        self.init = init

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.init), name="scale")

    def call(self, x):
        return x * self.scale


class FCOS(keras.Model):
    def __init__(self, width=32, head_convs=2, **kw):
        super().__init__(**kw)
        self.stem = [layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")
                     for f in (16, 24, 32)]                 # /8
        self.down4 = layers.Conv2D(48, 3, strides=2, padding="same", activation="relu")
        self.down5 = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")
        self.lateral = {k: layers.Conv2D(width, 1) for k in LEVELS}
        self.up = layers.UpSampling2D()
        self.cls_tower = [layers.Conv2D(width, 3, padding="same", activation="relu") for _ in range(head_convs)]
        self.reg_tower = [layers.Conv2D(width, 3, padding="same", activation="relu") for _ in range(head_convs)]
        self.cls_out = layers.Conv2D(N_CLS, 3, padding="same",
                                     bias_initializer=keras.initializers.Constant(-4.6))
        self.reg_out = layers.Conv2D(4, 3, padding="same")
        self.ctr_out = layers.Conv2D(1, 3, padding="same")
        self.scales = {k: Scale(name=f"scale_{k}") for k in LEVELS}

    def call(self, x, training=False):
        for conv in self.stem:
            x = conv(x)
        c3 = x
        c4 = self.down4(c3)
        c5 = self.down5(c4)
        p5 = self.lateral["p5"](c5)
        p4 = self.lateral["p4"](c4) + self.up(p5)
        p3 = self.lateral["p3"](c3) + self.up(p4)

        outs = []
        for name, feat in zip(LEVELS, (p3, p4, p5)):
            c, r = feat, feat
            for a, b in zip(self.cls_tower, self.reg_tower):
                c, r = a(c), b(r)
            cls = self.cls_out(c)
            reg = ops.exp(self.scales[name](self.reg_out(r))) * LEVELS[name]
            ctr = self.ctr_out(r)
            level = ops.concatenate([cls, reg, ctr], axis=-1)
            outs.append(ops.reshape(level, (ops.shape(level)[0], -1, N_CLS + 5)))
        return ops.concatenate(outs, axis=1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        cls_t = y[..., 0]
        reg_t, ctr_t = y[..., 1:5], y[..., 5]
        cls_p, reg_p, ctr_p = y_pred[..., :N_CLS], y_pred[..., N_CLS:N_CLS + 4], y_pred[..., -1]
        pos = ops.cast(cls_t >= 0, "float32")
        n_pos = ops.maximum(ops.sum(pos), 1.0)

        onehot = ops.one_hot(ops.cast(ops.maximum(cls_t, 0), "int32"), N_CLS) * pos[..., None]
        focal = keras.losses.binary_focal_crossentropy(onehot[..., None], cls_p[..., None],
                                                       apply_class_balancing=True, alpha=0.25,
                                                       gamma=2.0, from_logits=True)
        cls_loss = ops.sum(focal) / n_pos

        # IoU loss on l,t,r,b
        area_t = (reg_t[..., 0] + reg_t[..., 2]) * (reg_t[..., 1] + reg_t[..., 3])
        area_p = (reg_p[..., 0] + reg_p[..., 2]) * (reg_p[..., 1] + reg_p[..., 3])
        w_i = ops.minimum(reg_t[..., 0], reg_p[..., 0]) + ops.minimum(reg_t[..., 2], reg_p[..., 2])
        h_i = ops.minimum(reg_t[..., 1], reg_p[..., 1]) + ops.minimum(reg_t[..., 3], reg_p[..., 3])
        inter = w_i * h_i
        iou = (inter + 1.0) / (area_t + area_p - inter + 1.0)
        reg_loss = ops.sum(-ops.log(iou) * pos * ctr_t) / ops.maximum(ops.sum(pos * ctr_t), 1e-6)

        bce = ops.binary_crossentropy(ctr_t, ctr_p, from_logits=True)
        ctr_loss = ops.sum(bce * pos) / n_pos
        return cls_loss + reg_loss + ctr_loss


model = FCOS()
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=5.0))
model.fit(ds, epochs=2, verbose=2)
print("learned level scales:", {k: round(float(v.scale.numpy()), 4) for k, v in model.scales.items()})


def decode(pred, score_thr=0.05, top=10):
    cls_p = tf.sigmoid(pred[..., :N_CLS])
    ctr_p = tf.sigmoid(pred[..., -1:])
    score = tf.sqrt(cls_p * ctr_p)
    ltrb = pred[..., N_CLS:N_CLS + 4]
    boxes = tf.concat([LOCS_T - ltrb[..., :2], LOCS_T + ltrb[..., 2:]], axis=-1)
    boxes = tf.clip_by_value(boxes, 0.0, float(SIZE)) / SIZE
    # tf.image NMS expects [y1, x1, y2, x2]
    boxes = tf.gather(boxes, [1, 0, 3, 2], axis=-1)
    return tf.image.combined_non_max_suppression(
        boxes[:, :, None, :], score, max_output_size_per_class=top, max_total_size=top,
        iou_threshold=0.6, score_threshold=score_thr)


det = decode(model.predict(imgs[:3], verbose=0))
for i in range(3):
    n = int(det.valid_detections[i])
    print(f"img{i}: gt={int((gt_cls[i] >= 0).sum())} dets={n} classes={det.nmsed_classes[i, :n].numpy().astype(int)}")

"""CenterNet ("Objects as Points") toy implementation.

Anchor-free detection: a stride-4 heatmap per class, plus wh and sub-pixel offset
regression. Targets are rendered with Gaussian splats in a Python generator fed
through tf.data.Dataset.from_generator; decoding uses the 3x3 max-pool NMS trick
and top-k over the flattened heatmap.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers


class Cfg:
    input_size = 128
    down_ratio = 4
    num_classes = 2
    max_objs = 8
    batch_size = 8
    steps_per_epoch = 4
    head_conv = 32
    top_k = 20
    score_threshold = 0.1

    @classmethod
    def output_size(cls):
        return cls.input_size // cls.down_ratio


# ----------------------------------------------------------------------------
# target rendering
# ----------------------------------------------------------------------------
def gaussian_radius(det_size, min_overlap=0.7):
    """Radius from the CornerNet paper (three quadratic cases, take the min)."""
    height, width = det_size
    a1 = 1
    b1 = height + width
    c1 = width * height * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + np.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2

    a2 = 4
    b2 = 2 * (height + width)
    c2 = (1 - min_overlap) * width * height
    r2 = (b2 + np.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2

    a3 = 4 * min_overlap
    b3 = -2 * min_overlap * (height + width)
    c3 = (min_overlap - 1) * width * height
    r3 = (b3 + np.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def draw_gaussian(heatmap, center, radius):
    diameter = 2 * radius + 1
    sigma = diameter / 6
    m = np.arange(-radius, radius + 1)
    gaussian = np.exp(-(m[:, None] ** 2 + m[None, :] ** 2) / (2 * sigma ** 2))

    x, y = int(center[0]), int(center[1])
    h, w = heatmap.shape
    left, right = min(x, radius), min(w - x, radius + 1)
    top, bottom = min(y, radius), min(h - y, radius + 1)
    region = heatmap[y - top:y + bottom, x - left:x + right]
    g = gaussian[radius - top:radius + bottom, radius - left:radius + right]
    np.maximum(region, g, out=region)
    return heatmap


def random_scene(rng, cfg=Cfg):
    s = cfg.input_size
    image = rng.uniform(0, 0.2, (s, s, 3)).astype(np.float32)
    boxes, labels = [], []
    for _ in range(rng.integers(1, cfg.max_objs // 2 + 1)):
        w, h = rng.integers(12, 48, 2)
        x0, y0 = rng.integers(0, s - w), rng.integers(0, s - h)
        label = rng.integers(0, cfg.num_classes)
        image[y0:y0 + h, x0:x0 + w, label] = 1.0
        boxes.append([x0, y0, x0 + w, y0 + h])
        labels.append(label)
    return image, np.array(boxes, np.float32), np.array(labels, np.int32)


def encode_centernet(boxes, labels, cfg=Cfg):
    out = cfg.output_size()
    hm = np.zeros((out, out, cfg.num_classes), np.float32)
    wh = np.zeros((cfg.max_objs, 2), np.float32)
    reg = np.zeros((cfg.max_objs, 2), np.float32)
    ind = np.zeros((cfg.max_objs,), np.int32)
    mask = np.zeros((cfg.max_objs,), np.float32)

    for k, (box, label) in enumerate(zip(boxes / cfg.down_ratio, labels)):
        if k >= cfg.max_objs:
            break
        bw, bh = box[2] - box[0], box[3] - box[1]
        radius = max(0, int(gaussian_radius((np.ceil(bh), np.ceil(bw)))))
        center = np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], np.float32)
        ci = center.astype(np.int32)
        draw_gaussian(hm[..., label], ci, radius)
        wh[k] = bw, bh
        ind[k] = ci[1] * out + ci[0]
        reg[k] = center - ci
        mask[k] = 1.0
    return hm, wh, reg, ind, mask


def sample_generator(seed):
    rng = np.random.default_rng(seed)
    while True:
        image, boxes, labels = random_scene(rng)
        hm, wh, reg, ind, mask = encode_centernet(boxes, labels)
        yield image, {"hm": hm, "wh": wh, "reg": reg, "ind": ind, "mask": mask}


def make_dataset(seed=0, cfg=Cfg):
    out = cfg.output_size()
    sig = (
        tf.TensorSpec((cfg.input_size, cfg.input_size, 3), tf.float32),
        {
            "hm": tf.TensorSpec((out, out, cfg.num_classes), tf.float32),
            "wh": tf.TensorSpec((cfg.max_objs, 2), tf.float32),
            "reg": tf.TensorSpec((cfg.max_objs, 2), tf.float32),
            "ind": tf.TensorSpec((cfg.max_objs,), tf.int32),
            "mask": tf.TensorSpec((cfg.max_objs,), tf.float32),
        },
    )
    ds = tf.data.Dataset.from_generator(lambda: sample_generator(seed), output_signature=sig)
    return ds.batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE)


# ----------------------------------------------------------------------------
# network
# ----------------------------------------------------------------------------
def res_block(x, filters, stride=1):
    y = layers.Conv2D(filters, 3, stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if stride > 1 or x.shape[-1] != filters:
        x = layers.Conv2D(filters, 1, stride, use_bias=False)(x)
        x = layers.BatchNormalization()(x)
    return layers.ReLU()(layers.add([x, y]))


def build_centernet(cfg=Cfg):
    inp = keras.Input((cfg.input_size, cfg.input_size, 3))
    x = layers.Conv2D(16, 3, 2, padding="same", activation="relu")(inp)   # /2
    x = res_block(x, 32, 2)   # /4
    x = res_block(x, 48, 2)   # /8
    x = res_block(x, 64, 2)   # /16
    # "deconv layers" as in the ResNet variant of CenterNet, back up to /4
    for filters in (48, 32):
        x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)

    def head(out_ch, name, bias=0.0, act=None):
        h = layers.Conv2D(cfg.head_conv, 3, padding="same", activation="relu")(x)
        return layers.Conv2D(out_ch, 1, activation=act, name=name,
                             bias_initializer=keras.initializers.Constant(bias))(h)

    outputs = {
        "hm": head(cfg.num_classes, "hm", bias=-2.19, act="sigmoid"),
        "wh": head(2, "wh"),
        "reg": head(2, "reg"),
    }
    return keras.Model(inp, outputs, name="centernet_res")


# ----------------------------------------------------------------------------
# losses / training
# ----------------------------------------------------------------------------
def penalty_reduced_focal_loss(gt, pred, alpha=2.0, beta=4.0):
    pred = tf.clip_by_value(pred, 1e-4, 1.0 - 1e-4)
    pos = tf.cast(tf.equal(gt, 1.0), tf.float32)
    neg = 1.0 - pos
    pos_loss = tf.math.log(pred) * tf.pow(1.0 - pred, alpha) * pos
    neg_loss = tf.math.log(1.0 - pred) * tf.pow(pred, alpha) * tf.pow(1.0 - gt, beta) * neg
    num_pos = tf.maximum(tf.reduce_sum(pos), 1.0)
    return -(tf.reduce_sum(pos_loss) + tf.reduce_sum(neg_loss)) / num_pos


def gather_feat(feat, ind):
    """feat (B, H, W, C), ind (B, K) flattened spatial index -> (B, K, C)."""
    b = tf.shape(feat)[0]
    c = feat.shape[-1]
    flat = tf.reshape(feat, (b, -1, c))
    return tf.gather(flat, ind, batch_dims=1)


def reg_l1_loss(target, pred_map, ind, mask):
    pred = gather_feat(pred_map, ind)
    m = mask[..., None]
    return tf.reduce_sum(tf.abs(pred - target) * m) / (tf.reduce_sum(m) * 2.0 + 1e-4)


class CenterNetTrainer(keras.Model):
    """Wraps the functional net so fit() can consume the dict-of-targets dataset."""

    def __init__(self, net, wh_weight=0.1, **kwargs):
        super().__init__(**kwargs)
        self.net = net
        self.wh_weight = wh_weight
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("loss", "hm", "wh", "off")}

    def call(self, x, training=False):
        return self.net(x, training=training)

    @property
    def metrics(self):
        return list(self.trackers.values())

    def train_step(self, data):
        images, t = data
        with tf.GradientTape() as tape:
            out = self(images, training=True)
            hm_l = penalty_reduced_focal_loss(t["hm"], out["hm"])
            wh_l = reg_l1_loss(t["wh"], out["wh"], t["ind"], t["mask"])
            off_l = reg_l1_loss(t["reg"], out["reg"], t["ind"], t["mask"])
            loss = hm_l + self.wh_weight * wh_l + off_l
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for name, val in zip(("loss", "hm", "wh", "off"), (loss, hm_l, wh_l, off_l)):
            self.trackers[name].update_state(val)
        return {k: m.result() for k, m in self.trackers.items()}


# ----------------------------------------------------------------------------
# decoding
# ----------------------------------------------------------------------------
@tf.function
def decode_detections(hm, wh, reg, k=Cfg.top_k):
    # keep only local maxima: a pixel survives if it equals the 3x3 max around it
    hmax = tf.nn.max_pool2d(hm, 3, 1, "SAME")
    keep = tf.cast(tf.equal(hm, hmax), hm.dtype)
    hm = hm * keep

    b = tf.shape(hm)[0]
    out_w = tf.shape(hm)[2]
    n_cls = hm.shape[-1]
    scores, inds = tf.math.top_k(tf.reshape(hm, (b, -1)), k=k)
    classes = inds % n_cls
    spatial = inds // n_cls
    ys = tf.cast(spatial // out_w, tf.float32)
    xs = tf.cast(spatial % out_w, tf.float32)

    off = gather_feat(reg, spatial)
    size = gather_feat(wh, spatial)
    xs, ys = xs + off[..., 0], ys + off[..., 1]
    boxes = tf.stack([xs - size[..., 0] / 2, ys - size[..., 1] / 2,
                      xs + size[..., 0] / 2, ys + size[..., 1] / 2], axis=-1)
    return boxes * Cfg.down_ratio, scores, classes


def main():
    tf.random.set_seed(1)
    ds = make_dataset()
    images, targets = next(iter(ds))
    print("images", images.shape, {k: tuple(v.shape) for k, v in targets.items()})
    print("objects in batch:", int(tf.reduce_sum(targets["mask"])),
          "| heatmap peaks:", int(tf.reduce_sum(tf.cast(targets["hm"] == 1.0, tf.int32))))

    net = build_centernet()
    for name, t in net.output.items():
        print(f"  head {name}: {t.shape}")
    trainer = CenterNetTrainer(net)
    trainer.compile(optimizer=keras.optimizers.Adam(1.25e-3))
    trainer.fit(ds, steps_per_epoch=Cfg.steps_per_epoch, epochs=1, verbose=2)

    preds = net.predict(images[:2], verbose=0)
    boxes, scores, classes = decode_detections(preds["hm"], preds["wh"], preds["reg"])
    for i in range(2):
        sel = scores[i] > Cfg.score_threshold
        print(f"img {i}: {int(tf.reduce_sum(tf.cast(sel, tf.int32)))} dets above "
              f"{Cfg.score_threshold}, top score {float(scores[i, 0]):.3f}, "
              f"top box {np.round(boxes[i, 0].numpy(), 1)} cls {int(classes[i, 0])}")


if __name__ == "__main__":
    main()

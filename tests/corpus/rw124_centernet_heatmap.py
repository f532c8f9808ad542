#!/usr/bin/env python
# CenterNet-style keypoint detector on synthetic circles/squares.
# Targets: per-class gaussian heatmap + size (w,h) + sub-pixel offset at centers.

import numpy as np
import tensorflow as tf
from tensorflow import keras

INPUT_HW = 96
DOWN = 4
OUT_HW = INPUT_HW // DOWN
N_CLASSES = 2  # 0 = disk, 1 = square
MAX_OBJS = 6
N_TRAIN = 160
BATCH = 16
EPOCHS = 2


# ------------------------------------------------------------------ #
# Target rendering helpers (pure numpy, called from a python generator)
# ------------------------------------------------------------------ #
def gaussian_radius(h, w, min_overlap=0.7):
    # the usual three-case radius from CornerNet, simplified
    a1, b1 = 1, h + w
    c1 = w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + np.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2
    a2, b2 = 4, 2 * (h + w)
    c2 = (1 - min_overlap) * w * h
    r2 = (b2 + np.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3, b3 = 4 * min_overlap, -2 * min_overlap * (h + w)
    c3 = (min_overlap - 1) * w * h
    r3 = (b3 + np.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return max(0, int(min(r1, r2, r3)))


def draw_gaussian(hm, cx, cy, radius):
    d = 2 * radius + 1
    sigma = d / 6
    ys, xs = np.ogrid[-radius:radius + 1, -radius:radius + 1]
    g = np.exp(-(xs * xs + ys * ys) / (2 * sigma * sigma))
    H, W = hm.shape
    l, r = min(cx, radius), min(W - cx, radius + 1)
    t, b = min(cy, radius), min(H - cy, radius + 1)
    region = hm[cy - t:cy + b, cx - l:cx + r]
    patch = g[radius - t:radius + b, radius - l:radius + r]
    np.maximum(region, patch, out=region)
    return hm


def random_scene(rs):
    img = rs.uniform(0, 0.15, (INPUT_HW, INPUT_HW, 3)).astype(np.float32)
    yy, xx = np.mgrid[:INPUT_HW, :INPUT_HW]
    objs = []
    for _ in range(rs.integers(1, MAX_OBJS + 1)):
        cls = int(rs.integers(0, N_CLASSES))
        size = rs.uniform(10, 30)
        cx, cy = rs.uniform(size / 2, INPUT_HW - size / 2, 2)
        colour = rs.uniform(0.4, 1.0, 3)
        if cls == 0:
            mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= (size / 2) ** 2
        else:
            mask = (np.abs(xx - cx) <= size / 2) & (np.abs(yy - cy) <= size / 2)
        img[mask] = colour
        objs.append((cls, cx, cy, size, size))
    return img, objs


def encode_targets(objs):
    heat = np.zeros((OUT_HW, OUT_HW, N_CLASSES), np.float32)
    wh = np.zeros((MAX_OBJS, 2), np.float32)
    reg = np.zeros((MAX_OBJS, 2), np.float32)
    ind = np.zeros((MAX_OBJS,), np.int32)
    mask = np.zeros((MAX_OBJS,), np.float32)
    for k, (cls, cx, cy, w, h) in enumerate(objs[:MAX_OBJS]):
        c = np.array([cx, cy]) / DOWN
        ci = c.astype(np.int32)
        radius = gaussian_radius(h / DOWN, w / DOWN)
        draw_gaussian(heat[..., cls], ci[0], ci[1], max(radius, 1))
        wh[k] = (w / DOWN, h / DOWN)
        reg[k] = c - ci
        ind[k] = ci[1] * OUT_HW + ci[0]
        mask[k] = 1.0
    return heat, wh, reg, ind, mask


def sample_generator(seed):
    rs = np.random.default_rng(seed)
    for _ in range(N_TRAIN):
        img, objs = random_scene(rs)
        heat, wh, reg, ind, mask = encode_targets(objs)
        yield img, {"heat": heat, "wh": wh, "reg": reg, "ind": ind, "mask": mask}


out_sig = (
    tf.TensorSpec((INPUT_HW, INPUT_HW, 3), tf.float32),
    {
        "heat": tf.TensorSpec((OUT_HW, OUT_HW, N_CLASSES), tf.float32),
        "wh": tf.TensorSpec((MAX_OBJS, 2), tf.float32),
        "reg": tf.TensorSpec((MAX_OBJS, 2), tf.float32),
        "ind": tf.TensorSpec((MAX_OBJS,), tf.int32),
        "mask": tf.TensorSpec((MAX_OBJS,), tf.float32),
    },
)
train_ds = (tf.data.Dataset.from_generator(lambda: sample_generator(1), output_signature=out_sig)
            .cache()
            .shuffle(128)
            .batch(BATCH, drop_remainder=True)
            .prefetch(2))


# ------------------------------------------------------------------ #
# Network
# ------------------------------------------------------------------ #
def down_block(x, f, double=True):
    x = keras.layers.Conv2D(f, 3, strides=2, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Activation("swish")(x)
    if not double:
        return x
    x = keras.layers.Conv2D(f, 3, padding="same", use_bias=False)(x)
    x = keras.layers.BatchNormalization()(x)
    return keras.layers.Activation("swish")(x)


def up_block(x, skip, f):
    x = keras.layers.UpSampling2D(interpolation="bilinear")(x)
    x = keras.layers.Conv2D(f, 1, use_bias=False)(x)
    x = keras.layers.Concatenate()([x, skip])
    x = keras.layers.Conv2D(f, 3, padding="same", activation="relu")(x)
    return x


def head(x, out_ch, name, bias=0.0, act=None):
    y = keras.layers.Conv2D(24, 3, padding="same", activation="relu")(x)
    return keras.layers.Conv2D(out_ch, 1, activation=act, name=name,
                               bias_initializer=keras.initializers.Constant(bias))(y)


def build_centernet():
    inp = keras.Input((INPUT_HW, INPUT_HW, 3))
    s2 = down_block(inp, 16, double=False)   # 48
    s4 = down_block(s2, 32)    # 24  <- output stride
    s8 = down_block(s4, 64)    # 12
    s16 = down_block(s8, 96)   # 6
    x = up_block(s16, s8, 64)
    x = up_block(x, s4, 48)
    heat = head(x, N_CLASSES, "heat", bias=-2.19, act="sigmoid")
    wh = head(x, 2, "wh")
    reg = head(x, 2, "reg")
    return keras.Model(inp, {"heat": heat, "wh": wh, "reg": reg}, name="centernet_small")


def neg_focal_loss(gt, pred, alpha=2.0, beta=4.0):
    pred = tf.clip_by_value(pred, 1e-4, 1.0 - 1e-4)
    pos = tf.cast(tf.equal(gt, 1.0), tf.float32)
    neg = 1.0 - pos
    pos_loss = tf.math.log(pred) * tf.pow(1 - pred, alpha) * pos
    neg_loss = tf.math.log(1 - pred) * tf.pow(pred, alpha) * tf.pow(1 - gt, beta) * neg
    n_pos = tf.reduce_sum(pos)
    return -tf.math.divide_no_nan(tf.reduce_sum(pos_loss) + tf.reduce_sum(neg_loss),
                                  tf.maximum(n_pos, 1.0))


def gather_feat(feat, ind):
    b = tf.shape(feat)[0]
    flat = tf.reshape(feat, [b, -1, tf.shape(feat)[-1]])
    return tf.gather(flat, ind, batch_dims=1)


def masked_l1(pred_map, ind, target, mask):
    pred = gather_feat(pred_map, ind)
    m = mask[..., None]
    return tf.reduce_sum(tf.abs(pred - target) * m) / (tf.reduce_sum(m) * 2 + 1e-4)


class CenterNetTrainer(keras.Model):
    def __init__(self, net, wh_weight=0.1, **kw):
        super().__init__(**kw)
        self.net = net
        self.wh_weight = wh_weight
        self.trackers = {k: keras.metrics.Mean(name=k) for k in ("loss", "hm", "wh", "off")}

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, x, training=False):
        return self.net(x, training=training)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            out = self(x, training=True)
            l_hm = neg_focal_loss(y["heat"], out["heat"])
            l_wh = masked_l1(out["wh"], y["ind"], y["wh"], y["mask"])
            l_off = masked_l1(out["reg"], y["ind"], y["reg"], y["mask"])
            loss = l_hm + self.wh_weight * l_wh + l_off
        grads = tape.gradient(loss, self.trainable_variables)
        self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
        for k, v in zip(("loss", "hm", "wh", "off"), (loss, l_hm, l_wh, l_off)):
            self.trackers[k].update_state(v)
        return {k: m.result() for k, m in self.trackers.items()}


net = build_centernet()
print(net.output_shape)
trainer = CenterNetTrainer(net)
trainer.compile(optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=1e-4))
hist = trainer.fit(train_ds, epochs=EPOCHS, verbose=2)
print({k: [round(v, 4) for v in vals] for k, vals in hist.history.items()})


# ------------------------------------------------------------------ #
# Decoding: 3x3 max-pool NMS on the heatmap, then top-k
# ------------------------------------------------------------------ #
@tf.function
def decode_detections(heat, wh, reg, k=20):
    peaks = tf.nn.max_pool2d(heat, ksize=3, strides=1, padding="SAME")
    heat = heat * tf.cast(tf.equal(peaks, heat), heat.dtype)
    b = tf.shape(heat)[0]
    flat = tf.reshape(heat, [b, -1])
    scores, idx = tf.math.top_k(flat, k=k)
    cls = idx % N_CLASSES
    pix = idx // N_CLASSES
    ys = tf.cast(pix // OUT_HW, tf.float32)
    xs = tf.cast(pix % OUT_HW, tf.float32)
    off = gather_feat(reg, pix)
    size = gather_feat(wh, pix)
    xs, ys = xs + off[..., 0], ys + off[..., 1]
    boxes = tf.stack([xs - size[..., 0] / 2, ys - size[..., 1] / 2,
                      xs + size[..., 0] / 2, ys + size[..., 1] / 2], axis=-1) * DOWN
    return boxes, scores, cls


rs = np.random.default_rng(123)
scenes = [random_scene(rs) for _ in range(3)]
batch = np.stack([s[0] for s in scenes])
pred = net.predict(batch, verbose=0)
boxes, scores, classes = decode_detections(pred["heat"], pred["wh"], pred["reg"])
for i, (_, objs) in enumerate(scenes):
    keep = scores[i] > 0.1
    print(f"scene {i}: {len(objs)} objects, {int(tf.reduce_sum(tf.cast(keep, tf.int32)))} peaks > 0.1, "
          f"max score {float(scores[i, 0]):.3f}")
    for bx, sc, cl in zip(boxes[i][:3].numpy(), scores[i][:3].numpy(), classes[i][:3].numpy()):
        print(f"    cls={cl} score={sc:.3f} box={np.round(bx, 1)}")

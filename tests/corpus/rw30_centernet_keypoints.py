"""Tiny CenterNet-ish keypoint detector.

Heads: per-class center heatmap (sigmoid), size (h, w) and sub-pixel offset.
Trained with penalty-reduced focal loss, custom training loop.
"""
import math
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

INPUT = 64
STRIDE = 4
OUT = INPUT // STRIDE
NUM_CLASSES = 2
MAX_OBJS = 4
BATCH = 4
STEPS = 6


def gaussian_radius(h, w, min_overlap=0.7):
    # simplified version of the CornerNet radius formula
    a = 1
    b = h + w
    c = w * h * (1 - min_overlap) / (1 + min_overlap)
    r = (b - math.sqrt(b ** 2 - 4 * a * c)) / 2
    return max(0, int(r))


def draw_gaussian(heatmap, center, radius):
    diameter = 2 * radius + 1
    sigma = diameter / 6
    ys, xs = np.ogrid[-radius:radius + 1, -radius:radius + 1]
    g = np.exp(-(xs * xs + ys * ys) / (2 * sigma * sigma))
    cx, cy = int(center[0]), int(center[1])
    H, W = heatmap.shape
    left, right = min(cx, radius), min(W - cx, radius + 1)
    top, bottom = min(cy, radius), min(H - cy, radius + 1)
    region = heatmap[cy - top:cy + bottom, cx - left:cx + right]
    g_crop = g[radius - top:radius + bottom, radius - left:radius + right]
    np.maximum(region, g_crop, out=region)
    return heatmap


def synth_example(rng):
    img = rng.uniform(0, 0.15, size=(INPUT, INPUT, 3)).astype(np.float32)
    hm = np.zeros((OUT, OUT, NUM_CLASSES), np.float32)
    wh = np.zeros((MAX_OBJS, 2), np.float32)
    off = np.zeros((MAX_OBJS, 2), np.float32)
    ind = np.zeros((MAX_OBJS,), np.int32)
    mask = np.zeros((MAX_OBJS,), np.float32)

    n_obj = rng.integers(1, MAX_OBJS + 1)
    for k in range(n_obj):
        cls = rng.integers(NUM_CLASSES)
        h, w = rng.integers(8, 20, size=2)
        y0, x0 = rng.integers(0, INPUT - h), rng.integers(0, INPUT - w)
        img[y0:y0 + h, x0:x0 + w, cls] = 1.0
        ctr = np.array([x0 + w / 2, y0 + h / 2]) / STRIDE
        ctr_int = ctr.astype(np.int32)
        r = max(1, gaussian_radius(h / STRIDE, w / STRIDE))
        draw_gaussian(hm[..., cls], ctr_int, r)
        wh[k] = (h / STRIDE, w / STRIDE)
        off[k] = ctr - ctr_int
        ind[k] = ctr_int[1] * OUT + ctr_int[0]
        mask[k] = 1.0
    return img, hm, wh, off, ind, mask


def make_batch_arrays(n, seed=0):
    rng = np.random.default_rng(seed)
    cols = list(zip(*[synth_example(rng) for _ in range(n)]))
    return [np.stack(c) for c in cols]


def head(x, out_ch, name, bias_init=0.0):
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name=f"{name}_conv")(x)
    return layers.Conv2D(
        out_ch, 1, name=name,
        bias_initializer=keras.initializers.Constant(bias_init),
    )(x)


def build_centernet():
    inp = keras.Input((INPUT, INPUT, 3))
    x = inp
    skips = []
    for f in (16, 32, 64):
        x = layers.Conv2D(f, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        skips.append(x)
    # 8x8 -> 16x16 (stride 4)
    x = layers.Conv2DTranspose(32, 4, strides=2, padding="same", activation="relu")(x)
    x = layers.Concatenate()([x, skips[1]])
    x = layers.Conv2D(32, 3, padding="same", activation="relu")(x)

    heat = head(x, NUM_CLASSES, "heatmap", bias_init=-2.19)  # prior 0.1
    wh = head(x, 2, "wh")
    reg = head(x, 2, "offset")
    return keras.Model(inp, [heat, wh, reg], name="centernet_tiny")


def focal_loss(gt, logits, alpha=2.0, beta=4.0):
    pred = tf.clip_by_value(tf.sigmoid(logits), 1e-4, 1 - 1e-4)
    pos = tf.cast(tf.equal(gt, 1.0), tf.float32)
    neg = 1.0 - pos
    pos_loss = tf.math.log(pred) * tf.pow(1 - pred, alpha) * pos
    neg_loss = tf.math.log(1 - pred) * tf.pow(pred, alpha) * tf.pow(1 - gt, beta) * neg
    num_pos = tf.maximum(tf.reduce_sum(pos), 1.0)
    return -(tf.reduce_sum(pos_loss) + tf.reduce_sum(neg_loss)) / num_pos


def gather_feat(feat, ind):
    b = tf.shape(feat)[0]
    c = feat.shape[-1]
    flat = tf.reshape(feat, [b, -1, c])
    return tf.gather(flat, ind, batch_dims=1)


def reg_l1(pred_map, target, ind, mask):
    pred = gather_feat(pred_map, ind)
    m = mask[..., None]
    return tf.reduce_sum(tf.abs(pred - target) * m) / (tf.reduce_sum(m) * 2 + 1e-4)


def decode(heat_logits, wh, off, k=5):
    heat = tf.sigmoid(heat_logits)
    hmax = tf.nn.max_pool2d(heat, 3, strides=1, padding="SAME")
    keep = tf.cast(tf.equal(hmax, heat), heat.dtype)
    heat = heat * keep
    b = tf.shape(heat)[0]
    scores, idx = tf.math.top_k(tf.reshape(heat, [b, -1]), k=k)
    cls = idx % NUM_CLASSES
    pix = idx // NUM_CLASSES
    ys, xs = pix // OUT, pix % OUT
    sizes = gather_feat(wh, pix)
    offs = gather_feat(off, pix)
    cx = (tf.cast(xs, tf.float32) + offs[..., 0]) * STRIDE
    cy = (tf.cast(ys, tf.float32) + offs[..., 1]) * STRIDE
    h, w = sizes[..., 0] * STRIDE, sizes[..., 1] * STRIDE
    boxes = tf.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)
    return boxes, scores, cls


model = build_centernet()
optimizer = keras.optimizers.Adam(learning_rate=2e-3)


@tf.function
def train_step(img, hm, wh_t, off_t, ind, mask):
    with tf.GradientTape() as tape:
        heat, wh, off = model(img, training=True)
        l_hm = focal_loss(hm, heat)
        l_wh = reg_l1(wh, wh_t, ind, mask)
        l_off = reg_l1(off, off_t, ind, mask)
        loss = l_hm + 0.1 * l_wh + l_off
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return {"loss": loss, "hm": l_hm, "wh": l_wh, "off": l_off}


if __name__ == "__main__":
    arrays = make_batch_arrays(BATCH * STEPS, seed=3)
    print("heatmap max per sample:", arrays[1].max(axis=(1, 2, 3))[:4])
    ds = tf.data.Dataset.from_tensor_slices(tuple(arrays)).shuffle(32).batch(BATCH, drop_remainder=True)

    t0 = time.time()
    for step, batch in enumerate(ds):
        logs = train_step(*batch)
        if step % 2 == 0:
            print(f"step {step:02d} " + " ".join(f"{k}={float(v):.3f}" for k, v in logs.items()))
    print(f"train took {time.time() - t0:.1f}s")

    test_img = arrays[0][:2]
    heat, wh, off = model(test_img, training=False)
    boxes, scores, classes = decode(heat, wh, off, k=3)
    for i in range(2):
        print(f"img {i}: top scores {np.round(scores[i].numpy(), 3)} cls {classes[i].numpy()}")
        print("   box0:", np.round(boxes[i, 0].numpy(), 1))

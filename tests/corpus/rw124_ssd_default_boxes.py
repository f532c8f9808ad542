# SSD-lite style detector with default boxes, hard negative mining and a
# hand-written GradientTape training loop.
import time
import itertools

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CFG = {
    "image_size": 96,
    "num_classes": 4,           # includes background at index 0
    "feature_maps": [12, 6, 3],
    "min_sizes": [0.15, 0.35, 0.6],
    "max_sizes": [0.35, 0.6, 0.9],
    "aspect_ratios": [[2], [2, 3], [2]],
    "variances": (0.1, 0.2),
    "neg_pos_ratio": 3,
    "match_iou": 0.45,
    "batch_size": 16,
    "lr": 2e-3,
    "steps": 25,
}
tf.random.set_seed(0)
np.random.seed(0)


def generate_default_boxes(cfg):
    """Returns (N, 4) priors as normalized cx, cy, w, h."""
    priors = []
    for k, fsize in enumerate(cfg["feature_maps"]):
        s_k = cfg["min_sizes"][k]
        s_k_prime = np.sqrt(s_k * cfg["max_sizes"][k])
        for i, j in itertools.product(range(fsize), repeat=2):
            cx = (j + 0.5) / fsize
            cy = (i + 0.5) / fsize
            priors.append([cx, cy, s_k, s_k])
            priors.append([cx, cy, s_k_prime, s_k_prime])
            for ar in cfg["aspect_ratios"][k]:
                r = np.sqrt(ar)
                priors.append([cx, cy, s_k * r, s_k / r])
                priors.append([cx, cy, s_k / r, s_k * r])
    return np.clip(np.array(priors, dtype=np.float32), 0.0, 1.0)


def boxes_per_location(cfg):
    return [2 + 2 * len(a) for a in cfg["aspect_ratios"]]


PRIORS = generate_default_boxes(CFG)
N_PRIORS = PRIORS.shape[0]
print(f"{N_PRIORS} default boxes, per-location counts {boxes_per_location(CFG)}")


def to_corners(b):
    return tf.concat([b[..., :2] - b[..., 2:] / 2, b[..., :2] + b[..., 2:] / 2], -1)


def to_center(b):
    return tf.concat([(b[..., 2:] + b[..., :2]) / 2, b[..., 2:] - b[..., :2]], -1)


def pairwise_iou(a, b):
    area = lambda x: tf.maximum(x[..., 2] - x[..., 0], 0) * tf.maximum(x[..., 3] - x[..., 1], 0)
    tl = tf.maximum(tf.expand_dims(a[:, :2], 1), tf.expand_dims(b[:, :2], 0))
    br = tf.minimum(tf.expand_dims(a[:, 2:], 1), tf.expand_dims(b[:, 2:], 0))
    inter = tf.reduce_prod(tf.maximum(br - tl, 0.0), axis=-1)
    union = tf.expand_dims(area(a), 1) + tf.expand_dims(area(b), 0) - inter
    return inter / (union + 1e-9)


PRIORS_TF = tf.constant(PRIORS)
PRIORS_CORNERS = to_corners(PRIORS_TF)
V0, V1 = CFG["variances"]


def encode_boxes(gt_corners, priors):
    g = to_center(gt_corners)
    dxy = (g[:, :2] - priors[:, :2]) / (V0 * priors[:, 2:])
    dwh = tf.math.log(tf.maximum(g[:, 2:], 1e-6) / priors[:, 2:]) / V1
    return tf.concat([dxy, dwh], -1)


def decode_boxes(loc, priors):
    cxcy = priors[..., :2] + loc[..., :2] * V0 * priors[..., 2:]
    wh = priors[..., 2:] * tf.exp(loc[..., 2:] * V1)
    return to_corners(tf.concat([cxcy, wh], -1))


def match(gt_boxes, gt_labels):
    """gt_boxes padded with zeros, gt_labels padded with 0 (background)."""
    keep = gt_labels > 0
    boxes = tf.boolean_mask(gt_boxes, keep)
    labels = tf.boolean_mask(gt_labels, keep)
    overlaps = pairwise_iou(PRIORS_CORNERS, boxes)               # (P, G)
    best_gt_iou = tf.reduce_max(overlaps, axis=1)
    best_gt_idx = tf.argmax(overlaps, axis=1, output_type=tf.int32)
    # make sure every gt gets at least its best prior
    best_prior_idx = tf.argmax(overlaps, axis=0, output_type=tf.int32)  # (G,)
    n_gt = tf.shape(boxes)[0]
    best_gt_idx = tf.tensor_scatter_nd_update(best_gt_idx, best_prior_idx[:, None], tf.range(n_gt))
    best_gt_iou = tf.tensor_scatter_nd_update(best_gt_iou, best_prior_idx[:, None],
                                              tf.fill([n_gt], 2.0))
    conf = tf.gather(labels, best_gt_idx)
    conf = tf.where(best_gt_iou < CFG["match_iou"], tf.zeros_like(conf), conf)
    loc = encode_boxes(tf.gather(boxes, best_gt_idx), PRIORS_TF)
    return loc, conf


# ---------------------------------------------------------------- data
def synth_batch_numpy(n, size, max_obj=3):
    imgs = np.random.uniform(0, 0.2, (n, size, size, 3)).astype("float32")
    boxes = np.zeros((n, max_obj, 4), "float32")
    labels = np.zeros((n, max_obj), "int32")
    shapes = {1: "square", 2: "hbar", 3: "vbar"}
    for k in range(n):
        for m in range(np.random.randint(1, max_obj + 1)):
            cls = np.random.randint(1, CFG["num_classes"])
            base = np.random.uniform(0.15, 0.45)
            if shapes[cls] == "square":
                w = h = base
            elif shapes[cls] == "hbar":
                w, h = base * 1.6, base * 0.5
            else:
                w, h = base * 0.5, base * 1.6
            w, h = min(w, 0.95), min(h, 0.95)
            x0 = np.random.uniform(0, 1 - w)
            y0 = np.random.uniform(0, 1 - h)
            px = (np.array([x0, y0, x0 + w, y0 + h]) * size).astype(int)
            imgs[k, px[1]:px[3], px[0]:px[2], :] = np.random.uniform(0.5, 1.0, 3)
            boxes[k, m] = [x0, y0, x0 + w, y0 + h]
            labels[k, m] = cls
    return imgs, boxes, labels


images, boxes, labels = synth_batch_numpy(320, CFG["image_size"])


def prepare(img, bx, lb):
    loc, conf = match(bx, lb)
    img = tf.image.random_brightness(img, 0.1)
    return img, loc, conf


train_ds = (tf.data.Dataset.from_tensor_slices((images, boxes, labels))
            .shuffle(320)
            .map(prepare, num_parallel_calls=2)
            .batch(CFG["batch_size"], drop_remainder=True)
            .repeat())


# ---------------------------------------------------------------- model
def sep_conv(x, filters, stride):
    x = layers.SeparableConv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.Activation("relu6")(x)


def build_ssd(cfg):
    inp = layers.Input((cfg["image_size"], cfg["image_size"], 3), name="image")
    x = layers.Rescaling(2.0, offset=-1.0)(inp)
    x = sep_conv(x, 16, 2)   # 48
    x = sep_conv(x, 32, 2)   # 24
    f1 = sep_conv(x, 48, 2)  # 12
    f2 = sep_conv(f1, 64, 2)  # 6
    f3 = sep_conv(f2, 64, 2)  # 3
    sources = [f1, f2, f3]

    locs, confs = [], []
    for idx, (feat, nb) in enumerate(zip(sources, boxes_per_location(cfg))):
        l = layers.Conv2D(nb * 4, 3, padding="same", name=f"loc_{idx}")(feat)
        c = layers.Conv2D(nb * cfg["num_classes"], 3, padding="same", name=f"conf_{idx}")(feat)
        locs.append(layers.Reshape((-1, 4))(l))
        confs.append(layers.Reshape((-1, cfg["num_classes"]))(c))
    loc = layers.Concatenate(axis=1, name="loc")(locs)
    conf = layers.Concatenate(axis=1, name="conf")(confs)
    return keras.Model(inp, [loc, conf], name="ssd_lite")


model = build_ssd(CFG)
assert model.output_shape[0][1] == N_PRIORS, (model.output_shape, N_PRIORS)
print(model.output_shape)
optimizer = keras.optimizers.Adam(CFG["lr"])


def multibox_loss(loc_t, conf_t, loc_p, conf_p):
    pos = conf_t > 0
    num_pos = tf.reduce_sum(tf.cast(pos, tf.int32), axis=1, keepdims=True)

    ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=conf_t, logits=conf_p)
    # hard negative mining: rank background losses, keep top neg_pos_ratio * num_pos
    neg_ce = tf.where(pos, tf.zeros_like(ce), ce)
    order = tf.argsort(neg_ce, axis=1, direction="DESCENDING")
    rank = tf.argsort(order, axis=1)
    num_neg = tf.minimum(num_pos * CFG["neg_pos_ratio"], N_PRIORS - 1)
    neg = rank < num_neg

    conf_loss = tf.reduce_sum(tf.where(pos | neg, ce, 0.0))
    smooth_l1 = tf.keras.losses.Huber(reduction="none")(loc_t, loc_p)  # (B, P)
    loc_loss = tf.reduce_sum(tf.where(pos, smooth_l1, 0.0))
    n = tf.maximum(tf.cast(tf.reduce_sum(num_pos), tf.float32), 1.0)
    return loc_loss / n, conf_loss / n


@tf.function
def train_step(img, loc_t, conf_t):
    with tf.GradientTape() as tape:
        loc_p, conf_p = model(img, training=True)
        l_loss, c_loss = multibox_loss(loc_t, conf_t, loc_p, conf_p)
        total = l_loss + c_loss
    grads = tape.gradient(total, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return l_loss, c_loss


t0 = time.time()
loc_meter, conf_meter = keras.metrics.Mean(), keras.metrics.Mean()
for step, (img, loc_t, conf_t) in enumerate(train_ds.take(CFG["steps"])):
    l, c = train_step(img, loc_t, conf_t)
    loc_meter.update_state(l)
    conf_meter.update_state(c)
    if step % 5 == 0 or step == CFG["steps"] - 1:
        print(f"step {step:3d}  loc {loc_meter.result():.4f}  conf {conf_meter.result():.4f}")
print(f"training took {time.time() - t0:.1f}s")


# ---------------------------------------------------------------- inference
@tf.function(input_signature=[tf.TensorSpec([None, CFG["image_size"], CFG["image_size"], 3])])
def detect(batch):
    loc_p, conf_p = model(batch, training=False)
    boxes_ = decode_boxes(loc_p, PRIORS_TF[None])          # (B, P, 4) xyxy
    scores = tf.nn.softmax(conf_p, axis=-1)[..., 1:]        # drop background
    # combined NMS expects y1, x1, y2, x2
    boxes_yx = tf.gather(boxes_, [1, 0, 3, 2], axis=-1)
    out = tf.image.combined_non_max_suppression(
        tf.expand_dims(boxes_yx, 2), scores,
        max_output_size_per_class=10, max_total_size=15,
        iou_threshold=0.45, score_threshold=0.2)
    return out.nmsed_boxes, out.nmsed_scores, out.nmsed_classes + 1.0, out.valid_detections


test_imgs, test_boxes, test_labels = synth_batch_numpy(4, CFG["image_size"])
b, s, c, v = detect(tf.constant(test_imgs))
for i in range(4):
    gt = test_labels[i][test_labels[i] > 0].tolist()
    pred = c[i, :v[i]].numpy().astype(int).tolist()
    print(f"img{i}: gt={gt} pred={pred[:6]}")

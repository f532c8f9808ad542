"""Second-stage heads of a Mask R-CNN, stripped down for experimentation.

The RPN is faked (jittered GT + random boxes) so we can focus on:
  * multi-level ROIAlign using tf.image.crop_and_resize with FPN level assignment
  * box classification / per-class regression head
  * class-specific 28x28 mask head and mask targets cropped from GT masks
  * box delta decoding + per-class NMS at inference
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras

H = W = 128
NUM_CLASSES = 3            # foreground classes; 0 is background in the heads
ROIS_PER_IMAGE = 16
MAX_GT = 4
POOL = 7
MASK_POOL = 14
BBOX_STD = tf.constant([0.1, 0.1, 0.2, 0.2])
BATCH = 2


# ----------------------------------------------------------------------------
# box utils (y1, x1, y2, x2), normalised
# ----------------------------------------------------------------------------
def pairwise_iou(boxes1, boxes2):
    """(B, N, 4), (B, M, 4) -> (B, N, M)"""
    b1 = boxes1[:, :, None, :]
    b2 = boxes2[:, None, :, :]
    y1 = tf.maximum(b1[..., 0], b2[..., 0])
    x1 = tf.maximum(b1[..., 1], b2[..., 1])
    y2 = tf.minimum(b1[..., 2], b2[..., 2])
    x2 = tf.minimum(b1[..., 3], b2[..., 3])
    inter = tf.nn.relu(y2 - y1) * tf.nn.relu(x2 - x1)
    area1 = (b1[..., 2] - b1[..., 0]) * (b1[..., 3] - b1[..., 1])
    area2 = (b2[..., 2] - b2[..., 0]) * (b2[..., 3] - b2[..., 1])
    return inter / (area1 + area2 - inter + 1e-7)


def box_to_deltas(boxes, gt):
    h, w = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    cy, cx = boxes[..., 0] + 0.5 * h, boxes[..., 1] + 0.5 * w
    gh, gw = gt[..., 2] - gt[..., 0], gt[..., 3] - gt[..., 1]
    gcy, gcx = gt[..., 0] + 0.5 * gh, gt[..., 1] + 0.5 * gw
    d = tf.stack([(gcy - cy) / h, (gcx - cx) / w,
                  tf.math.log(gh / h), tf.math.log(gw / w)], axis=-1)
    return d / BBOX_STD


def apply_deltas(boxes, deltas):
    deltas = deltas * BBOX_STD
    h, w = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    cy, cx = boxes[..., 0] + 0.5 * h, boxes[..., 1] + 0.5 * w
    cy, cx = cy + deltas[..., 0] * h, cx + deltas[..., 1] * w
    h, w = h * tf.exp(deltas[..., 2]), w * tf.exp(deltas[..., 3])
    out = tf.stack([cy - 0.5 * h, cx - 0.5 * w, cy + 0.5 * h, cx + 0.5 * w], axis=-1)
    return tf.clip_by_value(out, 0.0, 1.0)


# ----------------------------------------------------------------------------
# layers
# ----------------------------------------------------------------------------
class PyramidROIAlign(keras.layers.Layer):
    """Crops each ROI from the FPN level that matches its size (Mask R-CNN eq. 1)."""

    def __init__(self, pool_size, min_level=2, max_level=4, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.min_level = min_level
        self.max_level = max_level

    def call(self, rois, feature_maps):
        # rois: (B, R, 4); feature_maps: list of (B, h_l, w_l, C)
        batch = tf.shape(rois)[0]
        num_rois = tf.shape(rois)[1]
        h = rois[..., 2] - rois[..., 0]
        w = rois[..., 3] - rois[..., 1]
        # canonical level 4 for 224px boxes; our images are tiny, so 64px
        area = tf.sqrt(h * w * float(H * W))
        level = tf.floor(4.0 + tf.math.log(area / 64.0 + 1e-6) / tf.math.log(2.0))
        level = tf.clip_by_value(level, self.min_level, self.max_level)
        level = tf.cast(level, tf.int32)

        flat_rois = tf.reshape(rois, (-1, 4))
        box_idx = tf.repeat(tf.range(batch), num_rois)
        flat_level = tf.reshape(level, (-1,))
        crop = [self.pool_size, self.pool_size]

        pooled = tf.zeros([tf.shape(flat_rois)[0], self.pool_size, self.pool_size,
                           feature_maps[0].shape[-1]])
        for i, fmap in enumerate(feature_maps):
            lvl = self.min_level + i
            crops = tf.image.crop_and_resize(fmap, tf.stop_gradient(flat_rois),
                                             box_idx, crop, method="bilinear")
            sel = tf.cast(tf.equal(flat_level, lvl), crops.dtype)[:, None, None, None]
            pooled = pooled + crops * sel
        return tf.reshape(pooled, tf.concat([[batch, num_rois], tf.shape(pooled)[1:]], 0))

    def get_config(self):
        cfg = super().get_config()
        cfg.update(pool_size=self.pool_size, min_level=self.min_level,
                   max_level=self.max_level)
        return cfg


def tiny_fpn_backbone():
    inp = keras.Input((H, W, 3))
    x = keras.layers.Conv2D(32, 3, 2, "same", activation="relu")(inp)
    c2 = keras.layers.Conv2D(32, 3, 2, "same", activation="relu")(x)      # /4
    c3 = keras.layers.Conv2D(64, 3, 2, "same", activation="relu")(c2)     # /8
    c4 = keras.layers.Conv2D(96, 3, 2, "same", activation="relu")(c3)     # /16
    p4 = keras.layers.Conv2D(64, 1)(c4)
    p3 = keras.layers.Add()([keras.layers.Conv2D(64, 1)(c3), keras.layers.UpSampling2D()(p4)])
    p2 = keras.layers.Add()([keras.layers.Conv2D(64, 1)(c2), keras.layers.UpSampling2D()(p3)])
    outs = [keras.layers.Conv2D(64, 3, padding="same", name=f"P{i}")(p)
            for i, p in zip((2, 3, 4), (p2, p3, p4))]
    return keras.Model(inp, outs, name="fpn")


class MaskRCNNHeads(keras.Model):
    def __init__(self, num_classes=NUM_CLASSES, **kwargs):
        super().__init__(**kwargs)
        self.n_cls = num_classes + 1
        self.backbone = tiny_fpn_backbone()
        self.box_align = PyramidROIAlign(POOL, name="roi_align_box")
        self.mask_align = PyramidROIAlign(MASK_POOL, name="roi_align_mask")

        self.box_fc = keras.Sequential([
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
        ], name="box_fc")
        self.cls_logits = keras.layers.Dense(self.n_cls, name="cls_logits")
        self.box_deltas = keras.layers.Dense(self.n_cls * 4, name="box_deltas")

        mask_layers = []
        for _ in range(2):
            mask_layers += [keras.layers.Conv2D(64, 3, padding="same"),
                            keras.layers.BatchNormalization(),
                            keras.layers.ReLU()]
        mask_layers += [keras.layers.Conv2DTranspose(64, 2, strides=2, activation="relu"),
                        keras.layers.Conv2D(self.n_cls, 1)]  # logits, 28x28
        self.mask_head = keras.Sequential(mask_layers, name="mask_head")

    def call(self, images, rois, training=False):
        feats = self.backbone(images, training=training)
        b, r = tf.shape(rois)[0], tf.shape(rois)[1]

        box_feats = self.box_align(rois, feats)                       # (B, R, 7, 7, C)
        box_feats = tf.reshape(box_feats, (-1, POOL, POOL, box_feats.shape[-1]))
        hidden = self.box_fc(box_feats, training=training)
        cls = tf.reshape(self.cls_logits(hidden), (b, r, self.n_cls))
        deltas = tf.reshape(self.box_deltas(hidden), (b, r, self.n_cls, 4))

        mask_feats = self.mask_align(rois, feats)
        mask_feats = tf.reshape(mask_feats, (-1, MASK_POOL, MASK_POOL, mask_feats.shape[-1]))
        masks = self.mask_head(mask_feats, training=training)        # (B*R, 28, 28, K)
        masks = tf.reshape(masks, tf.concat([[b, r], tf.shape(masks)[1:]], 0))
        return cls, deltas, masks


# ----------------------------------------------------------------------------
# targets + losses
# ----------------------------------------------------------------------------
def build_targets(rois, gt_boxes, gt_classes, gt_masks, fg_iou=0.5):
    """rois (B,R,4), gt_boxes (B,G,4), gt_classes (B,G) (0=pad), gt_masks (B,G,H,W)."""
    iou = pairwise_iou(rois, gt_boxes)
    iou = tf.where(gt_classes[:, None, :] > 0, iou, -1.0)             # ignore padding
    best = tf.argmax(iou, axis=-1, output_type=tf.int32)              # (B, R)
    best_iou = tf.reduce_max(iou, axis=-1)

    matched_cls = tf.gather(gt_classes, best, batch_dims=1)
    matched_cls = tf.where(best_iou >= fg_iou, matched_cls, tf.zeros_like(matched_cls))
    matched_box = tf.gather(gt_boxes, best, batch_dims=1)
    deltas = box_to_deltas(rois, matched_box)

    # mask targets: crop the matched GT mask with the ROI box, resize to 28x28
    b = tf.shape(rois)[0]
    r = tf.shape(rois)[1]
    g = tf.shape(gt_masks)[1]
    flat_masks = tf.reshape(gt_masks, (-1, H, W, 1))
    mask_index = tf.reshape(best + tf.range(b)[:, None] * g, (-1,))
    crops = tf.image.crop_and_resize(flat_masks, tf.reshape(rois, (-1, 4)),
                                     mask_index, [2 * MASK_POOL, 2 * MASK_POOL])
    mask_t = tf.reshape(tf.round(crops[..., 0]), (b, r, 2 * MASK_POOL, 2 * MASK_POOL))
    return matched_cls, deltas, mask_t


def detection_losses(cls_logits, pred_deltas, mask_logits, cls_t, delta_t, mask_t):
    cls_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=cls_t, logits=cls_logits))

    fg = tf.cast(cls_t > 0, tf.float32)
    n_fg = tf.maximum(tf.reduce_sum(fg), 1.0)

    # pick the deltas predicted for the GT class only
    picked = tf.gather(pred_deltas, cls_t, axis=2, batch_dims=2)      # (B, R, 4)
    box_loss = tf.reduce_sum(
        tf.keras.losses.huber(delta_t, picked, delta=1.0) * fg) / n_fg

    # class-specific mask: move class axis forward then gather
    mask_logits = tf.transpose(mask_logits, (0, 1, 4, 2, 3))          # (B, R, K, 28, 28)
    picked_mask = tf.gather(mask_logits, cls_t, axis=2, batch_dims=2)  # (B, R, 28, 28)
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=mask_t, logits=picked_mask)
    mask_loss = tf.reduce_sum(tf.reduce_mean(bce, axis=[2, 3]) * fg) / n_fg
    return cls_loss, box_loss, mask_loss


# ----------------------------------------------------------------------------
# fake data / fake RPN
# ----------------------------------------------------------------------------
def synth_batch(rng):
    images = np.zeros((BATCH, H, W, 3), np.float32)
    boxes = np.zeros((BATCH, MAX_GT, 4), np.float32)
    classes = np.zeros((BATCH, MAX_GT), np.int32)
    masks = np.zeros((BATCH, MAX_GT, H, W), np.float32)
    yy, xx = np.mgrid[:H, :W]
    for b in range(BATCH):
        for g in range(rng.integers(1, MAX_GT + 1)):
            cy, cx = rng.integers(24, H - 24, 2)
            ry, rx = rng.integers(8, 24, 2)
            ellipse = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
            cls = rng.integers(1, NUM_CLASSES + 1)
            masks[b, g] = ellipse
            boxes[b, g] = [(cy - ry) / H, (cx - rx) / W, (cy + ry) / H, (cx + rx) / W]
            classes[b, g] = cls
            images[b][ellipse] += np.eye(3)[cls - 1]
    images += rng.normal(0, 0.1, images.shape).astype(np.float32)
    return images, boxes, classes, masks


def fake_proposals(gt_boxes, gt_classes, rng):
    rois = rng.uniform(0, 0.7, (BATCH, ROIS_PER_IMAGE, 2))
    rois = np.concatenate([rois, rois + rng.uniform(0.1, 0.3, rois.shape)], -1)
    # first half are jittered GT boxes -> positives
    for b in range(BATCH):
        valid = gt_boxes[b][gt_classes[b] > 0]
        for k in range(ROIS_PER_IMAGE // 2):
            box = valid[k % len(valid)]
            size = np.tile(box[2:] - box[:2], 2)
            rois[b, k] = box + rng.normal(0, 0.05, 4) * size
    return np.clip(rois, 0, 1).astype(np.float32)


def main():
    rng = np.random.default_rng(3)
    model = MaskRCNNHeads()
    optimizer = keras.optimizers.Adam(1e-3)

    @tf.function
    def train_step(images, rois, gt_boxes, gt_classes, gt_masks):
        cls_t, delta_t, mask_t = build_targets(rois, gt_boxes, gt_classes, gt_masks)
        with tf.GradientTape() as tape:
            cls, deltas, masks = model(images, rois, training=True)
            losses = detection_losses(cls, deltas, masks, cls_t, delta_t, mask_t)
            total = tf.add_n(losses)
        grads = tape.gradient(total, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return losses, tf.reduce_sum(tf.cast(cls_t > 0, tf.int32))

    for step in range(4):
        images, gt_boxes, gt_cls, gt_masks = synth_batch(rng)
        rois = fake_proposals(gt_boxes, gt_cls, rng)
        (l_cls, l_box, l_mask), n_fg = train_step(images, rois, gt_boxes, gt_cls, gt_masks)
        print(f"step {step}: cls={l_cls:.3f} box={l_box:.3f} mask={l_mask:.3f} fg_rois={int(n_fg)}")

    # ---- inference ----
    images, gt_boxes, gt_cls, _ = synth_batch(rng)
    rois = tf.constant(fake_proposals(gt_boxes, gt_cls, rng))
    cls, deltas, masks = model(images, rois, training=False)
    probs = tf.nn.softmax(cls, axis=-1)
    # decode per-class boxes: (B, R, K, 4)
    per_class_boxes = apply_deltas(rois[:, :, None, :], deltas)
    det = tf.image.combined_non_max_suppression(
        per_class_boxes[:, :, 1:, :], probs[:, :, 1:],
        max_output_size_per_class=5, max_total_size=8, iou_threshold=0.5,
        score_threshold=0.0)
    print("detections:", det.nmsed_boxes.shape, "valid:", det.valid_detections.numpy())
    print("mask logits:", masks.shape, "->", tf.sigmoid(masks).numpy().mean().round(3))
    print("trainable weights:", len(model.trainable_weights))


if __name__ == "__main__":
    main()

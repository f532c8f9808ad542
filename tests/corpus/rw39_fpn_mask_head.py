import numpy as np
import tensorflow as tf
import keras
from keras import layers

# Mask-RCNN-flavoured toy: FPN features + ROIAlign (crop_and_resize) + mask head.
# Also a semantic seg head on the fused FPN output. GT boxes are used as ROIs
# (no RPN), which is what a lot of "mask head only" tutorials do.

H = W = 64
MAX_INST = 3
MASK_SIZE = 14
POOL = 7
N_CLS = 3  # incl. background for the semantic branch
tf.random.set_seed(1)
np.random.seed(1)


def make_instances(n):
    imgs = np.random.rand(n, H, W, 3).astype(np.float32) * 0.2
    boxes = np.zeros((n, MAX_INST, 4), np.float32)  # y1,x1,y2,x2 normalised
    masks = np.zeros((n, MAX_INST, H, W), np.float32)
    sem = np.zeros((n, H, W), np.int32)
    for i in range(n):
        for j in range(MAX_INST):
            y1, x1 = np.random.randint(0, 40, 2)
            h, w = np.random.randint(12, 24, 2)
            y2, x2 = min(y1 + h, H), min(x1 + w, W)
            yy, xx = np.mgrid[y1:y2, x1:x2]
            ell = ((yy - (y1 + y2) / 2) / (h / 2)) ** 2 + ((xx - (x1 + x2) / 2) / (w / 2)) ** 2 <= 1
            masks[i, j, y1:y2, x1:x2] = ell
            cls = 1 + (j % (N_CLS - 1))
            sem[i, y1:y2, x1:x2][ell] = cls
            imgs[i, y1:y2, x1:x2, cls][ell] = 1.0
            boxes[i, j] = [y1 / H, x1 / W, y2 / H, x2 / W]
    return imgs, boxes, masks, sem


class FPN(layers.Layer):
    def __init__(self, dim=64, **kwargs):
        super().__init__(**kwargs)
        self.c2 = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")
        self.c3 = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")
        self.c4 = layers.Conv2D(128, 3, strides=2, padding="same", activation="relu")
        self.lat = [layers.Conv2D(dim, 1) for _ in range(3)]
        self.smooth = [layers.Conv2D(dim, 3, padding="same") for _ in range(3)]
        self.up = layers.UpSampling2D(2, interpolation="nearest")

    def call(self, x):
        c2 = self.c2(x)   # 32x32
        c3 = self.c3(c2)  # 16x16
        c4 = self.c4(c3)  # 8x8
        p4 = self.lat[2](c4)
        p3 = self.lat[1](c3) + self.up(p4)
        p2 = self.lat[0](c2) + self.up(p3)
        return [s(p) for s, p in zip(self.smooth, [p2, p3, p4])]


def roi_align(feature, boxes, crop=POOL):
    """feature: (B,h,w,C); boxes: (B,N,4) normalised -> (B*N, crop, crop, C)"""
    b = tf.shape(boxes)[0]
    n = tf.shape(boxes)[1]
    flat_boxes = tf.reshape(boxes, [-1, 4])
    box_idx = tf.repeat(tf.range(b), n)
    return tf.image.crop_and_resize(feature, flat_boxes, box_idx, [crop * 2, crop * 2])


class MaskRCNNLite(keras.Model):
    def __init__(self):
        super().__init__()
        self.fpn = FPN(64)
        self.mask_convs = keras.Sequential(
            [layers.Conv2D(64, 3, padding="same", activation="relu") for _ in range(3)]
        )
        self.mask_up = layers.Conv2DTranspose(64, 2, strides=1, padding="same", activation="relu")
        self.mask_out = layers.Conv2D(1, 1)
        self.sem_head = layers.Conv2D(N_CLS, 1)
        self.sem_up = layers.Resizing(H, W, interpolation="bilinear")

    def call(self, inputs):
        images, rois = inputs
        p2, p3, p4 = self.fpn(images)
        # merge pyramid for semantic branch (panoptic-FPN style)
        fused = p2 + tf.image.resize(p3, tf.shape(p2)[1:3]) + tf.image.resize(p4, tf.shape(p2)[1:3])
        sem_logits = self.sem_up(self.sem_head(fused))
        # instance branch on P2 only (all boxes are small anyway)
        crops = roi_align(p2, rois)  # (B*N, 14, 14, 64)
        m = self.mask_convs(crops)
        m = self.mask_up(m)
        mask_logits = self.mask_out(m)[..., 0]  # (B*N, 14, 14)
        mask_logits = tf.reshape(mask_logits, [tf.shape(rois)[0], tf.shape(rois)[1], MASK_SIZE, MASK_SIZE])
        return sem_logits, mask_logits


def gt_mask_targets(masks, boxes):
    # crop the full-res gt masks to the roi and resize to 14x14
    b, n = masks.shape[0], masks.shape[1]
    m = tf.reshape(masks, [b * n, H, W, 1])
    m = tf.image.crop_and_resize(m, tf.reshape(boxes, [-1, 4]), tf.range(b * n), [MASK_SIZE, MASK_SIZE])
    return tf.reshape(tf.round(m[..., 0]), [b, n, MASK_SIZE, MASK_SIZE])


def soft_dice_loss(y_true, logits, eps=1.0):
    p = tf.sigmoid(logits)
    axes = [-2, -1]
    inter = tf.reduce_sum(p * y_true, axis=axes)
    denom = tf.reduce_sum(p, axis=axes) + tf.reduce_sum(y_true, axis=axes)
    return 1.0 - tf.reduce_mean((2.0 * inter + eps) / (denom + eps))


imgs, boxes, masks, sem = make_instances(12)
mask_targets = gt_mask_targets(masks, boxes)
print("mask targets:", mask_targets.shape)

model = MaskRCNNLite()
optimizer = keras.optimizers.Adam(1e-3)
sce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
bce = keras.losses.BinaryCrossentropy(from_logits=True)

ds = tf.data.Dataset.from_tensor_slices((imgs, boxes, mask_targets, sem)).batch(4)

for epoch in range(2):
    for step, (x, b, mt, s) in enumerate(ds):
        with tf.GradientTape() as tape:
            sem_logits, mask_logits = model((x, b))
            l_sem = sce(s, sem_logits)
            l_mask = bce(mt, mask_logits) + soft_dice_loss(mt, mask_logits)
            loss = l_sem + l_mask
        grads = tape.gradient(loss, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        if step % 2 == 0:
            print(f"ep {epoch} step {step}  sem={float(l_sem):.3f} mask={float(l_mask):.3f}")

# paste predicted instance masks back into the image canvas
sem_logits, mask_logits = model((imgs[:1], boxes[:1]))
print("semantic logits:", sem_logits.shape, "instance logits:", mask_logits.shape)
canvas = np.zeros((H, W), np.int32)
for j in range(MAX_INST):
    y1, x1, y2, x2 = (boxes[0, j] * [H, W, H, W]).astype(int)
    m = tf.image.resize(tf.sigmoid(mask_logits[0, j])[..., None], (max(y2 - y1, 1), max(x2 - x1, 1)))
    canvas[y1:y2, x1:x2][m.numpy()[..., 0] > 0.5] = j + 1
print("instances painted:", np.unique(canvas))

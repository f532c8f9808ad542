"""Mask R-CNN style instance-mask head with RoIAlign via tf.image.crop_and_resize.

Second-stage only: proposals are jittered ground-truth boxes (the usual trick
for unit-testing a mask branch without an RPN). A shared conv feature map is
pooled per RoI with crop_and_resize (RoIAlign approximation), then a box
classifier and an FCN mask head predict a class and a mask per RoI
(14x14 here instead of the paper's 28x28); only the mask channel of the GT
class contributes to the loss.
Mask targets are produced by cropping the full-image instance masks with the
same RoIs, inside the tf.data pipeline.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG = 96
FEAT_STRIDE = 4
NUM_CLASSES = 3            # foreground classes; index 0 is background in the box head
MAX_ROIS = 6
POOL_SIZE = 7
MASK_SIZE = 14             # 2 * POOL_SIZE after one deconv
BATCH = 4


# ------------------------------------------------------------------ synthetic instances
def make_instances(rng, n_images):
    images = np.zeros((n_images, IMG, IMG, 3), np.float32)
    masks = np.zeros((n_images, MAX_ROIS, IMG, IMG), np.float32)
    boxes = np.zeros((n_images, MAX_ROIS, 4), np.float32)      # normalised y1 x1 y2 x2
    classes = np.zeros((n_images, MAX_ROIS), np.int32)         # 0 = padding
    yy, xx = np.mgrid[0:IMG, 0:IMG]
    for i in range(n_images):
        n_inst = rng.integers(2, MAX_ROIS + 1)
        for j in range(n_inst):
            cls = rng.integers(1, NUM_CLASSES + 1)
            cy, cx = rng.uniform(15, IMG - 15, 2)
            r = rng.uniform(6, 16)
            if cls == 1:      # disc
                m = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
            elif cls == 2:    # square
                m = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
            else:             # diamond
                m = np.abs(yy - cy) + np.abs(xx - cx) < r
            ys, xs = np.nonzero(m)
            masks[i, j] = m
            boxes[i, j] = [ys.min() / IMG, xs.min() / IMG, (ys.max() + 1) / IMG, (xs.max() + 1) / IMG]
            classes[i, j] = cls
            images[i][m] = rng.uniform(0.3, 1.0, 3)
    images += rng.normal(0, 0.03, images.shape).astype(np.float32)
    return images, masks, boxes, classes


def jitter_boxes(boxes, scale=0.05):
    """Simulate RPN proposals: random shift/scale of GT boxes, clipped to the image."""
    hw = boxes[..., 2:] - boxes[..., :2]
    noise = tf.random.normal(tf.shape(boxes), stddev=scale)
    jittered = boxes + noise * tf.concat([hw, hw], axis=-1)
    y1x1 = tf.minimum(jittered[..., :2], jittered[..., 2:])
    y2x2 = tf.maximum(jittered[..., :2], jittered[..., 2:])
    return tf.clip_by_value(tf.concat([y1x1, y2x2], axis=-1), 0.0, 1.0)


def build_targets(image, masks, boxes, classes):
    rois = jitter_boxes(boxes)
    # crop each instance mask with its own RoI -> (R, M, M)
    mask_targets = tf.image.crop_and_resize(
        masks[..., None], rois, tf.range(MAX_ROIS), [MASK_SIZE, MASK_SIZE], method="bilinear"
    )[..., 0]
    mask_targets = tf.cast(mask_targets >= 0.5, tf.float32)
    inputs = {"image": image, "rois": rois}
    targets = {"class_logits": classes, "masks": tf.stack(
        [mask_targets, tf.broadcast_to(tf.cast(classes, tf.float32)[:, None, None], tf.shape(mask_targets))],
        axis=-1,
    )}
    return inputs, targets


# ------------------------------------------------------------------ layers
class RoIAlign(layers.Layer):
    """(features (B,H,W,C), rois (B,R,4) normalised) -> (B, R, P, P, C)."""

    def __init__(self, pool_size, sampling_ratio=2, **kwargs):
        super().__init__(**kwargs)
        self.pool_size = pool_size
        self.sampling_ratio = sampling_ratio

    def call(self, features, rois):
        batch = tf.shape(rois)[0]
        num_rois = tf.shape(rois)[1]
        flat_rois = tf.reshape(rois, [-1, 4])
        box_indices = tf.repeat(tf.range(batch), num_rois)
        # sample at 2x then average-pool, which is how RoIAlign is usually emulated
        crop = self.pool_size * self.sampling_ratio
        crops = tf.image.crop_and_resize(features, flat_rois, box_indices, [crop, crop])
        pooled = tf.nn.avg_pool2d(crops, self.sampling_ratio, self.sampling_ratio, "VALID")
        channels = features.shape[-1]
        return tf.reshape(pooled, [batch, num_rois, self.pool_size, self.pool_size, channels])

    def compute_output_shape(self, features_shape, rois_shape):
        return (rois_shape[0], rois_shape[1], self.pool_size, self.pool_size, features_shape[-1])

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size,
                "sampling_ratio": self.sampling_ratio}


def backbone(x):
    for filters, stride in [(24, 2), (32, 1), (48, 2), (48, 1)]:
        x = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    return x  # stride 4


def mask_head(pooled, num_classes):
    # TimeDistributed over the RoI axis, exactly like the matterport implementation
    x = pooled
    for i in range(2):
        x = layers.TimeDistributed(layers.Conv2D(48, 3, padding="same"), name=f"mrcnn_mask_conv{i + 1}")(x)
        x = layers.TimeDistributed(layers.BatchNormalization(), name=f"mrcnn_mask_bn{i + 1}")(x)
        x = layers.Activation("relu")(x)
    x = layers.TimeDistributed(layers.Conv2DTranspose(48, 2, strides=2, activation="relu"),
                               name="mrcnn_mask_deconv")(x)
    return layers.TimeDistributed(layers.Conv2D(num_classes, 1), name="mrcnn_mask")(x)


def box_head(pooled, num_classes):
    x = layers.TimeDistributed(layers.Conv2D(64, POOL_SIZE, padding="valid"), name="mrcnn_class_conv1")(pooled)
    x = layers.Activation("relu")(x)
    x = layers.Reshape((-1, 64))(x)             # squeeze the 1x1 spatial dims
    x = layers.Dense(64, activation="relu")(x)
    return layers.Dense(num_classes + 1, name="class_logits")(x)


def build_model():
    image = keras.Input((IMG, IMG, 3), name="image")
    rois = keras.Input((MAX_ROIS, 4), name="rois")
    feats = backbone(image)
    pooled_box = RoIAlign(POOL_SIZE, name="roi_align_box")(feats, rois)
    pooled_mask = RoIAlign(POOL_SIZE, name="roi_align_mask")(feats, rois)
    class_logits = box_head(pooled_box, NUM_CLASSES)
    mask_logits = mask_head(pooled_mask, NUM_CLASSES)    # (B, R, M, M, NUM_CLASSES)
    mask_logits = layers.Identity(name="masks")(mask_logits)
    return keras.Model({"image": image, "rois": rois},
                       {"class_logits": class_logits, "masks": mask_logits},
                       name="mask_rcnn_heads")


# ------------------------------------------------------------------ losses
def roi_class_loss(y_true, y_pred):
    # padded RoIs have class 0 and are trained as background, like sampled negatives
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)


def mask_loss(y_true, y_pred):
    """y_true: (B, R, M, M, 2) = [binary mask, class id]; y_pred: (B, R, M, M, C)."""
    target = y_true[..., 0]
    cls = tf.cast(y_true[:, :, 0, 0, 1], tf.int32)                    # (B, R)
    positive = tf.cast(cls > 0, tf.float32)
    # pick the predicted mask of the GT class: move classes to axis 2 then gather
    per_class = tf.transpose(y_pred, [0, 1, 4, 2, 3])                  # (B, R, C, M, M)
    idx = tf.maximum(cls - 1, 0)
    selected = tf.gather(per_class, idx, axis=2, batch_dims=2)         # (B, R, M, M)
    bce = tf.nn.sigmoid_cross_entropy_with_logits(labels=target, logits=selected)
    per_roi = tf.reduce_mean(bce, axis=[2, 3]) * positive
    return tf.reduce_sum(per_roi, axis=1) / tf.maximum(tf.reduce_sum(positive, axis=1), 1.0)


def paste_masks(mask_probs, rois, image_size):
    """Paste RoI-sized masks back onto the full image canvas (numpy, for inspection)."""
    canvas = np.zeros((len(rois), image_size, image_size), np.float32)
    for k, (m, (y1, x1, y2, x2)) in enumerate(zip(mask_probs, rois)):
        y1, x1 = int(y1 * image_size), int(x1 * image_size)
        y2, x2 = max(int(y2 * image_size), y1 + 1), max(int(x2 * image_size), x1 + 1)
        resized = tf.image.resize(m[..., None], (y2 - y1, x2 - x1)).numpy()[..., 0]
        canvas[k, y1:y2, x1:x2] = resized
    return canvas


def main():
    rng = np.random.default_rng(21)
    keras.utils.set_random_seed(21)
    images, masks, boxes, classes = make_instances(rng, 24)
    print("instances per image:", (classes > 0).sum(axis=1))

    ds = (
        tf.data.Dataset.from_tensor_slices((images, masks, boxes, classes))
        .map(build_targets, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(BATCH)
        .prefetch(tf.data.AUTOTUNE)
    )
    inputs, targets = next(iter(ds))
    print({k: v.shape for k, v in inputs.items()}, {k: v.shape for k, v in targets.items()})

    model = build_model()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss={"class_logits": roi_class_loss, "masks": mask_loss},
        loss_weights={"class_logits": 1.0, "masks": 1.0},
    )
    model.fit(ds, epochs=1, verbose=2)

    # inference on a single image with its GT boxes as "detections"
    out = model.predict({"image": images[:1], "rois": boxes[:1]}, verbose=0)
    pred_cls = out["class_logits"][0].argmax(-1)
    probs = tf.sigmoid(out["masks"][0]).numpy()                        # (R, M, M, C)
    chosen = np.take_along_axis(probs, np.maximum(pred_cls - 1, 0)[:, None, None, None], axis=-1)[..., 0]
    full = paste_masks(chosen, boxes[0], IMG)
    print("pred classes:", pred_cls, "gt:", classes[0])
    print(f"pasted masks: {full.shape}, mean fg prob: {full.mean():.4f}")


if __name__ == "__main__":
    main()

# Single-object localisation: predict class + normalized bbox (ymin, xmin, ymax, xmax)
# Pretty much the "wheat/pet localization" notebook pattern, with fake data.
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers, ops


@dataclass
class Config:
    image_size: int = 64
    num_classes: int = 3
    n_samples: int = 40
    batch_size: int = 8
    filters: list = field(default_factory=lambda: [16, 32, 64])
    bbox_loss_weight: float = 5.0
    learning_rate: float = 1e-3


cfg = Config()
rng = np.random.default_rng(2024)


def make_sample(cls_id, size):
    img = rng.normal(0.2, 0.05, size=(size, size, 3)).clip(0, 1)
    h, w = rng.integers(12, 30, size=2)
    y0 = rng.integers(0, size - h)
    x0 = rng.integers(0, size - w)
    color = np.zeros(3)
    color[cls_id] = 0.9
    img[y0:y0 + h, x0:x0 + w] = color
    box = np.array([y0, x0, y0 + h, x0 + w], dtype=np.float32) / size
    return (img * 255).astype(np.uint8), box


def build_arrays(n):
    imgs, boxes, labels = [], [], []
    for i in range(n):
        c = int(rng.integers(cfg.num_classes))
        im, b = make_sample(c, cfg.image_size)
        imgs.append(im)
        boxes.append(b)
        labels.append(c)
    return np.stack(imgs), np.stack(boxes), np.array(labels)


def preprocess(image, box, label):
    image = tf.image.convert_image_dtype(image, tf.float32)
    # horizontal flip has to flip the box too, so do it by hand
    do_flip = tf.random.uniform([]) > 0.5
    image = tf.cond(do_flip, lambda: tf.image.flip_left_right(image), lambda: image)
    flipped_box = tf.stack([box[0], 1.0 - box[3], box[2], 1.0 - box[1]])
    box = tf.where(do_flip, flipped_box, box)
    targets = {"cls": label, "bbox": box}
    return image, targets


class GIoULoss(keras.losses.Loss):
    """Generalised IoU loss on (ymin, xmin, ymax, xmax) boxes."""

    def call(self, y_true, y_pred):
        t_ymin, t_xmin, t_ymax, t_xmax = ops.unstack(y_true, 4, axis=-1)
        p_ymin, p_xmin, p_ymax, p_xmax = ops.unstack(y_pred, 4, axis=-1)
        t_area = (t_ymax - t_ymin) * (t_xmax - t_xmin)
        p_area = ops.maximum(p_ymax - p_ymin, 0.0) * ops.maximum(p_xmax - p_xmin, 0.0)

        ih = ops.maximum(ops.minimum(t_ymax, p_ymax) - ops.maximum(t_ymin, p_ymin), 0.0)
        iw = ops.maximum(ops.minimum(t_xmax, p_xmax) - ops.maximum(t_xmin, p_xmin), 0.0)
        inter = ih * iw
        union = t_area + p_area - inter + 1e-7
        iou = inter / union

        eh = ops.maximum(t_ymax, p_ymax) - ops.minimum(t_ymin, p_ymin)
        ew = ops.maximum(t_xmax, p_xmax) - ops.minimum(t_xmin, p_xmin)
        enclose = eh * ew + 1e-7
        giou = iou - (enclose - union) / enclose
        return 1.0 - giou


def build_model(cfg):
    inputs = keras.Input(shape=(cfg.image_size, cfg.image_size, 3), name="image")
    x = layers.Rescaling(2.0, offset=-1.0)(inputs)
    for i, f in enumerate(cfg.filters):
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu", name=f"down_{i}")(x)
        x = layers.Conv2D(f, 3, padding="same", activation="relu")(x)

    shared = layers.Flatten()(x)
    shared = layers.Dense(128, activation="relu")(shared)
    shared = layers.Dropout(0.2)(shared)

    cls_head = layers.Dense(64, activation="relu")(shared)
    cls_out = layers.Dense(cfg.num_classes, activation="softmax", name="cls")(cls_head)

    box_head = layers.Dense(64, activation="relu")(shared)
    box_raw = layers.Dense(4, activation="sigmoid")(box_head)
    # make sure ymin<ymax, xmin<xmax: predict center + size
    cy, cx, h, w = [box_raw[:, i] for i in range(4)]
    box_out = ops.stack([cy - h / 2, cx - w / 2, cy + h / 2, cx + w / 2], axis=-1)
    box_out = layers.Activation("linear", name="bbox")(box_out)

    return keras.Model(inputs, {"cls": cls_out, "bbox": box_out}, name="cls_bbox_net")


def iou_np(a, b):
    ih = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    iw = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = ih * iw
    area = lambda z: (z[:, 2] - z[:, 0]) * (z[:, 3] - z[:, 1])
    return inter / (area(a) + area(b) - inter + 1e-7)


if __name__ == "__main__":
    X, B, Y = build_arrays(cfg.n_samples)
    print("images", X.shape, X.dtype, "boxes", B.shape, "labels", np.bincount(Y))

    split = int(0.8 * len(X))
    train_ds = (
        tf.data.Dataset.from_tensor_slices((X[:split], B[:split], Y[:split]))
        .shuffle(64)
        .map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(cfg.batch_size)
    )
    val_ds = (
        tf.data.Dataset.from_tensor_slices((X[split:], {"cls": Y[split:], "bbox": B[split:]}))
        .map(lambda im, t: (tf.image.convert_image_dtype(im, tf.float32), t))
        .batch(cfg.batch_size)
    )

    model = build_model(cfg)
    print("params:", model.count_params())

    model.compile(
        optimizer=keras.optimizers.AdamW(cfg.learning_rate, weight_decay=1e-4),
        loss={"cls": "sparse_categorical_crossentropy", "bbox": GIoULoss()},
        loss_weights={"cls": 1.0, "bbox": cfg.bbox_loss_weight},
        metrics={"cls": ["accuracy"], "bbox": [keras.metrics.MeanAbsoluteError(name="mae")]},
    )
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

    preds = model.predict(val_ds, verbose=0)
    ious = iou_np(preds["bbox"], B[split:])
    acc = (preds["cls"].argmax(-1) == Y[split:]).mean()
    print(f"val cls acc={acc:.3f}  mean IoU={ious.mean():.3f}  IoU>0.5: {(ious > 0.5).mean():.2f}")

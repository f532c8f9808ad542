import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

# ----- config ---------------------------------------------------------------
H = W = 64
CLASSES = ["background", "disk", "box"]
NUM_CLASSES = len(CLASSES)
BACKBONE_FILTERS = (24, 48, 96, 128)   # C2..C5 at strides 4, 8, 16, 32
PYRAMID_CH = 48
SEG_CH = 32
N_IMAGES = 240
BATCH = 16
EPOCHS = 2


# ----- synthetic scenes -----------------------------------------------------
def make_scene(rng):
    img = rng.uniform(0.0, 0.25, size=(H, W, 3)).astype("float32")
    mask = np.zeros((H, W), dtype="int32")
    yy, xx = np.ogrid[:H, :W]
    for _ in range(rng.integers(1, 4)):
        kind = rng.integers(1, NUM_CLASSES)
        cy, cx = rng.integers(8, H - 8), rng.integers(8, W - 8)
        size = rng.integers(4, 12)
        if kind == 1:
            region = (yy - cy) ** 2 + (xx - cx) ** 2 <= size**2
        else:
            region = (np.abs(yy - cy) <= size) & (np.abs(xx - cx) <= size // 2 + 2)
        colour = rng.uniform(0.5, 1.0, size=3)
        img[region] = colour
        mask[region] = kind
    img += rng.normal(0, 0.04, img.shape)
    return img.clip(0, 1).astype("float32"), mask


rng = np.random.default_rng(99)
scenes = [make_scene(rng) for _ in range(N_IMAGES)]
images = np.stack([s[0] for s in scenes])
masks = np.stack([s[1] for s in scenes])[..., None]
freq = np.bincount(masks.ravel(), minlength=NUM_CLASSES) / masks.size
print("pixel frequencies:", {c: round(float(f), 3) for c, f in zip(CLASSES, freq)})


def joint_augment(image, mask):
    # the same random flip must hit both image and mask
    do_flip = tf.random.uniform(()) < 0.5
    image, mask = tf.cond(
        do_flip,
        lambda: (tf.image.flip_left_right(image), tf.image.flip_left_right(mask)),
        lambda: (image, mask),
    )
    do_vflip = tf.random.uniform(()) < 0.5
    image = tf.where(do_vflip, tf.reverse(image, axis=[0]), image)
    mask = tf.where(do_vflip, tf.reverse(mask, axis=[0]), mask)
    image = tf.image.random_saturation(image, 0.7, 1.3)
    return image, mask


split = int(N_IMAGES * 0.85)
train_ds = (
    tf.data.Dataset.from_tensor_slices((images[:split], masks[:split]))
    .shuffle(split)
    .map(joint_augment, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(BATCH, drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)
val_ds = tf.data.Dataset.from_tensor_slices((images[split:], masks[split:])).batch(BATCH)


# ----- model: tiny residual backbone + FPN ---------------------------------
def res_block(x, filters, stride, name):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_c1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_c2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(shortcut)
        shortcut = layers.BatchNormalization(name=f"{name}_projbn")(shortcut)
    return layers.Activation("relu", name=f"{name}_out")(layers.add([y, shortcut]))


def backbone(inputs):
    x = layers.Conv2D(16, 3, strides=2, padding="same", activation="relu", name="stem")(inputs)  # /2
    feats = []
    for level, f in enumerate(BACKBONE_FILTERS, start=2):
        x = res_block(x, f, stride=2, name=f"C{level}")
        feats.append(x)
    return feats  # [C2, C3, C4, C5]


def fpn(features, channels=PYRAMID_CH):
    laterals = [layers.Conv2D(channels, 1, name=f"lateral_{i + 2}")(f) for i, f in enumerate(features)]
    outs = [laterals[-1]]
    # top-down: upsample the coarser map and add to the lateral
    for i in range(len(laterals) - 2, -1, -1):
        up = layers.UpSampling2D(2, interpolation="nearest", name=f"td_up_{i + 2}")(outs[0])
        outs.insert(0, layers.Add(name=f"td_add_{i + 2}")([laterals[i], up]))
    return [
        layers.Conv2D(channels, 3, padding="same", name=f"P{i + 2}")(p) for i, p in enumerate(outs)
    ]


def semantic_head(pyramid, target_size):
    merged = []
    for i, p in enumerate(pyramid):
        y = layers.Conv2D(SEG_CH, 3, padding="same", use_bias=False)(p)
        y = layers.GroupNormalization(groups=8)(y)
        y = layers.ReLU()(y)
        factor = target_size // p.shape[1]
        if factor > 1:
            y = layers.UpSampling2D(factor, interpolation="bilinear", name=f"seg_up_P{i + 2}")(y)
        merged.append(y)
    y = layers.Add(name="merge_levels")(merged)
    y = layers.Conv2D(NUM_CLASSES, 1, name="seg_logits")(y)
    # logits are at stride 4 -> bring back to full resolution
    return layers.UpSampling2D(4, interpolation="bilinear", name="to_full_res")(y)


def build_model():
    inputs = keras.Input((H, W, 3), name="image")
    feats = backbone(inputs)
    pyramid = fpn(feats)
    logits = semantic_head(pyramid, target_size=pyramid[0].shape[1])
    return keras.Model(inputs, logits, name="fpn_seg")


# ----- loss ----------------------------------------------------------------
def dice_ce_loss(y_true, y_pred, smooth=1.0):
    y_true = tf.squeeze(tf.cast(y_true, tf.int32), axis=-1)
    ce = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y_true, logits=y_pred), axis=[1, 2]
    )
    probs = tf.nn.softmax(y_pred, axis=-1)
    onehot = tf.one_hot(y_true, NUM_CLASSES)
    inter = tf.reduce_sum(probs * onehot, axis=[1, 2])
    denom = tf.reduce_sum(probs + onehot, axis=[1, 2])
    dice = 1.0 - tf.reduce_mean((2 * inter + smooth) / (denom + smooth), axis=-1)
    return ce + dice


class PerClassIoU(keras.callbacks.Callback):
    def __init__(self, data):
        super().__init__()
        self.data = data

    def on_epoch_end(self, epoch, logs=None):
        conf = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
        for x, y in self.data:
            pred = np.argmax(self.model(x, training=False), axis=-1).ravel()
            conf += np.bincount(
                y.numpy().ravel() * NUM_CLASSES + pred, minlength=NUM_CLASSES**2
            ).reshape(NUM_CLASSES, NUM_CLASSES)
        ious = np.diag(conf) / np.maximum(conf.sum(0) + conf.sum(1) - np.diag(conf), 1)
        msg = ", ".join(f"{c}={v:.2f}" for c, v in zip(CLASSES, ious))
        print(f"  [epoch {epoch + 1}] IoU: {msg}")


if __name__ == "__main__":
    model = build_model()
    for layer in model.layers:
        if layer.name.startswith("P"):
            print(f"{layer.name}: {layer.output.shape}")

    steps = math.floor(split / BATCH) * EPOCHS
    model.compile(
        optimizer=keras.optimizers.SGD(
            keras.optimizers.schedules.PolynomialDecay(0.05, steps, end_learning_rate=0.005),
            momentum=0.9,
            nesterov=True,
        ),
        loss=dice_ce_loss,
        metrics=[keras.metrics.MeanIoU(num_classes=NUM_CLASSES, sparse_y_pred=False, name="miou")],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS, callbacks=[PerClassIoU(val_ds)], verbose=2)

    sample = images[split : split + 2]
    pred_mask = tf.argmax(model.predict(sample, verbose=0), axis=-1).numpy()
    print("pred mask shape:", pred_mask.shape, "classes present:", np.unique(pred_mask).tolist())

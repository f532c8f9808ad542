"""Residual U-Net with squeeze-and-excitation and deep supervision (nnU-Net style).

The decoder emits an auxiliary segmentation head at every resolution;
targets are downsampled with nearest-neighbour interpolation inside the
tf.data pipeline and the losses are combined with geometrically decaying
weights (1, 1/2, 1/4, ...) normalised to sum to one. Retinal-vessel-ish
synthetic data: thin random curves on a fundus-like disc.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers, ops

IMG = 64
IN_CH = 3
STAGES = [8, 16, 32, 64]
DS_LEVELS = 3          # number of decoder outputs used for deep supervision
BATCH = 4
STEPS_PER_EPOCH = 6


# ---------------------------------------------------------------------------
# Synthetic fundus images with "vessels"
# ---------------------------------------------------------------------------
def draw_vessels(rng, size=IMG, n=6):
    mask = np.zeros((size, size), np.float32)
    for _ in range(n):
        t = np.linspace(0, 1, 200)
        p0, p1, p2 = rng.uniform(0, size, (3, 2))
        curve = ((1 - t) ** 2)[:, None] * p0 + (2 * (1 - t) * t)[:, None] * p1 + (t ** 2)[:, None] * p2
        pts = np.clip(curve.round().astype(int), 0, size - 1)
        mask[pts[:, 1], pts[:, 0]] = 1.0
    return mask


def fundus_sample(rng):
    yy, xx = np.mgrid[:IMG, :IMG]
    disc = ((yy - IMG / 2) ** 2 + (xx - IMG / 2) ** 2) < (IMG / 2 - 2) ** 2
    vessels = draw_vessels(rng) * disc
    rgb = np.stack([0.7 * disc, 0.35 * disc, 0.15 * disc], -1).astype(np.float32)
    rgb -= 0.25 * vessels[..., None]
    rgb += rng.normal(0, 0.03, rgb.shape)
    return rgb.astype(np.float32), vessels[..., None]


def to_deep_supervision_targets(image, mask):
    targets = {"seg_out": mask}
    for lvl in range(1, DS_LEVELS):
        s = IMG // (2 ** lvl)
        targets[f"aux_{lvl}"] = tf.image.resize(mask, (s, s), method="nearest")
    return image, targets


def make_ds(n, seed):
    rng = np.random.default_rng(seed)
    imgs, masks = zip(*(fundus_sample(rng) for _ in range(n)))
    ds = tf.data.Dataset.from_tensor_slices((np.stack(imgs), np.stack(masks)))
    return ds.map(to_deep_supervision_targets, num_parallel_calls=tf.data.AUTOTUNE)


# ---------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------
def squeeze_excite(x, ratio=4):
    ch = x.shape[-1]
    se = layers.GlobalAveragePooling2D(keepdims=True)(x)
    se = layers.Conv2D(max(ch // ratio, 2), 1, activation="relu")(se)
    se = layers.Conv2D(ch, 1, activation="sigmoid")(se)
    return layers.Multiply()([x, se])


def res_block(x, filters, stride=1):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    y = squeeze_excite(y)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.Activation("relu")(layers.Add()([y, shortcut]))


def build_resunet():
    inp = keras.Input((IMG, IMG, IN_CH), name="fundus")
    x = layers.Conv2D(STAGES[0], 3, padding="same")(inp)
    enc = []
    for i, f in enumerate(STAGES):
        x = res_block(x, f, stride=1 if i == 0 else 2)
        enc.append(x)

    outputs = {}
    x = enc[-1]
    n_dec = len(STAGES) - 1
    for j, skip in enumerate(reversed(enc[:-1])):
        f = skip.shape[-1]
        x = layers.UpSampling2D(interpolation="bilinear")(x)
        x = layers.Concatenate()([x, skip])
        x = res_block(x, f)
        lvl = n_dec - 1 - j                   # 0 == full resolution
        if lvl == 0:
            outputs["seg_out"] = layers.Conv2D(1, 1, activation="sigmoid", name="seg_out")(x)
        elif lvl < DS_LEVELS:
            outputs[f"aux_{lvl}"] = layers.Conv2D(1, 1, activation="sigmoid", name=f"aux_{lvl}")(x)
    return keras.Model(inp, outputs, name="se_resunet_ds")


# ---------------------------------------------------------------------------
# Loss
# ---------------------------------------------------------------------------
def soft_dice_bce(y_true, y_pred, smooth=1.0):
    y_true = ops.cast(y_true, y_pred.dtype)
    inter = ops.sum(y_true * y_pred, axis=(1, 2, 3))
    union = ops.sum(y_true, axis=(1, 2, 3)) + ops.sum(y_pred, axis=(1, 2, 3))
    dice = 1.0 - (2.0 * inter + smooth) / (union + smooth)
    bce = ops.mean(keras.losses.binary_crossentropy(y_true, y_pred), axis=(1, 2))
    return dice + bce


def deep_supervision_weights(n):
    w = np.array([1.0 / (2 ** i) for i in range(n)])
    return (w / w.sum()).tolist()


if __name__ == "__main__":
    train = make_ds(48, seed=0).shuffle(48).batch(BATCH).repeat()
    val = make_ds(8, seed=1).batch(BATCH)

    model = build_resunet()
    for name, t in model.output.items():
        print(f"  head {name:8s} -> {tuple(t.shape)}")

    weights = deep_supervision_weights(DS_LEVELS)
    loss_weights = {"seg_out": weights[0], **{f"aux_{i}": weights[i] for i in range(1, DS_LEVELS)}}
    print("loss weights:", {k: round(v, 3) for k, v in loss_weights.items()})

    total_steps = STEPS_PER_EPOCH
    schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=total_steps, alpha=0.1)
    model.compile(
        optimizer=keras.optimizers.SGD(schedule, momentum=0.99, nesterov=True),
        loss={k: soft_dice_bce for k in loss_weights},
        loss_weights=loss_weights,
        metrics={"seg_out": [keras.metrics.AUC(name="auc"), keras.metrics.Recall(name="sens")]},
    )
    model.fit(train, steps_per_epoch=STEPS_PER_EPOCH, validation_data=val, epochs=1, verbose=2)

    # At inference only the full-res head matters
    infer = keras.Model(model.input, model.output["seg_out"])
    probs = infer.predict(val.map(lambda x, y: x), verbose=0)
    print("inference output:", probs.shape, f"mean prob {probs.mean():.3f}")
    print(f"lr at end of schedule: {float(schedule(total_steps)):.2e}")

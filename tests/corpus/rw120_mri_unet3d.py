"""Small 3D U-Net for brain-tumour-like segmentation on synthetic MRI volumes.

Volumes: (D, H, W, 2) with two "contrasts" (T1, FLAIR-ish).
Labels: 0 background, 1 edema, 2 core -- heavily imbalanced, so we train with
a weighted cross-entropy + soft dice combo.
"""
import math
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

VOL = 16            # cube side, divisible by 2**DEPTH
CONTRASTS = 2
N_CLASSES = 3
BASE_FILTERS = 8
DEPTH = 2
N_VOLUMES = 24
BATCH = 4
CLASS_WEIGHTS = [0.2, 1.0, 2.5]

tf.random.set_seed(42)
rng = np.random.default_rng(42)


def sphere_mask(shape, center, radius):
    zz, yy, xx = np.ogrid[: shape[0], : shape[1], : shape[2]]
    d2 = (zz - center[0]) ** 2 + (yy - center[1]) ** 2 + (xx - center[2]) ** 2
    return d2 <= radius ** 2


def fake_subject():
    shape = (VOL, VOL, VOL)
    brain = sphere_mask(shape, (VOL // 2,) * 3, VOL * 0.45)
    c = rng.integers(VOL // 3, 2 * VOL // 3, size=3)
    r_edema = rng.uniform(2.5, 4.5)
    edema = sphere_mask(shape, c, r_edema)
    core = sphere_mask(shape, c, r_edema * 0.5)

    t1 = brain * 0.6 + rng.normal(0, 0.05, shape)
    t1[core] -= 0.3
    flair = brain * 0.4 + rng.normal(0, 0.05, shape)
    flair[edema] += 0.5

    seg = np.zeros(shape, dtype=np.int32)
    seg[edema] = 1
    seg[core] = 2
    img = np.stack([t1, flair], axis=-1).astype(np.float32)
    return img, seg


def zscore_nonzero(img):
    # typical MRI normalization: only over voxels inside the head
    out = np.zeros_like(img)
    for ch in range(img.shape[-1]):
        v = img[..., ch]
        m = v > 0.1
        mu, sd = v[m].mean(), v[m].std() + 1e-8
        out[..., ch] = np.where(m, (v - mu) / sd, 0.0)
    return out


t0 = time.time()
subjects = [fake_subject() for _ in range(N_VOLUMES)]
images = np.stack([zscore_nonzero(s[0]) for s in subjects])
masks = np.stack([s[1] for s in subjects])
print(f"built {len(subjects)} volumes in {time.time() - t0:.2f}s; voxel freq per class:",
      np.round(np.bincount(masks.ravel(), minlength=N_CLASSES) / masks.size, 4))


def random_flip_3d(img, seg):
    # flip along each spatial axis with p=0.5 (graph-safe: tf.cond on tensor)
    for axis in (0, 1, 2):
        flip = tf.random.uniform(()) > 0.5
        img = tf.cond(flip, lambda: tf.reverse(img, [axis]), lambda: img)
        seg = tf.cond(flip, lambda: tf.reverse(seg, [axis]), lambda: seg)
    return img, seg


def to_onehot(img, seg):
    return img, tf.one_hot(seg, N_CLASSES)


n_val = 4
train_ds = (tf.data.Dataset.from_tensor_slices((images[n_val:], masks[n_val:]))
            .shuffle(64)
            .map(random_flip_3d, num_parallel_calls=tf.data.AUTOTUNE)
            .map(to_onehot)
            .batch(BATCH)
            .prefetch(2))
val_ds = (tf.data.Dataset.from_tensor_slices((images[:n_val], masks[:n_val]))
          .map(to_onehot).batch(BATCH))


def double_conv(x, f, tag):
    for k in range(2):
        x = layers.Conv3D(f, 3, padding="same", kernel_initializer="he_normal", name=f"{tag}_c{k}")(x)
        x = layers.GroupNormalization(groups=4, name=f"{tag}_gn{k}")(x)
        x = layers.LeakyReLU(0.1, name=f"{tag}_act{k}")(x)
    return x


def unet3d(input_shape=(VOL, VOL, VOL, CONTRASTS), n_classes=N_CLASSES, base=BASE_FILTERS, depth=DEPTH):
    inp = keras.Input(input_shape)
    skips, x = [], inp
    for d in range(depth):
        x = double_conv(x, base * 2 ** d, f"enc{d}")
        skips.append(x)
        x = layers.MaxPooling3D(2, name=f"down{d}")(x)
    x = double_conv(x, base * 2 ** depth, "bottleneck")
    for d in reversed(range(depth)):
        x = layers.Conv3DTranspose(base * 2 ** d, 2, strides=2, name=f"up{d}")(x)
        x = layers.Concatenate(name=f"skip{d}")([x, skips[d]])
        x = double_conv(x, base * 2 ** d, f"dec{d}")
    out = layers.Conv3D(n_classes, 1, activation="softmax", name="seg")(x)
    return keras.Model(inp, out, name="unet3d")


class WeightedCEDice(keras.losses.Loss):
    def __init__(self, class_weights, dice_weight=1.0, smooth=1e-5, name="wce_dice"):
        super().__init__(name=name)
        self.class_weights = tf.constant(class_weights, tf.float32)
        self.dice_weight = dice_weight
        self.smooth = smooth

    def call(self, y_true, y_pred):
        y_pred = tf.clip_by_value(y_pred, 1e-7, 1.0 - 1e-7)
        ce = -tf.reduce_sum(self.class_weights * y_true * tf.math.log(y_pred), axis=-1)
        ce = tf.reduce_mean(ce, axis=[1, 2, 3])
        axes = [1, 2, 3]
        inter = tf.reduce_sum(y_true * y_pred, axis=axes)
        denom = tf.reduce_sum(y_true + y_pred, axis=axes)
        dice = (2.0 * inter + self.smooth) / (denom + self.smooth)
        dice_loss = 1.0 - tf.reduce_mean(dice[:, 1:], axis=-1)  # ignore background
        return ce + self.dice_weight * dice_loss


def mean_fg_dice(y_true, y_pred):
    pred = tf.one_hot(tf.argmax(y_pred, -1), N_CLASSES)
    inter = tf.reduce_sum(y_true * pred, axis=[1, 2, 3])
    denom = tf.reduce_sum(y_true + pred, axis=[1, 2, 3])
    return tf.reduce_mean((2 * inter + 1e-5) / (denom + 1e-5), axis=0)[1:]


model = unet3d()
print(f"params: {model.count_params():,}")
steps = math.ceil((N_VOLUMES - n_val) / BATCH)
sched = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps * 2)
model.compile(optimizer=keras.optimizers.Adam(sched), loss=WeightedCEDice(CLASS_WEIGHTS))
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

dices = []
for xb, yb in val_ds:
    dices.append(mean_fg_dice(yb, model(xb, training=False)).numpy())
dices = np.mean(dices, axis=0)
print(f"val dice  edema={dices[0]:.3f}  core={dices[1]:.3f}")

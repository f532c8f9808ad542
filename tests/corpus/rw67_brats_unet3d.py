"""3-D U-Net for brain tumour sub-region segmentation (BraTS-style).

Inputs are 4 co-registered MRI modalities (T1, T1ce, T2, FLAIR) stacked as
channels of a 3-D volume. Labels follow the BraTS convention
{0: background, 1: necrotic core, 2: edema, 4: enhancing tumour} which we
remap to 0..3. Trained with a custom GradientTape loop and a multi-class
soft Dice + categorical cross-entropy loss.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from tensorflow import keras

MODALITIES = ("t1", "t1ce", "t2", "flair")
BRATS_LABELS = (0, 1, 2, 4)


@dataclass
class Config:
    vol: tuple = (24, 24, 24)
    n_classes: int = 4
    base: int = 8
    batch: int = 2
    steps: int = 3
    lr: float = 3e-4
    seed: int = 7


def zscore_nonzero(volume):
    """Per-modality z-score over brain voxels only (background stays 0)."""
    out = np.zeros_like(volume)
    for c in range(volume.shape[-1]):
        ch = volume[..., c]
        brain = ch > 0
        if brain.any():
            mu, sd = ch[brain].mean(), ch[brain].std() + 1e-8
            out[..., c][brain] = (ch[brain] - mu) / sd
    return out


def synthetic_case(cfg, rng):
    d, h, w = cfg.vol
    zz, yy, xx = np.mgrid[:d, :h, :w]
    centre = np.array(cfg.vol) / 2
    radii = 0.45 * np.array(cfg.vol)
    brain = (((zz - centre[0]) / radii[0]) ** 2 + ((yy - centre[1]) / radii[1]) ** 2
             + ((xx - centre[2]) / radii[2]) ** 2) < 1
    img = np.stack([brain * rng.uniform(200, 800) + rng.normal(0, 20, cfg.vol) * brain
                    for _ in MODALITIES], axis=-1).astype("float32")
    seg = np.zeros(cfg.vol, dtype="int32")
    tc = rng.integers(d // 3, 2 * d // 3, size=3)
    r = np.sqrt((zz - tc[0]) ** 2 + (yy - tc[1]) ** 2 + (xx - tc[2]) ** 2)
    seg[(r < 6) & brain] = 2   # edema
    seg[(r < 3.5) & brain] = 4   # enhancing
    seg[(r < 2) & brain] = 1   # necrotic core
    img[..., 3][seg == 2] *= 1.6  # FLAIR hyperintensity
    img[..., 1][seg == 4] *= 1.8  # T1ce enhancement
    lut = np.zeros(max(BRATS_LABELS) + 1, dtype="int32")
    for i, lab in enumerate(BRATS_LABELS):
        lut[lab] = i
    return zscore_nonzero(img), lut[seg]


class ConvBlock3D(keras.layers.Layer):
    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.c1 = keras.layers.Conv3D(filters, 3, padding="same", use_bias=False)
        self.n1 = keras.layers.GroupNormalization(groups=4)
        self.c2 = keras.layers.Conv3D(filters, 3, padding="same", use_bias=False)
        self.n2 = keras.layers.GroupNormalization(groups=4)

    def call(self, x):
        x = tf.nn.leaky_relu(self.n1(self.c1(x)), alpha=0.01)
        return tf.nn.leaky_relu(self.n2(self.c2(x)), alpha=0.01)


class UNet3D(keras.Model):
    def __init__(self, n_classes, base=8, depth=2, **kwargs):
        super().__init__(**kwargs)
        self.depth = depth
        self.enc = [ConvBlock3D(base * 2 ** i, name=f"enc_{i}") for i in range(depth)]
        self.pools = [keras.layers.MaxPooling3D(2) for _ in range(depth)]
        self.bottleneck = ConvBlock3D(base * 2 ** depth, name="bottleneck")
        self.ups = [keras.layers.Conv3DTranspose(base * 2 ** i, 2, strides=2) for i in reversed(range(depth))]
        self.dec = [ConvBlock3D(base * 2 ** i, name=f"dec_{i}") for i in reversed(range(depth))]
        # deep supervision head on the coarsest decoder level
        self.aux_head = keras.layers.Conv3D(n_classes, 1, name="aux_logits")
        self.head = keras.layers.Conv3D(n_classes, 1, name="logits")

    def call(self, x, training=False):
        skips = []
        for blk, pool in zip(self.enc, self.pools):
            x = blk(x)
            skips.append(x)
            x = pool(x)
        x = self.bottleneck(x)
        aux = None
        for i, (up, blk) in enumerate(zip(self.ups, self.dec)):
            x = up(x)
            x = tf.concat([x, skips[-(i + 1)]], axis=-1)
            x = blk(x)
            if i == 0:
                aux = self.aux_head(x)
        return self.head(x), aux


def soft_dice_loss(onehot, probs, eps=1e-5, ignore_background=True):
    axes = [1, 2, 3]  # spatial dims
    inter = tf.reduce_sum(onehot * probs, axis=axes)
    denom = tf.reduce_sum(onehot, axis=axes) + tf.reduce_sum(probs, axis=axes)
    dice = (2.0 * inter + eps) / (denom + eps)  # (B, C)
    if ignore_background:
        dice = dice[:, 1:]
    return 1.0 - tf.reduce_mean(dice)


def brats_regions(label_idx):
    """Whole tumour / tumour core / enhancing tumour masks from class indices (0..3)."""
    wt = label_idx > 0
    tc = tf.logical_or(tf.equal(label_idx, 1), tf.equal(label_idx, 3))
    et = tf.equal(label_idx, 3)
    return tf.stack([wt, tc, et], axis=-1)


def region_dice(y_true_idx, y_pred_idx):
    t = tf.cast(brats_regions(y_true_idx), tf.float32)
    p = tf.cast(brats_regions(y_pred_idx), tf.float32)
    inter = tf.reduce_sum(t * p, axis=[1, 2, 3])
    denom = tf.reduce_sum(t, axis=[1, 2, 3]) + tf.reduce_sum(p, axis=[1, 2, 3])
    return tf.reduce_mean((2 * inter + 1.0) / (denom + 1.0), axis=0)


def main():
    cfg = Config()
    tf.random.set_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    cases = [synthetic_case(cfg, rng) for _ in range(cfg.batch * cfg.steps)]
    images = np.stack([c[0] for c in cases])
    labels = np.stack([c[1] for c in cases])
    print("images", images.shape, "labels", labels.shape, "classes", np.unique(labels))

    ds = (tf.data.Dataset.from_tensor_slices((images, labels))
          .shuffle(len(cases), seed=cfg.seed)
          .batch(cfg.batch, drop_remainder=True))

    model = UNet3D(cfg.n_classes, base=cfg.base)
    optimizer = keras.optimizers.AdamW(cfg.lr, weight_decay=1e-5)
    ce = keras.losses.CategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(x, y):
        onehot = tf.one_hot(y, cfg.n_classes)
        aux_target = tf.nn.avg_pool3d(onehot, ksize=2, strides=2, padding="VALID")
        with tf.GradientTape() as tape:
            logits, aux = model(x, training=True)
            probs = tf.nn.softmax(logits, axis=-1)
            loss = ce(onehot, logits) + soft_dice_loss(onehot, probs)
            loss += 0.5 * ce(aux_target, aux)
        grads = tape.gradient(loss, model.trainable_variables)
        grads, _ = tf.clip_by_global_norm(grads, 5.0)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss, tf.argmax(logits, axis=-1, output_type=tf.int32)

    for step, (x, y) in enumerate(ds):
        loss, pred = train_step(x, y)
        wt, tc, et = region_dice(y, pred).numpy()
        print(f"step {step}: loss={loss.numpy():.4f} dice WT={wt:.3f} TC={tc:.3f} ET={et:.3f}")

    logits, aux = model(images[:1])
    print("logits", logits.shape, "aux", aux.shape)
    print("params:", model.count_params())


if __name__ == "__main__":
    main()

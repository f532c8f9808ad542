"""
Small 3D U-Net for volumetric segmentation (think CT/MRI organ masks).

Trains on synthetic volumes with a few random "blobs" as foreground so the
whole thing runs on a laptop CPU. Swap `make_synthetic_volumes` for a real
NIfTI loader when you have data.
"""
import argparse
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers
from tensorflow.keras.layers import Conv3D, Conv3DTranspose, BatchNormalization


def parse_args():
    p = argparse.ArgumentParser(description="3D U-Net toy trainer")
    p.add_argument("--vol-size", type=int, default=24)
    p.add_argument("--n-vols", type=int, default=10)
    p.add_argument("--base-filters", type=int, default=8)
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=2)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--lr", type=float, default=1e-3)
    return p.parse_args([])  # defaults only when run as a notebook export


def make_synthetic_volumes(n, size, n_blobs=3, seed=0):
    rng = np.random.default_rng(seed)
    zz, yy, xx = np.meshgrid(np.arange(size), np.arange(size), np.arange(size), indexing="ij")
    vols = np.zeros((n, size, size, size, 1), dtype=np.float32)
    masks = np.zeros_like(vols)
    for i in range(n):
        img = rng.normal(0.0, 0.2, size=(size, size, size)).astype(np.float32)
        m = np.zeros((size, size, size), dtype=np.float32)
        for _ in range(n_blobs):
            c = rng.integers(size // 4, 3 * size // 4, size=3)
            r = rng.integers(3, size // 5 + 1)
            dist = np.sqrt((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2)
            blob = dist < r
            m[blob] = 1.0
            img[blob] += 1.0 + 0.1 * rng.normal()
        # per-volume z-score, like we'd do for CT windows
        img = (img - img.mean()) / (img.std() + 1e-6)
        vols[i, ..., 0] = img
        masks[i, ..., 0] = m
    return vols, masks


def dice_coef(y_true, y_pred, smooth=1.0):
    y_true = tf.cast(y_true, tf.float32)
    axes = [1, 2, 3, 4]
    inter = tf.reduce_sum(y_true * y_pred, axis=axes)
    denom = tf.reduce_sum(y_true, axis=axes) + tf.reduce_sum(y_pred, axis=axes)
    return tf.reduce_mean((2.0 * inter + smooth) / (denom + smooth))


def dice_loss(y_true, y_pred):
    return 1.0 - dice_coef(y_true, y_pred)


def bce_dice_loss(y_true, y_pred):
    bce = keras.losses.binary_crossentropy(y_true, y_pred)
    return tf.reduce_mean(bce) + dice_loss(y_true, y_pred)


def conv_block(x, filters, name):
    for i in range(2):
        x = Conv3D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def build_unet3d(vol_size, base_filters=8, depth=2, n_classes=1):
    inputs = keras.Input(shape=(vol_size, vol_size, vol_size, 1), name="volume")
    skips = []
    x = inputs
    for d in range(depth):
        x = conv_block(x, base_filters * 2 ** d, name=f"enc{d}")
        skips.append(x)
        x = layers.MaxPooling3D(pool_size=2, name=f"pool{d}")(x)

    x = conv_block(x, base_filters * 2 ** depth, name="bottleneck")
    x = layers.SpatialDropout3D(0.1)(x)

    for d in reversed(range(depth)):
        f = base_filters * 2 ** d
        x = Conv3DTranspose(f, kernel_size=2, strides=2, padding="same", name=f"up{d}")(x)
        x = layers.concatenate([x, skips[d]], axis=-1, name=f"skip{d}")
        x = conv_block(x, f, name=f"dec{d}")

    act = "sigmoid" if n_classes == 1 else "softmax"
    outputs = Conv3D(n_classes, 1, activation=act, name="mask")(x)
    return keras.Model(inputs, outputs, name="unet3d")


def random_flip(vol, mask):
    # flip along one random spatial axis - same for image and label
    axis = tf.random.uniform([], 0, 3, dtype=tf.int32)
    both = tf.concat([vol, mask], axis=-1)
    both = tf.case(
        [
            (tf.equal(axis, 0), lambda: tf.reverse(both, axis=[0])),
            (tf.equal(axis, 1), lambda: tf.reverse(both, axis=[1])),
        ],
        default=lambda: tf.reverse(both, axis=[2]),
    )
    return both[..., :1], both[..., 1:]


def make_dataset(vols, masks, batch_size, training=True):
    ds = tf.data.Dataset.from_tensor_slices((vols, masks))
    if training:
        ds = ds.shuffle(len(vols), seed=1).map(random_flip, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def main():
    args = parse_args()
    tf.random.set_seed(42)

    vols, masks = make_synthetic_volumes(args.n_vols, args.vol_size)
    n_val = max(2, args.n_vols // 4)
    train_ds = make_dataset(vols[:-n_val], masks[:-n_val], args.batch_size)
    val_ds = make_dataset(vols[-n_val:], masks[-n_val:], args.batch_size, training=False)
    print(f"train vols: {len(vols) - n_val}, val vols: {n_val}, fg ratio: {masks.mean():.3f}")

    model = build_unet3d(args.vol_size, args.base_filters, args.depth)
    model.compile(
        optimizer=keras.optimizers.Adam(args.lr),
        loss=bce_dice_loss,
        metrics=[dice_coef, keras.metrics.BinaryIoU(target_class_ids=[1], name="iou")],
    )
    print(f"params: {model.count_params():,}")

    t0 = time.time()
    hist = model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, steps_per_epoch=3, verbose=2)
    print(f"fit took {time.time() - t0:.1f}s")

    # quick inference + thresholding on the held-out volumes
    probs = model.predict(vols[-n_val:], batch_size=args.batch_size, verbose=0)
    pred_mask = (probs > 0.5).astype(np.uint8)
    per_vol_dice = []
    for p, t in zip(pred_mask, masks[-n_val:]):
        inter = np.sum(p * t)
        per_vol_dice.append((2 * inter + 1) / (p.sum() + t.sum() + 1))
    print("val dice per volume:", np.round(per_vol_dice, 3))
    print("last losses:", {k: round(v[-1], 4) for k, v in hist.history.items()})


if __name__ == "__main__":
    main()

"""Tiny 3-D U-Net for binary segmentation of synthetic CT-like volumes.

Volumes contain a few ellipsoid 'lesions' on top of smooth background
noise; the mask marks lesion voxels. Trained with a hand-written loop
using tf.GradientTape and a combined Dice + BCE loss.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

VOL_SHAPE = (24, 24, 24)
N_VOLUMES = 32
BASE_FILTERS = 6
DEPTH = 2
BATCH_SIZE = 4
EPOCHS = 2
LR = 2e-3


# --------------------------------------------------------------------------
# synthetic data
# --------------------------------------------------------------------------
def make_volume(rng, shape=VOL_SHAPE, max_blobs=3):
    d, h, w = shape
    zz, yy, xx = np.meshgrid(np.arange(d), np.arange(h), np.arange(w), indexing="ij")
    mask = np.zeros(shape, dtype=np.float32)
    for _ in range(rng.integers(1, max_blobs + 1)):
        c = rng.uniform(5, np.array(shape) - 5)
        r = rng.uniform(2.0, 4.5, size=3)
        inside = ((zz - c[0]) / r[0]) ** 2 + ((yy - c[1]) / r[1]) ** 2 + ((xx - c[2]) / r[2]) ** 2 <= 1.0
        mask[inside] = 1.0
    # smooth-ish background: low-frequency sinusoids + gaussian noise
    bg = 0.3 * np.sin(zz / rng.uniform(4, 9)) * np.cos(xx / rng.uniform(4, 9))
    img = bg + 0.8 * mask + rng.normal(0, 0.25, shape)
    # window / normalise like you would with HU values
    img = (img - img.mean()) / (img.std() + 1e-6)
    return img.astype(np.float32), mask


def make_split(n, seed):
    rng = np.random.default_rng(seed)
    pairs = [make_volume(rng) for _ in range(n)]
    x = np.stack([p[0] for p in pairs])[..., None]
    y = np.stack([p[1] for p in pairs])[..., None]
    return x, y


def random_flip_3d(vol, mask):
    # flip each spatial axis independently - vol & mask get the same flips
    for axis in (0, 1, 2):
        do_flip = tf.random.uniform([]) < 0.5
        vol = tf.cond(do_flip, lambda v=vol, a=axis: tf.reverse(v, [a]), lambda v=vol: v)
        mask = tf.cond(do_flip, lambda m=mask, a=axis: tf.reverse(m, [a]), lambda m=mask: m)
    return vol, mask


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
def conv_block(x, filters, name):
    for i in range(2):
        x = layers.Conv3D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = layers.BatchNormalization(name=f"{name}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{name}_relu{i}")(x)
    return x


def build_unet3d(input_shape, base=BASE_FILTERS, depth=DEPTH):
    inputs = keras.Input(input_shape)
    skips = []
    x = inputs
    for level in range(depth):
        x = conv_block(x, base * 2 ** level, name=f"enc{level}")
        skips.append(x)
        x = layers.MaxPooling3D(2, name=f"pool{level}")(x)

    x = conv_block(x, base * 2 ** depth, name="bottleneck")

    for level in reversed(range(depth)):
        x = layers.Conv3DTranspose(base * 2 ** level, 2, strides=2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = conv_block(x, base * 2 ** level, name=f"dec{level}")

    outputs = layers.Conv3D(1, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inputs, outputs, name="unet3d_small")


# --------------------------------------------------------------------------
# loss / metrics
# --------------------------------------------------------------------------
def soft_dice(y_true, y_pred, eps=1.0):
    axes = (1, 2, 3, 4)
    inter = tf.reduce_sum(y_true * y_pred, axis=axes)
    denom = tf.reduce_sum(y_true, axis=axes) + tf.reduce_sum(y_pred, axis=axes)
    return tf.reduce_mean((2.0 * inter + eps) / (denom + eps))


bce = keras.losses.BinaryCrossentropy()


def dice_bce_loss(y_true, y_pred):
    return bce(y_true, y_pred) + (1.0 - soft_dice(y_true, y_pred))


def hard_dice(y_true, y_pred, thr=0.5):
    return soft_dice(y_true, tf.cast(y_pred > thr, tf.float32), eps=1e-6)


# --------------------------------------------------------------------------
# training
# --------------------------------------------------------------------------
def main():
    x_tr, y_tr = make_split(N_VOLUMES, seed=1)
    x_va, y_va = make_split(8, seed=2)
    print(f"train {x_tr.shape}, foreground ratio {y_tr.mean():.3f}")

    train_ds = (
        tf.data.Dataset.from_tensor_slices((x_tr, y_tr))
        .shuffle(64)
        .map(random_flip_3d, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(BATCH_SIZE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val_ds = tf.data.Dataset.from_tensor_slices((x_va, y_va)).batch(BATCH_SIZE)

    model = build_unet3d(x_tr.shape[1:])
    print(f"params: {model.count_params():,}")
    opt = keras.optimizers.Adam(LR)
    loss_tracker = keras.metrics.Mean()
    val_dice = keras.metrics.Mean()

    @tf.function
    def train_step(vol, mask):
        with tf.GradientTape() as tape:
            pred = model(vol, training=True)
            loss = dice_bce_loss(mask, pred)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def eval_step(vol, mask):
        pred = model(vol, training=False)
        return hard_dice(mask, pred)

    for epoch in range(EPOCHS):
        t0 = time.time()
        loss_tracker.reset_state()
        val_dice.reset_state()
        for step, (vol, mask) in enumerate(train_ds):
            loss_tracker.update_state(train_step(vol, mask))
        for vol, mask in val_ds:
            val_dice.update_state(eval_step(vol, mask))
        print(
            f"epoch {epoch + 1}/{EPOCHS}  loss={loss_tracker.result():.4f}  "
            f"val_dice={val_dice.result():.4f}  ({time.time() - t0:.1f}s, {step + 1} steps)"
        )

    pred = model.predict(x_va[:2], verbose=0)
    for i, p in enumerate(pred):
        print(f"vol {i}: predicted fg voxels={int((p > 0.5).sum())}, true={int(y_va[i].sum())}")


if __name__ == "__main__":
    main()

# 3D U-Net for binary segmentation of synthetic "lesions" in MRI-like volumes.
# Custom training loop with tf.GradientTape + combined BCE/soft-Dice loss.
import time
import numpy as np
import tensorflow as tf
from tensorflow import keras
from keras import layers

VOL = (24, 24, 24)
N_VOLUMES = 64
BATCH = 4
STEPS = 12
BASE_FILTERS = 8
DEPTH = 2
np.random.seed(1234)
tf.random.set_seed(1234)


# ---------------------------------------------------------------- data ------
def make_volume(shape=VOL, max_lesions=3):
    d, h, w = shape
    zz, yy, xx = np.meshgrid(np.arange(d), np.arange(h), np.arange(w), indexing="ij")
    # smooth background "tissue" with a bias field
    bias = 0.3 + 0.2 * np.sin(xx / 9.0) * np.cos(yy / 11.0)
    vol = bias + np.random.normal(0, 0.08, shape)
    mask = np.zeros(shape, np.float32)
    for _ in range(np.random.randint(1, max_lesions + 1)):
        c = np.random.uniform(5, np.array(shape) - 5)
        r = np.random.uniform(2.5, 5.0)
        blob = ((zz - c[0]) ** 2 + (yy - c[1]) ** 2 + (xx - c[2]) ** 2) <= r ** 2
        vol[blob] += np.random.uniform(0.4, 0.7)
        mask[blob] = 1.0
    # z-score per volume, as is usual for MR intensities
    vol = (vol - vol.mean()) / (vol.std() + 1e-6)
    return vol[..., None].astype(np.float32), mask[..., None]


volumes, masks = map(np.stack, zip(*[make_volume() for _ in range(N_VOLUMES)]))
print(f"volumes {volumes.shape}, foreground fraction {masks.mean():.4f}")


def augment(vol, seg):
    # random flips along each spatial axis, applied identically to image and mask
    for axis in (0, 1, 2):
        do_flip = tf.random.uniform([]) < 0.5
        vol = tf.where(do_flip, tf.reverse(vol, [axis]), vol)
        seg = tf.where(do_flip, tf.reverse(seg, [axis]), seg)
    vol = vol + tf.random.normal(tf.shape(vol), stddev=0.05)
    return vol, seg


train_ds = (tf.data.Dataset.from_tensor_slices((volumes[:56], masks[:56]))
            .shuffle(56).map(augment).batch(BATCH).repeat())
val_ds = tf.data.Dataset.from_tensor_slices((volumes[56:], masks[56:])).batch(BATCH)


# --------------------------------------------------------------- model ------
def conv_block(x, filters, name):
    for i in range(2):
        x = layers.Conv3D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv{i}")(x)
        x = layers.GroupNormalization(groups=4, name=f"{name}_gn{i}")(x)
        x = layers.LeakyReLU(0.1, name=f"{name}_act{i}")(x)
    return x


def unet3d(input_shape=(*VOL, 1), base=BASE_FILTERS, depth=DEPTH):
    inputs = keras.Input(input_shape)
    skips, x = [], inputs
    for level in range(depth):
        x = conv_block(x, base * 2 ** level, f"enc{level}")
        skips.append(x)
        x = layers.MaxPooling3D(2, name=f"down{level}")(x)
    x = conv_block(x, base * 2 ** depth, "bottleneck")
    for level in reversed(range(depth)):
        x = layers.Conv3DTranspose(base * 2 ** level, 2, strides=2, name=f"up{level}")(x)
        x = layers.Concatenate(name=f"skip{level}")([x, skips[level]])
        x = conv_block(x, base * 2 ** level, f"dec{level}")
    logits = layers.Conv3D(1, 1, name="logits")(x)
    return keras.Model(inputs, logits, name="unet3d")


def soft_dice(y_true, probs, eps=1.0):
    axes = (1, 2, 3, 4)
    inter = tf.reduce_sum(y_true * probs, axis=axes)
    denom = tf.reduce_sum(y_true, axis=axes) + tf.reduce_sum(probs, axis=axes)
    return (2.0 * inter + eps) / (denom + eps)


bce = keras.losses.BinaryCrossentropy(from_logits=True)


def seg_loss(y_true, logits):
    return bce(y_true, logits) + tf.reduce_mean(1.0 - soft_dice(y_true, tf.sigmoid(logits)))


model = unet3d()
print(f"U-Net params: {model.count_params():,}")
optimizer = keras.optimizers.Adam(learning_rate=3e-3)
loss_tracker = keras.metrics.Mean(name="loss")
dice_tracker = keras.metrics.Mean(name="dice")


@tf.function
def train_step(x, y):
    with tf.GradientTape() as tape:
        logits = model(x, training=True)
        loss = seg_loss(y, logits)
    grads = tape.gradient(loss, model.trainable_variables)
    grads, _ = tf.clip_by_global_norm(grads, 5.0)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    hard = tf.cast(tf.sigmoid(logits) > 0.5, tf.float32)
    loss_tracker.update_state(loss)
    dice_tracker.update_state(soft_dice(y, hard))
    return loss


@tf.function
def eval_step(x, y):
    logits = model(x, training=False)
    hard = tf.cast(tf.sigmoid(logits) > 0.5, tf.float32)
    return seg_loss(y, logits), soft_dice(y, hard)


t0 = time.time()
for step, (xb, yb) in enumerate(train_ds.take(STEPS), start=1):
    train_step(xb, yb)
    if step % 4 == 0:
        print(f"step {step:3d} | loss {loss_tracker.result():.4f} | dice {dice_tracker.result():.4f} "
              f"| {time.time() - t0:.1f}s")
        loss_tracker.reset_state()
        dice_tracker.reset_state()

val_losses, val_dice = [], []
for xb, yb in val_ds:
    l, d = eval_step(xb, yb)
    val_losses.append(float(l))
    val_dice.extend(d.numpy().tolist())
print(f"validation: loss={np.mean(val_losses):.4f}  dice per volume={np.round(val_dice, 3)}")

# U-Net for arbitrary (odd, non-square) image sizes.
#
# With padding="same" convs and 2x2 pooling, a 75-pixel map pools to 37, and
# upsampling 37 gives 74 -- one short of the skip tensor. Instead of resizing the
# input, we ZeroPad the upsampled decoder tensor so it lines up with the skip.
# Multi-class (background / square / cross) with a combined CE + soft dice loss.

import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

CONFIG = {
    "height": 75,
    "width": 59,
    "num_classes": 3,
    "filters": [8, 16, 32],
    "batch_size": 12,
    "epochs": 2,
    "n_train": 96,
    "n_val": 24,
    "lr": 2e-3,
}

np.random.seed(3)
keras.utils.set_random_seed(3)


# --------------------------------------------------------------------------
# synthetic data
# --------------------------------------------------------------------------
def draw_sample(h, w):
    img = np.random.rand(h, w, 3).astype("float32") * 0.3
    label = np.zeros((h, w), dtype="int32")
    for _ in range(np.random.randint(2, 5)):
        kind = np.random.randint(1, 3)
        s = np.random.randint(6, 14)
        y0 = np.random.randint(0, h - s)
        x0 = np.random.randint(0, w - s)
        color = np.random.rand(3) * 0.7 + 0.3
        if kind == 1:  # filled square
            img[y0:y0 + s, x0:x0 + s] = color
            label[y0:y0 + s, x0:x0 + s] = 1
        else:  # plus sign
            t = max(2, s // 4)
            c = s // 2
            img[y0:y0 + s, x0 + c - t // 2:x0 + c + t // 2 + 1] = color
            img[y0 + c - t // 2:y0 + c + t // 2 + 1, x0:x0 + s] = color
            label[y0:y0 + s, x0 + c - t // 2:x0 + c + t // 2 + 1] = 2
            label[y0 + c - t // 2:y0 + c + t // 2 + 1, x0:x0 + s] = 2
    return img, label


def make_dataset(n, training):
    pairs = [draw_sample(CONFIG["height"], CONFIG["width"]) for _ in range(n)]
    x = np.stack([p[0] for p in pairs])
    y = np.stack([p[1] for p in pairs])[..., None]
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if training:
        ds = ds.shuffle(n).map(random_flip, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(CONFIG["batch_size"]).prefetch(tf.data.AUTOTUNE)


def random_flip(image, label):
    # same flip decision for image and mask; decided by a tensor -> tf.cond
    do_flip = tf.random.uniform([]) > 0.5
    image = tf.cond(do_flip, lambda: tf.image.flip_left_right(image), lambda: image)
    label = tf.cond(do_flip, lambda: tf.image.flip_left_right(label), lambda: label)
    do_vflip = tf.random.uniform([]) > 0.5
    image = tf.where(do_vflip, tf.reverse(image, axis=[0]), image)
    label = tf.where(do_vflip, tf.reverse(label, axis=[0]), label)
    return image, label


# --------------------------------------------------------------------------
# model
# --------------------------------------------------------------------------
def conv_block(x, f, prefix):
    for i in range(2):
        x = layers.Conv2D(f, 3, padding="same", use_bias=False, name=f"{prefix}_conv{i}")(x)
        x = layers.BatchNormalization(name=f"{prefix}_bn{i}")(x)
        x = layers.Activation("relu", name=f"{prefix}_relu{i}")(x)
    return x


def pad_to_match(x, ref, prefix):
    """ZeroPad x (spatially) so it has the same H, W as ref. Static shapes only."""
    dh = ref.shape[1] - x.shape[1]
    dw = ref.shape[2] - x.shape[2]
    if dh == 0 and dw == 0:
        return x
    padding = ((dh // 2, dh - dh // 2), (dw // 2, dw - dw // 2))
    return layers.ZeroPadding2D(padding=padding, name=f"{prefix}_pad")(x)


def build_model(cfg):
    inp = keras.Input((cfg["height"], cfg["width"], 3))
    skips, x = [], inp
    for i, f in enumerate(cfg["filters"][:-1]):
        x = conv_block(x, f, f"down{i}")
        skips.append(x)
        x = layers.MaxPooling2D(name=f"down{i}_pool")(x)
    x = conv_block(x, cfg["filters"][-1], "mid")

    for i, (f, skip) in reversed(list(enumerate(zip(cfg["filters"][:-1], skips)))):
        x = layers.UpSampling2D(interpolation="bilinear", name=f"up{i}_upsample")(x)
        x = layers.Conv2D(f, 1, name=f"up{i}_proj")(x)
        x = pad_to_match(x, skip, f"up{i}")
        x = layers.Concatenate(name=f"up{i}_concat")([x, skip])
        x = conv_block(x, f, f"up{i}")

    logits = layers.Conv2D(cfg["num_classes"], 1, name="logits")(x)
    return keras.Model(inp, logits, name="odd_unet")


def soft_dice_ce(num_classes, smooth=1.0):
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def loss_fn(y_true, y_pred):
        y_true_i = tf.cast(tf.squeeze(y_true, -1), tf.int32)
        onehot = tf.one_hot(y_true_i, num_classes)
        probs = tf.nn.softmax(y_pred, axis=-1)
        inter = tf.reduce_sum(onehot * probs, axis=[1, 2])
        denom = tf.reduce_sum(onehot + probs, axis=[1, 2])
        dice = (2.0 * inter + smooth) / (denom + smooth)
        return ce(y_true, y_pred) + (1.0 - tf.reduce_mean(dice))

    return loss_fn


if __name__ == "__main__":
    model = build_model(CONFIG)
    for layer in model.layers:
        if isinstance(layer, layers.ZeroPadding2D):
            print(f"{layer.name:>14}: padding={layer.padding} -> {layer.output.shape}")

    train_ds = make_dataset(CONFIG["n_train"], training=True)
    val_ds = make_dataset(CONFIG["n_val"], training=False)

    steps = math.ceil(CONFIG["n_train"] / CONFIG["batch_size"]) * CONFIG["epochs"]
    schedule = keras.optimizers.schedules.CosineDecay(CONFIG["lr"], decay_steps=steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=soft_dice_ce(CONFIG["num_classes"]),
        metrics=[keras.metrics.MeanIoU(num_classes=CONFIG["num_classes"],
                                       sparse_y_pred=False, name="miou")],
    )
    model.fit(train_ds, validation_data=val_ds, epochs=CONFIG["epochs"], verbose=2)

    x_val, y_val = next(iter(val_ds))
    pred = tf.argmax(model(x_val, training=False), axis=-1)
    print("prediction", pred.shape, "label", y_val.shape)
    per_class = [float(tf.reduce_mean(tf.cast(pred == c, tf.float32))) for c in range(CONFIG["num_classes"])]
    print("predicted class fractions:", [f"{p:.3f}" for p in per_class])

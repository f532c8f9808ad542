"""2-D U-Net for binary lesion segmentation on synthetic "CT slices".

Classic Ronneberger-style encoder/decoder built with the functional API,
trained with a combined BCE + soft Dice loss. The data generator draws
random ellipses ("lesions") on a noisy background so the script runs
without any dataset download.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------
IMG_SIZE = 64
N_CHANNELS = 1
BASE_FILTERS = 8
DEPTH = 3
BATCH_SIZE = 8
N_TRAIN = 64
N_VAL = 16
EPOCHS = 1
SMOOTH = 1.0
SEED = 42

rng = np.random.default_rng(SEED)
tf.random.set_seed(SEED)


def make_synthetic_slice(size=IMG_SIZE, max_lesions=3):
    """Return (image, mask) pair: gaussian noise + bright ellipses."""
    yy, xx = np.mgrid[:size, :size]
    img = rng.normal(0.0, 0.15, (size, size)).astype("float32")
    mask = np.zeros((size, size), dtype="float32")
    for _ in range(rng.integers(1, max_lesions + 1)):
        cy, cx = rng.integers(10, size - 10, size=2)
        ry, rx = rng.integers(3, 10, size=2)
        ell = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1.0
        mask[ell] = 1.0
        img[ell] += rng.uniform(0.5, 1.0)
    # simple windowing / normalisation as you'd do for HU values
    img = (img - img.mean()) / (img.std() + 1e-6)
    return img[..., None], mask[..., None]


def build_arrays(n):
    pairs = [make_synthetic_slice() for _ in range(n)]
    x = np.stack([p[0] for p in pairs])
    y = np.stack([p[1] for p in pairs])
    return x, y


# ---------------------------------------------------------------------------
# Losses / metrics
# ---------------------------------------------------------------------------
def dice_coef(y_true, y_pred, smooth=SMOOTH):
    y_true_f = tf.reshape(tf.cast(y_true, tf.float32), [-1])
    y_pred_f = tf.reshape(y_pred, [-1])
    intersection = tf.reduce_sum(y_true_f * y_pred_f)
    return (2.0 * intersection + smooth) / (
        tf.reduce_sum(y_true_f) + tf.reduce_sum(y_pred_f) + smooth
    )


def dice_loss(y_true, y_pred):
    return 1.0 - dice_coef(y_true, y_pred)


def bce_dice_loss(y_true, y_pred):
    bce = keras.losses.binary_crossentropy(y_true, y_pred)
    return tf.reduce_mean(bce) + dice_loss(y_true, y_pred)


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    x = layers.BatchNormalization(name=f"{name}_bn1")(x)
    x = layers.Activation("relu", name=f"{name}_relu1")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(x)
    x = layers.BatchNormalization(name=f"{name}_bn2")(x)
    x = layers.Activation("relu", name=f"{name}_relu2")(x)
    return x


def build_unet(input_shape=(IMG_SIZE, IMG_SIZE, N_CHANNELS), base=BASE_FILTERS, depth=DEPTH):
    inputs = keras.Input(shape=input_shape, name="ct_slice")
    skips = []
    x = inputs
    for d in range(depth):
        x = conv_block(x, base * 2 ** d, name=f"enc{d}")
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"pool{d}")(x)

    x = conv_block(x, base * 2 ** depth, name="bottleneck")
    x = layers.SpatialDropout2D(0.1)(x)

    for d in reversed(range(depth)):
        x = layers.Conv2DTranspose(base * 2 ** d, 2, strides=2, padding="same",
                                   name=f"up{d}")(x)
        x = layers.Concatenate(axis=-1, name=f"skip{d}")([x, skips[d]])
        x = conv_block(x, base * 2 ** d, name=f"dec{d}")

    outputs = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inputs, outputs, name="unet2d")


if __name__ == "__main__":
    x_train, y_train = build_arrays(N_TRAIN)
    x_val, y_val = build_arrays(N_VAL)
    print("train:", x_train.shape, y_train.shape, "foreground frac:", y_train.mean().round(3))

    model = build_unet()
    model.summary(line_length=100)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=bce_dice_loss,
        metrics=[dice_coef, keras.metrics.BinaryIoU(target_class_ids=[1], threshold=0.5, name="iou")],
    )
    history = model.fit(
        x_train, y_train,
        validation_data=(x_val, y_val),
        batch_size=BATCH_SIZE,
        epochs=EPOCHS,
        verbose=2,
    )

    preds = model.predict(x_val[:4], verbose=0)
    binary = (preds > 0.5).astype("float32")
    per_case = [float(dice_coef(y_val[i], binary[i])) for i in range(len(binary))]
    print("pred shape:", preds.shape)
    print("per-case dice (thresholded):", np.round(per_case, 3))

"""Sentinel-2 land-cover segmentation with a small U-Net.

Multi-band (13 band) tiles are normalised per band, an NDVI channel is
appended on the fly, and the network is trained with a combined
BCE + soft Dice loss. Synthetic tiles stand in for the real L2A product.
"""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# --- config -----------------------------------------------------------------
TILE = 64
N_BANDS = 13            # B1..B12 + B8A
RED_IDX, NIR_IDX = 3, 7  # B4 and B8 in band order
N_CLASSES = 1           # binary: water / not water
BATCH = 4
N_TILES = 12
BASE_FILTERS = 8
SEED = 42

# rough per-band reflectance stats (scaled by 1e4 as in the L2A product)
BAND_MEAN = np.linspace(0.08, 0.25, N_BANDS).astype("float32")
BAND_STD = np.linspace(0.03, 0.09, N_BANDS).astype("float32")


def make_fake_tiles(n, seed=SEED):
    rng = np.random.default_rng(seed)
    x = rng.normal(BAND_MEAN, BAND_STD, size=(n, TILE, TILE, N_BANDS)).astype("float32")
    x = np.clip(x, 0.0, 1.0) * 10000.0  # raw DN values
    # fake water mask: a blob where NIR is low
    yy, xx = np.mgrid[:TILE, :TILE]
    masks = []
    for i in range(n):
        cy, cx = rng.integers(10, TILE - 10, size=2)
        r = rng.integers(6, 16)
        m = ((yy - cy) ** 2 + (xx - cx) ** 2) < r ** 2
        x[i, m, NIR_IDX] *= 0.2
        masks.append(m)
    y = np.stack(masks)[..., None].astype("float32")
    return x, y


def augment(image, mask):
    # random flip + 90 degree rotation, applied jointly to image and mask
    stacked = tf.concat([image, mask], axis=-1)
    stacked = tf.image.random_flip_left_right(stacked)
    stacked = tf.image.random_flip_up_down(stacked)
    k = tf.random.uniform([], 0, 4, dtype=tf.int32)
    stacked = tf.image.rot90(stacked, k)
    return stacked[..., :N_BANDS], stacked[..., N_BANDS:]


def scale_dn(image, mask):
    return tf.cast(image, tf.float32) / 10000.0, mask


def build_dataset(x, y, training=True):
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    ds = ds.map(scale_dn, num_parallel_calls=tf.data.AUTOTUNE)
    if training:
        ds = ds.shuffle(64, seed=SEED).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    return ds.batch(BATCH).prefetch(tf.data.AUTOTUNE)


class SpectralIndex(layers.Layer):
    """Appends a normalised difference index (e.g. NDVI) as an extra channel."""

    def __init__(self, band_a, band_b, eps=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.band_a = band_a
        self.band_b = band_b
        self.eps = eps

    def call(self, x):
        a = x[..., self.band_a:self.band_a + 1]
        b = x[..., self.band_b:self.band_b + 1]
        idx = (a - b) / (a + b + self.eps)
        return tf.concat([x, idx], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (input_shape[-1] + 1,)

    def get_config(self):
        cfg = super().get_config()
        cfg.update(band_a=self.band_a, band_b=self.band_b, eps=self.eps)
        return cfg


def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_c1")(x)
    x = layers.BatchNormalization(name=f"{name}_bn1")(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_c2")(x)
    x = layers.BatchNormalization(name=f"{name}_bn2")(x)
    return layers.Activation("relu")(x)


def build_unet(depth=3):
    inp = keras.Input(shape=(TILE, TILE, N_BANDS), name="s2_tile")
    norm = layers.Normalization(mean=BAND_MEAN, variance=BAND_STD ** 2, name="band_norm")
    # NDVI on raw reflectances, then normalise the spectral bands
    ndvi_in = SpectralIndex(NIR_IDX, RED_IDX, name="ndvi")(inp)
    x = layers.Concatenate()([norm(inp), ndvi_in[..., -1:]])

    skips = []
    for d in range(depth):
        x = conv_block(x, BASE_FILTERS * 2 ** d, name=f"enc{d}")
        skips.append(x)
        x = layers.MaxPooling2D(2)(x)

    x = conv_block(x, BASE_FILTERS * 2 ** depth, name="bottleneck")

    for d in reversed(range(depth)):
        x = layers.Conv2DTranspose(BASE_FILTERS * 2 ** d, 2, strides=2, padding="same")(x)
        x = layers.Concatenate()([x, skips[d]])
        x = conv_block(x, BASE_FILTERS * 2 ** d, name=f"dec{d}")

    out = layers.Conv2D(N_CLASSES, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inp, out, name="s2_unet")


def dice_coef(y_true, y_pred, smooth=1.0):
    y_true = tf.reshape(y_true, [tf.shape(y_true)[0], -1])
    y_pred = tf.reshape(y_pred, [tf.shape(y_pred)[0], -1])
    inter = tf.reduce_sum(y_true * y_pred, axis=1)
    denom = tf.reduce_sum(y_true, axis=1) + tf.reduce_sum(y_pred, axis=1)
    return tf.reduce_mean((2.0 * inter + smooth) / (denom + smooth))


def bce_dice_loss(y_true, y_pred):
    bce = keras.losses.binary_crossentropy(y_true, y_pred)
    return tf.reduce_mean(bce) + (1.0 - dice_coef(y_true, y_pred))


if __name__ == "__main__":
    tf.random.set_seed(SEED)
    x, y = make_fake_tiles(N_TILES)
    split = int(0.75 * N_TILES)
    train_ds = build_dataset(x[:split], y[:split])
    val_ds = build_dataset(x[split:], y[split:], training=False)

    model = build_unet()
    model.summary(line_length=100)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=bce_dice_loss,
        metrics=[dice_coef, keras.metrics.BinaryIoU(target_class_ids=[1], name="iou")],
    )
    hist = model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

    preds = model.predict(val_ds, verbose=0)
    print("pred shape:", preds.shape, "water fraction:", float((preds > 0.5).mean()))

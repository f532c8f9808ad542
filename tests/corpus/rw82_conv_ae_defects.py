"""Convolutional autoencoder for surface-defect detection (MVTec-AD style).

Trains on defect-free texture patches, then produces per-pixel anomaly maps
from the (SSIM + L1) reconstruction residual. Images with a max-pooled
anomaly score above mean + k*std of the good-sample scores get flagged.
Synthetic stripes stand in for the real "carpet"/"grid" categories.
"""
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
import keras
from keras import layers


@dataclass
class Config:
    img_size: int = 64
    channels: int = 1
    n_train: int = 256
    n_test_good: int = 32
    n_test_bad: int = 32
    batch_size: int = 32
    epochs: int = 1
    base_filters: int = 16
    latent_channels: int = 32
    lr: float = 2e-3
    k_sigma: float = 3.0
    ssim_weight: float = 0.5
    seed: int = 7


cfg = Config()
tf.random.set_seed(cfg.seed)
rng = np.random.default_rng(cfg.seed)


# ----------------------------------------------------------------------------
# synthetic textures
# ----------------------------------------------------------------------------
def stripe_texture(n, size, rng):
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    freq = rng.uniform(0.25, 0.35, size=(n, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1))
    img = 0.5 + 0.4 * np.sin(freq * xx[None] + phase)
    img += rng.normal(0, 0.03, size=img.shape)
    return np.clip(img, 0, 1)[..., None].astype("float32")


def add_defects(images, rng):
    """Paint a random scratch/blob on each image, return images + GT masks."""
    out = images.copy()
    masks = np.zeros(images.shape[:3], dtype="float32")
    size = images.shape[1]
    for i in range(len(out)):
        r = rng.integers(3, 8)
        cy, cx = rng.integers(r, size - r, size=2)
        yy, xx = np.ogrid[:size, :size]
        blob = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
        out[i, blob, 0] = rng.uniform(0.0, 1.0)
        masks[i, blob] = 1.0
    return out, masks


x_train = stripe_texture(cfg.n_train, cfg.img_size, rng)
x_good = stripe_texture(cfg.n_test_good, cfg.img_size, rng)
x_bad, gt_masks = add_defects(stripe_texture(cfg.n_test_bad, cfg.img_size, rng), rng)
print("train:", x_train.shape, "test good/bad:", x_good.shape, x_bad.shape)


def augment(img):
    img = tf.image.random_flip_left_right(img)
    img = tf.image.random_flip_up_down(img)
    img = tf.image.random_brightness(img, 0.05)
    img = tf.clip_by_value(img, 0.0, 1.0)
    return img, img  # autoencoder target == input


train_ds = (
    tf.data.Dataset.from_tensor_slices(x_train)
    .shuffle(cfg.n_train, seed=cfg.seed)
    .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    .batch(cfg.batch_size, drop_remainder=True)
    .prefetch(tf.data.AUTOTUNE)
)


# ----------------------------------------------------------------------------
# model
# ----------------------------------------------------------------------------
def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, strides=2, padding="same", name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def deconv_block(x, filters, name):
    x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", name=f"{name}_deconv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.LeakyReLU(0.2, name=f"{name}_act")(x)


def build_conv_ae(cfg: Config) -> keras.Model:
    inp = keras.Input((cfg.img_size, cfg.img_size, cfg.channels), name="image")
    x = inp
    filters = [cfg.base_filters * m for m in (1, 2, 4)]
    for i, f in enumerate(filters):
        x = conv_block(x, f, name=f"enc{i}")
    # 64 -> 8 spatial; squeeze channels for a tight bottleneck
    z = layers.Conv2D(cfg.latent_channels, 1, activation="tanh", name="latent")(x)
    x = z
    for i, f in enumerate(reversed(filters)):
        x = deconv_block(x, f, name=f"dec{i}")
    out = layers.Conv2D(cfg.channels, 3, padding="same", activation="sigmoid", name="recon")(x)
    return keras.Model(inp, out, name="conv_ae")


class SSIML1Loss(keras.losses.Loss):
    def __init__(self, ssim_weight=0.5, name="ssim_l1"):
        super().__init__(name=name)
        self.ssim_weight = ssim_weight

    def call(self, y_true, y_pred):
        ssim = tf.image.ssim(y_true, y_pred, max_val=1.0, filter_size=7)
        l1 = tf.reduce_mean(tf.abs(y_true - y_pred), axis=[1, 2, 3])
        return self.ssim_weight * (1.0 - ssim) + (1.0 - self.ssim_weight) * l1

    def get_config(self):
        return {"ssim_weight": self.ssim_weight, "name": self.name}


model = build_conv_ae(cfg)
model.summary(line_length=90)
model.compile(optimizer=keras.optimizers.Adam(cfg.lr), loss=SSIML1Loss(cfg.ssim_weight))
model.fit(train_ds, epochs=cfg.epochs, verbose=2)


# ----------------------------------------------------------------------------
# anomaly maps + image-level scoring
# ----------------------------------------------------------------------------
@tf.function(reduce_retracing=True)
def anomaly_map(images):
    recon = model(images, training=False)
    residual = tf.reduce_mean(tf.abs(images - recon), axis=-1, keepdims=True)
    # light gaussian-ish smoothing with a 5x5 box filter
    kernel = tf.ones([5, 5, 1, 1], dtype=residual.dtype) / 25.0
    smoothed = tf.nn.depthwise_conv2d(residual, kernel, strides=[1, 1, 1, 1], padding="SAME")
    return tf.squeeze(smoothed, -1)


def image_scores(maps):
    # max over a 4x4-pooled map is less noisy than raw max pixel
    pooled = tf.nn.avg_pool2d(maps[..., None], ksize=4, strides=4, padding="VALID")
    return tf.reduce_max(pooled, axis=[1, 2, 3]).numpy()


train_maps = anomaly_map(tf.constant(x_train[:128]))
good_maps = anomaly_map(tf.constant(x_good))
bad_maps = anomaly_map(tf.constant(x_bad))
print("anomaly map shape:", good_maps.shape)

ref = image_scores(train_maps)
threshold = ref.mean() + cfg.k_sigma * ref.std()
s_good, s_bad = image_scores(good_maps), image_scores(bad_maps)
print(f"threshold={threshold:.4f}  good mean={s_good.mean():.4f}  bad mean={s_bad.mean():.4f}")

labels = np.concatenate([np.zeros_like(s_good), np.ones_like(s_bad)])
scores = np.concatenate([s_good, s_bad])
preds = scores > threshold
print("image-level acc: %.3f" % np.mean(preds == labels.astype(bool)))

# pixel-level: binarize the map with the pixel p99 of training residuals
pix_thr = np.percentile(train_maps.numpy().ravel(), 99)
seg = (bad_maps.numpy() > pix_thr).astype("float32")
inter = (seg * gt_masks).sum(axis=(1, 2))
union = np.clip(seg + gt_masks, 0, 1).sum(axis=(1, 2))
print("mean defect IoU: %.3f" % np.mean(inter / np.maximum(union, 1)))

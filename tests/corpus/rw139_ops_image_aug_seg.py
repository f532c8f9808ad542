# %% [markdown]
# Segmentation with keras.ops.image everywhere
# - joint image/mask geometric augmentation with ops.image.affine_transform
#   (bilinear for the image, nearest for the mask so labels stay integers)
# - photometric jitter via rgb_to_hsv / hsv_to_rgb and gaussian_blur
# - pad_images + crop_images for a "pad then crop" translation jitter
# - in-model: rgb_to_grayscale + sobel_edges as extra input channels,
#   decoder aligns to skip connections with ops.image.resize
# - post-hoc analysis: extract_patches, map_coordinates, ssim

# %%
import math
import numpy as np
import tensorflow as tf
import keras
from keras import ops, layers

H = W = 48
N_IMAGES = 192
BATCH = 16
PAD = 6
MAX_ROT_DEG = 20.0
MAX_SHIFT = 4.0

keras.utils.set_random_seed(1234)


# %%
def synth_cells(n, size=H):
    """'Cells': soft gaussian blobs; mask = blob intensity above threshold."""
    yy, xx = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    imgs = np.zeros((n, size, size, 3), "float32")
    masks = np.zeros((n, size, size, 1), "float32")
    for k in range(n):
        field = np.zeros((size, size), "float32")
        for _ in range(np.random.randint(2, 6)):
            cy, cx = np.random.uniform(6, size - 6, 2)
            sy, sx = np.random.uniform(2.5, 6.0, 2)
            field = np.maximum(field, np.exp(-((yy - cy) ** 2 / (2 * sy**2) + (xx - cx) ** 2 / (2 * sx**2))))
        tint = np.random.uniform(0.4, 1.0, 3)
        imgs[k] = field[..., None] * tint + np.random.uniform(0, 0.15, 3)
        masks[k, ..., 0] = field > 0.5
    return np.clip(imgs, 0, 1), masks


images, masks = synth_cells(N_IMAGES)
print("images", images.shape, "mask coverage", masks.mean().round(3))


# %%
def rotation_shift_transform(angle, dx, dy, size):
    """8-vector projective transform (output->input mapping) for affine_transform."""
    c = size / 2.0
    cos, sin = tf.cos(angle), tf.sin(angle)
    a0, a1 = cos, -sin
    b0, b1 = sin, cos
    a2 = c - a0 * c - a1 * c + dx
    b2 = c - b0 * c - b1 * c + dy
    zero = tf.zeros_like(angle)
    return tf.stack([a0, a1, a2, b0, b1, b2, zero, zero])


def augment(image, mask):
    # geometric: one random transform applied to both tensors
    angle = tf.random.uniform([], -MAX_ROT_DEG, MAX_ROT_DEG) * math.pi / 180.0
    shift = tf.random.uniform([2], -MAX_SHIFT, MAX_SHIFT)
    t = rotation_shift_transform(angle, shift[0], shift[1], float(H))
    image = ops.image.affine_transform(image, t, interpolation="bilinear", fill_mode="reflect")
    mask = ops.image.affine_transform(mask, t, interpolation="nearest", fill_mode="constant")

    # pad, then crop back at a random offset (tensor-valued offset -> tf.slice)
    image = ops.image.pad_images(image, PAD, PAD, PAD, PAD)
    mask = ops.image.pad_images(mask, PAD, PAD, PAD, PAD)
    off = tf.random.uniform([2], 0, 2 * PAD + 1, dtype=tf.int32)
    image = tf.slice(image, [off[0], off[1], 0], [H, W, 3])
    mask = tf.slice(mask, [off[0], off[1], 0], [H, W, 1])

    # photometric, image only
    hsv = ops.image.rgb_to_hsv(image)
    hue = tf.math.floormod(hsv[..., 0:1] + tf.random.uniform([], -0.08, 0.08), 1.0)
    sat = tf.clip_by_value(hsv[..., 1:2] * tf.random.uniform([], 0.7, 1.3), 0.0, 1.0)
    image = ops.image.hsv_to_rgb(tf.concat([hue, sat, hsv[..., 2:]], axis=-1))
    blurred = ops.image.gaussian_blur(image[None], kernel_size=(5, 5), sigma=(1.2, 1.2))[0]
    image = tf.where(tf.random.uniform([]) < 0.3, blurred, image)
    return image, mask


def center_view(image, mask):
    # validation images go through the same pad+crop but always at the center
    image = ops.image.crop_images(ops.image.pad_images(image, PAD, PAD, PAD, PAD),
                                  PAD, PAD, target_height=H, target_width=W)
    return image, mask


n_val = 32
train_ds = (tf.data.Dataset.from_tensor_slices((images[n_val:], masks[n_val:]))
            .shuffle(256)
            .map(augment, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(BATCH)
            .prefetch(tf.data.AUTOTUNE))
val_ds = (tf.data.Dataset.from_tensor_slices((images[:n_val], masks[:n_val]))
          .map(center_view)
          .batch(BATCH))

xb, yb = next(iter(train_ds))
print("augmented batch:", xb.shape, yb.shape, "mask values:", np.unique(yb.numpy()).tolist())


# %%
class EdgeFeatures(layers.Layer):
    """Appends grayscale + Sobel magnitude channels to the RGB input."""

    def call(self, x):
        gray = ops.image.rgb_to_grayscale(x)
        edges = ops.image.sobel_edges(gray)           # (B, H, W, 1, 2): dy, dx per channel
        mag = ops.sqrt(ops.sum(ops.square(edges), axis=-1) + 1e-6)   # (B, H, W, 1)
        return ops.concatenate([x, gray, mag], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (input_shape[-1] + 2,)


class ResizeLike(layers.Layer):
    """Resize inputs[0] to the spatial size of inputs[1] (static shapes)."""

    def __init__(self, interpolation="bilinear", **kw):
        super().__init__(**kw)
        self.interpolation = interpolation

    def call(self, inputs):
        x, ref = inputs
        return ops.image.resize(x, (ref.shape[1], ref.shape[2]), interpolation=self.interpolation)

    def compute_output_shape(self, input_shapes):
        x, ref = input_shapes
        return (x[0], ref[1], ref[2], x[3])


def build(widths=(12, 24, 48)):
    inp = keras.Input((H, W, 3))
    x = EdgeFeatures(name="edge_feats")(inp)
    skips = []
    for i, w in enumerate(widths):
        x = layers.Conv2D(w, 3, padding="same", activation="relu", name=f"enc{i}a")(x)
        x = layers.Conv2D(w, 3, padding="same", activation="relu", name=f"enc{i}b")(x)
        if i < len(widths) - 1:
            skips.append(x)
            # ceil-mode pooling: H=48 -> 24 -> 12, works for odd sizes too
            x = layers.MaxPooling2D(2, padding="same", name=f"pool{i}")(x)
    for i, skip in reversed(list(enumerate(skips))):
        x = ResizeLike(name=f"resize{i}")([x, skip])
        x = layers.Concatenate(name=f"skipcat{i}")([x, skip])
        x = layers.Conv2D(widths[i], 3, padding="same", activation="relu", name=f"dec{i}")(x)
    out = layers.Conv2D(1, 1, activation="sigmoid", name="mask")(x)
    return keras.Model(inp, out, name="ops_image_unet")


model = build()
model.compile(
    optimizer=keras.optimizers.RMSprop(2e-3),
    loss=keras.losses.BinaryFocalCrossentropy(gamma=1.5),
    metrics=[keras.metrics.BinaryIoU(target_class_ids=[1], name="iou"), "binary_accuracy"],
)
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)


# %% post-hoc analysis with more ops.image helpers
val_x, val_y = next(iter(val_ds))
pred = model.predict(val_x, verbose=0)

# patch-level occupancy: fraction of foreground inside each 8x8 tile
patches_pred = ops.image.extract_patches(pred, size=(8, 8))          # (B, 6, 6, 64)
patches_true = ops.image.extract_patches(val_y, size=(8, 8))
occ_pred = ops.convert_to_numpy(ops.mean(patches_pred > 0.5, axis=-1))
occ_true = ops.convert_to_numpy(ops.mean(patches_true, axis=-1))
print("patch grid:", occ_pred.shape, "| mean abs occupancy error:", np.abs(occ_pred - occ_true).mean().round(4))

# sample the probability map at a few sub-pixel locations (e.g., predicted centroids)
fg = np.argwhere(val_y.numpy()[0, ..., 0] > 0)
centroid = fg.mean(0) if len(fg) else np.array([H / 2, W / 2])
pts = np.stack([centroid + d for d in ([0, 0], [0.5, -0.5], [3.3, 2.1])]).T      # (2, n_pts)
probs_at = ops.image.map_coordinates(pred[0, ..., 0], pts.astype("float32"), order=1)
print("prob at centroid-ish points:", np.round(ops.convert_to_numpy(probs_at), 3).tolist())

sim = ops.image.ssim(ops.convert_to_tensor(pred), ops.cast(val_y, "float32"), max_val=1.0, filter_size=7)
print("SSIM(pred, gt):", float(ops.mean(sim)))

# %% [markdown]
# # ROI crops with tf.image
# Synthetic scenes with one object (square / cross / disc) somewhere in a
# 48x48 canvas. The tf.data pipeline does random crop + pad + resize, and the
# model uses tf.image.crop_and_resize on its own feature map (RoIAlign-lite)
# driven by the (jittered) ground-truth box.

# %%
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG = 48
OUT = 40            # network input size after augmentation
ROI = 8             # pooled roi size on the feature map
CLASSES = ["square", "cross", "disc"]
N = 360
BATCH = 32
AUTOTUNE = tf.data.AUTOTUNE

rng = np.random.default_rng(99)
tf.random.set_seed(99)


# %%
def draw(kind, size):
    yy, xx = np.mgrid[:size, :size]
    c = (size - 1) / 2
    if kind == 0:
        m = np.ones((size, size), bool)
    elif kind == 1:
        w = max(1, size // 4)
        m = (np.abs(yy - c) <= w) | (np.abs(xx - c) <= w)
    else:
        m = (yy - c) ** 2 + (xx - c) ** 2 <= c ** 2
    return m


def make_scene(kind):
    img = rng.normal(0.2, 0.05, (IMG, IMG, 3)).astype("float32")
    size = int(rng.integers(10, 22))
    y0 = int(rng.integers(0, IMG - size))
    x0 = int(rng.integers(0, IMG - size))
    color = rng.uniform(0.5, 1.0, 3)
    img[y0:y0 + size, x0:x0 + size][draw(kind, size)] = color
    box = np.array([y0, x0, y0 + size, x0 + size], "float32") / IMG   # normalized yxyx
    return np.clip(img, 0, 1), box


scenes, boxes, labels = [], [], []
for i in range(N):
    k = i % len(CLASSES)
    im, bx = make_scene(k)
    scenes.append(im); boxes.append(bx); labels.append(k)
scenes = np.stack(scenes); boxes = np.stack(boxes); labels = np.array(labels, "int32")
print(scenes.shape, boxes.shape, np.bincount(labels))


# %% augmentation ----------------------------------------------------------
def random_crop_keep_box(image, box):
    """Crop a random window that still contains the whole box, then pad back
    to a square and resize. Box coords are updated to match."""
    h = tf.cast(tf.shape(image)[0], tf.float32)
    w = tf.cast(tf.shape(image)[1], tf.float32)
    by0, bx0, by1, bx1 = tf.unstack(box * tf.stack([h, w, h, w]))

    off_y = tf.cast(tf.random.uniform([], 0.0, 1.0) * by0, tf.int32)
    off_x = tf.cast(tf.random.uniform([], 0.0, 1.0) * bx0, tf.int32)
    end_y = tf.cast(by1 + tf.random.uniform([], 0.0, 1.0) * (h - by1), tf.int32)
    end_x = tf.cast(bx1 + tf.random.uniform([], 0.0, 1.0) * (w - bx1), tf.int32)
    end_y = tf.maximum(end_y, tf.cast(tf.math.ceil(by1), tf.int32))
    end_x = tf.maximum(end_x, tf.cast(tf.math.ceil(bx1), tf.int32))
    ch, cw = end_y - off_y, end_x - off_x

    crop = tf.image.crop_to_bounding_box(image, off_y, off_x, ch, cw)

    # pad to a square canvas (centered) so the resize keeps aspect ratio
    side = tf.maximum(ch, cw)
    pad_y = (side - ch) // 2
    pad_x = (side - cw) // 2
    square = tf.image.pad_to_bounding_box(crop, pad_y, pad_x, side, side)

    s = tf.cast(side, tf.float32)
    new_box = tf.stack([
        (by0 - tf.cast(off_y, tf.float32) + tf.cast(pad_y, tf.float32)) / s,
        (bx0 - tf.cast(off_x, tf.float32) + tf.cast(pad_x, tf.float32)) / s,
        (by1 - tf.cast(off_y, tf.float32) + tf.cast(pad_y, tf.float32)) / s,
        (bx1 - tf.cast(off_x, tf.float32) + tf.cast(pad_x, tf.float32)) / s,
    ])
    resized = tf.image.resize(square, [OUT, OUT], method="bilinear")
    return resized, tf.clip_by_value(new_box, 0.0, 1.0)


def train_map(image, box, label):
    image, box = random_crop_keep_box(image, box)
    flip = tf.random.uniform([]) > 0.5
    image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
    box = tf.cond(flip, lambda: tf.stack([box[0], 1.0 - box[3], box[2], 1.0 - box[1]]), lambda: box)
    image = tf.image.random_brightness(image, 0.1)
    return {"image": tf.clip_by_value(image, 0, 1), "box": box}, label


def eval_map(image, box, label):
    # deterministic: center crop/pad to OUT; box must be shifted accordingly
    image = tf.image.resize_with_crop_or_pad(image, OUT, OUT)
    shift = (IMG - OUT) / 2.0
    abs_box = box * IMG - shift
    return {"image": image, "box": tf.clip_by_value(abs_box / OUT, 0.0, 1.0)}, label


full = tf.data.Dataset.from_tensor_slices((scenes, boxes, labels))
n_val = 60
val_ds = full.take(n_val).map(eval_map).batch(BATCH)
train_ds = (full.skip(n_val).shuffle(300).map(train_map, num_parallel_calls=AUTOTUNE)
            .batch(BATCH).prefetch(AUTOTUNE))

for xb, yb in train_ds.take(1):
    print("train batch:", xb["image"].shape, xb["box"].shape, "box min/max",
          float(tf.reduce_min(xb["box"])), float(tf.reduce_max(xb["box"])))


# %% model -----------------------------------------------------------------
class RoiCrop(layers.Layer):
    """One box per image -> crop_and_resize on the feature map."""

    def __init__(self, crop_size, **kwargs):
        super().__init__(**kwargs)
        self.crop_size = crop_size

    def call(self, fmap, box):
        n = tf.shape(fmap)[0]
        return tf.image.crop_and_resize(
            fmap, box, box_indices=tf.range(n), crop_size=[self.crop_size, self.crop_size]
        )

    def compute_output_shape(self, fmap_shape, box_shape):
        return (fmap_shape[0], self.crop_size, self.crop_size, fmap_shape[-1])


class CenterContext(layers.Layer):
    """Global context from the central region of the feature map."""

    def call(self, fmap):
        return tf.reduce_mean(tf.image.central_crop(fmap, 0.5), axis=[1, 2])


img_in = keras.Input((OUT, OUT, 3), name="image")
box_in = keras.Input((4,), name="box")
x = img_in
for filters in [16, 32]:
    x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    x = layers.BatchNormalization()(x)
fmap = x                                          # full resolution (40x40) features
roi = RoiCrop(ROI, name="roi_crop")(fmap, box_in)
r = layers.Conv2D(32, 3, activation="relu")(roi)
r = layers.GlobalMaxPooling2D()(r)
ctx = CenterContext(name="center_ctx")(fmap)
h = layers.Concatenate()([r, ctx])
h = layers.Dense(32, activation="relu")(h)
out = layers.Dense(len(CLASSES), activation="softmax")(h)
model = keras.Model({"image": img_in, "box": box_in}, out)

model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

# %% quick look
xb, yb = next(iter(val_ds))
probs = model.predict(xb, verbose=0)
for p, y in zip(probs[:6], yb.numpy()[:6]):
    print(f"true={CLASSES[y]:6s} pred={CLASSES[int(np.argmax(p))]:6s} conf={p.max():.2f}")

# resize_with_pad round trip on a non-square image keeps the content aspect
wide = tf.image.resize_with_pad(scenes[0][:24], OUT, OUT)
print("resize_with_pad:", wide.shape)

"""
Small RGB classifier (circles vs squares vs stripes) + the "how do I predict on
ONE image that isn't even the right size" answer.

Things that went wrong originally:
  * trained on 32x32x3 but tried predicting a 48x40 image -> Flatten/Dense shape
    mismatch ("expected axis -1 of input shape to have value 2048")
  * the single image was grayscale (H, W) with no channel axis
  * forgot the batch axis entirely
All three are handled in `prepare_single()` below.
"""
import math

import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG = 32
CHANNELS = 3
CLASS_NAMES = ("circle", "square", "stripes")
CONV_BLOCKS = [(16, 2), (32, 1)]   # (filters, convs per block)
BATCH_SIZE = 24
N_IMAGES = 360

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)


def draw(kind, size=IMG):
    yy, xx = np.mgrid[:size, :size] / size
    cx, cy, r = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7), rng.uniform(0.15, 0.3)
    if kind == 0:
        mask = (xx - cx) ** 2 + (yy - cy) ** 2 < r ** 2
    elif kind == 1:
        mask = (np.abs(xx - cx) < r) & (np.abs(yy - cy) < r)
    else:
        mask = np.sin(xx * math.pi * rng.integers(3, 7)) > 0
    color = rng.uniform(0.4, 1.0, size=CHANNELS)
    img = rng.uniform(0, 0.25, size=(size, size, CHANNELS))
    img[mask] = color
    return (img * 255).astype("uint8")


labels = rng.integers(0, len(CLASS_NAMES), size=N_IMAGES)
images = np.stack([draw(k) for k in labels])
print("images:", images.shape, images.dtype, "labels:", np.bincount(labels))


@tf.function
def augment(img, label):
    img = tf.image.convert_image_dtype(img, tf.float32)
    # random horizontal flip via tf.cond (no Python `if` on a tensor)
    flip = tf.random.uniform(()) > 0.5
    img = tf.cond(flip, lambda: tf.image.flip_left_right(img), lambda: img)
    img = tf.image.random_brightness(img, 0.1)
    return tf.clip_by_value(img, 0.0, 1.0), tf.one_hot(label, len(CLASS_NAMES))


def to_float(img, label):
    return tf.image.convert_image_dtype(img, tf.float32), tf.one_hot(label, len(CLASS_NAMES))


split = int(0.8 * N_IMAGES)
train_ds = (tf.data.Dataset.from_tensor_slices((images[:split], labels[:split]))
            .shuffle(split).map(augment, num_parallel_calls=tf.data.AUTOTUNE)
            .batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE))
val_ds = (tf.data.Dataset.from_tensor_slices((images[split:], labels[split:]))
          .map(to_float).batch(BATCH_SIZE))

print("train element_spec:", train_ds.element_spec)

model = keras.Sequential(name="shape_net")
model.add(layers.Input(shape=(IMG, IMG, CHANNELS)))
for filters, n_convs in CONV_BLOCKS:
    for _ in range(n_convs):
        model.add(layers.Conv2D(filters, 3, padding="same", activation="relu"))
    model.add(layers.MaxPooling2D())
    print(f"after block with {filters} filters -> output_shape {model.output_shape}")
model.add(layers.Flatten())
model.add(layers.Dense(32, activation="relu"))
model.add(layers.Dense(len(CLASS_NAMES), activation="softmax"))
print("final model.output_shape:", model.output_shape)

model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)


def prepare_single(img):
    """Any HxW or HxWxC uint8/float image -> (1, IMG, IMG, 3) float32 in [0, 1]."""
    t = tf.convert_to_tensor(img)
    if t.dtype != tf.float32:                  # dtype is static, Python if is fine
        t = tf.image.convert_image_dtype(t, tf.float32)
    if t.shape.rank == 2:                      # grayscale without channel axis
        t = t[..., tf.newaxis]
    if t.shape[-1] == 1:
        t = tf.image.grayscale_to_rgb(t)
    t = tf.image.resize(t, (IMG, IMG))
    return tf.expand_dims(t, axis=0)


# an odd-sized RGB image and an odd-sized grayscale image
big_square = np.array(tf.image.resize(draw(1, size=48), (48, 40)), dtype="uint8")
gray_circle = draw(0, size=50).mean(axis=-1).astype("uint8")     # (50, 50)

for name, raw in [("48x40 rgb square", big_square), ("50x50 gray circle", gray_circle)]:
    x = prepare_single(raw)
    probs = model.predict(x, verbose=0)[0]
    top = int(np.argmax(probs))
    print(f"{name:<18} raw {raw.shape} -> model input {tuple(x.shape)} -> "
          f"{CLASS_NAMES[top]} ({probs[top]:.2f})")

# batch of singles stacked together, predicted with batch_size smaller than the batch
stack = tf.concat([prepare_single(draw(k)) for k in (0, 1, 2, 2)], axis=0)
print("stacked:", stack.shape, "->", model.predict(stack, batch_size=3, verbose=0).argmax(-1))

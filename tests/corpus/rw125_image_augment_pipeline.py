import math
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

# ---------------------------------------------------------------------------
# Config
# ---------------------------------------------------------------------------
IMG_RAW = 48          # synthetic "camera" images come in at 48x48
IMG_TRAIN = 32        # network input size
NUM_CLASSES = 3
N_IMAGES = 300
BATCH_SIZE = 32
AUTOTUNE = tf.data.AUTOTUNE

AUG_CFG = dict(
    crop=40,          # random crop before resizing
    zoom=(-0.15, 0.15),
    rotation=0.08,    # fraction of 2*pi
    flip="horizontal",
)

np.random.seed(0)
tf.random.set_seed(0)


def draw_shape(kind, size):
    """Return a float32 HxWx3 image with a noisy background and one shape."""
    img = np.random.uniform(0, 60, (size, size, 3)).astype("float32")
    yy, xx = np.mgrid[:size, :size]
    cy, cx = np.random.randint(size // 3, 2 * size // 3, size=2)
    r = np.random.randint(size // 6, size // 4)
    color = np.random.uniform(150, 255, 3)
    if kind == 0:        # disk
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2
    elif kind == 1:      # square
        mask = (abs(yy - cy) <= r) & (abs(xx - cx) <= r)
    else:                # horizontal bar
        mask = (abs(yy - cy) <= r // 3) & (abs(xx - cx) <= int(r * 1.5))
    img[mask] = color
    return img


labels = np.random.randint(0, NUM_CLASSES, N_IMAGES)
images = np.stack([draw_shape(k, IMG_RAW) for k in labels]).astype("uint8")
print("raw images:", images.shape, images.dtype, "class counts:", np.bincount(labels))

# ---------------------------------------------------------------------------
# Preprocessing blocks
# ---------------------------------------------------------------------------
augment = keras.Sequential(
    [
        layers.RandomCrop(AUG_CFG["crop"], AUG_CFG["crop"]),
        layers.RandomFlip(AUG_CFG["flip"]),
        layers.RandomRotation(AUG_CFG["rotation"], fill_mode="reflect"),
        layers.RandomZoom(height_factor=AUG_CFG["zoom"], fill_mode="reflect"),
        layers.Resizing(IMG_TRAIN, IMG_TRAIN),
    ],
    name="train_augment",
)

# deterministic path for eval: center crop to the same field of view, then resize
eval_preprocess = keras.Sequential(
    [
        layers.CenterCrop(AUG_CFG["crop"], AUG_CFG["crop"]),
        layers.Resizing(IMG_TRAIN, IMG_TRAIN),
    ],
    name="eval_preprocess",
)

rescale = layers.Rescaling(1.0 / 255)


def train_map(img, label):
    img = tf.cast(img, tf.float32)
    img = augment(img, training=True)
    return rescale(img), tf.one_hot(label, NUM_CLASSES)


def eval_map(img, label):
    img = tf.cast(img, tf.float32)
    return rescale(eval_preprocess(img)), tf.one_hot(label, NUM_CLASSES)


split = int(0.85 * N_IMAGES)
train_ds = (
    tf.data.Dataset.from_tensor_slices((images[:split], labels[:split]))
    .shuffle(split, seed=1)
    .batch(BATCH_SIZE)
    .map(train_map, num_parallel_calls=AUTOTUNE)
    .prefetch(AUTOTUNE)
)
val_ds = (
    tf.data.Dataset.from_tensor_slices((images[split:], labels[split:]))
    .batch(BATCH_SIZE)
    .map(eval_map, num_parallel_calls=AUTOTUNE)
    .cache()
    .prefetch(AUTOTUNE)
)

xb, yb = next(iter(train_ds))
print(f"augmented batch {tuple(xb.shape)} range=[{xb.numpy().min():.2f}, {xb.numpy().max():.2f}]")
xv, _ = next(iter(val_ds))
print(f"eval batch {tuple(xv.shape)}")


# ---------------------------------------------------------------------------
# Model
# ---------------------------------------------------------------------------
def conv_block(x, filters, name):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    return layers.MaxPooling2D(name=f"{name}_pool")(x)


inputs = keras.Input((IMG_TRAIN, IMG_TRAIN, 3))
x = inputs
for i, f in enumerate([16, 32, 64]):
    x = conv_block(x, f, name=f"block{i + 1}")
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(NUM_CLASSES, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="shape_cnn")

steps_per_epoch = math.ceil(split / BATCH_SIZE)
schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=2 * steps_per_epoch)
model.compile(
    optimizer=keras.optimizers.Adam(schedule),
    loss="categorical_crossentropy",
    metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(k=2, name="top2")],
)
model.fit(train_ds, validation_data=val_ds, epochs=2, verbose=2)

# sanity check: preprocessing layers are no-ops for randomness at inference
a = augment(tf.cast(images[:4], tf.float32), training=False)
print("augment(training=False) output shape:", a.shape)
loss, acc, top2 = model.evaluate(val_ds, verbose=0)
print(f"val loss={loss:.3f} acc={acc:.3f} top2={top2:.3f}")

"""Mini Inception-v1 style network on synthetic texture images.

Layers built by a small helper class, inputs fed through tf.data with a
random-flip / brightness map.  Uses the legacy tf.keras.backend helpers in
a Lambda (channel-wise local response style normalisation) that the original
Keras 2 code relied on.
"""
import math
import time

import numpy as np
import tensorflow as tf
import keras
from keras import layers

K = tf.keras.backend

IMG_SIZE = 32
N_CLASSES = 5
N_TRAIN = 400
N_VAL = 80
BATCH = 32
EPOCHS = 1
AUTOTUNE = tf.data.AUTOTUNE

INCEPTION_SPECS = [
    # name, 1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj
    ("3a", 16, 16, 24, 4, 8, 8),
    ("3b", 24, 24, 32, 8, 12, 12),
    ("4a", 32, 24, 40, 8, 16, 16),
]


def synth_textures(n, seed):
    """Each class is a sinusoidal grating with its own frequency/orientation."""
    r = np.random.RandomState(seed)
    y = r.choice(N_CLASSES, size=n, p=[0.4, 0.25, 0.15, 0.1, 0.1])
    grid = np.linspace(0, 1, IMG_SIZE, dtype="float32")
    gx, gy = np.meshgrid(grid, grid)
    X = np.empty((n, IMG_SIZE, IMG_SIZE, 3), dtype="float32")
    for i, c in enumerate(y):
        theta = c * math.pi / N_CLASSES + r.normal(0, 0.05)
        freq = 3 + 2 * c
        phase = r.uniform(0, 2 * math.pi)
        wave = np.sin(2 * math.pi * freq * (gx * np.cos(theta) + gy * np.sin(theta)) + phase)
        X[i] = (0.5 + 0.4 * wave)[..., None] * r.uniform(0.7, 1.0, size=3)
    X += r.normal(0, 0.05, size=X.shape).astype("float32")
    return np.clip(X, 0, 1), y


def augment(image, label):
    flip = tf.random.uniform([]) > 0.5
    image = tf.cond(flip, lambda: tf.image.flip_left_right(image), lambda: image)
    delta = tf.random.uniform([], -0.1, 0.1)
    image = tf.clip_by_value(image + delta, 0.0, 1.0)
    # occasionally zero out a small patch (cutout) without python control flow
    mask_on = tf.cast(tf.random.uniform([]) < 0.3, tf.float32)
    yy, xx = tf.meshgrid(tf.range(IMG_SIZE), tf.range(IMG_SIZE), indexing="ij")
    cy = tf.random.uniform([], 4, IMG_SIZE - 4, dtype=tf.int32)
    cx = tf.random.uniform([], 4, IMG_SIZE - 4, dtype=tf.int32)
    in_patch = tf.logical_and(tf.abs(yy - cy) < 4, tf.abs(xx - cx) < 4)
    patch = tf.cast(in_patch, tf.float32)[..., None] * mask_on
    image = tf.where(patch > 0, tf.zeros_like(image), image)
    return image, label


def make_dataset(X, Y, training):
    ds = tf.data.Dataset.from_tensor_slices((X, Y))
    if training:
        ds = ds.shuffle(len(X), seed=0).map(augment, num_parallel_calls=AUTOTUNE)
    return ds.batch(BATCH).prefetch(AUTOTUNE)


class InceptionBuilder:
    def __init__(self, weight_decay=1e-4):
        self.reg = keras.regularizers.l2(weight_decay)

    def conv(self, x, filters, k, name, strides=1):
        x = layers.Conv2D(filters, k, strides=strides, padding="same", use_bias=False,
                          kernel_regularizer=self.reg, name=f"{name}_conv")(x)
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
        return layers.Activation("relu", name=f"{name}_relu")(x)

    def block(self, x, spec):
        name, f1, f3r, f3, f5r, f5, fp = spec
        b1 = self.conv(x, f1, 1, f"inc{name}_1x1")
        b3 = self.conv(x, f3r, 1, f"inc{name}_3x3r")
        b3 = self.conv(b3, f3, 3, f"inc{name}_3x3")
        b5 = self.conv(x, f5r, 1, f"inc{name}_5x5r")
        b5 = self.conv(b5, f5, 3, f"inc{name}_5x5a")  # 5x5 as two 3x3
        b5 = self.conv(b5, f5, 3, f"inc{name}_5x5b")
        bp = layers.MaxPooling2D(3, strides=1, padding="same", name=f"inc{name}_pool")(x)
        bp = self.conv(bp, fp, 1, f"inc{name}_poolproj")
        return layers.Concatenate(axis=-1, name=f"inc{name}_concat")([b1, b3, b5, bp])

    def build(self):
        inputs = keras.Input((IMG_SIZE, IMG_SIZE, 3), name="image")
        x = self.conv(inputs, 32, 3, "stem1")
        x = layers.MaxPooling2D(2, name="stem_pool")(x)
        x = layers.Lambda(
            lambda t: t / K.sqrt(K.mean(K.square(t), axis=-1, keepdims=True) + 1.0),
            name="channel_norm",
        )(x)
        for i, spec in enumerate(INCEPTION_SPECS):
            x = self.block(x, spec)
            if i == 1:
                x = layers.MaxPooling2D(2, name="mid_pool")(x)
        x = layers.GlobalAveragePooling2D()(x)
        x = layers.Dropout(0.4)(x)
        outputs = layers.Dense(N_CLASSES, activation="softmax", name="logits")(x)
        return keras.Model(inputs, outputs, name="mini_inception")


def main():
    x_tr, y_tr = synth_textures(N_TRAIN, seed=1)
    x_va, y_va = synth_textures(N_VAL, seed=2)
    Y_tr = keras.utils.to_categorical(y_tr, N_CLASSES)
    Y_va = keras.utils.to_categorical(y_va, N_CLASSES)

    counts = np.bincount(y_tr, minlength=N_CLASSES)
    class_weight = {c: round(float(counts.max() / n), 3) for c, n in enumerate(counts)}
    print("class_weight =", class_weight)

    train_ds = make_dataset(x_tr, Y_tr, training=True)
    val_ds = make_dataset(x_va, Y_va, training=False)

    model = InceptionBuilder().build()
    print(f"{model.name}: {model.count_params():,} params, {len(model.layers)} layers")
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.05),
        metrics=["accuracy"],
    )
    t0 = time.time()
    model.fit(train_ds, validation_data=val_ds, epochs=EPOCHS,
              class_weight=class_weight, verbose=2)
    print(f"training took {time.time() - t0:.1f}s")

    loss, acc = model.evaluate(val_ds, verbose=0)
    print(f"val loss {loss:.4f}  val acc {acc:.3f}")
    concat_names = [l.name for l in model.layers if isinstance(l, layers.Concatenate)]
    for name in concat_names:
        print(name, model.get_layer(name).output.shape)


if __name__ == "__main__":
    main()

"""Tiny video classifier comparing a Conv3D stem with (2+1)D residual blocks.

The (2+1)D factorization replaces a t x k x k kernel by a 1 x k x k spatial
conv followed by a t x 1 x 1 temporal conv, with the intermediate width
chosen so the parameter count roughly matches the full 3D kernel.  Clips
are synthetic "moving square" videos whose class is the motion direction;
frames are augmented consistently across time with tf.image in tf.data.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

FRAMES = 8
SIZE = 32
DIRECTIONS = [(0, 1), (0, -1), (1, 0), (-1, 0)]  # (dy, dx)
NUM_CLASSES = len(DIRECTIONS)


def mid_channels(in_ch, out_ch, t=3, k=3):
    # Tran et al. 2018: M = floor(t*k*k*Nin*Nout / (k*k*Nin + t*Nout))
    return max(1, (t * k * k * in_ch * out_ch) // (k * k * in_ch + t * out_ch))


def conv2plus1d(x, filters, strides=(1, 1, 1), name=None):
    in_ch = x.shape[-1]
    m = mid_channels(in_ch, filters)
    st, sh, sw = strides
    x = layers.Conv3D(m, (1, 3, 3), strides=(1, sh, sw), padding="same",
                      use_bias=False, name=f"{name}_spatial")(x)
    x = layers.BatchNormalization(name=f"{name}_sbn")(x)
    x = layers.ReLU()(x)
    x = layers.Conv3D(filters, (3, 1, 1), strides=(st, 1, 1), padding="same",
                      use_bias=False, name=f"{name}_temporal")(x)
    return x


def r2plus1d_block(x, filters, strides=(1, 1, 1), name="blk"):
    shortcut = x
    y = conv2plus1d(x, filters, strides, name=f"{name}_a")
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = conv2plus1d(y, filters, name=f"{name}_b")
    y = layers.BatchNormalization()(y)
    if strides != (1, 1, 1) or shortcut.shape[-1] != filters:
        shortcut = layers.Conv3D(filters, 1, strides=strides, use_bias=False,
                                 name=f"{name}_proj")(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def build_model(use_factorized=True):
    inputs = keras.Input((FRAMES, SIZE, SIZE, 3), name="clip")
    x = layers.Rescaling(2.0, offset=-1.0)(inputs)
    x = layers.Conv3D(16, (3, 5, 5), strides=(1, 2, 2), padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    if use_factorized:
        x = r2plus1d_block(x, 16, name="res1")
        x = r2plus1d_block(x, 32, strides=(2, 2, 2), name="res2")
    else:
        x = layers.Conv3D(32, 3, strides=2, padding="same", activation="relu")(x)
        x = layers.Conv3D(32, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling3D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(NUM_CLASSES, name="logits")(x)
    name = "r2plus1d" if use_factorized else "c3d_plain"
    return keras.Model(inputs, outputs, name=name)


def make_clip(label, rng):
    dy, dx = DIRECTIONS[label]
    clip = rng.uniform(0, 0.2, size=(FRAMES, SIZE, SIZE, 3)).astype(np.float32)
    y, x = rng.integers(8, SIZE - 8, size=2)
    for t in range(FRAMES):
        yy = int(np.clip(y + dy * t * 2, 0, SIZE - 4))
        xx = int(np.clip(x + dx * t * 2, 0, SIZE - 4))
        clip[t, yy:yy + 4, xx:xx + 4, :] = 1.0
    return clip


def augment_clip(clip, label):
    # same random crop / brightness for every frame so motion is preserved
    clip = tf.image.resize_with_crop_or_pad(clip, SIZE + 4, SIZE + 4)
    offset = tf.random.uniform([2], 0, 5, dtype=tf.int32)
    clip = tf.image.crop_to_bounding_box(clip, offset[0], offset[1], SIZE, SIZE)
    delta = tf.random.uniform([], -0.1, 0.1)
    clip = tf.image.adjust_brightness(clip, delta)
    clip = tf.image.adjust_saturation(clip, tf.random.uniform([], 0.8, 1.2))
    return tf.clip_by_value(clip, 0.0, 1.0), label


def main():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, NUM_CLASSES, size=48)
    clips = np.stack([make_clip(int(l), rng) for l in labels])
    ds = (tf.data.Dataset.from_tensor_slices((clips, labels))
          .shuffle(48, seed=0)
          .map(augment_clip, num_parallel_calls=2)
          .batch(8)
          .prefetch(1))

    for factorized in (True, False):
        keras.utils.set_random_seed(0)
        model = build_model(factorized)
        model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        print(f"{model.name}: {model.count_params():,} params")
        model.fit(ds.take(3), epochs=1, verbose=2)
        logits = model.predict(clips[:8], verbose=0)
        acc = np.mean(np.argmax(logits, axis=-1) == labels[:8])
        print(f"{model.name} train-subset acc: {acc:.2f}")


if __name__ == "__main__":
    main()

"""On-the-fly 3-D augmentation for volumetric segmentation with tf.data.

All transforms are written with plain TF ops so they can run inside
Dataset.map on the CPU workers: random flips along each spatial axis,
random 90-degree rotation in the axial plane, random crop, intensity
scale/shift, gamma correction and additive Gaussian noise. The image and
label volumes are always transformed jointly (labels only get the
geometric ones). A small 3-D segmentation net consumes the pipeline.
"""
import numpy as np
import tensorflow as tf

VOL = (40, 40, 24)      # (H, W, D) stored volume size
CROP = (32, 32, 16)     # training crop
N_CASES = 12
N_LABELS = 3            # background, edema, enhancing tumour
BATCH = 2
AUTOTUNE = tf.data.AUTOTUNE

tf.random.set_seed(1234)


def make_case(rng):
    h, w, d = VOL
    z = np.stack(np.meshgrid(np.arange(h), np.arange(w), np.arange(d), indexing="ij"), -1)
    c = rng.uniform([10, 10, 6], [h - 10, w - 10, d - 6])
    dist = np.linalg.norm(z - c, axis=-1)
    label = np.zeros(VOL, np.int32)
    label[dist < 8] = 1      # edema halo
    label[dist < 4] = 2      # enhancing core
    # two MR sequences as channels (e.g. T1ce, FLAIR)
    t1ce = rng.normal(100, 10, VOL) + 60 * (label == 2)
    flair = rng.normal(80, 10, VOL) + 40 * (label >= 1)
    image = np.stack([t1ce, flair], -1).astype(np.float32)
    return image, label


def generator():
    rng = np.random.default_rng(0)
    for _ in range(N_CASES):
        yield make_case(rng)


# ---------------------------------------------------------------------------
# Augmentation primitives (graph-safe; no python branching on tensor values)
# ---------------------------------------------------------------------------
def normalize(image, label):
    mean = tf.reduce_mean(image, axis=[0, 1, 2], keepdims=True)
    std = tf.math.reduce_std(image, axis=[0, 1, 2], keepdims=True)
    return (image - mean) / (std + 1e-6), label


def random_flip_3d(image, label, seed):
    # one independent coin per spatial axis; tf.where picks flipped or original
    coins = tf.random.stateless_uniform([3], seed=seed) < 0.5
    for axis in range(3):
        image = tf.where(coins[axis], tf.reverse(image, axis=[axis]), image)
        label = tf.where(coins[axis], tf.reverse(label, axis=[axis]), label)
    return image, label


def random_rot90_axial(image, label, seed):
    """Rotate by k*90 degrees in the (H, W) plane. H == W so shapes are stable."""
    k = tf.random.stateless_uniform([], seed=seed, minval=0, maxval=4, dtype=tf.int32)
    # tf.image.rot90 treats the last dim as channels and rotates dims [-3, -2];
    # move depth into the batch position so each axial slice gets rotated.
    img_t = tf.transpose(image, [2, 0, 1, 3])                  # (D, H, W, C)
    lbl_t = tf.transpose(label[..., tf.newaxis], [2, 0, 1, 3])  # (D, H, W, 1)
    img_t = tf.image.rot90(img_t, k)
    lbl_t = tf.image.rot90(lbl_t, k)
    image = tf.transpose(img_t, [1, 2, 0, 3])
    label = tf.transpose(lbl_t, [1, 2, 0, 3])[..., 0]
    return image, label


def random_crop_3d(image, label, seed):
    n_ch = tf.shape(image)[-1]
    stacked = tf.concat([image, tf.cast(label[..., tf.newaxis], image.dtype)], axis=-1)
    cropped = tf.image.stateless_random_crop(stacked, size=[*CROP, n_ch + 1], seed=seed)
    return cropped[..., :-1], tf.cast(tf.round(cropped[..., -1]), tf.int32)


def random_intensity(image, seed):
    seeds = tf.random.experimental.stateless_split(seed, num=4)
    scale = tf.random.stateless_uniform([1, 1, 1, 2], seeds[0], 0.9, 1.1)
    shift = tf.random.stateless_uniform([1, 1, 1, 2], seeds[1], -0.1, 0.1)
    image = image * scale + shift
    # gamma on min-max rescaled intensities, then map back to the original range
    gamma = tf.random.stateless_uniform([], seeds[2], 0.7, 1.5)
    lo = tf.reduce_min(image)
    hi = tf.reduce_max(image)
    unit = (image - lo) / (hi - lo + 1e-6)
    image = tf.pow(unit, gamma) * (hi - lo) + lo
    noise = tf.random.stateless_normal(tf.shape(image), seeds[3], stddev=0.05)
    return image + noise


def augment(image, label, seed):
    s = tf.random.experimental.stateless_split(seed, num=4)
    image, label = random_crop_3d(image, label, s[0])
    image, label = random_flip_3d(image, label, s[1])
    image, label = random_rot90_axial(image, label, s[2])
    image = random_intensity(image, s[3])
    return image, tf.one_hot(label, N_LABELS)


def center_crop(image, label):
    offs = [(v - c) // 2 for v, c in zip(VOL, CROP)]
    image = image[offs[0]:offs[0] + CROP[0], offs[1]:offs[1] + CROP[1], offs[2]:offs[2] + CROP[2]]
    label = label[offs[0]:offs[0] + CROP[0], offs[1]:offs[1] + CROP[1], offs[2]:offs[2] + CROP[2]]
    return image, tf.one_hot(label, N_LABELS)


def build_datasets():
    sig = (tf.TensorSpec(shape=(*VOL, 2), dtype=tf.float32),
           tf.TensorSpec(shape=VOL, dtype=tf.int32))
    base = tf.data.Dataset.from_generator(generator, output_signature=sig).cache()
    base = base.map(normalize, num_parallel_calls=AUTOTUNE)
    val = base.take(2).map(center_crop).batch(BATCH)

    counter = tf.data.Dataset.counter()
    seeds = counter.map(lambda i: tf.stack([i, i * 3 + 1]))
    train = (tf.data.Dataset.zip((base.skip(2), seeds))
             .map(lambda xy, sd: augment(xy[0], xy[1], sd), num_parallel_calls=AUTOTUNE)
             .shuffle(8)
             .batch(BATCH, drop_remainder=True)
             .prefetch(AUTOTUNE))
    return train, val


def tiny_seg_net():
    inp = tf.keras.Input((*CROP, 2))
    x = tf.keras.layers.Conv3D(8, 3, padding="same", activation="relu")(inp)
    d = tf.keras.layers.Conv3D(16, 3, strides=2, padding="same", activation="relu")(x)
    d = tf.keras.layers.Conv3D(16, 3, padding="same", activation="relu", dilation_rate=2)(d)
    u = tf.keras.layers.Conv3DTranspose(8, 2, strides=2, padding="same")(d)
    x = tf.keras.layers.Add()([x, u])
    out = tf.keras.layers.Conv3D(N_LABELS, 1, activation="softmax")(x)
    return tf.keras.Model(inp, out, name="tiny_seg3d")


if __name__ == "__main__":
    train_ds, val_ds = build_datasets()
    print("train element spec:", train_ds.element_spec)

    # sanity check the augmentations keep labels aligned & one-hot valid
    xb, yb = next(iter(train_ds))
    print("batch:", xb.shape, yb.shape)
    print("one-hot sums to 1:", bool(tf.reduce_all(tf.abs(tf.reduce_sum(yb, -1) - 1.0) < 1e-6)))
    print("class fractions:", tf.reduce_mean(yb, axis=[0, 1, 2, 3]).numpy().round(3))

    model = tiny_seg_net()
    model.compile(optimizer="adam",
                  loss=tf.keras.losses.CategoricalFocalCrossentropy(gamma=2.0),
                  metrics=[tf.keras.metrics.OneHotMeanIoU(num_classes=N_LABELS)])
    model.fit(train_ds, validation_data=val_ds, epochs=1, verbose=2)

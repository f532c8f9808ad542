"""HRNet-lite: parallel multi-resolution branches with repeated fusion.

Three branches (1x, 1/2x, 1/4x) are kept alive through the network.  After
each stage every branch receives the sum of all other branches, resampled
with UpSampling2D (+1x1 conv) when coming from lower resolution or with
stacked stride-2 3x3 convs when coming from higher resolution.  The head
concatenates the upsampled branches for a dense keypoint-heatmap output
and is trained on gaussian heatmaps rendered in tf.data.
"""
import numpy as np
import tensorflow as tf
import keras
from keras import layers

IMG = 32
NUM_KPTS = 3
WIDTHS = [16, 24, 32]
SIGMA = 1.0


def conv_bn(x, filters, kernel=3, strides=1, act=True):
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x) if act else x


def basic_block(x, filters):
    shortcut = x
    y = conv_bn(x, filters)
    y = conv_bn(y, filters, act=False)
    if shortcut.shape[-1] != filters:
        shortcut = conv_bn(shortcut, filters, kernel=1, act=False)
    return layers.ReLU()(layers.Add()([y, shortcut]))


def resample(x, src, dst, filters):
    """Bring branch `src` to the resolution/width of branch `dst`."""
    if src == dst:
        return x
    if src > dst:  # lower resolution -> upsample
        x = conv_bn(x, filters, kernel=1, act=False)
        return layers.UpSampling2D(size=2 ** (src - dst), interpolation="nearest")(x)
    for step in range(dst - src):  # higher resolution -> strided convs
        last = step == dst - src - 1
        x = conv_bn(x, filters if last else x.shape[-1], strides=2, act=not last)
    return x


def fuse(branches):
    fused = []
    for dst in range(len(branches)):
        parts = [resample(b, src, dst, WIDTHS[dst]) for src, b in enumerate(branches)]
        fused.append(layers.ReLU()(layers.Add()(parts)))
    return fused


def hr_stage(branches, blocks=1):
    out = []
    for i, b in enumerate(branches):
        for _ in range(blocks):
            b = basic_block(b, WIDTHS[i])
        out.append(b)
    return fuse(out) if len(out) > 1 else out


def build_hrnet():
    inputs = keras.Input((IMG, IMG, 3))
    x = conv_bn(inputs, 16, strides=2)  # 32x32 high-res branch
    x = basic_block(x, WIDTHS[0])
    branches = [x]
    for n in range(1, len(WIDTHS)):
        # spawn a new lower-resolution branch from the current lowest one
        branches.append(conv_bn(branches[-1], WIDTHS[n], strides=2))
        branches = hr_stage(branches, blocks=1)
    size = branches[0].shape[1]
    ups = [branches[0]] + [
        layers.UpSampling2D(size // b.shape[1], interpolation="bilinear")(b) for b in branches[1:]
    ]
    head = layers.Concatenate()(ups)
    head = conv_bn(head, 32, kernel=1)
    heatmaps = layers.Conv2D(NUM_KPTS, 1, name="heatmaps")(head)
    return keras.Model(inputs, heatmaps, name="hrnet_lite")


def render_heatmaps(keypoints, out_size):
    """keypoints: (K, 2) normalized (x, y) -> (out, out, K) gaussians."""
    coords = tf.range(out_size, dtype=tf.float32) + 0.5
    yy, xx = tf.meshgrid(coords, coords, indexing="ij")
    kx = keypoints[:, 0] * out_size
    ky = keypoints[:, 1] * out_size
    d2 = (xx[..., None] - kx) ** 2 + (yy[..., None] - ky) ** 2
    return tf.exp(-d2 / (2.0 * SIGMA ** 2))


def make_example(image, keypoints):
    image = tf.image.convert_image_dtype(image, tf.float32)
    flip = tf.random.uniform([]) > 0.5
    image = tf.where(flip, tf.image.flip_left_right(image), image)
    kx = tf.where(flip, 1.0 - keypoints[:, 0], keypoints[:, 0])
    keypoints = tf.stack([kx, keypoints[:, 1]], axis=-1)
    image = tf.image.random_hue(image, 0.05)
    image = tf.image.adjust_gamma(image, gamma=1.1)
    return image, render_heatmaps(keypoints, IMG // 2)


def synth_data(n, rng):
    kpts = rng.uniform(0.15, 0.85, size=(n, NUM_KPTS, 2)).astype(np.float32)
    imgs = rng.integers(0, 60, size=(n, IMG, IMG, 3)).astype(np.uint8)
    for i in range(n):
        for k in range(NUM_KPTS):
            cx, cy = (kpts[i, k] * IMG).astype(int)
            imgs[i, max(cy - 1, 0):cy + 2, max(cx - 1, 0):cx + 2, k] = 255
    return imgs, kpts


def soft_argmax(heatmaps):
    """Differentiable keypoint location from heatmaps, (B, K, 2) in [0, 1]."""
    b = tf.shape(heatmaps)[0]
    h = heatmaps.shape[1]
    flat = tf.reshape(tf.transpose(heatmaps, [0, 3, 1, 2]), [b, NUM_KPTS, -1])
    probs = tf.nn.softmax(flat * 10.0, axis=-1)
    grid = (tf.range(h, dtype=tf.float32) + 0.5) / h
    gy, gx = tf.meshgrid(grid, grid, indexing="ij")
    x = tf.reduce_sum(probs * tf.reshape(gx, [1, 1, -1]), axis=-1)
    y = tf.reduce_sum(probs * tf.reshape(gy, [1, 1, -1]), axis=-1)
    return tf.stack([x, y], axis=-1)


def main():
    rng = np.random.default_rng(3)
    imgs, kpts = synth_data(48, rng)
    ds = (tf.data.Dataset.from_tensor_slices((imgs, kpts))
          .map(make_example, num_parallel_calls=2)
          .batch(12)
          .prefetch(tf.data.AUTOTUNE))
    model = build_hrnet()
    model.compile(optimizer=keras.optimizers.AdamW(1e-3, weight_decay=1e-4),
                  loss=keras.losses.MeanSquaredError(),
                  metrics=[keras.metrics.MeanAbsoluteError(name="mae")])
    print(model.name, "params:", model.count_params(), "output:", model.output_shape)
    model.fit(ds, epochs=1, verbose=2)
    pred = model(imgs[:4].astype(np.float32) / 255.0, training=False)
    locs = soft_argmax(pred)
    err = tf.reduce_mean(tf.norm(locs - kpts[:4], axis=-1))
    print("mean keypoint error (normalized):", float(err))


if __name__ == "__main__":
    main()

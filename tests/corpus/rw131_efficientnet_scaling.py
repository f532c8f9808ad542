"""EfficientNet-like compound scaling with round_filters / round_repeats.

Builds a scaled-down "B0" base and a few compound-scaled variants, prints how
width/depth/resolution grow, then trains the smallest one for one epoch.
"""
import copy
import math
from collections import namedtuple

import numpy as np
import tensorflow as tf
import keras
from keras import layers

BlockArgs = namedtuple(
    "BlockArgs", ["kernel", "repeats", "filters_in", "filters_out", "expand", "stride", "se_ratio"]
)

# a shortened B0 block list so things stay small on CPU
BASE_BLOCKS = [
    BlockArgs(3, 1, 32, 16, 1, 1, 0.25),
    BlockArgs(3, 2, 16, 24, 6, 2, 0.25),
    BlockArgs(5, 2, 24, 40, 6, 2, 0.25),
    BlockArgs(3, 3, 40, 80, 6, 2, 0.25),
]

# phi -> (width, depth, resolution, dropout)
VARIANTS = {
    "tiny-b0": (0.25, 0.5, 32, 0.1),
    "tiny-b1": (0.25, 0.6, 36, 0.1),
    "tiny-b2": (0.3, 0.7, 40, 0.15),
    "tiny-b3": (0.35, 0.85, 48, 0.2),
}

DEPTH_DIVISOR = 8
NUM_CLASSES = 5


def round_filters(filters, width_coefficient, divisor=DEPTH_DIVISOR):
    """Scale channel count by width multiplier and snap to a multiple of divisor."""
    filters *= width_coefficient
    new_filters = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if new_filters < 0.9 * filters:
        new_filters += divisor
    return int(new_filters)


def round_repeats(repeats, depth_coefficient):
    """Scale number of block repeats by depth multiplier (always round up)."""
    return int(math.ceil(depth_coefficient * repeats))


def mb_conv(x, args, drop_rate, name):
    filters_in = x.shape[-1]
    expanded = filters_in * args.expand
    inputs = x
    if args.expand != 1:
        x = layers.Conv2D(expanded, 1, padding="same", use_bias=False, name=name + "expand_conv")(x)
        x = layers.BatchNormalization(name=name + "expand_bn")(x)
        x = layers.Activation("swish", name=name + "expand_act")(x)
    x = layers.DepthwiseConv2D(args.kernel, strides=args.stride, padding="same", use_bias=False,
                               name=name + "dwconv")(x)
    x = layers.BatchNormalization(name=name + "bn")(x)
    x = layers.Activation("swish", name=name + "act")(x)

    if args.se_ratio and 0 < args.se_ratio <= 1:
        se_units = max(1, int(filters_in * args.se_ratio))
        se = layers.GlobalAveragePooling2D(name=name + "se_squeeze")(x)
        se = layers.Reshape((1, 1, expanded), name=name + "se_reshape")(se)
        se = layers.Conv2D(se_units, 1, activation="swish", name=name + "se_reduce")(se)
        se = layers.Conv2D(expanded, 1, activation="sigmoid", name=name + "se_expand")(se)
        x = layers.Multiply(name=name + "se_excite")([x, se])

    x = layers.Conv2D(args.filters_out, 1, padding="same", use_bias=False, name=name + "project_conv")(x)
    x = layers.BatchNormalization(name=name + "project_bn")(x)
    if args.stride == 1 and filters_in == args.filters_out:
        if drop_rate > 0:
            # stochastic depth: drop the whole residual branch per sample
            x = layers.Dropout(drop_rate, noise_shape=(None, 1, 1, 1), name=name + "drop")(x)
        x = layers.Add(name=name + "add")([x, inputs])
    return x


def efficientnet(variant, num_classes=NUM_CLASSES, drop_connect_rate=0.2):
    width, depth, resolution, dropout = VARIANTS[variant]
    blocks = [
        b._replace(
            filters_in=round_filters(b.filters_in, width),
            filters_out=round_filters(b.filters_out, width),
            repeats=round_repeats(b.repeats, depth),
        )
        for b in copy.deepcopy(BASE_BLOCKS)
    ]

    inputs = keras.Input((resolution, resolution, 3))
    x = layers.Rescaling(1.0 / 255.0)(inputs)
    x = layers.Conv2D(round_filters(32, width), 3, strides=2, padding="same", use_bias=False,
                      name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_act")(x)

    total = sum(b.repeats for b in blocks)
    idx = 0
    for i, args in enumerate(blocks):
        for j in range(args.repeats):
            if j > 0:
                args = args._replace(stride=1, filters_in=args.filters_out)
            rate = drop_connect_rate * idx / total
            x = mb_conv(x, args, rate, name=f"block{i + 1}{chr(97 + j)}_")
            idx += 1

    x = layers.Conv2D(round_filters(320, width), 1, use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(name="top_bn")(x)
    x = layers.Activation("swish", name="top_act")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(dropout, name="top_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name=variant.replace("-", "_"))


def stripes_dataset(n, resolution, seed=0):
    """Classes = stripe orientation/frequency combos, uint8 images like a real pipeline."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, NUM_CLASSES, size=n)
    grid = np.linspace(0, 2 * np.pi, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    imgs = np.empty((n, resolution, resolution, 3), dtype=np.uint8)
    for k, lab in enumerate(labels):
        freq = 1 + lab
        phase = rng.uniform(0, 2 * np.pi)
        pattern = np.sin(freq * (gx if lab % 2 else gy) + phase)
        noisy = 0.5 + 0.4 * pattern[..., None] + rng.normal(0, 0.1, (resolution, resolution, 3))
        imgs[k] = np.clip(noisy * 255, 0, 255).astype(np.uint8)
    return imgs, labels


if __name__ == "__main__":
    print("round_filters examples:",
          [(f, w, round_filters(f, w)) for f, w in [(32, 1.0), (32, 1.1), (40, 1.2), (80, 0.35)]])
    print("round_repeats examples:",
          [(r, d, round_repeats(r, d)) for r, d in [(1, 1.1), (2, 1.2), (3, 1.4), (4, 0.5)]])

    summary = []
    for name in VARIANTS:
        m = efficientnet(name)
        n_blocks = len({l.name.split("_")[0] for l in m.layers if l.name.startswith("block")})
        summary.append((name, m.input_shape[1], n_blocks, m.count_params()))
        keras.backend.clear_session()
    print(f"\n{'variant':<10}{'res':>5}{'blocks':>8}{'params':>10}")
    for row in summary:
        print(f"{row[0]:<10}{row[1]:>5}{row[2]:>8}{row[3]:>10,}")

    name = "tiny-b0"
    res = VARIANTS[name][2]
    x, y = stripes_dataset(320, res, seed=3)
    ds = (tf.data.Dataset.from_tensor_slices((x, y))
          .shuffle(320, seed=3)
          .map(lambda im, lb: (tf.cast(im, tf.float32), lb))
          .batch(32)
          .prefetch(2))

    model = efficientnet(name)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(ds, epochs=1, steps_per_epoch=8, verbose=2)
    probs = model.predict(x[:4].astype("float32"), verbose=0)
    print("sum of probabilities per row:", np.round(probs.sum(axis=1), 4))

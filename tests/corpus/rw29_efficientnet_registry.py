"""Tiny EfficientNet-style backbones (MBConv + SE) with a model registry.

Squashed version of models/effnet.py + configs/effnet.py + train.py from
our small-image experiments repo.
"""
import argparse
import functools
import math
from dataclasses import dataclass, field, asdict

import numpy as np
import tensorflow as tf
import keras
from keras import layers

MODEL_REGISTRY = {}


def register_model(name):
    def deco(fn):
        if name in MODEL_REGISTRY:
            raise ValueError(f"duplicate model name {name}")
        MODEL_REGISTRY[name] = fn
        return fn
    return deco


@dataclass
class BlockArgs:
    kernel_size: int
    repeats: int
    filters_in: int
    filters_out: int
    expand_ratio: int
    strides: int
    se_ratio: float = 0.25


@dataclass
class TrainConfig:
    model: str = "effnet_b0_tiny"
    image_size: int = 32
    num_classes: int = 10
    batch_size: int = 8
    lr: float = 3e-3
    width_mult: float = 1.0
    depth_mult: float = 1.0
    dropout: float = 0.2
    blocks: list = field(default_factory=lambda: [
        BlockArgs(3, 1, 16, 8, 1, 1),
        BlockArgs(3, 2, 8, 16, 4, 2),
        BlockArgs(5, 1, 16, 24, 4, 2),
    ])


def round_filters(filters, width_mult, divisor=8):
    filters *= width_mult
    new_f = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    if new_f < 0.9 * filters:
        new_f += divisor
    return int(new_f)


def round_repeats(repeats, depth_mult):
    return int(math.ceil(depth_mult * repeats))


Conv1x1 = functools.partial(layers.Conv2D, kernel_size=1, padding="same", use_bias=False)
BN = functools.partial(layers.BatchNormalization, momentum=0.9, epsilon=1e-3)


@keras.saving.register_keras_serializable(package="effnet")
class SqueezeExcite(layers.Layer):
    def __init__(self, reduced_filters, **kwargs):
        super().__init__(**kwargs)
        self.reduced_filters = reduced_filters

    def build(self, input_shape):
        ch = input_shape[-1]
        self.reduce = layers.Conv2D(self.reduced_filters, 1, activation="swish")
        self.expand = layers.Conv2D(ch, 1, activation="sigmoid")
        self.reduce.build((None, 1, 1, ch))
        self.expand.build((None, 1, 1, self.reduced_filters))
        super().build(input_shape)

    def call(self, x):
        s = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        s = self.expand(self.reduce(s))
        return x * s

    def get_config(self):
        cfg = super().get_config()
        cfg.update({"reduced_filters": self.reduced_filters})
        return cfg


@keras.saving.register_keras_serializable(package="effnet")
class StochasticDepth(layers.Layer):
    def __init__(self, drop_rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.drop_rate = drop_rate

    def call(self, x, training=None):
        if not training or self.drop_rate == 0.0:
            return x
        keep = 1.0 - self.drop_rate
        shape = (tf.shape(x)[0], 1, 1, 1)
        mask = tf.floor(keep + tf.random.uniform(shape, dtype=x.dtype))
        return x / keep * mask

    def get_config(self):
        return {**super().get_config(), "drop_rate": self.drop_rate}


def mbconv(x, args: BlockArgs, drop_rate, name):
    inputs = x
    filters = args.filters_in * args.expand_ratio
    if args.expand_ratio != 1:
        x = Conv1x1(filters, name=f"{name}_expand")(x)
        x = BN(name=f"{name}_expand_bn")(x)
        x = layers.Activation("swish")(x)
    x = layers.DepthwiseConv2D(args.kernel_size, strides=args.strides, padding="same",
                               use_bias=False, name=f"{name}_dw")(x)
    x = BN(name=f"{name}_dw_bn")(x)
    x = layers.Activation("swish")(x)
    if 0 < args.se_ratio <= 1:
        x = SqueezeExcite(max(1, int(args.filters_in * args.se_ratio)), name=f"{name}_se")(x)
    x = Conv1x1(args.filters_out, name=f"{name}_project")(x)
    x = BN(name=f"{name}_project_bn")(x)
    if args.strides == 1 and args.filters_in == args.filters_out:
        x = StochasticDepth(drop_rate, name=f"{name}_drop")(x)
        x = layers.add([x, inputs], name=f"{name}_add")
    return x


def build_efficientnet(cfg: TrainConfig, name="effnet"):
    inputs = keras.Input((cfg.image_size, cfg.image_size, 3))
    x = layers.Rescaling(1.0 / 255)(inputs)
    x = layers.Conv2D(round_filters(16, cfg.width_mult), 3, strides=2, padding="same",
                      use_bias=False, name="stem_conv")(x)
    x = BN(name="stem_bn")(x)
    x = layers.Activation("swish")(x)

    total = sum(round_repeats(b.repeats, cfg.depth_mult) for b in cfg.blocks)
    b_idx = 0
    for i, b in enumerate(cfg.blocks):
        b = BlockArgs(**asdict(b))
        b.filters_in = round_filters(b.filters_in, cfg.width_mult)
        b.filters_out = round_filters(b.filters_out, cfg.width_mult)
        for j in range(round_repeats(b.repeats, cfg.depth_mult)):
            if j > 0:
                b.strides = 1
                b.filters_in = b.filters_out
            x = mbconv(x, b, 0.2 * b_idx / total, name=f"block{i + 1}{chr(97 + j)}")
            b_idx += 1

    x = Conv1x1(round_filters(64, cfg.width_mult), name="top_conv")(x)
    x = BN(name="top_bn")(x)
    x = layers.Activation("swish")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(cfg.dropout)(x)
    outputs = layers.Dense(cfg.num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


@register_model("effnet_b0_tiny")
def effnet_b0_tiny(cfg):
    return build_efficientnet(cfg, name="effnet_b0_tiny")


@register_model("effnet_b1_tiny")
def effnet_b1_tiny(cfg):
    cfg.width_mult, cfg.depth_mult = 1.0, 1.1
    return build_efficientnet(cfg, name="effnet_b1_tiny")


@register_model("effnet_b2_tiny")
def effnet_b2_tiny(cfg):
    cfg.width_mult, cfg.depth_mult, cfg.dropout = 1.1, 1.2, 0.3
    return build_efficientnet(cfg, name="effnet_b2_tiny")


def parse_args(argv=None):
    p = argparse.ArgumentParser()
    defaults = TrainConfig()
    p.add_argument("--model", default=defaults.model, choices=sorted(MODEL_REGISTRY))
    p.add_argument("--batch_size", type=int, default=defaults.batch_size)
    p.add_argument("--lr", type=float, default=defaults.lr)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--sweep", action="store_true", default=True)
    return p.parse_args(argv)


def make_dataset(cfg, n=32):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, cfg.image_size, cfg.image_size, 3)).astype("float32")
    labels = rng.integers(0, cfg.num_classes, size=(n,))
    ds = tf.data.Dataset.from_tensor_slices((images, labels))
    ds = ds.map(lambda x, y: (tf.image.random_flip_left_right(x), y),
                num_parallel_calls=tf.data.AUTOTUNE)
    return ds.shuffle(n).batch(cfg.batch_size).prefetch(2)


def main():
    args = parse_args([])
    names = sorted(MODEL_REGISTRY) if args.sweep else [args.model]
    results = {}
    for name in names:
        cfg = TrainConfig(model=name, batch_size=args.batch_size, lr=args.lr)
        model = MODEL_REGISTRY[name](cfg)
        if name != args.model:
            # only smoke-test the other variants, full train is for the selected one
            logits = model(tf.random.uniform((2, cfg.image_size, cfg.image_size, 3), 0, 255))
            results[name] = (model.count_params(), float(tf.reduce_mean(logits)))
            continue
        sched = keras.optimizers.schedules.CosineDecay(args.lr, decay_steps=args.steps * 4,
                                                       warmup_target=None)
        model.compile(optimizer=keras.optimizers.AdamW(sched, weight_decay=1e-4),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        hist = model.fit(make_dataset(cfg), epochs=1, steps_per_epoch=args.steps, verbose=0)
        results[name] = (model.count_params(), hist.history["loss"][-1])

    for name, (n_params, loss) in results.items():
        print(f"{name:16s} params={n_params:,} loss/mean_logit={loss:.4f}")

    # sanity check that custom layers round-trip through config
    se = SqueezeExcite(4, name="se_check")
    clone = SqueezeExcite.from_config(se.get_config())
    out = clone(tf.random.normal((2, 8, 8, 16)))
    print("se clone out:", tuple(out.shape))


if __name__ == "__main__":
    main()

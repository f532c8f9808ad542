"""Config-driven backbone factory: ConvNeXt blocks and MobileNetV2/V3-style
inverted residuals behind one `build_backbone(cfg)` entry point."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Tuple

import numpy as np
import keras
from keras import layers, ops


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None) -> int:
    new_v = max(min_value or divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:  # don't round down by more than 10%
        new_v += divisor
    return new_v


@dataclass
class StageSpec:
    depth: int
    width: int
    kind: str = "convnext"
    stride: int = 2
    kernel_size: int = 7
    expand_ratio: float = 4.0
    se_ratio: float = 0.0


@dataclass
class BackboneConfig:
    name: str
    image_size: int = 64
    num_classes: int = 100
    stem_width: int = 32
    stem_stride: int = 4
    width_multiplier: float = 1.0
    drop_path_rate: float = 0.1
    layer_scale_init: float = 1e-6
    stages: List[StageSpec] = field(default_factory=list)

    @property
    def total_blocks(self) -> int:
        return sum(s.depth for s in self.stages)


class StochasticDepth(layers.Layer):
    """Drop the residual branch per-sample (a.k.a. DropPath)."""
    def __init__(self, drop_prob: float = 0.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.drop_prob = drop_prob
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, x, training=None):
        if not training or self.drop_prob == 0.0:
            return x
        keep_prob = 1.0 - self.drop_prob
        shape = (ops.shape(x)[0],) + (1,) * (len(x.shape) - 1)
        random_tensor = keep_prob + keras.random.uniform(shape, 0, 1, seed=self.seed_generator)
        return (x / keep_prob) * ops.floor(random_tensor)


class LayerScale(layers.Layer):
    def __init__(self, init_values: float, projection_dim: int, **kwargs):
        super().__init__(**kwargs)
        self.init_values = init_values
        self.projection_dim = projection_dim

    def build(self, input_shape):
        self.gamma = self.add_weight(shape=(self.projection_dim,), name="gamma",
                                     initializer=keras.initializers.Constant(self.init_values))

    def call(self, x):
        return x * self.gamma


BlockFn = Callable[[keras.KerasTensor], keras.KerasTensor]


def convnext_block(filters: int, kernel_size: int = 7, drop_path: float = 0.0,
                   layer_scale_init: float = 1e-6, name: str = "cnx") -> BlockFn:
    def apply(x):
        shortcut = x  # channels-last: Dense layers act as 1x1 convs
        x = layers.DepthwiseConv2D(kernel_size, padding="same", name=f"{name}_dw")(x)
        x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln")(x)
        x = layers.Dense(4 * filters, name=f"{name}_pw1")(x)
        x = layers.Activation("gelu", name=f"{name}_gelu")(x)
        x = layers.Dense(filters, name=f"{name}_pw2")(x)
        if layer_scale_init is not None:
            x = LayerScale(layer_scale_init, filters, name=f"{name}_ls")(x)
        if drop_path > 0:
            x = StochasticDepth(drop_path, name=f"{name}_dp")(x)
        return layers.Add(name=f"{name}_add")([shortcut, x])
    return apply


def squeeze_excite(x, in_filters: int, se_ratio: float, name: str):
    squeezed = max(1, make_divisible(in_filters * se_ratio))
    s = layers.GlobalAveragePooling2D(keepdims=True, name=f"{name}_se_pool")(x)
    s = layers.Conv2D(squeezed, 1, activation="relu", name=f"{name}_se_reduce")(s)
    s = layers.Conv2D(in_filters, 1, activation="hard_sigmoid", name=f"{name}_se_expand")(s)
    return layers.Multiply(name=f"{name}_se_mul")([x, s])


def inverted_residual_block(filters: int, stride: int = 1, kernel_size: int = 3,
                            expand_ratio: float = 6.0, se_ratio: float = 0.0,
                            drop_path: float = 0.0, name: str = "mb", **_) -> BlockFn:
    def apply(x):
        in_channels = x.shape[-1]
        hidden = make_divisible(in_channels * expand_ratio)
        shortcut = x  # only used when the block is shape-preserving
        if expand_ratio != 1:
            x = layers.Conv2D(hidden, 1, use_bias=False, name=f"{name}_expand")(x)
            x = layers.BatchNormalization(momentum=0.99, name=f"{name}_expand_bn")(x)
            x = layers.ReLU(6.0, name=f"{name}_expand_relu")(x)
        if stride == 2:
            x = layers.ZeroPadding2D(padding=((0, 1), (0, 1)) if kernel_size == 3 else kernel_size // 2,
                                     name=f"{name}_pad")(x)
        x = layers.DepthwiseConv2D(kernel_size, strides=stride, use_bias=False,
                                   padding="same" if stride == 1 else "valid", name=f"{name}_dw")(x)
        x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
        x = layers.ReLU(6.0, name=f"{name}_dw_relu")(x)
        if se_ratio > 0:
            x = squeeze_excite(x, hidden, se_ratio, name)
        x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_project")(x)
        x = layers.BatchNormalization(name=f"{name}_project_bn")(x)
        if stride == 1 and in_channels == filters:
            if drop_path > 0:
                x = StochasticDepth(drop_path, name=f"{name}_dp")(x)
            x = layers.Add(name=f"{name}_add")([shortcut, x])
        return x
    return apply


BLOCKS: Dict[str, Callable[..., BlockFn]] = {"convnext": convnext_block, "mbconv": inverted_residual_block}


def build_backbone(cfg: BackboneConfig) -> keras.Model:
    inputs = keras.Input((cfg.image_size, cfg.image_size, 3), name="image")
    x = layers.Rescaling(1.0 / 127.5, offset=-1.0)(inputs)
    stem = make_divisible(cfg.stem_width * cfg.width_multiplier)
    x = layers.Conv2D(stem, cfg.stem_stride, strides=cfg.stem_stride, name="stem_conv")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name="stem_ln")(x)

    dp_rates = np.linspace(0.0, cfg.drop_path_rate, cfg.total_blocks).tolist()
    block_idx = 0
    for s, spec in enumerate(cfg.stages):
        width = make_divisible(spec.width * cfg.width_multiplier)
        make_block = BLOCKS[spec.kind]
        for b in range(spec.depth):
            name = f"stage{s}_block{b}"
            if spec.kind == "convnext":
                if b == 0 and s > 0:  # ConvNeXt downsamples between stages
                    x = layers.LayerNormalization(epsilon=1e-6, name=f"stage{s}_down_ln")(x)
                    x = layers.Conv2D(width, 2, strides=spec.stride, name=f"stage{s}_down")(x)
                elif b == 0 and x.shape[-1] != width:
                    x = layers.Conv2D(width, 1, name=f"stage{s}_proj")(x)
                x = make_block(width, spec.kernel_size, dp_rates[block_idx],
                               cfg.layer_scale_init, name=name)(x)
            else:
                stride = spec.stride if b == 0 else 1
                x = make_block(width, stride=stride, kernel_size=spec.kernel_size,
                               expand_ratio=spec.expand_ratio, se_ratio=spec.se_ratio,
                               drop_path=dp_rates[block_idx], name=name)(x)
            block_idx += 1

    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.LayerNormalization(epsilon=1e-6, name="head_ln")(x)
    outputs = layers.Dense(cfg.num_classes, name="head")(x)
    return keras.Model(inputs, outputs, name=cfg.name)


MODEL_ZOO: Dict[str, BackboneConfig] = {
    "convnext_pico": BackboneConfig(
        "convnext_pico", stages=[StageSpec(1, 32), StageSpec(1, 64), StageSpec(2, 96), StageSpec(1, 128)]),
    "mobilenet_tiny": BackboneConfig(
        name="mobilenet_tiny", stem_stride=2, width_multiplier=0.75, drop_path_rate=0.05,
        stages=[
            StageSpec(1, 16, "mbconv", stride=1, kernel_size=3, expand_ratio=1),
            StageSpec(2, 24, "mbconv", stride=2, kernel_size=3, expand_ratio=6),
            StageSpec(2, 40, "mbconv", stride=2, kernel_size=5, expand_ratio=4, se_ratio=0.25),
            StageSpec(2, 80, "mbconv", stride=2, kernel_size=3, expand_ratio=6, se_ratio=0.25),
        ],
    ),
}


def smoke_train(cfg: BackboneConfig, n: int = 96, batch: int = 16) -> Tuple[float, int]:
    model = build_backbone(cfg)
    steps, warmup = math.ceil(n / batch), 2
    schedule = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, steps - warmup), warmup_target=4e-3, warmup_steps=warmup)
    model.compile(optimizer=keras.optimizers.AdamW(schedule, weight_decay=0.05),
                  loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
                  metrics=["accuracy"])
    x = np.random.randint(0, 255, (n, cfg.image_size, cfg.image_size, 3)).astype("float32")
    y = keras.utils.to_categorical(np.random.randint(0, cfg.num_classes, n), cfg.num_classes)
    hist = model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
    assert model.predict(x[:4], verbose=0).shape == (4, cfg.num_classes)
    return float(hist.history["loss"][-1]), model.count_params()


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", default="convnext_pico", choices=sorted(MODEL_ZOO))
    args = parser.parse_args()
    keras.utils.set_random_seed(0)

    probe = np.random.uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    for key, cfg in MODEL_ZOO.items():  # eager forward pass validates the block wiring
        net = build_backbone(cfg)
        logits = net(probe, training=False)
        print(f"{key:>16s} | blocks={cfg.total_blocks:2d} | "
              f"params={net.count_params() / 1e6:.2f}M | logits={tuple(logits.shape)}")

    loss, n_params = smoke_train(MODEL_ZOO[args.train])
    print(f"trained {args.train}: loss={loss:.4f} ({n_params} params)")

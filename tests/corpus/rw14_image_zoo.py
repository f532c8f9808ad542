"""Small image-classification model zoo.

Mirrors the usual `models/__init__.py` + `train.py` layout of research repos:
a registry of builder functions keyed by name, a Config dataclass, a
`get_model` factory and a thin Trainer wrapper. Run with e.g.

    python rw14_image_zoo.py --model resnet --epochs 1
"""
import argparse
import functools
from dataclasses import dataclass, field
from typing import Tuple

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers


@dataclass
class Config:
    model: str = "cnn"
    input_shape: Tuple[int, int, int] = (32, 32, 3)
    num_classes: int = 10
    widths: Tuple[int, ...] = (16, 32, 64)
    act_layer: str = "ReLU"
    dropout: float = 0.1
    lr: float = 1e-3
    batch_size: int = 16
    epochs: int = 1
    extra: dict = field(default_factory=dict)


Conv = functools.partial(layers.Conv2D, padding="same", use_bias=False)
DWConv = functools.partial(layers.DepthwiseConv2D, padding="same", use_bias=False)


def conv_bn_act(x, filters, kernel_size, strides, cfg, name, **kwargs):
    x = Conv(filters, kernel_size, strides=strides, name=f"{name}_conv", **kwargs)(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return getattr(layers, cfg.act_layer)(name=f"{name}_act")(x)


def build_cnn(cfg: Config, **kwargs):
    inputs = keras.Input(cfg.input_shape, name="image")
    x = inputs
    for i, w in enumerate(cfg.widths):
        x = conv_bn_act(x, w, 3, 1, cfg, name=f"stage{i}", **kwargs)
        x = layers.MaxPooling2D(name=f"stage{i}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(cfg.dropout, name="head_drop")(x)
    outputs = layers.Dense(cfg.num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def residual_block(x, filters, strides, cfg, name):
    shortcut = x
    y = conv_bn_act(x, filters, 3, strides, cfg, name=f"{name}_a")
    y = Conv(filters, 3, name=f"{name}_b_conv")(y)
    y = layers.BatchNormalization(name=f"{name}_b_bn")(y)
    if strides != 1 or shortcut.shape[-1] != filters:
        shortcut = Conv(filters, 1, strides=strides, name=f"{name}_proj")(shortcut)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
    y = layers.Add(name=f"{name}_add")([y, shortcut])
    return getattr(layers, cfg.act_layer)(name=f"{name}_out")(y)


def build_resnet(cfg: Config, blocks_per_stage=1, **kwargs):
    inputs = keras.Input(cfg.input_shape, name="image")
    x = conv_bn_act(inputs, cfg.widths[0], 3, 1, cfg, name="stem", **kwargs)
    for s, w in enumerate(cfg.widths):
        for b in range(blocks_per_stage):
            strides = 2 if (b == 0 and s > 0) else 1
            x = residual_block(x, w, strides, cfg, name=f"res{s}_{b}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(cfg.num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="small_resnet")


def build_mobilenet(cfg: Config, alpha=1.0, **kwargs):
    inputs = keras.Input(cfg.input_shape, name="image")
    x = conv_bn_act(inputs, int(cfg.widths[0] * alpha), 3, 2, cfg, name="stem")
    for i, w in enumerate(cfg.widths):
        x = DWConv(3, strides=1 if i == 0 else 2, name=f"dw{i}")(x)
        x = layers.BatchNormalization(name=f"dw{i}_bn")(x)
        x = getattr(layers, cfg.act_layer)(name=f"dw{i}_act")(x)
        x = conv_bn_act(x, int(w * alpha), 1, 1, cfg, name=f"pw{i}", **kwargs)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(cfg.dropout, name="head_drop")(x)
    outputs = layers.Dense(cfg.num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name="small_mobilenet")


MODELS = {
    "cnn": build_cnn,
    "resnet": build_resnet,
    "mobilenet": build_mobilenet,
}


def get_model(cfg: Config):
    if cfg.model not in MODELS:
        raise KeyError(f"Unknown model '{cfg.model}', choose from {sorted(MODELS)}")
    return MODELS[cfg.model](cfg, **cfg.extra)


class Trainer:
    def __init__(self, model, cfg: Config):
        self.model = model
        self.cfg = cfg
        self.model.compile(
            optimizer=keras.optimizers.Adam(cfg.lr),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )

    def fit(self, train_ds, val_ds=None):
        return self.model.fit(train_ds, validation_data=val_ds, epochs=self.cfg.epochs, verbose=2)

    def evaluate(self, ds):
        return self.model.evaluate(ds, verbose=0, return_dict=True)


def make_dataset(cfg: Config, n=64, shuffle=True):
    rng = np.random.default_rng(0)
    x = rng.random((n, *cfg.input_shape), dtype=np.float32)
    y = rng.integers(0, cfg.num_classes, size=(n,))
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(n, seed=0)
    return ds.batch(cfg.batch_size).prefetch(tf.data.AUTOTUNE)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--model", default="all", choices=["all", *MODELS])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--act", default="ReLU")
    p.add_argument("--lr", type=float, default=1e-3)
    return p.parse_args()


def main():
    args = parse_args()
    names = list(MODELS) if args.model == "all" else [args.model]
    for name in names:
        cfg = Config(model=name, epochs=args.epochs, act_layer=args.act, lr=args.lr)
        model = get_model(cfg)
        print(f"{model.name}: {model.count_params():,} params")
        trainer = Trainer(model, cfg)
        trainer.fit(make_dataset(cfg), make_dataset(cfg, n=32, shuffle=False))
        print(name, trainer.evaluate(make_dataset(cfg, n=32, shuffle=False)))


if __name__ == "__main__":
    main()

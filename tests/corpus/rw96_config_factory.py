"""Build Keras models from plain config dicts and train each one briefly.

Small experiment harness: every architecture is described by a dict in
EXPERIMENTS, a registry maps the "arch" key to a builder function, and the
results are collected into a comparison table at the end.
"""
import time

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

SEED = 7
NUM_CLASSES = 5
IMG_SHAPE = (16, 16, 3)
N_TRAIN, N_VAL = 256, 64

tf.random.set_seed(SEED)
rng = np.random.default_rng(SEED)

MODEL_REGISTRY = {}


def register(name):
    def deco(fn):
        MODEL_REGISTRY[name] = fn
        return fn
    return deco


def make_activation(name):
    # allow "leaky_relu" etc. as layers so they show up in summary
    if name == "leaky_relu":
        return layers.LeakyReLU(negative_slope=0.1)
    return layers.Activation(name)


@register("mlp")
def build_mlp(cfg, input_shape, num_classes):
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Flatten()(inputs)
    for i, units in enumerate(cfg["hidden"]):
        x = layers.Dense(units, name=f"dense_{i}")(x)
        if cfg.get("batchnorm", False):
            x = layers.BatchNormalization()(x)
        x = make_activation(cfg.get("activation", "relu"))(x)
        x = layers.Dropout(cfg.get("dropout", 0.0))(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=cfg["name"])


@register("cnn")
def build_cnn(cfg, input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for filters in cfg["filters"]:
        x = layers.Conv2D(filters, cfg.get("kernel_size", 3), padding="same")(x)
        x = layers.BatchNormalization()(x)
        x = make_activation(cfg.get("activation", "relu"))(x)
        x = layers.MaxPooling2D()(x)
    if cfg.get("pool", "gap") == "gap":
        x = layers.GlobalAveragePooling2D()(x)
    else:
        x = layers.Flatten()(x)
    x = layers.Dropout(cfg.get("dropout", 0.0))(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=cfg["name"])


def residual_block(x, filters, stride=1):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False)(x)
    y = layers.BatchNormalization()(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
    y = layers.BatchNormalization()(y)
    if stride != 1 or shortcut.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False)(shortcut)
        shortcut = layers.BatchNormalization()(shortcut)
    y = layers.Add()([y, shortcut])
    return layers.ReLU()(y)


@register("resnet")
def build_resnet(cfg, input_shape, num_classes):
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(cfg["stem"], 3, padding="same")(inputs)
    for stage, (filters, blocks) in enumerate(zip(cfg["stage_filters"], cfg["blocks"])):
        for b in range(blocks):
            stride = 2 if (b == 0 and stage > 0) else 1
            x = residual_block(x, filters, stride)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=cfg["name"])


def build_optimizer(opt_cfg):
    opt_cfg = dict(opt_cfg)
    name = opt_cfg.pop("name")
    return keras.optimizers.get({"class_name": name, "config": opt_cfg})


def build_model(cfg):
    builder = MODEL_REGISTRY[cfg["arch"]]
    model = builder(cfg, IMG_SHAPE, NUM_CLASSES)
    model.compile(
        optimizer=build_optimizer(cfg["optimizer"]),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


EXPERIMENTS = [
    {"name": "mlp_small", "arch": "mlp", "hidden": [64, 32], "dropout": 0.1,
     "optimizer": {"name": "adam", "learning_rate": 1e-3}},
    {"name": "mlp_bn", "arch": "mlp", "hidden": [128], "batchnorm": True,
     "activation": "leaky_relu", "optimizer": {"name": "sgd", "learning_rate": 0.05, "momentum": 0.9}},
    {"name": "cnn_gap", "arch": "cnn", "filters": [16, 32], "dropout": 0.2,
     "optimizer": {"name": "adam", "learning_rate": 2e-3}},
    {"name": "cnn_flat", "arch": "cnn", "filters": [8, 16], "pool": "flatten", "activation": "elu",
     "optimizer": {"name": "rmsprop", "learning_rate": 1e-3}},
    {"name": "resnet_tiny", "arch": "resnet", "stem": 16, "stage_filters": [16, 32], "blocks": [1, 1],
     "optimizer": {"name": "adamw", "learning_rate": 1e-3, "weight_decay": 1e-4}},
]


def make_data():
    # class-dependent mean shift so the task is learnable
    y = rng.integers(0, NUM_CLASSES, size=N_TRAIN + N_VAL)
    x = rng.normal(size=(N_TRAIN + N_VAL,) + IMG_SHAPE).astype("float32")
    x += (y[:, None, None, None] / NUM_CLASSES).astype("float32")
    return (x[:N_TRAIN], y[:N_TRAIN]), (x[N_TRAIN:], y[N_TRAIN:])


def run_experiment(cfg, train, val):
    keras.backend.clear_session()
    model = build_model(cfg)
    t0 = time.perf_counter()
    hist = model.fit(train[0], train[1], validation_data=val,
                     batch_size=32, epochs=cfg.get("epochs", 1), verbose=0)
    elapsed = time.perf_counter() - t0
    return {
        "name": cfg["name"],
        "arch": cfg["arch"],
        "params": model.count_params(),
        "train_loss": hist.history["loss"][-1],
        "val_acc": hist.history["val_accuracy"][-1],
        "seconds": elapsed,
    }


def print_table(rows):
    header = f"{'name':<12} {'arch':<7} {'params':>8} {'loss':>7} {'val_acc':>8} {'sec':>6}"
    print(header)
    print("-" * len(header))
    for r in sorted(rows, key=lambda r: -r["val_acc"]):
        print(f"{r['name']:<12} {r['arch']:<7} {r['params']:>8d} {r['train_loss']:>7.3f} "
              f"{r['val_acc']:>8.3f} {r['seconds']:>6.2f}")


if __name__ == "__main__":
    train, val = make_data()
    print("registered architectures:", sorted(MODEL_REGISTRY))
    results = [run_experiment(cfg, train, val) for cfg in EXPERIMENTS]
    print_table(results)

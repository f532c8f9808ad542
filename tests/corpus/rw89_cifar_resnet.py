"""HW4 (Deep Learning, Fall term): a small ResNet for CIFAR-10.

Implements the "ResNet-20-ish" network from the lecture slides, shrunk down so
it trains on a laptop CPU. Uses Keras preprocessing layers for augmentation,
a cosine-decay schedule, and label smoothing. CIFAR is replaced by random
32x32x3 tensors so the script runs offline (swap in keras.datasets.cifar10
for the real thing).
"""
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers, regularizers


@dataclass
class TrainConfig:
    input_shape: tuple = (32, 32, 3)
    num_classes: int = 10
    stages: list = field(default_factory=lambda: [16, 32, 64])
    blocks_per_stage: int = 1
    weight_decay: float = 1e-4
    batch_size: int = 64
    epochs: int = 1
    base_lr: float = 0.05
    label_smoothing: float = 0.1
    n_train: int = 512
    n_test: int = 128


cfg = TrainConfig()

# per-channel CIFAR-10 statistics (from the assignment handout)
CIFAR_MEAN = np.array([0.4914, 0.4822, 0.4465], dtype="float32")
CIFAR_STD = np.array([0.2470, 0.2435, 0.2616], dtype="float32")


def get_data(cfg):
    x_train = np.random.randint(0, 256, (cfg.n_train,) + cfg.input_shape).astype("uint8")
    y_train = np.random.randint(0, cfg.num_classes, (cfg.n_train, 1))
    x_test = np.random.randint(0, 256, (cfg.n_test,) + cfg.input_shape).astype("uint8")
    y_test = np.random.randint(0, cfg.num_classes, (cfg.n_test, 1))
    return (x_train, y_train), (x_test, y_test)


def standardize(x):
    x = x.astype("float32") / 255.0
    return (x - CIFAR_MEAN) / CIFAR_STD  # broadcast over (N, H, W, 3)


def residual_block(x, filters, stride, wd, name):
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False,
                      kernel_regularizer=regularizers.l2(wd), name=f"{name}_conv_a")(x)
    y = layers.BatchNormalization(name=f"{name}_bn_a")(y)
    y = layers.ReLU()(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False,
                      kernel_regularizer=regularizers.l2(wd), name=f"{name}_conv_b")(y)
    y = layers.BatchNormalization(name=f"{name}_bn_b")(y)

    # projection shortcut when spatial size or depth changes (option B in the paper)
    if stride != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False,
                                 kernel_regularizer=regularizers.l2(wd), name=f"{name}_proj")(x)
        shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)

    out = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.ReLU(name=f"{name}_out")(out)


def build_resnet(cfg):
    augment = keras.Sequential([
        layers.RandomFlip("horizontal"),
        layers.RandomTranslation(0.1, 0.1),
    ], name="augmentation")

    inputs = keras.Input(shape=cfg.input_shape)
    x = augment(inputs)
    x = layers.Conv2D(cfg.stages[0], 3, padding="same", use_bias=False,
                      kernel_regularizer=regularizers.l2(cfg.weight_decay))(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)

    for stage_idx, filters in enumerate(cfg.stages):
        for block_idx in range(cfg.blocks_per_stage):
            stride = 2 if (stage_idx > 0 and block_idx == 0) else 1
            x = residual_block(x, filters, stride, cfg.weight_decay,
                               name=f"stage{stage_idx + 1}_block{block_idx + 1}")

    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(cfg.num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mini_resnet")


def main():
    (x_train, y_train), (x_test, y_test) = get_data(cfg)
    x_train, x_test = standardize(x_train), standardize(x_test)
    # label smoothing needs one-hot targets
    y_train = keras.utils.to_categorical(y_train, cfg.num_classes)
    y_test = keras.utils.to_categorical(y_test, cfg.num_classes)
    print("train:", x_train.shape, y_train.shape, "test:", x_test.shape, y_test.shape)

    model = build_resnet(cfg)
    model.summary(line_length=100)

    steps_per_epoch = int(np.ceil(cfg.n_train / cfg.batch_size))
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=cfg.base_lr,
        decay_steps=steps_per_epoch * cfg.epochs,
        alpha=0.01,
    )
    optimizer = keras.optimizers.SGD(learning_rate=schedule, momentum=0.9, nesterov=True)

    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=cfg.label_smoothing),
        metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(k=3, name="top3")],
    )

    model.fit(x_train, y_train, batch_size=cfg.batch_size, epochs=cfg.epochs,
              validation_data=(x_test, y_test), verbose=2)

    loss, acc, top3 = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f} | acc {acc:.4f} | top-3 {top3:.4f}")
    n_params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    print("trainable parameters:", n_params)


if __name__ == "__main__":
    main()

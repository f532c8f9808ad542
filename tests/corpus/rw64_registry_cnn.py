"""Tiny image-classification model zoo.

Architectures register themselves with ``@register_model`` and are built via
``get_model(name, **overrides)``.  Run this file to smoke-test every entry in the
registry on random data (one short epoch each).
"""
import numpy as np
import keras
from keras import layers

MODEL_REGISTRY = {}

DEFAULT_CFG = {
    "input_shape": (32, 32, 3),
    "num_classes": 10,
    "dropout": 0.1,
    "width": 16,
}


def register_model(name):
    """Decorator that adds a builder function to the global registry."""
    def _wrap(fn):
        if name in MODEL_REGISTRY:
            raise ValueError(f"Model '{name}' already registered")
        MODEL_REGISTRY[name] = fn
        return fn
    return _wrap


def list_models():
    return sorted(MODEL_REGISTRY)


def get_model(name, **overrides):
    if name not in MODEL_REGISTRY:
        raise KeyError(f"Unknown model '{name}'. Available: {list_models()}")
    cfg = dict(DEFAULT_CFG)
    cfg.update(overrides)
    return MODEL_REGISTRY[name](**cfg)


# --------------------------------------------------------------------------- #
# Reusable blocks
# --------------------------------------------------------------------------- #
def conv_bn_act(x, filters, kernel_size=3, strides=1, act="relu", name=None):
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same",
                      use_bias=False, name=None if name is None else name + "_conv")(x)
    x = layers.BatchNormalization(name=None if name is None else name + "_bn")(x)
    if act:
        x = layers.Activation(act, name=None if name is None else name + "_act")(x)
    return x


def basic_residual_block(x, filters, strides=1, name="block"):
    shortcut = x
    y = conv_bn_act(x, filters, strides=strides, name=name + "_a")
    y = conv_bn_act(y, filters, act=None, name=name + "_b")
    if strides != 1 or x.shape[-1] != filters:
        shortcut = layers.Conv2D(filters, 1, strides=strides, use_bias=False,
                                 name=name + "_proj")(x)
        shortcut = layers.BatchNormalization(name=name + "_proj_bn")(shortcut)
    y = layers.Add(name=name + "_add")([y, shortcut])
    return layers.ReLU(name=name + "_out")(y)


def squeeze_excite(x, ratio=4, name="se"):
    ch = x.shape[-1]
    s = layers.GlobalAveragePooling2D(keepdims=True, name=name + "_gap")(x)
    s = layers.Conv2D(max(ch // ratio, 4), 1, activation="relu", name=name + "_reduce")(s)
    s = layers.Conv2D(ch, 1, activation="sigmoid", name=name + "_expand")(s)
    return layers.Multiply(name=name + "_scale")([x, s])


def classifier_head(x, num_classes, dropout):
    x = layers.GlobalAveragePooling2D()(x)
    if dropout > 0:
        x = layers.Dropout(dropout)(x)
    return layers.Dense(num_classes, activation="softmax", name="predictions")(x)


# --------------------------------------------------------------------------- #
# Architectures
# --------------------------------------------------------------------------- #
@register_model("vgg_tiny")
def vgg_tiny(input_shape, num_classes, dropout, width):
    inputs = keras.Input(shape=input_shape)
    x = inputs
    for stage, mult in enumerate([1, 2, 4]):
        for rep in range(2):
            x = conv_bn_act(x, width * mult, name=f"s{stage}_c{rep}")
        x = layers.MaxPooling2D(2, name=f"s{stage}_pool")(x)
    outputs = classifier_head(x, num_classes, dropout)
    return keras.Model(inputs, outputs, name="vgg_tiny")


@register_model("resnet_tiny")
def resnet_tiny(input_shape, num_classes, dropout, width, blocks_per_stage=(1, 1, 1)):
    inputs = keras.Input(shape=input_shape)
    x = conv_bn_act(inputs, width, name="stem")
    filters = width
    for stage, n_blocks in enumerate(blocks_per_stage):
        for b in range(n_blocks):
            strides = 2 if (b == 0 and stage > 0) else 1
            x = basic_residual_block(x, filters, strides=strides, name=f"stage{stage}_b{b}")
        filters *= 2
    outputs = classifier_head(x, num_classes, dropout)
    return keras.Model(inputs, outputs, name="resnet_tiny")


@register_model("se_resnet_tiny")
def se_resnet_tiny(input_shape, num_classes, dropout, width):
    inputs = keras.Input(shape=input_shape)
    x = conv_bn_act(inputs, width, strides=2, name="stem")
    for stage in range(2):
        x = basic_residual_block(x, width * 2 ** stage, strides=2 if stage else 1,
                                 name=f"se_stage{stage}")
        x = squeeze_excite(x, name=f"se{stage}")
    outputs = classifier_head(x, num_classes, dropout)
    return keras.Model(inputs, outputs, name="se_resnet_tiny")


@register_model("mlp_mixer_tiny")
def mlp_mixer_tiny(input_shape, num_classes, dropout, width, patch_size=8, depth=2):
    h, w, c = input_shape
    num_patches = (h // patch_size) * (w // patch_size)
    inputs = keras.Input(shape=input_shape)
    x = layers.Conv2D(width * 2, patch_size, strides=patch_size, name="patchify")(inputs)
    x = layers.Reshape((num_patches, width * 2))(x)
    for i in range(depth):
        # token mixing: transpose so Dense acts over the patch axis
        y = layers.LayerNormalization(name=f"mix{i}_ln1")(x)
        y = layers.Permute((2, 1))(y)
        y = layers.Dense(num_patches, activation="gelu", name=f"mix{i}_tok")(y)
        y = layers.Permute((2, 1))(y)
        x = layers.Add()([x, y])
        # channel mixing
        y = layers.LayerNormalization(name=f"mix{i}_ln2")(x)
        y = layers.Dense(width * 4, activation="gelu", name=f"mix{i}_ch1")(y)
        y = layers.Dense(width * 2, name=f"mix{i}_ch2")(y)
        x = layers.Add()([x, y])
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name="mlp_mixer_tiny")


def make_fake_data(n, input_shape, num_classes, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n,) + tuple(input_shape), dtype=np.float32)
    y = rng.integers(0, num_classes, size=(n,))
    return x, y


if __name__ == "__main__":
    keras.utils.set_random_seed(42)
    x_train, y_train = make_fake_data(64, DEFAULT_CFG["input_shape"], DEFAULT_CFG["num_classes"])
    results = {}
    for name in list_models():
        model = get_model(name, dropout=0.2)
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
        hist = model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
        preds = model.predict(x_train[:4], verbose=0)
        results[name] = (model.count_params(), hist.history["loss"][-1], preds.shape)
    print(f"{'model':<18}{'params':>10}{'loss':>10}  preds")
    for name, (params, loss, shape) in results.items():
        print(f"{name:<18}{params:>10d}{loss:>10.4f}  {shape}")

    # overrides flow through to the builder
    wide = get_model("resnet_tiny", width=8, num_classes=3, blocks_per_stage=(2, 1))
    print(wide.name, wide.output_shape)

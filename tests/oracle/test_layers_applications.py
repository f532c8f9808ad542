"""Differential tests for keras.applications (layers/applications.py) against Keras 3.

Building an application model is slow (0.5-15 s each), so this file checks one member of each
downsampling family at small, odd, non-square input sizes (weights=None: nothing is
downloaded), the channel counts of a few more members, and the argument checks, which Keras
runs before building anything.

A one-off sweep (not part of the suite) built every one of the 40 constructors with
``weights=None`` at four generated configurations each (minimum size, minimum+1, two random
non-square sizes up to 130, and include_top=True with classes=7) and the engine agreed exactly
on all of them; the default shapes (include_top=True/False, input_shape=None) were also checked
for every constructor.
"""

from __future__ import annotations

import random
import zlib

import pytest

from oracle.harness import assert_agrees, compare, run_engine


def _sizes(seed: int, lo: int, hi: int) -> tuple[int, int]:
    rng = random.Random(seed)
    return rng.randint(lo, hi), rng.randint(lo, hi)


# one representative per spatial chain (see _RESNET, _VGG, ... in applications.py)
_FAMILIES = [
    ("ResNet50", 32),
    ("ResNet50V2", 32),
    ("VGG16", 32),
    ("MobileNet", 32),
    ("MobileNetV2", 32),
    ("MobileNetV3Small", 32),
    ("EfficientNetB0", 32),
    ("EfficientNetV2B0", 32),
    ("DenseNet121", 32),
    ("InceptionV3", 75),
    ("Xception", 71),
    ("NASNetMobile", 32),
    ("ConvNeXtTiny", 32),
]


@pytest.mark.parametrize("name,lo", _FAMILIES)
def test_feature_map(name: str, lo: int) -> None:
    h, w = _sizes(zlib.crc32(name.encode()), lo, lo + 40)
    assert_agrees(
        f"""
        base = keras.applications.{name}(weights=None, include_top=False, input_shape=({h}, {w}, 3))
        x = base.input
        y = base.output
        """,
        ["x", "y"],
    )


@pytest.mark.parametrize(
    "src",
    [
        "m = keras.applications.VGG16(weights=None, include_top=False, pooling='avg', input_shape=(48, 40, 3))",
        "m = keras.applications.VGG19(weights=None, include_top=False, pooling='max', input_shape=(33, 65, 1))",
        "m = keras.applications.VGG16(weights=None, include_top=True, classes=7, input_shape=(45, 50, 3))",
        "m = keras.applications.vgg16.VGG16(weights=None, include_top=False)",
        "m = keras.applications.MobileNet(input_shape=(64, 64, 3), alpha=0.5, weights=None, include_top=False)",
        "m = keras.applications.MobileNet(input_shape=(64, 64, 3), alpha=0.25, weights=None, classes=3)",
        "m = keras.applications.mobilenet.MobileNet(None, 0.75, weights=None, include_top=False)",
        "m = keras.applications.MobileNetV2(input_shape=(33, 47, 3), alpha=1.4, weights=None, include_top=False)",
        "m = keras.applications.MobileNetV2(alpha=0.35, weights=None, include_top=False, pooling='avg')",
        "m = keras.applications.MobileNetV3Small(input_shape=(40, 40, 3), alpha=0.75, weights=None, include_top=False)",
        "m = keras.applications.MobileNetV3Small(weights=None, classes=4)",
        "m = keras.applications.MobileNetV3Large(input_shape=(36, 52, 3), weights=None, include_top=False, minimalistic=True)",
    ],
)
def test_variants(src: str) -> None:
    assert_agrees(src + "\ny = m.output\nx = m.input", ["x", "y"])


def test_default_input_shapes() -> None:
    # include_top=True builds the default-size Input; without a top the size is free
    assert_agrees(
        """
        top = keras.applications.MobileNet(weights=None)
        notop = keras.applications.MobileNet(weights=None, include_top=False)
        a = top.input
        b = top.output
        c = notop.input
        d = notop.output
        """,
        ["a", "b", "c", "d"],
    )


def test_nasnet_mobile_default_is_224() -> None:
    assert_agrees(
        "m = keras.applications.NASNetMobile(weights=None, include_top=False, pooling='avg')\nx = m.input\ny = m.output",
        ["x", "y"],
    )


def test_input_tensor_and_transfer_learning() -> None:
    assert_agrees(
        """
        inputs = keras.Input(shape=(72, 72, 3))
        scaled = layers.Rescaling(1.0 / 255)(inputs)
        base = keras.applications.ResNet50(weights=None, include_top=False, input_tensor=scaled)
        base.trainable = False
        features = base.output
        pooled = layers.GlobalAveragePooling2D()(features)
        out = layers.Dense(10, activation="softmax")(pooled)
        model = keras.Model(inputs, out)
        src = base.input[0]  # Keras builds it on get_source_inputs(input_tensor): a list
        first = base.inputs[0]
        y = model.output
        """,
        ["features", "pooled", "out", "src", "first", "y"],
    )


def test_calling_the_model() -> None:
    assert_agrees(
        """
        base = keras.applications.MobileNetV2(weights=None, include_top=False, input_shape=(None, None, 3))
        a = base(keras.Input((96, 96, 3)), training=False)
        b = base(keras.Input((57, 70, 3)))
        c = base(tf.zeros((2, 64, 32, 3)))
        fixed = keras.applications.VGG16(weights=None, include_top=False, pooling="avg", input_shape=(64, 64, 3))
        d = fixed.predict(np.zeros((3, 64, 64, 3)), verbose=0)
        e = fixed(keras.Input((64, 64, 3)))
        """,
        ["a", "b", "c", "d", "e"],
    )


def test_calling_with_the_wrong_size_is_flagged() -> None:
    src = """
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64, 3))
    y = base(keras.Input((32, 32, 3)))
    """
    v = compare(src, ["y"])
    assert v.ok, v.detail
    assert run_engine(src).errors


@pytest.mark.parametrize(
    "call",
    [
        # the ImageNet classifier needs the default input size (checked before any download)
        "keras.applications.ResNet50(input_shape=(128, 128, 3))",
        "keras.applications.EfficientNetB0(input_shape=(96, 96, 3))",
        "keras.applications.InceptionV3(include_top=True, input_shape=(224, 224, 3))",
        # ImageNet weights with a different number of classes
        "keras.applications.ResNet50(classes=10)",
        # ImageNet weights need 3 channels
        "keras.applications.ResNet50(include_top=False, input_shape=(64, 64, 1))",
        # minimum sizes
        "keras.applications.ResNet50(weights=None, include_top=False, input_shape=(16, 16, 3))",
        "keras.applications.InceptionV3(weights=None, include_top=False, input_shape=(74, 80, 3))",
        "keras.applications.Xception(weights=None, include_top=False, input_shape=(70, 80, 3))",
        # a classifier top needs a static size
        "keras.applications.DenseNet121(weights=None, input_shape=(None, None, 3))",
        # input_shape must be (height, width, channels)
        "keras.applications.VGG16(weights=None, include_top=False, input_shape=(64, 64))",
    ],
)
def test_argument_mistakes_flagged(call: str) -> None:
    src = f"m = {call}\ny = m.output"
    v = compare(src, ["y"])
    assert v.ok, v.detail
    assert run_engine(src).errors, call


@pytest.mark.parametrize(
    "spelling",
    [
        "keras.applications.resnet50.ResNet50",
        "keras.applications.resnet.ResNet50",
        "tf.keras.applications.ResNet50",
        "tf.keras.applications.resnet50.ResNet50",
    ],
)
def test_spellings(spelling: str) -> None:
    src = f"m = {spelling}(weights=None, include_top=False, pooling='avg', input_shape=(32, 32, 3))\ny = m.output"
    assert_agrees(src, ["y"])


def test_from_import_spelling() -> None:
    assert_agrees(
        """
        from tensorflow.keras.applications import VGG19
        from keras.applications.efficientnet import EfficientNetB3
        a = VGG19(weights=None, include_top=False, input_shape=(32, 40, 3)).output
        """,
        ["a"],
    )
    # no build: the engine alone knows EfficientNetB3's width (1536 channels, /32)
    values = run_engine(
        "from keras.applications.efficientnet import EfficientNetB3\n"
        "b = EfficientNetB3(weights=None, include_top=False, input_shape=(300, 300, 3)).output\n"
    ).values
    assert values["b"].shape == (None, 10, 10, 1536)


def test_preprocess_input_keeps_the_shape() -> None:
    assert_agrees(
        """
        images = np.random.rand(2, 32, 32, 3).astype("float32")
        a = keras.applications.mobilenet_v2.preprocess_input(images)
        b = keras.applications.resnet50.preprocess_input(images * 255.0)
        c = keras.applications.efficientnet.preprocess_input(images)
        sym = keras.applications.mobilenet_v2.preprocess_input(keras.Input(shape=(32, 32, 3)))
        """,
        ["a", "b", "c", "sym"],
    )


@pytest.mark.parametrize(
    ("app", "size", "names"),
    [
        ("VGG19", (48, 64), ["block1_conv1", "block2_conv1", "block3_conv4", "block4_pool", "block5_conv2"]),
        ("VGG16", (37, 50), ["block1_conv2", "block2_pool", "block3_conv3", "block5_pool"]),
        ("VGG16", (32, 32), ["block4_conv1", "block5_conv3"]),
    ],
)
def test_vgg_inner_layers_by_name(app: str, size: tuple[int, int], names: list[str]) -> None:
    """Style-transfer / feature-extraction code: a model from VGG's named inner layers, called
    on new images (the TF neural style transfer tutorial's pattern)."""
    h, w = size
    outs = ", ".join(f"vgg.get_layer({n!r}).output" for n in names)
    src = f"""
        vgg = keras.applications.{app}(include_top=False, weights=None, input_shape=({h}, {w}, 3))
        extractor = keras.Model([vgg.input], [{outs}])
        feats = extractor(np.zeros((2, {h}, {w}, 3), np.float32))
        """ + "".join(f"f{i} = feats[{i}]\n        " for i in range(len(names)))
    assert_agrees(src, [f"f{i}" for i in range(len(names))])


def test_vgg_top_layers_by_name() -> None:
    assert_agrees(
        """
        vgg = keras.applications.VGG16(weights=None, input_shape=(32, 32, 3), classes=7)
        head = keras.Model(vgg.input, [vgg.get_layer("flatten").output, vgg.get_layer("fc2").output,
                                       vgg.get_layer("predictions").output])
        a, b, c = head(np.zeros((3, 32, 32, 3), np.float32))
        """,
        ["a", "b", "c"],
    )


# EfficientNet's names except its paddings, input scaling and squeeze-excite internals (not
# feature maps)
_EFFICIENTNET_KNOWN = r"(?!.*_pad$|input_layer|rescaling|normalization|.*_se_(squeeze|reshape|reduce|expand)$)"

# (constructor call, names the engine must know: a regex over the real model's layer names)
_NAMED_SWEEPS = [
    ("ResNet50(weights=None, include_top=False, input_shape=(97, 130, 3))", r"(?!.*_pad$|input_layer$)"),
    ("ResNet50V2(weights=None, include_top=False, input_shape=(97, 130, 3))",
     r"(?!.*_pad$|input_layer$|max_pooling2d)"),
    ("MobileNetV2(weights=None, include_top=False, input_shape=(97, 130, 3))", r"(?!.*_pad$|input_layer$)"),
    ("MobileNetV2(weights=None, include_top=False, input_shape=(61, 45, 3), alpha=0.35)",
     r"(?!.*_pad$|input_layer$)"),
    ("MobileNetV2(weights=None, include_top=True, input_shape=(96, 96, 3), alpha=1.3, classes=5)",
     r"(?!.*_pad$|input_layer$|global_average|predictions)"),
    ("InceptionV3(weights=None, include_top=False, input_shape=(155, 203, 3))", r"mixed\d+$"),
    ("Xception(weights=None, include_top=False, input_shape=(97, 130, 3))", r"block"),
    ("Xception(weights=None, include_top=True, input_shape=(150, 150, 3), classes=4)", r"block"),
    ("EfficientNetB0(weights=None, include_top=False, input_shape=(97, 130, 3))", _EFFICIENTNET_KNOWN),
    ("EfficientNetB3(weights=None, include_top=False, input_shape=(64, 77, 3))", _EFFICIENTNET_KNOWN),
    ("EfficientNetB1(weights=None, include_top=True, input_shape=(65, 65, 3), classes=3)",
     r"(?!.*_pad$|input_layer|rescaling|normalization|.*_se_(squeeze|reshape|reduce|expand)$|avg_pool|"
     r"top_dropout|predictions)"),
    ("EfficientNetV2B0(weights=None, include_top=False, input_shape=(97, 130, 3))", _EFFICIENTNET_KNOWN),
    ("EfficientNetV2B3(weights=None, include_top=False, input_shape=(64, 77, 3))", _EFFICIENTNET_KNOWN),
    ("EfficientNetV2B1(weights=None, include_top=False, input_shape=(65, 65, 3))", _EFFICIENTNET_KNOWN),
    ("DenseNet121(weights=None, include_top=False, input_shape=(97, 130, 3))",
     r"(?!input_layer|zero_padding)"),
    ("DenseNet169(weights=None, include_top=False, input_shape=(64, 71, 3))",
     r"(?!input_layer|zero_padding)"),
]


@pytest.mark.parametrize(("ctor", "known"), _NAMED_SWEEPS)
def test_inner_layers_by_name_sweep(ctor: str, known: str) -> None:
    """Every layer of the real model, read by name (``base.get_layer(name).output``): the engine
    is exact where it answers, never wrong, and answers for every name the family's naming
    scheme gives (stem, every block's convolutions, norms, activations, adds and outputs)."""
    import re

    import keras

    keras.backend.clear_session()
    real = getattr(keras.applications, ctor.split("(")[0])(**eval(f"dict({ctor.split('(', 1)[1]}"))
    layers = [(layer.name, tuple(layer.output.shape)) for layer in real.layers]
    src = f"base = keras.applications.{ctor}\n" + "".join(
        f"l{i} = base.get_layer({name!r}).output\n" for i, (name, _) in enumerate(layers)
    )
    engine = run_engine(src)
    assert not engine.errors, engine.errors
    missing, wrong = [], []
    for i, (name, shape) in enumerate(layers):
        e = engine.values.get(f"l{i}")
        if e is None or e.shape is None:
            if re.match(known, name):
                missing.append(name)
        elif tuple(e.shape) != shape:
            wrong.append(f"{name}: engine {e.shape} vs real {shape}")
    assert not wrong, wrong
    assert not missing, missing


def test_backbone_features_for_a_segmentation_decoder() -> None:
    """The image segmentation tutorial's pattern: a down stack from MobileNetV2's named
    activations (built for unknown sizes), called on a batch of images."""
    names = ["block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu", "block_13_expand_relu",
             "block_16_project"]
    outs = ", ".join(f"base.get_layer({n!r}).output" for n in names)
    assert_agrees(
        f"""
        base = keras.applications.MobileNetV2(input_shape=(128, 128, 3), include_top=False, weights=None)
        down_stack = keras.Model(inputs=base.input, outputs=[{outs}])
        skips = down_stack(np.zeros((2, 128, 128, 3), np.float32))
        s0, s1, s2, s3, s4 = skips
        feats = keras.applications.ResNet50(weights=None, include_top=False, input_shape=(None, None, 3))
        pyramid = keras.Model(feats.input, [feats.get_layer(n).output
                                            for n in ("conv3_block4_out", "conv4_block6_out", "conv5_block3_out")])
        c3, c4, c5 = pyramid(np.zeros((1, 75, 99, 3), np.float32))
        incep = keras.applications.InceptionV3(weights=None, include_top=False)
        dream = keras.Model(incep.inputs, [incep.get_layer(n).output for n in ["mixed4", "mixed5"]])
        d4, d5 = dream(np.zeros((1, 150, 180, 3), np.float32))
        """,
        ["s0", "s1", "s2", "s3", "s4", "c3", "c4", "c5", "d4", "d5"],
    )


# one member of each family (the table in applications.py was measured for all 40 constructors
# the same way; the largest take tens of seconds to build, so CI checks these)
_COUNTED = [
    ("ResNet50", "include_top=False, input_shape=(64, 64, 3)"),
    ("ResNet50V2", "include_top=True, classes=7, input_shape=(64, 64, 3)"),
    ("VGG16", "include_top=True, classes=5, input_shape=(64, 96, 3)"),
    ("MobileNet", "include_top=True, classes=3, input_shape=(128, 128, 3)"),
    ("MobileNetV2", "include_top=False, input_shape=(96, 96, 3), pooling='avg'"),
    ("MobileNetV3Small", "include_top=True, classes=4, input_shape=(96, 96, 3)"),
    ("EfficientNetB0", "include_top=False, input_shape=(64, 64, 3)"),
    ("EfficientNetV2B0", "include_top=True, classes=10, input_shape=(64, 64, 3)"),
    ("DenseNet121", "include_top=False, input_shape=(64, 64, 3)"),
    ("InceptionV3", "include_top=False, input_shape=(75, 75, 3)"),
    ("Xception", "include_top=True, classes=2, input_shape=(71, 71, 3)"),
    ("NASNetMobile", "include_top=False, input_shape=(224, 224, 3)"),
    ("ConvNeXtTiny", "include_top=False, input_shape=(64, 64, 3)"),
]


def _counts(model: object) -> tuple[int, int]:
    import numpy as np

    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)  # type: ignore[attr-defined]
    return int(model.count_params()), trainable  # type: ignore[attr-defined]


def _engine_counts(src: str, name: str) -> tuple[int | None, int | None] | None:
    from oracle.harness import PREAMBLE
    from shapelens.core.analysis import analyze_source

    facts = [f for f in analyze_source(PREAMBLE + src).facts if f.kind == "model" and f.name == name]
    table = facts[-1].model_table() if facts else None
    return None if table is None else (table.total, table.trainable)


@pytest.mark.parametrize(("app", "kwargs"), _COUNTED, ids=[a for a, _ in _COUNTED])
def test_application_parameter_counts(app: str, kwargs: str) -> None:
    """The hover's model table of an application (and of a model built on a frozen one, the
    transfer-learning pattern) gives count_params() and the trainable count exactly."""
    import keras

    keras.backend.clear_session()
    src = f"""
base = keras.applications.{app}(weights=None, {kwargs})
base.trainable = False
inputs = keras.Input(base.input.shape[1:])
head = layers.Dense(3)(layers.Flatten()(base(inputs, training=False)))
model = keras.Model(inputs, head)
"""
    ns: dict[str, object] = {}
    from oracle.harness import PREAMBLE

    exec(compile(PREAMBLE + src, "<snippet>", "exec"), ns)
    assert _engine_counts(src, "model") == _counts(ns["model"])
    base = ns["base"]
    base.trainable = True  # type: ignore[attr-defined]
    assert _engine_counts(src.replace("base.trainable = False\n", ""), "base") == _counts(base)


@pytest.mark.parametrize(
    "kwargs",
    [
        "alpha=0.35, include_top=False, input_shape=(96, 96, 3)",
        "alpha=1.3, include_top=True, classes=6, input_shape=(96, 96, 3)",
        "alpha=0.75, include_top=True, classes=2, input_shape=(64, 64, 1)",
    ],
)
def test_mobilenet_v2_counts_for_any_width(kwargs: str) -> None:
    import keras

    keras.backend.clear_session()
    real = keras.applications.MobileNetV2(weights=None, **eval(f"dict({kwargs})"))
    assert _engine_counts(f"base = keras.applications.MobileNetV2(weights=None, {kwargs})\n", "base") == _counts(real)


@pytest.mark.parametrize(
    "ctor",
    [
        "MobileNet(weights=None, alpha=0.5, include_top=False, input_shape=(96, 96, 3))",  # another width
        "ResNet50(weights=None, include_top=False, input_shape=(64, 64, 1))",  # one input channel
    ],
)
def test_application_counts_outside_the_table_are_unknown(ctor: str) -> None:
    counts = _engine_counts(f"base = keras.applications.{ctor}\n", "base")
    assert counts is None or counts[0] is None


def test_convnext_given_an_input_tensor_keeps_a_single_input() -> None:
    # ConvNeXt alone takes get_source_inputs(input_tensor)[0]: its .input is the tensor itself
    assert_agrees(
        """
        inp = keras.Input((32, 32, 3))
        base = keras.applications.ConvNeXtTiny(include_top=False, weights=None, input_tensor=inp)
        t = base.input
        listed = keras.applications.MobileNetV2(include_top=False, weights=None, input_tensor=inp)
        first = listed.input[0]
        """,
        ["t", "first"],
    )

"""``keras.applications``: the pretrained image models (ResNet, VGG, MobileNet, EfficientNet,
DenseNet, Inception, Xception, NASNet, ConvNeXt families).

Each constructor returns a ``ModelVal(kind="application")`` whose input is the image tensor and
whose output is ``(batch, classes)`` with ``include_top=True``, the final feature map
``(batch, h, w, C)`` without it, or ``(batch, C)`` with ``pooling='avg'|'max'``. The feature
map's spatial size follows each family's downsampling chain exactly as Keras 3.15 builds it
(e.g. ResNet rounds up at each of its five stride-2 steps, VGG and DenseNet's transitions round
down, Inception's valid 3x3 convolutions shave pixels), so non-square and odd input sizes come
out right. Input validation follows ``imagenet_utils.obtain_input_shape``: minimum sizes,
``include_top=True`` needing a static input shape, and the fixed input size the ImageNet
classifier weights need. Channels-last only (Keras' default image data format).

The whole backbone is one pseudo-layer (a `LayerVal` in ``ModelVal.layers[0]``, rule
`_backbone`) recorded as the output's history, so calling the model on another tensor
(``base(x)``, ``predict``) replays it on that tensor's shape like any functional model.

Inner layers by name (``base.get_layer("conv4_block6_out").output``, the feature-extraction,
segmentation and style-transfer pattern) are known for the families with a regular naming
scheme: VGG16/19, ResNet50/101/152 (V1 and V2), MobileNetV2 (any alpha) and InceptionV3's
``mixed*`` blocks. Each becomes a layer of its own that replays on new images.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, Unknowable
from ..values import (
    UNKNOWN,
    Const,
    LayerVal,
    ModelVal,
    OpNode,
    Seq,
    Tensor,
    Value,
    tensors_in,
)
from .base import LayerCall, LayerSpec

# ----------------------------------------------------------------------------------------------
# spatial downsampling steps (one axis)


def _ceil2(n: int, built_known: bool) -> int:
    return (n + 1) // 2


def _floor2(n: int, built_known: bool) -> int:
    return n // 2


def _cpad2(n: int, built_known: bool) -> int:
    """``ZeroPadding2D(correct_pad(x, k))`` + valid stride-2 conv: rounds up when the model was
    built with a known size; with an unknown size the padding is (0, 1)-style and rounds down."""
    return (n + 1) // 2 if built_known else n // 2


def _valid3s2(n: int, built_known: bool) -> int:
    return (n - 3) // 2 + 1


def _valid3(n: int, built_known: bool) -> int:
    return n - 2


def _floor4(n: int, built_known: bool) -> int:
    return n // 4


Step = Callable[[int, bool], int]

_RESNET: tuple[Step, ...] = (_ceil2,) * 5
_VGG: tuple[Step, ...] = (_floor2,) * 5
_MOBILENET: tuple[Step, ...] = (_ceil2, _floor2, _floor2, _floor2, _floor2)
_CPAD5: tuple[Step, ...] = (_cpad2,) * 5
_MOBILENET_V2: tuple[Step, ...] = (_ceil2, _cpad2, _cpad2, _cpad2, _cpad2)
_DENSENET: tuple[Step, ...] = (_ceil2, _ceil2, _floor2, _floor2, _floor2)
_INCEPTION: tuple[Step, ...] = (_valid3s2, _valid3, _valid3s2, _valid3, _valid3s2, _valid3s2, _valid3s2)
_XCEPTION: tuple[Step, ...] = (_valid3s2, _valid3, _ceil2, _ceil2, _ceil2, _ceil2)
_NASNET: tuple[Step, ...] = (_valid3s2, _cpad2, _cpad2, _cpad2, _cpad2)
_CONVNEXT: tuple[Step, ...] = (_floor4, _floor2, _floor2, _floor2)


def _spatial(chain: tuple[Step, ...], n: Dim, built_known: bool) -> Dim:
    if not isinstance(n, int):
        return None
    for step in chain:
        n = step(n, built_known)
        if n <= 0:
            return None
    return n


# ----------------------------------------------------------------------------------------------
# channel counts


def _make_divisible(v: float, divisor: int = 8) -> int:
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _alpha(cfg: dict[str, Any]) -> float | None:
    a = cfg.get("alpha", 1.0)
    return float(a) if isinstance(a, (int, float)) and not isinstance(a, bool) else None


def _mobilenet_channels(cfg: dict[str, Any]) -> int | None:
    a = _alpha(cfg)
    return None if a is None else int(1024 * a)


def _mobilenet_v2_last(alpha: float) -> int:
    """MobileNetV2's last 1x1 convolution: 1280 wide, wider only for alpha above 1."""
    return _make_divisible(1280 * alpha, 8) if alpha > 1.0 else 1280


def _mobilenet_v2_channels(cfg: dict[str, Any]) -> int | None:
    a = _alpha(cfg)
    return None if a is None else _mobilenet_v2_last(a)


def _mobilenet_v3(last: int) -> Callable[[dict[str, Any]], int | None]:
    def channels(cfg: dict[str, Any]) -> int | None:
        a = _alpha(cfg)
        if a is None:
            return None
        return _make_divisible(_make_divisible(last * a) * 6)

    return channels


def _fixed(c: int) -> Callable[[dict[str, Any]], int | None]:
    return lambda cfg: c


# ----------------------------------------------------------------------------------------------
# the families


_TOP = ("include_top", "weights", "input_tensor", "input_shape", "pooling", "classes", "classifier_activation", "name")
_V2_PARAMS = (
    "include_top", "weights", "input_tensor", "input_shape", "pooling", "classes",
    "classifier_activation", "include_preprocessing", "name",
)
_CONVNEXT_PARAMS = (
    "include_top", "include_preprocessing", "weights", "input_tensor", "input_shape", "pooling",
    "classes", "classifier_activation", "name",
)


@dataclass(frozen=True, slots=True)
class App:
    name: str
    modules: tuple[str, ...]
    params: tuple[str, ...]
    chain: tuple[Step, ...]
    channels: Callable[[dict[str, Any]], int | None]
    default_size: int
    min_size: int = 32
    flatten_top: bool = True  # include_top needs a static input size (obtain_input_shape)
    square_sizes: tuple[int, ...] = ()  # MobileNet: sizes with their own ImageNet weights
    default_notop_size: int | None = None  # NASNetMobile uses 224x224 even without a top


APPS: dict[str, App] = {}


def _add(app: App) -> None:
    APPS[app.name] = app


for _n in ("ResNet50", "ResNet101", "ResNet152"):
    _add(App(_n, ("resnet", *(("resnet50",) if _n == "ResNet50" else ())), _TOP, _RESNET, _fixed(2048), 224))
for _n in ("ResNet50V2", "ResNet101V2", "ResNet152V2"):
    _add(App(_n, ("resnet_v2",), _TOP, _RESNET, _fixed(2048), 224))
_add(App("VGG16", ("vgg16",), _TOP, _VGG, _fixed(512), 224))
_add(App("VGG19", ("vgg19",), _TOP, _VGG, _fixed(512), 224))
_add(App(
    "MobileNet", ("mobilenet",),
    ("input_shape", "alpha", "depth_multiplier", "dropout", "include_top", "weights", "input_tensor",
     "pooling", "classes", "classifier_activation", "name"),
    _MOBILENET, _mobilenet_channels, 224, square_sizes=(128, 160, 192, 224),
))
_add(App(
    "MobileNetV2", ("mobilenet_v2",),
    ("input_shape", "alpha", "include_top", "weights", "input_tensor", "pooling", "classes",
     "classifier_activation", "name"),
    _MOBILENET_V2, _mobilenet_v2_channels, 224, square_sizes=(96, 128, 160, 192, 224),
))
_V3_PARAMS = (
    "input_shape", "alpha", "minimalistic", "include_top", "weights", "input_tensor", "classes",
    "pooling", "dropout_rate", "classifier_activation", "include_preprocessing", "name",
)
_add(App("MobileNetV3Small", ("mobilenet_v3",), _V3_PARAMS, _MOBILENET_V2, _mobilenet_v3(96), 224, flatten_top=False))
_add(App("MobileNetV3Large", ("mobilenet_v3",), _V3_PARAMS, _MOBILENET_V2, _mobilenet_v3(160), 224, flatten_top=False))
for _n, _c, _s in (
    ("EfficientNetB0", 1280, 224), ("EfficientNetB1", 1280, 240), ("EfficientNetB2", 1408, 260),
    ("EfficientNetB3", 1536, 300), ("EfficientNetB4", 1792, 380), ("EfficientNetB5", 2048, 456),
    ("EfficientNetB6", 2304, 528), ("EfficientNetB7", 2560, 600),
):
    _add(App(_n, ("efficientnet",), _TOP, _CPAD5, _fixed(_c), _s))
for _n, _c, _s in (
    ("EfficientNetV2B0", 1280, 224), ("EfficientNetV2B1", 1280, 240), ("EfficientNetV2B2", 1408, 260),
    ("EfficientNetV2B3", 1536, 300), ("EfficientNetV2S", 1280, 384), ("EfficientNetV2M", 1280, 480),
    ("EfficientNetV2L", 1280, 480),
):
    _add(App(_n, ("efficientnet_v2",), _V2_PARAMS, _RESNET, _fixed(_c), _s))
for _n, _c in (("DenseNet121", 1024), ("DenseNet169", 1664), ("DenseNet201", 1920)):
    _add(App(_n, ("densenet",), _TOP, _DENSENET, _fixed(_c), 224))
_add(App("InceptionV3", ("inception_v3",), _TOP, _INCEPTION, _fixed(2048), 299, min_size=75))
_add(App("InceptionResNetV2", ("inception_resnet_v2",), _TOP, _INCEPTION, _fixed(1536), 299, min_size=75))
_add(App("Xception", ("xception",), _TOP, _XCEPTION, _fixed(2048), 299, min_size=71))
_NASNET_PARAMS = (
    "input_shape", "include_top", "weights", "input_tensor", "pooling", "classes",
    "classifier_activation", "name",
)
_add(App("NASNetMobile", ("nasnet",), _NASNET_PARAMS, _NASNET, _fixed(1056), 224, default_notop_size=224))
_add(App("NASNetLarge", ("nasnet",), _NASNET_PARAMS, _NASNET, _fixed(4032), 331))
for _n, _c in (
    ("ConvNeXtTiny", 768), ("ConvNeXtSmall", 768), ("ConvNeXtBase", 1024), ("ConvNeXtLarge", 1536),
    ("ConvNeXtXLarge", 2048),
):
    _add(App(_n, ("convnext",), _CONVNEXT_PARAMS, _CONVNEXT, _fixed(_c), 224))


# ----------------------------------------------------------------------------------------------
# configuration


_DEFAULTS: dict[str, Any] = {
    "include_top": True,
    "weights": "imagenet",
    "pooling": None,
    "classes": 1000,
    "alpha": 1.0,
}


def _config(app: App, call: Call) -> dict[str, Any]:
    """Constant arguments by name; UNKNOWN_MARK for arguments given but not known."""
    from ..registry import UNKNOWN_MARK

    cfg = dict(_DEFAULTS)
    for i, p in enumerate(app.params):
        v = call.arg(i, p)
        if v is None:
            continue
        if p in ("input_tensor", "input_shape"):
            cfg[p] = v
            continue
        if isinstance(v, Const):
            cfg[p] = v.value
        else:
            cfg[p] = UNKNOWN_MARK
    return cfg


def _shape_arg(v: Value | None) -> tuple[Any, ...] | None:
    """``input_shape=(h, w, c)`` with its literal entries (None where unknown)."""
    if v is None or (isinstance(v, Const) and v.value is None):
        return None
    if isinstance(v, Seq) and v.items is not None:
        return tuple(i.value if isinstance(i, Const) else Ellipsis for i in v.items)
    raise Unknowable("input_shape")


def _err(app: App, message: str) -> ShapeError:
    return ShapeError(f"keras.applications.{app.name}: {message}", code="invalid-argument")


def _input_dims(app: App, cfg: dict[str, Any]) -> tuple[Dim, Dim, Dim]:
    """``obtain_input_shape``: the (h, w, c) the model's Input gets, with Keras' checks."""
    shape = _shape_arg(cfg.get("input_shape"))
    include_top = cfg["include_top"]
    weights = cfg["weights"]
    imagenet = weights == "imagenet"
    require_flatten = include_top is True and app.flatten_top
    default = app.default_size
    if shape is not None and app.square_sizes and len(shape) == 3:
        rows, cols = shape[0], shape[1]
        default = rows if rows == cols and rows in app.square_sizes else 224
    if imagenet and include_top is True and cfg["classes"] not in (1000,) and isinstance(cfg["classes"], int):
        raise _err(app, f"with weights='imagenet' and include_top=True, classes must be 1000, got {cfg['classes']}")
    if shape is not None:
        if len(shape) != 3:
            raise _err(app, f"input_shape must be a tuple of three integers (height, width, channels), got {shape}")
        if imagenet and require_flatten and all(isinstance(d, int) for d in shape) and shape != (default, default, 3):
            raise _err(
                app,
                f"with include_top=True and weights='imagenet' the input_shape must be "
                f"{(default, default, 3)}, got {shape}",
            )
        if imagenet and isinstance(shape[2], int) and shape[2] != 3:
            raise _err(app, f"imagenet weights need 3 input channels, got input_shape={shape}")
        for d in shape[:2]:
            if isinstance(d, int) and not isinstance(d, bool) and d < app.min_size:
                raise _err(app, f"input size must be at least {app.min_size}x{app.min_size}, got input_shape={shape}")
        if require_flatten and any(d is None for d in shape):
            raise _err(app, f"with include_top=True the input_shape must be static, got {shape}")
        return tuple(d if isinstance(d, int) and d is not Ellipsis else None for d in shape)  # type: ignore[return-value]
    if require_flatten or (app.default_notop_size is not None and include_top is not True):
        size = app.default_notop_size if include_top is not True and app.default_notop_size else default
        return (size, size, 3)
    return (None, None, 3)


def _source_input(t: Tensor) -> Tensor:
    """The ``keras.Input`` a KerasTensor derives from (``get_source_inputs``), when known."""
    seen = 0
    cur = t
    while cur.history is not None and seen < 10_000:
        seen += 1
        args, kwargs = cur.history[1], cur.history[2]
        prev = [x for x in tensors_in(Seq(list(args) + list(kwargs.values()), "list")) if x.kind == "keras"]
        if len(prev) != 1:
            return t if len(prev) > 1 else cur
        cur = prev[0]
    return cur


def _features(app: App, cfg: dict[str, Any], dims: tuple[Dim, ...], built_known: bool) -> Shape:
    """Output shape for an image batch ``dims`` = (batch, h, w, c)."""
    batch = dims[0]
    c = app.channels(cfg)
    include_top = cfg["include_top"]
    if include_top is True:
        classes = cfg["classes"]
        return Shape((batch, classes if isinstance(classes, int) else None))
    if not isinstance(include_top, bool):
        return Shape(None)
    pooling = cfg["pooling"]
    if pooling in ("avg", "max"):
        return Shape((batch, c))
    if pooling is not None and not isinstance(pooling, str):
        return Shape(None)
    h = _spatial(app.chain, dims[1], built_known)
    w = _spatial(app.chain, dims[2], built_known)
    if app.chain is _NASNET and not built_known:
        h = w = None  # NASNet cells built for an unknown size disagree on odd sizes
    return Shape((batch, h, w, c))


def _make_rule(app: App) -> Callable[[Call], Value]:
    def rule(call: Call) -> Value:
        cfg = _config(app, call)
        from ..registry import UNKNOWN_MARK

        if cfg["include_top"] is UNKNOWN_MARK:
            cfg["include_top"] = None
        label = f"{app.name} at line {call.span.line}"
        tensor = cfg.get("input_tensor")
        if isinstance(tensor, Const) and tensor.value is None:
            tensor = None
        if tensor is not None and not (isinstance(tensor, Tensor) and tensor.kind == "keras"):
            return UNKNOWN
        dims_known = True
        try:
            input_dims = _input_dims(app, cfg)
        except Unknowable:
            input_dims = (None, None, None)  # input_shape not known statically
            dims_known = False
        model_input: Value
        if isinstance(tensor, Tensor):
            feed = tensor
            # Keras builds the model on `get_source_inputs(input_tensor)`, a list: `.input` is
            # that list, not a tensor (ConvNeXt alone takes its first entry)
            source = _source_input(tensor)
            model_input = source if app.name.startswith("ConvNeXt") else Seq([source], "list")
        else:
            feed = Tensor(Shape((None, *input_dims)), "float32", "keras", call.span, f"{app.name} input")
            model_input = feed
        fdims = feed.shape.dims
        if fdims is None:
            output = Tensor(Shape(None), "float32", "keras", call.span, label)
        else:
            if len(fdims) != 4:
                raise _err(app, f"input_tensor must be a batch of images (batch, height, width, channels), got {feed.shape}")
            built_known = isinstance(fdims[1], int) and isinstance(fdims[2], int)
            output = Tensor(_features(app, cfg, fdims, built_known), "float32", "keras", call.span, label)
        # The backbone as one pseudo-layer: replaying the model on another input (model(x),
        # predict) re-runs `_backbone` on it through the output's history.
        spec = LayerSpec(app.name, app.params, _backbone)
        config_layer = LayerVal(spec, list(call.args), dict(call.kwargs), call.span)
        config_layer.config_cache["app_config"] = cfg
        config_layer.config_cache["built_known"] = fdims is not None and all(
            isinstance(d, int) for d in fdims[1:3]
        )
        output.history = (config_layer, [feed], {}, 0, None)
        model = ModelVal(
            "application", layers=[config_layer], inputs=model_input, outputs=output,
            origin=call.span,
            name=cfg.get("name") if isinstance(cfg.get("name"), str) else _default_name(app, cfg, input_dims, dims_known),
        )
        return model

    return rule


# Keras' default model names where they are not the constructor's name in lower case
_DEFAULT_NAMES = {
    "MobileNetV3Small": "MobileNetV3Small", "MobileNetV3Large": "MobileNetV3Large",
    "InceptionV3": "inception_v3", "InceptionResNetV2": "inception_resnet_v2",
    "NASNetMobile": "nasnet_mobile", "NASNetLarge": "nasnet_large",
    **{f"EfficientNetV2{v}": f"efficientnetv2-{v.lower()}" for v in ("B0", "B1", "B2", "B3", "S", "M", "L")},
    **{f"ConvNeXt{v}": f"convnext_{v.lower()}" for v in ("Tiny", "Small", "Base", "Large", "XLarge")},
}


def _default_name(app: App, cfg: dict[str, Any], input_dims: tuple[Dim, Dim, Dim], dims_known: bool) -> str | None:
    """The model's name without ``name=``: MobileNet and MobileNetV2 put their width and input
    rows in it (``mobilenetv2_1.00_224``); None where those are not known."""
    if app.name in ("MobileNet", "MobileNetV2"):
        alpha = _alpha(cfg)
        if alpha is None or not dims_known:
            return None
        prefix = "mobilenet" if app.name == "MobileNet" else "mobilenetv2"
        return f"{prefix}_{alpha:0.2f}_{input_dims[0]}"
    return _DEFAULT_NAMES.get(app.name, app.name.lower())


def _backbone(call: LayerCall) -> Value:
    """The application's layers applied to an image batch (used when the model is called)."""
    app = APPS.get(call.name)
    cfg = call.layer.config_cache.get("app_config")
    dims = call.x().shape.dims
    if app is None or cfg is None or dims is None or len(dims) != 4:
        raise Unknowable("application input")
    built_known = bool(call.layer.config_cache.get("built_known"))
    return Tensor(_features(app, cfg, dims, built_known), "float32")


for _app in APPS.values():
    _names = [f"keras.applications.{_app.name}"]
    _names += [f"keras.applications.{m}.{_app.name}" for m in _app.modules]
    function(*_names)(_make_rule(_app))


_PREPROCESS_MODULES = (
    "resnet", "resnet50", "resnet_v2", "vgg16", "vgg19", "mobilenet", "mobilenet_v2",
    "mobilenet_v3", "efficientnet", "efficientnet_v2", "densenet", "inception_v3",
    "inception_resnet_v2", "xception", "nasnet", "convnext", "imagenet_utils",
)


@function(*(f"keras.applications.{m}.preprocess_input" for m in _PREPROCESS_MODULES))
def _preprocess_input(call: Call) -> Value:
    """Scales pixel values per family; the shape is kept and float inputs stay float."""
    x = call.arg(0, "x")
    if not isinstance(x, Tensor):
        return UNKNOWN
    dtype = x.dtype if x.dtype in ("float32", "float64", "float16") else None
    out = Tensor(x.shape, dtype, x.kind, call.span, x.label)
    if x.kind == "keras":
        out.dtype = "float32"
        # an element-wise step of the functional graph, re-run when the model meets new data
        out.history = (OpNode(call.name, call.node, None, True), list(call.args), dict(call.kwargs), 0, None)
    return out


# ----------------------------------------------------------------------------------------------
# named inner layers (get_layer): families whose layer names follow a regular scheme. Each name
# maps to (downsampling steps of the family's chain taken so far, channels); auto-numbered
# names (``conv2d_3``), paddings and layers of other families stay unknown.

Level = tuple[int, int]

_VGG_CONVS = {"VGG16": (2, 2, 3, 3, 3), "VGG19": (2, 2, 4, 4, 4)}
_VGG_FILTERS = (64, 128, 256, 512, 512)


def _split_block(name: str, prefix: str) -> tuple[int, list[str]] | None:
    """``'conv4_block6_2_relu'`` with prefix ``'conv4_block'`` -> (6, ['2', 'relu'])."""
    if not name.startswith(prefix):
        return None
    head, _, rest = name[len(prefix):].partition("_")
    return (int(head), rest.split("_")) if head.isdigit() and rest else None


def _vgg_level(app: str, name: str, cfg: dict[str, Any]) -> Level | None:
    """``blockB_convK``: before block B's pool; ``blockB_pool``: after it."""
    parts = name.split("_")
    if len(parts) != 2 or not parts[0].startswith("block") or not parts[0][5:].isdigit():
        return None
    b, convs = int(parts[0][5:]), _VGG_CONVS[app]
    if not 1 <= b <= 5:
        return None
    if parts[1] == "pool":
        return b, _VGG_FILTERS[b - 1]
    k = parts[1][4:]
    if parts[1].startswith("conv") and k.isdigit() and 1 <= int(k) <= convs[b - 1]:
        return b - 1, _VGG_FILTERS[b - 1]
    return None


_RESNET_BLOCKS = {
    "ResNet50": (3, 4, 6, 3), "ResNet101": (3, 4, 23, 3), "ResNet152": (3, 8, 36, 3),
    "ResNet50V2": (3, 4, 6, 3), "ResNet101V2": (3, 4, 23, 3), "ResNet152V2": (3, 8, 36, 3),
}
_RESNET_STEM = {"conv1_conv": (1, 64), "conv1_bn": (1, 64), "conv1_relu": (1, 64), "pool1_pool": (2, 64)}


def _resnet_level(app: str, name: str, cfg: dict[str, Any]) -> Level | None:
    """``conv{s}_block{b}_{i}_{conv,bn,relu}``, ``_add``, ``_out`` (and V2's ``_preact_*``).
    V1 downsamples in the first block of stages 3-5, V2 in the last block of stages 2-4 (at its
    ``_2_conv``)."""
    v2 = app.endswith("V2")
    if name in _RESNET_STEM and not (v2 and name != "conv1_conv" and name != "pool1_pool"):
        return _RESNET_STEM[name]
    if v2 and name in ("post_bn", "post_relu"):
        return 5, 2048
    if len(name) < 5 or not name.startswith("conv") or not name[4].isdigit():
        return None
    stage = int(name[4])
    blocks = _RESNET_BLOCKS[app]
    split = _split_block(name, f"conv{stage}_block")
    if not 2 <= stage <= 5 or split is None:
        return None
    block, rest = split
    if not 1 <= block <= blocks[stage - 2]:
        return None
    filters = 64 * 2 ** (stage - 2)
    if not v2:
        if rest in (["1", "conv"], ["1", "bn"], ["1", "relu"], ["2", "conv"], ["2", "bn"], ["2", "relu"]):
            return stage, filters
        if rest in (["3", "conv"], ["3", "bn"], ["add"], ["out"]) or (block == 1 and rest in (["0", "conv"], ["0", "bn"])):
            return stage, 4 * filters
        return None
    # V2: the stage's input level is `stage` (stage 2 after the stem's two steps)
    strided = block == blocks[stage - 2] and stage < 5
    after = stage + 1 if strided else stage
    if rest in (["preact", "bn"], ["preact", "relu"]):
        inp = 64 if stage == 2 and block == 1 else (2 * filters if block == 1 else 4 * filters)
        return stage, inp
    if rest in (["1", "conv"], ["1", "bn"], ["1", "relu"]):
        return stage, filters
    if rest in (["2", "conv"], ["2", "bn"], ["2", "relu"]):
        return after, filters
    if rest in (["3", "conv"], ["out"]):
        return after, 4 * filters
    if block == 1 and rest == ["0", "conv"]:
        return stage, 4 * filters
    return None


# MobileNetV2's inverted residual blocks: (output channels before alpha, stride)
_MOBILENET_V2_BLOCKS = (
    (16, 1), (24, 2), (24, 1), (32, 2), (32, 1), (32, 1), (64, 2), (64, 1), (64, 1), (64, 1),
    (96, 1), (96, 1), (96, 1), (160, 2), (160, 1), (160, 1), (320, 1),
)


def _mobilenet_v2_level(app: str, name: str, cfg: dict[str, Any]) -> Level | None:
    """``block_{i}_{expand,depthwise,project}[_BN|_relu]``, ``block_{i}_add``, the stem
    (``Conv1``, ``expanded_conv_*``) and the head (``Conv_1``, ``out_relu``)."""
    alpha = _alpha(cfg)
    if alpha is None:
        return None
    first = _make_divisible(32 * alpha, 8)
    if name in ("Conv1", "bn_Conv1", "Conv1_relu"):
        return 1, first
    if name in ("Conv_1", "Conv_1_bn", "out_relu"):
        last = _mobilenet_v2_channels(cfg)
        return (5, last) if last is not None else None
    if name.startswith("expanded_conv_"):
        block, part = 0, name[len("expanded_conv_"):].split("_")
    else:
        split = _split_block(name, "block_")
        if split is None:
            return None
        block, part = split
        if not 1 <= block < len(_MOBILENET_V2_BLOCKS):
            return None
    # walk the blocks up to this one: its input channels and downsampling level
    level, channels = 1, first
    for out, stride in _MOBILENET_V2_BLOCKS[:block]:
        channels = _make_divisible(out * alpha, 8)
        level += stride == 2
    out, stride = _MOBILENET_V2_BLOCKS[block]
    after = level + (stride == 2)
    expanded = channels * 6 if block > 0 else channels
    kind, suffix = part[0], part[1:]
    if suffix not in ([], ["BN"], ["relu"]) or (kind == "expand" and block == 0):
        return None
    if kind == "expand":
        return level, expanded
    if kind == "depthwise":
        return after, expanded
    if kind == "project" and suffix != ["relu"]:
        return after, _make_divisible(out * alpha, 8)
    if kind == "add" and not suffix and stride == 1 and channels == _make_divisible(out * alpha, 8) and block > 0:
        return after, channels
    return None


_INCEPTION_MIXED = (256, 288, 288, 768, 768, 768, 768, 768, 1280, 2048, 2048)


def _inception_v3_level(app: str, name: str, cfg: dict[str, Any]) -> Level | None:
    """``mixed0`` .. ``mixed10``: after 5, 6 or 7 of the chain's steps."""
    if not name.startswith("mixed") or not name[5:].isdigit() or int(name[5:]) > 10:
        return None
    i = int(name[5:])
    return (5 if i <= 2 else 6 if i <= 7 else 7), _INCEPTION_MIXED[i]


# Xception's entry flow blocks 2-4 and exit block 13: (input channels, output channels), each
# ending in a stride-2 pool; blocks 5-12 (the middle flow) keep 728 channels
_XCEPTION_POOLED = {2: (64, 128), 3: (128, 256), 4: (256, 728), 13: (728, 1024)}


def _xception_level(app: str, name: str, cfg: dict[str, Any]) -> Level | None:
    """``block1_conv{1,2}[_bn|_act]``, ``block{b}_sepconv{k}[_bn|_act]``, ``block{b}_pool``.
    An ``_act`` comes before its separable convolution (after it in blocks 1 and 14)."""
    split = _split_block(name, "block")
    if split is None:
        return None
    block, rest = split
    if block == 1:
        if rest[0] in ("conv1", "conv2") and rest[1:] in ([], ["bn"], ["act"]):
            return (1, 32) if rest[0] == "conv1" else (2, 64)
        return None
    if block == 14:
        if rest[0] in ("sepconv1", "sepconv2") and rest[1:] in ([], ["bn"], ["act"]):
            return (6, 1536) if rest[0] == "sepconv1" else (6, 2048)
        return None
    if not 2 <= block <= 13:
        return None
    level = min(block, 5)  # entry blocks 2-4 each start one pool deeper; the rest after block 4's
    if block in _XCEPTION_POOLED:
        inp, out = _XCEPTION_POOLED[block]
        if rest == ["pool"]:
            return level + 1, out
        # the first convolution widens to `out`, except in block 13 where the second does
        widths = {"sepconv1": (inp, out if block != 13 else inp), "sepconv2": (out if block != 13 else inp, out)}
        convs = widths.get(rest[0])
        if convs is None or rest[1:] not in ([], ["bn"], ["act"]) or (block == 2 and rest[1:] == ["act"] and rest[0] == "sepconv1"):
            return None
        return level, convs[0] if rest[1:] == ["act"] else convs[1]
    if rest[0] in ("sepconv1", "sepconv2", "sepconv3") and rest[1:] in ([], ["bn"], ["act"]):
        return level, 728
    return None


# EfficientNet B0's stages: (repeats, input filters, output filters, expand ratio, stride),
# widened and deepened per variant by (width, depth) coefficients
_EFFICIENTNET_STAGES = (
    (1, 32, 16, 1, 1), (2, 16, 24, 6, 2), (2, 24, 40, 6, 2), (3, 40, 80, 6, 2),
    (3, 80, 112, 6, 1), (4, 112, 192, 6, 2), (1, 192, 320, 6, 1),
)
_EFFICIENTNET_SCALES = {
    "EfficientNetB0": (1.0, 1.0), "EfficientNetB1": (1.0, 1.1), "EfficientNetB2": (1.1, 1.2),
    "EfficientNetB3": (1.2, 1.4), "EfficientNetB4": (1.4, 1.8), "EfficientNetB5": (1.6, 2.2),
    "EfficientNetB6": (1.8, 2.6), "EfficientNetB7": (2.0, 3.1),
}


def _efficientnet_filters(filters: int, width: float) -> int:
    """Keras' ``round_filters``: scaled, rounded to a multiple of 8, never 10 % below."""
    scaled = filters * width
    rounded = max(8, int(scaled + 4) // 8 * 8)
    return int(rounded + 8 if rounded < 0.9 * scaled else rounded)


def _efficientnet_level(app: str, name: str, cfg: dict[str, Any]) -> Level | None:
    """``stem_*``, ``block{s}{letter}_{expand_*, dwconv, bn, activation, se_excite, project_*,
    drop, add}`` and ``top_*``. The expansion runs before a block's stride, the depthwise
    convolution applies it."""
    width, depth = _EFFICIENTNET_SCALES[app]
    if name in ("stem_conv", "stem_bn", "stem_activation"):
        return 1, _efficientnet_filters(32, width)
    if name in ("top_conv", "top_bn", "top_activation"):
        return 5, _efficientnet_filters(1280, width)
    b = _mbconv_block(name, _EFFICIENTNET_STAGES, depth, lambda n: _efficientnet_filters(n, width))
    if b is None:
        return None
    if b.part in ("expand_conv", "expand_bn", "expand_activation"):
        return (b.level, b.f_in * b.expand) if b.expand != 1 else None
    if b.part in ("dwconv", "bn", "activation", "se_excite"):
        return b.after, b.f_in * b.expand
    if b.part in ("project_conv", "project_bn"):
        return b.after, b.f_out
    if b.part in ("drop", "add") and b.residual:
        return b.after, b.f_out
    return None


class _Block(NamedTuple):
    """One block of an EfficientNet stage, read from a layer name ``block{stage}{letter}_part``:
    its input and output levels and widths."""

    part: str
    level: int  # downsampling steps before the block
    after: int  # ... after it
    f_in: int
    f_out: int
    expand: int
    residual: bool  # it adds its input back (stride 1, same width)
    fused: bool


def _mbconv_block(
    name: str, stages: tuple[tuple[Any, ...], ...], depth: float, filters: Callable[[int], int]
) -> _Block | None:
    """``stages``: (repeats, input filters, output filters, expand ratio, stride[, fused]) per
    stage before scaling. A stage's later blocks keep its first block's output size and width."""
    if len(name) < 8 or not name.startswith("block") or not name[5].isdigit() or name[7] != "_":
        return None
    stage, block = int(name[5]), ord(name[6]) - ord("a")
    if not 1 <= stage <= len(stages) or block < 0:
        return None
    level = 1 + sum(args[4] == 2 for args in stages[: stage - 1])
    repeats, f_in, f_out, expand, stride = stages[stage - 1][:5]
    if block >= math.ceil(depth * repeats):
        return None
    f_in, f_out = filters(f_in), filters(f_out)
    after = level + (stride == 2)
    if block > 0:
        f_in, stride, level = f_out, 1, after
    fused = bool(stages[stage - 1][5]) if len(stages[stage - 1]) > 5 else False
    return _Block(name[8:], level, after, f_in, f_out, expand, stride == 1 and f_in == f_out, fused)


# EfficientNetV2 B0's stages: (repeats, input filters, output filters, expand ratio, stride,
# fused): fused blocks expand with a strided full convolution, the others with a 1x1 one
# followed by a strided depthwise convolution; B1-B3 scale widths and depths
_EFFICIENTNET_V2_STAGES = (
    (1, 32, 16, 1, 1, True), (2, 16, 32, 4, 2, True), (2, 32, 48, 4, 2, True),
    (3, 48, 96, 4, 2, False), (5, 96, 112, 6, 1, False), (8, 112, 192, 6, 2, False),
)
_EFFICIENTNET_V2_SCALES = {
    "EfficientNetV2B0": (1.0, 1.0), "EfficientNetV2B1": (1.0, 1.1), "EfficientNetV2B2": (1.1, 1.2),
    "EfficientNetV2B3": (1.2, 1.4),
}


def _efficientnet_v2_level(app: str, name: str, cfg: dict[str, Any]) -> Level | None:
    """``stem_*``, ``top_*`` and ``block{s}{letter}_{expand_*, dwconv2, bn, activation,
    se_excite, project_*, drop, add}`` of EfficientNetV2 B0-B3."""
    width, depth = _EFFICIENTNET_V2_SCALES[app]

    def filters(n: int) -> int:  # V2's round_filters: to a multiple of 8, at least 8
        return max(8, int(n * width + 4) // 8 * 8)

    if name in ("stem_conv", "stem_bn", "stem_activation"):
        return 1, filters(32)
    if name in ("top_conv", "top_bn", "top_activation"):
        return 5, filters(1280)
    b = _mbconv_block(name, _EFFICIENTNET_V2_STAGES, depth, filters)
    if b is None:
        return None
    wide = b.f_in * b.expand
    if b.fused:
        if b.expand != 1 and b.part in ("expand_conv", "expand_bn", "expand_activation"):
            return b.after, wide
        if b.part in ("project_conv", "project_bn") or (b.expand == 1 and b.part == "project_activation"):
            return b.after, b.f_out
    else:
        if b.part in ("expand_conv", "expand_bn", "expand_activation"):
            return b.level, wide
        if b.part in ("dwconv2", "bn", "activation", "se_excite"):
            return b.after, wide
        if b.part in ("project_conv", "project_bn"):
            return b.after, b.f_out
    if b.part in ("drop", "add") and b.residual:
        return b.after, b.f_out
    return None


_DENSENET_BLOCKS = {"DenseNet121": (6, 12, 24, 16), "DenseNet169": (6, 12, 32, 32), "DenseNet201": (6, 12, 48, 32)}


def _densenet_level(app: str, name: str, cfg: dict[str, Any]) -> Level | None:
    """``conv1_*``, ``pool1``, the dense blocks' ``conv{s}_block{b}_{0_bn, 0_relu, 1_conv, 1_bn,
    1_relu, 2_conv, concat}``, the transitions' ``pool{s}_{bn, relu, conv, pool}`` and the final
    ``bn``/``relu``. Each dense layer adds 32 channels; a transition halves them."""
    if name in ("conv1_conv", "conv1_bn", "conv1_relu"):
        return 1, 64
    if name == "pool1":
        return 2, 64
    blocks = _DENSENET_BLOCKS[app]
    starts = [64]  # each stage's input channels
    for n in blocks[:-1]:
        starts.append((starts[-1] + 32 * n) // 2)
    if name in ("bn", "relu"):
        return 5, starts[-1] + 32 * blocks[-1]
    if name.startswith("pool") and name[4:5].isdigit() and name[5:6] == "_":
        stage, part = int(name[4]), name[6:]
        if not 2 <= stage <= 4:
            return None
        end = starts[stage - 2] + 32 * blocks[stage - 2]
        if part in ("bn", "relu"):
            return stage, end
        if part == "conv":
            return stage, end // 2
        return (stage + 1, end // 2) if part == "pool" else None
    if len(name) < 5 or not name.startswith("conv") or not name[4].isdigit():
        return None
    stage = int(name[4])
    split = _split_block(name, f"conv{stage}_block")
    if not 2 <= stage <= 5 or split is None:
        return None
    block, rest = split
    if not 1 <= block <= blocks[stage - 2]:
        return None
    before = starts[stage - 2] + 32 * (block - 1)
    if rest in (["0", "bn"], ["0", "relu"]):
        return stage, before
    if rest in (["1", "conv"], ["1", "bn"], ["1", "relu"]):
        return stage, 128
    if rest == ["2", "conv"]:
        return stage, 32
    return (stage, before + 32) if rest == ["concat"] else None


_NAMED_LEVELS: dict[str, Callable[[str, str, dict[str, Any]], Level | None]] = {
    "VGG16": _vgg_level, "VGG19": _vgg_level, "MobileNetV2": _mobilenet_v2_level,
    "InceptionV3": _inception_v3_level, "Xception": _xception_level,
    **{n: _resnet_level for n in _RESNET_BLOCKS},
    **{n: _efficientnet_level for n in _EFFICIENTNET_SCALES},
    **{n: _densenet_level for n in _DENSENET_BLOCKS},
    **{n: _efficientnet_v2_level for n in _EFFICIENTNET_V2_SCALES},
}


def _vgg_top_shape(layer: str, cfg: dict[str, Any], batch: Dim, h: Dim, w: Dim) -> Shape | None:
    if cfg.get("include_top") is not True or layer not in ("flatten", "fc1", "fc2", "predictions"):
        return None
    if layer == "flatten":
        h5, w5 = _spatial(_VGG, h, True), _spatial(_VGG, w, True)
        return Shape((batch, h5 * w5 * 512 if isinstance(h5, int) and isinstance(w5, int) else None))
    classes = cfg.get("classes")
    width = classes if layer == "predictions" else 4096
    return Shape((batch, width if isinstance(width, int) else None))


def _inner_layer_shape(
    app: str, layer: str, cfg: dict[str, Any], dims: tuple[Dim, ...], built_known: bool
) -> Shape | None:
    """Output shape of the application's layer ``layer`` for an image batch ``dims``; None when
    the engine does not know that layer. ``built_known``: as in `_features`."""
    batch, h, w = dims[0], dims[1], dims[2]
    if app in _VGG_CONVS:
        top = _vgg_top_shape(layer, cfg, batch, h, w)
        if top is not None:
            return top
    level = _NAMED_LEVELS[app](app, layer, cfg)
    if level is None:
        return None
    steps, channels = level
    chain = APPS[app].chain[:steps]
    return Shape((batch, _spatial(chain, h, built_known), _spatial(chain, w, built_known), channels))


def _named_layer_rule(call: LayerCall) -> Value:
    """One named inner layer of an application, as a function of the application's input: a
    model made from it replays on new images through this."""
    app, layer = call.layer.config_cache.get("app"), call.layer.config_cache.get("layer")
    cfg = call.layer.config_cache.get("app_config")
    dims = call.x().shape.dims
    if not isinstance(app, str) or not isinstance(layer, str) or cfg is None or dims is None or len(dims) != 4:
        raise Unknowable("application layer")
    built_known = bool(call.layer.config_cache.get("built_known"))
    shape = _inner_layer_shape(app, layer, cfg, tuple(dims), built_known)
    if shape is None:
        raise Unknowable("application layer")
    return Tensor(shape, "float32")


def application_layer(model: Any, name: str) -> Value | None:
    """``model.get_layer(name)`` on an application whose layer names the engine knows: a layer
    whose ``output`` has its shape.
    The same object for the same name (``is`` comparisons hold)."""
    backbone = model.layers[0] if getattr(model, "layers", None) else None
    if not isinstance(backbone, LayerVal) or backbone.spec.name not in _NAMED_LEVELS:
        return None
    cache = backbone.config_cache.setdefault("named_layers", {})
    if name in cache:
        return cache[name]  # type: ignore[no-any-return]
    cfg = backbone.config_cache.get("app_config")
    # the images the backbone was called on (the model's Input, or the input_tensor given)
    history = model.outputs.history if isinstance(model.outputs, Tensor) else None
    feed = history[1][0] if history and history[1] else None
    if cfg is None or not isinstance(feed, Tensor) or feed.shape.dims is None or len(feed.shape.dims) != 4:
        return None
    built_known = bool(backbone.config_cache.get("built_known"))
    shape = _inner_layer_shape(backbone.spec.name, name, cfg, tuple(feed.shape.dims), built_known)
    if shape is None:
        return None
    spec = LayerSpec(f"{backbone.spec.name}.{name}", (), _named_layer_rule)
    layer = LayerVal(spec, [], {"name": Const(name)}, backbone.origin)
    layer.config_cache.update(
        {"app": backbone.spec.name, "layer": name, "app_config": cfg, "built_known": built_known}
    )
    out = Tensor(shape, "float32", "keras", backbone.origin, f"{backbone.spec.name} layer '{name}'")
    out.history = (layer, [feed], {}, 0, None)
    layer.outputs = layer.symbolic_output = out
    layer.built_input = feed
    cache[name] = layer
    return layer


# ----------------------------------------------------------------------------------------------
# parameter counts

# Per constructor (MobileNetV2 has a formula instead, `_mobilenet_v2_params`), as Keras 3.15
# builds it with 3 input channels and the default width (alpha 1, default preprocessing):
# (total, trainable) without the top, and the top's
# ``base + per_class * classes`` (total, then trainable). Measured with count_params() and checked
# for every constructor by tests/oracle/test_layers_applications.py.
_PARAMS: dict[str, tuple[int, int, int, int, int, int]] = {
    "ResNet50": (23_587_712, 23_534_592, 0, 2049, 0, 2049),
    "ResNet101": (42_658_176, 42_552_832, 0, 2049, 0, 2049),
    "ResNet152": (58_370_944, 58_219_520, 0, 2049, 0, 2049),
    "ResNet50V2": (23_564_800, 23_519_360, 0, 2049, 0, 2049),
    "ResNet101V2": (42_626_560, 42_528_896, 0, 2049, 0, 2049),
    "ResNet152V2": (58_331_648, 58_187_904, 0, 2049, 0, 2049),
    "VGG16": (14_714_688, 14_714_688, 119_545_856, 4097, 119_545_856, 4097),
    "VGG19": (20_024_384, 20_024_384, 119_545_856, 4097, 119_545_856, 4097),
    "MobileNet": (3_228_864, 3_206_976, 0, 1025, 0, 1025),
    "MobileNetV3Small": (939_120, 927_008, 590_848, 1025, 590_848, 1025),
    "MobileNetV3Large": (2_996_352, 2_971_952, 1_230_080, 1281, 1_230_080, 1281),
    "EfficientNetB0": (4_049_571, 4_007_548, 0, 1281, 0, 1281),
    "EfficientNetB1": (6_575_239, 6_513_184, 0, 1281, 0, 1281),
    "EfficientNetB2": (7_768_569, 7_700_994, 0, 1409, 0, 1409),
    "EfficientNetB3": (10_783_535, 10_696_232, 0, 1537, 0, 1537),
    "EfficientNetB4": (17_673_823, 17_548_616, 0, 1793, 0, 1793),
    "EfficientNetB5": (28_513_527, 28_340_784, 0, 2049, 0, 2049),
    "EfficientNetB6": (40_960_143, 40_735_704, 0, 2305, 0, 2305),
    "EfficientNetB7": (64_097_687, 63_786_960, 0, 2561, 0, 2561),
    "EfficientNetV2B0": (5_919_312, 5_858_704, 0, 1281, 0, 1281),
    "EfficientNetV2B1": (6_931_124, 6_860_052, 0, 1281, 0, 1281),
    "EfficientNetV2B2": (8_769_374, 8_687_086, 0, 1409, 0, 1409),
    "EfficientNetV2B3": (12_930_622, 12_821_406, 0, 1537, 0, 1537),
    "EfficientNetV2S": (20_331_360, 20_177_488, 0, 1281, 0, 1281),
    "EfficientNetV2M": (53_150_388, 52_858_356, 0, 1281, 0, 1281),
    "EfficientNetV2L": (117_746_848, 117_234_272, 0, 1281, 0, 1281),
    "DenseNet121": (7_037_504, 6_953_856, 0, 1025, 0, 1025),
    "DenseNet169": (12_642_880, 12_484_480, 0, 1665, 0, 1665),
    "DenseNet201": (18_321_984, 18_092_928, 0, 1921, 0, 1921),
    "InceptionV3": (21_802_784, 21_768_352, 0, 2049, 0, 2049),
    "InceptionResNetV2": (54_336_736, 54_276_192, 0, 1537, 0, 1537),
    "Xception": (20_861_480, 20_806_952, 0, 2049, 0, 2049),
    "NASNetMobile": (4_269_716, 4_232_978, 0, 1057, 0, 1057),
    "NASNetLarge": (84_916_818, 84_720_150, 0, 4033, 0, 4033),
    "ConvNeXtTiny": (27_820_128, 27_820_128, 0, 769, 0, 769),
    "ConvNeXtSmall": (49_454_688, 49_454_688, 0, 769, 0, 769),
    "ConvNeXtBase": (87_566_464, 87_566_464, 0, 1025, 0, 1025),
    "ConvNeXtLarge": (196_230_336, 196_230_336, 0, 1537, 0, 1537),
    "ConvNeXtXLarge": (348_147_968, 348_147_968, 0, 2049, 0, 2049),
}


def _mobilenet_v2_params(alpha: float, channels_in: int) -> tuple[int, int, int]:
    """(total, trainable, width of the last feature map) of MobileNetV2 without its top, for any
    width: bias-free convolutions, each followed by a BatchNormalization (4 weights per channel,
    2 of them the non-trainable moving statistics)."""
    first = _make_divisible(32 * alpha, 8)
    weights, norms = 9 * channels_in * first, first
    channels = first
    for i, (out, _stride) in enumerate(_MOBILENET_V2_BLOCKS):
        width = _make_divisible(out * alpha, 8)
        expanded = channels * 6 if i else channels
        if i:
            weights, norms = weights + channels * expanded, norms + expanded  # 1x1 expansion
        weights, norms = weights + 9 * expanded, norms + expanded  # 3x3 depthwise
        weights, norms = weights + expanded * width, norms + width  # 1x1 projection
        channels = width
    last = _mobilenet_v2_last(alpha)
    weights, norms = weights + channels * last, norms + last
    total = weights + 4 * norms
    return total, total - 2 * norms, last


def _without_top(name: str, cfg: dict[str, Any], channels_in: Dim) -> tuple[int, int, int, int, int, int] | None:
    """(total, trainable) without the top and the top's ``base + per_class * classes`` (total,
    trainable) for this configuration: MobileNetV2's formula, else the measured table."""
    if name == "MobileNetV2":
        alpha = _alpha(cfg)
        if alpha is None or not isinstance(channels_in, int):
            return None
        total, trainable, last = _mobilenet_v2_params(alpha, channels_in)
        return total, trainable, 0, last + 1, 0, last + 1
    if name not in _PARAMS or channels_in != 3:
        return None
    if cfg.get("alpha", 1.0) != 1.0 or cfg.get("depth_multiplier", 1) != 1:
        return None
    if cfg.get("include_preprocessing", True) is not True or cfg.get("minimalistic", False) is not False:
        return None
    return _PARAMS[name]


def application_params(model: ModelVal) -> tuple[int, int] | None:
    """(total, trainable) parameters of an application model, when its configuration is one
    the engine can count; None otherwise (another width, other input channels, unread
    arguments)."""
    backbone = model.layers[0] if model.layers else None
    inputs = model.inputs
    if not isinstance(backbone, LayerVal) or not isinstance(inputs, Tensor) or not inputs.shape.dims:
        return None
    cfg = backbone.config_cache.get("app_config")
    counts = _without_top(backbone.spec.name, cfg, inputs.shape.dims[-1]) if cfg is not None else None
    if cfg is None or counts is None:
        return None
    total, trainable, base, per_class, base_tr, per_class_tr = counts
    top = cfg.get("include_top")
    if top is False:
        return total, trainable
    classes = cfg.get("classes")
    if top is not True or not isinstance(classes, int) or isinstance(classes, bool):
        return None
    if backbone.spec.name in _VGG_CONVS:
        # fc1 reads the flattened last feature map: its width follows the input size
        dims = inputs.shape.dims
        h5, w5 = _spatial(_VGG, dims[1], True), _spatial(_VGG, dims[2], True)
        if not isinstance(h5, int) or not isinstance(w5, int):
            return None
        fc1_at_224 = 7 * 7 * 512 * 4096
        base = base_tr = base - fc1_at_224 + h5 * w5 * 512 * 4096
    return total + base + per_class * classes, trainable + base_tr + per_class_tr * classes

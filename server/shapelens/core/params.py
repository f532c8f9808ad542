"""Parameter counts of Keras layers, worked out from their config and the shape they were built on.

``layer_weights`` answers (trainable, non-trainable) weight counts the way ``layer.count_params()``
and ``layer.trainable_weights`` would after the layer is built, or None when any part of it is not
known for certain (a config value the engine cannot read, a custom layer, an unbuilt layer).
Every formula is checked against real Keras in tests/oracle/test_param_counts.py.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .layers.base import LayerCall
from .shapes import Dim, Shape, Unknowable
from .values import Const, LayerVal, Seq, Value, as_dim, tensors_in


@dataclass(frozen=True, slots=True)
class Weights:
    trainable: int
    non_trainable: int = 0

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def __add__(self, other: Weights) -> Weights:
        return Weights(self.trainable + other.trainable, self.non_trainable + other.non_trainable)


NONE = Weights(0, 0)

# Layers that never own weights, whatever their config (their random-seed state is not a weight).
WEIGHTLESS = frozenset(
    {
        "Activation", "ELU", "LeakyReLU", "ReLU", "Softmax", "Identity", "Masking", "InputLayer",
        "Lambda", "Flatten", "Reshape", "Permute", "RepeatVector", "UnitNormalization",
        "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
        "Dropout", "AlphaDropout", "GaussianDropout", "GaussianNoise",
        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
        "CenterCrop", "Resizing", "Rescaling", "CategoryEncoding", "Discretization", "Hashing",
        "HashedCrossing", "IntegerLookup", "StringLookup", "TextVectorization",
        "AugMix", "AutoContrast", "CutMix", "Equalization", "MixUp", "RandAugment", "Solarization",
    }
)
_WEIGHTLESS_PREFIXES = (
    "MaxPool", "AveragePooling", "AvgPool", "GlobalMaxPool", "GlobalAveragePooling", "GlobalAvgPool",
    "AdaptiveAveragePooling", "AdaptiveMaxPooling", "UpSampling", "ZeroPadding", "Cropping", "Random",
)


class _Unknown(Exception):
    """Raised inside a rule when a count cannot be known for certain."""


def _is_weightless(name: str) -> bool:
    return name in WEIGHTLESS or name.startswith(_WEIGHTLESS_PREFIXES)


def _dims(shape: Shape | None) -> tuple[int, ...]:
    """All dims of a built shape past the batch axis, which must be known."""
    if shape is None or shape.dims is None:
        raise _Unknown
    rest = shape.dims[1:]
    if not all(isinstance(d, int) for d in rest):
        raise _Unknown
    return tuple(int(d) for d in rest)  # type: ignore[arg-type]


def _last(shape: Shape | None) -> int:
    if shape is None or shape.dims is None or not shape.dims or not isinstance(shape.dims[-1], int):
        raise _Unknown
    return shape.dims[-1]


def _axis_dim(shape: Shape | None, axis: int) -> int:
    if shape is None or shape.dims is None or not -len(shape.dims) <= axis < len(shape.dims):
        raise _Unknown
    d = shape.dims[axis]
    if not isinstance(d, int):
        raise _Unknown
    return d


def _channels(call: LayerCall, shape: Shape | None) -> int:
    return _axis_dim(shape, 1 if call.data_format() == "channels_first" else -1)


def _int_list(value: object) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return value
    raise _Unknown


def _bias(call: LayerCall, n: int) -> int:
    return n if call.bool("use_bias", True) else 0


# ----------------------------------------------------------------------------------------------
# rules: (call, input shapes) -> Weights

Shapes = Sequence[Shape | None]
Rule = Callable[[LayerCall, Shapes], Weights]
_RULES: dict[str, Rule] = {}


def _rule(*names: str) -> Callable[[Rule], Rule]:
    def deco(fn: Rule) -> Rule:
        for n in names:
            _RULES[n] = fn
        return fn

    return deco


@_rule("Dense")
def _dense(call: LayerCall, shapes: Shapes) -> Weights:
    units = call.int("units")
    return Weights(_last(shapes[0]) * units + _bias(call, units))


@_rule("Embedding")
def _embedding(call: LayerCall, shapes: Shapes) -> Weights:
    return Weights(call.int("input_dim") * call.int("output_dim"))


def _conv_rank(name: str) -> int:
    m = re.search(r"(\d)D", name)
    if m is None:
        raise _Unknown
    return int(m.group(1))


@_rule("Conv1D", "Conv2D", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D")
def _conv(call: LayerCall, shapes: Shapes) -> Weights:
    kernel = math.prod(call.ints("kernel_size", _conv_rank(call.name)))
    filters, groups = call.int("filters"), call.int("groups", 1)
    channels = _channels(call, shapes[0])
    if groups < 1 or channels % groups:
        raise _Unknown
    return Weights(kernel * (channels // groups) * filters + _bias(call, filters))


@_rule(
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
    "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose",
)
def _conv_transpose(call: LayerCall, shapes: Shapes) -> Weights:
    kernel = math.prod(call.ints("kernel_size", _conv_rank(call.name)))
    filters = call.int("filters")
    return Weights(kernel * filters * _channels(call, shapes[0]) + _bias(call, filters))


@_rule("DepthwiseConv1D", "DepthwiseConv2D")
def _depthwise(call: LayerCall, shapes: Shapes) -> Weights:
    kernel = math.prod(call.ints("kernel_size", _conv_rank(call.name)))
    out = _channels(call, shapes[0]) * call.int("depth_multiplier", 1)
    return Weights(kernel * out + _bias(call, out))


@_rule("SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D")
def _separable(call: LayerCall, shapes: Shapes) -> Weights:
    kernel = math.prod(call.ints("kernel_size", _conv_rank(call.name)))
    filters, multiplier = call.int("filters"), call.int("depth_multiplier", 1)
    channels = _channels(call, shapes[0])
    return Weights(kernel * channels * multiplier + channels * multiplier * filters + _bias(call, filters))


def _norm_axes(call: LayerCall, default: int | tuple[int, ...]) -> tuple[int, ...]:
    return _int_list(call.cfg("axis", default))


@_rule("BatchNormalization")
def _batch_norm(call: LayerCall, shapes: Shapes) -> Weights:
    channels = math.prod(_axis_dim(shapes[0], a) for a in _norm_axes(call, -1))
    learned = int(call.bool("center", True)) + int(call.bool("scale", True))
    return Weights(learned * channels, 2 * channels)


@_rule("LayerNormalization")
def _layer_norm(call: LayerCall, shapes: Shapes) -> Weights:
    size = math.prod(_axis_dim(shapes[0], a) for a in _norm_axes(call, -1))
    learned = int(call.bool("center", True)) + int(call.bool("scale", True))
    return Weights(learned * size)


@_rule("GroupNormalization")
def _group_norm(call: LayerCall, shapes: Shapes) -> Weights:
    channels = _axis_dim(shapes[0], call.int("axis", -1))
    learned = int(call.bool("center", True)) + int(call.bool("scale", True))
    return Weights(learned * channels)


@_rule("RMSNormalization")
def _rms_norm(call: LayerCall, shapes: Shapes) -> Weights:
    return Weights(math.prod(_axis_dim(shapes[0], a) for a in _norm_axes(call, -1)))


@_rule("Normalization")
def _normalization(call: LayerCall, shapes: Shapes) -> Weights:
    if call.given("mean") or call.given("variance"):
        return NONE  # fixed statistics are constants, not weights
    axis = call.cfg("axis", -1)
    size = 1 if axis is None else math.prod(_axis_dim(shapes[0], a) for a in _int_list(axis))
    return Weights(0, 2 * size + 1)  # mean, variance and the count of adapted samples


@_rule("PReLU")
def _prelu(call: LayerCall, shapes: Shapes) -> Weights:
    dims = list(_dims(shapes[0]))
    shared = call.cfg("shared_axes", None)
    for axis in _int_list(shared) if shared is not None else ():
        if not 1 <= axis <= len(dims):
            raise _Unknown
        dims[axis - 1] = 1
    return Weights(math.prod(dims))


@_rule("Attention")
def _attention(call: LayerCall, shapes: Shapes) -> Weights:
    return Weights(int(call.bool("use_scale", False)) + int(call.str("score_mode", "dot") == "concat"))


@_rule("AdditiveAttention")
def _additive_attention(call: LayerCall, shapes: Shapes) -> Weights:
    return Weights(_last(shapes[0]) if call.bool("use_scale", True) else 0)


@_rule("MultiHeadAttention")
def _multi_head(call: LayerCall, shapes: Shapes) -> Weights:
    heads, key_dim = call.int("num_heads"), call.int("key_dim")
    value_dim = call.opt_int("value_dim") or key_dim
    query, value = _last(shapes[0]), _last(shapes[1])
    key = _last(shapes[2]) if len(shapes) > 2 and shapes[2] is not None else value
    out_shape = call.cfg("output_shape", None)
    out = query if out_shape is None else math.prod(_int_list(out_shape))

    def projection(width: int, per_head: int) -> int:
        return width * heads * per_head + _bias(call, heads * per_head)

    return Weights(
        projection(query, key_dim) + projection(key, key_dim) + projection(value, value_dim)
        + heads * value_dim * out + _bias(call, out)
    )


@_rule("EinsumDense")
def _einsum_dense(call: LayerCall, shapes: Shapes) -> Weights:
    equation = call.cfg("equation")
    if not isinstance(equation, str):
        raise _Unknown
    m = re.fullmatch(r"\s*([a-zA-Z.]+)\s*,\s*([a-zA-Z]+)\s*->\s*([a-zA-Z.]+)\s*", equation)
    outputs = tensors_in(call.layer.outputs) if call.layer.outputs is not None else []
    if m is None or "." in equation or not outputs:
        raise _Unknown
    letters: dict[str, int] = {}
    for spec, shape in ((m.group(1), shapes[0]), (m.group(3), outputs[0].shape)):
        if shape is None or shape.dims is None or len(shape.dims) != len(spec):
            raise _Unknown
        for letter, dim in zip(spec, shape.dims, strict=True):
            if isinstance(dim, int):
                letters.setdefault(letter, dim)

    def size(spec: str) -> int:
        if any(letter not in letters for letter in spec):
            raise _Unknown
        return math.prod(letters[letter] for letter in spec)

    bias_axes = call.cfg("bias_axes", None)
    bias = size(bias_axes) if isinstance(bias_axes, str) and bias_axes else 0
    return Weights(size(m.group(2)) + bias)


# -- recurrent ---------------------------------------------------------------------------------


def _cell_weights(name: str, call: LayerCall, width: int) -> tuple[Weights, int]:
    """A recurrent cell's weights on inputs of ``width`` features, and its output size."""
    units = call.int("units")
    bias = int(call.bool("use_bias", True))
    if name in ("SimpleRNN", "SimpleRNNCell"):
        return Weights(width * units + units * units + bias * units), units
    if name in ("LSTM", "LSTMCell"):
        return Weights(4 * (width * units + units * units + bias * units)), units
    if name in ("GRU", "GRUCell"):
        biases = (2 if call.bool("reset_after", True) else 1) * 3 * units * bias
        return Weights(3 * (width * units + units * units) + biases), units
    raise _Unknown


@_rule("SimpleRNN", "LSTM", "GRU")
def _recurrent(call: LayerCall, shapes: Shapes) -> Weights:
    return _cell_weights(call.name, call, _last(shapes[0]))[0]


def _cells_of(value: Value | None) -> list[LayerVal]:
    if isinstance(value, LayerVal) and value.spec.name == "StackedRNNCells":
        return _cells_of(LayerCall(value, [], {}).raw("cells"))
    if isinstance(value, LayerVal):
        return [value]
    if isinstance(value, Seq) and value.items is not None:
        return [c for item in value.items for c in _cells_of(item)]
    raise _Unknown


@_rule("RNN")
def _rnn(call: LayerCall, shapes: Shapes) -> Weights:
    width, total = _last(shapes[0]), NONE
    for cell in _cells_of(call.raw("cell")):
        weights, width = _cell_weights(cell.spec.name, LayerCall(cell, [], {}), width)
        total = total + weights
    return total


@_rule("ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
def _conv_lstm(call: LayerCall, shapes: Shapes) -> Weights:
    kernel = math.prod(call.ints("kernel_size", _conv_rank(call.name)))
    filters = call.int("filters")
    shape = shapes[0]
    channels = _axis_dim(shape, 2 if call.data_format() == "channels_first" else -1)
    bias = 4 * filters if call.bool("use_bias", True) else 0
    return Weights(kernel * channels * 4 * filters + kernel * filters * 4 * filters + bias)


@_rule("Bidirectional")
def _bidirectional(call: LayerCall, shapes: Shapes) -> Weights:
    inner = call.raw("layer")
    if call.given("backward_layer") or not isinstance(inner, LayerVal):
        raise _Unknown
    forward = _weights(inner, shapes)
    return forward + forward


@_rule("TimeDistributed")
def _time_distributed(call: LayerCall, shapes: Shapes) -> Weights:
    inner = call.raw("layer")
    dims = shapes[0].dims if shapes[0] is not None else None
    if not isinstance(inner, LayerVal) or dims is None or len(dims) < 3:
        raise _Unknown
    return _weights(inner, [Shape((dims[0], *dims[2:]))])


# ----------------------------------------------------------------------------------------------
# entry points


def _weights(layer: LayerVal, shapes: Shapes) -> Weights:
    name = layer.spec.name
    if _is_weightless(name):
        return NONE
    rule = _RULES.get(name)
    if rule is None or not shapes:
        raise _Unknown
    try:
        return rule(LayerCall(layer, [], {}), shapes)
    except Unknowable as err:
        raise _Unknown from err


def built_shapes(layer: LayerVal) -> list[Shape | None]:
    """The shapes a layer was first called on: one per tensor of a listed input (merges,
    Attention), else one per leading call parameter (MultiHeadAttention's query, value, key),
    None where that parameter was not given."""
    if layer.built_call is None:
        return []
    if layer.build_conflict:
        raise _Unknown  # which of two builds Keras made is not known
    args, kwargs = layer.built_call
    spec = layer.spec
    first = args[0] if args else kwargs.get(spec.call_params[0])
    if spec.multi_input and isinstance(first, Seq) and first.items is not None:
        return [_one_shape(item) for item in first.items]
    shapes: list[Shape | None] = []
    for i, name in enumerate(spec.call_params[:3]):
        shapes.append(_one_shape(args[i] if i < len(args) else kwargs.get(name)))
    return shapes


def _one_shape(value: Value | None) -> Shape | None:
    found = tensors_in(value) if value is not None else []
    return found[0].shape if len(found) == 1 else None


def layer_weights(layer: Value) -> Weights | None:
    """(trainable, non-trainable) weight counts of a built-in layer while it is trainable, or
    None when unknown (see `frozen` for ``trainable=False``)."""
    if not isinstance(layer, LayerVal):
        return None
    if _is_weightless(layer.spec.name):
        return NONE
    try:
        return _weights(layer, built_shapes(layer))
    except _Unknown:
        return None


def frozen(flag: Value | None) -> bool | None:
    """Whether a ``trainable`` setting freezes the weights: None when it cannot be told."""
    if flag is None:
        return False
    if isinstance(flag, Const) and isinstance(flag.value, (bool, int)):
        return not flag.value
    return None


# ----------------------------------------------------------------------------------------------
# the shapes of single weights: `layer.kernel`, `layer.bias`, `layer.embeddings`


def _size(call: LayerCall, name: str) -> Dim:
    """A size from the layer's config: a number, or the name of a size read from data (a
    vocabulary's) that the shapes around it name too."""
    v = call.raw(name)
    d = as_dim(v) if v is not None else None
    if d is None:
        raise _Unknown
    return d


def _weight_dims(layer: LayerVal, weight: str) -> tuple[Dim, ...]:
    call = LayerCall(layer, [], {}, None, None)
    name = layer.spec.name
    shapes = built_shapes(layer)
    if not shapes:
        raise _Unknown  # Keras creates the weights when the layer is built
    if name == "Embedding" and weight == "embeddings":
        return (_size(call, "input_dim"), _size(call, "output_dim"))
    if name == "Dense":
        units = _size(call, "units")
        if weight == "kernel":
            return (_last(shapes[0]), units)
        if weight == "bias" and call.bool("use_bias", True):
            return (units,)
    if name in ("Conv1D", "Conv2D", "Conv3D"):
        filters = call.int("filters")
        if weight == "kernel":
            groups, channels = call.int("groups", 1), _channels(call, shapes[0])
            if groups < 1 or channels % groups:
                raise _Unknown
            return (*call.ints("kernel_size", _conv_rank(name)), channels // groups, filters)
        if weight == "bias" and call.bool("use_bias", True):
            return (filters,)
    raise _Unknown


def weight_shape(layer: Value, weight: str) -> Shape | None:
    """The shape of a built-in layer's weight (``kernel``, ``bias``, ``embeddings``) once it
    exists, or None when it does not or is not known."""
    if not isinstance(layer, LayerVal):
        return None
    try:
        return Shape(_weight_dims(layer, weight))
    except (_Unknown, Unknowable):
        return None


def weight_list(layer: Value) -> list[Shape] | None:
    """The shapes ``layer.get_weights()`` returns, in order, for a built Dense, ConvND or
    Embedding layer; None when not known."""
    if not isinstance(layer, LayerVal):
        return None
    name = layer.spec.name
    try:
        if name == "Embedding":
            return [Shape(_weight_dims(layer, "embeddings"))]
        if name not in ("Dense", "Conv1D", "Conv2D", "Conv3D"):
            return None
        shapes = [Shape(_weight_dims(layer, "kernel"))]
        if LayerCall(layer, [], {}, None, None).bool("use_bias", True):
            shapes.append(Shape(_weight_dims(layer, "bias")))
        return shapes
    except (_Unknown, Unknowable):
        return None

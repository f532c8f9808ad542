"""Keras convolution layers: Conv1D/2D/3D, Conv1D/2D/3DTranspose, DepthwiseConv1D/2D and
SeparableConv1D/2D, with their ``Convolution*`` aliases.

Also the home of the argument helpers the pooling and reshaping rules share: Keras'
``standardize_tuple``, ``standardize_data_format`` and ``standardize_padding`` mirrored exactly
(a value Keras rejects in the constructor is a certain error, reported with code
``layer-config``), the window-length arithmetic of ``compute_conv_output_shape`` and
``compute_conv_transpose_output_shape``, and the output-dtype policies of shape-only layers.

Every rule validates the constructor config first (Keras raises there whatever the input), then
the input rank (a Keras ``input_spec`` error), then computes the dims it can; a config value the
engine cannot read leaves only the dims that depend on it unknown.
"""

from __future__ import annotations

from typing import Any

from ..shapes import (
    Dim,
    DType,
    Shape,
    ShapeError,
    Unknowable,
    format_shape,
    is_float,
    is_int,
    mul_dims,
)
from ..values import Const, Seq, Value
from .base import LayerCall, layer

CONFIG = "layer-config"

# ---------------------------------------------------------------------------------------------
# argument helpers (shared with pooling.py and reshaping.py)


def config_error(call: LayerCall, message: str) -> ShapeError:
    """A constructor argument Keras certainly rejects."""
    return ShapeError(f"{call.name}: {message}", code=CONFIG)


def const_tree(v: Value | None, name: str = "argument") -> Any:
    """The Python value of a constant, possibly nested, argument; Unknowable otherwise."""
    if isinstance(v, Const):
        return v.value
    if isinstance(v, Seq) and v.items is not None:
        return tuple(const_tree(i, name) for i in v.items)
    raise Unknowable(name)


def arg(call: LayerCall, name: str, default: Any = None) -> Any:
    """A constructor argument as a Python value (``default`` when not given)."""
    v = call.raw(name)
    if v is None:
        return default
    return const_tree(v, name)


def is_int_value(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def std_tuple(
    call: LayerCall, name: str, value: Any, n: int, allow_zero: bool = False, label: str | None = None
) -> tuple[int, ...]:
    """Keras' ``standardize_tuple``: an int or a length-``n`` sequence of ints.

    Raises ShapeError where Keras raises ValueError (wrong length, values out of range) and
    Unknowable for values Keras would accept oddly (bools, floats) or that are not known.
    """
    label = label or name
    if isinstance(value, bool):
        raise Unknowable(name)
    if isinstance(value, int):
        values: tuple[Any, ...] = (value,) * n
    elif isinstance(value, tuple):
        if len(value) != n:
            raise config_error(
                call, f"the `{label}` argument must be a tuple of {n} integers, but received {value!r}"
            )
        values = value
    else:
        raise Unknowable(name)
    if not all(is_int_value(i) for i in values):
        raise Unknowable(name)
    bad = sorted({i for i in values if (i < 0 if allow_zero else i <= 0)})
    if bad:
        need = ">= 0" if allow_zero else "> 0"
        raise config_error(
            call, f"the `{label}` argument must be a tuple of {n} integers {need}, but received {value!r}"
        )
    return tuple(values)


def tuple_arg(
    call: LayerCall, name: str, n: int, default: Any = None, allow_zero: bool = False
) -> tuple[int, ...] | None:
    """``std_tuple`` of a config argument; None when not known (or required but missing)."""
    try:
        value = arg(call, name, default)
    except Unknowable:
        return None
    if value is None:
        return None
    try:
        return std_tuple(call, name, value, n, allow_zero)
    except Unknowable:
        return None


def opt_int_arg(call: LayerCall, name: str, default: int | None = None) -> int | None:
    """An int config argument, None when not known."""
    try:
        value = arg(call, name, default)
    except Unknowable:
        return None
    return value if is_int_value(value) else None


def data_format(call: LayerCall) -> str:
    """Keras' ``standardize_data_format`` (``None`` is Keras' global setting when the layer was
    made, ``channels_last`` unless the program set another)."""
    value = arg(call, "data_format", None)
    if value is None:
        return call.default_data_format()
    if not isinstance(value, str):
        raise Unknowable("data_format")
    fmt = value.lower()
    if fmt not in ("channels_last", "channels_first"):
        raise config_error(
            call, f"`data_format` must be 'channels_last' or 'channels_first', but received {value!r}"
        )
    return fmt


def split_channels(dims: tuple[Dim, ...], fmt: str) -> tuple[Dim, tuple[Dim, ...]]:
    """(channels, spatial dims) of a ``(batch, ..., channels)`` or ``(batch, channels, ...)`` shape."""
    if fmt == "channels_last":
        return dims[-1], dims[1:-1]
    return dims[1], dims[2:]


def join_channels(batch: Dim, spatial: tuple[Dim, ...] | list[Dim], channels: Dim, fmt: str) -> Shape:
    if fmt == "channels_last":
        return Shape((batch, *spatial, channels))
    return Shape((batch, channels, *spatial))


def is_symbolic(call: LayerCall) -> bool:
    """Whether the layer runs on a KerasTensor (compute_output_spec) rather than eagerly."""
    return call.x().kind == "keras"


def eager_keeps_dtype(call: LayerCall) -> DType:
    """Output dtype of a shape-only layer whose symbolic output is the compute dtype.

    Keras builds the KerasTensor of such a layer from ``compute_output_shape`` with the
    layer's compute dtype; run eagerly, float inputs are autocast to the compute dtype and
    other inputs go through the layer's ops unchanged.
    """
    x = call.x()
    if x.kind == "keras":
        return call.compute_dtype
    if x.dtype is None:
        return None
    if is_float(x.dtype):
        return call.compute_dtype
    return x.dtype


def shape_desc(call: LayerCall) -> str:
    return format_shape(call.x().shape)


# ---------------------------------------------------------------------------------------------
# window arithmetic


def conv_length(
    length: Dim, kernel: int | None, stride: int | None, dilation: int | None, padding: str | None
) -> Dim:
    """Keras' ``compute_conv_output_shape`` along one axis (no zero/negative check)."""
    if padding in ("same", "causal") and stride == 1:
        return length  # keeps a symbolic size
    if not isinstance(length, int) or kernel is None or stride is None or dilation is None:
        return None
    if padding == "valid":
        return (length - dilation * (kernel - 1) - 1) // stride + 1
    if padding in ("same", "causal"):
        return (length - 1) // stride + 1
    return None


def deconv_length(
    length: Dim,
    kernel: int | None,
    stride: int | None,
    dilation: int | None,
    padding: str | None,
    output_padding: int | None,
) -> Dim:
    """Keras' ``compute_conv_transpose_output_shape`` along one axis."""
    if padding == "same" and stride == 1 and output_padding is None:
        return length
    if not isinstance(length, int) or length < 1 or kernel is None or stride is None or dilation is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        pad = max(effective, stride) - effective if output_padding is None else output_padding
        return (length - 1) * stride + effective + pad
    if padding == "same":
        if output_padding is None:
            return length * stride
        return (length - 1) * stride + effective % 2 + output_padding
    return None


# ---------------------------------------------------------------------------------------------
# conv layers

_CONV_PARAMS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "groups",
    "activation",
    "use_bias",
)
_TRANSPOSE_PARAMS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "output_padding",
    "data_format",
    "dilation_rate",
    "activation",
    "use_bias",
)
# Conv3DTranspose is the odd one out: data_format comes before output_padding.
_TRANSPOSE3D_PARAMS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "output_padding",
    "dilation_rate",
    "activation",
    "use_bias",
)
_DEPTHWISE_PARAMS = (
    "kernel_size",
    "strides",
    "padding",
    "depth_multiplier",
    "data_format",
    "dilation_rate",
    "activation",
    "use_bias",
)
_SEPARABLE_PARAMS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "depth_multiplier",
    "activation",
    "use_bias",
)


def _conv_padding(call: LayerCall, allow_causal: bool) -> str | None:
    """Keras' ``standardize_padding``; None when unknown or an explicit list (left to TF)."""
    try:
        value = arg(call, "padding", "valid")
    except Unknowable:
        return None
    if not isinstance(value, str):
        return None
    padding = value.lower()
    allowed = ("valid", "same", "causal") if allow_causal else ("valid", "same")
    if padding not in allowed:
        names = ", ".join(repr(a) for a in allowed)
        extra = " ('causal' is only supported by Conv1D)" if padding == "causal" else ""
        raise config_error(call, f"`padding` must be one of {names}, but received {value!r}{extra}")
    return padding


def _conv_rule(call: LayerCall, rank: int, family: str) -> Shape:
    # -- the constructor's validation (certain whatever the input) --------------------------
    filters: int | None = None
    if family != "depthwise":
        filters = opt_int_arg(call, "filters")
        if filters is not None and filters <= 0:
            raise config_error(call, f"`filters` must be strictly positive, but received {filters}")
    kernel = tuple_arg(call, "kernel_size", rank)
    strides = tuple_arg(call, "strides", rank, 1)
    dilation = tuple_arg(call, "dilation_rate", rank, 1)
    padding = _conv_padding(call, allow_causal=family == "conv" and rank == 1)
    fmt = data_format(call)
    groups = 1
    if family == "conv":
        g = opt_int_arg(call, "groups", 1)
        if g is not None and g <= 0:
            raise config_error(call, f"the number of groups must be a positive integer, but received {g}")
        if g is not None and filters is not None and filters % g != 0:
            raise config_error(
                call,
                f"the number of filters must be evenly divisible by the number of groups, but "
                f"received filters={filters}, groups={g}",
            )
        groups = g if g is not None else 0
    multiplier: int | None = None
    if family in ("depthwise", "separable"):
        multiplier = opt_int_arg(call, "depth_multiplier", 1)
        if multiplier is not None and multiplier <= 0:
            raise config_error(
                call, f"`depth_multiplier` must be strictly positive, but received {multiplier}"
            )
    output_padding: tuple[int, ...] | None = None
    output_padding_known = True
    if family == "transpose":
        try:
            op_value = arg(call, "output_padding", None)
            if op_value is not None:
                output_padding = std_tuple(call, "output_padding", op_value, rank, allow_zero=True)
        except Unknowable:
            output_padding_known = False
        if output_padding is not None and strides is not None:
            for axis, (pad, step) in enumerate(zip(output_padding, strides)):
                if pad >= step:
                    raise config_error(
                        call,
                        f"`output_padding` must be strictly less than `strides` in every dimension; "
                        f"at dimension {axis} output_padding is {pad} but strides is {step}",
                    )
    if (
        family in ("conv", "transpose")
        and strides is not None
        and dilation is not None
        and max(strides) > 1
        and max(dilation) > 1
    ):
        raise config_error(
            call,
            f"`strides > 1` is not supported together with `dilation_rate > 1` "
            f"(strides={strides}, dilation_rate={dilation})",
        )

    # -- the input ----------------------------------------------------------------------------
    dims = call.shape(rank=rank + 2)
    x = call.x()
    if x.kind != "keras" and (is_int(x.dtype) or x.dtype in ("bool", "string")):
        raise ShapeError(
            f"{call.name} cannot convolve input {format_shape(x.shape)} of dtype {x.dtype}: Keras "
            f"only casts float inputs to the layer's compute dtype; cast the input to a float dtype "
            f"first",
            code="dtype-mismatch",
        )
    channels, spatial = split_channels(dims, fmt)
    if family == "conv" and groups and isinstance(channels, int) and channels % groups != 0:
        raise ShapeError(
            f"{call.name}: the number of input channels must be evenly divisible by the number "
            f"of groups, but the input {format_shape(Shape(dims))} has {channels} channels and "
            f"groups={groups}",
        )

    out_spatial: list[Dim] = []
    for i, length in enumerate(spatial):
        k = kernel[i] if kernel else None
        s = strides[i] if strides else None
        d = dilation[i] if dilation else None
        if family == "transpose":
            op = output_padding[i] if output_padding else None
            if not output_padding_known:
                out_spatial.append(None)
                continue
            if (
                x.kind != "keras"
                and padding == "same"
                and op == 0
                and k is not None
                and d is not None
                and ((k - 1) * d + 1) % 2 == 0
            ):
                # Keras sizes the output (L - 1) * stride, which TF's conv_transpose rejects for
                # 'same' padding (it needs (L - 1) * stride < output <= L * stride). A
                # KerasTensor gets Keras' shape; running the layer fails.
                raise ShapeError(
                    f"{call.name}: padding='same' with output_padding=0 and the even kernel size "
                    f"{(k - 1) * d + 1} along spatial axis {i} makes Keras request an output length "
                    f"of {deconv_length(length, k, s, d, padding, op) or '(L - 1) * stride'}, which "
                    f"TensorFlow's conv_transpose rejects for input {format_shape(Shape(dims))}; use "
                    f"output_padding >= 1 (less than strides), output_padding=None or an odd kernel",
                )
            out_spatial.append(deconv_length(length, k, s, d, padding, op))
            continue
        n = conv_length(length, k, s, d, padding)
        if isinstance(n, int) and n <= 0:
            assert kernel is not None and strides is not None and dilation is not None
            raise ShapeError(
                f"{call.name}: computed output size would be zero or negative: input "
                f"{format_shape(Shape(dims))} with kernel_size={kernel}, strides={strides}, "
                f"dilation_rate={dilation} and padding='{padding}' (spatial axis {i} of length "
                f"{length} is shorter than the dilated kernel, {d * (k - 1) + 1 if d and k else '?'})",
            )
        out_spatial.append(n)

    if (
        x.kind != "keras"
        and family in ("depthwise", "separable")
        and rank == 2
        and strides is not None
        and strides[0] != strides[1]
        and (dilation is None or max(dilation) == 1)
    ):
        # TF's DepthwiseConv2dNative kernel refuses unequal row/column strides (with dilation
        # TF goes through space_to_batch and copes); the KerasTensor gets Keras' shape, but an
        # eager run fails (left unknown rather than claimed)
        raise Unknowable("unequal depthwise strides")
    out_channels: Dim = mul_dims(multiplier, channels) if family == "depthwise" else filters
    return join_channels(dims[0], out_spatial, out_channels, fmt)


@layer("Conv1D", "Convolution1D", params=_CONV_PARAMS)
def conv1d(call: LayerCall) -> Shape:
    return _conv_rule(call, 1, "conv")


@layer("Conv2D", "Convolution2D", params=_CONV_PARAMS)
def conv2d(call: LayerCall) -> Shape:
    return _conv_rule(call, 2, "conv")


@layer("Conv3D", "Convolution3D", params=_CONV_PARAMS)
def conv3d(call: LayerCall) -> Shape:
    return _conv_rule(call, 3, "conv")


@layer("Conv1DTranspose", "Convolution1DTranspose", params=_TRANSPOSE_PARAMS)
def conv1d_transpose(call: LayerCall) -> Shape:
    return _conv_rule(call, 1, "transpose")


@layer("Conv2DTranspose", "Convolution2DTranspose", params=_TRANSPOSE_PARAMS)
def conv2d_transpose(call: LayerCall) -> Shape:
    return _conv_rule(call, 2, "transpose")


@layer("Conv3DTranspose", "Convolution3DTranspose", params=_TRANSPOSE3D_PARAMS)
def conv3d_transpose(call: LayerCall) -> Shape:
    return _conv_rule(call, 3, "transpose")


@layer("DepthwiseConv1D", params=_DEPTHWISE_PARAMS)
def depthwise_conv1d(call: LayerCall) -> Shape:
    return _conv_rule(call, 1, "depthwise")


@layer("DepthwiseConv2D", params=_DEPTHWISE_PARAMS)
def depthwise_conv2d(call: LayerCall) -> Shape:
    return _conv_rule(call, 2, "depthwise")


@layer("SeparableConv1D", "SeparableConvolution1D", params=_SEPARABLE_PARAMS)
def separable_conv1d(call: LayerCall) -> Shape:
    return _conv_rule(call, 1, "separable")


@layer("SeparableConv2D", "SeparableConvolution2D", params=_SEPARABLE_PARAMS)
def separable_conv2d(call: LayerCall) -> Shape:
    return _conv_rule(call, 2, "separable")

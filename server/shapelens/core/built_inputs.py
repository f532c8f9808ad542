"""What a layer's first call fixes about every later call (Keras' input_spec after ``build``).

A Dense layer built on inputs with last dimension 10 owns a (10, units) kernel: calling it again
(a reused layer, a model predicting on new data) with a last dimension of 5 certainly fails.
The table says, per layer class, which input axes the weights pin down.
"""

from __future__ import annotations

from collections.abc import Callable

from .facts import Related
from .layers.base import LayerCall
from .layout_hints import channel_order_hint
from .shapes import Shape, ShapeError, format_shape, normalize_axis
from .values import LayerVal, Tensor, Value


def _last(call: LayerCall) -> tuple[int, ...]:
    return (-1,)


def _channels(call: LayerCall) -> tuple[int, ...]:
    fmt = call.cfg_soft("data_format", None)
    if fmt is None:
        return (-1,)
    if not isinstance(fmt, str):
        return ()
    return (1,) if fmt.lower() == "channels_first" else (-1,)


def _norm_axis(call: LayerCall) -> tuple[int, ...]:
    axis = call.cfg_soft("axis", -1)
    if isinstance(axis, int):
        return (axis,)
    if isinstance(axis, tuple) and all(isinstance(a, int) for a in axis):
        return axis
    return ()


_FIXED_AXES: dict[str, Callable[[LayerCall], tuple[int, ...]]] = {
    "Dense": _last,
    "SimpleRNN": _last,
    "LSTM": _last,
    "GRU": _last,
    "Bidirectional": _last,
    "BatchNormalization": _norm_axis,
    "LayerNormalization": _norm_axis,
    "GroupNormalization": _norm_axis,
    "Conv1D": _channels,
    "Conv2D": _channels,
    "Conv3D": _channels,
    "Conv1DTranspose": _channels,
    "Conv2DTranspose": _channels,
    "Conv3DTranspose": _channels,
    "SeparableConv1D": _channels,
    "SeparableConv2D": _channels,
    "DepthwiseConv1D": _channels,
    "DepthwiseConv2D": _channels,
    "ConvLSTM1D": _channels,
    "ConvLSTM2D": _channels,
    "ConvLSTM3D": _channels,
}


def check_against_build(call: LayerCall, layer: LayerVal, current: Value | None) -> None:
    """Raise ShapeError when ``current`` certainly disagrees with what the layer was built for."""
    built = layer.built_input
    axes_of = _FIXED_AXES.get(layer.spec.name)
    if layer.build_conflict or axes_of is None or not isinstance(built, Tensor) or not isinstance(current, Tensor):
        return
    bdims, cdims = built.shape.dims, current.shape.dims
    if bdims is None or cdims is None or len(bdims) != len(cdims):
        return
    for axis in axes_of(call):
        a = normalize_axis(axis, len(bdims))
        if a is None:
            continue
        want, got = bdims[a], cdims[a]
        if isinstance(want, int) and isinstance(got, int) and want != got and layer.build_uncertain:
            # built on a path that may not have run (another branch, say): which build Keras
            # made is not known from here on
            layer.build_conflict = True
            return
        if isinstance(want, int) and isinstance(got, int) and want != got:
            related = []
            if built.origin is not None:
                related.append(Related(built.origin, f"{layer.spec.name} was built for {format_shape(built.shape)} here"))
            if layer.origin is not None:
                related.append(Related(layer.origin, f"{layer.spec.name} created here"))
            raise ShapeError(
                f"{layer.spec.name} expects axis {axis} of its input to have value {want} "
                f"(it was built for input shape {format_shape(built.shape)}), but received "
                f"input with shape {format_shape(current.shape)}{channel_order_hint(bdims, cdims)}",
                code="layer-input-mismatch",
                related=list(related),
            )


def refined_by_build(call: LayerCall, layer: LayerVal, current: Tensor) -> Tensor:
    """``current`` with its unknown axes that the layer's weights pin down filled in from the
    input the layer was built for: a call that works has those sizes (Keras checks them)."""
    built = layer.built_input
    axes_of = _FIXED_AXES.get(layer.spec.name)
    if layer.build_conflict or axes_of is None or not isinstance(built, Tensor):
        return current
    bdims, cdims = built.shape.dims, current.shape.dims
    if bdims is None or cdims is None or len(bdims) != len(cdims):
        return current
    dims = list(cdims)
    for axis in axes_of(call):
        a = normalize_axis(axis, len(bdims))
        if a is not None and dims[a] is None:
            dims[a] = bdims[a]
    return Tensor(Shape(tuple(dims)), current.dtype, current.kind, current.origin, current.label)

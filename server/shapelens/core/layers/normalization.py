"""Keras normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization, RMSNormalization and the SpectralNormalization wrapper.

All keep the input shape. What Keras 3 certainly rejects:

- an ``axis`` outside the input rank (``IndexError`` in ``build`` or ``ValueError`` in
  ``compute_output_shape``); a list ``axis`` for BatchNormalization (``int(axis)``) or
  GroupNormalization;
- GroupNormalization: ``groups`` not a positive int (or -1), more groups than channels, or
  channels not a multiple of ``groups`` (Keras' message has the words the other way round);
- UnitNormalization run eagerly on an integer tensor (TF has no ``Rsqrt`` for ints).

The weighted layers also reject an undefined (``None``) size on a normalized axis; the engine
cannot tell an undefined dim from one it does not know, so it only declines to claim a shape.

Output dtype: the compute dtype for a symbolic input and for eager float inputs (and for eager
integer inputs of BatchNormalization, LayerNormalization and GroupNormalization, which compute
in float); RMSNormalization keeps an integer input's dtype.
"""

from __future__ import annotations

from ..shapes import Dim, DType, Shape, ShapeError, Unknowable, format_shape, is_float, is_int
from ..values import LayerVal, Tensor, Value
from .base import LayerCall, layer

CONFIG = "layer-config"


def _axes(call: LayerCall, allow_list: bool) -> list[int]:
    axis = call.cfg("axis", -1)
    if isinstance(axis, bool):
        raise Unknowable("axis")
    if isinstance(axis, int):
        return [axis]
    if isinstance(axis, tuple):
        if not allow_list:
            raise ShapeError(
                f"{call.name}: `axis` must be a single integer, but received {list(axis)}",
                code=CONFIG,
            )
        if all(isinstance(a, int) and not isinstance(a, bool) for a in axis):
            return list(axis)
    raise Unknowable("axis")


def _check_axes(call: LayerCall, axes: list[int], dims: tuple[Dim, ...], weighted: bool) -> None:
    rank = len(dims)
    for a in axes:
        if not -rank <= a < rank:
            raise ShapeError(
                f"{call.name}: axis {a} is out of range for input of shape "
                f"{format_shape(Shape(dims))} (rank {rank})",
                code="axis-out-of-range",
            )
    # A None size on a weighted axis fails in Keras when it is truly undefined, but the engine's
    # None may just be a size it could not compute: the shape passes through (never a fully
    # known claim, never an error).
    del weighted


def _dtype(call: LayerCall, int_policy: str) -> DType:
    """``int_policy``: what an eager integer input gives: 'float' (compute dtype), 'keep'."""
    x = call.x()
    if x.kind == "keras":
        return call.compute_dtype
    if x.dtype is None:
        return None
    if is_float(x.dtype):
        return call.compute_dtype
    if is_int(x.dtype):
        return call.compute_dtype if int_policy == "float" else x.dtype
    return None


def _result(call: LayerCall, dtype: DType) -> Tensor:
    x = call.x()
    return Tensor(x.shape, dtype, x.kind)


@layer(
    "BatchNormalization",
    params=(
        "axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
        "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer",
        "gamma_regularizer", "beta_constraint", "gamma_constraint", "renorm", "renorm_clipping",
        "renorm_momentum", "synchronized",
    ),
    call_params=("inputs", "training", "mask"),
)
def batch_normalization(call: LayerCall) -> Value:
    axes = _axes(call, allow_list=False)
    dims = call.shape()
    _check_axes(call, axes, dims, weighted=True)
    return _result(call, _dtype(call, "float"))


@layer(
    "LayerNormalization",
    params=(
        "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
        "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
    ),
)
def layer_normalization(call: LayerCall) -> Value:
    axes = _axes(call, allow_list=True)
    dims = call.shape()
    _check_axes(call, axes, dims, weighted=True)
    return _result(call, _dtype(call, "float"))


@layer("RMSNormalization", params=("axis", "epsilon"), call_params=("x",))
def rms_normalization(call: LayerCall) -> Value:
    axes = _axes(call, allow_list=True)
    dims = call.shape()
    _check_axes(call, axes, dims, weighted=True)
    return _result(call, _dtype(call, "keep"))


@layer("UnitNormalization", params=("axis",))
def unit_normalization(call: LayerCall) -> Value:
    axes = _axes(call, allow_list=True)
    dims = call.shape()
    _check_axes(call, axes, dims, weighted=False)
    x = call.x()
    if x.kind != "keras" and (is_int(x.dtype) or x.dtype == "bool"):
        raise ShapeError(
            f"UnitNormalization cannot normalize a {x.dtype} input {format_shape(x.shape)} eagerly "
            f"(TensorFlow's Rsqrt has no {x.dtype} kernel); cast it to a float dtype first",
            code="dtype-mismatch",
        )
    return _result(call, _dtype(call, "float"))


@layer(
    "GroupNormalization",
    params=(
        "groups", "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
        "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
    ),
)
def group_normalization(call: LayerCall) -> Value:
    groups = call.cfg("groups", 32)
    if isinstance(groups, bool) or not isinstance(groups, int | float):
        raise Unknowable("groups")
    if not isinstance(groups, int) or (groups <= 0 and groups != -1):
        raise ShapeError(
            f"GroupNormalization: `groups` must be a positive integer (or -1 for instance "
            f"normalization), but received groups={groups!r}",
            code=CONFIG,
        )
    axes = _axes(call, allow_list=False)
    dims = call.shape()
    _check_axes(call, axes, dims, weighted=True)
    channels = dims[axes[0]]
    if isinstance(channels, int) and groups != -1:
        shape = format_shape(Shape(dims))
        if channels < groups:
            raise ShapeError(
                f"GroupNormalization: the number of groups ({groups}) cannot be more than the "
                f"number of channels ({channels}) of the input {shape} on axis {axes[0]}"
                + (" (groups defaults to 32)" if not call.given("groups") else ""),
                code="layer-input-shape",
            )
        if channels % groups != 0:
            raise ShapeError(
                f"GroupNormalization: the number of channels ({channels}) of the input {shape} "
                f"on axis {axes[0]} is not divisible by the number of groups ({groups})",
                code="layer-input-shape",
            )
    return _result(call, _dtype(call, "float"))


@layer("SpectralNormalization", params=("layer", "power_iterations"), call_params=("inputs", "training"))
def spectral_normalization(call: LayerCall) -> Value:
    """The wrapped layer's output (Keras casts it back to the input dtype when eager)."""
    from .recurrent import apply_inner

    inner = call.raw("layer")
    if not isinstance(inner, LayerVal):
        raise Unknowable("layer")
    x = call.x()
    out = apply_inner(call, inner, [x])
    if not isinstance(out, Tensor):
        raise Unknowable("layer")
    if x.kind == "keras":
        dtype = call.compute_dtype
    else:
        dtype = call.compute_dtype if is_float(x.dtype) else None
    return Tensor(out.shape, dtype, x.kind)

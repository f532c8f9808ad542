"""Keras reshaping layers: Flatten, Reshape, Permute, RepeatVector, UpSampling1D/2D/3D,
ZeroPadding1D/2D/3D and Cropping1D/2D/3D.

Flatten, Reshape and Permute build their KerasTensor with the input's dtype (an int input stays
int; a float one is autocast to the compute dtype): ``preserves_dtype``. The others build it from
``compute_output_shape`` with the compute dtype, yet keep an int input's dtype when run eagerly
(`eager_keeps_dtype`).
"""

from __future__ import annotations

import math
from typing import Any

from ..shapes import Dim, Shape, ShapeError, Unknowable, format_shape, is_float, mul_dims
from ..values import Const, Seq, Tensor
from .base import LayerCall, layer
from .conv import (
    arg,
    config_error,
    const_tree,
    data_format,
    eager_keeps_dtype,
    is_int_value,
    join_channels,
    split_channels,
    std_tuple,
)

# ---------------------------------------------------------------------------------------------
# Flatten, Reshape, Permute


@layer("Flatten", params=("data_format",), preserves_dtype=True)
def flatten(call: LayerCall) -> Shape:
    data_format(call)  # validated by the constructor; the output shape does not depend on it
    dims = call.shape(min_rank=1)
    rest = dims[1:]
    if not rest:
        return Shape((dims[0], 1))
    if all(isinstance(d, int) for d in rest):
        return Shape((dims[0], math.prod(d for d in rest if isinstance(d, int))))
    size: Dim = 1
    for d in rest:
        size = mul_dims(size, d)
    return Shape((dims[0], size))


def _target_items(call: LayerCall) -> list[Any]:
    """``target_shape`` as a list of ints and None (a dim not known here)."""
    v = call.raw("target_shape")
    if v is None:
        raise Unknowable("target_shape")
    if isinstance(v, Const):
        if is_int_value(v.value):
            raise config_error(
                call, f"`target_shape` must be a tuple of dimensions, but received the integer {v.value}"
            )
        raise Unknowable("target_shape")
    if not isinstance(v, Seq):
        raise Unknowable("target_shape")
    if v.items is None:
        if v.length is None:
            raise Unknowable("target_shape")
        return [None] * v.length
    out: list[Any] = []
    for item in v.items:
        if isinstance(item, Const) and is_int_value(item.value):
            out.append(item.value)
        else:
            out.append(None)
    return out


@layer("Reshape", params=("target_shape",), preserves_dtype=True)
def reshape(call: LayerCall) -> Shape:
    target = _target_items(call)
    known = [d for d in target if d is not None]
    if any(d < -1 for d in known):
        raise config_error(
            call,
            f"each dimension of `target_shape` must be a non-negative integer or -1, but received "
            f"{_fmt_target(target)}",
        )
    if known.count(-1) > 1:
        raise config_error(
            call,
            f"`target_shape` can have at most one unknown dimension (-1), but received {_fmt_target(target)}",
        )
    x = call.x()
    dims = x.shape.dims
    if dims is None:
        return Shape((None, *(None if d == -1 else d for d in target)))
    if not dims:
        raise Unknowable("rank")  # Keras indexes the batch axis of a scalar: an IndexError
    batch = dims[0]
    rest = dims[1:]
    if None in target or not all(isinstance(d, int) for d in rest):
        return Shape((batch, *(None if d == -1 else d for d in target)))
    size = math.prod(d for d in rest if isinstance(d, int))
    if -1 not in target:
        if size != math.prod(target):
            raise ShapeError(
                f"Reshape: cannot reshape input {format_shape(x.shape)} ({size} elements per "
                f"sample) to target_shape {_fmt_target(target)} ({math.prod(target)} elements)",
            )
        return Shape((batch, *target))
    known_size = math.prod(d for d in target if d != -1)
    if known_size == 0 or size % known_size != 0:
        raise ShapeError(
            f"Reshape: cannot reshape input {format_shape(x.shape)} ({size} elements per sample) "
            f"to target_shape {_fmt_target(target)}: {size} is not divisible by {known_size}",
        )
    return Shape((batch, *(size // known_size if d == -1 else d for d in target)))


def _fmt_target(target: list[Any]) -> str:
    return format_shape(Shape(tuple(target)))


@layer("Permute", params=("dims",), preserves_dtype=True)
def permute(call: LayerCall) -> Shape:
    perm = arg(call, "dims")
    if not isinstance(perm, tuple) or not all(is_int_value(d) for d in perm):
        raise Unknowable("dims")
    if sorted(perm) != list(range(1, len(perm) + 1)):
        raise config_error(
            call,
            f"`dims` must be a permutation of the axes 1..{len(perm)} (the batch axis 0 stays "
            f"first), but received {perm}",
        )
    dims = call.shape(rank=len(perm) + 1)
    return Shape((dims[0], *(dims[d] for d in perm)))


# ---------------------------------------------------------------------------------------------
# RepeatVector, UpSampling


def _positive_int(call: LayerCall, name: str, default: int | None) -> int | None:
    """An int argument that must be a positive int (TypeError / ValueError otherwise)."""
    try:
        value = arg(call, name, default)
    except Unknowable:
        return None
    if value is None:
        return None
    if not is_int_value(value):
        if isinstance(value, (float, str, tuple)):
            raise config_error(call, f"`{name}` must be an integer, but received {value!r}")
        return None
    if value <= 0:
        raise config_error(call, f"`{name}` must be a positive integer, but received {value}")
    return int(value)


@layer("RepeatVector", params=("n",))
def repeat_vector(call: LayerCall) -> Tensor:
    n = _positive_int(call, "n", None)
    dims = call.shape(rank=2)
    return Tensor(Shape((dims[0], n, dims[1])), eager_keeps_dtype(call))


@layer("UpSampling1D", params=("size",))
def up_sampling1d(call: LayerCall) -> Tensor:
    size = _positive_int(call, "size", 2)
    dims = call.shape(rank=3)
    length = mul_dims(size, dims[1]) if size is not None else None
    return Tensor(Shape((dims[0], length, dims[2])), eager_keeps_dtype(call))


def _up_sampling(call: LayerCall, rank: int) -> Tensor:
    fmt = data_format(call)
    value = arg(call, "size", (2,) * rank)
    size = std_tuple(call, "size", value, rank)
    dims = call.shape(rank=rank + 2)
    channels, spatial = split_channels(dims, fmt)
    out = [mul_dims(f, d) for f, d in zip(size, spatial)]
    return Tensor(join_channels(dims[0], out, channels, fmt), _up_sampling_dtype(call))


_RESIZE_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16")
_INTERPOLATIONS = ("bilinear", "bicubic", "area", "lanczos3", "lanczos5", "gaussian", "mitchellcubic")


def _up_sampling_dtype(call: LayerCall) -> Any:
    dtype = eager_keeps_dtype(call)
    x = call.x()
    if x.kind == "keras" or x.dtype is None or is_float(x.dtype):
        return dtype
    interpolation = call.cfg_soft("interpolation", "nearest")
    if not isinstance(interpolation, str):
        raise Unknowable("interpolation")
    interpolation = interpolation.lower()
    if interpolation == "nearest":
        return dtype  # ops.repeat takes any dtype
    # other modes go through tf.image.resize, which takes fewer dtypes (and rejects unknown modes)
    if interpolation in _INTERPOLATIONS and dtype in _RESIZE_INT_DTYPES:
        return dtype
    raise Unknowable("interpolation")


@layer("UpSampling2D", params=("size", "data_format", "interpolation"))
def up_sampling2d(call: LayerCall) -> Tensor:
    return _up_sampling(call, 2)


@layer("UpSampling3D", params=("size", "data_format"))
def up_sampling3d(call: LayerCall) -> Tensor:
    return _up_sampling(call, 3)


# ---------------------------------------------------------------------------------------------
# ZeroPadding, Cropping

_ORDINALS = ("1st", "2nd", "3rd")


def _pairs(
    call: LayerCall, name: str, rank: int, default: Any, cropping: bool
) -> tuple[tuple[int, int], ...]:
    """The ((before, after), ...) form of a padding/cropping argument of a 2D/3D layer."""
    v = call.raw(name)
    value = default if v is None else const_tree(v, name)
    if isinstance(value, bool):
        raise Unknowable(name)
    if isinstance(value, int):
        if value < 0:
            if cropping:
                raise config_error(call, f"`{name}` cannot be negative, but received {value}")
            raise Unknowable(name)  # accepted by ZeroPadding's constructor, rejected by tf.pad
        return ((value, value),) * rank
    if not isinstance(value, tuple):
        raise Unknowable(name)
    if len(value) != rank:
        raise config_error(call, f"`{name}` should have {rank} elements, but received {value!r}")
    out = []
    for i, entry in enumerate(value):
        pair = std_tuple(call, name, entry, 2, allow_zero=True, label=f"{_ORDINALS[i]} entry of {name}")
        out.append((pair[0], pair[1]))
    return tuple(out)


def _zero_padding(call: LayerCall, rank: int) -> Tensor:
    fmt = data_format(call)
    if rank == 1:
        pair = std_tuple(call, "padding", arg(call, "padding", 1), 2, allow_zero=True)
        pads: tuple[tuple[int, int], ...] = ((pair[0], pair[1]),)
    else:
        pads = _pairs(call, "padding", rank, 1, cropping=False)
    dims = call.shape(rank=rank + 2)
    channels, spatial = split_channels(dims, fmt)
    out: list[Dim] = []
    for (before, after), d in zip(pads, spatial):
        if before + after == 0:
            out.append(d)
        else:
            out.append(d + before + after if isinstance(d, int) else None)
    return Tensor(join_channels(dims[0], out, channels, fmt), eager_keeps_dtype(call))


@layer("ZeroPadding1D", params=("padding", "data_format"))
def zero_padding1d(call: LayerCall) -> Tensor:
    return _zero_padding(call, 1)


@layer("ZeroPadding2D", params=("padding", "data_format"))
def zero_padding2d(call: LayerCall) -> Tensor:
    return _zero_padding(call, 2)


@layer("ZeroPadding3D", params=("padding", "data_format"))
def zero_padding3d(call: LayerCall) -> Tensor:
    return _zero_padding(call, 3)


def _cropping(call: LayerCall, rank: int) -> Tensor:
    if rank == 1:
        fmt = "channels_last"  # Cropping1D has no data_format
        pair = std_tuple(call, "cropping", arg(call, "cropping", (1, 1)), 2, allow_zero=True)
        crops: tuple[tuple[int, int], ...] = ((pair[0], pair[1]),)
    else:
        fmt = data_format(call)
        crops = _pairs(call, "cropping", rank, 0 if rank == 2 else 1, cropping=True)
    dims = call.shape(rank=rank + 2)
    channels, spatial = split_channels(dims, fmt)
    out: list[Dim] = []
    for i, ((before, after), d) in enumerate(zip(crops, spatial)):
        if not isinstance(d, int):
            out.append(d if before + after == 0 else None)
            continue
        if d - before - after <= 0:
            raise ShapeError(
                f"{call.name}: cropping {_fmt_crops(crops)} removes the whole of spatial axis {i} "
                f"(length {d}) of input {format_shape(Shape(dims))}; each cropping must be "
                f"smaller than the corresponding dimension",
            )
        out.append(d - before - after)
    return Tensor(join_channels(dims[0], out, channels, fmt), eager_keeps_dtype(call))


def _fmt_crops(crops: tuple[tuple[int, int], ...]) -> str:
    return str(crops[0]) if len(crops) == 1 else str(crops)


@layer("Cropping1D", params=("cropping",))
def cropping1d(call: LayerCall) -> Tensor:
    return _cropping(call, 1)


@layer("Cropping2D", params=("cropping", "data_format"))
def cropping2d(call: LayerCall) -> Tensor:
    return _cropping(call, 2)


@layer("Cropping3D", params=("cropping", "data_format"))
def cropping3d(call: LayerCall) -> Tensor:
    return _cropping(call, 3)

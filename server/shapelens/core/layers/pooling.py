"""Keras pooling layers: MaxPooling1D/2D/3D and AveragePooling1D/2D/3D (with the MaxPool*/AvgPool*
aliases), GlobalMax/GlobalAveragePooling1D/2D/3D (GlobalMaxPool*/GlobalAvgPool*), and
AdaptiveMax/AdaptiveAveragePooling1D/2D/3D.

Windowed pooling follows Keras' ``compute_pooling_output_shape``, which (unlike the conv
layers) does not normalise ``padding``: a KerasTensor input with ``padding="SAME"`` or a window
longer than a 'valid' input is a Keras error, while the same call run eagerly goes straight to
TensorFlow, which accepts the former and gives odd sizes for the latter (left unknown here).
"""

from __future__ import annotations

from ..shapes import Dim, DType, Shape, ShapeError, Unknowable, format_shape, is_float, is_int
from ..values import Tensor
from .base import LayerCall, layer
from .conv import (
    arg,
    config_error,
    data_format,
    is_symbolic,
    join_channels,
    split_channels,
    std_tuple,
)

_POOL_PARAMS = ("pool_size", "strides", "padding", "data_format", "name")

# TF kernels of eager max pooling for non-float inputs (MaxPool/MaxPoolV2; MaxPool3D has none).
_MAX_POOL_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16")


def _eager_dtype_error(call: LayerCall, dtype: str) -> ShapeError:
    x = call.x()
    return ShapeError(
        f"{call.name} cannot pool input {format_shape(x.shape)} of dtype {dtype}: TensorFlow "
        f"has no kernel for it; cast the input to a float dtype first",
        code="dtype-mismatch",
    )


def _pool_dtype(call: LayerCall, rank: int, mode: str) -> DType:
    x = call.x()
    if x.kind == "keras":
        return call.compute_dtype
    dtype = x.dtype
    if dtype is None:
        return None
    if is_float(dtype):
        return call.compute_dtype
    if mode == "max" and rank in (1, 2):
        if dtype in _MAX_POOL_INT_DTYPES:
            return dtype
        if dtype == "bool":
            raise _eager_dtype_error(call, dtype)
        raise Unknowable("dtype")  # uint32, complex, ...: TF may have no kernel
    if is_int(dtype) or dtype == "bool":
        raise _eager_dtype_error(call, dtype)
    raise Unknowable("dtype")


def _pool_rule(call: LayerCall, rank: int, mode: str) -> Tensor:
    # -- constructor ------------------------------------------------------------------------
    default_pool = 2 if rank == 1 else (2,) * rank
    pool: tuple[int, ...] | None = None
    strides: tuple[int, ...] | None = None
    try:
        pool_value = arg(call, "pool_size", default_pool if mode == "max" else None)
        if pool_value is not None:
            pool = std_tuple(call, "pool_size", pool_value, rank)
        strides_value = arg(call, "strides", None)
        if strides_value is None:
            strides_value = pool_value
        if strides_value is not None:
            strides = std_tuple(call, "strides", strides_value, rank, allow_zero=True)
    except Unknowable:
        pass  # the window is not known: only the spatial dims that depend on it are
    padding_value = arg(call, "padding", "valid")
    fmt = data_format(call)
    # -- input ------------------------------------------------------------------------------
    dims = call.shape(rank=rank + 2)
    symbolic = is_symbolic(call)
    if not isinstance(padding_value, str):
        raise Unknowable("padding")
    padding = padding_value
    if padding not in ("valid", "same"):
        if symbolic:
            raise config_error(
                call, f"`padding` must be 'valid' or 'same' (lowercase), but received {padding_value!r}"
            )
        padding = padding_value.lower()
        if padding not in ("valid", "same"):
            raise Unknowable("padding")
    if strides is not None and 0 in strides:
        raise Unknowable("strides")
    dtype = _pool_dtype(call, rank, mode)
    channels, spatial = split_channels(dims, fmt)
    out: list[Dim] = []
    for i, length in enumerate(spatial):
        s = strides[i] if strides is not None else None
        if padding == "same":
            if s == 1:
                out.append(length)
            else:
                out.append((length - 1) // s + 1 if isinstance(length, int) and s is not None else None)
            continue
        if pool is None or s is None:
            out.append(None)
            continue
        k = pool[i]
        if not isinstance(length, int):
            out.append(length if k == 1 and s == 1 else None)
            continue
        n = (length - k) // s + 1
        if n <= 0:
            if not symbolic:
                raise Unknowable("window longer than the input")
            raise ShapeError(
                f"{call.name}: computed output size would be zero or negative: input "
                f"{format_shape(Shape(dims))} with pool_size={pool}, strides={strides} and "
                f"padding='valid' (spatial axis {i} has length {length} < pool size {k})",
            )
        out.append(n)
    return Tensor(join_channels(dims[0], out, channels, fmt), dtype)


@layer("MaxPooling1D", "MaxPool1D", params=_POOL_PARAMS)
def max_pooling1d(call: LayerCall) -> Tensor:
    return _pool_rule(call, 1, "max")


@layer("MaxPooling2D", "MaxPool2D", params=_POOL_PARAMS)
def max_pooling2d(call: LayerCall) -> Tensor:
    return _pool_rule(call, 2, "max")


@layer("MaxPooling3D", "MaxPool3D", params=_POOL_PARAMS)
def max_pooling3d(call: LayerCall) -> Tensor:
    return _pool_rule(call, 3, "max")


@layer("AveragePooling1D", "AvgPool1D", params=_POOL_PARAMS)
def average_pooling1d(call: LayerCall) -> Tensor:
    return _pool_rule(call, 1, "average")


@layer("AveragePooling2D", "AvgPool2D", params=_POOL_PARAMS)
def average_pooling2d(call: LayerCall) -> Tensor:
    return _pool_rule(call, 2, "average")


@layer("AveragePooling3D", "AvgPool3D", params=_POOL_PARAMS)
def average_pooling3d(call: LayerCall) -> Tensor:
    return _pool_rule(call, 3, "average")


# ---------------------------------------------------------------------------------------------
# global pooling


def _global_dtype(call: LayerCall, mode: str) -> DType:
    x = call.x()
    if x.kind == "keras":
        return call.compute_dtype
    dtype = x.dtype
    if dtype is None:
        return None
    if is_float(dtype):
        return call.compute_dtype
    if is_int(dtype) or dtype == "bool":
        # max keeps the input dtype; mean of integers is float32 whatever the compute dtype
        return dtype if mode == "max" else "float32"
    raise Unknowable("dtype")  # strings, complex: TF may have no kernel


def _global_rule(call: LayerCall, rank: int, mode: str) -> Tensor:
    fmt = data_format(call)
    keepdims = arg(call, "keepdims", False)
    if not isinstance(keepdims, bool):
        if keepdims in (0, 1):
            keepdims = bool(keepdims)
        else:
            raise Unknowable("keepdims")
    dims = call.shape(rank=rank + 2)
    channels, _ = split_channels(dims, fmt)
    spatial: tuple[Dim, ...] = (1,) * rank if keepdims else ()
    return Tensor(join_channels(dims[0], spatial, channels, fmt), _global_dtype(call, mode))


_GLOBAL_PARAMS = ("data_format", "keepdims")


@layer("GlobalMaxPooling1D", "GlobalMaxPool1D", params=_GLOBAL_PARAMS)
def global_max_pooling1d(call: LayerCall) -> Tensor:
    return _global_rule(call, 1, "max")


@layer("GlobalMaxPooling2D", "GlobalMaxPool2D", params=_GLOBAL_PARAMS)
def global_max_pooling2d(call: LayerCall) -> Tensor:
    return _global_rule(call, 2, "max")


@layer("GlobalMaxPooling3D", "GlobalMaxPool3D", params=_GLOBAL_PARAMS)
def global_max_pooling3d(call: LayerCall) -> Tensor:
    return _global_rule(call, 3, "max")


@layer("GlobalAveragePooling1D", "GlobalAvgPool1D", params=_GLOBAL_PARAMS, call_params=("inputs", "mask"))
def global_average_pooling1d(call: LayerCall) -> Tensor:
    return _global_rule(call, 1, "average")


@layer("GlobalAveragePooling2D", "GlobalAvgPool2D", params=_GLOBAL_PARAMS)
def global_average_pooling2d(call: LayerCall) -> Tensor:
    return _global_rule(call, 2, "average")


@layer("GlobalAveragePooling3D", "GlobalAvgPool3D", params=_GLOBAL_PARAMS)
def global_average_pooling3d(call: LayerCall) -> Tensor:
    return _global_rule(call, 3, "average")


# ---------------------------------------------------------------------------------------------
# adaptive pooling


def _adaptive_rule(call: LayerCall, rank: int) -> Tensor:
    value = arg(call, "output_size", None)
    if value is None:
        raise Unknowable("output_size")
    if isinstance(value, bool):
        raise Unknowable("output_size")
    if isinstance(value, int):
        size: tuple[int, ...] = (value,) * rank
    elif isinstance(value, tuple):
        if len(value) != rank:
            raise config_error(
                call,
                f"`output_size` must be an integer or a tuple of {rank} integers, but received {value!r}",
            )
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            raise Unknowable("output_size")
        size = value
    else:
        raise Unknowable("output_size")
    # BaseAdaptivePooling checks data_format without lower-casing it
    fmt = arg(call, "data_format", None) or call.default_data_format()
    if fmt not in ("channels_last", "channels_first"):
        if isinstance(fmt, str):
            raise config_error(
                call, f"`data_format` must be 'channels_last' or 'channels_first', but received {fmt!r}"
            )
        raise Unknowable("data_format")
    x = call.x()
    symbolic = x.kind == "keras"
    # no input_spec: a KerasTensor of any rank gets (batch, *output_size, channels); the ops
    # themselves want rank + 2
    dims = call.shape() if symbolic else call.shape(rank=rank + 2)
    if len(dims) < 2:
        raise Unknowable("rank")
    channels = dims[-1] if fmt == "channels_last" else dims[1]
    if symbolic or (x.dtype is not None and is_float(x.dtype)):
        dtype = call.compute_dtype
    elif x.dtype is None:
        dtype = None
    else:
        raise Unknowable("dtype")  # eager non-float adaptive pooling: TF kernels vary
    return Tensor(join_channels(dims[0], size, channels, fmt), dtype)


_ADAPTIVE_PARAMS = ("output_size", "data_format")


@layer("AdaptiveAveragePooling1D", params=_ADAPTIVE_PARAMS)
def adaptive_average_pooling1d(call: LayerCall) -> Tensor:
    return _adaptive_rule(call, 1)


@layer("AdaptiveAveragePooling2D", params=_ADAPTIVE_PARAMS)
def adaptive_average_pooling2d(call: LayerCall) -> Tensor:
    return _adaptive_rule(call, 2)


@layer("AdaptiveAveragePooling3D", params=_ADAPTIVE_PARAMS)
def adaptive_average_pooling3d(call: LayerCall) -> Tensor:
    return _adaptive_rule(call, 3)


@layer("AdaptiveMaxPooling1D", params=_ADAPTIVE_PARAMS)
def adaptive_max_pooling1d(call: LayerCall) -> Tensor:
    return _adaptive_rule(call, 1)


@layer("AdaptiveMaxPooling2D", params=_ADAPTIVE_PARAMS)
def adaptive_max_pooling2d(call: LayerCall) -> Tensor:
    return _adaptive_rule(call, 2)


@layer("AdaptiveMaxPooling3D", params=_ADAPTIVE_PARAMS)
def adaptive_max_pooling3d(call: LayerCall) -> Tensor:
    return _adaptive_rule(call, 3)

"""Ops that only reorder axes: ``rot90`` (numpy and ``keras.ops``) and ``np.rollaxis``.

``rot90`` swaps the two dims of its plane when it turns an odd number of quarter turns and
keeps the shape on an even number; when the plane is square the turn count does not matter."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import UNKNOWN_SHAPE, Shape, normalize_axis
from ..values import Value, as_int
from . import shape_ops as so


def _rot90(call: Call, lib: so.Flavour, x_name: str) -> Value:
    x = call.arg(0, x_name)
    op = so.begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    k_v = call.arg(1, "k")
    k = 1 if k_v is None else as_int(k_v)
    axes_v = call.arg(2, "axes")
    axes = [0, 1] if axes_v is None else so.int_list(axes_v)
    dims = t.shape.dims
    if dims is None or axes is None or len(axes) != 2 or len(dims) < 2:
        return op.out(Shape((None,) * t.shape.rank) if t.shape.rank is not None else UNKNOWN_SHAPE, t.dtype)
    a, b = normalize_axis(axes[0], len(dims)), normalize_axis(axes[1], len(dims))
    if a is None or b is None or a == b:
        return op.unknown(t.dtype)
    square = isinstance(dims[a], int) and dims[a] == dims[b]
    if k is None and not square:
        out = list(dims)
        out[a] = out[b] = None if dims[a] != dims[b] else dims[a]
        return op.out(Shape(tuple(out)), t.dtype)
    if square or k is None or k % 2 == 0:
        return op.out(t.shape, t.dtype)
    out = list(dims)
    out[a], out[b] = dims[b], dims[a]
    return op.out(Shape(tuple(out)), t.dtype)


@function("np.rot90")
def _np_rot90(call: Call) -> Value:
    return _rot90(call, "np", "m")


@function("keras.ops.rot90")
def _keras_rot90(call: Call) -> Value:
    return _rot90(call, "keras", "array")


@function("np.rollaxis")
def _rollaxis(call: Call) -> Value:
    """``rollaxis(a, axis, start=0)``: ``axis`` moves to just before ``start``."""
    x = call.arg(0, "a")
    op = so.begin(call, "np", x)
    t = op.tensor(x)
    axis, start = call.int(1, "axis"), call.int(2, "start", 0)
    if t is None or t.shape.dims is None or axis is None or start is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = list(t.shape.dims)
    n = len(dims)
    ax = normalize_axis(axis, n)
    if start < 0:
        start += n
    if ax is None or not 0 <= start <= n:
        return op.unknown(t.dtype)
    moved = dims.pop(ax)
    dims.insert(start - 1 if ax < start else start, moved)
    return op.out(Shape(tuple(dims)), t.dtype)

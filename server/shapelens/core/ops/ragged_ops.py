"""``tf.ragged.constant``: a ragged tensor from nested Python lists (or a list of arrays of
different lengths). Its static shape is the number of rows, then one unknown axis per ragged
dimension; TF reports those axes as ``None`` even where every row happens to agree."""

from __future__ import annotations

from ..data import literal_dtype
from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError
from ..values import UNKNOWN, Const, Seq, Tensor, Value, as_int
from . import shape_ops as so


def _depth(v: Value) -> int | None:
    """How deeply ``v`` nests (a scalar 0, an array its rank); None when unsure or uneven."""
    if isinstance(v, Const):
        return 0 if isinstance(v.value, (bool, int, float, complex, str, bytes)) else None
    if isinstance(v, Tensor):
        if v.kind not in ("np", "tf") or v.shape.dims is None:
            return None
        return len(v.shape.dims)
    if isinstance(v, Seq):
        if v.items is None:
            inner = _depth(v.elem)
            return None if inner is None else inner + 1
        if not v.items:
            return 1
        depths = {_depth(i) for i in v.items}
        if len(depths) != 1 or None in depths:
            return None
        (d,) = depths
        return None if d is None else d + 1
    return None


@function("tf.ragged.constant")
def _ragged_constant(call: Call) -> Value:
    pylist = call.arg(0, "pylist")
    if pylist is None or not isinstance(pylist, Seq):
        return UNKNOWN
    if call.has(3, "inner_shape"):
        inner = call.arg(3, "inner_shape")
        if not (isinstance(inner, Const) and inner.value is None):
            return UNKNOWN
    depth = _depth(pylist)
    if depth is None or depth < 1:
        return UNKNOWN
    given = call.arg(2, "ragged_rank")
    explicit = given is not None and not (isinstance(given, Const) and given.value is None)
    if explicit and given is not None and as_int(given) != depth - 1:
        return UNKNOWN  # uniform inner axes: their sizes come from the innermost lists
    dtype_value = call.arg(1, "dtype")
    try:
        dtype = so.dtype_arg(dtype_value) if dtype_value is not None else literal_dtype(pylist)
    except ShapeError:
        return UNKNOWN  # TF's own conversion error; the constant-conversion rules report those
    rows: Dim = pylist.size()
    dims: tuple[Dim, ...] = (rows,) + (None,) * (depth - 1)
    return so.result(call, Shape(dims), dtype, "ragged" if depth > 1 else "tf")

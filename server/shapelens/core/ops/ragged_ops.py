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


def _uniform_inner(pylist: Seq, ragged_rank: int) -> tuple[int, ...] | None:
    """The sizes of the axes after the ragged ones when ``pylist`` is a list of arrays that all
    have the same (known) sizes there; None otherwise."""
    items = pylist.items if pylist.items is not None else [pylist.elem]
    sizes: set[tuple[Dim, ...]] = set()
    for item in items:
        if not isinstance(item, Tensor) or item.shape.dims is None or len(item.shape.dims) <= ragged_rank:
            return None
        sizes.add(item.shape.dims[ragged_rank:])
    if len(sizes) != 1:
        return None
    (dims,) = sizes
    known = tuple(d for d in dims if isinstance(d, int))
    return known if len(known) == len(dims) else None


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
    uniform_dims: tuple[Dim, ...] = ()
    if explicit and given is not None and as_int(given) != depth - 1:
        # uniform inner axes: their sizes come from the innermost values, known here for a
        # list of arrays that all agree on them (graphs' (atoms, features) per molecule)
        r = as_int(given)
        uniform = _uniform_inner(pylist, r) if r is not None and 1 <= r < depth - 1 else None
        if r is None or uniform is None:
            return UNKNOWN
        depth, uniform_dims = r + 1, uniform
    dtype_value = call.arg(1, "dtype")
    try:
        dtype = so.dtype_arg(dtype_value) if dtype_value is not None else literal_dtype(pylist)
    except ShapeError:
        return UNKNOWN  # TF's own conversion error; the constant-conversion rules report those
    rows: Dim = pylist.size()
    dims: tuple[Dim, ...] = (rows,) + (None,) * (depth - 1) + uniform_dims
    return so.result(call, Shape(dims), dtype, "ragged" if depth > 1 else "tf")

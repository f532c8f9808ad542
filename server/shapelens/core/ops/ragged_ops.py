"""Ragged tensors. ``tf.ragged.constant``: a ragged tensor from nested Python lists (or a list
of arrays of different lengths). Its static shape is the number of rows, then one unknown axis
per ragged dimension; TF reports those axes as ``None`` even where every row happens to agree.

The methods only ragged tensors have (``row_lengths``, ``nrows``, ``merge_dims``) are read on
any tensor: a program that calls them holds a ragged one there, even where the engine keeps
it as a dense tensor of the same static shape (a batch of a ragged dataset)."""

from __future__ import annotations

from ..data import literal_dtype
from ..registry import Call, attribute, function, method
from ..shapes import Dim, Shape, ShapeError
from ..values import UNKNOWN, Const, Seq, Tensor, Value, as_dim, as_int
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


def _leaf_dtypes(v: Value) -> set[str | None]:
    """The dtypes of the values a nested list holds (None for a Python number or unknown)."""
    if isinstance(v, Tensor):
        return {v.dtype}
    if isinstance(v, Seq):
        out: set[str | None] = set()
        for i in v.items if v.items is not None else [v.elem]:
            out |= _leaf_dtypes(i)
        return out
    return {None}


def _holds_arrays(v: Value) -> bool:
    if isinstance(v, Tensor):
        return True
    if isinstance(v, Seq):
        return any(_holds_arrays(i) for i in (v.items if v.items is not None else [v.elem]))
    return False


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
    depth = _depth(pylist)
    if depth is None or depth < 1:
        return UNKNOWN
    given = call.arg(2, "ragged_rank")
    explicit = given is not None and not (isinstance(given, Const) and given.value is None)
    uniform_dims: tuple[Dim, ...] = ()
    inner = call.arg(3, "inner_shape")
    if inner is not None and not so.is_none(inner):
        # the innermost values' shape: ``ragged_rank`` defaults to the axes before it, less one
        inner_dims = so.shape_dims(inner)
        if inner_dims is None or not all(isinstance(d, int) for d in inner_dims):
            return UNKNOWN
        r = as_int(given) if explicit and given is not None else max(0, depth - 1 - len(inner_dims))
        if r is None or r + 1 + len(inner_dims) != depth or not r:
            return UNKNOWN
        if inner_dims and _uniform_inner(pylist, r) not in (None, tuple(inner_dims)):
            return UNKNOWN  # TF refuses values of another shape
        depth, uniform_dims = r + 1, tuple(inner_dims)
    elif explicit and given is not None and as_int(given) != depth - 1:
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
    if dtype_value is None and _holds_arrays(pylist):
        # TF reads the arrays' numbers as Python numbers: float32/float64/bool arrays keep
        # their dtype when they are all the values; ints become int32 (int64 past int32),
        # complex64 complex128, and mixed with Python numbers the first one decides
        dtypes = _leaf_dtypes(pylist)
        dtype = dtypes.pop() if len(dtypes) == 1 and dtypes <= {"float32", "float64", "bool"} else None
    rows: Dim = pylist.size()
    dims: tuple[Dim, ...] = (rows,) + (None,) * (depth - 1) + uniform_dims
    return so.result(call, Shape(dims), dtype, "ragged" if depth > 1 else "tf")


def _receiver_dims(call: Call) -> tuple[Tensor | None, tuple[Dim, ...] | None]:
    t = call.receiver if isinstance(call.receiver, Tensor) else None
    return t, (t.shape.dims if t is not None else None)


@method("tensor", "row_lengths")
def _row_lengths(call: Call) -> Value:
    """``rt.row_lengths()``: one length per row (int64); other axes are left unknown."""
    t, dims = _receiver_dims(call)
    axis = call.int(0, "axis", 1)
    if t is None or dims is None or len(dims) < 2 or axis != 1:
        return UNKNOWN
    return so.result(call, Shape((dims[0],)), None, "tf")  # the row splits' dtype (int64 or int32)


@method("tensor", "nrows")
def _nrows(call: Call) -> Value:
    t, _dims = _receiver_dims(call)
    out_type = call.arg(0, "out_type")
    dtype = so.dtype_arg(out_type) if out_type is not None and not so.is_none(out_type) else None
    return so.result(call, Shape(()), dtype, "tf") if t is not None else UNKNOWN


@method("tensor", "merge_dims")
def _merge_dims(call: Call) -> Value:
    """``rt.merge_dims(outer_axis, inner_axis)``: those axes become one (of unknown size when a
    ragged one is among them). With no ragged axis left the result is a dense tensor."""
    t, dims = _receiver_dims(call)
    outer, inner = call.int(0, "outer_axis"), call.int(1, "inner_axis")
    if t is None or dims is None or outer is None or inner is None:
        return UNKNOWN
    n = len(dims)
    outer, inner = outer + n if outer < 0 else outer, inner + n if inner < 0 else inner
    if not 0 <= outer <= inner < n:
        return UNKNOWN
    size: Dim = 1
    for d in dims[outer : inner + 1]:
        size = size * d if isinstance(size, int) and isinstance(d, int) else None
    merged = (*dims[:outer], size, *dims[inner + 1 :])
    ragged_left = any(d is None for d in merged[1:])
    return so.result(call, Shape(merged), t.dtype, "ragged" if ragged_left and t.kind == "ragged" else "tf")


@attribute("tensor", "values")
def _values(v: Value) -> Value:
    """``rt.values``: the rows of a ragged tensor joined, ``(None, *axes after the ragged
    one)``; ``sp.values`` of a sparse tensor: one value per stored entry. A dense tensor has no
    ``values``, so a tensor read this way is ragged (or sparse) there."""
    if not isinstance(v, Tensor) or v.shape.dims is None:
        return UNKNOWN
    if v.kind == "sparse":
        return Tensor(Shape((None,)), v.dtype, "tf")
    dims = v.shape.dims
    if v.kind not in ("ragged", "tf", "spec") or len(dims) < 2:
        return UNKNOWN
    rest = dims[2:]
    return Tensor(Shape((None, *rest)), v.dtype, "ragged" if None in rest else "tf")


@attribute("tensor", "flat_values")
def _flat_values(v: Value) -> Value:
    """``rt.flat_values``: every value of a ragged tensor in one run, ``(None, *uniform inner
    axes)``; read only where the axes after the ragged one are all known sizes (so there is
    no second ragged axis among them). A dense tensor has no ``flat_values``: one read this
    way (a dataset element's) is ragged there."""
    if not isinstance(v, Tensor) or v.shape.dims is None or v.kind not in ("ragged", "tf", "spec"):
        return UNKNOWN
    dims = v.shape.dims
    if len(dims) < 2 or dims[1] is not None or not all(isinstance(d, int) for d in dims[2:]):
        return UNKNOWN
    return Tensor(Shape((None, *dims[2:])), v.dtype, "tf")


@method("tensor", "value_rowids")
def _value_rowids(call: Call) -> Value:
    """The row of each value: as many as the values (a run-time count)."""
    t, dims = _receiver_dims(call)
    if t is None or dims is None or len(dims) < 2:
        return UNKNOWN
    return so.result(call, Shape((None,)), None, "tf")


@method("tensor", "row_starts", "row_limits")
def _row_starts(call: Call) -> Value:
    t, dims = _receiver_dims(call)
    if t is None or dims is None or len(dims) < 2:
        return UNKNOWN
    return so.result(call, Shape((dims[0],)), None, "tf")


@function("tf.RaggedTensor.from_value_rowids", "tf.RaggedTensor.from_row_lengths",
          "tf.RaggedTensor.from_row_splits", "tf.RaggedTensor.from_row_starts",
          "tf.RaggedTensor.from_row_limits")
def _ragged_from_partition(call: Call) -> Value:
    """``(rows, None, *values.shape[1:])``: the rows come from the partition (``nrows`` for
    ``from_value_rowids``, one per length/start/limit, one less than the splits)."""
    values = call.arg(0, "values")
    kind = call.name.rsplit(".", 1)[-1][len("from_"):]
    partition = call.arg(1, kind)
    op = so.begin(call, "tf", values, partition)
    v, p = op.tensor(values), op.tensor(partition)
    if v is None or v.shape.dims is None or not v.shape.dims:
        return so.result(call, Shape(None), v.dtype if v is not None else None, "ragged")
    rows: Dim = None
    if kind == "value_rowids":
        nrows = call.arg(2, "nrows")
        rows = None if nrows is None or so.is_none(nrows) else as_dim(nrows)
    elif p is not None and p.shape.dims is not None and len(p.shape.dims) == 1:
        n = p.shape.dims[0]
        rows = n if kind != "row_splits" else (n - 1 if isinstance(n, int) and n >= 1 else None)
    return so.result(call, Shape((rows, None, *v.shape.dims[1:])), v.dtype, "ragged")

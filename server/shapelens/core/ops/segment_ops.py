"""Segment reductions: ``tf.math.unsorted_segment_*``, ``tf.math.segment_*`` and
``keras.ops.segment_*`` (the message-passing step of graph networks).

TensorFlow semantics (checked on TF 2.21, see tests/oracle/test_ops_tf.py): ``segment_ids``'
shape is a prefix of ``data``'s; the output is ``(num_segments, *data.shape[ids.rank:])`` in
data's dtype. The sorted ``tf.math.segment_*`` ops take 1-D ids and give as many rows as the
largest id + 1, which is a run-time value. ``keras.ops.segment_*`` takes 1-D ids and an
optional ``num_segments`` (rows unknown without it).
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, dims_conflict, format_shape
from ..values import Tensor, Value, as_dim
from . import shape_ops as so

_UNSORTED = [f"tf.math.unsorted_segment_{r}" for r in ("sum", "max", "min", "mean", "prod", "sqrt_n")]
_SORTED = [f"tf.math.segment_{r}" for r in ("sum", "max", "min", "mean", "prod")]
_KERAS = [f"keras.ops.segment_{r}" for r in ("sum", "max")]


def _rows(v: Value | None) -> Dim:
    """``num_segments`` as a dim: an int, a scalar tensor whose value is known (``tf.shape(x)[0]``),
    or None."""
    if v is None or so.is_none(v):
        return None
    v = so.resolve(v)
    if v is None:
        return None
    if isinstance(v, Tensor) and v.shape.dims not in ((), None):
        return None
    d = as_dim(v)
    return d if not isinstance(d, int) or d >= 0 else None


def _segment_shape(name: str, data: Tensor, ids: Tensor, rows: Dim) -> Shape | None:
    """``(rows, *data.shape[ids.rank:])``; a known ids shape that is not a prefix of data's fails."""
    dd, idims = data.shape.dims, ids.shape.dims
    if dd is None or idims is None:
        return None
    if len(idims) > len(dd) or any(dims_conflict(a, b) for a, b in zip(idims, dd[: len(idims)], strict=False)):
        raise ShapeError(
            f"{name}: the segment ids {format_shape(ids.shape)} must match the leading dims of "
            f"the data {format_shape(data.shape)}",
            code="shape-mismatch",
        )
    if not idims:
        return None  # scalar ids: TF takes them only for some kernels
    return Shape((rows, *dd[len(idims):]))


@function(*_UNSORTED, *_SORTED, *_KERAS)
def _segment_reduce(call: Call) -> Value:
    unsorted = call.name.startswith("tf.math.unsorted")
    keras = call.name.startswith("keras.")
    data, ids = call.arg(0, "data"), call.arg(1, "segment_ids")
    op = so.begin(call, "keras" if keras else "tf", data, ids)
    d, i = op.tensor(data), op.tensor(ids)
    if d is None or i is None:
        return op.unknown(d.dtype if d is not None else None)
    if (keras or not unsorted) and i.shape.dims is not None and len(i.shape.dims) != 1:
        return op.unknown(d.dtype)  # 1-D ids only; other ranks are left to TF to judge
    rows = _rows(call.arg(2, "num_segments")) if (unsorted or keras) else None
    shape = _segment_shape(op.name, d, i, rows)
    return op.out(shape, d.dtype) if shape is not None else op.unknown(d.dtype)

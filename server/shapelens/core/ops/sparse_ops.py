"""``tf.SparseTensor`` and the ``tf.sparse`` conversions: a sparse tensor's shape is its
``dense_shape`` (the length of that list is its rank), its dtype that of its ``values``."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Shape, ShapeError, format_shape
from ..values import TensorKind, Value
from . import shape_ops as so


@function("tf.SparseTensor", "tf.sparse.SparseTensor")
def _sparse_tensor(call: Call) -> Value:
    values = call.arg(1, "values")
    dense_shape = so.shape_dims(call.arg(2, "dense_shape"))
    op = so.begin(call, "tf", values)
    t = op.tensor(values) if values is not None else None
    dtype = t.dtype if t is not None else None
    if dense_shape is None:
        return so.result(call, Shape(None), dtype, "sparse")
    dims = tuple(d if not (isinstance(d, int) and d < 0) else None for d in dense_shape)
    return so.result(call, Shape(dims), dtype, "sparse")


@function("tf.sparse.to_dense", "tf.sparse.from_dense", "tf.sparse.reorder")
def _same_shape(call: Call) -> Value:
    x = call.arg(0, "sp_input" if not call.name.endswith("from_dense") else "tensor")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    kind: TensorKind = "tf" if call.name.endswith("to_dense") else "sparse"
    return so.result(call, t.shape, t.dtype, kind)


@function("tf.sparse.sparse_dense_matmul")
def _sparse_dense_matmul(call: Call) -> Value:
    """``sparse_dense_matmul(sp_a, b, adjoint_a=False, adjoint_b=False)``: a matrix product of
    a 2-D sparse and a 2-D dense matrix (a graph's normalised adjacency times the features)."""
    a, b = call.arg(0, "sp_a"), call.arg(1, "b")
    op = so.begin(call, "tf", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    adj_a, adj_b = call.value(2, "adjoint_a", False), call.value(3, "adjoint_b", False)
    if (
        ta is None or tb is None or ta.shape.dims is None or tb.shape.dims is None
        or len(ta.shape.dims) != 2 or len(tb.shape.dims) != 2
        or not isinstance(adj_a, bool) or not isinstance(adj_b, bool)
    ):
        return op.unknown(tb.dtype if tb is not None else None)
    rows, inner_a = ta.shape.dims[::-1] if adj_a else ta.shape.dims
    inner_b, cols = tb.shape.dims[::-1] if adj_b else tb.shape.dims
    if isinstance(inner_a, int) and isinstance(inner_b, int) and inner_a != inner_b:
        raise ShapeError(
            f"tf.sparse.sparse_dense_matmul: the sparse matrix {format_shape(ta.shape)} has {inner_a} "
            f"columns but the dense one {format_shape(tb.shape)} has {inner_b} rows",
            code="matmul",
        )
    return op.out(Shape((rows, cols)), tb.dtype)

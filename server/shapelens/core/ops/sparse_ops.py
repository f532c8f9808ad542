"""``tf.SparseTensor`` and the ``tf.sparse`` conversions: a sparse tensor's shape is its
``dense_shape`` (the length of that list is its rank), its dtype that of its ``values``."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Shape
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

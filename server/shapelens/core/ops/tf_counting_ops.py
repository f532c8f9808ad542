"""TensorFlow functions that count, search and reorder values: ``tf.unique`` (and
``unique_with_counts``), ``tf.math.bincount``, ``tf.searchsorted``, ``tf.histogram_fixed_width``,
``tf.reverse_sequence`` and ``tf.nn.batch_normalization``.

``unique`` and ``bincount`` give as many items as the data has distinct values (or its largest
value + 1): a run-time length, so that axis stays unknown unless ``minlength == maxlength``.
Checked against TF 2.21 in tests/oracle/test_ops_counting.py.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape
from ..values import Seq, Value
from . import shape_ops as so


@function("tf.unique", "tf.unique_with_counts")
def _unique(call: Call) -> Value:
    """``Unique(y, idx)``: ``y`` the distinct values (run-time length), ``idx`` one index per
    input item; ``unique_with_counts`` adds ``count``. TF takes only 1-D input."""
    x = call.arg(0, "x")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    idx_dtype = so.dtype_arg(call.arg(1, "out_idx"), "int32")
    counts = call.name.endswith("with_counts")
    fields = ("y", "idx", "count") if counts else ("y", "idx")
    dtype = t.dtype if t is not None else None
    if t is None or t.shape.dims is None or len(t.shape.dims) != 1:
        parts: list[Value] = [op.unknown(dtype), op.unknown(idx_dtype), op.unknown(idx_dtype)]
    else:
        parts = [op.out(Shape((None,)), dtype), op.out(t.shape, idx_dtype), op.out(Shape((None,)), idx_dtype)]
    return Seq(parts[: len(fields)], "tuple", fields=fields)


@function("tf.math.bincount")
def _bincount(call: Call) -> Value:
    """One count per value up to the largest (or ``minlength``/``maxlength``); ``axis=-1``
    counts each row of a 2-D input separately. Weighted counts take the weights' dtype."""
    arr, weights = call.arg(0, "arr"), call.arg(1, "weights")
    op = so.begin(call, "tf", arr, weights)
    t = op.tensor(arr)
    w = op.tensor(weights) if weights is not None and not so.is_none(weights) else None
    dtype = w.dtype if w is not None else so.dtype_arg(call.arg(4, "dtype"), "int32")
    if so.bool_arg(call.arg(7, "binary_output")) is not False:
        return op.unknown()
    lo, hi = call.int(2, "minlength"), call.int(3, "maxlength")
    bins: Dim = lo if lo is not None and lo == hi and call.arg(2, "minlength") is not None else None
    axis = call.arg(6, "axis")
    if t is None or t.shape.dims is None:
        return op.unknown(dtype)
    if axis is None or so.is_none(axis):
        return op.out(Shape((bins,)), dtype)
    a = call.int(6, "axis")
    if a in (-1, 1) and len(t.shape.dims) == 2:
        return op.out(Shape((t.shape.dims[0], bins)), dtype)
    return op.unknown(dtype)


@function("tf.searchsorted")
def _searchsorted(call: Call) -> Value:
    """One insertion index per value: the values' shape, in ``out_type`` (int32). TF pairs
    the two inputs' leading axes; where the ranks differ it flattens them, so only equal ranks
    are read."""
    seq, values = call.arg(0, "sorted_sequence"), call.arg(1, "values")
    op = so.begin(call, "tf", seq, values)
    s, v = op.tensor(seq), op.tensor(values)
    dtype = so.dtype_arg(call.arg(3, "out_type"), "int32")
    if v is None or s is None or v.shape.dims is None or s.shape.dims is None:
        return op.unknown(dtype)
    if not v.shape.dims or len(v.shape.dims) != len(s.shape.dims):
        return op.unknown(dtype)
    return op.out(v.shape, dtype)


@function("tf.histogram_fixed_width")
def _histogram(call: Call) -> Value:
    values = call.arg(0, "values")
    op = so.begin(call, "tf", values, call.arg(1, "value_range"))
    nbins = call.int(2, "nbins", 100)
    return op.out(Shape((nbins,)), so.dtype_arg(call.arg(3, "dtype"), "int32"))


@function("tf.reverse_sequence")
def _reverse_sequence(call: Call) -> Value:
    x = call.arg(0, "input")
    op = so.begin(call, "tf", x, call.arg(1, "seq_lengths"))
    t = op.tensor(x)
    return op.out(t.shape, t.dtype) if t is not None else op.unknown()


@function("tf.nn.batch_normalization")
def _batch_normalization(call: Call) -> Value:
    """``(x - mean) / sqrt(variance + eps) * scale + offset``: every operand broadcasts."""
    names = ("x", "mean", "variance", "offset", "scale")
    args = [call.arg(i, n) for i, n in enumerate(names)]
    op = so.begin(call, "tf", *args)
    tensors = [op.tensor(a) for a in args if a is not None and not so.is_none(a)]
    x = tensors[0] if args[0] is not None else None
    if x is None or any(t is None for t in tensors):
        return op.unknown(x.dtype if x is not None else None)
    shape = so.broadcast_all([t.shape for t in tensors if t is not None], call.name)
    return op.out(shape, x.dtype)

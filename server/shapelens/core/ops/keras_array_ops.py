"""``keras.ops`` beyond the core subset: stacking shorthands, ``slice``/``slice_update``,
diagonals and traces, ``moments``/``average``/``count_nonzero``, ``array_split``, ``diff``,
``inner``/``cross``/``kron``, the losses and normalizations of ``keras.ops.nn``,
``dot_product_attention``, ``multi_hot`` and a few more float functions and activations.
Dtypes follow what Keras 3.15 (TF backend) gives for float32 and int32 inputs; where another
input dtype could behave otherwise, it is left unknown."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, broadcast_shapes, normalize_axis
from ..values import Seq, Tensor, Value, as_dim
from . import shape_ops as so


def _float_kept(t: Tensor | None) -> str | None:
    return t.dtype if t is not None and so.is_float_dtype(t.dtype) else None


@function("keras.ops.hstack")
def _hstack(call: Call) -> Value:
    """Along axis 1, or 0 for 1-D inputs (numpy's rule, without its 0-d promotion)."""
    xs = call.arg(0, "xs")
    items = so.list_items(xs)
    if items is None or any(isinstance(i, Tensor) and i.shape.rank == 0 for i in items):
        return so.begin(call, "keras", xs).unknown()
    return so.np_stack_family(call, xs, "hstack", "keras")


@function("keras.ops.vstack")
def _vstack(call: Call) -> Value:
    """Keras' vstack is a concatenation along axis 0 (1-D inputs are not made rows)."""
    return so.concat_op(call, "keras", call.arg(0, "xs"), None, 0)


@function("keras.ops.moments", "keras.ops.nn.moments")
def _moments(call: Call) -> Value:
    """``(mean, variance)`` over ``axes``."""
    x, axes, keepdims = call.arg(0, "x"), call.arg(1, "axes"), call.arg(2, "keepdims")
    mean = so.reduce_op(call, "keras", x, axes, keepdims, "mean")
    var = so.reduce_op(call, "keras", x, axes, keepdims, "var")
    t = x if isinstance(x, Tensor) else None
    for out in (mean, var):
        # the input's dtype is kept, integers too (bool is not read here)
        if isinstance(out, Tensor):
            out.dtype = t.dtype if t is not None and t.dtype != "bool" else None
    return Seq([mean, var], "tuple")


@function("keras.ops.average")
def _average(call: Call) -> Value:
    if call.arg(2, "weights") is not None:
        return so.begin(call, "keras", call.arg(0, "x")).unknown()
    return so.reduce_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"), None, "mean")


@function("keras.ops.count_nonzero")
def _count_nonzero(call: Call) -> Value:
    out = so.reduce_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"), None, "sum")
    if isinstance(out, Tensor):
        out.dtype = "int32"
    return out


@function("keras.ops.slice")
def _slice(call: Call) -> Value:
    """``slice(inputs, start_indices, shape)``: a block of the given shape."""
    x, shape = call.arg(0, "inputs"), call.arg(2, "shape")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    dtype = t.dtype if t is not None else None
    items = so.list_items(shape)
    if items is None or (t is not None and t.shape.rank is not None and t.shape.rank != len(items)):
        return op.unknown(dtype)
    dims: list[Dim] = [as_dim(i) for i in items]
    if any(isinstance(d, int) and d < 0 for d in dims):
        return op.unknown(dtype)
    return op.out(Shape(tuple(dims)), dtype)


@function("keras.ops.slice_update", "keras.ops.scatter_update")
def _updated(call: Call) -> Value:
    """The input with a block or some entries replaced: its shape and dtype."""
    x = call.arg(0, "inputs")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    return op.out(t.shape, t.dtype)


def _plane(call: Call, t: Tensor) -> tuple[list[Dim], int, int, int] | None:
    """The input's dims, its two matrix axes and the diagonal offset."""
    offset = call.int(1, "offset", 0)
    a1, a2 = call.int(2, "axis1", 0), call.int(3, "axis2", 1)
    dims = t.shape.dims
    if dims is None or offset is None or a1 is None or a2 is None or len(dims) < 2:
        return None
    n1, n2 = normalize_axis(a1, len(dims)), normalize_axis(a2, len(dims))
    if n1 is None or n2 is None or n1 == n2:
        return None
    return list(dims), n1, n2, offset


@function("keras.ops.trace")
def _trace(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    dtype = t.dtype if t.dtype in ("float16", "float32", "float64", "int32", "int64") else None
    plane = _plane(call, t)
    if plane is None:
        return op.unknown(dtype)
    dims, a1, a2, _ = plane
    return op.out(Shape(tuple(d for i, d in enumerate(dims) if i not in (a1, a2))), dtype)


@function("keras.ops.diagonal")
def _diagonal(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    plane = _plane(call, t)
    if plane is None:
        return op.unknown(t.dtype)
    dims, a1, a2, offset = plane
    rest = [d for i, d in enumerate(dims) if i not in (a1, a2)]
    return op.out(Shape((*rest, so.diagonal_length(dims[a1], dims[a2], offset))), t.dtype)


@function("keras.ops.diag")
def _diag(call: Call) -> Value:
    return so.diag_op(call, "keras", call.arg(0, "x"), call.int(1, "k", 0))


@function("keras.ops.in_top_k", "keras.ops.math.in_top_k")
def _in_top_k(call: Call) -> Value:
    targets = call.arg(0, "targets")
    op = so.begin(call, "keras", targets, call.arg(1, "predictions"))
    t = op.tensor(targets)
    return op.out(t.shape, "bool") if t is not None else op.unknown("bool")


@function("keras.ops.dot_product_attention", "keras.ops.nn.dot_product_attention")
def _dot_product_attention(call: Call) -> Value:
    """``(batch, query_len, heads, head_dim)`` queries attend over the keys: the output has
    the query's shape when the values share its head size."""
    q, k, v = call.arg(0, "query"), call.arg(1, "key"), call.arg(2, "value")
    op = so.begin(call, "keras", q, k, v)
    tq, tv = op.tensor(q), op.tensor(v)
    if tq is None or tv is None or tq.shape.dims is None or tv.shape.dims is None:
        return op.unknown()
    dtype = _float_kept(tq) if tq.dtype == tv.dtype else None
    if len(tq.shape.dims) != 4 or len(tv.shape.dims) != 4 or tq.shape.dims[-1] != tv.shape.dims[-1]:
        return op.unknown(dtype)
    return op.out(tq.shape, dtype)


@function("keras.ops.binary_crossentropy", "keras.ops.nn.binary_crossentropy")
def _bce(call: Call) -> Value:
    """Elementwise: the output's shape."""
    target, output = call.arg(0, "target"), call.arg(1, "output")
    op = so.begin(call, "keras", target, output)
    t, tt = op.tensor(output), op.tensor(target)
    if t is None:
        return op.unknown()
    if tt is not None and tt.shape.dims is not None and t.shape.dims is not None and tt.shape != t.shape:
        return op.unknown(_float_kept(t))
    return op.out(t.shape, _float_kept(t))


@function("keras.ops.sparse_categorical_crossentropy", "keras.ops.nn.sparse_categorical_crossentropy")
def _scce(call: Call) -> Value:
    """Integer targets against the output's last axis of class scores: one loss per target."""
    output = call.arg(1, "output")
    op = so.begin(call, "keras", call.arg(0, "target"), output)
    t = op.tensor(output)
    if t is None or t.shape.dims is None or not t.shape.dims:
        return op.unknown(_float_kept(t))
    return op.out(Shape(t.shape.dims[:-1]), _float_kept(t))


@function("keras.ops.multi_hot", "keras.ops.nn.multi_hot")
def _multi_hot(call: Call) -> Value:
    """A row of ``num_classes`` per row of integer ids (a single row for 1-D ids)."""
    x = call.arg(0, "inputs")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    n = call.int(1, "num_classes")
    if t is None or t.shape.dims is None or n is None or call.arg(2, "axis") is not None:
        return op.unknown()
    # eagerly float32; a KerasTensor's spec keeps the ids' dtype
    dtype = None if call.arg(3, "dtype") is not None else t.dtype if t.kind == "keras" else "float32"
    if len(t.shape.dims) == 1:
        return op.out(Shape((n,)), dtype)
    if len(t.shape.dims) == 2:
        return op.out(Shape((t.shape.dims[0], n)), dtype)
    return op.unknown(dtype)


@function("keras.ops.array_split")
def _array_split(call: Call) -> Value:
    """``n`` sections as equal as can be: the first ``len % n`` one longer."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    n, axis = call.int(1, "indices_or_sections"), call.int(2, "axis", 0)
    if t is None or t.shape.dims is None or n is None or n <= 0 or axis is None:
        return Seq(None, "list", op.unknown(t.dtype if t is not None else None))
    ax = normalize_axis(axis, len(t.shape.dims))
    if ax is None:
        return Seq(None, "list", op.unknown(t.dtype))
    length = t.shape.dims[ax]
    parts: list[Shape] = []
    for i in range(n):
        dims = list(t.shape.dims)
        dims[ax] = length // n + (1 if i < length % n else 0) if isinstance(length, int) else None
        parts.append(Shape(tuple(dims)))
    return op.seq(parts, t.dtype)


@function("keras.ops.diff")
def _diff(call: Call) -> Value:
    x = call.arg(0, "a")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    n, axis = call.int(1, "n", 1), call.int(2, "axis", -1)
    if t is None or t.shape.dims is None or not t.shape.dims or n is None or n < 0 or axis is None:
        return op.unknown(t.dtype if t is not None else None)
    ax = normalize_axis(axis, len(t.shape.dims))
    if ax is None:
        return op.unknown(t.dtype)
    dims = list(t.shape.dims)
    length = dims[ax]
    dims[ax] = max(length - n, 0) if isinstance(length, int) else None
    return op.out(Shape(tuple(dims)), t.dtype)


def _pair(call: Call) -> tuple[so.Op, Tensor | None, Tensor | None, str | None]:
    a, b = call.arg(0, "x1"), call.arg(1, "x2")
    op = so.begin(call, "keras", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    dtype = ta.dtype if ta is not None and tb is not None and ta.dtype == tb.dtype else None
    return op, ta, tb, dtype


@function("keras.ops.inner")
def _inner(call: Call) -> Value:
    op, ta, tb, dtype = _pair(call)
    shape = so.inner_shape(ta.shape, tb.shape) if ta is not None and tb is not None else None
    return op.unknown(dtype) if shape is None else op.out(shape, dtype)


@function("keras.ops.cross")
def _cross(call: Call) -> Value:
    op, ta, tb, dtype = _pair(call)
    if dtype == "bool":
        return op.unknown()
    shape = so.cross_shape(ta.shape, tb.shape) if ta is not None and tb is not None else None
    return op.unknown(dtype) if shape is None else op.out(shape, dtype)


@function("keras.ops.kron")
def _kron(call: Call) -> Value:
    op, ta, tb, dtype = _pair(call)
    if dtype == "bool":
        return op.unknown()
    if ta is None or tb is None or ta.shape.dims is None or tb.shape.dims is None:
        return op.unknown(dtype)
    if op.kind == "keras" and len(ta.shape.dims) != len(tb.shape.dims):
        return op.unknown(dtype)  # Keras' symbolic rule pairs dims from the front
    return op.out(so.kron_shape(ta.shape, tb.shape), dtype)


@function("keras.ops.logaddexp", "keras.ops.hypot", "keras.ops.heaviside", "keras.ops.fmod",
          "keras.ops.isclose", "keras.ops.arctan2", "keras.ops.logaddexp2", "keras.ops.divide_no_nan",
          "keras.ops.fmax", "keras.ops.fmin")
def _float_binary(call: Call) -> Value:
    """Broadcasting two float32 inputs gives float32 (``logaddexp`` of int32 too), ``isclose``
    gives bool; other dtypes are left unknown."""
    op, ta, tb, dtype = _pair(call)
    if ta is None or tb is None:
        return op.unknown()
    out_dtype: str | None = None
    if call.name == "keras.ops.isclose":
        out_dtype = "bool"
    elif dtype == "float32" or (dtype == "int32" and call.name == "keras.ops.logaddexp"):
        out_dtype = "float32"
    return _broadcast_out(op, ta, tb, out_dtype)


def _broadcast_out(op: so.Op, ta: Tensor, tb: Tensor, dtype: str | None) -> Value:
    try:
        return op.out(broadcast_shapes(ta.shape, tb.shape), dtype)
    except ShapeError:
        return op.unknown(dtype)


@function("keras.ops.reciprocal", "keras.ops.exp2", "keras.ops.deg2rad", "keras.ops.trunc",
          "keras.ops.hard_tanh", "keras.ops.nn.hard_tanh", "keras.ops.celu", "keras.ops.nn.celu",
          "keras.ops.squareplus", "keras.ops.nn.squareplus", "keras.ops.sparsemax",
          "keras.ops.nn.sparsemax", "keras.ops.rms_normalization", "keras.ops.nn.rms_normalization",
          "keras.ops.layer_normalization", "keras.ops.nn.layer_normalization", "keras.ops.cbrt",
          "keras.ops.rad2deg", "keras.ops.sinc", "keras.ops.erfinv", "keras.ops.hard_swish",
          "keras.ops.nn.hard_swish", "keras.ops.log_sigmoid", "keras.ops.nn.log_sigmoid",
          "keras.ops.soft_shrink", "keras.ops.nn.soft_shrink", "keras.ops.hard_shrink",
          "keras.ops.nn.hard_shrink", "keras.ops.tanh_shrink", "keras.ops.nn.tanh_shrink",
          "keras.ops.sparse_plus", "keras.ops.nn.sparse_plus", "keras.ops.sparse_sigmoid",
          "keras.ops.nn.sparse_sigmoid", "keras.ops.threshold", "keras.ops.nn.threshold")
def _float_unary(call: Call) -> Value:
    """Shape kept; a float32 input stays float32, ``exp2`` of int32 is float32 and ``trunc``
    keeps int32; other dtypes are left unknown."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    short = call.name.rsplit(".", 1)[-1]
    dtype = t.dtype if t.dtype == "float32" else None
    if t.dtype == "int32" and short in ("exp2", "trunc"):
        dtype = "float32" if short == "exp2" else "int32"
    return op.out(t.shape, dtype)


@function("keras.ops.glu", "keras.ops.nn.glu")
def _glu(call: Call) -> Value:
    """Gated linear unit: ``axis`` (the last by default) halves."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    axis = call.int(1, "axis", -1)
    dtype = t.dtype if t is not None and t.dtype == "float32" else None
    if t is None or t.shape.dims is None or axis is None:
        return op.unknown(dtype)
    ax = normalize_axis(axis, len(t.shape.dims))
    if ax is None:
        return op.unknown(dtype)
    dims = list(t.shape.dims)
    length = dims[ax]
    if isinstance(length, int) and length % 2:
        return op.unknown(dtype)
    dims[ax] = length // 2 if isinstance(length, int) else None
    return op.out(Shape(tuple(dims)), dtype)

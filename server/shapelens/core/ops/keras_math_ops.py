"""More of ``keras.ops``' numpy-like math: quantiles and percentiles, ``select``, ``tri``,
``logspace``/``geomspace``, ``saturate_cast``, ``argpartition``, ``searchsorted``,
``digitize``, ``isin``, ``bincount``, complex views and ``keras.ops.image``'s pixel-wise ops
(``det``/``inv``/``cholesky`` share the linear-algebra rules in linalg_ops).

Dtypes are claimed where they were checked against Keras 3 on the TF backend (float32 in,
float32 out; indices are int32); other dtypes are left unknown. Checked in
tests/oracle/test_ops_keras_math.py.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, format_shape
from ..values import Const, Value, as_dim
from . import shape_ops as so


@function("keras.ops.quantile", "keras.ops.percentile", "keras.ops.nanquantile", "keras.ops.nanpercentile")
def _quantile(call: Call) -> Value:
    """``q``'s shape in front of ``x`` reduced over ``axis`` (all axes when not given)."""
    x, q = call.arg(0, "x"), call.arg(1, "q")
    op = so.begin(call, "keras", x, q)
    t, tq = op.tensor(x), op.tensor(q)
    dtype = "float32" if t is not None and t.dtype == "float32" else None
    kd = so.bool_arg(call.arg(4, "keepdims"))
    if t is None or tq is None or tq.shape.dims is None or kd is None:
        return op.unknown(dtype)
    reduced = so.reduce_shape(t.shape, so.axes_arg(call.arg(2, "axis")), kd, call.name)
    if reduced.dims is None:
        return op.unknown(dtype)
    return op.out(Shape((*tq.shape.dims, *reduced.dims)), dtype)


@function("keras.ops.select")
def _select(call: Call) -> Value:
    """``select(condlist, choicelist, default)``: every condition and choice broadcast."""
    conds, choices = so.list_items(call.arg(0, "condlist")), so.list_items(call.arg(1, "choicelist"))
    op = so.begin(call, "keras", call.arg(0, "condlist"), call.arg(1, "choicelist"))
    if conds is None or choices is None or len(conds) != len(choices) or not conds:
        return op.unknown()
    tensors = [op.tensor(v) for v in (*conds, *choices)]
    if any(t is None for t in tensors):
        return op.unknown()
    dtypes = {t.dtype for t in tensors[len(conds):] if t is not None}
    dtype = dtypes.pop() if len(dtypes) == 1 and "float32" in dtypes else None
    shape = so.broadcast_all([t.shape for t in tensors if t is not None], call.name)
    return op.out(shape, dtype)


@function("keras.ops.tri")
def _tri(call: Call) -> Value:
    rows, m = call.arg(0, "N"), call.arg(1, "M")
    n: Dim = as_dim(rows) if rows is not None else None
    cols: Dim = n if m is None or so.is_none(m) else as_dim(m)
    op = so.begin(call, "keras")
    return op.out(Shape((n, cols)), so.dtype_arg(call.arg(3, "dtype"), "float32"))


@function("keras.ops.logspace", "keras.ops.geomspace")
def _logspace(call: Call) -> Value:
    start, stop = call.arg(0, "start"), call.arg(1, "stop")
    op = so.begin(call, "keras", start, stop)
    ts, tp = op.tensor(start), op.tensor(stop)
    num = call.arg(2, "num")
    n = as_dim(num) if num is not None else 50
    if ts is None or tp is None or ts.shape.dims != () or tp.shape.dims != ():
        return op.unknown()  # tensor endpoints add axes
    explicit = so.dtype_arg(call.kwargs.get("dtype"))
    return op.out(Shape((n,)), explicit or "float32")


@function("keras.ops.saturate_cast")
def _saturate_cast(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    dtype = so.dtype_arg(call.arg(1, "dtype"))
    return op.out(t.shape, dtype) if t is not None else op.unknown(dtype)


@function("keras.ops.searchsorted")
def _searchsorted(call: Call) -> Value:
    """One index per value; Keras takes a 1-D sorted sequence, and TF then needs the values
    1-D too (or their leading axes of length 1), so other values are left unknown."""
    seq, values = call.arg(0, "sorted_sequence"), call.arg(1, "values")
    op = so.begin(call, "keras", seq, values)
    ts, tv = op.tensor(seq), op.tensor(values)
    if ts is not None and ts.shape.dims is not None and len(ts.shape.dims) != 1:
        raise ShapeError(
            f"keras.ops.searchsorted needs a 1-D sorted sequence, got shape {format_shape(ts.shape)}",
            code="shape-mismatch",
        )
    if tv is None or tv.shape.dims is None or len(tv.shape.dims) != 1:
        return op.unknown("int32")
    return op.out(tv.shape, "int32")


# the input's shape with a dtype of their own: argpartition's indices, digitize's bin numbers,
# isin's answers
_SAME_SHAPE_DTYPE = {"keras.ops.argpartition": "int32", "keras.ops.digitize": "int32", "keras.ops.isin": "bool"}


@function(*_SAME_SHAPE_DTYPE)
def _same_shape_own_dtype(call: Call) -> Value:
    x = call.arg(0, "x1" if call.name.endswith("isin") else "x")
    op = so.begin(call, "keras", x, call.arg(1))
    t = op.tensor(x)
    dtype = _SAME_SHAPE_DTYPE[call.name]
    return op.out(t.shape, dtype) if t is not None else op.unknown(dtype)


@function("keras.ops.bincount")
def _bincount(call: Call) -> Value:
    """One count per value up to the largest, a run-time length; a 2-D input counts per row."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x, call.arg(1, "weights"))
    t = op.tensor(x)
    if t is None or t.shape.dims is None or len(t.shape.dims) not in (1, 2):
        return op.unknown()
    return op.out(Shape((*t.shape.dims[:-1], None)), None)


@function("keras.ops.view_as_complex", "keras.ops.view_as_real")
def _view_complex(call: Call) -> Value:
    """``view_as_complex``: a trailing axis of 2 (real, imaginary) becomes one complex value;
    ``view_as_real`` adds that axis back."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    to_complex = call.name.endswith("complex")
    if t is None or t.shape.dims is None:
        return op.unknown()
    if to_complex:
        if not t.shape.dims or t.shape.dims[-1] != 2:
            return op.unknown()
        return op.out(Shape(t.shape.dims[:-1]), "complex64" if t.dtype == "float32" else None)
    return op.out(Shape((*t.shape.dims, 2)), "float32" if t.dtype == "complex64" else None)


@function("keras.ops.real", "keras.ops.imag", "keras.ops.conj", "keras.ops.conjugate")
def _complex_parts(call: Call) -> Value:
    """Same shape; the real and imaginary parts of complex64 are float32, a conjugate keeps
    its dtype."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    parts = call.name.endswith(("real", "imag"))
    dtype = ("float32" if parts else "complex64") if t.dtype == "complex64" else None
    return op.out(t.shape, dtype)


_SAME_IMAGE = ["keras.ops.image.rgb_to_hsv", "keras.ops.image.hsv_to_rgb", "keras.ops.image.gaussian_blur",
               "keras.ops.image.affine_transform", "keras.ops.image.elastic_transform",
               "keras.ops.image.perspective_transform"]


@function("keras.ops.image.rgb_to_grayscale", *_SAME_IMAGE)
def _image_pixels(call: Call) -> Value:
    """3-D or 4-D images keep their shape and dtype; ``rgb_to_grayscale`` keeps one channel
    (the last axis, or the first after the batch with ``channels_first``)."""
    x = call.arg(0, "images")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None or len(t.shape.dims) not in (3, 4):
        return op.unknown(t.dtype if t is not None else None)
    fmt = call.kwargs.get("data_format")
    if fmt is not None and not (isinstance(fmt, Const) and fmt.value in (None, "channels_last", "channels_first")):
        return op.unknown(t.dtype)
    if call.name in _SAME_IMAGE:
        return op.out(t.shape, t.dtype)
    dims = list(t.shape.dims)
    first = isinstance(fmt, Const) and fmt.value == "channels_first"
    dims[-3 if first else -1] = 1
    return op.out(Shape(tuple(dims)), t.dtype)

"""``keras.ops`` that summarise or compare arrays: ``ptp``, ``vdot``, ``trapezoid``, ``cdist``,
``corrcoef``, ``correlate``, ``histogram``, the window functions (``hamming``, ``hanning``,
``bartlett``, ``blackman``, ``kaiser``) and the value-decided ``unique``/``nonzero``.

float32 in gives float32 out (checked against Keras 3 on the TF backend in
tests/oracle/test_ops_keras_stats.py); other dtypes are left unknown.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, format_shape
from ..values import Const, Seq, Tensor, Value, as_dim
from . import shape_ops as so


def _float32(*tensors: Tensor | None) -> str | None:
    return "float32" if tensors and all(t is not None and t.dtype == "float32" for t in tensors) else None


@function("keras.ops.ptp")
def _ptp(call: Call) -> Value:
    """Largest minus smallest value along ``axis`` (all axes by default); the dtype is kept."""
    out = so.reduce_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"), call.arg(2, "keepdims"), "max")
    x = call.arg(0, "x")
    if isinstance(out, Tensor):
        out.dtype = x.dtype if isinstance(x, Tensor) and x.dtype != "bool" else None
    return out


@function("keras.ops.vdot")
def _vdot(call: Call) -> Value:
    """Both flattened and multiplied: a scalar; their element counts must agree."""
    a, b = call.arg(0, "x1"), call.arg(1, "x2")
    op = so.begin(call, "keras", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    if ta is None or tb is None:
        return op.unknown()
    na, nb = ta.shape.num_elements(), tb.shape.num_elements()
    if na is not None and nb is not None and na != nb:
        raise ShapeError(
            f"{call.name}: {format_shape(ta.shape)} has {na} elements but {format_shape(tb.shape)} has {nb}",
            code="shape-mismatch",
        )
    return op.out(Shape(()), _float32(ta, tb))


@function("keras.ops.trapezoid")
def _trapezoid(call: Call) -> Value:
    """An integral along ``axis`` (the last by default): that axis goes."""
    y = call.arg(0, "y")
    axis = call.arg(3, "axis")
    op = so.begin(call, "keras", y)
    t = op.tensor(y)
    x = call.arg(1, "x")
    if t is None or (x is not None and not so.is_none(x)):
        return op.unknown()
    out = so.reduce_op(call, "keras", y, axis if axis is not None else Const(-1), None, "sum")
    if isinstance(out, Tensor):
        out.dtype = _float32(t)
    return out


@function("keras.ops.cdist")
def _cdist(call: Call) -> Value:
    """Distances between the rows of ``x`` (..., P, M) and of ``y`` (..., R, M): (..., P, R)."""
    a, b = call.arg(0, "x"), call.arg(1, "y")
    op = so.begin(call, "keras", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    if ta is None or tb is None or ta.shape.dims is None or tb.shape.dims is None:
        return op.unknown()
    da, db = ta.shape.dims, tb.shape.dims
    if len(da) < 2 or len(da) != len(db):
        return op.unknown()
    ma, mb = da[-1], db[-1]
    if isinstance(ma, int) and isinstance(mb, int) and ma != mb:
        raise ShapeError(
            f"{call.name}: the points have {ma} and {mb} coordinates "
            f"({format_shape(ta.shape)} and {format_shape(tb.shape)})",
            code="shape-mismatch",
        )
    if da[:-2] != db[:-2]:
        return op.unknown()
    return op.out(Shape((*da[:-2], da[-2], db[-2])), _float32(ta, tb))


@function("keras.ops.corrcoef")
def _corrcoef(call: Call) -> Value:
    """Rows are variables: a (V, N) input gives (V, V); a 1-D one a scalar."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None or len(t.shape.dims) not in (1, 2):
        return op.unknown()
    if len(t.shape.dims) == 1:
        return op.out(Shape(()), _float32(t))
    v = t.shape.dims[0]
    return op.out(Shape((v, v)), _float32(t))


@function("keras.ops.correlate")
def _correlate(call: Call) -> Value:
    """Two 1-D arrays: ``valid`` gives ``max - min + 1`` values, ``same`` the longer length,
    ``full`` ``n + m - 1``."""
    a, b = call.arg(0, "x1"), call.arg(1, "x2")
    op = so.begin(call, "keras", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    mode = call.value(2, "mode", "valid")
    if ta is None or tb is None or ta.shape.dims is None or tb.shape.dims is None:
        return op.unknown()
    if len(ta.shape.dims) != 1 or len(tb.shape.dims) != 1:
        return op.unknown()
    n, m = ta.shape.dims[0], tb.shape.dims[0]
    length: Dim = None
    if isinstance(n, int) and isinstance(m, int):
        length = {"valid": max(n, m) - min(n, m) + 1, "same": max(n, m), "full": n + m - 1}.get(str(mode))
        if length is None:
            return op.unknown()
    return op.out(Shape((length,)), _float32(ta, tb))


@function("keras.ops.histogram")
def _histogram(call: Call) -> Value:
    """``(counts, edges)``: ``bins`` counts and ``bins + 1`` edges."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    bins = call.int(1, "bins", 10)
    dtype = _float32(t)
    if bins is None:
        return Seq([op.unknown(dtype), op.unknown(dtype)], "tuple")
    return Seq([op.out(Shape((bins,)), dtype), op.out(Shape((bins + 1,)), dtype)], "tuple")


@function("keras.ops.hamming", "keras.ops.hanning", "keras.ops.bartlett", "keras.ops.blackman", "keras.ops.kaiser")
def _window_function(call: Call) -> Value:
    """A window of ``x`` points (a Python int), float32."""
    n = call.arg(0, "x")
    op = so.begin(call, "keras")
    size: Dim = as_dim(n) if n is not None else None
    return op.out(Shape((size,)), "float32")


@function("keras.ops.unique")
def _unique(call: Call) -> Value:
    """The distinct values: how many is decided by the data (``size=`` fixes it). With any
    ``return_*`` flag a tuple comes back, which is not read here."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    extras = [so.bool_arg(call.arg(i, name)) for i, name in ((2, "return_index"), (3, "return_inverse"), (4, "return_counts"))]
    axis = call.arg(5, "axis")
    if any(e is not False for e in extras) or (axis is not None and not so.is_none(axis)) or t is None:
        return op.unknown()
    size = call.arg(6, "size")
    n: Dim = None if size is None or so.is_none(size) else as_dim(size)
    return op.out(Shape((n,)), t.dtype)


@function("keras.ops.nonzero")
def _nonzero(call: Call) -> Value:
    """One int32 index vector per axis, as long as the data has nonzero values."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None or t.shape.rank is None:
        return Seq(None, "tuple", op.unknown("int32"))
    return Seq([op.out(Shape((None,)), "int32") for _ in range(t.shape.rank)], "tuple")

"""numpy helpers common in data preparation: ``cov``/``corrcoef`` of variables in rows,
``interp`` onto new points, ``indices`` grids, ``cross`` and ``inner`` products."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Shape, numpy_promote
from ..values import Value
from . import shape_ops as so


@function("np.cov", "np.corrcoef")
def _cov(call: Call) -> Value:
    """Variables in rows: a (vars, obs) array gives (vars, vars), one variable a 0-d value;
    always float64 for real input."""
    m = call.arg(0, "m" if call.name == "np.cov" else "x")
    op = so.begin(call, "np", m)
    t = op.tensor(m)
    if t is None or t.shape.dims is None or len(call.args) > 1 or call.kwargs:
        return op.unknown()
    dims = t.shape.dims
    dtype = "float64" if t.dtype in _COV_FLOAT64 else None
    # numpy squeezes the result: one variable gives a 0-d value
    if len(dims) == 1 or (len(dims) == 2 and dims[0] == 1):
        return op.out(Shape(()), dtype)
    if len(dims) == 2 and isinstance(dims[0], int):
        return op.out(Shape((dims[0], dims[0])), dtype)
    return op.unknown(dtype)


# input dtypes whose covariance numpy computes in float64 (longdouble and complex stay wider)
_COV_FLOAT64 = ("float16", "float32", "float64", "bool", "int8", "int16", "int32", "int64", "uint8")


@function("np.interp")
def _interp(call: Call) -> Value:
    x = call.arg(0, "x")
    fp = call.arg(2, "fp")
    op = so.begin(call, "np", x, fp)
    t, f = op.tensor(x), op.tensor(fp)
    if t is None:
        return op.unknown()
    dtype = "float64" if f is not None and f.dtype is not None and not f.dtype.startswith("complex") else None
    return op.out(t.shape, dtype)


@function("np.indices")
def _indices(call: Call) -> Value:
    dims = so.int_list(call.arg(0, "dimensions"))
    if dims is None or call.args[1:] or call.kwargs:
        return so.begin(call, "np").unknown()
    return so.begin(call, "np").out(Shape((len(dims), *dims)), "int64")


@function("np.inner")
def _inner(call: Call) -> Value:
    a, b = call.arg(0, "a"), call.arg(1, "b")
    op = so.begin(call, "np", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    if ta is None or tb is None:
        return op.unknown()
    dtype = numpy_promote(ta.dtype, tb.dtype)
    shape = so.inner_shape(ta.shape, tb.shape)  # a mismatch numpy refuses is not reported here
    return op.unknown(dtype) if shape is None else op.out(shape, dtype)


@function("np.cross")
def _cross(call: Call) -> Value:
    """3-vectors along the last axis: the other axes broadcast."""
    a, b = call.arg(0, "a"), call.arg(1, "b")
    op = so.begin(call, "np", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    if ta is None or tb is None or len(call.args) > 2 or call.kwargs:
        return op.unknown()
    dtype = numpy_promote(ta.dtype, tb.dtype)
    if dtype == "bool":
        return op.unknown()  # numpy refuses boolean cross products
    shape = so.cross_shape(ta.shape, tb.shape)
    return op.unknown(dtype) if shape is None else op.out(shape, dtype)

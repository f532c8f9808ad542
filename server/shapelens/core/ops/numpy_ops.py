"""numpy functions: array creation (``np.array`` of nested literals, ``zeros``/``ones``/``full``,
``arange``, ``linspace``, ``eye``, ``np.random.*`` and ``default_rng()``), shape manipulation,
products, reductions, elementwise math, ``where``/``clip``/``take``, ``np.ma``.

numpy semantics: Python ints become int64 and floats float64; dtypes promote (`numpy_promote`);
``sum``/``prod`` of small ints give int64, ``mean``/``std``/``var`` of ints float64, float-only
ufuncs (``exp``, ``sqrt``...) turn int8/uint8/bool into float16, int16 into float32 and wider
ints into float64; ``argmax`` without ``axis`` is a scalar; ``axis=None`` flattens in
``concatenate``, ``cumsum``, ``repeat``, ``take``. Results are arrays (kind ``np``) even on tf
tensors (numpy converts eager tensors). numpy functions given a KerasTensor fail (numpy cannot
convert it): reported at module level, unknown elsewhere.

Calls that return Python scalars (``np.random.randint(0, 5)``, ``np.random.rand()``) are left
unknown: only arrays and numpy scalars have a shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..registry import FUNCTIONS, Call, function
from ..shapes import UNKNOWN_SHAPE, Dim, DType, Shape, ShapeError, numpy_promote
from ..values import (
    UNKNOWN,
    Const,
    LibRef,
    Seq,
    Tensor,
    Unknown,
    Value,
    as_dim,
    as_int,
    has_concrete_shape,
    scalar_type,
    shape_value,
)
from . import shape_ops as so

# ---------------------------------------------------------------------------------------------
# creation


@function("np.array", "np.asarray", "np.asanyarray", "np.ascontiguousarray", "np.asfortranarray", "np.copy")
def _array(call: Call) -> Value:
    value = call.arg(0, "a" if call.name != "np.array" else "object")
    dtype = call.arg(1, "dtype") if call.name != "np.copy" else None
    out = so.array_op(call, "np", value, dtype, "np")
    ndmin = as_int(call.kwargs["ndmin"]) if "ndmin" in call.kwargs else None
    if ndmin is not None and isinstance(out, Tensor) and out.shape.dims is not None and len(out.shape.dims) < ndmin:
        out.shape = Shape((1,) * (ndmin - len(out.shape.dims)) + out.shape.dims)
    return out


@function("np.zeros", "np.ones", "np.empty")
def _zeros(call: Call) -> Value:
    return so.zeros_op(call, "np", call.arg(0, "shape"), call.arg(1, "dtype"), "float64")


@function("np.full")
def _full(call: Call) -> Value:
    return so.full_op(call, "np", call.arg(0, "shape"), call.arg(1, "fill_value"), call.arg(2, "dtype"))


@function("np.zeros_like", "np.ones_like", "np.empty_like")
def _zeros_like(call: Call) -> Value:
    return so.like_op(call, "np", call.arg(0, "a"), call.arg(1, "dtype"), call.kwargs.get("shape"))


@function("np.full_like")
def _full_like(call: Call) -> Value:
    return so.like_op(call, "np", call.arg(0, "a"), call.arg(2, "dtype"), call.kwargs.get("shape"))


@function("np.arange")
def _arange(call: Call) -> Value:
    start = call.arg(0, "start")
    stop = call.arg(1, "stop")
    if start is None and stop is not None:
        start, stop = Const(0), stop
    return so.range_op(call, "np", start, stop, call.arg(2, "step"), call.arg(3, "dtype"))


@function("np.linspace", "np.logspace", "np.geomspace")
def _linspace(call: Call) -> Value:
    return so.linspace_op(call, "np", call.arg(0, "start"), call.arg(1, "stop"), call.arg(2, "num"), call.kwargs.get("dtype"))


@function("np.eye")
def _eye(call: Call) -> Value:
    return so.eye_op(call, "np", call.arg(0, "N"), call.arg(1, "M"), call.arg(3, "dtype"))


@function("np.identity")
def _identity(call: Call) -> Value:
    return so.eye_op(call, "np", call.arg(0, "n"), None, call.arg(1, "dtype"))


@function("np.hanning", "np.hamming", "np.blackman", "np.bartlett", "np.kaiser")
def _window(call: Call) -> Value:
    """A taper of M points, float64; none at all for M < 1."""
    op = so.begin(call, "np")
    m = call.arg(0, "M")
    if m is None:
        return op.unknown("float64")
    count = as_dim(m)
    if isinstance(m, Const) and isinstance(m.value, float) and m.value.is_integer():
        count = int(m.value)
    if isinstance(count, int):
        count = max(count, 0)
    if scalar_type(m) is float and not isinstance(m, Const):
        count = None
    return op.out(Shape((count,)), "float64")


# ---------------------------------------------------------------------------------------------
# random


def _size_from_dims(call: Call) -> Value | None:
    """``np.random.rand(2, 3)``: the dims are the positional arguments."""
    if not call.args:
        return None
    return Seq(list(call.args), "tuple")


@function("np.random.rand", "np.random.randn")
def _rand(call: Call) -> Value:
    if not call.args and not call.kwargs:
        return Unknown(None, float)  # one draw: a Python float
    return so.random_op(call, "np", _size_from_dims(call), "float64")


def _param_shape(call: Call, params: list[tuple[int, str]]) -> Value | None:
    """Without ``size``, array-valued distribution parameters give the shape."""
    shapes = []
    for i, n in params:
        v = call.arg(i, n)
        if isinstance(v, (Tensor, Seq)):
            t = so.Op(call, "np", "np", False).tensor(v)
            if t is None:
                return UNKNOWN
            shapes.append(t.shape)
    if not shapes:
        return None
    b = so.broadcast_all(shapes, call.name)
    return Seq([Const(d) for d in b.dims], "tuple") if b.dims is not None and all(isinstance(d, int) for d in b.dims) else UNKNOWN


def _random(call: Call, size_index: int, params: list[tuple[int, str]], dtype: str) -> Value:
    size = call.arg(size_index, "size")
    if size is None or (isinstance(size, Const) and size.value is None):
        ps = _param_shape(call, params)
        if ps is None:
            # one draw from scalar parameters: a number (an array only if a parameter may be one)
            given = [call.arg(i, n) for i, n in params]
            scalar = all(v is None or isinstance(v, Const) or (isinstance(v, Unknown) and v.pytype) for v in given)
            # a draw of the default dtypes mixes with Python numbers the same way (np.array of
            # them is int64/float64); an int32 one would not
            if scalar and dtype in ("int64", "float64"):
                return Unknown(None, int if dtype == "int64" else float)
            return UNKNOWN
        if ps is UNKNOWN:
            return so.result(call, UNKNOWN_SHAPE, dtype, "np")
        size = ps
    return so.random_op(call, "np", size, dtype)


@function("np.random.normal", "np.random.Generator.normal")
def _normal(call: Call) -> Value:
    return _random(call, 2, [(0, "loc"), (1, "scale")], "float64")


@function("np.random.uniform", "np.random.Generator.uniform")
def _uniform(call: Call) -> Value:
    return _random(call, 2, [(0, "low"), (1, "high")], "float64")


@function("np.random.random", "np.random.random_sample", "np.random.sample", "np.random.ranf",
          "np.random.standard_normal", "np.random.Generator.standard_normal")
def _random_sample(call: Call) -> Value:
    return _random(call, 0, [], "float64")


@function("np.random.Generator.random")
def _gen_random(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(1, "dtype"), "float64") or "float64"
    return _random(call, 0, [], dtype)


@function("np.random.randint")
def _randint(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(3, "dtype"), "int64") or "int64"
    return _with_draw_range(call, _random(call, 2, [(0, "low"), (1, "high")], dtype), False)


@function("np.random.Generator.integers")
def _integers(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(3, "dtype"), "int64") or "int64"
    endpoint = call.arg(5, "endpoint")
    closed = isinstance(endpoint, Const) and endpoint.value is True
    if endpoint is not None and not (isinstance(endpoint, Const) and isinstance(endpoint.value, bool)):
        return _random(call, 2, [(0, "low"), (1, "high")], dtype)
    return _with_draw_range(call, _random(call, 2, [(0, "low"), (1, "high")], dtype), closed)


def _with_draw_range(call: Call, out: Value, closed: bool) -> Value:
    """Integers drawn from ``low`` (0 without ``high``) up to ``high`` (excluded unless
    ``closed``): the range every element lies in, when both ends are written ints."""
    low, high = call.arg(0, "low"), call.arg(1, "high")
    if high is None or (isinstance(high, Const) and high.value is None):
        low, high = Const(0), low
    lo, hi = as_int(low) if low is not None else None, as_int(high) if high is not None else None
    if isinstance(out, Tensor) and isinstance(lo, int) and isinstance(hi, int):
        top = hi if closed else hi - 1
        if lo <= top:
            out.value_range = (lo, top)
    return out


# the distributions: parameter names in order (the array-like ones broadcast into the result
# when no size is given; ``size`` follows them) and the dtype of the draws
_DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "binomial": (("n", "p"), "int64"), "poisson": (("lam",), "int64"),
    "geometric": (("p",), "int64"), "negative_binomial": (("n", "p"), "int64"),
    "zipf": (("a",), "int64"), "logseries": (("p",), "int64"),
    "beta": (("a", "b"), "float64"), "gamma": (("shape", "scale"), "float64"),
    "exponential": (("scale",), "float64"), "laplace": (("loc", "scale"), "float64"),
    "lognormal": (("mean", "sigma"), "float64"), "logistic": (("loc", "scale"), "float64"),
    "gumbel": (("loc", "scale"), "float64"), "wald": (("mean", "scale"), "float64"),
    "vonmises": (("mu", "kappa"), "float64"), "weibull": (("a",), "float64"),
    "pareto": (("a",), "float64"), "power": (("a",), "float64"), "rayleigh": (("scale",), "float64"),
    "chisquare": (("df",), "float64"), "standard_t": (("df",), "float64"),
    "standard_gamma": (("shape",), "float64"), "f": (("dfnum", "dfden"), "float64"),
    "triangular": (("left", "mode", "right"), "float64"),
    "standard_exponential": ((), "float64"), "standard_cauchy": ((), "float64"),
}


def _distribution_rule(names: tuple[str, ...], dtype: str) -> Callable[[Call], Value]:
    def rule(call: Call) -> Value:
        return _random(call, len(names), list(enumerate(names)), dtype)

    return rule


for _dist, (_params, _dtype) in _DISTRIBUTIONS.items():
    function(f"np.random.{_dist}", f"np.random.Generator.{_dist}")(_distribution_rule(_params, _dtype))


@function("np.random.choice", "np.random.Generator.choice")
def _choice(call: Call) -> Value:
    a = call.arg(0, "a")
    t = None
    if isinstance(a, Const) and isinstance(a.value, int):
        dtype: str | None = "int64"
    else:
        t = so.Op(call, "np", "np", False).tensor(a)
        dtype = t.dtype if t is not None else None
    size = call.arg(1, "size")
    if size is None or (isinstance(size, Const) and size.value is None):
        # one item: of ``range(n)`` given as ``n``, a Python int; of a numeric list, an int64
        # or float64 numpy scalar; of a 1-D array, one of its dtype (a 2-D one's row is not
        # modelled)
        if (isinstance(a, Const) and isinstance(a.value, int)) or (isinstance(a, Unknown) and a.pytype is int):
            return Unknown(None, int)
        if t is not None and t.shape.rank == 1 and dtype is not None and dtype != "string":
            return so.begin(call, "np", a).out(Shape(()), dtype)
        return UNKNOWN
    op = so.begin(call, "np", a)
    dims = so.shape_dims(so.resolve(size))
    if dims is None:
        return op.unknown(dtype)
    out = op.out(Shape(tuple(dims)), dtype)
    if isinstance(a, Const) and isinstance(a.value, int) and a.value > 0:
        out.value_range = (0, a.value - 1)  # draws from range(a)
    return out


@function("np.random.permutation", "np.random.Generator.permutation")
def _permutation(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "np", x)
    if isinstance(x, Const) and isinstance(x.value, int):
        out = op.out(Shape((x.value,)), "int64")
        if x.value > 0:
            out.value_range = (0, x.value - 1)  # a shuffled range(x)
        return out
    if isinstance(x, Unknown) and x.pytype is int:
        return op.out(Shape((x.name,)), "int64")  # `np.random.permutation(len(X))`
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    shuffled = op.out(t.shape, t.dtype)
    if isinstance(shuffled, Tensor) and t.shape.dims is not None and len(t.shape.dims) == 1:
        shuffled.value_range = t.value_range  # the same values in another order
    return shuffled


@function("np.random.default_rng", "np.random.Generator")
def _default_rng(call: Call) -> Value:
    return LibRef("np.random.Generator")


@function("np.random.seed", "np.set_printoptions", "np.seterr")
def _none(call: Call) -> Value:
    return Const(None)


@function("np.random.shuffle", "np.random.Generator.shuffle")
def _shuffle(call: Call) -> Value:
    from ..pylib_rules import scramble

    scramble(call.arg(0, "x"))
    return Const(None)


@function("np.random.RandomState")
def _random_state(call: Call) -> Value:
    return LibRef("np.random.RandomState")


# A RandomState's methods are the legacy module-level functions (same signatures and dtypes).
_LEGACY = [
    "rand", "randn", "randint", "random_sample", "random", "sample", "ranf", "normal", "uniform",
    "standard_normal", "choice", "permutation", "shuffle", "seed", *_DISTRIBUTIONS,
]
for _name in _LEGACY:
    if f"np.random.{_name}" in FUNCTIONS:
        FUNCTIONS[f"np.random.RandomState.{_name}"] = FUNCTIONS[f"np.random.{_name}"]


# ---------------------------------------------------------------------------------------------
# dtype constructors: np.float32(x)

_DTYPE_FUNCS = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
                "uint32", "uint64", "bool_", "double", "single", "half", "intc", "complex64",
                "complex128"]
_DTYPE_NAMES = {"bool_": "bool", "double": "float64", "single": "float32", "half": "float16", "intc": "int32"}


@function(*[f"np.{n}" for n in _DTYPE_FUNCS])
def _dtype_ctor(call: Call) -> Value:
    short = call.name[3:]
    dtype = _DTYPE_NAMES.get(short, short)
    x = call.arg(0, "x")
    if x is None:
        return so.result(call, Shape(()), dtype, "np")
    return so.cast_op(call, "np", x, Const(dtype))


@function("np.datetime64", "np.timedelta64")
def _date_scalar(call: Call) -> Value:
    """``np.datetime64("2023-01-01")``: a 0-d array. Its dtype (a unit like ``datetime64[D]``)
    is left unknown: the engine's dtype tables are numeric."""
    x = call.arg(0)
    if x is None or isinstance(x, Const) or (isinstance(x, Unknown) and x.pytype in (int, str)):
        return so.result(call, Shape(()), None, "np")
    return UNKNOWN


# ---------------------------------------------------------------------------------------------
# shape manipulation


@function("np.reshape")
def _reshape(call: Call) -> Value:
    shape = call.arg(1, "shape") or call.kwargs.get("newshape")
    return so.reshape_op(call, "np", call.arg(0, "a"), shape)


@function("np.transpose", "np.permute_dims", "np.matrix_transpose")
def _transpose(call: Call) -> Value:
    return so.transpose_op(call, "np", call.arg(0, "a"), call.arg(1, "axes"))


@function("np.swapaxes")
def _swapaxes(call: Call) -> Value:
    return so.swapaxes_op(call, "np", call.arg(0, "a"), call.arg(1, "axis1"), call.arg(2, "axis2"))


@function("np.moveaxis")
def _moveaxis(call: Call) -> Value:
    return so.moveaxis_op(call, "np", call.arg(0, "a"), call.arg(1, "source"), call.arg(2, "destination"))


def _int_list(v: Value | None) -> list[int] | None:
    if isinstance(v, Const) and type(v.value) is int:
        return [v.value]
    if isinstance(v, Seq) and v.items is not None:
        out = [as_int(i) for i in v.items]
        return [i for i in out if i is not None] if all(i is not None for i in out) else None
    return None


@function("np.convolve", "np.correlate")
def _convolve(call: Call) -> Value:
    """1-D ``convolve(a, v, mode)``: "full" n + m - 1 items, "same" max(n, m), "valid"
    max(n, m) - min(n, m) + 1 (``correlate`` defaults to "valid")."""
    a, v = call.arg(0, "a"), call.arg(1, "v")
    mode = call.arg(2, "mode")
    name = mode.value if isinstance(mode, Const) else ("full" if call.name == "np.convolve" else "valid")
    if not (isinstance(a, Tensor) and isinstance(v, Tensor)) or name not in ("full", "same", "valid"):
        return UNKNOWN
    if a.shape.dims is None or v.shape.dims is None or len(a.shape.dims) != 1 or len(v.shape.dims) != 1:
        return UNKNOWN  # numpy refuses other ranks; its message is not modelled
    n, m = a.shape.dims[0], v.shape.dims[0]
    dtype = numpy_promote(a.dtype, v.dtype) if a.dtype and v.dtype else None
    if not (isinstance(n, int) and isinstance(m, int)) or n == 0 or m == 0:
        return Tensor(Shape((None,)), dtype, "np", call.span)
    size = {"full": n + m - 1, "same": max(n, m), "valid": max(n, m) - min(n, m) + 1}[name]
    return Tensor(Shape((size,)), dtype, "np", call.span)


@function("np.lib.stride_tricks.sliding_window_view")
def _sliding_window_view(call: Call) -> Value:
    """``sliding_window_view(x, window_shape, axis=None)``: each windowed axis shrinks to
    ``n - w + 1`` and the window axes are appended at the end, in order."""
    x = call.arg(0, "x")
    windows = _int_list(call.arg(1, "window_shape"))
    axis_v = call.arg(2, "axis")
    if not isinstance(x, Tensor) or x.shape.dims is None or windows is None:
        return UNKNOWN
    rank = len(x.shape.dims)
    if axis_v is None or (isinstance(axis_v, Const) and axis_v.value is None):
        axes = list(range(rank))
    else:
        given = _int_list(axis_v)
        if given is None:
            return UNKNOWN
        axes = given
    if len(axes) != len(windows) or any(not -rank <= a < rank for a in axes) or any(w < 0 for w in windows):
        return UNKNOWN  # numpy raises; its message is not modelled
    dims = list(x.shape.dims)
    for a, w in zip(axes, windows, strict=True):
        d = dims[a % rank]
        if isinstance(d, int):
            if d < w:
                return UNKNOWN
            dims[a % rank] = d - w + 1
        else:
            dims[a % rank] = None
    return Tensor(Shape((*dims, *windows)), x.dtype, "np", call.span)


@function("np.lib.stride_tricks.as_strided")
def _as_strided(call: Call) -> Value:
    """``as_strided(x, shape=None, strides=None)``: a view of ``x``'s memory with the shape
    asked for (``x``'s own without one)."""
    x = call.arg(0, "x")
    if not isinstance(x, Tensor):
        return UNKNOWN
    shape_v = call.arg(1, "shape")
    if shape_v is None or (isinstance(shape_v, Const) and shape_v.value is None):
        return Tensor(x.shape, x.dtype, "np", call.span)
    dims = _int_list(shape_v) if isinstance(shape_v, Seq) else None  # numpy takes a sequence only
    if dims is None or any(d < 0 for d in dims):
        return UNKNOWN
    return Tensor(Shape(tuple(dims)), x.dtype, "np", call.span)


@function("np.expand_dims")
def _expand_dims(call: Call) -> Value:
    return so.expand_dims_op(call, "np", call.arg(0, "a"), call.arg(1, "axis"))


@function("np.squeeze")
def _squeeze(call: Call) -> Value:
    return so.squeeze_op(call, "np", call.arg(0, "a"), call.arg(1, "axis"))


@function("np.concatenate", "np.concat")
def _concatenate(call: Call) -> Value:
    axis = call.arg(1, "axis")
    return so.concat_op(call, "np", call.arg(0, "arrays"), axis, 0)


@function("np.append")
def _append(call: Call) -> Value:
    """``np.append(arr, values, axis=None)``: both flattened and joined; with an axis, a
    concatenation along it."""
    arr, values, axis = call.arg(0, "arr"), call.arg(1, "values"), call.arg(2, "axis")
    if arr is None or values is None:
        return UNKNOWN
    if axis is not None and not (isinstance(axis, Const) and axis.value is None):
        return so.concat_op(call, "np", Seq([arr, values], "tuple"), axis, 0)
    op = so.begin(call, "np", arr, values)
    a, b = op.tensor(arr), op.tensor(values)
    if a is None or b is None:
        return op.unknown()
    from .elementwise import unify

    _, dtype = unify([a, b], "np", call.name, "hint")
    sizes = [t.shape.num_elements() for t in (a, b)]
    total = sizes[0] + sizes[1] if isinstance(sizes[0], int) and isinstance(sizes[1], int) else None
    return op.out(Shape((total,)), dtype)


@function("np.stack")
def _stack(call: Call) -> Value:
    return so.stack_op(call, "np", call.arg(0, "arrays"), call.arg(1, "axis"))


@function("np.vstack", "np.row_stack")
def _vstack(call: Call) -> Value:
    return so.np_stack_family(call, call.arg(0, "tup"), "vstack")


@function("np.hstack")
def _hstack(call: Call) -> Value:
    return so.np_stack_family(call, call.arg(0, "tup"), "hstack")


@function("np.dstack")
def _dstack(call: Call) -> Value:
    return so.np_stack_family(call, call.arg(0, "tup"), "dstack")


@function("np.column_stack")
def _column_stack(call: Call) -> Value:
    return so.np_stack_family(call, call.arg(0, "tup"), "column_stack")


@function("np.split")
def _split(call: Call) -> Value:
    return so.split_op(call, "np", call.arg(0, "ary"), call.arg(1, "indices_or_sections"), call.arg(2, "axis"), "np")


@function("np.array_split")
def _array_split(call: Call) -> Value:
    return so.split_op(
        call, "np", call.arg(0, "ary"), call.arg(1, "indices_or_sections"), call.arg(2, "axis"), "np_array"
    )


@function("np.tile")
def _tile(call: Call) -> Value:
    return so.tile_op(call, "np", call.arg(0, "A"), call.arg(1, "reps"), "np")


@function("np.repeat")
def _repeat(call: Call) -> Value:
    return so.repeat_op(call, "np", call.arg(0, "a"), call.arg(1, "repeats"), call.arg(2, "axis"))


@function("np.pad")
def _pad(call: Call) -> Value:
    return so.pad_op(call, "np", call.arg(0, "array"), call.arg(1, "pad_width"), "np")


@function("np.broadcast_to")
def _broadcast_to(call: Call) -> Value:
    return so.broadcast_to_op(call, "np", call.arg(0, "array"), call.arg(1, "shape"))


@function("np.ravel")
def _ravel(call: Call) -> Value:
    return so.flatten_op(call, "np", call.arg(0, "a"))


@function("np.atleast_1d", "np.atleast_2d", "np.atleast_3d")
def _atleast(call: Call) -> Value:
    n = int(call.name[-2])
    if n == 1:
        op = so.begin(call, "np", call.arg(0))
        t = op.tensor(call.arg(0))
        if t is None:
            return op.unknown()
        return op.out(t.shape if t.shape.rank != 0 else Shape((1,)), t.dtype)
    return so.atleast_op(call, "np", call.arg(0), n)


@function("np.flip", "np.fliplr", "np.flipud", "np.sort", "np.nan_to_num", "np.round", "np.around",
          "np.negative", "np.positive", "np.floor", "np.ceil", "np.trunc",
          "np.fix", "np.sign", "np.conj", "np.ma.masked_invalid", "np.ma.array", "np.ma.masked_array",
          "np.ma.filled", "np.ma.masked_where", "np.ma.masked_equal", "np.ma.masked_less",
          "np.ma.masked_greater")
def _same_unary(call: Call) -> Value:
    if call.name in ("np.ma.masked_where",):
        return so.unary_op(call, "np", call.arg(1, "a"), "same")
    return _folded(call, so.unary_op(call, "np", call.arg(0), "same"))


# numpy's math on a plain Python number gives a numpy scalar of a value known here, so
# ``int(np.log2(SCALE))`` upsampling stages or ``int(np.ceil(n / 2))`` sizes stay known
_FOLDABLE: dict[str, Callable[[float], float]] = {
    "np.exp": math.exp, "np.exp2": lambda v: 2.0 ** v, "np.log": math.log, "np.log2": math.log2,
    "np.log10": math.log10, "np.log1p": math.log1p, "np.expm1": math.expm1, "np.sqrt": math.sqrt,
    "np.floor": math.floor, "np.ceil": math.ceil, "np.trunc": math.trunc,
}


def _folded(call: Call, out: Value) -> Value:
    x = call.args[0] if len(call.args) == 1 and not call.kwargs else None
    fn = _FOLDABLE.get(call.name)
    if (
        fn is None or not isinstance(out, Tensor) or out.shape.dims != () or not isinstance(x, Const)
        or type(x.value) not in (int, float) or abs(x.value) >= 2**63  # numpy refuses huge ints
    ):
        return out
    if isinstance(x.value, int) and call.name in ("np.floor", "np.ceil", "np.trunc"):
        out.content = [Const(x.value)]  # numpy keeps an integer as it is
        return out
    try:
        value = float(fn(float(x.value)))  # numpy works on the float64 of the number
    except (ValueError, OverflowError):
        return out
    if not math.isfinite(value):
        return out
    if call.name not in _EXACT_FOLDS and abs(value - round(value)) < 1e-9:
        return out  # numpy's own log/exp may land a last bit on either side of an integer
    out.content = [Const(value)]
    return out


# correctly rounded (floor/ceil/trunc/sqrt) or exact at the integers code truncates to
# (log2 of a power of two, exp2 of an int): no last-bit doubt about int() of them
_EXACT_FOLDS = frozenset({"np.floor", "np.ceil", "np.trunc", "np.sqrt", "np.log2", "np.exp2"})


@function("np.abs", "np.absolute", "np.real", "np.imag", "np.angle")
def _abs(call: Call) -> Value:
    out = so.unary_op(call, "np", call.arg(0), "abs")
    if call.name == "np.angle" and isinstance(out, Tensor):
        out.dtype = so.float_only_dtype(out.dtype, "np", call.name)
    return out


@function("np.roll")
def _roll(call: Call) -> Value:
    return so.unary_op(call, "np", call.arg(0, "a"), "same")


@function("np.square", "np.reciprocal")
def _square(call: Call) -> Value:
    out = so.unary_op(call, "np", call.arg(0, "x"), "same")
    if isinstance(out, Tensor) and out.dtype == "bool":
        out.dtype = "int8"
    return out


@function("np.exp", "np.exp2", "np.log", "np.log2", "np.log10", "np.log1p", "np.expm1", "np.sqrt",
          "np.cbrt", "np.sin", "np.cos", "np.tan", "np.arcsin", "np.arccos", "np.arctan", "np.sinh",
          "np.cosh", "np.tanh", "np.arcsinh", "np.arccosh", "np.arctanh", "np.rint", "np.deg2rad",
          "np.rad2deg", "np.radians", "np.degrees")
def _float_unary(call: Call) -> Value:
    return _folded(call, so.unary_op(call, "np", call.arg(0, "x"), "float"))


@function("np.isnan", "np.isinf", "np.isfinite", "np.isposinf", "np.isneginf", "np.signbit",
          "np.logical_not", "np.isclose_unary")
def _predicate(call: Call) -> Value:
    return so.unary_op(call, "np", call.arg(0, "x"), "bool")


_BINARY = {
    "np.add": "arith", "np.subtract": "arith", "np.multiply": "arith", "np.divide": "div",
    "np.true_divide": "div", "np.floor_divide": "arith", "np.mod": "arith", "np.remainder": "arith",
    "np.fmod": "arith",
    "np.power": "arith", "np.pow": "arith", "np.maximum": "arith", "np.minimum": "arith",
    "np.fmax": "arith", "np.fmin": "arith", "np.arctan2": "float", "np.hypot": "float",
    "np.equal": "compare", "np.not_equal": "compare", "np.greater": "compare",
    "np.greater_equal": "compare", "np.less": "compare", "np.less_equal": "compare",
    "np.logical_and": "compare", "np.logical_or": "compare", "np.logical_xor": "compare",
    "np.isclose": "compare",
}


@function(*_BINARY)
def _binary(call: Call) -> Value:
    what = _BINARY[call.name]
    out = so.binary_op(call, "np", call.arg(0, "x1" if call.name != "np.isclose" else "a"),
                       call.arg(1, "x2" if call.name != "np.isclose" else "b"),
                       "arith" if what == "float" else what)
    if what == "float" and isinstance(out, Tensor):
        out.dtype = so.float_only_dtype(out.dtype, "np", call.name)
    if call.name in _INT8_ON_BOOLS and isinstance(out, Tensor) and out.dtype == "bool":
        out.dtype = "int8"  # numpy has no boolean kernel for these: bools compute as int8
    return out


_INT8_ON_BOOLS = ("np.mod", "np.remainder", "np.fmod", "np.floor_divide", "np.power", "np.pow")


@function("np.dot")
def _dot(call: Call) -> Value:
    return so.dot_op(call, "np", call.arg(0, "a"), call.arg(1, "b"))


@function("np.matmul")
def _matmul(call: Call) -> Value:
    return so.matmul_op(call, "np", call.arg(0, "x1"), call.arg(1, "x2"), policy="hint")


@function("np.outer")
def _outer(call: Call) -> Value:
    return so.outer_op(call, "np", call.arg(0, "a"), call.arg(1, "b"))


@function("np.kron")
def _kron(call: Call) -> Value:
    """Kronecker product: the shorter shape is padded with leading 1s and the dims multiply.
    Both operands become arrays first, so a Python int is int64 here (no weak scalars)."""
    a, b = call.arg(0, "a"), call.arg(1, "b")
    op = so.begin(call, "np", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    if ta is None or tb is None:
        return op.unknown()
    dtype = numpy_promote(ta.dtype, tb.dtype)
    return op.out(so.kron_shape(ta.shape, tb.shape), dtype)


@function("np.gradient")
def _gradient(call: Call) -> Value:
    """One derivative per axis (``axis``, else every axis), each shaped like the input: a single
    array for one axis, else a tuple. Ints become float64; an axis shorter than
    ``edge_order + 1`` is a ValueError."""
    f = call.arg(0, "f")
    op = so.begin(call, "np", f)
    t = op.tensor(f)
    if t is None or t.shape.dims is None or t.dtype in (None, "bool", "string"):
        return op.unknown()
    dtype = t.dtype if so.is_float_dtype(t.dtype) or t.dtype.startswith("complex") else "float64"
    rank = len(t.shape.dims)
    axis_v = call.kwargs.get("axis")
    single = False
    if axis_v is None or so.is_none(axis_v):
        axes = list(range(rank))
        single = rank == 1
    else:
        listed = so.axes_arg(axis_v)
        if listed is None:
            return op.unknown(dtype)
        single = as_int(axis_v) is not None
        axes = so.norm_axes(listed, rank, t.shape)
    order = as_int(call.kwargs["edge_order"]) if "edge_order" in call.kwargs else 1
    if order not in (1, 2):
        return op.unknown(dtype)
    for ax in axes:
        length = t.shape.dims[ax]
        if isinstance(length, int) and length < order + 1:
            raise ShapeError(
                f"np.gradient: axis {ax} of {t.shape} has {length} element(s); "
                f"at least {order + 1} are needed for a numerical gradient",
                code="shape-mismatch",
            )
    if single:
        return op.out(t.shape, dtype)
    return op.seq([t.shape] * len(axes), dtype, "tuple")


@function("np.einsum")
def _einsum(call: Call) -> Value:
    return so.einsum_op(call, "np", call.arg(0), list(call.args[1:]))


@function("np.tensordot")
def _tensordot(call: Call) -> Value:
    return so.tensordot_op(call, "np", call.arg(0, "a"), call.arg(1, "b"), call.arg(2, "axes"))


# ---------------------------------------------------------------------------------------------
# reductions

_REDUCTIONS = {
    "np.sum": ("sum", 2), "np.nansum": ("sum", 2), "np.prod": ("prod", 2), "np.nanprod": ("prod", 2),
    "np.mean": ("mean", 2), "np.nanmean": ("mean", 2), "np.average": ("mean", None),
    "np.max": ("max", 1), "np.amax": ("max", 1), "np.nanmax": ("max", 1),
    "np.min": ("min", 1), "np.amin": ("min", 1), "np.nanmin": ("min", 1),
    "np.ptp": ("max", 1),
    "np.std": ("std", 2), "np.nanstd": ("std", 2), "np.var": ("var", 2), "np.nanvar": ("var", 2),
    "np.any": ("any", None), "np.all": ("all", None),
    "np.median": ("median", None), "np.nanmedian": ("median", None),
}


@function(*_REDUCTIONS)
def _reduce(call: Call) -> Value:
    what, dtype_index = _REDUCTIONS[call.name]
    a = call.arg(0, "a")
    if call.name in ("np.prod", "np.sum") and len(call.args) == 1 and not call.kwargs and isinstance(a, Seq):
        # `np.prod(x.shape[1:])`: a known size, usable as a dim
        ints = [i.value for i in a.items or [] if isinstance(i, Const) and type(i.value) is int]
        if a.items and len(ints) == len(a.items):  # (an empty one gives a float)
            total = 1 if call.name == "np.prod" else 0
            for n in ints:
                total = total * n if call.name == "np.prod" else total + n
            return so.begin(call, "np", a).out(Shape(()), "int64", [Const(total)])
    dtype = call.arg(dtype_index, "dtype") if dtype_index is not None else None
    return so.reduce_op(call, "np", call.arg(0, "a"), call.arg(1, "axis"), call.kwargs.get("keepdims"), what, dtype)


@function("np.percentile", "np.quantile", "np.nanpercentile", "np.nanquantile")
def _percentile(call: Call) -> Value:
    """``percentile(a, q, axis=None, ..., keepdims=False)``: one reduction of ``a`` per entry of
    ``q``, so the result is ``q``'s shape followed by the reduced shape."""
    a, q = call.arg(0, "a"), call.arg(1, "q")
    method, out = call.arg(5, "method"), call.arg(3, "out")
    reduced = so.reduce_op(call, "np", a, call.arg(2, "axis"), call.arg(6, "keepdims"), "median")
    if not isinstance(reduced, Tensor):
        return reduced
    q_dims: tuple[Dim, ...] | None = None
    dtype: DType = None
    source = a.dtype if isinstance(a, Tensor) else None
    percent = "percentile" in call.name  # q / 100 makes integer percentages floats
    if isinstance(q, Const) and isinstance(q.value, (int, float)) and not isinstance(q.value, bool):
        q_dims = ()
        # a Python number is weak: it keeps a float array's dtype; an int quantile keeps an
        # int array's too, a fraction makes it float64
        float_q = percent or isinstance(q.value, float)
        dtype = source if so.is_float_dtype(source) or not float_q else "float64"
    elif q is not None and not (isinstance(q, Const) and isinstance(q.value, bool)):
        plain = not isinstance(q, Seq) or (q.items is not None and all(
            isinstance(i, Const) and type(i.value) in (int, float) for i in q.items
        ))  # a list of numpy scalars keeps their dtype: not read here
        qt = so.begin(call, "np", q).tensor(q)
        if qt is not None:
            q_dims = qt.shape.dims
            q_dtype = "float64" if percent and so.is_int_dtype(qt.dtype) else qt.dtype
            # integer quantiles compute in the array's dtype; float ones promote with it
            dtype = source if so.is_int_dtype(q_dtype) else numpy_promote(source, q_dtype)
            dtype = dtype if plain else None
    interpolating = method is None or (isinstance(method, Const) and method.value == "linear")
    if source not in _INTERPOLATED or not interpolating or not (out is None or so.is_none(out)):
        # bool (numpy cannot interpolate it), a method that picks items (keeps an int array's
        # dtype), or an `out=` array (its dtype)
        dtype = None
    op = so.begin(call, "np", a)
    if q_dims is None or reduced.shape.dims is None:
        return op.out(UNKNOWN_SHAPE, dtype)
    return op.out(Shape((*q_dims, *reduced.shape.dims)), dtype)


_INTERPOLATED = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


@function("np.linalg.norm")
def _norm(call: Call) -> Value:
    return so.reduce_op(call, "np", call.arg(0, "x"), call.arg(2, "axis"), call.arg(3, "keepdims"), "norm")


@function("np.count_nonzero")
def _count_nonzero(call: Call) -> Value:
    out = so.reduce_op(call, "np", call.arg(0, "a"), call.arg(1, "axis"), call.kwargs.get("keepdims"), "max")
    if isinstance(out, Tensor):
        out.dtype = "int64"
    return out


@function("np.argmax", "np.argmin", "np.nanargmax", "np.nanargmin")
def _argmax(call: Call) -> Value:
    return so.argmax_op(call, "np", call.arg(0, "a"), call.arg(1, "axis"), call.kwargs.get("keepdims"))


@function("np.digitize", "np.searchsorted")
def _bin_indices(call: Call) -> Value:
    """The bin (insertion) index of every value: the values' shape, int64."""
    values = call.arg(0, "x") if call.name == "np.digitize" else call.arg(1, "v")
    op = so.begin(call, "np", values)
    t = op.tensor(values)
    if t is None:
        return op.unknown("int64")
    return op.out(t.shape, "int64")


@function("np.isin")
def _isin(call: Call) -> Value:
    """Membership of every element of ``element`` in ``test_elements``: its shape, bool (a 0-d
    array for a scalar)."""
    element = call.arg(0, "element")
    op = so.begin(call, "np", element, call.arg(1, "test_elements"))
    t = op.tensor(element)
    if t is None:
        return op.unknown("bool")
    return op.out(t.shape, "bool")


@function("np.apply_along_axis")
def _apply_along_axis(call: Call) -> Value:
    """``np.apply_along_axis(func1d, axis, arr, *args)``: ``func1d`` runs on every 1-D slice
    along ``axis``; what it returns (a scalar or an array) takes that axis's place."""
    fn, axis_v, arr = call.arg(0, "func1d"), call.arg(1, "axis"), call.arg(2, "arr")
    op = so.begin(call, "np", arr)
    t = op.tensor(arr) if arr is not None else None
    axis = as_int(axis_v) if axis_v is not None else None
    if fn is None or t is None or not t.shape.dims or axis is None:
        return op.unknown()
    dims = t.shape.dims
    ax = so.norm_axis(axis, len(dims), t.shape)
    row = Tensor(Shape((dims[ax],)), t.dtype, "np")
    extra = {k: v for k, v in call.kwargs.items() if k not in ("func1d", "axis", "arr")}
    call.interp.uncertain_depth += 1  # once per slice (never for an empty array)
    try:
        res = call.interp.call_value(fn, [row, *call.args[3:]], extra, call.node)
    finally:
        call.interp.uncertain_depth -= 1
    kind = scalar_type(res)
    if kind in (bool, int, float):
        inner: tuple[Dim, ...] = ()
        dtype: DType = {bool: "bool", int: "int64", float: "float64"}[kind]
    elif isinstance(res, Tensor) and res.shape.dims is not None:
        inner, dtype = res.shape.dims, res.dtype
    else:
        return op.unknown()
    return op.out(Shape((*dims[:ax], *inner, *dims[ax + 1:])), dtype)


@function("np.diff")
def _diff(call: Call) -> Value:
    """``np.diff(a, n=1, axis=-1)``: ``n`` rounds of differences shorten ``axis`` by ``n`` (to
    no less than 0); ``prepend``/``append`` lengthen it first (their dtype promotes: not read)."""
    a = call.arg(0, "a")
    op = so.begin(call, "np", a)
    t = op.tensor(a)
    if t is None or t.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    if not t.shape.dims:
        raise ShapeError("np.diff: needs an array of at least 1 dimension, not a scalar", code="rank")
    n = call.arg(1, "n")
    rounds = n.value if isinstance(n, Const) else (1 if n is None else None)
    axis_v = call.arg(2, "axis")
    axis = axis_v.value if isinstance(axis_v, Const) else (-1 if axis_v is None else None)
    extended = call.has(3, "prepend") or call.has(4, "append")
    if not isinstance(rounds, int) or rounds < 0 or not isinstance(axis, int) or extended:
        return op.unknown(None if extended else t.dtype)
    ax = so.norm_axis(axis, len(t.shape.dims), t.shape)
    dims = list(t.shape.dims)
    length = dims[ax]
    dims[ax] = max(length - rounds, 0) if isinstance(length, int) else None
    return op.out(Shape(tuple(dims)), t.dtype)


@function("np.cumsum", "np.cumprod", "np.nancumsum")
def _cumsum(call: Call) -> Value:
    return so.cumulative_op(call, "np", call.arg(0, "a"), call.arg(1, "axis"), "sum")


@function("np.argsort")
def _argsort(call: Call) -> Value:
    a = call.arg(0, "a")
    op = so.begin(call, "np", a)
    t = op.tensor(a)
    if t is None:
        return op.unknown("int64")
    axis = call.arg(1, "axis")
    if isinstance(axis, Const) and axis.value is None:
        return op.out(Shape((t.shape.num_elements(),)), "int64")
    return op.out(t.shape, "int64")


# ---------------------------------------------------------------------------------------------
# selection


@function("np.where")
def _where(call: Call) -> Value:
    return so.where_op(call, "np", call.arg(0, "condition"), call.arg(1, "x"), call.arg(2, "y"))


@function("np.nonzero")
def _nonzero(call: Call) -> Value:
    return so.where_op(call, "np", call.arg(0, "a"), None, None)


@function("np.argwhere")
def _argwhere(call: Call) -> Value:
    a = call.arg(0, "a")
    op = so.begin(call, "np", a)
    t = op.tensor(a)
    if t is None:
        return op.unknown("int64")
    return op.out(Shape((None, t.shape.rank)), "int64")


@function("np.flatnonzero")
def _flatnonzero(call: Call) -> Value:
    """The flat indices of the nonzero items: how many is a matter of the values."""
    a = call.arg(0, "a")
    op = so.begin(call, "np", a)
    return op.out(Shape((None,)), "int64")


@function("np.clip")
def _clip(call: Call) -> Value:
    return so.clip_op(call, "np", call.arg(0, "a"), call.arg(1, "a_min"), call.arg(2, "a_max"))


@function("np.take")
def _take(call: Call) -> Value:
    return so.gather_op(call, "np", call.arg(0, "a"), call.arg(1, "indices"), call.arg(2, "axis"))


@function("np.take_along_axis")
def _take_along_axis(call: Call) -> Value:
    return so.take_along_axis_op(call, "np", call.arg(0, "arr"), call.arg(1, "indices"), call.arg(2, "axis"), -1)


@function("np.unique")
def _unique(call: Call) -> Value:
    """Unique values (how many is data-dependent), optionally with first indices, the inverse
    and counts; ``axis=k`` keeps the other axes (unique rows of a table)."""
    a = call.arg(0, "ar")
    op = so.begin(call, "np", a)
    t = op.tensor(a)
    flags = [call.arg(i, name) for i, name in ((1, "return_index"), (2, "return_inverse"), (3, "return_counts"))]
    if any(f is not None and not (isinstance(f, Const) and isinstance(f.value, bool)) for f in flags):
        return UNKNOWN
    wanted = [isinstance(f, Const) and f.value is True for f in flags]
    axis_v = call.arg(4, "axis")
    dtype = t.dtype if t is not None else None
    dims = t.shape.dims if t is not None else None
    axis: int | None = None
    if axis_v is not None and not (isinstance(axis_v, Const) and axis_v.value is None):
        axis = as_int(axis_v)
        if axis is None or dims is None or not -len(dims) <= axis < len(dims):
            return UNKNOWN
        axis %= len(dims)
    if axis is None:
        values = op.out(Shape((None,)), dtype)
        # numpy 2 gives the inverse the input's shape, numpy 1 a flat one: they agree on 1-D
        inverse = Shape((dims[0],)) if dims is not None and len(dims) == 1 else UNKNOWN_SHAPE
    else:
        assert dims is not None
        values = op.out(Shape(tuple(None if i == axis else d for i, d in enumerate(dims))), dtype)
        inverse = Shape((dims[axis],))
    if not any(wanted):
        return values
    extra = [Shape((None,)), inverse, Shape((None,))]
    items: list[Value] = [values]
    items.extend(Tensor(shape, "int64", "np") for shape, w in zip(extra, wanted, strict=True) if w)
    return Seq(items, "tuple")


@function("np.shape")
def _shape(call: Call) -> Value:
    a = call.arg(0, "a")
    t = so.Op(call, "np", "np", False).tensor(a)
    return shape_value(t.shape, concrete=has_concrete_shape(a), of=t) if t is not None else UNKNOWN


@function("np.ndim")
def _ndim(call: Call) -> Value:
    t = so.Op(call, "np", "np", False).tensor(call.arg(0, "a"))
    return Const(t.shape.rank) if t is not None and t.shape.rank is not None else UNKNOWN


@function("np.size")
def _size(call: Call) -> Value:
    t = so.Op(call, "np", "np", False).tensor(call.arg(0, "a"))
    n = t.shape.num_elements() if t is not None else None
    return Const(n) if n is not None else UNKNOWN


@function("np.meshgrid")
def _meshgrid(call: Call) -> Value:
    return so.meshgrid_op(call, "np", list(call.args), call.kwargs.get("indexing"), call.kwargs.get("sparse"))


@function("np.bincount")
def _bincount(call: Call) -> Value:
    """``bincount(x, weights=None, minlength=0)``: counts (int64, float64 with weights) of each
    value of a 1-D int array, as long as its largest value + 1 (a run-time length)."""
    x = call.arg(0, "x")
    op = so.begin(call, "np", x)
    t = op.tensor(x)
    weights = call.arg(1, "weights")
    dtype = "int64" if weights is None or so.is_none(weights) else "float64"
    if t is None or t.shape.dims is None or len(t.shape.dims) != 1:
        return op.unknown(dtype)
    return op.out(Shape((None,)), dtype)

"""Linear algebra: ``np.linalg.*``, ``tf.linalg.*``, ``keras.ops``' linear algebra (``det``, ``inv``,
``qr``, ``svd``, ``eigh``, ``solve``, ``lstsq``, ...)
and ``np.diag``/``np.trace``.

Every op works on the last two axes (a batch of matrices in front). A square matrix where the
op needs one is a certain error in both libraries. numpy's linalg keeps float32 and complex
inputs and computes integer ones in float64; ``eig``/``eigvals`` are real or complex depending
on the values, so their dtype is left unknown.
"""

from __future__ import annotations

from collections.abc import Callable

from ..registry import Call, function
from ..shapes import Dim, DType, Shape, ShapeError, format_shape
from ..values import UNKNOWN, Const, Seq, Tensor, Value
from . import shape_ops as so


def _matrix(call: Call, lib: str, value: Value | None, square: bool = False) -> tuple[so.Op, Tensor] | None:
    """The operand as a batch of matrices, or None when its shape is not known."""
    op = so.begin(call, lib, value)
    t = op.tensor(value)
    if t is None or t.shape.dims is None:
        return None
    dims = t.shape.dims
    if len(dims) < 2:
        raise ShapeError(
            f"{call.name} needs a matrix (at least 2 axes), got shape {format_shape(t.shape)}",
            code="shape-mismatch",
        )
    m, n = dims[-2], dims[-1]
    if square and isinstance(m, int) and isinstance(n, int) and m != n:
        raise ShapeError(
            f"{call.name} needs square matrices, got {m}x{n} (shape {format_shape(t.shape)})",
            code="shape-mismatch",
        )
    return op, t


def _np_dtype(t: Tensor) -> DType:
    if t.dtype in ("float32", "float64", "complex64", "complex128"):
        return t.dtype
    return "float64" if t.dtype is not None else None


def _dtype(lib: str, t: Tensor) -> DType:
    if lib == "keras":
        return "float32" if t.dtype == "float32" else None  # the only dtype checked for keras.ops
    return _np_dtype(t) if lib == "np" else t.dtype


def _lib(call: Call) -> str:
    return "np" if call.name.startswith("np.") else "keras" if call.name.startswith("keras.") else "tf"


def _min(a: Dim, b: Dim) -> Dim:
    return min(a, b) if isinstance(a, int) and isinstance(b, int) else None


def _sides(t: Tensor) -> tuple[tuple[Dim, ...], Dim, Dim, Dim]:
    """(batch dims, rows, columns, the smaller of the two) of a batch of matrices."""
    dims = t.shape.dims or ()
    m, n = dims[-2], dims[-1]
    return tuple(dims[:-2]), m, n, _min(m, n)


def _check_rows(call: Call, m: Dim, got: Dim, rhs: Tensor) -> None:
    """An M x M system needs a right-hand side of M rows, a certain error otherwise."""
    if isinstance(m, int) and isinstance(got, int) and m != got:
        raise ShapeError(
            f"{call.name}: the matrix is {m}x{m} but the right-hand side has {got} rows "
            f"(shape {format_shape(rhs.shape)})",
            code="shape-mismatch",
        )


MatrixRule = Callable[[Call, str, so.Op, Tensor], Value]


def _on_matrices(*names: str, square: bool = False) -> Callable[[MatrixRule], MatrixRule]:
    """Register a rule for ops on a batch of matrices (the first argument): the body gets the
    library ("np" or "tf"), the op and the operand, whose shape is known and, with ``square``,
    checked square."""

    def register(body: MatrixRule) -> MatrixRule:
        def rule(call: Call) -> Value:
            lib = _lib(call)
            found = _matrix(call, lib, call.arg(0), square=square)
            return UNKNOWN if found is None else body(call, lib, *found)

        function(*names)(rule)
        return body

    return register


def _real(dtype: DType) -> DType:
    """The dtype of singular values and Hermitian eigenvalues: real, of the same precision."""
    return {"complex64": "float32", "complex128": "float64"}.get(dtype or "", dtype)


@_on_matrices("np.linalg.inv", "tf.linalg.inv", "np.linalg.cholesky", "tf.linalg.cholesky",
              "np.linalg.matrix_power", "tf.linalg.expm", "tf.linalg.sqrtm", "keras.ops.inv",
              "keras.ops.cholesky", "keras.ops.cholesky_inverse", square=True)
@_on_matrices("tf.linalg.band_part", "tf.linalg.set_diag")
def _same_shape(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    return op.out(t.shape, _dtype(lib, t))


@function("np.triu", "np.tril", "keras.ops.triu", "keras.ops.tril")
def _triangle(call: Call) -> Value:
    """The upper/lower triangle: same shape and dtype. numpy treats a vector as a row repeated
    into a square matrix."""
    lib = "np" if call.name.startswith("np.") else "keras"
    x = call.arg(0, "m" if lib == "np" else "x")
    op = so.begin(call, lib, x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    if len(dims) >= 2:
        return op.out(t.shape, t.dtype)
    if len(dims) == 1 and lib == "np":
        return op.out(Shape((dims[0], dims[0])), t.dtype)
    return op.unknown(t.dtype)


@function("np.tril_indices", "np.triu_indices", "np.tril_indices_from", "np.triu_indices_from")
def _triangle_indices(call: Call) -> Value:
    """(rows, cols) of an n x m triangle (diagonal offset k): two int64 vectors as long as the
    triangle has entries. The ``_from`` forms take n and m from a 2-D array."""
    if call.name.endswith("_from"):
        arr = so.begin(call, "np").tensor(call.arg(0, "arr"))
        dims = arr.shape.dims if arr is not None else None
        if dims is not None and len(dims) != 2 and arr is not None:
            raise ShapeError(f"{call.name}: the array must be 2-D, got {format_shape(arr.shape)}", code="rank")
        n, m = (dims[0], dims[1]) if dims is not None else (None, None)
        k = call.int(1, "k", 0)
        n, m = (n if isinstance(n, int) else None), (m if isinstance(m, int) else None)
    else:
        n, k, m = call.int(0, "n"), call.int(1, "k", 0), call.int(2, "m")
        if call.arg(2, "m") is None:
            m = n
    if n is None or k is None or m is None or not 0 <= n <= 1_000_000 or m < 0:
        return Seq([so.result(call, Shape((None,)), "int64", "np") for _ in range(2)], "tuple")
    if "tril_indices" in call.name:
        count = sum(max(0, min(i + k, m - 1) + 1) for i in range(n))
    else:
        count = sum(max(0, m - max(i + k, 0)) for i in range(n))
    return Seq([so.result(call, Shape((count,)), "int64", "np") for _ in range(2)], "tuple")


@_on_matrices("np.linalg.pinv", "tf.linalg.pinv", "tf.linalg.adjoint", "keras.ops.pinv")
def _transposed(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    """(..., N, M) for (..., M, N): the pseudo-inverse, the conjugate transpose."""
    dims = t.shape.dims or ()
    return op.out(Shape((*dims[:-2], dims[-1], dims[-2])), _dtype(lib, t))


@_on_matrices("np.linalg.det", "tf.linalg.det", "tf.linalg.logdet", "keras.ops.det", "keras.ops.logdet",
              square=True)
def _det(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    return op.out(Shape((t.shape.dims or ())[:-2]), _dtype(lib, t))


@_on_matrices("np.linalg.slogdet", "tf.linalg.slogdet", "keras.ops.slogdet", square=True)
def _slogdet(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    batch = Shape((t.shape.dims or ())[:-2])
    dtype = _dtype(lib, t)
    fields = {"np": ("sign", "logabsdet"), "tf": ("sign", "log_abs_determinant")}.get(lib)
    return Seq([op.out(batch, dtype), op.out(batch, dtype)], "tuple", fields=fields)


@_on_matrices("np.linalg.eig", "np.linalg.eigh", "tf.linalg.eigh", "tf.linalg.eig", "keras.ops.eig", "keras.ops.eigh",
              square=True)
def _eig(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    """(eigenvalues (..., M), eigenvectors (..., M, M)); ``eig``'s are real or complex by value."""
    dims = t.shape.dims or ()
    dtype = _dtype(lib, t)
    if call.name == "np.linalg.eig":
        values_dtype: DType = None
        vectors_dtype: DType = None
    elif call.name in ("tf.linalg.eig", "keras.ops.eig"):
        values_dtype = vectors_dtype = "complex128" if t.dtype == "float64" else "complex64"
    else:
        vectors_dtype = dtype
        values_dtype = _real(dtype)
    fields = ("eigenvalues", "eigenvectors") if lib == "np" else None
    return Seq([op.out(Shape(dims[:-1]), values_dtype), op.out(Shape(dims), vectors_dtype)], "tuple", fields=fields)


@_on_matrices("np.linalg.eigvals", "np.linalg.eigvalsh", "tf.linalg.eigvalsh", "tf.linalg.eigvals", square=True)
def _eigvals(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    dtype = _dtype(lib, t)
    if call.name == "np.linalg.eigvals":
        dtype = None
    elif call.name == "tf.linalg.eigvals":
        dtype = "complex128" if t.dtype == "float64" else "complex64"
    else:
        dtype = _real(dtype)
    return op.out(Shape((t.shape.dims or ())[:-1]), dtype)


@_on_matrices("np.linalg.svd", "tf.linalg.svd", "keras.ops.svd")
def _svd(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    """numpy and keras: (U, S, Vh), full matrices by default; tf: (s, u, v), reduced by default."""
    batch, m, n, k = _sides(t)
    full = so.bool_arg(call.arg(1, "full_matrices"), default=lib != "tf")
    compute_uv = so.bool_arg(call.arg(2, "compute_uv"), default=True)
    dtype = _dtype(lib, t)
    s = op.out(Shape((*batch, k)), _real(dtype))
    if compute_uv is False:
        return s
    if full is None or compute_uv is None:
        return UNKNOWN
    if lib != "tf":
        u = Shape((*batch, m, m if full else k))
        vh = Shape((*batch, n if full else k, n))
        fields = ("U", "S", "Vh") if lib == "np" else None
        return Seq([op.out(u, dtype), s, op.out(vh, dtype)], "tuple", fields=fields)
    u = Shape((*batch, m, m if full else k))
    v = Shape((*batch, n, n if full else k))
    return Seq([s, op.out(u, dtype), op.out(v, dtype)], "tuple")


@_on_matrices("np.linalg.qr", "tf.linalg.qr", "keras.ops.qr")
def _qr(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    batch, m, n, k = _sides(t)
    if lib != "tf":
        mode = call.arg(1, "mode")
        mode_v = mode.value if isinstance(mode, Const) else ("reduced" if mode is None else None)
        if mode_v == "complete":
            q, r = Shape((*batch, m, m)), Shape((*batch, m, n))
        elif mode_v == "reduced":
            q, r = Shape((*batch, m, k)), Shape((*batch, k, n))
        else:
            return UNKNOWN
    else:
        full = so.bool_arg(call.arg(1, "full_matrices"))
        if full is None:
            return UNKNOWN
        q = Shape((*batch, m, m if full else k))
        r = Shape((*batch, m if full else k, n))
    dtype = _dtype(lib, t)
    fields = {"np": ("Q", "R"), "tf": ("q", "r")}.get(lib)
    return Seq([op.out(q, dtype), op.out(r, dtype)], "tuple", fields=fields)


@function("np.linalg.solve", "tf.linalg.solve", "keras.ops.solve")
def _solve(call: Call) -> Value:
    """a (..., M, M) x = b: numpy takes b as (..., M, K), or (M,) when it has one axis; tf
    (and keras, which calls it) needs (..., M, K)."""
    lib = _lib(call)
    found = _matrix(call, lib, call.arg(0, "matrix" if lib == "tf" else "a"), square=True)
    b = call.arg(1, "rhs" if lib == "tf" else "b")
    if found is None or b is None:
        return UNKNOWN
    op, a = found
    rhs = op.tensor(b)
    if rhs is None or rhs.shape.dims is None:
        return UNKNOWN
    m, rows = (a.shape.dims or ())[-1], rhs.shape.dims
    axis = 0 if lib == "np" and len(rows) == 1 else -2
    if len(rows) < (1 if lib == "np" else 2):
        return UNKNOWN
    got = rows[axis]
    _check_rows(call, m, got, rhs)
    dtype = _dtype(lib, a)
    batch = (a.shape.dims or ())[:-2]
    if len(rows) == 1:
        return op.out(Shape((*batch, rows[0])), dtype)  # a stack of vectors
    if batch and tuple(rows[:-2]) != tuple(batch):
        return op.out(Shape((None,) * max(len(rows), len(batch) + 2)), dtype)  # broadcast batches
    return op.out(rhs.shape, dtype)


@function("tf.linalg.diag")
def _tf_diag(call: Call) -> Value:
    x = call.arg(0, "diagonal")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None or not t.shape.dims or call.args[1:] or set(call.kwargs) - {"diagonal", "name"}:
        return op.unknown(t.dtype if t is not None else None)
    n = t.shape.dims[-1]
    return op.out(Shape((*t.shape.dims, n)), t.dtype)


@function("tf.linalg.diag_part", "tf.linalg.trace")
def _diag_part(call: Call) -> Value:
    found = _matrix(call, "tf", call.arg(0))
    if found is None or call.args[1:] or set(call.kwargs) - {"input", "x", "name"}:
        return UNKNOWN
    op, t = found
    dims = t.shape.dims or ()
    if call.name == "tf.linalg.trace":
        return op.out(Shape(dims[:-2]), t.dtype)
    return op.out(Shape((*dims[:-2], _min(dims[-2], dims[-1]))), t.dtype)


@function("tf.linalg.matvec")
def _matvec(call: Call) -> Value:
    found = _matrix(call, "tf", call.arg(0, "a"))
    v = call.arg(1, "b")
    if found is None or v is None or call.args[2:] or set(call.kwargs) - {"a", "b", "name"}:
        return UNKNOWN
    op, a = found
    vec = op.tensor(v)
    if vec is None or not vec.shape.dims:
        return UNKNOWN
    dims = a.shape.dims or ()
    n, got = dims[-1], vec.shape.dims[-1]
    if isinstance(n, int) and isinstance(got, int) and n != got:
        raise ShapeError(
            f"tf.linalg.matvec: the matrix has {n} columns but the vector has {got} entries",
            code="shape-mismatch",
        )
    return op.out(Shape((*dims[:-2], dims[-2])), a.dtype)


@function("np.diag")
def _np_diag(call: Call) -> Value:
    return so.diag_op(call, "np", call.arg(0, "v"), call.int(1, "k", 0))


@function("np.trace")
def _np_trace(call: Call) -> Value:
    x = call.arg(0, "a")
    op = so.begin(call, "np", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None or call.args[1:] or set(call.kwargs) - {"a"}:
        return op.unknown()
    if len(t.shape.dims) < 2:
        raise ShapeError("np.trace needs at least 2 axes", code="shape-mismatch")
    dtype = "int64" if t.dtype in ("int8", "int16", "int32", "bool") else t.dtype
    return op.out(Shape(t.shape.dims[2:]), dtype)


@function("tf.linalg.normalize")
def _normalize(call: Call) -> Value:
    """``(x / norm, norm)``: the norm keeps the reduced axes as 1s (all axes when ``axis`` is
    not given)."""
    x = call.arg(0, "tensor")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None:
        return Seq([op.unknown(), op.unknown()], "tuple")
    norm = so.reduce_shape(t.shape, so.axes_arg(call.arg(2, "axis")), True, call.name)
    return Seq([op.out(t.shape, t.dtype), op.out(norm, t.dtype)], "tuple")


@function("tf.linalg.global_norm")
def _global_norm(call: Call) -> Value:
    items = so.list_items(call.arg(0, "t_list"))
    op = so.begin(call, "tf")
    dtypes = {i.dtype for i in items if isinstance(i, Tensor)} if items else set()
    return op.out(Shape(()), dtypes.pop() if len(dtypes) == 1 else None)


@function("tf.linalg.cross")
def _tf_cross(call: Call) -> Value:
    a, b = call.arg(0, "a"), call.arg(1, "b")
    op = so.begin(call, "tf", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    if ta is None or tb is None or ta.shape.dims is None or ta.shape != tb.shape:
        return op.unknown(ta.dtype if ta is not None else None)
    return op.out(ta.shape, ta.dtype)


@function("tf.linalg.triangular_solve", "tf.linalg.cholesky_solve")
def _triangular_solve(call: Call) -> Value:
    """``(..., M, M)`` matrices times ``x = rhs``: the right-hand side's shape when the two
    batches agree."""
    found = _matrix(call, "tf", call.arg(0, "matrix" if "triangular" in call.name else "chol"), square=True)
    rhs_v = call.arg(1, "rhs")
    if found is None or rhs_v is None:
        return UNKNOWN
    op, a = found
    rhs = op.tensor(rhs_v)
    if rhs is None or rhs.shape.dims is None or len(rhs.shape.dims) != len(a.shape.dims or ()):
        return op.unknown(a.dtype)
    m, got = (a.shape.dims or ())[-1], rhs.shape.dims[-2]
    _check_rows(call, m, got, rhs)
    return op.out(rhs.shape, a.dtype)


@function("keras.ops.solve_triangular")
def _keras_solve_triangular(call: Call) -> Value:
    """``solve_triangular(a, b, lower=False)``: ``b`` as ``(..., M, K)``, or one axis fewer than
    ``a`` (a stack of vectors); the result has ``b``'s shape."""
    found = _matrix(call, "keras", call.arg(0, "a"), square=True)
    b = call.arg(1, "b")
    if found is None or b is None:
        return UNKNOWN
    op, a = found
    rhs = op.tensor(b)
    a_dims = a.shape.dims or ()
    if rhs is None or rhs.shape.dims is None or len(rhs.shape.dims) not in (len(a_dims), len(a_dims) - 1):
        return op.unknown(_dtype("keras", a))
    got = rhs.shape.dims[-2 if len(rhs.shape.dims) == len(a_dims) else -1]
    m = a_dims[-1]
    _check_rows(call, m, got, rhs)
    return op.out(rhs.shape, _dtype("keras", a))


@_on_matrices("keras.ops.matrix_rank")
def _matrix_rank(call: Call, lib: str, op: so.Op, t: Tensor) -> Value:
    return op.out(Shape((t.shape.dims or ())[:-2]), "int32")


@function("keras.ops.lstsq")
def _lstsq(call: Call) -> Value:
    """``lstsq(a, b)``: a (M, N) matrix and b (M,) or (M, K) give x (N,) or (N, K)."""
    found = _matrix(call, "keras", call.arg(0, "a"))
    b = call.arg(1, "b")
    if found is None or b is None:
        return UNKNOWN
    op, a = found
    rhs = op.tensor(b)
    a_dims = a.shape.dims or ()
    if len(a_dims) != 2 or rhs is None or rhs.shape.dims is None or len(rhs.shape.dims) not in (1, 2):
        return op.unknown(_dtype("keras", a))
    m, got = a_dims[0], rhs.shape.dims[0]
    if isinstance(m, int) and isinstance(got, int) and m != got:
        raise ShapeError(
            f"{call.name}: a has {m} rows but b has {got} (shape {format_shape(rhs.shape)})",
            code="shape-mismatch",
        )
    return op.out(Shape((a_dims[1], *rhs.shape.dims[1:])), _dtype("keras", a))

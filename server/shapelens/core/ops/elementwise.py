"""Arithmetic between tensors: broadcasting, ``@``, and which dtype comes out (or which dtype
mix TensorFlow refuses), for tf tensors, numpy arrays and Keras symbolic tensors.

Dtype rules, as measured on TF 2.21 / Keras 3.15 / numpy 2:

- TensorFlow never promotes. In operators (``a + b``) and most ``tf.*`` binary functions
  (``tf.multiply``, ``tf.maximum``, ``tf.concat``, ``tf.where``...) the dtype of the tf tensor
  operand wins and numpy arrays, lists and Python scalars are converted to it (a numpy float64
  array added to a float32 tensor gives float32; a Python float cannot become an int tensor).
  Two tf tensors of different dtypes are an error. ``tf.add``, ``tf.truediv``, ``tf.matmul``
  convert their first argument on its own first (``tf.add(np_float64, tf_float32)`` fails);
  ``tf.tensordot`` and ``tf.add_n`` convert every argument on its own. Arithmetic other than
  ``*``/``&``/``|`` on bool tensors is an error.
- numpy promotes (`numpy_promote`); Python scalars are weak (NEP 50).
- Keras (``keras.ops`` and operators on KerasTensors) promotes on its own lattice: a float
  beats any int (int64 + float16 is float16), float16 + bfloat16 is float32; Python scalars
  are weak; numpy arrays are not. ``numpy_array + keras_tensor`` fails at module level (numpy
  tries to convert the KerasTensor) while ``keras_tensor + numpy_array`` works.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal

from ..convert import to_tensor
from ..facts import Related, Span
from ..shapes import (
    FLOAT_DTYPES,
    UNKNOWN_SHAPE,
    DType,
    Shape,
    ShapeError,
    broadcast_dim,
    broadcast_shapes,
    format_shape,
    is_float,
    is_int,
    numpy_promote,
)
from ..values import UNKNOWN, Const, KerasVariable, OpNode, Seq, Tensor, TensorKind, Unknown, Value

if TYPE_CHECKING:
    from ..interpreter import Interpreter

_OP_NAMES: dict[type, tuple[str, str]] = {
    ast.Add: ("+", "add"),
    ast.Sub: ("-", "subtract"),
    ast.Mult: ("*", "multiply"),
    ast.Div: ("/", "divide"),
    ast.FloorDiv: ("//", "floor divide"),
    ast.Mod: ("%", "mod"),
    ast.Pow: ("**", "pow"),
    ast.MatMult: ("@", "matmul"),
    ast.BitAnd: ("&", "and"),
    ast.BitOr: ("|", "or"),
    ast.BitXor: ("^", "xor"),
    ast.LShift: ("<<", "shift"),
    ast.RShift: (">>", "shift"),
}

#: Operators TensorFlow refuses on bool tensors (``*``, ``&``, ``|``, ``^`` work).
_NO_BOOL = (ast.Add, ast.Sub, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)

Policy = Literal["hint", "first", "each"]

_REAL_TF = ("tf", "var", "keras", "spec", "ragged", "sparse")


def library_of(*values: Value) -> TensorKind:
    """Which library's semantics apply: a KerasTensor anywhere makes it keras.ops; a tf
    tensor or variable makes it TensorFlow (numpy defers to tf.Tensor); else numpy."""
    kinds = {t.kind for v in values for t in _tensors(v)}
    if "keras" in kinds:
        return "keras"
    if kinds & {"tf", "var", "ragged", "sparse", "spec"}:
        return "tf"
    return "np"


def _tensors(v: Value) -> list[Tensor]:
    if isinstance(v, Tensor):
        return [v]
    if isinstance(v, Seq) and v.items is not None:
        return [t for i in v.items for t in _tensors(i)]
    return []


# ---------------------------------------------------------------------------------------------
# operand conversion

def _resolve(v: Value) -> Value:
    """``np.nan``, ``np.pi``... as Python constants."""
    from .shape_ops import resolve_deep  # shape_ops imports this module

    return resolve_deep(v)


def is_scalar_const(v: Value) -> bool:
    return isinstance(v, Const) and isinstance(v.value, (bool, int, float, complex))


def literal_kind(v: Value) -> str | None:
    """'bool' | 'int' | 'float' | 'complex' for a Python scalar or nested literal of them."""
    from ..convert import literal_shape_dtype

    got = literal_shape_dtype(v)
    if got is None:
        return None
    k = got[1]
    if k in ("bool", "int", "float", "complex"):
        return k
    if k is not None and (is_float(k)):
        return "float"
    if k is not None and is_int(k):
        return "int"
    return None


def convert_alone(v: Value, lib: TensorKind) -> Tensor | None:
    """``tf.convert_to_tensor(v)`` / ``np.asarray(v)``: numpy arrays keep their dtype,
    literals take the library's defaults (tf: int32/float32; numpy: int64/float64)."""
    v = _resolve(v)
    if isinstance(v, Tensor):
        return v
    return to_tensor(v, "np" if lib == "np" else "tf")


def _cannot_convert(v: Value, dtype: DType, op: str) -> ShapeError:
    what = repr(v.value) if isinstance(v, Const) else "a Python list of floats"
    return ShapeError(
        f"{op}: cannot convert {what} to a {dtype} tensor; TensorFlow does not cast Python "
        f"floats to integers implicitly (cast the tensor to float first, or use ints)",
        code="dtype-mismatch",
    )


def convert_to(v: Value, dtype: DType, op: str) -> Tensor | None:
    """A non-tensor operand converted to a tf tensor of ``dtype`` (``tf.convert_to_tensor(v,
    dtype)``): numpy arrays are cast, Python floats never become ints."""
    v = _resolve(v)
    if isinstance(v, Tensor):
        return Tensor(v.shape, dtype, "tf", v.origin, v.label)
    t = to_tensor(v, "tf")
    if t is None:
        return None
    if dtype is None:
        return Tensor(t.shape, None, "tf")
    kind = literal_kind(v)
    if kind in ("float", "complex") and (is_int(dtype) or dtype == "bool"):
        raise _cannot_convert(v, dtype, op)
    if kind == "int" and dtype == "bool":
        raise ShapeError(
            f"{op}: cannot convert Python ints to a bool tensor", code="dtype-mismatch"
        )
    return Tensor(t.shape, dtype, "tf")


def _mismatch(op: str, a: Tensor, b: Tensor) -> ShapeError:
    return ShapeError(
        f"{op}: TensorFlow does not mix dtypes: {a.dtype} {format_shape(a.shape)} and "
        f"{b.dtype} {format_shape(b.shape)}; cast one side first (tf.cast)",
        code="dtype-mismatch",
        related=_related(a, b),
    )


def tf_unify(values: Sequence[Value], op: str, policy: Policy = "hint") -> tuple[list[Tensor | None], DType]:
    """Convert the operands of a TensorFlow op to one dtype, TensorFlow's way (see module doc);
    a certain error when two tensors (or a converted first operand) disagree."""
    vals = [_resolve(v) for v in values]
    if not vals:
        return [], None
    out: list[Tensor | None] = [None] * len(vals)
    real = [i for i, v in enumerate(vals) if isinstance(v, Tensor) and v.kind in _REAL_TF]
    if policy == "each":
        for i, v in enumerate(vals):
            out[i] = convert_alone(v, "tf")
        anchor = None
        for t in out:
            if t is None or t.dtype is None:
                continue
            if anchor is None:
                anchor = t
            elif t.dtype != anchor.dtype:
                raise _mismatch(op, anchor, t)
        return out, anchor.dtype if anchor is not None else None
    anchor_t: Tensor | None = None
    if policy == "first" or not real:
        anchor_t = convert_alone(vals[0], "tf") if vals else None
        out[0] = anchor_t
        if anchor_t is not None and anchor_t.dtype is None and not isinstance(vals[0], Tensor):
            anchor_t = None
    if anchor_t is None or anchor_t.dtype is None:
        for i in real:
            rt = vals[i]
            assert isinstance(rt, Tensor)
            if rt.dtype is not None:
                anchor_t = rt
                break
    dtype = anchor_t.dtype if anchor_t is not None else None
    for i, v in enumerate(vals):
        if out[i] is not None and i == 0 and (policy == "first" or not real):
            continue
        if isinstance(v, Tensor) and v.kind in _REAL_TF:
            if dtype is not None and v.dtype is not None and v.dtype != dtype:
                assert anchor_t is not None
                raise _mismatch(op, anchor_t, v)
            out[i] = v
        else:
            out[i] = convert_to(v, dtype, op)
    return out, dtype


def keras_promote(a: DType, b: DType) -> DType:
    """Keras 3's dtype lattice for two non-weak operands."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if a == "bool":
        return b
    if b == "bool":
        return a
    fa, fb = is_float(a), is_float(b)
    if fa and not fb:
        return a
    if fb and not fa:
        return b
    if fa and fb:
        if {a, b} == {"float16", "bfloat16"}:
            return "float32"
        return a if FLOAT_DTYPES.index(a) > FLOAT_DTYPES.index(b) else b
    return numpy_promote(a, b)


_keras_promote = keras_promote  # older name


def _weak(v: Value) -> bool:
    return isinstance(v, Const) and isinstance(v.value, (bool, int, float)) and not isinstance(v, Tensor)


def promote_unify(values: Sequence[Value], lib: TensorKind) -> tuple[list[Tensor | None], DType]:
    """numpy / Keras promotion over the operands; Python scalars are weak."""
    vals = [_resolve(v) for v in values]
    out: list[Tensor | None] = []
    strong: list[DType] = []
    weak: list[object] = []
    for v in vals:
        if _weak(v):
            assert isinstance(v, Const)
            weak.append(v.value)
            out.append(Tensor(Shape(()), None, "np" if lib == "np" else "tf"))
            continue
        t = convert_alone(v, "np" if lib == "np" else "tf")
        out.append(t)
        strong.append(t.dtype if t is not None else None)
    if not strong:
        # only Python scalars: the widest kind at the library's default width
        if not weak:
            return out, None
        if any(isinstance(w, float) for w in weak):
            dtype0: DType = "float64" if lib == "np" else "float32"
        elif all(isinstance(w, bool) for w in weak):
            dtype0 = "bool"
        else:
            dtype0 = "int64" if lib == "np" else "int32"
        for t in out:
            if t is not None:
                t.dtype = dtype0
        return out, dtype0
    dtype: DType = strong[0]
    for d in strong[1:]:
        dtype = numpy_promote(dtype, d) if lib == "np" else keras_promote(dtype, d)
    if dtype is not None:
        for w in weak:
            if isinstance(w, bool):
                continue
            if isinstance(w, int) and dtype == "bool":
                dtype = "int64" if lib == "np" else "int32"
            elif isinstance(w, float) and not is_float(dtype):
                dtype = "float64" if lib == "np" else "float32"
    for t in out:
        if t is not None and t.dtype is None and t.shape == Shape(()):
            t.dtype = dtype
    return out, dtype


def unify(values: Sequence[Value], lib: TensorKind, op: str, policy: Policy = "hint") -> tuple[list[Tensor | None], DType]:
    if lib == "np":
        return promote_unify(values, "np")
    if lib == "keras":
        return promote_unify(values, "keras")
    return tf_unify(values, op, policy)


def result_dtype(a: Tensor, b: Tensor, lib: TensorKind, op_text: str) -> DType:
    """Dtype of a binary op on two tensors (already converted operands)."""
    return unify([a, b], lib, op_text)[1]


def true_divide_dtype(dtype: DType, lib: TensorKind) -> DType:
    """``/`` on ints: TF gives float64 for int32/int64 and float32 for narrower ints; numpy
    float64; Keras its float type."""
    if dtype is None:
        return None
    if not (is_int(dtype) or dtype == "bool"):
        return dtype
    if lib == "np":
        return "float64"
    if lib == "keras":
        return "float32"
    return "float64" if dtype in ("int32", "int64") else "float32"


# ---------------------------------------------------------------------------------------------
# operators


def keras_operand_misuse(interp: Interpreter, left: Value, right: Value, symbol: str, lists: bool = True) -> None:
    """``numpy_array + keras_tensor`` (numpy tries to convert the KerasTensor) and
    ``keras_tensor + [1.0, 2.0]`` fail at module level; inside functions it cannot be told."""
    if interp.frames:
        return
    if isinstance(left, Tensor) and isinstance(right, Tensor) and left.kind == "np" and right.kind == "keras":
        raise ShapeError(
            f"'{symbol}': a numpy array on the left of a Keras symbolic tensor: numpy tries to "
            f"convert the KerasTensor and fails. Put the KerasTensor first, or use keras.ops",
            code="keras-tensor-in-numpy",
        )
    for v in (left, right):
        if lists and isinstance(v, Seq):
            raise ShapeError(
                f"'{symbol}': a Python {v.kind} cannot be combined with a Keras symbolic tensor "
                f"(Keras 3: 'Invalid dtype: {v.kind}'); wrap it in np.array(...) or keras.ops."
                f"convert_to_tensor",
                code="keras-tensor-list",
            )


def _cast_fix(interp: Interpreter, err: ShapeError, left: Value, right: Value, node: ast.AST) -> None:
    """Quick fix for ``a + b`` with two tf dtypes: cast the right operand to the left's dtype."""
    if err.code != "dtype-mismatch" or not isinstance(node, ast.BinOp):
        return
    if not (isinstance(left, Tensor) and isinstance(right, Tensor) and left.dtype and right.dtype):
        return
    tf_ref = interp.module_env.vars.get("tf")
    if getattr(tf_ref, "name", None) != "tf":
        return
    from ..facts import Fix, TextEdit

    r = Span.of(node.right)
    edits = (
        TextEdit(Span(r.line, r.column, r.line, r.column), "tf.cast("),
        TextEdit(Span(r.end_line, r.end_column, r.end_line, r.end_column), f", tf.{left.dtype})"),
    )
    err.fixes.append(Fix(f"Cast the right operand to {left.dtype} (tf.cast)", edits))


_KIND_RANK = {"bool": 0, "uint": 1, "int": 2, "float": 3, "bfloat": 3, "complex": 4}


def _dtype_kind(dtype: str) -> int | None:
    return next((rank for prefix, rank in _KIND_RANK.items() if dtype.rstrip("0123456789") == prefix), None)


def in_place_result(current: Tensor, result: Tensor) -> Tensor:
    """``a += b`` on a numpy array writes into ``a``: it keeps ``a``'s dtype (numpy casts the
    result back where the cast stays within its kind, and refuses a float result for an int
    array) and its shape. Where the cast is not known to be allowed the dtype is unknown."""
    dtype: DType = None
    have, got = current.dtype, result.dtype
    if have is not None and got is not None:
        h, g = _dtype_kind(have), _dtype_kind(got)
        if h is not None and g is not None and (g <= h and not (h == 1 and g == 2)):
            dtype = have
    shape = current.shape if current.shape.dims is not None else result.shape
    return Tensor(shape, dtype, result.kind, result.origin, result.label, result.content if dtype == got else None)


def tensor_binop(interp: Interpreter, op: type, left: Value, right: Value, node: ast.AST) -> Value:
    left, right = _resolve(left), _resolve(right)
    lib = library_of(left, right)
    symbol, _verb = _OP_NAMES.get(op, ("?", "operation"))
    op_text = f"'{symbol}'"
    kind = _kind(lib)
    if lib == "keras":
        keras_operand_misuse(interp, left, right, symbol)
        from .shape_ops import in_layer_context  # shape_ops imports this module

        if in_layer_context(interp) and not any(isinstance(v, KerasVariable) for v in (left, right)):
            # Keras traces a layer's methods with TF tensors (TF backend): their operators
            # follow TF's rules (`x / np.sqrt(d)` stays float32), not the KerasTensor's. A
            # keras.Variable operand converts itself to the other side's dtype (or, on the
            # left, runs keras.ops), so Keras' rules stay for those
            lib = "tf"
    try:
        (a, b), dtype = unify([left, right], lib, op_text)
    except ShapeError as err:
        _cast_fix(interp, err, left, right, node)
        raise
    if lib == "tf" and dtype == "bool" and op in _NO_BOOL:
        raise ShapeError(
            f"{op_text}: TensorFlow does not support this operation on bool tensors; cast to a "
            f"number first",
            code="dtype-mismatch",
        )
    if a is None or b is None:
        return Tensor(UNKNOWN_SHAPE, dtype if op is not ast.Div else None, kind, Span.of(node))
    if op is ast.MatMult:
        shape = matmul_shape(a.shape, b.shape, lib, "@", _related(a, b))
    else:
        try:
            shape = broadcast_shapes(a.shape, b.shape)
        except ShapeError:
            raise ShapeError(
                f"Incompatible shapes for '{symbol}': {format_shape(a.shape)} and "
                f"{format_shape(b.shape)} cannot be broadcast together",
                code="broadcast",
                related=_related(a, b),
            ) from None
    if op is ast.Div:
        dtype = true_divide_dtype(dtype, lib)
    elif lib == "np" and dtype == "bool" and op in (ast.FloorDiv, ast.Mod, ast.Pow):
        dtype = "int8"  # numpy computes these bool loops in its smallest int
    content = _int_arithmetic(op, left, right) if dtype is not None and dtype.startswith(("int", "uint")) else None
    out = Tensor(shape, dtype, kind, Span.of(node), content=content)
    return graph_node(out, symbol, left, right, node=node, operator=op)


_INT_OPS: dict[type, Callable[[int, int], int]] = {
    ast.Add: lambda x, y: x + y,
    ast.Sub: lambda x, y: x - y,
    ast.Mult: lambda x, y: x * y,
    ast.FloorDiv: lambda x, y: x // y,
    ast.Mod: lambda x, y: x % y,  # TF's and numpy's integer % take the divisor's sign, as Python's
}


def _int_arithmetic(op: type, left: Value, right: Value) -> list[Value] | None:
    """The known elements of integer arithmetic on shape values (``16000 - tf.shape(w)[0]``),
    so that a size computed from them (a pad, a reshape) stays known."""
    fn = _INT_OPS.get(op)
    xs, ys = _int_elements(left), _int_elements(right)
    if fn is None or xs is None or ys is None or not xs or not ys:
        return None
    if len(xs) != len(ys) and 1 not in (len(xs), len(ys)):
        return None
    n = max(len(xs), len(ys))
    out: list[Value] = []
    for i in range(n):
        x, y = xs[0 if len(xs) == 1 else i], ys[0 if len(ys) == 1 else i]
        if isinstance(x, int) and isinstance(y, int) and not (op in (ast.FloorDiv, ast.Mod) and y == 0):
            out.append(Const(fn(x, y)))
        else:
            out.append(Unknown(None, int))
    return out


def _int_elements(v: Value) -> list[int | None] | None:
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return [v.value]
    if isinstance(v, Tensor) and v.content is not None and v.shape.dims is not None and len(v.shape.dims) <= 1:
        return [c.value if isinstance(c, Const) and isinstance(c.value, int) and not isinstance(c.value, bool) else None
                for c in v.content]
    return None


def graph_node(
    t: Tensor, name: str, *operands: Value, node: ast.AST | None = None, operator: type | None = None
) -> Tensor:
    """A KerasTensor made by an operator is a node of the functional graph (values.OpNode);
    a binary operator's can be replayed on other inputs."""
    if t.kind == "keras":
        t.history = (OpNode(name, node, operator, operator is not None), list(operands), {}, 0, None)
    return t


def _kind(lib: TensorKind, *ts: Tensor) -> TensorKind:
    if lib == "keras":
        return "keras"
    if lib == "np":
        return "np"
    return "tf"


def _related(a: Tensor, b: Tensor) -> list[object]:
    out: list[object] = []
    for t, side in ((a, "left"), (b, "right")):
        if t.origin is not None:
            out.append(Related(t.origin, f"{side} operand {format_shape(t.shape)} comes from here"))
    return out


def tensor_compare(interp: Interpreter, left: Value, right: Value, node: ast.AST) -> Value:
    left, right = _resolve(left), _resolve(right)
    lib = library_of(left, right)
    cmp = node.ops[0] if isinstance(node, ast.Compare) and node.ops else None
    if isinstance(cmp, (ast.Eq, ast.NotEq)):
        if any(isinstance(v, Const) and v.value is None for v in (left, right)):
            return Const(isinstance(cmp, ast.NotEq))
        if lib == "keras" and isinstance(cmp, ast.Eq):
            # KerasTensor has no __eq__ of its own: ``x == y`` is a plain Python bool
            return Const(left is right) if left is right else UNKNOWN
    if isinstance(cmp, (ast.Is, ast.IsNot)):
        # a tensor is never None (``if mask is not None:``)
        if any(isinstance(v, Const) and v.value is None for v in (left, right)):
            return Const(isinstance(cmp, ast.IsNot))
        return UNKNOWN
    if isinstance(cmp, (ast.In, ast.NotIn)):
        return UNKNOWN
    if lib == "keras":
        keras_operand_misuse(interp, left, right, "comparison", lists=False)
    (a, b), dtype = unify([left, right], lib, "comparison")
    if lib == "tf" and dtype == "bool" and isinstance(node, ast.Compare) and node.ops and isinstance(
        node.ops[0], (ast.Lt, ast.LtE, ast.Gt, ast.GtE)
    ):
        raise ShapeError(
            "comparison: TensorFlow cannot order bool tensors (<, >); cast to a number first",
            code="dtype-mismatch",
        )
    if a is None or b is None:
        return Tensor(UNKNOWN_SHAPE, "bool", _kind(lib), Span.of(node))
    try:
        shape = broadcast_shapes(a.shape, b.shape)
    except ShapeError:
        raise ShapeError(
            f"Incompatible shapes for comparison: {format_shape(a.shape)} and "
            f"{format_shape(b.shape)} cannot be broadcast together",
            code="broadcast",
            related=_related(a, b),
        ) from None
    return graph_node(Tensor(shape, "bool", _kind(lib), Span.of(node)), "comparison", left, right)


def matmul_shape(a: Shape, b: Shape, lib: TensorKind, op: str, related: list[object] | None = None) -> Shape:
    """Matrix product with batch broadcasting; numpy/keras also take 1-D operands."""
    if a.dims is None or b.dims is None:
        if lib == "tf" and a.dims is not None and b.dims is None and len(a.dims) >= 2:
            return UNKNOWN_SHAPE
        return UNKNOWN_SHAPE
    da, db = list(a.dims), list(b.dims)
    if not da or not db:
        raise ShapeError(f"{op}: matrix multiplication needs at least 1-D operands, got "
                         f"{format_shape(a)} and {format_shape(b)}", code="matmul")
    if lib == "tf" and (len(da) < 2 or len(db) < 2):
        raise ShapeError(
            f"{op}: TensorFlow matmul needs rank >= 2 operands, got {format_shape(a)} and "
            f"{format_shape(b)}",
            code="matmul",
        )
    squeeze_a = squeeze_b = False
    if len(da) == 1:
        da = [1, da[0]]
        squeeze_a = True
    if len(db) == 1:
        db = [db[0], 1]
        squeeze_b = True
    k1, k2 = da[-1], db[-2]
    if isinstance(k1, int) and isinstance(k2, int) and k1 != k2:
        raise ShapeError(
            f"{op}: inner dimensions differ: {format_shape(a)} @ {format_shape(b)} "
            f"({k1} != {k2})",
            code="matmul",
            related=related,
        )
    batch_a, batch_b = da[:-2], db[:-2]
    n = max(len(batch_a), len(batch_b))
    pa = [1] * (n - len(batch_a)) + batch_a
    pb = [1] * (n - len(batch_b)) + batch_b
    try:
        batch = [broadcast_dim(x, y) for x, y in zip(pa, pb, strict=True)]
    except ShapeError:
        raise ShapeError(
            f"{op}: batch dimensions of {format_shape(a)} and {format_shape(b)} cannot be "
            f"broadcast",
            code="matmul",
            related=related,
        ) from None
    out = [*batch]
    if not squeeze_a:
        out.append(da[-2])
    if not squeeze_b:
        out.append(db[-1])
    return Shape(tuple(out))


__all__ = [
    "convert_alone",
    "convert_to",
    "keras_promote",
    "library_of",
    "matmul_shape",
    "promote_unify",
    "result_dtype",
    "tensor_binop",
    "tensor_compare",
    "tf_unify",
    "true_divide_dtype",
    "unify",
]

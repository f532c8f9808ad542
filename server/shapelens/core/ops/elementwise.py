"""Arithmetic between tensors: broadcasting, ``@``, and which dtype comes out (or which dtype
mix TensorFlow refuses), for tf tensors, numpy arrays and Keras symbolic tensors."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..convert import to_tensor
from ..facts import Related, Span
from ..shapes import (
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
from ..values import Const, Tensor, TensorKind, Value

if TYPE_CHECKING:
    from ..interpreter import Interpreter

_OP_NAMES = {
    ast.Add: ("+", "add"),
    ast.Sub: ("-", "subtract"),
    ast.Mult: ("*", "multiply"),
    ast.Div: ("/", "divide"),
    ast.FloorDiv: ("//", "floor divide"),
    ast.Mod: ("%", "mod"),
    ast.Pow: ("**", "pow"),
    ast.MatMult: ("@", "matmul"),
}


def library_of(*values: Value) -> TensorKind:
    """Which library's semantics apply: a KerasTensor anywhere makes it keras.ops; a tf
    tensor or variable makes it TensorFlow (numpy defers to tf.Tensor); else numpy."""
    kinds = {v.kind for v in values if isinstance(v, Tensor)}
    if "keras" in kinds:
        return "keras"
    if kinds & {"tf", "var", "ragged", "sparse"}:
        return "tf"
    return "np"


def _as_operand(v: Value, other: Tensor, lib: TensorKind) -> Tensor | None:
    """A non-tensor operand converted the way the library would."""
    if isinstance(v, Tensor):
        return v
    if isinstance(v, Const) and isinstance(v.value, (int, float, bool)):
        # Python scalars are "weak": they take the tensor's dtype.
        return Tensor(Shape(()), _weak_scalar_dtype(v.value, other.dtype, lib), lib)
    kind: TensorKind = "np" if lib == "np" else "tf"
    converted = to_tensor(v, kind)
    if converted is not None and lib != "np" and other.dtype is not None and converted.dtype is not None:
        if is_float(other.dtype) or is_int(converted.dtype) == is_int(other.dtype):
            converted = Tensor(converted.shape, other.dtype, kind)
    return converted


def _weak_scalar_dtype(value: object, other: DType, lib: TensorKind) -> DType:
    if other is None:
        return None
    if isinstance(value, float) and not is_float(other) and other != "bool":
        if lib == "tf":
            return "float32"  # mismatch reported by the caller
        return "float64" if lib == "np" else "float32"
    return other


def result_dtype(a: Tensor, b: Tensor, lib: TensorKind, op_text: str) -> DType:
    da, db = a.dtype, b.dtype
    if da is None or db is None:
        return None
    if da == db:
        return da
    if lib == "np":
        return numpy_promote(da, db)
    if lib == "keras":
        return _keras_promote(da, db)
    raise ShapeError(
        f"{op_text}: TensorFlow does not mix dtypes: {da} {format_shape(a.shape)} and "
        f"{db} {format_shape(b.shape)}; cast one side first (tf.cast)",
        code="dtype-mismatch",
    )


def _keras_promote(a: str, b: str) -> DType:
    if is_float(a) and not is_float(b):
        return a
    if is_float(b) and not is_float(a):
        return b
    return numpy_promote(a, b)


def tensor_binop(interp: Interpreter, op: type, left: Value, right: Value, node: ast.AST) -> Value:
    lib = library_of(left, right)
    anchor = left if isinstance(left, Tensor) else right
    assert isinstance(anchor, Tensor)
    a = _as_operand(left, anchor, lib)
    b = _as_operand(right, anchor, lib)
    symbol, verb = _OP_NAMES.get(op, ("?", "operation"))
    if a is None or b is None:
        return Tensor(UNKNOWN_SHAPE, None, "tf" if lib == "keras" and False else _kind(lib), Span.of(node))
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
    if lib == "tf" and isinstance(left, Const) != isinstance(right, Const):
        scalar = left if isinstance(left, Const) else right
        tensor = b if isinstance(left, Const) else a
        if (
            isinstance(scalar, Const)
            and isinstance(scalar.value, float)
            and not scalar.value.is_integer()
            and is_int(tensor.dtype)
        ):
            raise ShapeError(
                f"'{symbol}': cannot convert {scalar.value!r} to a tensor of dtype "
                f"{tensor.dtype}; cast the tensor to float first",
                code="dtype-mismatch",
            )
        dtype = tensor.dtype
    else:
        dtype = result_dtype(a, b, lib, f"'{symbol}'")
    if op is ast.Div and lib in ("np", "keras") and (is_int(dtype) or dtype == "bool"):
        dtype = "float64" if lib == "np" else "float32"
    if op is ast.Div and lib == "tf" and is_int(dtype):
        dtype = "float64" if dtype in ("int32", "int64") else "float32"
    del verb
    return Tensor(shape, dtype, _kind(lib, a, b), Span.of(node))


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
    lib = library_of(left, right)
    anchor = left if isinstance(left, Tensor) else right
    assert isinstance(anchor, Tensor)
    a = _as_operand(left, anchor, lib)
    b = _as_operand(right, anchor, lib)
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
    return Tensor(shape, "bool", _kind(lib), Span.of(node))


def matmul_shape(a: Shape, b: Shape, lib: TensorKind, op: str, related: list[object] | None = None) -> Shape:
    """Matrix product with batch broadcasting; numpy/keras also take 1-D operands."""
    if a.dims is None or b.dims is None:
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

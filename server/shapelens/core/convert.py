"""Turning Python values into tensors: nested literals, scalars, arrays, with each library's
default dtypes (numpy: int64/float64; TensorFlow: int32/float32)."""

from __future__ import annotations

from .shapes import UNKNOWN_SHAPE, DType, Shape
from .values import Const, Seq, Tensor, TensorKind, Unknown, Value, join


def literal_shape_dtype(v: Value) -> tuple[Shape, str | None] | None:
    """Shape and element kind ('bool'|'int'|'float'|'complex'|'str') of a nested literal;
    None when it is not a rectangular literal of numbers (or of tensors)."""
    if isinstance(v, Const):
        val = v.value
        if isinstance(val, bool):
            return Shape(()), "bool"
        if isinstance(val, int):
            return Shape(()), "int"
        if isinstance(val, float):
            return Shape(()), "float"
        if isinstance(val, complex):
            return Shape(()), "complex"
        if isinstance(val, (str, bytes)):
            return Shape(()), "str"
        return None
    if isinstance(v, Tensor):
        return v.shape, v.dtype
    if isinstance(v, Unknown) and v.pytype is not None:
        kind = _PY_KINDS.get(v.pytype)
        return (Shape(()), kind) if kind is not None else None
    if isinstance(v, Seq):
        n = v.size()
        if v.items is not None:
            if not v.items:
                return Shape((0,)), "float"
            parts = [literal_shape_dtype(i) for i in v.items]
            if any(p is None for p in parts):
                return None
            shapes = [p[0] for p in parts if p is not None]
            kinds = [p[1] for p in parts if p is not None]
            first = shapes[0]
            if any(s != first for s in shapes[1:]):
                if all(s.rank == first.rank for s in shapes):
                    joined = Tensor(first)
                    for s in shapes[1:]:
                        j = join(joined, Tensor(s))
                        assert isinstance(j, Tensor)
                        joined = j
                    inner = joined.shape
                else:
                    return None
            else:
                inner = first
            if kinds[0] is not None and kinds[0] not in _PY_KINDS.values() and all(k == kinds[0] for k in kinds):
                kind = kinds[0]  # arrays of one dtype stack in it (a list of float64 arrays)
            else:
                kind = _widest(kinds)
            if inner.dims is None:
                return UNKNOWN_SHAPE, kind
            return Shape((len(v.items), *inner.dims)), kind
        elem = literal_shape_dtype(v.elem)
        if elem is None:
            return None
        inner, kind = elem
        if inner.dims is None:
            return UNKNOWN_SHAPE, kind
        return Shape((n, *inner.dims)), kind
    return None


_KIND_ORDER = ("bool", "int", "float", "complex")
_PY_KINDS: dict[type, str] = {bool: "bool", int: "int", float: "float", complex: "complex", str: "str"}


def _widest(kinds: list[str | None]) -> str | None:
    if any(k is None for k in kinds):
        return None
    if all(k == "str" for k in kinds):
        return "str"
    if any(k == "str" for k in kinds):
        return None
    best = "bool"
    for k in kinds:
        assert k is not None
        if k in _KIND_ORDER:
            if _KIND_ORDER.index(k) > _KIND_ORDER.index(best):
                best = k
        else:
            # a tensor dtype among literals: map to its kind
            kk = "float" if k.startswith(("float", "bfloat")) else "int" if "int" in k else (
                "bool" if k == "bool" else "complex" if k.startswith("complex") else "str"
            )
            if kk == "str":
                return None
            if _KIND_ORDER.index(kk) > _KIND_ORDER.index(best):
                best = kk
    return best


NUMPY_DEFAULTS = {"bool": "bool", "int": "int64", "float": "float64", "complex": "complex128", "str": "string"}
TF_DEFAULTS = {"bool": "bool", "int": "int32", "float": "float32", "complex": "complex128", "str": "string"}


def to_tensor(
    v: Value,
    kind: TensorKind = "tf",
    dtype: DType = None,
    defaults: dict[str, str] | None = None,
) -> Tensor | None:
    """Convert a value the way ``np.array``/``tf.constant`` would; None when unknown."""
    if isinstance(v, Tensor):
        if dtype is not None or kind != v.kind:
            return Tensor(v.shape, dtype or v.dtype, kind, v.origin, v.label)
        return v
    got = literal_shape_dtype(v)
    if got is None:
        return None
    shape, elem = got
    if dtype is None and elem is not None:
        table = defaults or (NUMPY_DEFAULTS if kind == "np" else TF_DEFAULTS)
        dtype = table.get(elem, elem) if elem in table else elem
    return Tensor(shape, dtype, kind)


__all__ = ["NUMPY_DEFAULTS", "TF_DEFAULTS", "literal_shape_dtype", "to_tensor"]

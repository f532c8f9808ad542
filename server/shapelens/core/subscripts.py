"""Indexing and slicing: ``x[0]``, ``x[:, :2]``, ``x[..., None]``, ``x[mask]``, dict and list
lookups, and ``x.shape[-1]``."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .facts import Span
from .shapes import Dim, Shape, ShapeError, format_shape
from .values import (
    UNKNOWN,
    Const,
    DictVal,
    Seq,
    SliceVal,
    Tensor,
    Value,
    as_int,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


def subscript(interp: Interpreter, obj: Value, index: Value, node: ast.AST) -> Value:
    if isinstance(obj, Tensor):
        return tensor_index(obj, index, node)
    if isinstance(obj, Seq):
        return seq_index(obj, index)
    if isinstance(obj, DictVal):
        if isinstance(index, Const):
            try:
                return obj.items.get(index.value, UNKNOWN)
            except TypeError:
                return UNKNOWN
        return UNKNOWN
    if isinstance(obj, Const) and isinstance(obj.value, (str, bytes, tuple)):
        key = _py_index(index)
        if key is not None:
            try:
                return Const(obj.value[key])
            except (IndexError, TypeError):
                return UNKNOWN
    return UNKNOWN


def _py_index(index: Value) -> int | slice | None:
    if isinstance(index, Const) and isinstance(index.value, int):
        return index.value
    if isinstance(index, SliceVal):
        parts = [_opt_int(index.lower), _opt_int(index.upper), _opt_int(index.step)]
        if any(p is False for p in parts):
            return None
        return slice(*parts)  # type: ignore[arg-type]
    return None


def _opt_int(v: Value) -> int | None | bool:
    if isinstance(v, Const) and v.value is None:
        return None
    i = as_int(v)
    return False if i is None else i


def seq_index(obj: Seq, index: Value) -> Value:
    key = _py_index(index)
    if obj.items is None:
        if isinstance(key, slice):
            return Seq(None, obj.kind, obj.elem)
        return obj.elem
    if key is None:
        return obj.element_join()
    try:
        got = obj.items[key]
    except IndexError:
        return UNKNOWN
    if isinstance(key, slice):
        return Seq(list(got), obj.kind)  # type: ignore[arg-type]
    return got  # type: ignore[return-value]


def slice_length(dim: Dim, sl: SliceVal) -> Dim:
    lower, upper, step = _opt_int(sl.lower), _opt_int(sl.upper), _opt_int(sl.step)
    if step is False or step == 0:
        return None
    if isinstance(dim, int):
        if lower is False or upper is False:
            return None
        return len(range(*slice(lower, upper, step).indices(dim)))  # type: ignore[arg-type]
    if lower is None and upper is None and step in (None, 1):
        return dim
    return None


def tensor_index(t: Tensor, index: Value, node: ast.AST) -> Value:
    dims = t.shape.dims
    parts = index.items if isinstance(index, Seq) and index.kind == "tuple" and index.items is not None else [index]
    if dims is None:
        return Tensor(Shape(None), t.dtype, t.kind, Span.of(node), t.label)
    consumed = sum(
        1
        for p in parts
        if not (isinstance(p, Const) and (p.value is None or p.value is Ellipsis))
    )
    out: list[Dim] = []
    axis = 0
    for p in parts:
        if isinstance(p, Const) and p.value is Ellipsis:
            skip = len(dims) - consumed
            if skip < 0:
                return _unknown(t, node)
            out.extend(dims[axis : axis + skip])
            axis += skip
            continue
        if isinstance(p, Const) and p.value is None:
            out.append(1)
            continue
        if axis >= len(dims):
            raise ShapeError(
                f"too many indices for tensor of shape {format_shape(t.shape)}: "
                f"{len(dims)} dimensions, but {consumed} were indexed",
                code="index-out-of-range",
            )
        dim = dims[axis]
        if isinstance(p, SliceVal):
            out.append(slice_length(dim, p))
        elif isinstance(p, Const) and isinstance(p.value, int) and not isinstance(p.value, bool):
            if isinstance(dim, int) and not -dim <= p.value < dim:
                raise ShapeError(
                    f"index {p.value} is out of bounds for axis {axis} with size {dim} "
                    f"(tensor of shape {format_shape(t.shape)})",
                    code="index-out-of-range",
                )
        elif isinstance(p, Tensor):
            if p.dtype == "bool":
                if p.shape.dims is None:
                    return _unknown(t, node)
                out.append(None)
                axis += len(p.shape.dims)
                continue
            if p.shape.dims is None:
                return _unknown(t, node)
            if t.kind != "np":
                return _unknown(t, node)
            out.extend(p.shape.dims)
        elif isinstance(p, Seq) and t.kind == "np":
            n = p.size()
            out.append(n)
        else:
            # an unknown index may be an int, a slice or an index array: rank unknown
            return _unknown(t, node)
        axis += 1
    out.extend(dims[axis:])
    return Tensor(Shape(tuple(out)), t.dtype, t.kind, Span.of(node), t.label)


def _unknown(t: Tensor, node: ast.AST) -> Value:
    return Tensor(Shape(None), t.dtype, t.kind, Span.of(node), t.label)

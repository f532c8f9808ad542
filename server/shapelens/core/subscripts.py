"""Indexing and slicing: ``x[0]``, ``x[:, :2]``, ``x[::-1]``, ``x[..., None]``, ``x[np.newaxis]``,
``x[mask]``, numpy integer-array indexing (``x[[0, 2], :, idx]``), dict and list lookups, and
``x.shape[-1]`` / ``tf.shape(x)[0]`` (the elements of a ``tf.shape`` vector stay known).

Certain errors: an int index out of bounds of a known dim (also inside a literal index list),
too many indices, two ellipses, float indices, index arrays that cannot broadcast together.
TensorFlow reads a list of ints as a tuple of indices (``t[[0, 1]]`` is ``t[0, 1]``); other
integer-array indexing of tf tensors is left unknown."""

from __future__ import annotations

import ast
import math
from typing import TYPE_CHECKING

from .facts import Span
from .namedtuples import tuple_view
from .shapes import Dim, Shape, ShapeError, format_shape
from .values import (
    COMMAND_LINE_ARGS,
    UNKNOWN,
    BoundedInt,
    Const,
    DictVal,
    LibRef,
    OpNode,
    Seq,
    SliceVal,
    Tensor,
    Unknown,
    Value,
    as_int,
    const_value,
    integer_scalar,
    join,
    scalar_type,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


def subscript(interp: Interpreter, obj: Value, index: Value, node: ast.AST) -> Value:
    if isinstance(obj, Tensor):
        if obj.kind == "np" and obj.shape.dims == () and obj.dtype in (None, "string", "object"):
            # a numpy string scalar (an element of a string array) is a Python str
            return UNKNOWN
        if obj.kind == "keras" and not interp.frames:
            _keras_mask_check(obj, index)
        out = tensor_index(obj, index, node)
        if obj.kind == "keras" and isinstance(out, Tensor) and out.kind == "keras":
            # a node of the functional graph: a model's replay on other data slices again
            out.history = (OpNode("subscript", node, None, True), [obj, index], {}, 0, None)
        return out
    if isinstance(obj, Seq):
        return seq_index(obj, index)
    if isinstance(obj, DictVal):
        if isinstance(index, Const):
            try:
                found = obj.items.get(index.value)
            except TypeError:
                return UNKNOWN
            if found is not None:
                return found
            # not one of the known keys: if it is there at all, it was stored under a key the
            # engine could not name
            return obj.others if obj.others is not None and not obj.complete else UNKNOWN
        return _any_value(obj)
    if isinstance(obj, LibRef) and obj.name in ("np.mgrid", "np.ogrid"):
        return _index_grid(obj.name == "np.ogrid", index, node)
    if (
        isinstance(obj, LibRef) and obj.name == "sys.argv" and isinstance(index, SliceVal)
        and const_value(index.lower) == 1 and const_value(index.upper) is None and const_value(index.step) is None
    ):
        return LibRef(COMMAND_LINE_ARGS)  # what parse_args() reads when given nothing
    view = tuple_view(interp, obj)
    if view is not None:
        return seq_index(view, index)
    return _sequence_item(obj, index)


def _grid_axis(part: Value) -> tuple[Dim, bool] | None:
    """The length of one ``start:stop:step`` of ``np.mgrid`` (a complex step ``5j`` asks for that
    many points, ends included) and whether it makes floats."""
    if not isinstance(part, SliceVal):
        return None
    raw: list[object] = []
    for b in (part.lower, part.upper, part.step):
        if not isinstance(b, Const) or isinstance(b.value, bool):
            return None  # a bound the engine does not know: neither length nor dtype is certain
        raw.append(b.value)
    start = 0 if raw[0] is None else raw[0]
    stop = raw[1]
    step = 1 if raw[2] is None else raw[2]
    if isinstance(step, complex):
        return int(abs(step)), True
    if not all(isinstance(b, (int, float)) for b in (start, stop, step)) or step == 0:
        return None
    lo, hi, by = float(start), float(stop), float(step)  # type: ignore[arg-type]
    floats = any(isinstance(b, float) for b in (start, stop, step))
    if isinstance(stop, int) and isinstance(start, int) and isinstance(step, int) and (stop - start) * step < 0:
        return None  # numpy refuses an empty integer range here ("negative dimensions")
    return max(0, math.ceil((hi - lo) / by)), floats


def _index_grid(open_grid: bool, index: Value, node: ast.AST) -> Value:
    """``np.mgrid[0:h, 0:w]``: one ``(2, h, w)`` array of coordinates; ``np.ogrid``: a list of
    ``(h, 1)`` and ``(1, w)`` arrays. A single slice gives one 1-D array either way."""
    tupled = isinstance(index, Seq) and index.kind == "tuple"
    parts = index.items if isinstance(index, Seq) and tupled else [index]
    if parts is None or not parts:
        return UNKNOWN
    axes = [_grid_axis(p) for p in parts]
    if any(a is None for a in axes):
        return UNKNOWN
    dims = [a[0] for a in axes if a is not None]
    dtype = "float64" if any(a[1] for a in axes if a is not None) else "int64"
    span = Span.of(node)
    if not tupled:  # a bare slice; `np.mgrid[0:5,]` is a grid of one axis
        return Tensor(Shape((dims[0],)), dtype, "np", span)
    if not open_grid:
        return Tensor(Shape((len(dims), *dims)), dtype, "np", span)
    return Seq(
        [Tensor(Shape(tuple(d if j == i else 1 for j in range(len(dims)))), dtype, "np", span) for i, d in enumerate(dims)],
        "tuple",
    )


def _any_value(d: DictVal) -> Value:
    """``d[key]`` with a key the engine does not know: one of the values, so what they all share."""
    values = list(d.items.values())
    if not d.complete:
        if d.others is None:
            return UNKNOWN
        values.append(d.others)
    if not values:
        return UNKNOWN
    out = values[0]
    for v in values[1:]:
        out = join(out, v)
    return out


def _sequence_item(obj: Value, index: Value) -> Value:
    if isinstance(obj, Const) and isinstance(obj.value, (str, bytes, tuple)):
        key = _py_index(index)
        if key is not None:
            try:
                return Const(obj.value[key])
            except (IndexError, TypeError):
                return UNKNOWN
    if scalar_type(obj) is str and (isinstance(index, SliceVal) or scalar_type(index) is int):
        return Unknown(None, str)  # a piece of a string is a string
    return UNKNOWN


def _keras_mask_check(t: Tensor, index: Value) -> None:
    """A KerasTensor cannot be indexed by a boolean mask (Keras 3: "Unsupported key type for
    array slice"); certain at module level, where the value is a real KerasTensor."""
    parts = index.items if isinstance(index, Seq) and index.items is not None else [index]
    for p in parts:
        if isinstance(p, Tensor) and p.dtype == "bool":
            raise ShapeError(
                f"a Keras symbolic tensor of shape {format_shape(t.shape)} cannot be indexed by a "
                f"boolean mask; use keras.ops.where, or do it inside a layer",
                code="index",
            )


def _py_index(index: Value) -> int | slice | None:
    if isinstance(index, Const) and isinstance(index.value, int):
        return index.value
    if isinstance(index, SliceVal):
        parts = [_opt_int(index.lower), _opt_int(index.upper), _opt_int(index.step)]
        if any(p is False for p in parts) or parts[2] == 0:
            return None
        return slice(*parts)  # type: ignore[arg-type]
    return None


def _slice_bound(key: slice, at_most: int | None) -> int | None:
    """At most how many items ``s[key]`` has when ``s`` has an unknown length (at most
    ``at_most``): ``s[:k]`` and ``s[-k:]`` have at most k."""
    start, stop = key.start, key.stop
    bound: int | None = None
    if key.step in (None, 1):
        if stop is not None and stop >= 0 and (start is None or start >= 0):
            bound = max(0, stop - (start or 0))
        elif start is not None and start < 0 and (stop is None or stop < 0):
            bound = max(0, (stop or 0) - start)
    if at_most is None:
        return bound
    return at_most if bound is None else min(bound, at_most)


def _opt_int(v: Value) -> int | bool | None:
    if isinstance(v, Const) and v.value is None:
        return None
    i = as_int(v)
    return False if i is None else i


def seq_index(obj: Seq, index: Value) -> Value:
    key = _py_index(index)
    if obj.items is None:
        if isinstance(key, slice):
            if obj.length is not None:
                return Seq(None, obj.kind, obj.elem, len(range(obj.length)[key]))
            return Seq(None, obj.kind, obj.elem, at_most=_slice_bound(key, obj.at_most))
        return obj.elem
    if key is None:
        if isinstance(index, SliceVal):  # bounds or step not known: some of the items
            return Seq(None, obj.kind, obj.element_join())
        return obj.element_join()
    try:
        got = obj.items[key]
    except IndexError:
        return UNKNOWN
    if isinstance(key, slice):
        return Seq(list(got), obj.kind, tensor_shape=obj.tensor_shape)  # type: ignore[arg-type]
    return got  # type: ignore[return-value]


def slice_length(dim: Dim, sl: SliceVal) -> Dim:
    lower, upper, step = _opt_int(sl.lower), _opt_int(sl.upper), _opt_int(sl.step)
    if step is False or step == 0:
        return None
    if isinstance(dim, int):
        if lower is False or upper is False:
            return _window_length(dim, sl) if step in (None, 1) else None
        return len(range(*slice(lower, upper, step).indices(dim)))  # type: ignore[arg-type]
    if lower is None and upper is None and step in (None, 1):
        return dim
    return None


def _window_length(dim: int, sl: SliceVal) -> int | None:
    """``x[i:i + k]`` / ``x[i - k:i]`` with ``i`` a loop variable over a range that keeps both
    ends inside ``0..dim``: every iteration takes exactly ``k`` items."""
    lo, hi = sl.lower, sl.upper
    if isinstance(lo, BoundedInt) and isinstance(hi, BoundedInt) and lo.related_to(hi):
        k = hi.offset - lo.offset
        if k >= 0 and lo.lo >= 0 and hi.hi <= dim:
            return k
    return None


_NEWAXIS = ("np.newaxis", "tf.newaxis", "numpy.newaxis")


def _normalize_index(v: Value) -> Value:
    """``np.newaxis`` / ``tf.newaxis`` are ``None``."""
    if isinstance(v, LibRef) and v.name in _NEWAXIS:
        return Const(None)
    return v


def _is_newaxis(p: Value) -> bool:
    return isinstance(p, Const) and p.value is None


def _is_ellipsis(p: Value) -> bool:
    return isinstance(p, Const) and p.value is Ellipsis


def _is_int_const(p: Value) -> bool:
    return isinstance(p, Const) and isinstance(p.value, int) and not isinstance(p.value, bool)


def _is_scalar_int_tensor(p: Value) -> bool:
    return isinstance(p, Tensor) and integer_scalar(p)


def _consumes(p: Value) -> int | None:
    """How many axes of the indexed tensor an index item uses (None: unknown)."""
    if _is_newaxis(p) or _is_ellipsis(p):
        return 0
    if isinstance(p, Tensor) and p.dtype == "bool":
        return p.shape.rank
    return 1


def tensor_index(t: Tensor, index: Value, node: ast.AST) -> Value:
    """``x[...]`` on an array or tensor: basic indexing (ints, slices, ``None``, ``...``),
    boolean masks, and numpy's advanced (integer array) indexing."""
    dims = t.shape.dims
    index = _normalize_index(index)
    if isinstance(index, Seq) and index.kind == "tuple" and index.items is not None:
        parts = [_normalize_index(p) for p in index.items]
    elif (
        isinstance(index, Seq)
        and index.kind == "list"
        and index.items is not None
        and t.kind != "np"
        and index.items
        and all(_is_int_const(p) for p in index.items)
    ):
        # TensorFlow reads a list of ints as a tuple of indices: x[[0, 1]] is x[0, 1]
        parts = list(index.items)
    else:
        parts = [index]
    if sum(1 for p in parts if _is_ellipsis(p)) > 1:
        raise ShapeError("an index can only have a single ellipsis ('...')", code="index")
    for p in parts:
        if isinstance(p, Const) and isinstance(p.value, float):
            raise ShapeError(
                f"only integers, slices, ellipsis and None are valid indices, got {p.value!r}",
                code="index",
            )
    if dims is None:
        return Tensor(Shape(None), t.dtype, t.kind, Span.of(node), t.label)
    counts = [_consumes(p) for p in parts]
    if any(c is None for c in counts):
        return _unknown(t, node)
    consumed = sum(c for c in counts if c is not None)
    if consumed > len(dims):
        raise ShapeError(
            f"too many indices for tensor of shape {format_shape(t.shape)}: "
            f"{len(dims)} dimensions, but {consumed} were indexed",
            code="index-out-of-range",
        )
    advanced = any(
        isinstance(p, Seq) or (isinstance(p, Tensor) and p.dtype != "bool" and p.shape.dims != ())
        for p in parts
    )
    if advanced and t.kind == "np":
        return _advanced_index(t, parts, consumed, node)
    if advanced:
        return _unknown(t, node)
    out: list[Dim] = []
    content: list[Value] | None = [] if t.content is not None and len(dims) == 1 else None
    axis = 0
    for p in parts:
        if _is_ellipsis(p):
            skip = len(dims) - consumed
            out.extend(dims[axis : axis + skip])
            axis += skip
            continue
        if _is_newaxis(p):
            out.append(1)
            content = None
            continue
        if axis >= len(dims) or (isinstance(p, Tensor) and p.dtype == "bool" and p.shape.dims == ()):
            return _unknown(t, node)
        dim = dims[axis]
        if isinstance(p, SliceVal):
            out.append(slice_length(dim, p))
            if content is not None and t.content is not None:
                key = _py_index(p)
                content = list(t.content[key]) if isinstance(key, slice) and len(t.content) == dim else None
        elif _is_int_const(p):
            assert isinstance(p, Const)
            _check_bounds(p.value, axis, dim, t)
            if content is not None and t.content is not None and len(t.content) == dim:
                content = [t.content[p.value]]
            else:
                content = None
        elif _is_scalar_int_tensor(p) or (isinstance(p, Unknown) and p.pytype is int):
            content = None
        elif isinstance(p, Tensor) and p.dtype == "bool":
            if p.shape.dims is None:
                return _unknown(t, node)
            for a, b in zip(dims[axis : axis + len(p.shape.dims)], p.shape.dims, strict=False):
                if isinstance(a, int) and isinstance(b, int) and a != b:
                    raise ShapeError(
                        f"boolean index of shape {format_shape(p.shape)} does not match the indexed "
                        f"tensor of shape {format_shape(t.shape)}",
                        code="index",
                    )
            out.append(None)
            axis += len(p.shape.dims)
            content = None
            continue
        else:
            # an unknown index may be an int, a slice or an index array: rank unknown
            return _unknown(t, node)
        axis += 1
    out.extend(dims[axis:])
    result = Tensor(Shape(tuple(out)), t.dtype, t.kind, Span.of(node), t.label, content)
    result.value_range = t.value_range  # a part of the array: its values are some of the array's
    return result


def _check_bounds(i: int, axis: int, dim: Dim, t: Tensor) -> None:
    if isinstance(dim, int) and not -dim <= i < dim:
        raise ShapeError(
            f"index {i} is out of bounds for axis {axis} with size {dim} "
            f"(tensor of shape {format_shape(t.shape)})",
            code="index-out-of-range",
        )


def _advanced_index(t: Tensor, parts: list[Value], consumed: int, node: ast.AST) -> Value:
    """numpy advanced indexing: the index arrays broadcast together; their shape replaces the
    indexed axes in place when they are adjacent, else goes first."""
    from .convert import to_tensor
    from .shapes import broadcast_shapes

    dims = t.shape.dims
    assert dims is not None
    out: list[Dim | object] = []
    marker = object()
    adv_shapes: list[Shape] = []
    adv_slots: list[int] = []  # positions in parts of advanced items
    axis = 0
    for n, p in enumerate(parts):
        if _is_ellipsis(p):
            skip = len(dims) - consumed
            out.extend(dims[axis : axis + skip])
            axis += skip
            continue
        if _is_newaxis(p):
            out.append(1)
            continue
        if axis >= len(dims) or (isinstance(p, Tensor) and p.dtype == "bool" and p.shape.dims == ()):
            return _unknown(t, node)
        dim = dims[axis]
        if isinstance(p, SliceVal):
            out.append(slice_length(dim, p))
            axis += 1
            continue
        if _is_int_const(p):
            assert isinstance(p, Const)
            _check_bounds(p.value, axis, dim, t)
            adv_shapes.append(Shape(()))
        elif isinstance(p, Tensor) and p.dtype == "bool":
            if p.shape.dims is None:
                return _unknown(t, node)
            adv_shapes.append(Shape((None,)))
            axis += len(p.shape.dims) - 1
        elif isinstance(p, (Tensor, Seq)):
            for value in _literal_ints(p):
                _check_bounds(value, axis, dim, t)
            arr = to_tensor(p, "np")
            if arr is None or arr.shape.dims is None:
                return _unknown(t, node)
            if arr.dtype == "bool":
                adv_shapes.append(Shape((None,)))
                axis += len(arr.shape.dims) - 1
            else:
                if arr.dtype is not None and "int" not in arr.dtype and arr.shape.dims != (0,):
                    raise ShapeError(
                        f"arrays used as indices must be of integer (or boolean) type, got "
                        f"{arr.dtype}",
                        code="index",
                    )
                adv_shapes.append(arr.shape)
        else:
            return _unknown(t, node)
        if not adv_slots or adv_slots[-1] != n - 1:
            out.append(marker)
        adv_slots.append(n)
        axis += 1
    out.extend(dims[axis:])
    try:
        b = Shape(())
        for s in adv_shapes:
            b = broadcast_shapes(b, s)
    except ShapeError:
        raise ShapeError(
            "shape mismatch: indexing arrays could not be broadcast together with shapes "
            + " ".join(format_shape(s) for s in adv_shapes),
            code="index",
        ) from None
    if b.dims is None:
        return _unknown(t, node)
    n_markers = sum(1 for o in out if o is marker)
    final: list[Dim] = []
    rest: list[Dim] = []
    for o in out:
        if o is marker:
            if n_markers == 1:
                final.extend(b.dims)
        else:
            assert o is None or isinstance(o, (int, str))
            (final if n_markers == 1 else rest).append(o)
    if n_markers != 1:
        final = [*b.dims, *rest]
    return Tensor(Shape(tuple(final)), t.dtype, t.kind, Span.of(node), t.label)


def _literal_ints(v: Value) -> list[int]:
    """The known int entries of a (nested) list literal used as an index array."""
    if _is_int_const(v):
        assert isinstance(v, Const)
        return [v.value]
    if isinstance(v, Seq) and v.items is not None:
        return [i for item in v.items for i in _literal_ints(item)]
    if isinstance(v, Tensor) and v.content is not None:
        return [i for item in v.content for i in _literal_ints(item)]
    return []


def _unknown(t: Tensor, node: ast.AST) -> Value:
    return Tensor(Shape(None), t.dtype, t.kind, Span.of(node), t.label)


def _basic_index(index: Value) -> bool:
    """Ints, slices, ``...`` and ``None`` only (numpy's basic indexing: a view of known shape)."""
    parts = index.items if isinstance(index, Seq) and index.kind == "tuple" else [index]
    if parts is None:
        return False
    return all(
        isinstance(p, SliceVal) or (isinstance(p, Const) and (p.value is None or p.value is Ellipsis or (isinstance(p.value, int) and not isinstance(p.value, bool))))
        for p in parts
    )


def check_item_assignment(array: Tensor, index: Value, value: Value, node: ast.AST) -> None:
    """``a[index] = value`` on a numpy array: the value must broadcast to the part it replaces
    (leading axes of size 1 are dropped first), as numpy requires. A list or tuple literal
    (``img[r0:r1, c0:c1] = (1.0, 0.2, 0.2)``) is the array numpy makes of it."""
    if isinstance(value, Seq) and value.items is not None:
        from .convert import to_tensor

        value = to_tensor(value, "np") or value
    if not isinstance(value, Tensor) or value.kind not in ("np", "tf") or not _basic_index(index):
        return
    part = tensor_index(array, index, node)
    if not isinstance(part, Tensor):
        return
    target, given = part.shape.dims, value.shape.dims
    if target is None or given is None or not all(isinstance(d, int) for d in (*target, *given)):
        return
    v = list(given)
    while len(v) > len(target) and v[0] == 1:
        v.pop(0)
    fits = len(v) <= len(target) and all(a in (1, b) for a, b in zip(reversed(v), reversed(target), strict=False))
    if not fits:
        raise ShapeError(
            f"could not broadcast input array from shape {format_shape(value.shape)} into shape "
            f"{format_shape(part.shape)} (the part of the array this assignment replaces)",
            code="broadcast",
        )

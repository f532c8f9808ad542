"""Python builtins the engine evaluates: len, range, zip, enumerate, int, min/max, list/tuple,
so that dimension arithmetic like ``len(class_names)`` or ``range(num_blocks)`` stays known."""

from __future__ import annotations

import ast
import builtins
import collections
import io
import itertools
from typing import TYPE_CHECKING, Literal, TypeVar

from .keras3_backend import has_name, is_keras3_backend
from .namedtuples import tuple_view
from .registry import Call, attribute, function, method
from .shapes import Shape
from .values import (
    UNKNOWN,
    AutoName,
    BoundedInt,
    BoundMethod,
    ClassVal,
    Const,
    DatasetVal,
    DictVal,
    DimOf,
    FunctionVal,
    Instance,
    LayerVal,
    LibRef,
    ModelVal,
    PartialVal,
    Seq,
    SeqLength,
    SliceVal,
    Tensor,
    Unknown,
    Value,
    as_int,
    detached,
    integer_scalar,
    join,
    scalar_type,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter

BUILTIN_NAMES = frozenset(n for n in dir(builtins) if not n.startswith("_")) | {"__name__", "__file__"}

RANGE_ITEMS_LIMIT = 256

V = TypeVar("V", bound=Value)


@function("builtins.len")
def _len(call: Call) -> Value:
    v = call.arg(0)
    if isinstance(v, Seq):
        n = v.size()
        return Const(n) if n is not None else SeqLength(None, int, seq=v)
    if isinstance(v, DictVal):
        return Const(len(v.items)) if v.complete else Unknown(None, int)
    if isinstance(v, Const) and isinstance(v.value, (str, bytes)):
        return Const(len(v.value))
    if isinstance(v, Tensor) and v.shape.dims:
        d = v.shape.dims[0]
        if isinstance(d, int):
            return Const(d)
        if isinstance(d, str):
            return Unknown(d, int)
        return DimOf(None, int, v, 0)
    if isinstance(v, DatasetVal) and v.cardinality is not None:
        return Const(v.cardinality)
    view = tuple_view(call.interp, v) if v is not None else None
    if view is not None and view.items is not None:
        return Const(len(view.items))
    return Unknown(None, int) if v is not None else UNKNOWN


@function("builtins.range")
def _range(call: Call) -> Value:
    ints = [as_int(a) for a in call.args]
    if not ints or any(i is None for i in ints) or len(ints) > 3:
        return Seq(None, "list", Unknown(None, int))
    try:
        r = builtins.range(*ints)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return UNKNOWN
    if len(r) <= RANGE_ITEMS_LIMIT:
        return Seq([Const(i) for i in r], "list")
    return Seq(None, "list", BoundedInt(None, int, min(r[0], r[-1]), max(r[0], r[-1])), len(r))


@function("builtins.enumerate")
def _enumerate(call: Call) -> Value:
    v = call.arg(0)
    start = call.int(1, "start", 0) or 0
    size = _size(v) if v is not None else None
    items = call.interp.iteration_items(v) if v is not None else None
    if items is not None:
        return _iterator(Seq([Seq([Const(i + start), it], "tuple") for i, it in enumerate(items)], "list"))
    if v is None:
        return UNKNOWN
    return _iterator(Seq(None, "list", Seq([Unknown(None, int), _element(v)], "tuple"), size))


@function("builtins.zip")
def _zip(call: Call) -> Value:
    seqs = call.args
    # lists and tuples, dicts (their keys), short strings
    known = [items for s in seqs if (items := call.interp.iteration_items(s)) is not None]
    if seqs and len(known) == len(seqs):
        n = min(len(items) for items in known)
        return _iterator(Seq([Seq([items[i] for items in known], "tuple") for i in range(n)], "list"))
    return _iterator(Seq(None, "list", Seq([_element(s) for s in seqs], "tuple")))


def transposed(interp: Interpreter, rows: Seq) -> Value:
    """``zip(*rows)`` of a list whose items are not known one by one but are all tuples of
    the same known width: that many tuples, each as long as ``rows``."""
    interp.consume(rows)
    row = rows.elem
    n = rows.size()
    if not isinstance(row, Seq):
        return _iterator(Seq(None, "list", UNKNOWN))
    if row.kind != "tuple" or row.items is None or not n:
        # how many columns (none at all for no rows) is not known: each holds joined items
        return _iterator(Seq(None, "list", Seq(None, "tuple", row.element_join())))
    columns: list[Value] = [Seq(None, "tuple", item, n) for item in row.items]
    return _iterator(Seq(columns, "list"))


def _iterator(seq: V) -> V:
    """What zip, map, enumerate, reversed and iter() return: read once (``Interpreter.consume``)."""
    if isinstance(seq, Seq):
        seq.one_shot = True
    return seq


def _element(v: Value) -> Value:
    if isinstance(v, Seq):
        return v.element_join()
    if isinstance(v, DictVal):
        return v.key_join()
    if isinstance(v, DatasetVal):
        from .data import iterated_element

        return iterated_element(v)
    if isinstance(v, Tensor) and v.shape.dims:
        return Tensor(v.shape.__class__(v.shape.dims[1:]), v.dtype, v.kind)
    return UNKNOWN


def _size(v: Value) -> int | None:
    if isinstance(v, Seq):
        return v.size()
    return None


@function("builtins.list", "builtins.tuple")
def _list(call: Call) -> Value:
    return call.interp.fresh(_list_of(call))


def _list_of(call: Call) -> Value:
    kind: Literal["list", "tuple"] = "list" if call.name.endswith("list") else "tuple"
    v = call.arg(0)
    if v is None:
        return Seq([], kind)
    if isinstance(v, Const) and isinstance(v.value, str):
        return constant_items(list(v.value), kind)
    if isinstance(v, Seq) and v.unordered:
        return Seq(None, kind, v.element_join(), v.size())  # a set of strings: order unknown
    if isinstance(v, Seq):
        return Seq(list(v.items) if v.items is not None else None, kind, v.elem, v.length)
    if isinstance(v, DictVal):
        return Seq([Const(k) for k in v.items], kind) if v.complete else Seq(None, kind)
    if isinstance(v, DatasetVal):
        return Seq(None, kind, _element(v), v.cardinality)
    if isinstance(v, Tensor) and v.shape.dims:
        elem = _element(v)
        d0 = v.shape.dims[0]
        if isinstance(d0, int) and d0 <= RANGE_ITEMS_LIMIT:
            return Seq([elem] * d0, kind)
        return Seq(None, kind, elem)
    view = tuple_view(call.interp, v)
    if view is not None and view.items is not None:
        return Seq(list(view.items), kind)
    return Seq(None, kind)


@function("builtins.int", "builtins.float", "builtins.bool", "builtins.str", "builtins.round", "builtins.abs")
def _scalar(call: Call) -> Value:
    v = call.arg(0)
    fn = getattr(builtins, call.name.split(".")[-1])
    if (
        isinstance(v, Tensor) and v.content is not None and len(v.content) == 1
        and v.shape.dims == ()
        and isinstance(v.content[0], Const) and len(call.args) == 1
        and call.name in ("builtins.int", "builtins.float", "builtins.bool")
    ):
        v = v.content[0]  # a scalar tensor of known value: int(np.prod(shape))
    if isinstance(v, Const):
        try:
            args = [a.value for a in [v, *call.args[1:]] if isinstance(a, Const)]
            if len(args) != len(call.args):
                return UNKNOWN
            return Const(fn(*args))
        except Exception:
            return UNKNOWN
    if v is None and call.name in ("builtins.int", "builtins.float", "builtins.bool", "builtins.str"):
        return Const(fn())
    if call.name in ("builtins.int", "builtins.float", "builtins.bool", "builtins.str") and not call.kwargs:
        return Unknown(None, fn)  # whatever went in, what comes out is of that type
    return UNKNOWN


@function("builtins.slice")
def _slice(call: Call) -> Value:
    """``slice(stop)``, ``slice(start, stop[, step])``: the same as ``x[start:stop:step]``."""
    none = Const(None)
    args = list(call.args)
    if call.kwargs or not 1 <= len(args) <= 3:
        return UNKNOWN
    if len(args) == 1:
        return SliceVal(none, args[0], none)
    return SliceVal(args[0], args[1], args[2] if len(args) == 3 else none)


@function("builtins.max", "builtins.min", "builtins.sum")
def _minmax(call: Call) -> Value:
    fn = getattr(builtins, call.name.split(".")[-1])
    values = call.args
    if len(values) == 1 and isinstance(values[0], Seq) and values[0].items is not None:
        values = values[0].items
    if values and all(isinstance(v, Const) for v in values) and not call.kwargs:
        try:
            return Const(fn([v.value for v in values if isinstance(v, Const)]))
        except Exception:
            return UNKNOWN
    if call.name == "builtins.sum" and len(call.args) == 1 and values is not call.args and not call.kwargs:
        return _sum_of_arrays(call, values)
    return _number_type_of(call, values)


def _number_type_of(call: Call, values: list[Value]) -> Value:
    """``sum(c.isupper() for c in t)``, ``max(len(a), len(b))``: an int of unknown value when
    every item is an int or a bool (a sum with a float in it is a float)."""
    if call.kwargs or (len(call.args) != 1 and call.name == "builtins.sum"):
        return UNKNOWN
    items = values
    if len(call.args) == 1 and isinstance(call.args[0], Seq) and call.args[0].items is None:
        items = [call.args[0].elem]
    types = {scalar_type(v) for v in items}
    if call.name != "builtins.sum" and items and None in types and all(
        scalar_type(v) is int or _int_array_scalar(v) for v in items
    ):
        # max(d, 4) with d a numpy int: one of them, an integer either way (an index), but a
        # numpy int and a Python int promote differently, so the dtype is left open
        return Tensor(Shape(()), None, "np", content=[Unknown(None, int)])
    if not items or not types <= {int, bool, float}:
        return UNKNOWN
    if call.name != "builtins.sum":  # max/min return one of the items, of its type
        return Unknown(None, types.pop()) if len(types) == 1 else UNKNOWN
    return Unknown(None, float if float in types else int)


def _int_array_scalar(v: Value) -> bool:
    return isinstance(v, Tensor) and v.kind == "np" and integer_scalar(v)


def _sum_of_arrays(call: Call, values: list[Value]) -> Value:
    """``sum(arrays)``: 0 + a + b + ..., broadcast as the operator does (harmonics summed
    into one signal, losses of several heads)."""
    if not any(isinstance(v, Tensor) for v in values):
        return UNKNOWN
    if not all(isinstance(v, Tensor) or (isinstance(v, Const) and isinstance(v.value, int | float)) for v in values):
        return UNKNOWN
    from .ops.elementwise import tensor_binop

    total: Value = Const(0)
    for v in values:
        total = tensor_binop(call.interp, ast.Add, total, v, call.node)
    return total


@function("builtins.sorted", "builtins.reversed")
def _sorted(call: Call) -> Value:
    v = call.arg(0)
    if isinstance(v, DictVal) and v.complete:
        v = Seq([Const(k) for k in v.items], "list")  # a dict iterates over its keys
    if isinstance(v, Seq) and v.items is not None:
        if call.name.endswith("reversed"):
            return _iterator(Seq(list(reversed(v.items)), "list"))
        reverse = call.kwargs.get("reverse", Const(False))
        if set(call.kwargs) <= {"reverse"} and isinstance(reverse, Const) and all(
            isinstance(i, Const) for i in v.items
        ):
            try:
                keys = sorted((i.value for i in v.items if isinstance(i, Const)), reverse=bool(reverse.value))
            except TypeError:
                return UNKNOWN
            return Seq([Const(x) for x in keys], "list")
        out = Seq(None, "list", v.element_join(), len(v.items))
        return _iterator(out) if call.name.endswith("reversed") else out
    return UNKNOWN


@function("builtins.dict", "collections.OrderedDict")
def _dict(call: Call) -> Value:
    return call.interp.fresh(_dict_of(call))


def _dict_of(call: Call) -> Value:
    if not call.args:
        return DictVal(dict(call.kwargs))
    v = call.args[0]
    if isinstance(v, DictVal):
        return DictVal({**v.items, **call.kwargs})
    if isinstance(v, Seq) and v.items is not None:
        out: dict[object, Value] = {}
        for it in v.items:
            if isinstance(it, Seq) and it.items is not None and len(it.items) == 2 and isinstance(it.items[0], Const):
                out[it.items[0].value] = it.items[1]
            else:
                return UNKNOWN
        return DictVal(out)
    if isinstance(v, Seq) and isinstance(v.elem, Seq) and v.elem.items is not None and len(v.elem.items) == 2:
        # pairs the engine cannot list (zip of an unknown length): their keys and values
        made = DictVal(dict(call.kwargs))
        if v.size() != 0:
            made.store_unknown_key(v.elem.items[1], v.elem.items[0])
        return made
    return UNKNOWN


_PY_TYPES: dict[str, type] = {
    f"builtins.{t.__name__}": t
    for t in (tuple, list, dict, int, float, str, bool, bytes, set, frozenset, complex)
}


def _python_type(v: Value) -> type | None:
    """The Python type of a value the engine knows exactly, or None."""
    if isinstance(v, Const):
        return type(v.value)
    if isinstance(v, Seq):
        return tuple if v.kind == "tuple" else list
    if isinstance(v, DictVal):
        return dict
    return None


def _isinstance(v: Value, cls: Value) -> bool | None:
    """``isinstance`` where both sides are certain: a built-in type (or a tuple of them)
    against a Python value of known type, or against a tensor, which is none of them."""
    if isinstance(cls, Seq):
        if cls.items is None:
            return None
        answers = [_isinstance(v, c) for c in cls.items]
        if True in answers:
            return True
        return False if all(a is False for a in answers) else None
    if isinstance(v, (LayerVal, Instance, ModelVal)) and isinstance(cls, (LibRef, ClassVal)):
        from .layer_classes import layer_isinstance

        return layer_isinstance(v, cls)
    if not isinstance(cls, LibRef) or cls.name not in _PY_TYPES:
        return None
    if isinstance(v, Tensor):
        # numpy's float64/complex128 scalars subclass float/complex, and the engine does not
        # tell a numpy scalar from a 0-d array
        if v.kind == "np" and (v.shape.dims is None or len(v.shape.dims) == 0):
            return None
        return False
    known = _python_type(v)
    return None if known is None else issubclass(known, _PY_TYPES[cls.name])


@function("builtins.isinstance")
def _isinstance_call(call: Call) -> Value:
    v, cls = call.arg(0), call.arg(1)
    answer = _isinstance(v, cls) if v is not None and cls is not None else None
    return Unknown(None, bool) if answer is None else Const(answer)


@function("builtins.hasattr", "builtins.callable")
def _predicate(call: Call) -> Value:
    obj, attr = call.arg(0, "obj"), call.arg(1, "name")
    if call.name == "builtins.hasattr" and obj is not None and is_keras3_backend(obj):
        # code written for both Keras versions asks before using a Keras 2 helper
        has = has_name(attr.value) if isinstance(attr, Const) and isinstance(attr.value, str) else None
        if has is not None:
            return Const(has)
    return Unknown(None, bool)  # a bool, whatever the answer


@function("builtins.print", "builtins.input", "builtins.setattr")
def _effect(call: Call) -> Value:
    return Const(None) if call.name == "builtins.print" else UNKNOWN


# -- files: what reading one gives (text or bytes, never its content) ------------------------

TEXT_FILE, BINARY_FILE = io.TextIOWrapper, io.BufferedReader


@function("builtins.open", "io.open")
def _open(call: Call) -> Value:
    mode = call.value(1, "mode", "r")
    if not isinstance(mode, str):
        return UNKNOWN
    return Unknown(None, BINARY_FILE if "b" in mode else TEXT_FILE)


def _line_type(file: Value | None) -> type:
    return bytes if isinstance(file, Unknown) and file.pytype is BINARY_FILE else str


@method((TEXT_FILE.__name__, BINARY_FILE.__name__), "read", "readline")
def _file_read(call: Call) -> Value:
    return Unknown(None, _line_type(call.receiver))


@method((TEXT_FILE.__name__, BINARY_FILE.__name__), "readlines")
def _file_readlines(call: Call) -> Value:
    return Seq(None, "list", Unknown(None, _line_type(call.receiver)))


@method("bytes", "decode")
def _bytes_decode(call: Call) -> Value:
    return Unknown(None, str)


@method("str", "encode")
def _str_encode(call: Call) -> Value:
    return Unknown(None, bytes)


@function("builtins.type")
def _type(call: Call) -> Value:
    return UNKNOWN


@function("builtins.map", "builtins.filter", "builtins.iter", "builtins.next")
def _iterables(call: Call) -> Value:
    if call.name == "builtins.next":
        v = call.arg(0)
        if isinstance(v, Seq) and v.one_shot and v.items and not v.unordered and call.interp.certain_mutation(v):
            first, v.items = v.items[0], v.items[1:]  # the rest is still known
            return first
        if isinstance(v, Seq):
            elem = v.element_join()
            call.interp.consume(v)
            return elem
        if isinstance(v, DatasetVal) and _fresh_iterator(call):
            from .data import first_element

            return first_element(v)
        return _element(v) if v is not None else UNKNOWN
    if call.name == "builtins.iter":
        v = call.arg(0)
        if isinstance(v, Seq) and not v.one_shot:
            if v.unordered:
                return _iterator(Seq(None, "list", v.element_join(), v.size()))
            return _iterator(Seq(list(v.items) if v.items is not None else None, v.kind, v.elem, v.length))
        if isinstance(v, DictVal):
            return _iterator(Seq([Const(k) for k in v.items] if v.complete else None, "list", v.key_join()))
        return v if v is not None else UNKNOWN
    if (
        call.name == "builtins.map" and len(call.args) >= 2 and not call.kwargs
        and _mappable(call.args[0])
    ):
        return _iterator(_map(call, call.args[0], call.args[1:]))
    return _iterator(Seq(None, "list"))


def _fresh_iterator(call: Call) -> bool:
    """``next(iter(ds))``: an iterator made for this one read gives the first element."""
    node = call.arg_nodes[0] if call.arg_nodes else None
    if not (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "iter"
        and len(node.args) == 1 and not node.keywords
    ):
        return False
    interp = call.interp
    env = interp.frames[-1].env if interp.frames else interp.module_env
    return env.lookup("iter") is None  # the builtin, not a function of the program's


def _mappable(fn: Value) -> bool:
    """A function, a library callable or a method of the user's own object; not a container's
    method such as ``log.append`` (run for its effect, by a map that may never be consumed)."""
    if isinstance(fn, BoundMethod):
        return isinstance(fn.receiver, Instance)
    return isinstance(fn, (FunctionVal, LibRef, PartialVal))


def _map(call: Call, fn: Value, iterables: list[Value]) -> Value:
    """``map(fn, *iterables)``: fn on each item of known iterables (zipped, shortest wins),
    else on their elements once. A map runs only as far as it is consumed, so what fn changes
    elsewhere stays uncertain."""
    interp = call.interp
    sizes = [size for s in iterables if (size := _size(s)) is not None]
    known = [interp.iteration_items(s) for s in iterables]
    interp.uncertain_depth += 1
    try:
        if all(k is not None for k in known):
            n = min(len(k) for k in known if k is not None)
            if n <= _MAP_UNROLL:
                return Seq(
                    [interp.call_value(fn, [k[i] for k in known if k is not None], {}, call.node) for i in range(n)],
                    "list",
                )
        elem = interp.call_value(fn, [_element(s) for s in iterables], {}, call.node)
    finally:
        interp.uncertain_depth -= 1
    return Seq(None, "list", elem, min(sizes) if len(sizes) == len(iterables) else None)


_MAP_UNROLL = 64


# -- list and dict methods (in-place mutation of the shared abstract container) -----------------


def forget_length(seq: Seq, extra: Value | None = None) -> None:
    """A list changed in place by a number of items not known here (``del xs[i]`` of an unknown
    ``i``, slice assignment, a change on a path that may not run)."""
    _blur(seq, extra)


def _blur(seq: Seq, extra: Value | None = None) -> None:
    """The container changed in a way whose count is not certain: keep only a joined element."""
    elem = seq.element_join()
    if extra is not None:
        extra = detached(extra)
        # an empty list has no element to join with; one of unknown size (None) may have some
        elem = extra if seq.size() == 0 else join(elem, extra)
    seq.items, seq.elem, seq.length, seq.at_most = None, elem, None, None


@method("list", "append")
def _append(call: Call) -> Value:
    seq, item = call.receiver, call.arg(0)
    if isinstance(seq, Seq) and item is not None:
        if seq.items is not None and call.interp.certain_mutation(seq) and len(seq.items) < 4096:
            seq.items.append(item)
            _drop_oldest(seq)
        else:
            _blur_growing(seq, item)
    return Const(None)


def _blur_growing(seq: Seq, extra: Value | None) -> None:
    """Items added on some paths only: a deque already holding ``maxlen`` items still does."""
    full = seq.maxlen is not None and seq.size() == seq.maxlen
    _blur(seq, extra)
    if full:
        seq.length = seq.maxlen


def _drop_oldest(seq: Seq) -> None:
    """A deque with a ``maxlen`` keeps its newest items."""
    if seq.maxlen is not None and seq.items is not None and len(seq.items) > seq.maxlen:
        del seq.items[: len(seq.items) - seq.maxlen]


@method("list", "extend")
def _extend(call: Call) -> Value:
    seq, other = call.receiver, call.arg(0)
    if not isinstance(seq, Seq) or other is None:
        return Const(None)
    if (
        isinstance(other, Seq)
        and other.items is not None
        and seq.items is not None
        and call.interp.certain_mutation(seq)
    ):
        seq.items.extend(other.items)
        _drop_oldest(seq)
    else:
        _blur_growing(seq, _element(other))
    return Const(None)


@function("collections.deque")
def _deque(call: Call) -> Value:
    """A deque is read like a list (len, indexing, iteration, ``random.sample``); one with a
    ``maxlen`` keeps only that many of the newest items."""
    given = call.arg(1, "maxlen")
    maxlen = None
    if given is not None and not (isinstance(given, Const) and given.value is None):
        maxlen = as_int(given)
        if maxlen is None:
            return UNKNOWN  # a maxlen not known here: how many items it keeps is not known
    first = call.arg(0, "iterable")
    if first is None or (isinstance(first, Const) and first.value is None):
        seq = Seq([], "list")
    else:
        made = _list_of(Call([first], {}, call.node, call.interp, None, "builtins.list"))
        if not isinstance(made, Seq):
            return UNKNOWN
        seq = made
    seq.maxlen = maxlen
    _drop_oldest(seq)
    if maxlen is not None and seq.items is None:
        seq.length = None
    return call.interp.fresh(seq)


@attribute("list", "maxlen")
def _deque_maxlen(v: Value) -> Value:
    """A deque's ``maxlen`` (``for _ in range(frames.maxlen): frames.append(f)``)."""
    return Const(v.maxlen) if isinstance(v, Seq) and v.maxlen is not None else UNKNOWN


@method("list", "appendleft", "extendleft", "popleft", "rotate")
def _deque_ends(call: Call) -> Value:
    """The deque operations at its left end: the items' order and count are not followed."""
    seq = call.receiver
    if isinstance(seq, Seq):
        extra = call.arg(0) if call.name == "appendleft" else None
        elem = seq.element_join()
        _blur(seq, extra)
        return elem if call.name == "popleft" else Const(None)
    return UNKNOWN


@method("list", "insert")
def _insert(call: Call) -> Value:
    seq, index, item = call.receiver, call.int(0, "index"), call.arg(1, "object")
    if isinstance(seq, Seq) and item is not None:
        if seq.items is not None and index is not None and call.interp.certain_mutation(seq) and seq.maxlen is None:
            seq.items.insert(index, item)
        else:
            _blur(seq, item)
    return Const(None)


@method("list", "pop")
def _pop(call: Call) -> Value:
    seq = call.receiver
    if not isinstance(seq, Seq):
        return UNKNOWN
    index = call.int(0, "index", -1)
    if seq.items is not None and seq.items and index is not None and call.interp.certain_mutation(seq):
        try:
            return seq.items.pop(index)
        except IndexError:
            return UNKNOWN
    elem = seq.element_join()
    _blur(seq)
    return elem


@method(("list", "tuple"), "index", "count")
def _index_of(call: Call) -> Value:
    """``xs.index(v)`` / ``xs.count(v)`` of known constants: the int Python gives; else an int."""
    seq, item = call.receiver, call.arg(0, "value")
    if (
        isinstance(seq, Seq) and seq.items is not None and isinstance(item, Const)
        and len(call.args) == 1 and not call.kwargs and all(isinstance(i, Const) for i in seq.items)
    ):
        values = [i.value for i in seq.items if isinstance(i, Const)]
        if call.name == "count":
            return Const(values.count(item.value))
        if item.value in values:
            return Const(values.index(item.value))
        return UNKNOWN  # Python raises ValueError
    return Unknown(None, int)


@method("list", "remove", "clear", "sort", "reverse")
def _reorder(call: Call) -> Value:
    seq = call.receiver
    if isinstance(seq, Seq) and seq.items is not None:
        if call.name == "clear" and call.interp.certain_mutation(seq):
            seq.items.clear()
        elif call.name == "reverse" and call.interp.certain_mutation(seq):
            seq.items.reverse()
        else:
            _blur(seq)
    elif isinstance(seq, Seq) and call.name in ("remove", "clear"):
        if call.name == "clear" and call.interp.certain_mutation(seq):
            seq.items, seq.length, seq.at_most = [], None, None
        else:
            _blur(seq)
    return Const(None)


@method("tuple", "add")
def _set_add(call: Call) -> Value:
    """``s.add(x)``: the engine keeps a set as a tuple of its distinct items."""
    seq, item = call.receiver, call.arg(0)
    if not isinstance(seq, Seq) or item is None:
        return Const(None)
    if seq.items is not None and call.interp.certain_mutation(seq) and isinstance(item, Const):
        known = [i.value for i in seq.items if isinstance(i, Const)]
        if len(known) == len(seq.items):
            try:
                if item.value not in known:
                    seq.items.append(item)
                return Const(None)
            except TypeError:
                pass
    # whether it was already there (or added at all) is not known: the size is not either
    _blur(seq, item)
    return Const(None)


def blur_receiver(v: Value) -> None:
    """A method the engine does not model was called on a container: it may have changed it."""
    if isinstance(v, Seq):
        v.items, v.elem, v.length, v.at_most = None, Unknown(), None, None
    elif isinstance(v, DictVal):
        v.lose_keys()


@method(("list", "tuple"), "copy")
def _query(call: Call) -> Value:
    seq = call.receiver
    if isinstance(seq, Seq):
        out = Seq(list(seq.items) if seq.items is not None else None, seq.kind, seq.elem, seq.length)
        out.maxlen = seq.maxlen  # a deque's copy keeps its maxlen
        return out
    return UNKNOWN


@method("dict", "get")
def _dict_get(call: Call) -> Value:
    d, key = call.receiver, call.arg(0)
    default = call.arg(1, "default")
    if isinstance(d, DictVal) and isinstance(key, Const):
        try:
            found = d.items.get(key.value)
        except TypeError:
            return UNKNOWN
        if found is not None:
            return found
        if not d.complete:
            return _any_value(d, default)
        return default if default is not None else Const(None)
    if isinstance(d, DictVal) and key is not None:
        return _any_value(d, default)
    return UNKNOWN


def _any_value(d: DictVal, default: Value | None) -> Value:
    """``d.get(key, default)`` for a key the engine cannot name: any value the dict may hold,
    or the default (``word2idx.get(w, 1)`` is an int whichever word it is)."""
    fallback = default if default is not None else Const(None)
    if d.complete and not d.items:
        return fallback
    return join(d.value_join(), fallback)


@method("dict", "keys", "values", "items")
def _dict_views(call: Call) -> Value:
    d = call.receiver
    if not isinstance(d, DictVal):
        return UNKNOWN
    if not d.complete:
        # which keys there are is not known; what they and their values have in common is
        if call.name == "keys":
            return Seq(None, "list", d.key_join())
        if call.name == "values":
            return Seq(None, "list", d.value_join())
        return Seq(None, "list", Seq([d.key_join(), d.value_join()], "tuple"))
    if call.name == "keys":
        return Seq([Const(k) for k in d.items], "list")
    if call.name == "values":
        return Seq(list(d.items.values()), "list")
    return Seq([Seq([Const(k), v], "tuple") for k, v in d.items.items()], "list")


@method("dict", "update", "setdefault", "pop", "clear")
def _dict_mutate(call: Call) -> Value:
    """Mutations seen for sure update the keys; anywhere uncertain the key set becomes open."""
    d = call.receiver
    if not isinstance(d, DictVal):
        return UNKNOWN
    certain = call.interp.certain_mutation(d)
    if call.name == "update" and d.counter:
        _count_into(d, call.arg(0), certain, call)
        return Const(None)
    if call.name == "update":
        other = call.arg(0)
        if certain and (other is None or (isinstance(other, DictVal) and other.complete)):
            if isinstance(other, DictVal):
                d.items.update(other.items)
            d.items.update(call.kwargs)
        else:
            d.lose_keys()
        return Const(None)
    if call.name == "clear":
        if certain:
            d.items.clear()
            d.complete, d.others = True, None
        return Const(None)
    key = call.arg(0)
    if not isinstance(key, Const):
        if call.name == "setdefault":
            d.store_unknown_key(call.arg(1) or Const(None), key)
        else:
            d.complete = False
        return UNKNOWN
    try:
        present = d.items.get(key.value)
    except TypeError:
        return UNKNOWN
    if call.name == "setdefault":
        if present is not None:
            return present
        if certain and d.complete:
            return d.items.setdefault(key.value, call.arg(1) or Const(None))
        d.store_unknown_key(call.arg(1) or Const(None), key)
        return UNKNOWN
    # pop
    if certain and present is not None:
        return d.items.pop(key.value)
    if not certain:
        d.complete = False
    return present if present is not None else (call.arg(1) or UNKNOWN)


__all__ = ["BUILTIN_NAMES", "LibRef"]


# ----------------------------------------------------------------------------------------------
# strings and sets of constants: vocabularies built from literal text (``sorted(set(text))``)
# keep their sizes known

CONST_ITEMS_LIMIT = 4096  # larger results are kept with their length only
_STR_PREDICATES = (
    "startswith", "endswith", "isdigit", "isalpha", "isalnum", "isupper", "islower", "isspace",
    "isidentifier", "isnumeric", "isdecimal",
)
_STR_COUNTS = ("count", "find", "rfind", "index", "rindex")
_STR_SPLITS = ("split", "rsplit", "splitlines")
_STR_METHODS = (
    "join", "lower", "upper", "strip", "lstrip", "rstrip", "replace", "title", "capitalize",
    "casefold", "swapcase", "zfill", "removeprefix", "removesuffix", "format", "center", "ljust",
    "rjust", "expandtabs", "partition", "rpartition", *_STR_SPLITS, *_STR_PREDICATES, *_STR_COUNTS,
)


def _auto_name_affix(receiver: AutoName, method: str, args: list[Value]) -> bool | None:
    """``layer.name.startswith("conv")`` on an automatic name: certain when every candidate
    affix is decided by the name's class prefix; None when the unknown suffix could decide."""
    if len(args) != 1:
        return None
    texts = _constants(args[0]) if not isinstance(args[0], Const) else [args[0].value]
    if texts is None or not texts or not all(isinstance(t, str) for t in texts):
        return None
    test = receiver.starts_with if method == "startswith" else receiver.ends_with
    answers = [test(t) for t in texts if isinstance(t, str)]
    if True in answers:
        return True
    return False if all(a is False for a in answers) else None


def _unknown_str_result(name: str) -> Value:
    """What a str method gives when the string or an argument is not known: its type."""
    if name in _STR_SPLITS:
        return Seq(None, "list", Unknown(None, str))
    if name in ("partition", "rpartition"):
        return Seq([Unknown(None, str)] * 3, "tuple")
    if name in _STR_PREDICATES:
        return Unknown(None, bool)
    if name in _STR_COUNTS:
        return Unknown(None, int)
    return Unknown(None, str)


def constant_items(values: list[object], kind: Literal["list", "tuple"]) -> Seq:
    if len(values) > CONST_ITEMS_LIMIT:
        return Seq(None, kind, Unknown(), len(values))
    return Seq([Const(v) for v in values], kind)


def _constants(v: Value | None) -> list[object] | None:
    """The values of a string (its characters) or of a collection of constants."""
    if isinstance(v, Const) and isinstance(v.value, str):
        return list(v.value)
    if isinstance(v, Seq) and v.items is not None and all(isinstance(i, Const) for i in v.items):
        return [i.value for i in v.items if isinstance(i, Const)]
    if isinstance(v, DictVal) and v.complete:
        return list(v.items)
    return None


def unique_constants(v: Value | None) -> Value:
    """``set(x)`` of known constants, in first-seen order (only its size and sorted order are
    meaningful); an unknown-length collection otherwise."""
    values = _constants(v)
    if values is None:
        elem = v.element_join() if isinstance(v, Seq) else Unknown()
        return Seq(None, "tuple", elem)
    try:
        members = list(dict.fromkeys(values))
    except TypeError:  # unhashable
        return Seq(None, "tuple")
    if all(type(m) in (int, float, bool) for m in members):
        # numbers hash the same in every run: CPython iterates the set in this order
        return constant_items(list(set(values)), "tuple")
    out = constant_items(members, "tuple")
    out.unordered = True
    return out


@function("builtins.set", "builtins.frozenset")
def _set(call: Call) -> Value:
    v = call.arg(0)
    return call.interp.fresh(Seq([], "tuple") if v is None else unique_constants(v))


@method("str", *_STR_METHODS)
def _str_method(call: Call) -> Value:
    receiver = call.receiver
    name = call.name.rsplit(".", 1)[-1]
    if isinstance(receiver, AutoName) and name in ("startswith", "endswith") and not call.kwargs:
        answer = _auto_name_affix(receiver, name, call.args)
        if answer is not None:
            return Const(answer)
    if isinstance(receiver, Unknown):  # a str the engine cannot read: the result's type is known
        return _unknown_str_result(name)
    if name == "format" and isinstance(receiver, Const) and isinstance(receiver.value, str):
        args = [a.value for a in call.args if isinstance(a, Const)]
        kwargs = {k: v.value for k, v in call.kwargs.items() if isinstance(v, Const)}
        if len(args) != len(call.args) or len(kwargs) != len(call.kwargs):
            return Unknown(None, str)
        try:
            text = receiver.value.format(*args, **kwargs)
        except (IndexError, KeyError, ValueError, TypeError, AttributeError):
            return UNKNOWN
        return Const(text) if len(text) <= 1_000_000 else Unknown(None, str)
    if not isinstance(receiver, Const) or not isinstance(receiver.value, str) or call.kwargs:
        return _unknown_str_result(name)
    if name == "join":
        parts = _constants(call.arg(0))
        if parts is None or not all(isinstance(p, str) for p in parts):
            return Unknown(None, str)
        text = receiver.value.join(str(p) for p in parts)
        return Const(text) if len(text) <= 1_000_000 else UNKNOWN
    plain: list[object] = []
    for a in call.args:
        if isinstance(a, Const) and (a.value is None or isinstance(a.value, (str, int))):
            plain.append(a.value)
        elif name in ("startswith", "endswith") and (parts := _constants(a)) is not None and all(
            isinstance(p, str) for p in parts
        ):
            plain.append(tuple(parts))  # `name.startswith(("conv", "bn"))`
        else:
            return _unknown_str_result(name)
    try:
        result = getattr(receiver.value, name)(*plain)
    except (TypeError, ValueError):
        return UNKNOWN
    if isinstance(result, list):
        return constant_items(result, "list")
    if isinstance(result, tuple):
        return constant_items(list(result), "tuple")
    if isinstance(result, (bool, int)):
        return Const(result)
    return Const(result) if len(result) <= 1_000_000 else UNKNOWN


# ---------------------------------------------------------------------------------------------
# itertools: config sweeps (`for family, width in itertools.product(FAMILIES, WIDTHS)`)

_ITER_COMBINATIONS_LIMIT = 256


@function("itertools.product")
def _product(call: Call) -> Value:
    repeat = call.int(-1, "repeat", 1)
    pools = [call.interp.iteration_items(a) for a in call.args]
    if repeat is None or repeat < 0 or any(p is None for p in pools):
        return Seq(None, "list", Seq([_element(a) for a in call.args] * (repeat or 1), "tuple"))
    combos: list[list[Value]] = [[]]
    for pool in [p for p in pools if p is not None] * repeat:
        combos = [[*c, item] for c in combos for item in pool]
        if len(combos) > _ITER_COMBINATIONS_LIMIT:
            return Seq(None, "list", Seq([_element(a) for a in call.args] * repeat, "tuple"))
    return Seq([Seq(c, "tuple") for c in combos], "list")


@function("itertools.chain")
def _chain(call: Call) -> Value:
    pools = [call.interp.iteration_items(a) for a in call.args]
    if all(p is not None for p in pools):
        return Seq([item for p in pools if p is not None for item in p], "list")
    elem: Value | None = None
    for a in call.args:
        e = _element(a)
        elem = e if elem is None else join(elem, e)
    return Seq(None, "list", elem if elem is not None else UNKNOWN)


@function("itertools.combinations", "itertools.permutations")
def _combinations(call: Call) -> Value:
    pool = call.arg(0)
    items = call.interp.iteration_items(pool) if pool is not None else None
    r = call.int(1, "r")
    if call.name.endswith("permutations") and r is None and call.arg(1, "r") is None and items is not None:
        r = len(items)
    if items is None or r is None or r < 0:
        return Seq(None, "list", UNKNOWN)
    make = itertools.combinations if call.name.endswith("combinations") else itertools.permutations
    out: list[Value] = []
    for combo in make(range(len(items)), r):
        out.append(Seq([items[i] for i in combo], "tuple"))
        if len(out) > _ITER_COMBINATIONS_LIMIT:
            return Seq(None, "list", Seq([Seq(items, "list").element_join()] * r, "tuple"))
    return Seq(out, "list")


# ---------------------------------------------------------------------------------------------
# collections.Counter: vocabularies counted from literal text


def _counted(v: Value | None) -> dict[object, int] | None:
    """Counts of the items of a literal collection (a string counts its characters; a dict of
    int counts is taken as it is, as Counter takes a mapping)."""
    if v is None:
        return {}
    if isinstance(v, DictVal):
        counts = {k: c.value for k, c in v.items.items() if isinstance(c, Const) and isinstance(c.value, int)}
        return counts if v.complete and len(counts) == len(v.items) else None
    values = _constants(v)
    if values is None:
        return None
    try:
        return dict(collections.Counter(values))
    except TypeError:  # unhashable
        return None


def _count_into(d: DictVal, v: Value | None, certain: bool, call: Call) -> None:
    counts = _counted(v)
    if counts is None or not certain or not all(isinstance(c, Const) for c in d.items.values()):
        d.items = {k: Unknown(None, int) for k in d.items}
        d.store_unknown_key(Unknown(None, int), call.interp.iteration_element(v) if v is not None else None)
        return
    for k, n in counts.items():
        old = d.items.get(k)
        d.items[k] = Const((old.value if isinstance(old, Const) else 0) + n)


@function("collections.Counter")
def _counter(call: Call) -> Value:
    d = DictVal({}, counter=True)
    _count_into(d, call.arg(0), True, call)
    return call.interp.fresh(d)


@method("dict", "most_common")
def _most_common(call: Call) -> Value:
    d = call.receiver
    if not isinstance(d, DictVal) or not d.counter:
        return UNKNOWN
    n_value = call.arg(0, "n")
    n = call.int(0, "n")
    if n_value is not None and not (isinstance(n_value, Const) and n_value.value is None) and n is None:
        return Seq(None, "list", Seq([d.key_join(), Unknown(None, int)], "tuple"))
    if d.complete and all(isinstance(c, Const) for c in d.items.values()):
        # stable sort: equal counts keep the order in which they were first counted
        ranked = sorted(d.items.items(), key=lambda kv: kv[1].value if isinstance(kv[1], Const) else 0, reverse=True)
        return Seq([Seq([Const(k), c], "tuple") for k, c in ranked[:n]], "list")
    return Seq(None, "list", Seq([d.key_join(), Unknown(None, int)], "tuple"))

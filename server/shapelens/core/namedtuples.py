"""Named tuples: ``class Config(NamedTuple)`` and ``collections.namedtuple(...)``.

Production configs often are named tuples: their fields are read by name (``cfg.width``), by
position (``cfg[3]``), unpacked (``name, kind, *_ = col``), iterated, and copied with
``_replace``. An instance is an ``Instance`` of a ``ClassVal`` with ``fields`` (like a
dataclass) and ``is_namedtuple``; ``tuple_view`` gives its values as a tuple.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .registry import Call, function
from .values import UNKNOWN, ClassVal, Const, DictVal, Instance, LibRef, PartialVal, Seq, Value

if TYPE_CHECKING:
    from .interpreter import Interpreter

NAMEDTUPLE_BASES = ("typing.NamedTuple", "typing_extensions.NamedTuple")
_METHODS = ("_replace", "_asdict")


def namedtuple_class(cls: ClassVal) -> ClassVal | None:
    """The named-tuple class ``cls`` is or derives from (``class P(namedtuple(...))``)."""
    for c in cls.mro():
        if isinstance(c, ClassVal) and c.is_namedtuple:
            return c
    return None


def tuple_view(interp: Interpreter, v: Value) -> Seq | None:
    """A named tuple's values in field order; None for anything else."""
    if not isinstance(v, Instance):
        return None
    base = namedtuple_class(v.cls)
    if base is None or base.fields is None:
        return None
    return Seq([interp.get_attr(v, name, ast.Constant(None)) for name in base.fields], "tuple")


def namedtuple_attribute(v: Instance, attr: str) -> Value | None:
    """``p._replace``, ``p._asdict`` and ``p._fields`` of a named tuple."""
    base = namedtuple_class(v.cls)
    if base is None or base.fields is None:
        return None
    if attr == "_fields":
        return Seq([Const(n) for n in base.fields], "tuple")
    if attr in _METHODS:
        return PartialVal(LibRef(f"shapelens.namedtuple.{attr}"), [v], {})
    return None


@function("shapelens.namedtuple._replace")
def _replace(call: Call) -> Value:
    obj = call.args[0] if call.args else None
    if not isinstance(obj, Instance) or len(call.args) != 1:
        return UNKNOWN
    base = namedtuple_class(obj.cls)
    if base is None or base.fields is None or not set(call.kwargs) <= set(base.fields):
        return UNKNOWN  # an unknown field name is a ValueError
    values = {n: call.interp.get_attr(obj, n, call.node) for n in base.fields}
    values.update(call.kwargs)
    return call.interp.call_value(obj.cls, [], values, call.node)


@function("shapelens.namedtuple._asdict")
def _asdict(call: Call) -> Value:
    obj = call.args[0] if call.args else None
    view = tuple_view(call.interp, obj) if obj is not None else None
    base = namedtuple_class(obj.cls) if isinstance(obj, Instance) else None
    if view is None or view.items is None or base is None or base.fields is None:
        return UNKNOWN
    return DictVal(dict(zip(base.fields, view.items, strict=True)))


@function("collections.namedtuple")
def _namedtuple(call: Call) -> Value:
    """``namedtuple("Point", ["x", "y"], defaults=[0])`` (or ``"x y"`` / ``"x, y"``): a class
    whose ``__init__`` takes the fields in order; ``defaults`` fill the last ones."""
    typename = call.value(0, "typename")
    names = call.value(1, "field_names")
    if isinstance(names, str):
        names = tuple(names.replace(",", " ").split())
    if not isinstance(typename, str) or not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
        return UNKNOWN
    defaults = call.kwargs.get("defaults")
    default_values: list[Value] = []
    if defaults is not None:
        if not isinstance(defaults, Seq) or defaults.items is None or len(defaults.items) > len(names):
            return UNKNOWN
        default_values = list(defaults.items)
    node = ast.ClassDef(name=typename, bases=[], keywords=[], body=[], decorator_list=[])
    ast.copy_location(node, call.node)
    namespace: dict[str, Value] = dict(zip(names[len(names) - len(default_values):], default_values, strict=True))
    return ClassVal(node, typename, [], namespace, fields=list(names), is_namedtuple=True)

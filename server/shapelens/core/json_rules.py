"""``json.loads`` of a string the engine knows (a config written as a JSON literal in the
script): the dicts, lists and scalars it gives, so model builders driven by it are followed.
Anything else it reads (a file, a string built at run time) is an unknown value."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from .registry import Call, function
from .values import UNKNOWN, Const, DictVal, Seq, Unknown, Value

if TYPE_CHECKING:
    from .interpreter import Interpreter

MAX_TEXT = 200_000
MAX_VALUES = 5_000
MAX_DEPTH = 20


class _TooBig(Exception):
    pass


def _to_value(interp: Interpreter, data: object, budget: list[int], depth: int = 0) -> Value:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise _TooBig
    if isinstance(data, dict):
        return interp.fresh(DictVal({k: _to_value(interp, v, budget, depth + 1) for k, v in data.items()}))
    if isinstance(data, list):
        return interp.fresh(Seq([_to_value(interp, v, budget, depth + 1) for v in data], "list"))
    return Const(data)


@function("json.loads")
def _loads(call: Call) -> Value:
    text = call.arg(0, "s")
    if not (isinstance(text, Const) and isinstance(text.value, (str, bytes)) and len(text.value) <= MAX_TEXT):
        return UNKNOWN
    if len(call.args) > 1 or set(call.kwargs) - {"s"}:
        return UNKNOWN  # hooks and parsers of its own: what they make is not known
    try:
        data = json.loads(text.value)
    except ValueError:
        return UNKNOWN  # json raises: the script stops here
    try:
        return _to_value(call.interp, data, [MAX_VALUES])
    except _TooBig:
        return UNKNOWN


_NOT_JSON = object()


def _to_python(v: Value, budget: list[int], depth: int = 0) -> object:
    """The Python data a value made of known dicts, lists, tuples and scalars stands for."""
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        return _NOT_JSON
    if isinstance(v, Const) and (v.value is None or isinstance(v.value, (str, int, float, bool))):
        return v.value
    if isinstance(v, Seq) and v.items is not None and not v.one_shot and not v.unordered:
        items = [_to_python(i, budget, depth + 1) for i in v.items]
        return _NOT_JSON if any(i is _NOT_JSON for i in items) else items
    if isinstance(v, DictVal) and v.complete and all(isinstance(k, str) for k in v.items):
        values = {k: _to_python(i, budget, depth + 1) for k, i in v.items.items()}
        return _NOT_JSON if any(i is _NOT_JSON for i in values.values()) else values
    return _NOT_JSON


@function("json.dumps")
def _dumps(call: Call) -> Value:
    """The text of known data (``json.loads(json.dumps(cfg))`` copies a config)."""
    v = call.arg(0, "obj")
    options = {k: o.value for k, o in call.kwargs.items() if k in ("indent", "sort_keys") and isinstance(o, Const)}
    if v is None or len(call.args) > 1 or len(options) != len(call.kwargs):
        return Unknown(None, str)
    data = _to_python(v, [MAX_VALUES])
    if data is _NOT_JSON:
        return Unknown(None, str)
    try:
        return Const(json.dumps(data, **options))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return Unknown(None, str)

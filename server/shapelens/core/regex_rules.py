"""The ``re`` module on strings the engine knows: ``re.compile`` of a written pattern and
``match``/``search``/``fullmatch`` of a known string give the real answer (a match object,
true, or None), so code that picks layers by name (``layer.trainable = bool(rx.match(name))``)
is followed. Anything not fully known is an unknown value."""

from __future__ import annotations

import re

from .registry import Call, function, method
from .values import UNKNOWN, Const, LibRef, Unknown, Value

MAX_TEXT = 10_000  # longer patterns or subjects are not evaluated


def _text(v: Value | None) -> str | None:
    if isinstance(v, Const) and isinstance(v.value, str) and len(v.value) <= MAX_TEXT:
        return v.value
    return None


def _flags(call: Call, index: int) -> int | None:
    v = call.arg(index, "flags")
    if v is None:
        return 0
    if isinstance(v, LibRef) and v.name.startswith("re.") and isinstance(getattr(re, v.name[3:], None), re.RegexFlag):
        return int(getattr(re, v.name[3:]))
    return v.value if isinstance(v, Const) and isinstance(v.value, int) else None


def _compiled(pattern: str, flags: int) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern, flags)
    except (re.error, TypeError, ValueError, OverflowError):
        return None  # Python raises it; the engine does not claim the message


@function("re.compile")
def _compile(call: Call) -> Value:
    pattern, flags = _text(call.arg(0, "pattern")), _flags(call, 1)
    if pattern is None or flags is None:
        return Unknown(None, re.Pattern)
    compiled = _compiled(pattern, flags)
    return Const(compiled) if compiled is not None else UNKNOWN


def _match(compiled: re.Pattern[str] | None, how: str, subject: str | None) -> Value:
    if compiled is None or subject is None:
        return UNKNOWN
    found = getattr(compiled, how)(subject)
    return Const(found)


@function("re.match", "re.search", "re.fullmatch")
def _module_match(call: Call) -> Value:
    pattern, subject, flags = _text(call.arg(0, "pattern")), _text(call.arg(1, "string")), _flags(call, 2)
    if pattern is None or flags is None:
        return UNKNOWN
    return _match(_compiled(pattern, flags), call.name.rsplit(".", 1)[-1], subject)


@method("Pattern", "match", "search", "fullmatch")
def _pattern_match(call: Call) -> Value:
    receiver = call.receiver
    compiled = receiver.value if isinstance(receiver, Const) and isinstance(receiver.value, re.Pattern) else None
    if call.has(1, "pos") or call.has(2, "endpos"):
        return UNKNOWN
    return _match(compiled, call.name.rsplit(".", 1)[-1], _text(call.arg(0, "string")))

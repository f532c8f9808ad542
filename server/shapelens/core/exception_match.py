"""Which ``except`` clause catches a raised exception, as far as the engine can tell.

A ``raise`` that certainly happens inside a ``try`` goes on at the handler that catches it. The
raised class and the handler's classes are engine values: builtin exception classes
(``LibRef("builtins.KeyError")``) and the user's own classes (``ClassVal``, whose bases lead to
builtin ones). The answer is True (certainly caught), False (certainly not) or None (not known).
"""

from __future__ import annotations

import builtins

from .values import ClassVal, LibRef, Seq, Value

_CATCH_ALL = ("builtins.Exception", "builtins.BaseException")


def _builtin_class(v: Value) -> type | None:
    if isinstance(v, LibRef) and v.name.startswith("builtins."):
        cls = getattr(builtins, v.name[len("builtins.") :], None)
        if isinstance(cls, type) and issubclass(cls, BaseException):
            return cls
    return None


def _one(kind: Value, raised: Value | None) -> bool | None:
    if raised is None:
        return True if isinstance(kind, LibRef) and kind.name in _CATCH_ALL else None
    if isinstance(raised, ClassVal):
        if any(c is kind for c in raised.mro()):
            return True
        bases = [b for b in raised.mro() if isinstance(b, LibRef)]
        caught = _builtin_class(kind)
        if caught is None:
            return None
        known = [_builtin_class(b) for b in bases]
        if any(k is not None and issubclass(k, caught) for k in known):
            return True
        # a user class is not a handler's builtin class unless a base says so
        return False if known and all(k is not None for k in known) else None
    raised_cls, caught_cls = _builtin_class(raised), _builtin_class(kind)
    if raised_cls is not None and caught_cls is not None:
        return issubclass(raised_cls, caught_cls)
    if raised_cls is not None and isinstance(kind, ClassVal):
        return False  # a builtin exception is never an instance of the user's class
    return None


def catches(handler_type: Value | None, raised: Value | None) -> bool | None:
    """Whether ``except handler_type`` catches an exception of class ``raised`` (None: not
    known). ``handler_type`` None is a bare ``except``; a tuple catches what any member does."""
    if handler_type is None:
        return True
    kinds = handler_type.items if isinstance(handler_type, Seq) and handler_type.items is not None else [handler_type]
    answers = [_one(k, raised) for k in kinds]
    if any(a is True for a in answers):
        return True
    if answers and all(a is False for a in answers):
        return False
    return None

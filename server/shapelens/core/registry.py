"""Where shape rules are registered: library functions by canonical name, methods by receiver.

Rule modules (``ops/*``, ``layers/*``, ``models.py``, ``data.py``) register handlers with the
decorators here; the interpreter looks them up. A handler receives a `Call` and returns a Value,
raises `ShapeError` when TF would certainly fail, or `Unknowable` when it cannot tell.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .facts import Span
from .shapes import DType, Shape, normalize_dtype
from .values import (
    UNKNOWN,
    Const,
    LibRef,
    Seq,
    Tensor,
    Value,
    as_int,
    as_shape,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


@dataclass(slots=True)
class Call:
    """One call of a library function or method, with its arguments already evaluated."""

    args: list[Value]
    kwargs: dict[str, Value]
    node: ast.AST
    interp: Interpreter
    receiver: Value | None = None
    name: str = ""
    arg_nodes: list[ast.AST] = field(default_factory=list)
    kwarg_nodes: dict[str, ast.AST] = field(default_factory=dict)

    def arg(self, index: builtins.int, name: str | None = None) -> Value | None:
        """Positional argument ``index`` or keyword ``name``; None when not given."""
        if name is not None and name in self.kwargs:
            return self.kwargs[name]
        if 0 <= index < len(self.args):
            return self.args[index]
        return None

    def has(self, index: builtins.int, name: str | None = None) -> bool:
        return self.arg(index, name) is not None

    def value(self, index: builtins.int, name: str | None = None, default: Any = None) -> Any:
        """The Python constant passed, ``default`` when absent, UNKNOWN_MARK when unknowable."""
        v = self.arg(index, name)
        if v is None:
            return default
        if isinstance(v, Const):
            return v.value
        if isinstance(v, Seq) and v.items is not None and all(isinstance(i, Const) for i in v.items):
            return tuple(i.value for i in v.items if isinstance(i, Const))
        return UNKNOWN_MARK

    def int(self, index: builtins.int, name: str | None = None, default: builtins.int | None = None) -> builtins.int | None:
        v = self.arg(index, name)
        if v is None:
            return default
        return as_int(v)

    def shape(self, index: builtins.int, name: str | None = None) -> Shape:
        v = self.arg(index, name)
        return as_shape(v) if v is not None else Shape(None)

    def dtype(self, index: builtins.int, name: str | None = None, default: DType = None) -> DType:
        v = self.arg(index, name)
        if v is None:
            return default
        return dtype_of_value(v)

    def tensor(self, index: builtins.int, name: str | None = None) -> Tensor | None:
        v = self.arg(index, name)
        return v if isinstance(v, Tensor) else None

    @property
    def span(self) -> Span:
        return Span.of(self.node)

    def arg_span(self, index: builtins.int, name: str | None = None) -> Span:
        if name is not None and name in self.kwarg_nodes:
            return Span.of(self.kwarg_nodes[name])
        if 0 <= index < len(self.arg_nodes):
            return Span.of(self.arg_nodes[index])
        return self.span


class _UnknownMark:
    """Marks an argument that was given but whose value is not statically known."""

    _instance: _UnknownMark | None = None

    def __repr__(self) -> str:
        return "UNKNOWN_MARK"


UNKNOWN_MARK: Any = _UnknownMark()


def dtype_of_value(v: Value) -> DType:
    """A dtype argument: ``tf.float32``, ``np.int64``, ``'float32'``, ``float``, ``int``."""
    if isinstance(v, Const) and isinstance(v.value, str):
        return normalize_dtype(v.value)
    if isinstance(v, LibRef):
        name = v.name
        if name in ("builtins.float",):
            return "float64"
        if name in ("builtins.int",):
            return "int64"
        if name in ("builtins.bool",):
            return "bool"
        if name in ("builtins.str",):
            return "string"
        return normalize_dtype(name.rsplit(".", 1)[-1])
    return None


Handler = Callable[[Call], Value]

FUNCTIONS: dict[str, Handler] = {}
METHODS: dict[tuple[str, str], Handler] = {}
ATTRIBUTES: dict[tuple[str, str], Callable[[Value], Value]] = {}


def function(*names: str) -> Callable[[Handler], Handler]:
    def deco(fn: Handler) -> Handler:
        for n in names:
            FUNCTIONS[n] = fn
        return fn

    return deco


def method(kinds: str | tuple[str, ...], *names: str) -> Callable[[Handler], Handler]:
    """Register a method for receivers of these kinds (see `receiver_kind`)."""
    kind_list = (kinds,) if isinstance(kinds, str) else kinds

    def deco(fn: Handler) -> Handler:
        for k in kind_list:
            for n in names:
                METHODS[(k, n)] = fn
        return fn

    return deco


def attribute(
    kinds: str | tuple[str, ...], *names: str
) -> Callable[[Callable[[Value], Value]], Callable[[Value], Value]]:
    kind_list = (kinds,) if isinstance(kinds, str) else kinds

    def deco(fn: Callable[[Value], Value]) -> Callable[[Value], Value]:
        for k in kind_list:
            for n in names:
                ATTRIBUTES[(k, n)] = fn
        return fn

    return deco


def receiver_kind(v: Value) -> str:
    """The method-table key of a value: ``ndarray``, ``tensor``, ``keras``, ``dataset``, ..."""
    from .values import DatasetVal, DictVal, LayerVal, ModelVal, Unknown

    custom = getattr(type(v), "RECEIVER", None)
    if isinstance(custom, str):
        return custom
    if isinstance(v, Tensor):
        if v.kind == "np":
            return "ndarray"
        if v.kind == "keras":
            return "keras"
        return "tensor"
    if isinstance(v, DatasetVal):
        return "dataset"
    if isinstance(v, ModelVal):
        return "model"
    if isinstance(v, LayerVal):
        return "layer"
    if isinstance(v, Seq):
        return v.kind
    if isinstance(v, DictVal):
        return "dict"
    if isinstance(v, Const):
        return type(v.value).__name__
    if isinstance(v, Unknown) and v.pytype is not None:
        return v.pytype.__name__
    return "?"


def unknown(_: Call) -> Value:
    return UNKNOWN

"""``model.input`` / ``model.output`` of a Sequential that was never called.

Keras 3 keeps a Sequential's graph private: ``seq.inputs`` and ``seq.outputs`` work once it
knows its input, but ``seq.input`` and ``seq.output`` come from the model's own call history
and raise ``AttributeError`` ("The layer sequential has never been called and thus has no
defined input") until the Sequential itself is called on a symbolic tensor, even after
``fit``. Keras 2 code such as ``keras.Model(seq.input, seq.layers[-2].output)`` trips on it.
The engine says so only for a ``keras.Sequential(...)`` that no call has seen yet: calling it,
or passing it to anything (a container, another model, a function), may give it that history.
"""

from __future__ import annotations

from .shapes import ShapeError
from .values import BoundMethod, Const, DictVal, ModelVal, Seq, Tensor, Value


def note_model_calls(func: Value, args: list[Value], kwargs: dict[str, Value]) -> bool:
    """A call may give the models it touches a call history: mark them. True when it marked a
    model not marked before."""
    called = func.receiver if isinstance(func, BoundMethod) and func.name in ("__call__", "call") else func
    marked = False
    if isinstance(called, ModelVal) and not called.maybe_called and not _eager(args, kwargs):
        called.maybe_called = True  # an eager call (arrays, tensors) records no history
        marked = True
    for v in (*args, *kwargs.values()):
        if isinstance(v, _HOLDERS):  # most arguments are tensors or constants: nothing to mark
            marked = _mark(v, 2) or marked
    return marked


_HOLDERS = (ModelVal, Seq, DictVal)


def _eager(args: list[Value], kwargs: dict[str, Value]) -> bool:
    """Every argument is a concrete array or tensor, or a constant (``training=False``)."""
    return bool(args) and all(
        (isinstance(v, Tensor) and v.kind in ("np", "tf", "var")) or isinstance(v, Const)
        for v in (*args, *kwargs.values())
    )


def _mark(v: Value, depth: int) -> bool:
    if isinstance(v, ModelVal):
        was = v.maybe_called
        v.maybe_called = True
        return not was
    marked = False
    if depth > 0 and isinstance(v, Seq) and v.items is not None:
        for item in v.items:
            marked = _mark(item, depth - 1) or marked
    elif depth > 0 and isinstance(v, DictVal):
        for item in v.items.values():
            marked = _mark(item, depth - 1) or marked
    return marked


def check_defined(model: ModelVal, attr: str) -> None:
    """Raise what Keras raises for ``seq.input``/``seq.output`` of a never-called Sequential."""
    if model.kind != "sequential" or model.maybe_called or model.escaped or model.instance is not None:
        return
    label = f"Sequential '{model.name}'" if model.name else "this Sequential"
    raise ShapeError(
        f"`.{attr}` of {label}, which has not been called on a symbolic tensor: Keras 3 raises "
        f"AttributeError (\"has never been called and thus has no defined {attr}\"), even after "
        f"fit(); use `.{attr}s[0]`, which Keras 3 defines once the input is known",
        code="sequential-io",
    )

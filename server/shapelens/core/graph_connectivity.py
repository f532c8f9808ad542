"""Whether a functional model's outputs can be computed from the inputs it is given.

``keras.Model(inputs, outputs)`` walks the graph back from ``outputs``; a path that ends at a
``keras.Input`` that is not among ``inputs`` makes Keras raise ("Graph disconnected" / "Output
... is not connected to `inputs`"), the classic mistake of building a second model on a fresh
Input but on layer outputs of the first. The engine says so only when it is certain: every
entry of ``inputs`` is a tensor made by ``keras.Input`` (an intermediate tensor given as an
input is allowed by Keras but cuts the walk in ways not tracked here), and the path to the stray
Input is made of recorded layer and op calls only.
"""

from __future__ import annotations

from .facts import Related, Span
from .shapes import ShapeError, format_shape
from .values import JOIN_NODE, DictVal, Seq, Tensor, Value, tensors_in


def stray_input(inputs: Value | None, outputs: Value | None) -> tuple[Tensor, Span | None] | None:
    """The first ``keras.Input`` the outputs depend on that is not one of ``inputs``, with the
    call site of the layer or op that consumes it (None when no such Input is certain)."""
    if inputs is None or outputs is None:
        return None
    given = tensors_in(inputs)
    if not given or not _fully_listed(inputs) or any(t.input_token is None for t in given):
        return None
    listed = {t.input_token for t in given}
    outs = tensors_in(outputs)
    if not outs or any(t.kind != "keras" for t in outs):
        return None
    seen: set[int] = set()
    stack: list[tuple[Tensor, Span | None]] = [(t, None) for t in reversed(outs)]
    while stack:
        t, consumer = stack.pop()
        if id(t) in seen or t.kind != "keras":
            continue
        seen.add(id(t))
        if t.input_token is not None:
            if t.input_token not in listed:
                return t, consumer
            continue
        if t.history is None or t.history[0] is JOIN_NODE:
            continue  # a step not recorded, or one of several paths: nothing certain past it
        _callee, args, kwargs, _pos, site = t.history
        at = site if isinstance(site, Span) else consumer
        for a in reversed([*args, *kwargs.values()]):
            if isinstance(a, Tensor):  # the common case, without building a list for it
                stack.append((a, at))
            else:
                stack.extend((u, at) for u in reversed(tensors_in(a)))
    return None


def _fully_listed(v: Value) -> bool:
    """Every leaf of the structure is known (no list of unknown length, no unknown entry)."""
    if isinstance(v, Tensor):
        return True
    if isinstance(v, Seq):
        return v.items is not None and all(_fully_listed(i) for i in v.items)
    if isinstance(v, DictVal):
        return all(_fully_listed(i) for i in v.items.values())
    return False


def check_connected(inputs: Value | None, outputs: Value | None, model_label: str) -> None:
    """Raise what Keras raises when the outputs need an Input the model is not given."""
    found = stray_input(inputs, outputs)
    if found is None:
        return
    stray, consumer = found
    where = f"line {stray.origin.line}" if stray.origin is not None else "another line"
    named = f" '{stray.name}'" if stray.name else ""
    used = f" (used at line {consumer.line})" if consumer is not None else ""
    related: list[object] = []
    if stray.origin is not None:
        related.append(Related(stray.origin, f"this Input{named} {format_shape(stray.shape)} is not in `inputs`"))
    raise ShapeError(
        f"{model_label}: the outputs are not connected to `inputs`: they depend on the Input{named} "
        f"{format_shape(stray.shape)} from {where}{used}, which is not one of the model's inputs "
        "(Keras raises \"Output ... is not connected to `inputs`\"); pass that Input in `inputs`, "
        "or build the outputs from the inputs given",
        code="graph-disconnected",
        related=related,
    )

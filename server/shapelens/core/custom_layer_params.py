"""Parameter counts of the user's own Layer subclasses, as Keras counts them: the weights the
layer adds itself (``add_weight`` in ``__init__``/``build``) plus those of every layer it keeps
in an attribute (directly, or in a list, tuple or dict), each layer once.

A sublayer the engine never saw built may still have been built by Keras (in a call the
engine could not follow), so its count is unknown unless it has no weights at all. Anything
the engine cannot see for sure (a weight of unknown shape, one added on a path that may not
run, a ``trainable`` flag it cannot read) leaves the count, or its trainable part, unknown.
"""

from __future__ import annotations

import ast

from .values import ClassVal, DictVal, Instance, LayerVal, ModelVal, Seq, Value


def tracked_sublayers(inst: Instance) -> list[Value]:
    """The layers and models kept in the instance's attributes, each once, in attribute order."""
    out: list[Value] = []
    seen: set[int] = set()

    def visit(v: Value, depth: int) -> None:
        if depth > 3:
            return
        if isinstance(v, (LayerVal, ModelVal)) or (isinstance(v, Instance) and v.model is None):
            if id(v) not in seen and v is not inst:
                seen.add(id(v))
                out.append(v)
        elif isinstance(v, Seq) and v.items is not None:
            for item in v.items:
                visit(item, depth + 1)
        elif isinstance(v, DictVal):
            for item in v.items.values():
                visit(item, depth + 1)

    for value in inst.attrs.values():
        visit(value, 0)
    return out


def holds_unknown_containers(inst: Instance) -> bool:
    """An attribute list/dict whose items the engine lost may hold layers."""
    for v in inst.attrs.values():
        if isinstance(v, Seq) and v.items is None:
            return True
        if isinstance(v, DictVal) and not v.complete:
            return True
    return False


def variables_set_directly(cls: ClassVal) -> bool:
    """Every ``Variable(...)`` the class (and its user base classes) creates is assigned
    straight to ``self.<name>``, and nothing is set with ``setattr``: then the keras.Variables
    Keras tracks are exactly those the engine sees on the instance's attributes."""
    for c in cls.mro():
        if not isinstance(c, ClassVal):
            continue
        direct: set[int] = set()
        for node in ast.walk(c.node):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and _is_self_attribute(node.targets[0]):
                direct.add(id(node.value))
        for node in ast.walk(c.node):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name == "setattr" or (name == "Variable" and id(node) not in direct):
                return False
    return True


def _is_self_attribute(target: ast.expr) -> bool:
    return (
        isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"
    )

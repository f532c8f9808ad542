"""Loops that append a fixed number of items to a list on every pass.

A long loop (``for i in range(len(data) - window): xs.append(data[i:i + window])``) is too long
to unroll, so the abstract loop runs its body twice and the list's length becomes unknown.
When the body is straight-line code (no nested loop, ``try``, ``break``, ``continue``,
``return`` or ``raise``; an ``if`` of such code is fine) whose only use of the list is
``xs.append(...)`` statements at its top level, every pass adds exactly that many items: after ``n`` passes the list has ``n`` times as
many more. This module finds such lists; the interpreter checks the count on the passes it runs
and sets the length after the loop.
"""

from __future__ import annotations

import ast

_STRAIGHT = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.Pass)
# expressions that may run a part of a statement zero or many times, or leave it early
_IRREGULAR = (ast.Lambda, ast.Yield, ast.YieldFrom, ast.Await, ast.NamedExpr)


def _append_receiver(stmt: ast.stmt) -> ast.Name | None:
    """``xs.append(item)`` as a statement of its own: the ``xs`` name node."""
    if not isinstance(stmt, ast.Expr) or not isinstance(stmt.value, ast.Call):
        return None
    call = stmt.value
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "append"
        and isinstance(func.value, ast.Name)
        and len(call.args) == 1
        and not isinstance(call.args[0], ast.Starred)
        and not call.keywords
    ):
        return func.value
    return None


def _straight(stmt: ast.stmt) -> bool:
    """A statement that runs to its end: no loop, ``try``, jump or ``raise`` in it."""
    if isinstance(stmt, ast.If):
        return all(_straight(s) for s in (*stmt.body, *stmt.orelse))
    return isinstance(stmt, _STRAIGHT)


def fixed_appends(loop: ast.For | ast.AsyncFor) -> dict[str, int]:
    """The names of the lists that every pass of ``loop`` appends to, with how many items each
    pass appends; empty when the body is not straight-line or uses such a list otherwise."""
    if loop.orelse or not isinstance(loop, ast.For):
        return {}
    counts: dict[str, int] = {}
    receivers: set[int] = set()
    for stmt in loop.body:
        if not _straight(stmt):
            return {}
        name = _append_receiver(stmt)
        if name is not None:
            counts[name.id] = counts.get(name.id, 0) + 1
            receivers.add(id(name))
    if not counts:
        return {}
    for node in [loop.target, *loop.body]:
        for sub in ast.walk(node):
            if isinstance(sub, _IRREGULAR):
                return {}
            if isinstance(sub, ast.Name) and sub.id in counts and id(sub) not in receivers:
                counts.pop(sub.id)  # read, rebound or passed on: its count is not this loop's alone
    return counts

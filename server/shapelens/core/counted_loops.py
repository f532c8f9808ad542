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


def private_lists(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda, loop: ast.stmt, names: set[str]) -> set[str]:
    """Those of ``names`` that no other code can reach while ``loop`` runs: locals of
    ``function`` bound before the loop (a top-level statement of its body) only to fresh list
    literals (``xs = []``, ``xs, ys = [], []``) and not used otherwise before it, with no nested
    function or class mentioning them and no ``global``/``nonlocal`` for them. A user function
    the loop body calls cannot append to such a list, so the body's own appends are all it gets."""
    if isinstance(function, ast.Lambda) or loop not in function.body:
        return set()
    found = set(names)
    before = function.body[: function.body.index(loop)]
    for stmt in before:
        fresh: set[int] = set()
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
            pairs = (
                list(zip(target.elts, value.elts, strict=False))
                if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple)
                and len(target.elts) == len(value.elts)
                else [(target, value)]
            )
            for t, v in pairs:
                if isinstance(t, ast.Name) and isinstance(v, ast.List) and not v.elts:
                    fresh.add(id(t))
        for sub in ast.walk(stmt):
            if isinstance(sub, ast.Name) and sub.id in found and id(sub) not in fresh:
                found.discard(sub.id)
            elif isinstance(sub, (ast.Global, ast.Nonlocal)):
                found -= set(sub.names)
    for sub in ast.walk(function):
        if sub is not function and isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            found -= {n.id for n in ast.walk(sub) if isinstance(n, ast.Name)}
        elif isinstance(sub, (ast.Global, ast.Nonlocal)):
            found -= set(sub.names)
    return found

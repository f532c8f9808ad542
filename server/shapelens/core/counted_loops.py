"""Loops that append a fixed number of items to a list on every pass.

A long loop (``for i in range(len(data) - window): xs.append(data[i:i + window])``) is too long
to unroll, so the abstract loop runs its body twice and the list's length becomes unknown.
When the body is straight-line code (no ``while``, ``try``, ``break``, ``continue``, ``return``
or ``raise``; an ``if`` of such code is fine) whose only use of the list is ``xs.append(...)``
statements at its top level, every pass adds exactly that many items: after ``n`` passes the
list has ``n`` times as many more. A nested ``for`` over ``range(...)`` of values the outer body
does not rebind (``for _ in range(CFG["per_item"])``) whose own body is such code runs the same
number of times on every pass: its appends are counted on the first pass, which runs as certain
code. This module finds such lists; the interpreter checks the count on the passes it runs and
sets the length after the loop.
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


def _bound_names(nodes: list[ast.AST]) -> set[str]:
    """Every name the statements bind (assignment targets, loop targets, imports, ...)."""
    bound: set[str] = set()
    for node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, (ast.Store, ast.Del)):
                bound.add(sub.id)
            elif isinstance(sub, (ast.Import, ast.ImportFrom)):
                bound.update((a.asname or a.name).split(".")[0] for a in sub.names)
            elif isinstance(sub, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(sub.name)
    return bound


def _invariant(expr: ast.expr, rebound: set[str]) -> bool:
    """An expression of constants and names the loop does not rebind (``n``, ``CFG["k"]``,
    ``cfg.k * 2``): it has the same value on every pass."""
    if isinstance(expr, ast.Constant):
        return True
    if isinstance(expr, ast.Name):
        return expr.id not in rebound
    if isinstance(expr, ast.Attribute):
        return _invariant(expr.value, rebound)
    if isinstance(expr, ast.Subscript):
        return _invariant(expr.value, rebound) and isinstance(expr.slice, ast.Constant)
    if isinstance(expr, ast.BinOp):
        return _invariant(expr.left, rebound) and _invariant(expr.right, rebound)
    if isinstance(expr, ast.UnaryOp):
        return _invariant(expr.operand, rebound)
    return False


def _fixed_inner_loop(stmt: ast.stmt, rebound: set[str]) -> bool:
    """``for ... in range(...)`` with invariant bounds and a body of straight code or such loops."""
    if not isinstance(stmt, ast.For) or stmt.orelse:
        return False
    it = stmt.iter
    if not (
        isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"
        and not it.keywords and 1 <= len(it.args) <= 3 and all(_invariant(a, rebound) for a in it.args)
    ):
        return False
    return all(_straight(s) or _fixed_inner_loop(s, rebound) for s in stmt.body)


def _appends_in(stmts: list[ast.stmt], counts: dict[str, int], measured: set[str], receivers: set[int],
                nested: bool) -> None:
    for stmt in stmts:
        if isinstance(stmt, ast.For):
            _appends_in(stmt.body, counts, measured, receivers, True)
            continue
        name = _append_receiver(stmt)
        if name is not None:
            counts[name.id] = counts.get(name.id, 0) + 1
            receivers.add(id(name))
            if nested:
                measured.add(name.id)


def fixed_appends(loop: ast.For | ast.AsyncFor) -> dict[str, int | None]:
    """The names of the lists that every pass of ``loop`` appends to, with how many items each
    pass appends (None: the same number each pass, appended by a nested loop, to be counted on
    the first pass); empty when the body is not straight-line or uses such a list otherwise."""
    if loop.orelse or not isinstance(loop, ast.For):
        return {}
    rebound = _bound_names([loop.target, *loop.body])
    for stmt in loop.body:
        if not _straight(stmt) and not _fixed_inner_loop(stmt, rebound):
            return {}
    counts: dict[str, int] = {}
    measured: set[str] = set()
    receivers: set[int] = set()
    _appends_in(loop.body, counts, measured, receivers, False)
    if not counts:
        return {}
    for node in [loop.target, *loop.body]:
        for sub in ast.walk(node):
            if isinstance(sub, _IRREGULAR):
                return {}
            if isinstance(sub, ast.Name) and sub.id in counts and id(sub) not in receivers:
                counts.pop(sub.id)  # read, rebound or passed on: its count is not this loop's alone
    return {name: None if name in measured else n for name, n in counts.items()}


def private_lists(
    function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.Module, loop: ast.stmt, names: set[str]
) -> set[str]:
    """Those of ``names`` that no other code can reach while ``loop`` runs: locals of
    ``function`` (or globals of the module) bound before the loop (a top-level statement of its
    body) only to fresh list literals (``xs = []``, ``xs, ys = [], []``) and not used otherwise
    before it, with no nested function or class mentioning them and no ``global``/``nonlocal``
    for them. A user function the loop body calls cannot append to such a list, so the body's
    own appends are all it gets."""
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

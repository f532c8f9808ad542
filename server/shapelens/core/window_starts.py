"""Window starts drawn at random: ``for s in rng.integers(lo, hi, n)`` whose ``s`` only ever
bounds slices (``series[s:s + W]``) is followed as an int in ``lo..hi``, so each window is
known to be ``W`` long when ``hi + W`` stays inside the array.

The numpy int64 scalar becomes an int only where nothing else could tell them apart: every use
of the loop variable must be a slice bound, ``s`` plus or minus something (a numpy scalar and
a Python int promote differently in arithmetic, which would show elsewhere).
"""

from __future__ import annotations

import ast

from .values import BoundedInt, Tensor, Value

_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def window_start(iterable: Value, target: ast.AST, roots: list[ast.AST]) -> BoundedInt | None:
    """The loop variable as a bounded int, or None where it must stay what it is."""
    if not isinstance(iterable, Tensor) or iterable.value_range is None or iterable.dtype not in _INT_DTYPES:
        return None
    if iterable.shape.dims is None or len(iterable.shape.dims) != 1 or not isinstance(target, ast.Name):
        return None
    if not used_only_as_slice_bounds(target.id, roots):
        return None
    lo, hi = iterable.value_range
    return BoundedInt(None, int, lo, hi)


def used_only_as_slice_bounds(name: str, roots: list[ast.AST]) -> bool:
    """Every read of ``name`` is a slice's lower or upper bound, alone or with something added
    or subtracted (``x[s:s + k]``, ``x[s - k:s]``); it is read at least once and never set."""
    parents: dict[ast.AST, ast.AST] = {}
    for root in roots:
        for node in ast.walk(root):
            for child in ast.iter_child_nodes(node):
                parents[child] = node
    uses = 0
    for root in roots:
        for node in ast.walk(root):
            if not (isinstance(node, ast.Name) and node.id == name):
                continue
            if not isinstance(node.ctx, ast.Load):
                return False
            uses += 1
            current: ast.AST = node
            parent = parents.get(current)
            while isinstance(parent, ast.BinOp) and (
                parent.left is current or (isinstance(parent.op, ast.Add) and parent.right is current)
            ) and isinstance(parent.op, (ast.Add, ast.Sub)):
                current, parent = parent, parents.get(parent)
            if not (isinstance(parent, ast.Slice) and (parent.lower is current or parent.upper is current)):
                return False
    return uses > 0

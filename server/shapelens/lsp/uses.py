"""Which assignment a name refers to where it is used, so hover works on uses as well as targets.

The engine records facts at assignment targets. Hovering ``x`` in ``y = layer(x)`` should show
the ``x`` that reaches that point: the latest binding of the name in the same scope that is
visible there (an assignment's target becomes visible after its value, a ``for`` target after
its iterable). Free names in functions resolve to the enclosing scope only when it binds the
name exactly once; otherwise nothing is claimed (unknown is silent).
"""

from __future__ import annotations

import ast
import bisect
from dataclasses import dataclass, field

from ..core.facts import Span
from ..core.source import parse

Pos = tuple[int, int]


@dataclass
class _Scope:
    kind: str  # module | function | class | comprehension
    parent: _Scope | None
    stores: dict[str, list[tuple[Pos, Span]]] = field(default_factory=dict)
    globals_: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)

    def add(self, name: str, visible: Pos, span: Span) -> None:
        self.stores.setdefault(name, []).append((visible, span))


def _end(node: ast.AST) -> Pos:
    span = Span.of(node)
    return span.end_line, span.end_column


def _start(node: ast.AST) -> Pos:
    span = Span.of(node)
    return span.line, span.column


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.module = _Scope("module", None)
        self.scope = self.module
        self.loads: list[tuple[Span, str, _Scope]] = []
        self.visible: list[Pos] = []  # where targets being visited become visible

    # -- helpers
    def _targets(self, target: ast.AST, visible: Pos) -> None:
        self.visible.append(visible)
        try:
            self.visit(target)
        finally:
            self.visible.pop()

    def _binding_scope(self, name: str) -> _Scope:
        scope = self.scope
        if name in scope.globals_:
            return self.module
        return scope

    # -- names
    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loads.append((Span.of(node), node.id, self.scope))
        elif isinstance(node.ctx, ast.Store):
            visible = self.visible[-1] if self.visible else _end(node)
            self._binding_scope(node.id).add(node.id, visible, Span.of(node))

    # -- statements that bind
    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for t in node.targets:
            self._targets(t, _end(node))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)
        self._targets(node.target, _end(node))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.visit(node.value)
        if isinstance(node.target, ast.Name):
            self.loads.append((Span.of(node.target), node.target.id, self.scope))
            self._binding_scope(node.target.id).add(node.target.id, _end(node), Span.of(node.target))
        else:
            self.visit(node.target)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        scope = self.scope
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        scope.add(node.target.id, _end(node), Span.of(node.target))

    def _visit_for(self, node: ast.For | ast.AsyncFor) -> None:
        self.visit(node.iter)
        self._targets(node.target, _end(node.iter))
        for stmt in [*node.body, *node.orelse]:
            self.visit(stmt)

    visit_For = _visit_for
    visit_AsyncFor = _visit_for

    def _visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None:
                self._targets(item.optional_vars, _end(item.context_expr))
        for stmt in node.body:
            self.visit(stmt)

    visit_With = _visit_with
    visit_AsyncWith = _visit_with

    def visit_Global(self, node: ast.Global) -> None:
        self.scope.globals_.update(node.names)

    def visit_Nonlocal(self, node: ast.Nonlocal) -> None:
        self.scope.nonlocals.update(node.names)

    # -- scopes
    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        for d in getattr(node, "decorator_list", []):
            self.visit(d)
        for default in [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]:
            self.visit(default)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            self.scope.add(node.name, _start(node), Span.of(node))
        inner = _Scope("function", self.scope)
        outer, self.scope = self.scope, inner
        try:
            body_start = _start(node.body[0]) if isinstance(node.body, list) else _start(node.body)
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
                if arg is not None:
                    inner.add(arg.arg, body_start, Span.of(arg))
            if isinstance(node.body, list):
                for stmt in node.body:
                    self.visit(stmt)
            else:
                self.visit(node.body)
        finally:
            self.scope = outer

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for expr in [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]:
            self.visit(expr)
        self.scope.add(node.name, _end(node), Span.of(node))
        inner = _Scope("class", self.scope)
        outer, self.scope = self.scope, inner
        try:
            for stmt in node.body:
                self.visit(stmt)
        finally:
            self.scope = outer

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        gens = node.generators
        if gens:
            self.visit(gens[0].iter)  # evaluated in the enclosing scope
        inner = _Scope("comprehension", self.scope)
        outer, self.scope = self.scope, inner
        try:
            for i, gen in enumerate(gens):
                if i:
                    self.visit(gen.iter)
                self._targets(gen.target, _end(gen.iter))
                for cond in gen.ifs:
                    self.visit(cond)
            if isinstance(node, ast.DictComp):
                self.visit(node.key)
                self.visit(node.value)
            else:
                self.visit(node.elt)
        finally:
            self.scope = outer

    visit_ListComp = _comprehension
    visit_SetComp = _comprehension
    visit_GeneratorExp = _comprehension
    visit_DictComp = _comprehension


def _resolve(name: str, at: Pos, scope: _Scope, module: _Scope) -> Span | None:
    if name in scope.globals_:
        scope = module
    stores = scope.stores.get(name)
    if stores and name not in scope.nonlocals:
        best: Span | None = None
        best_vis: Pos | None = None
        for visible, span in stores:
            if visible <= at and (best_vis is None or visible >= best_vis):
                best, best_vis = span, visible
        return best
    # A free name: resolved in an enclosing scope (class bodies are skipped), but only when
    # that scope binds it exactly once, since the code runs later than it is written.
    parent = scope.parent
    while parent is not None:
        if parent.kind == "class":
            parent = parent.parent
            continue
        found = parent.stores.get(name)
        if found:
            if parent.kind == "comprehension":
                return _resolve(name, at, parent, module)
            return found[0][1] if len(found) == 1 else None
        parent = parent.parent
    return None


class NameIndex:
    """Name uses in a source, each with the span of the binding that reaches it."""

    def __init__(self, uses: list[tuple[Span, Span]]) -> None:
        uses.sort(key=lambda u: u[0])
        self._uses = uses
        self._starts = [(u.line, u.column) for u, _ in uses]

    @staticmethod
    def build(text: str) -> NameIndex:
        tree = parse(text).tree
        collector = _Collector()
        collector.visit(tree)
        uses: list[tuple[Span, Span]] = []
        for span, name, scope in collector.loads:
            binding = _resolve(name, (span.line, span.column), scope, collector.module)
            if binding is not None:
                uses.append((span, binding))
        return NameIndex(uses)

    def binding_at(self, line: int, col: int) -> tuple[Span, Span] | None:
        """(use span, binding span) for the name use under an engine position."""
        i = bisect.bisect_right(self._starts, (line, col)) - 1
        if i < 0:
            return None
        use, binding = self._uses[i]
        if use.line == line and use.column <= col < use.end_column:
            return use, binding
        return None

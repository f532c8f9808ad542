"""``shapelens/modelGraph``: the layer graph of the Keras model at the cursor, for the client's
model picture.

Shapes come from the engine's facts (the output shape recorded for each layer); which layer
feeds which comes from the document's syntax tree:

* ``Sequential([...])`` (and later ``name.add(...)``): the layers in order, one chain.
* functional ``Model(inputs, outputs)``: the statements before it are walked in order, tracking
  which layer call produced the tensor each name holds. A layer call's inputs are the producers
  of the names in its arguments; anything that is not a layer call (``x + 1``, ``tf.nn.relu(x)``,
  ``x[:, 0]``) passes its inputs' producers through. Calls to functions of the same file are
  followed (a fresh set of nodes per call site); a loop body is walked once. The graph is what
  the model's outputs depend on.

Request params (LSP coordinates): ``{"textDocument": {"uri"}, "position": {"line", "character"}}``.
Answer::

    {"model": {"name", "kind", "uri", "range"} | null,
     "nodes": [{"id", "label", "name", "shape", "dtype", "kind": "input"|"layer"|"model",
                "output": bool, "uri", "range"}],
     "edges": [{"source", "target"}],
     "message": str | null}

``shape`` is formatted like the hovers ("(None, 32)"), or "?" when the engine has no fact.
"""

from __future__ import annotations

import ast
import asyncio
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp

from ..core.facts import ShapeFact, Span
from ..core.shapes import format_shape
from ..core.source import parse
from .convert import Locator

if TYPE_CHECKING:
    from .server import ShapelensServer

MODEL_GRAPH = "shapelens/modelGraph"

_MODEL_CALLEES = {"Sequential": "sequential", "Model": "functional", "Functional": "functional"}
_INPUT_CALLEES = {"Input", "InputLayer"}
_MAX_INLINE_DEPTH = 8
_MAX_NODES = 500

Key = tuple[tuple[int, ...], Span]  # (call-site path, span): one node per layer call per context


# ----------------------------------------------------------------------------------------------
# the graph


@dataclass
class Node:
    id: str
    label: str
    span: Span
    kind: str = "layer"
    name: str = ""
    shape: str = "?"
    dtype: str | None = None
    output: bool = False


@dataclass
class Graph:
    model_name: str | None = None
    model_kind: str | None = None
    model_span: Span | None = None
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    message: str | None = None

    def to_json(self, locator: Locator | None = None) -> dict[str, Any]:
        def where(span: Span | None) -> dict[str, Any]:
            if span is None:
                return {"line": None}
            out: dict[str, Any] = {"line": span.line}
            located = locator.range_of(span) if locator is not None else None
            if located is not None:
                uri, rng = located
                out["uri"] = uri
                out["range"] = {
                    "start": {"line": rng.start.line, "character": rng.start.character},
                    "end": {"line": rng.end.line, "character": rng.end.character},
                }
            return out

        model = None
        if self.model_kind is not None:
            model = {"name": self.model_name, "kind": self.model_kind, **where(self.model_span)}
        return {
            "model": model,
            "nodes": [
                {
                    "id": n.id,
                    "label": n.label,
                    "name": n.name,
                    "shape": n.shape,
                    "dtype": n.dtype,
                    "kind": n.kind,
                    "output": n.output,
                    **where(n.span),
                }
                for n in self.nodes
            ],
            "edges": [{"source": s, "target": t} for s, t in self.edges],
            "message": self.message,
        }


# ----------------------------------------------------------------------------------------------
# where the models are


@dataclass
class Site:
    """One ``Sequential(...)`` / ``Model(...)`` call."""

    call: ast.Call
    kind: str
    stmt: ast.stmt  # the simple statement holding the call
    scope: list[ast.stmt]  # the module's or the enclosing function's body
    name: str | None  # the name it is assigned to
    function: str | None  # the enclosing function


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _stmt_span(stmt: ast.stmt) -> Span:
    return Span.of(stmt)


def _contains_line(span: Span, line: int) -> bool:
    return span.line <= line <= span.end_line


def _child_bodies(stmt: ast.stmt) -> Iterator[list[ast.stmt]]:
    for name in ("body", "orelse", "finalbody"):
        body = getattr(stmt, name, None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            yield body
    for handler in getattr(stmt, "handlers", None) or []:
        yield handler.body
    for case in getattr(stmt, "cases", None) or []:
        yield case.body


def _is_compound(stmt: ast.stmt) -> bool:
    return any(True for _ in _child_bodies(stmt))


def _own_exprs(stmt: ast.stmt) -> Iterator[ast.AST]:
    """The expressions of a statement, without those of nested statements."""
    if not _is_compound(stmt):
        yield stmt
        return
    for name, value in ast.iter_fields(stmt):
        if name in ("body", "orelse", "finalbody", "handlers", "cases", "decorator_list"):
            continue
        if isinstance(value, ast.AST):
            yield value
        elif isinstance(value, list):
            yield from (v for v in value if isinstance(v, ast.AST))


def _walk_no_lambda(node: ast.AST) -> Iterator[ast.AST]:
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        stack.extend(
            child for child in ast.iter_child_nodes(cur) if not isinstance(child, (ast.Lambda, ast.stmt))
        )


def find_sites(tree: ast.Module) -> tuple[list[Site], dict[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    sites: list[Site] = []
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def visit(body: list[ast.stmt], scope: list[ast.stmt], function: str | None) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                functions.setdefault(stmt.name, stmt)
                visit(stmt.body, stmt.body, stmt.name)
                continue
            if isinstance(stmt, ast.ClassDef):
                visit(stmt.body, stmt.body, None)
                continue
            for expr in _own_exprs(stmt):
                for node in _walk_no_lambda(expr):
                    if isinstance(node, ast.Call):
                        kind = _MODEL_CALLEES.get(_callee(node.func) or "")
                        if kind is not None:
                            sites.append(Site(node, kind, stmt, scope, _bound_name(stmt, node, function), function))
            for child in _child_bodies(stmt):
                visit(child, scope, function)

    visit(tree.body, tree.body, None)
    sites.sort(key=lambda s: (s.call.lineno, s.call.col_offset))
    return sites, functions


def _bound_name(stmt: ast.stmt, call: ast.Call, function: str | None) -> str | None:
    if isinstance(stmt, ast.Assign) and stmt.value is call:
        for target in stmt.targets:
            if isinstance(target, ast.Name):
                return target.id
            if isinstance(target, ast.Attribute):
                return target.attr
    if isinstance(stmt, ast.AnnAssign) and stmt.value is call and isinstance(stmt.target, ast.Name):
        return stmt.target.id
    if isinstance(stmt, ast.Return) and stmt.value is call:
        return function
    return None


def _site_of_call(
    value: ast.expr | None, sites: list[Site], functions: dict[str, Any]
) -> Site | None:
    """``build_model(...)``: the model that local function returns (its last model call)."""
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Name):
        return None
    if value.func.id not in functions:
        return None
    inside = [s for s in sites if s.function == value.func.id]
    returned = [s for s in inside if isinstance(s.stmt, ast.Return)]
    chosen = returned or inside
    return chosen[-1] if chosen else None


def _statements(tree: ast.Module) -> Iterator[ast.stmt]:
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            yield node


def pick_site(tree: ast.Module, facts: list[ShapeFact], line: int, col: int) -> tuple[Site | None, str | None]:
    """The model at (line, col): the model call on the cursor's statement, else the model the
    name under the cursor holds, else the nearest model call above the cursor, else the first."""
    sites, functions = find_sites(tree)
    simple = [s for s in _statements(tree) if not _is_compound(s)]
    here = [s for s in simple if _contains_line(_stmt_span(s), line)]
    # 1. a model call in the statement under the cursor
    on_line = [s for s in sites if _contains_line(_stmt_span(s.stmt), line)]
    if on_line:
        inner = [s for s in on_line if _contains_line(Span.of(s.call), line)]
        return (inner or on_line)[-1], None
    for stmt in here:
        site = _site_of_call(getattr(stmt, "value", None), sites, functions)
        if site is not None:
            return site, None
    # 2. the name under the cursor
    name = _name_at(tree, line, col)
    if name is not None:
        model_facts = [f for f in facts if f.kind == "model" and f.name == name and f.span.line <= line]
        for fact in reversed(model_facts):
            for stmt in simple:
                if not _contains_line(_stmt_span(stmt), fact.span.line):
                    continue
                value = getattr(stmt, "value", None)
                direct = [s for s in sites if s.call is value]
                site = direct[0] if direct else _site_of_call(value, sites, functions)
                if site is not None:
                    return site, None
            if fact.detail and fact.detail not in ("sequential", "functional"):
                return None, f"`{name}` is a {fact.detail} model: shapelens draws Sequential and functional models."
        named = [s for s in sites if s.name == name and s.stmt.lineno <= line]
        if named:
            return named[-1], None
    # 3. the nearest model above the cursor, else the first
    above = [s for s in sites if s.stmt.lineno <= line]
    if above:
        return above[-1], None
    if sites:
        return sites[0], None
    return None, None


def _name_at(tree: ast.Module, line: int, col: int) -> str | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            span = Span.of(node)
            if span.line == line and span.column <= col <= span.end_column:
                return node.id
    return None


# ----------------------------------------------------------------------------------------------
# building


class _Builder:
    def __init__(self, facts: list[ShapeFact], functions: dict[str, Any]) -> None:
        self.layer_facts: dict[Span, ShapeFact] = {}
        self.assign_facts: dict[Span, ShapeFact] = {}
        for fact in facts:
            if fact.kind == "layer":
                self.layer_facts[fact.span] = fact
            elif fact.kind == "assign":
                self.assign_facts[fact.span] = fact
        self.functions = functions
        self.nodes: dict[Key, Node] = {}
        self.edges: dict[tuple[str, str], None] = {}
        self.models: dict[str, str] = {}  # names holding a model built in the walked code -> kind

    # -- nodes ---------------------------------------------------------------------------------

    def node(self, key: Key, label: str, kind: str = "layer", name: str = "") -> Node:
        node = self.nodes.get(key)
        if node is None:
            node = Node(f"n{len(self.nodes)}", label, key[1], kind, name)
            fact = self.layer_facts.get(key[1])
            if fact is not None:
                self._set_shape(node, fact)
            self.nodes[key] = node
        return node

    @staticmethod
    def _set_shape(node: Node, fact: ShapeFact) -> None:
        # A layer applied more than once (the model built, then called with other data) has
        # several shapes; the known ones are the picture's, the first being the build's.
        known = [v for v in fact.variants if v.dims is not None]
        shapes = list(dict.fromkeys(format_shape(v) for v in known)) or [format_shape(fact.shape)]
        node.shape = " | ".join(shapes)
        node.dtype = fact.dtype

    def shape_from_target(self, node: Node, target: ast.expr) -> None:
        """The shape recorded for the name a call's result is assigned to (inputs, models)."""
        if (node.shape != "?" and node.kind != "input") or not isinstance(target, ast.Name):
            return
        fact = self.assign_facts.get(Span.of(target))
        if fact is not None:
            self._set_shape(node, fact)

    def edge(self, sources: Iterable[str], target: str) -> None:
        for source in sources:
            if source != target:
                self.edges.setdefault((source, target), None)

    def graph(self, keep: set[str] | None, outputs: set[str]) -> Graph:
        # in creation order: the list order of a Sequential, the data flow of a functional model
        nodes = [n for n in self.nodes.values() if keep is None or n.id in keep]
        for n in nodes:
            n.output = n.id in outputs
        ids = {n.id for n in nodes}
        edges = [(s, t) for (s, t) in self.edges if s in ids and t in ids]
        return Graph(nodes=nodes[:_MAX_NODES], edges=edges)

    # -- Sequential ------------------------------------------------------------------------------

    def sequential(self, site: Site) -> Graph:
        items: list[ast.expr] = []
        arg = site.call.args[0] if site.call.args else _keyword(site.call, "layers")
        if isinstance(arg, (ast.List, ast.Tuple)):
            items.extend(arg.elts)
        if site.name is not None:
            items.extend(self._added(site))
        assigned = _assignments(site.scope)
        chain: list[str] = []
        first = True
        for item in items:
            made = self._sequential_item(item, assigned, first)
            first = False
            for node in made:
                if chain:
                    self.edge([chain[-1]], node.id)
                chain.append(node.id)
        return self.graph(None, {chain[-1]} if chain else set())

    def _added(self, site: Site) -> list[ast.expr]:
        out: list[ast.expr] = []
        after = (site.stmt.lineno, site.stmt.col_offset)
        for stmt in sorted(_simple_statements(site.scope), key=lambda s: (s.lineno, s.col_offset)):
            if (stmt.lineno, stmt.col_offset) <= after:
                continue
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == site.name for t in stmt.targets
            ):
                break  # the name now holds something else
            call = stmt.value if isinstance(stmt, ast.Expr) else None
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "add"
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == site.name
                and call.args
            ):
                out.append(call.args[0])
        return out

    def _sequential_item(self, item: ast.expr, assigned: dict[str, list[ast.Assign]], first: bool) -> list[Node]:
        ctx: tuple[int, ...] = ()
        name = ""
        expr: ast.expr = item
        if isinstance(item, ast.Name):
            name = item.id
            earlier = [a for a in assigned.get(item.id, []) if a.lineno <= item.lineno]
            if earlier:
                expr = earlier[-1].value
        label = _callee(expr.func) if isinstance(expr, ast.Call) else None
        label = label or name or "?"
        if isinstance(expr, ast.Call) and label in _INPUT_CALLEES:
            node = self.node((ctx, Span.of(expr)), "Input", "input", name or _name_kwarg(expr))
            node.shape, node.dtype = _literal_input_shape(expr), "float32"
            return [node]
        made: list[Node] = []
        if first and isinstance(expr, ast.Call):
            shape = _first_layer_input_shape(expr)
            if shape is not None:
                span = Span.of(expr)
                node = self.node((ctx, Span(span.line, span.column, span.line, span.column)), "Input", "input")
                node.shape, node.dtype = shape, "float32"
                made.append(node)
        kind = "model" if label in _MODEL_CALLEES else "layer"
        display = _name_kwarg(expr) if isinstance(expr, ast.Call) else ""
        made.append(self.node((ctx, Span.of(expr)), label, kind, display or name))
        return made

    # -- functional ------------------------------------------------------------------------------

    def functional(self, site: Site) -> Graph:
        env: dict[str, set[str]] = {}
        walker = _Walker(self, site)
        try:
            walker.block(site.scope, env, ())
        except _Reached:
            pass
        outputs_expr = site.call.args[1] if len(site.call.args) > 1 else _keyword(site.call, "outputs")
        inputs_expr = site.call.args[0] if site.call.args else _keyword(site.call, "inputs")
        final = walker.final_env if walker.final_env is not None else env
        outputs = walker.expr(outputs_expr, final, ())
        walker.expr(inputs_expr, final, ())
        if not outputs:
            return self.graph(None, set())
        keep = set(outputs)
        parents: dict[str, list[str]] = {}
        for s, t in self.edges:
            parents.setdefault(t, []).append(s)
        stack = list(outputs)
        while stack:
            for parent in parents.get(stack.pop(), []):
                if parent not in keep:
                    keep.add(parent)
                    stack.append(parent)
        return self.graph(keep, outputs)


class _Reached(Exception):
    """The walk got to the model call."""


class _Walker:
    """Walks statements in order, tracking which graph nodes produced each name's value."""

    def __init__(self, builder: _Builder, site: Site) -> None:
        self.b = builder
        self.site = site
        self.final_env: dict[str, set[str]] | None = None
        self.active: list[str] = []

    def block(self, body: list[ast.stmt], env: dict[str, set[str]], ctx: tuple[int, ...]) -> set[str] | None:
        """Walk ``body``; the producers of what it returns (if it returns)."""
        returned: set[str] | None = None
        for stmt in body:
            if stmt is self.site.stmt and not ctx:
                self.final_env = env
                raise _Reached
            result = self.stmt(stmt, env, ctx)
            if result is not None:
                returned = (returned or set()) | result
                if isinstance(stmt, ast.Return):
                    break
        return returned

    def stmt(self, stmt: ast.stmt, env: dict[str, set[str]], ctx: tuple[int, ...]) -> set[str] | None:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom)):
            return None
        if isinstance(stmt, ast.Assign):
            value = self.expr(stmt.value, env, ctx)
            for target in stmt.targets:
                self.bind(target, value, env)
                if isinstance(stmt.value, ast.Call):
                    self._note_target(stmt.value, target, env, ctx)
            return None
        if isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.bind(stmt.target, self.expr(stmt.value, env, ctx), env)
            return None
        if isinstance(stmt, ast.AugAssign):
            value = self.expr(stmt.value, env, ctx)
            if isinstance(stmt.target, ast.Name):
                env[stmt.target.id] = env.get(stmt.target.id, set()) | value
            return None
        if isinstance(stmt, ast.Return):
            return self.expr(stmt.value, env, ctx) if stmt.value is not None else set()
        if isinstance(stmt, ast.Expr):
            self.expr(stmt.value, env, ctx)
            return None
        if isinstance(stmt, (ast.For, ast.AsyncFor)):
            self.bind(stmt.target, self.expr(stmt.iter, env, ctx), env)
            returned = self.block(stmt.body, env, ctx)  # once: model-building loops run
            self.block(stmt.orelse, env, ctx)
            return returned
        if isinstance(stmt, ast.While):
            returned = self.block(stmt.body, env, ctx)
            self.block(stmt.orelse, env, ctx)
            return returned
        if isinstance(stmt, ast.If):
            other = {k: set(v) for k, v in env.items()}
            a = self.block(stmt.body, env, ctx)
            b = self.block(stmt.orelse, other, ctx)
            for k, v in other.items():
                env[k] = env.get(k, set()) | v
            return None if a is None and b is None else (a or set()) | (b or set())
        # with / try / match and the rest: their bodies in order
        returned = None
        for body in _child_bodies(stmt):
            result = self.block(body, env, ctx)
            if result is not None:
                returned = (returned or set()) | result
        return returned

    def _note_target(self, call: ast.Call, target: ast.expr, env: dict[str, set[str]], ctx: tuple[int, ...]) -> None:
        node = self.b.nodes.get((ctx, Span.of(call)))
        if node is not None:
            self.b.shape_from_target(node, target)
        kind = _MODEL_CALLEES.get(_callee(call.func) or "")
        if kind is not None and isinstance(target, ast.Name):
            self.b.models[target.id] = kind

    def bind(self, target: ast.expr, value: set[str], env: dict[str, set[str]]) -> None:
        if isinstance(target, ast.Name):
            env[target.id] = set(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self.bind(elt.value if isinstance(elt, ast.Starred) else elt, value, env)

    def expr(self, node: ast.expr | None, env: dict[str, set[str]], ctx: tuple[int, ...]) -> set[str]:
        if node is None:
            return set()
        if isinstance(node, ast.Name):
            return set(env.get(node.id, set()))
        if isinstance(node, ast.Call):
            return self.call(node, env, ctx)
        if isinstance(node, (ast.Lambda, ast.Constant)):
            return set()
        out: set[str] = set()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                out |= self.expr(child, env, ctx)
            elif isinstance(child, ast.comprehension):
                out |= self.expr(child.iter, env, ctx)
        return out

    def _args(self, call: ast.Call, env: dict[str, set[str]], ctx: tuple[int, ...]) -> set[str]:
        out: set[str] = set()
        for arg in call.args:
            out |= self.expr(arg, env, ctx)
        for kw in call.keywords:
            out |= self.expr(kw.value, env, ctx)
        return out

    def call(self, call: ast.Call, env: dict[str, set[str]], ctx: tuple[int, ...]) -> set[str]:
        span = Span.of(call)
        name = _callee(call.func) or ""
        if name in _INPUT_CALLEES:
            node = self.b.node((ctx, span), "Input", "input", _name_kwarg(call))
            if node.shape == "?":
                node.shape, node.dtype = _literal_input_shape(call), "float32"
            return {node.id}
        if span in self.b.layer_facts:
            fact = self.b.layer_facts[span]
            inputs = self._args(call, env, ctx)
            display = ""
            if isinstance(call.func, ast.Call):
                display = _name_kwarg(call.func)
            elif isinstance(call.func, ast.Name):
                display = call.func.id  # a shared layer instance
            node = self.b.node((ctx, span), fact.name, "layer", display)
            self.b.edge(inputs, node.id)
            return {node.id}
        if isinstance(call.func, ast.Name) and call.func.id in self.b.models:
            inputs = self._args(call, env, ctx)
            label = "Sequential" if self.b.models[call.func.id] == "sequential" else "Model"
            node = self.b.node((ctx, span), label, "model", call.func.id)
            self.b.edge(inputs, node.id)
            return {node.id}
        if isinstance(call.func, ast.Name) and call.func.id in self.b.functions:
            return self.inline(call, self.b.functions[call.func.id], env, ctx)
        out = self._args(call, env, ctx)
        if isinstance(call.func, ast.Attribute):
            out |= self.expr(call.func.value, env, ctx)  # x.reshape(...), tensor methods
        return out

    def inline(self, call: ast.Call, fn: ast.FunctionDef | ast.AsyncFunctionDef,
               env: dict[str, set[str]], ctx: tuple[int, ...]) -> set[str]:
        """A call to a function of this file: its body, with the arguments' producers bound."""
        args = [self.expr(a, env, ctx) for a in call.args]
        kwargs = {kw.arg: self.expr(kw.value, env, ctx) for kw in call.keywords}
        if fn.name in self.active or len(ctx) >= _MAX_INLINE_DEPTH or len(self.b.nodes) >= _MAX_NODES:
            out: set[str] = set().union(*args, *(v for v in kwargs.values()))
            return out
        local: dict[str, set[str]] = {}
        params = [*fn.args.posonlyargs, *fn.args.args]
        for i, param in enumerate(params):
            if i < len(args):
                local[param.arg] = args[i]
            elif param.arg in kwargs:
                local[param.arg] = kwargs[param.arg]  # type: ignore[assignment]
        for param in fn.args.kwonlyargs:
            if param.arg in kwargs:
                local[param.arg] = kwargs[param.arg]  # type: ignore[assignment]
        self.active.append(fn.name)
        try:
            returned = self.block(fn.body, local, (*ctx, call.lineno * 100_000 + call.col_offset))
        finally:
            self.active.pop()
        return returned or set()


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _name_kwarg(call: ast.Call) -> str:
    value = _keyword(call, "name")
    return value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else ""


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _dims(value: Any) -> list[int | None] | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (tuple, list)) and all(
        v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    ):
        return list(value)
    return None


def _format_dims(dims: list[int | None]) -> str:
    inner = ", ".join("None" if d is None else str(d) for d in dims)
    return f"({inner},)" if len(dims) == 1 else f"({inner})"


def _literal_input_shape(call: ast.Call) -> str:
    batch = _dims(_literal(_keyword(call, "batch_shape") or _keyword(call, "batch_input_shape")))
    if batch is not None:
        return _format_dims(batch)
    shape = _dims(_literal(_keyword(call, "shape") or _keyword(call, "input_shape")
                           or (call.args[0] if call.args else None)))
    return _format_dims([None, *shape]) if shape is not None else "?"


def _first_layer_input_shape(call: ast.Call) -> str | None:
    batch = _dims(_literal(_keyword(call, "batch_input_shape") or _keyword(call, "batch_shape")))
    if batch is not None:
        return _format_dims(batch)
    shape = _dims(_literal(_keyword(call, "input_shape")))
    if shape is not None:
        return _format_dims([None, *shape])
    dim = _literal(_keyword(call, "input_dim"))
    if isinstance(dim, int) and not isinstance(dim, bool):
        return _format_dims([None, dim])
    return None


def _simple_statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if _is_compound(stmt):
            for child in _child_bodies(stmt):
                yield from _simple_statements(child)
        else:
            yield stmt


def _assignments(body: list[ast.stmt]) -> dict[str, list[ast.Assign]]:
    out: dict[str, list[ast.Assign]] = {}
    for stmt in _simple_statements(body):
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    out.setdefault(target.id, []).append(stmt)
    return out


# ----------------------------------------------------------------------------------------------
# entry points


def build_graph(text: str, facts: list[ShapeFact], line: int, col: int) -> Graph:
    """The graph of the model at engine position (``line`` 1-based, ``col`` 0-based)."""
    tree = parse(text).tree
    site, why = pick_site(tree, facts, line, col)
    if site is None:
        return Graph(message=why or "No Keras Sequential or functional model in this file.")
    _, functions = find_sites(tree)
    builder = _Builder(facts, functions)
    graph = builder.sequential(site) if site.kind == "sequential" else builder.functional(site)
    graph.model_name = site.name
    graph.model_kind = site.kind
    graph.model_span = Span.of(site.call)
    if not graph.nodes:
        graph.message = "shapelens found no layers for this model."
    return graph


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


async def model_graph(ls: ShapelensServer, params: Any) -> dict[str, Any] | None:
    """Handler for ``shapelens/modelGraph``."""
    document, position = _field(params, "textDocument"), _field(params, "position")
    uri = _field(document, "uri")
    if not isinstance(uri, str) or position is None:
        return None
    key = ls.unit_key(uri)
    snapshot = await ls.store.snapshot(key) if key is not None else None
    if snapshot is None:
        return Graph(message="The document is not open in the shapelens server.").to_json()
    where = lsp.Position(int(_field(position, "line") or 0), int(_field(position, "character") or 0))
    here = snapshot.locator.to_engine(uri, where) or (1, 0)
    text, facts, locator = snapshot.source.text, snapshot.analysis.facts, snapshot.locator
    graph = await asyncio.wrap_future(ls.store.worker.submit(lambda: build_graph(text, facts, *here)))
    return graph.to_json(locator)

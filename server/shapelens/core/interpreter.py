"""Abstract interpretation of a Python module: environments, calls, user functions and classes.

The interpreter walks the AST once in program order, evaluating each expression to an abstract
value (`values.py`). Library calls go to the rules in the registry; user functions are analysed
per call site with the argument values flowing in; loops over small known collections are
unrolled, other loops and unknown branches are joined conservatively. Along the way it records
`ShapeFact`s (assignments, layer outputs) and `Issue`s (certain failures).
"""

from __future__ import annotations

import ast
import functools
import io
import operator
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from . import builtins_rules, registry
from .counted_loops import fixed_appends, private_lists
from .custom_layer_params import variables_set_directly
from .exception_match import catches
from .facts import FactKind, Fix, Issue, Related, Severity, ShapeFact, Span
from .heap_log import HeapTracker, Slot, SlotRef, SlotValue, join_slot
from .imports import canonical, module_for_import
from .keras3_backend import check_backend_name, is_keras3_backend, is_standalone_keras, standalone_after
from .layers.base import LAYERS
from .namedtuples import NAMEDTUPLE_BASES, namedtuple_attribute, namedtuple_class, tuple_view
from .sequential_io import note_model_calls
from .shapes import UNKNOWN_SHAPE, ShapeError, Unknowable, normalize_dtype
from .traced_functions import traced_arguments
from .user_modules import UserModules
from .values import (
    JOIN_NODE,
    SCALAR_TYPES,
    UNKNOWN,
    AutoName,
    BoundedInt,
    BoundMethod,
    ClassVal,
    Const,
    DatasetVal,
    DictVal,
    DimOf,
    FunctionVal,
    Instance,
    KerasVariable,
    LayerVal,
    LibRef,
    LoopPass,
    ModelVal,
    ModuleVal,
    NamespaceVal,
    Seq,
    SeqLength,
    SignatureDecorator,
    SliceVal,
    SuperVal,
    Tensor,
    Unknown,
    Value,
    describe_structure,
    detached,
    join,
    scalar_type,
    tensors_in,
)
from .window_starts import window_start

V = TypeVar("V", bound=Value)

_LAYER_BASE_CLASSES = frozenset({"Layer", "InputSpec", "Wrapper"})
_PROPERTY_DECORATORS = frozenset({"builtins.property", "functools.cached_property"})
_SHAPE_ERROR_CATCHERS = frozenset({
    "builtins.ValueError", "builtins.TypeError", "builtins.Exception", "builtins.BaseException",
    "builtins.RuntimeError", "builtins.IndexError",
})


def _catches_shape_errors(kind: Value | None) -> bool:
    """Whether an ``except`` clause naming ``kind`` (None: a bare ``except``; a tuple value for
    several) catches what a shape or dtype mistake raises (Keras' ValueError, TF's
    InvalidArgumentError, numpy's ValueError...)."""
    if kind is None:
        return True
    kinds = kind.items if isinstance(kind, Seq) and kind.items is not None else [kind]
    return any(
        isinstance(k, LibRef) and (k.name in _SHAPE_ERROR_CATCHERS or k.name.startswith("tf.errors."))
        for k in kinds
    )
UNROLL_LIMIT = 64  # iterations of a loop over a known collection that are unrolled
# a longer loop over a known collection (up to MAX_SEQ_ITEMS) is unrolled while its statements
# stay within this many executed statements (windowing loops: a line or two per iteration)
LONG_LOOP_STATEMENTS = 3000
UNROLL_BUDGET = 4000  # total unrolled iterations per analysis (nested loops multiply)
# a loop over this few known items is unrolled even once the budget is spent: run abstractly,
# a loop over a model's blocks (`for dense_a, dense_b in self.blocks`) would join different
# layers into an unknown callee, and their calls would leave no fact behind
SHORT_LOOP = 8
MAX_CALL_DEPTH = 12
MAX_SEQ_ITEMS = 256  # larger literal collections are kept homogeneous
MAX_VARIANTS = 4  # distinct shapes remembered per fact
# built-in layer settings Keras keeps as the integers given (`layer.units`)
_INT_SETTINGS = frozenset({"units", "filters", "input_dim", "output_dim", "num_heads", "key_dim"})
MAX_FOLDED_STRING = 4096  # longer f-strings are kept as an unknown str


class Env:
    """A scope: module globals, a function's locals or a class body."""

    __slots__ = ("global_names", "parent", "vars")

    def __init__(self, parent: Env | None = None) -> None:
        self.vars: dict[str, Value] = {}
        self.parent = parent
        self.global_names: set[str] = set()

    def lookup(self, name: str) -> Value | None:
        env: Env | None = self
        while env is not None:
            v = env.vars.get(name)
            if v is not None:
                return v
            env = env.parent
        return None

    def root(self) -> Env:
        env = self
        while env.parent is not None:
            env = env.parent
        return env

    def set(self, name: str, value: Value) -> None:
        if name in self.global_names:
            self.root().vars[name] = value
        else:
            self.vars[name] = value


class _Frame:
    __slots__ = ("call_span", "env", "function", "returned_heaps", "returns", "yields")

    def __init__(self, function: FunctionVal | None, call_span: Span | None, env: Env) -> None:
        self.returns: list[Value] = []
        # what paths that returned early left in older objects' slots (joined in at the exit)
        self.returned_heaps: list[dict[Slot, tuple[SlotRef, SlotValue]]] = []
        self.yields: list[Value] = []
        self.function = function
        self.call_span = call_span
        self.env = env


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitOr: operator.or_,
    ast.BitAnd: operator.and_,
    ast.BitXor: operator.xor,
    ast.MatMult: operator.matmul,
}

_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: operator.contains(b, a),
    ast.NotIn: lambda a, b: not operator.contains(b, a),
}

BINOP_SYMBOLS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.MatMult: "@",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",
    ast.LShift: "<<",
    ast.RShift: ">>",
}


class _Terminated(Exception):
    """Internal: a `return`, `break`, `continue` or `raise` ended the current block
    unconditionally. ``kind`` says which ("mixed" when branches ended it differently)."""

    def __init__(self, kind: str = "return", raised: Value | None = None) -> None:
        super().__init__(kind)
        self.kind = kind
        self.raised = raised  # for a raise: the exception class, where known



def _measured(seq: Seq, size: int, done: int) -> int | None:
    """Items per pass of a list a nested loop appends to, from the passes run so far."""
    if done <= 0 or seq.items is None or (len(seq.items) - size) % done:
        return None
    return (len(seq.items) - size) // done

class Interpreter:
    """Runs the abstract interpretation of one module and collects facts and issues."""

    def __init__(self, source_lines: list[str] | None = None, path: str | None = None) -> None:
        self.facts: dict[tuple[Span, str], ShapeFact] = {}
        # layer lines a model also ran on data of unknown shape: their batch axis is not known
        self.unknown_at: set[tuple[Span, FactKind]] = set()  # places a visit did not know
        # the model last seen at each model fact: its layer table is made once the module ran
        # (a Sequential may only be built by a later fit/predict)
        self.models_at: dict[tuple[Span, str], ModelVal] = {}
        # models saved by path (a known string, or the very value a path variable holds): a copy
        # as it was when saved, None where which model a path holds is not certain
        self.saved_models: dict[object, tuple[Value, ModelVal | None]] = {}
        # keras.Sequential(...) models no call has touched yet (sequential_io); usually empty,
        # so calls pay nothing for the check
        self.uncalled_sequentials: list[ModelVal] = []
        self.trainable_unknown = False  # `.trainable` set on something unidentified
        self.catching: list[int] = []  # lines of the excepts around this point that catch shape errors
        # every handler of the trys around this point, innermost last: (line, the class it names)
        self.handlers: list[list[tuple[int, Value | None]]] = []
        self._chains: dict[int, tuple[Tensor, Chain]] = {}  # provenance chains by tensor
        self.issues: dict[tuple[Span, str, str], Issue] = {}
        self.errors_reported = 0  # every error report, repeats included: "did that step fail?"
        self.frames: list[_Frame] = []
        self.call_spans: list[Span] = []
        self.call_files: list[str] = []  # the file each entry of call_spans is in
        # Facts and issues belong to main_file; code of the user's other modules runs with
        # current_file set to that module, and what happens there is reported at the call
        # site in main_file.
        self.main_file = path or "<string>"
        self.current_file = self.main_file
        self.user_modules = UserModules(self)
        # > 0 while running code that may or may not execute (unknown branches, loops with an
        # unknown trip count): mutations of shared lists there make their length unknown.
        self.uncertain_depth = 0
        # layers' compute dtype when they are given none: Keras' global dtype policy
        # (``set_global_policy("mixed_float16")`` makes it float16); None where not known
        self.compute_policy: str | None = "float32"
        # Keras' floatx (``keras.config.set_floatx``): the dtype of Inputs, of keras.ops
        # factories and of the default policy; None where not known
        self.floatx: str | None = "float32"
        # Keras' image data format (``keras.config.set_image_data_format``): the default
        # ``data_format`` of layers made from here on and of keras.ops; None where not known
        self.image_data_format: str | None = "channels_last"
        # Keras keeps the first default policy it hands out (to the first layer or model made)
        # or the one set: floatx no longer moves it. None: maybe (made on an uncertain path).
        self.policy_set: bool | None = False
        self.heap = HeapTracker(lambda: self.uncertain_depth)
        # per `try` being run: the paths that raised in it (object slots, scope, its variables),
        # which go on at its handlers
        self.raise_states: list[list[tuple[dict[Slot, tuple[SlotRef, SlotValue]], Env, dict[str, Value]]]] = []
        # `from keras.layers import *`: names not bound otherwise are looked up there
        self.star_modules: list[str] = []
        self.unroll_budget = UNROLL_BUDGET
        self.user_calls = 0  # user functions analysed so far (a loop body that calls one is not counted)
        self.with_depth = 0  # `with` blocks the program is inside (a manager may swallow an exception)
        self.statements_run = 0
        # set when a block just run may have been left on some paths only (a `continue`,
        # `break` or `return` in one branch); the rest of the enclosing blocks is then uncertain
        self.partial_exit = False
        self.analysing_uncalled = False  # functions nobody calls, run once with unknown arguments
        self.hypothetical_visit = False  # ... a Keras class's method nothing ran (see record_span)
        self.muted = 0  # > 0 while a rule re-runs user code only to compare results: records nothing
        self.lib_overridden: set[str] = set()  # library attributes the program assigns to
        self.functions: list[FunctionVal] = []
        self.source_lines = source_lines or []
        self._auto_names_unique: bool | None = None
        self.module_env = Env()
        # Set while evaluating a statement so rules can attach facts to the right place.
        self.current_stmt: ast.stmt | None = None
        self.main_tree: ast.Module | None = None
        self.called_nodes: set[int] = set()  # id() of each def some call analysed on real arguments

    # ------------------------------------------------------------------------------------
    # entry points

    def run_module(self, tree: ast.Module) -> None:
        self.main_tree = tree
        try:
            self.exec_block(tree.body, self.module_env)
        except _Terminated:
            pass
        self._analyse_uncalled_functions()

    def _analyse_uncalled_functions(self) -> None:
        """Functions never called from the module are analysed once with unknown arguments,
        so facts and certain errors inside them still show."""
        seen: set[int] = set()
        i = 0
        while i < len(self.functions):
            fn = self.functions[i]
            i += 1
            if fn.called or id(fn.node) in seen or isinstance(fn.node, ast.Lambda):
                continue
            if id(fn.node) in self.called_nodes:
                continue  # another closure made by the same def ran on real arguments
            if fn.file not in (None, self.main_file):
                continue
            seen.add(id(fn.node))
            args: list[Value] = []
            params = fn.node.args
            positional = [*params.posonlyargs, *params.args]
            for idx, p in enumerate(positional):
                if idx == 0 and fn.owner is not None and p.arg in ("self", "cls"):
                    args.append(Instance(fn.owner) if p.arg == "self" else fn.owner)
                else:
                    args.append(Unknown(p.arg))
            # a method of a Keras class that nothing ran (a `call` that fit never runs, its
            # train_step being overridden) is hypothetical here: it keeps what the program's own
            # calls showed in code it shares with them. A plain function may be a callback some
            # library runs: its visits count as usual.
            hypothetical = isinstance(fn.owner, ClassVal) and bool(fn.owner.library_bases())
            try:
                self.analysing_uncalled = True
                self.hypothetical_visit = hypothetical
                try:
                    self.call_function(fn, args, {}, fn.node, uncalled=True)
                finally:
                    self.analysing_uncalled = False
                    self.hypothetical_visit = False
            except RecursionError:
                continue

    # ------------------------------------------------------------------------------------
    # reporting

    def auto_names_unique(self) -> bool:
        """Whether two layers named automatically certainly have two names: not when the
        program restarts Keras' name counters or rebuilds layers from configs that keep the
        old names."""
        if self._auto_names_unique is None:
            source = "\n".join(self.source_lines)
            self._auto_names_unique = not any(word in source for word in _NAME_REUSERS)
        return self._auto_names_unique

    def current_self(self, name: str) -> Value | None:
        return self.frames[-1].env.vars.get(name) if self.frames else None

    def record(self, node: ast.AST, name: str, value: Value, kind: FactKind = "assign") -> None:
        self.record_span(Span.of(node), name, value, kind)

    def record_span(
        self, span: Span, name: str, value: Value, kind: FactKind = "assign", file: str | None = None
    ) -> None:
        """Remember the value of a name or expression at a place (joined across visits)."""
        if (file or self.current_file) != self.main_file or self.muted:
            return
        if self.hypothetical_visit and (span, kind) in self.facts:
            # a Keras method nothing ran, analysed with unknown arguments, reaching code the
            # program does run: what the program's own calls showed there stands
            return
        if isinstance(value, Instance) and value.model is not None:
            value = value.model  # a keras.Model subclass: its model fact and layer table
        if isinstance(value, Unknown) and value.pytype is None and kind in ("assign", "layer"):
            self._unknown_visit(span, kind)
            return
        if isinstance(value, Tensor):
            shape = value.shape
            if (span, kind) in self.unknown_at:
                shape = UNKNOWN_SHAPE
            fact = ShapeFact(span, name, shape, value.dtype, kind, provenance=value.label)
            if (span, kind) not in self.facts:
                fact.chain_maker = functools.partial(provenance_chain, value, self._chains)
        elif isinstance(value, DatasetVal):
            fact = ShapeFact(
                span, name, UNKNOWN_SHAPE, None, "dataset",
                detail=describe_structure(value.element),
            )
        elif isinstance(value, ModelVal):
            fact = ShapeFact(span, name, UNKNOWN_SHAPE, None, "model", detail=value.kind)
        else:
            return
        key = (span, fact.kind)
        if isinstance(value, ModelVal):
            self.models_at[key] = value
        old = self.facts.get(key)
        if old is not None:
            if old.kind in ("assign", "layer", "expr"):
                if not old.variants:
                    old.variants.append(old.shape)
                if fact.shape not in old.variants and len(old.variants) < MAX_VARIANTS:
                    old.variants.append(fact.shape)
                old_t = Tensor(old.shape, old.dtype)
                joined = join(old_t, Tensor(fact.shape, fact.dtype))
                if isinstance(joined, Tensor):
                    old.shape, old.dtype = joined.shape, joined.dtype
                    if old.provenance != fact.provenance:
                        old.provenance = ""
                        old.chain, old.chain_maker = (), None
            elif old.detail != fact.detail:
                old.detail = "varies"
            return
        self.facts[key] = fact

    def _unknown_visit(self, span: Span, kind: FactKind) -> None:
        """A visit of this place gave a value the engine does not know (a model it could not
        resolve, say): the tensor other visits saw there may not be the only one, so the
        place claims no shape."""
        key = (span, kind)
        self.unknown_at.add(key)
        old = self.facts.get(key)
        if old is not None and old.kind in ("assign", "layer"):
            old.shape = UNKNOWN_SHAPE
            old.chain, old.chain_maker = (), None

    def unknown_layer_at(self, span: Span, file: str | None = None) -> None:
        """A model ran the layer recorded at ``span`` on data the engine cannot see: the layer's
        line claims no shape."""
        if self.muted or (self.hypothetical_visit and (span, "layer") in self.facts):
            return  # as in record_span
        if (file or self.current_file) == self.main_file:
            self._unknown_visit(span, "layer")

    def report(
        self,
        node: ast.AST | Span,
        message: str,
        code: str = "shape-mismatch",
        severity: Severity = "error",
        related: list[Related] | None = None,
        fixes: list[Fix] | None = None,
        own_class: bool = False,
    ) -> None:
        """``own_class``: the failure raises a class of its own, matched to the handlers by the
        caller (`_report_error`), not the shape-error handlers of ``catching``."""
        span = node if isinstance(node, Span) else Span.of(node)
        rel = list(related or [])
        if severity == "error":
            self.errors_reported += 1
        if self.catching and severity == "error" and not own_class:
            # the program expects this failure: it runs inside a try that catches it
            severity = "information"
            message = f"{message} (caught by the except at line {self.catching[-1]})"
        if self.current_file != self.main_file:
            # An error inside the user's other module: report it where this file calls in.
            site = next(
                (s for s, f in zip(reversed(self.call_spans), reversed(self.call_files), strict=True)
                 if f == self.main_file),
                None,
            )
            if site is None:
                return
            where = self.current_file.rsplit("/", 1)[-1]
            message = f"{message} (in {where}, line {span.line})"
            span, rel = site, []
        else:
            calls = [s for s, f in zip(self.call_spans, self.call_files, strict=True) if f == self.main_file]
            for call_span in reversed(calls[-3:]):
                if call_span != span:
                    rel.append(Related(call_span, "called from here"))
        key = (span, code, message)
        if key not in self.issues:
            in_main = self.current_file == self.main_file
            self.issues[key] = Issue(span, severity, code, message, rel, list(fixes or []) if in_main else [])

    # ------------------------------------------------------------------------------------
    # statements

    def exec_block(self, body: list[ast.stmt], env: Env) -> None:
        for i, stmt in enumerate(body):
            self.exec_stmt(stmt, env)
            if self.partial_exit and i + 1 < len(body):
                # a branch above may have left the loop iteration (continue, break): what
                # follows runs only on the other paths, and so does the rest of the iteration
                self.exec_branches([body[i + 1 :], []], env)
                self.partial_exit = True
                return

    def exec_stmt(self, stmt: ast.stmt, env: Env) -> None:
        handler = self._stmt_handlers.get(type(stmt))
        if handler is None:
            return
        self.statements_run += 1
        prev = self.current_stmt
        self.current_stmt = stmt
        try:
            handler(self, stmt, env)
        except (_Terminated, RecursionError):
            raise
        except ShapeError as err:
            self._report_error(stmt, err)
        except Unknowable:
            pass
        finally:
            self.current_stmt = prev

    def _report_error(self, node: ast.AST, err: ShapeError) -> None:
        related = [r for r in err.related if isinstance(r, Related)]
        fixes = [f for f in err.fixes if isinstance(f, Fix)]
        if err.raises is None:
            self.report(node, err.message, err.code, related=related, fixes=fixes)
            return
        raised = LibRef(err.raises)
        for handlers in reversed(self.handlers):
            for line, kind in handlers:
                if catches(kind, raised) is not False:  # caught, or maybe: not a certain failure
                    message = f"{err.message} (caught by the except at line {line})"
                    self.report(node, message, err.code, "information", related, fixes, own_class=True)
                    return
        self.report(node, err.message, err.code, related=related, fixes=fixes, own_class=True)

    def _exec_expr(self, stmt: ast.Expr, env: Env) -> None:
        value = self.eval(stmt.value, env)
        if isinstance(stmt.value, (ast.Name, ast.Attribute, ast.Subscript)):
            self.record(stmt.value, _target_name(stmt.value), value, "expr")

    def _exec_assign(self, stmt: ast.Assign, env: Env) -> None:
        value = self.eval(stmt.value, env)
        for target in stmt.targets:
            self.assign(target, value, env)

    def _exec_annassign(self, stmt: ast.AnnAssign, env: Env) -> None:
        if stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value, env), env)

    def _exec_augassign(self, stmt: ast.AugAssign, env: Env) -> None:
        current = self.eval(stmt.target, env) if not isinstance(stmt.target, ast.Name) else (
            env.lookup(stmt.target.id) or UNKNOWN
        )
        right = self.eval(stmt.value, env)
        result = self.binop(type(stmt.op), current, right, stmt)
        if isinstance(current, Tensor) and current.kind == "np" and isinstance(result, Tensor) and result.kind == "np":
            result = _elementwise().in_place_result(current, result)
        if isinstance(current, Seq) and current.kind == "list" and isinstance(stmt.op, (ast.Add, ast.Mult)):
            # `xs += ...` / `xs *= n` change the list itself: every name for it sees the change
            if not isinstance(result, Seq):
                builtins_rules.forget_length(current)
            elif current.maxlen is not None:  # a deque keeping its newest items
                builtins_rules.forget_length(current, result.element_join())
            elif self.certain_mutation(current):
                current.items, current.elem, current.length = result.items, result.elem, result.length
                current.at_most = result.at_most
            else:
                builtins_rules.forget_length(current, result.element_join())
            result = current
        self.assign(stmt.target, result, env)

    def assign(self, target: ast.expr, value: Value, env: Env) -> None:
        if isinstance(target, ast.Name):
            if isinstance(value, BoundedInt):
                if value.name is None:
                    value = BoundedInt(target.id, int, value.lo, value.hi, value.base, value.offset)
            elif isinstance(value, DimOf):
                if value.name is None:
                    value = DimOf(target.id, value.pytype, value.source, value.axis)
            elif isinstance(value, Unknown) and value.name is None and not isinstance(value, AutoName):
                value = Unknown(target.id, value.pytype)
            env.set(target.id, value)
            self.record(target, target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._assign_unpack(target.elts, value, env)
        elif isinstance(target, ast.Attribute):
            obj = self.eval(target.value, env)
            value = detached(value)
            if isinstance(obj, LayerVal) and target.attr in ("name", "_name"):
                # a private rename may or may not reach `name`, depending on the Keras version
                certain = not self.uncertain_depth and target.attr == "name"
                obj.kwargs["name"] = value if certain else Unknown(None, str)
            elif isinstance(obj, LayerVal) and target.attr in obj.spec.params and target.attr != "trainable":
                # a built-in layer reads its settings from these attributes (Dense.build reads
                # self.units): integers kept as given follow the assignment, the rest are unknown
                kept_as_given = target.attr in _INT_SETTINGS and scalar_type(value) is int
                obj.kwargs[target.attr] = value if kept_as_given and self.certain_mutation(obj) else UNKNOWN
                obj.config_cache.clear()
            if isinstance(obj, LibRef):
                # `string.digits = "01"`: the module's constant is no longer the library's
                self.lib_overridden.add(canonical(f"{obj.name}.{target.attr}"))
            if isinstance(obj, Instance):
                self._track_keras_variable(obj, target.attr, value)
                self.set_attr(obj, target.attr, value)
            elif isinstance(obj, ClassVal):
                self.heap.write(SlotRef(obj.namespace, target.attr, True, 0, obj), value)
            if target.attr == "trainable":
                self._set_trainable(obj, value)
            self.record(target, _target_name(target), value)
        elif isinstance(target, ast.Subscript):
            obj = self.eval(target.value, env)
            key = self.eval(target.slice, env)
            value = detached(value)
            if isinstance(obj, DictVal):
                certain = self.certain_mutation(obj)
                if isinstance(key, Const) and (key.value in obj.items or certain):
                    try:
                        obj.items[key.value] = (
                            value if certain else join(obj.items[key.value], value)
                        )
                    except (TypeError, KeyError):
                        obj.lose_keys()
                else:
                    # which key (or whether it is added at all) is not certain
                    obj.store_unknown_key(value, key)
                    if not isinstance(key, Const):
                        for k in list(obj.items):
                            obj.items[k] = join(obj.items[k], value)
            elif isinstance(obj, Tensor) and obj.kind == "np":
                try:
                    _subscripts().check_item_assignment(obj, key, value, target)
                except ShapeError as err:
                    self._report_error(target, err)
            elif isinstance(obj, Seq) and isinstance(key, SliceVal):
                # slice assignment may change the length
                builtins_rules.forget_length(obj, value.element_join() if isinstance(value, Seq) else None)
            elif isinstance(obj, Seq) and obj.items is not None:
                idx = key.value if isinstance(key, Const) else None
                if isinstance(idx, int) and -len(obj.items) <= idx < len(obj.items) and self.certain_mutation(obj):
                    obj.items[idx] = value
                else:
                    # an unknown position (or maybe not at all): every element may be `value`
                    obj.items[:] = [join(item, value) for item in obj.items]
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, env)

    def _assign_unpack(self, targets: list[ast.expr], value: Value, env: Env) -> None:
        items = self.unpack(value, len(targets))
        length_known = self._length_known(value)
        if isinstance(value, Seq):
            self.consume(value)
        star = next((i for i, t in enumerate(targets) if isinstance(t, ast.Starred)), None)
        if star is not None:
            if items is not None and not length_known:
                # `first, *rest = xs` of unknown length: the starred part has an unknown length
                elem = items[0] if items else UNKNOWN
                for i, t in enumerate(targets):
                    self.assign(t, Seq(None, "list", elem) if i == star else elem, env)
                return
            if items is not None and len(items) >= len(targets) - 1:
                before = items[:star]
                after_count = len(targets) - star - 1
                middle = items[star : len(items) - after_count]
                after = items[len(items) - after_count :]
                for t, v in zip(targets[:star], before, strict=True):
                    self.assign(t, v, env)
                self.assign(targets[star], Seq(list(middle), "list"), env)
                for t, v in zip(targets[star + 1 :], after, strict=True):
                    self.assign(t, v, env)
                return
            for t in targets:
                self.assign(t, UNKNOWN, env)
            return
        if items is None or len(items) != len(targets):
            items = [UNKNOWN] * len(targets)
        for t, v in zip(targets, items, strict=True):
            self.assign(t, v, env)

    @staticmethod
    def _length_known(value: Value) -> bool:
        """Whether ``unpack`` lists the value's real items (not copies of its element)."""
        if isinstance(value, Seq):
            return value.items is not None
        return not isinstance(value, Tensor)

    def unpack(self, value: Value, count: int) -> list[Value] | None:
        if isinstance(value, Seq):
            if value.items is not None:
                return list(value.items)
            return [value.elem] * count
        if isinstance(value, Tensor):
            dims = value.shape.dims
            if dims:
                elem = Tensor(value.shape.__class__(dims[1:]), value.dtype, value.kind)
                return [elem] * count
            return None
        if isinstance(value, DictVal):
            return [Const(k) for k in value.items]
        view = tuple_view(self, value)
        return view.items if view is not None else None

    def _exec_if(self, stmt: ast.If, env: Env) -> None:
        test = self.truth(self.eval(stmt.test, env))
        if test is True:
            self.exec_block(stmt.body, env)
            return
        if test is False:
            self.exec_block(stmt.orelse, env)
            return
        self.exec_branches([stmt.body, stmt.orelse], env)

    def _note_return(self) -> None:
        """A path of unknown outcome returns here: what it left in the slots written since any
        open region began is joined in at the function's exit."""
        if self.frames:
            state = self.heap.open_slots()
            if state:
                self.frames[-1].returned_heaps.append(state)

    def _note_raise(self, env: Env) -> None:
        """A path of unknown outcome raises here: inside a `try`, it goes on at the handlers
        with what it left in objects and, in the same scope, in its variables."""
        if self.raise_states:
            self.raise_states[-1].append((self.heap.open_slots(), env, dict(env.vars)))

    def exec_branches(self, bodies: list[list[ast.stmt]], env: Env) -> None:
        """Run alternative blocks on copies of the scope and join what they leave behind.
        A branch that certainly returns (or breaks) does not flow into the join."""
        results: list[dict[str, Value]] = []
        start = dict(env.vars)
        exits: set[str] = set()
        partial = self.partial_exit
        # what each arm left in the slots of older objects; an arm that returned meets the others
        # at the function's exit, one that raised at a handler (or nowhere: the program runs)
        heap_finals: list[dict[Slot, SlotValue]] = []
        heap_refs: dict[Slot, SlotRef] = {}
        heap_olds: dict[Slot, SlotValue] = {}
        self.uncertain_depth += 1
        try:
            for body in bodies:
                env.vars = dict(start)
                self.partial_exit = False
                log = self.heap.push()
                ended = ""
                try:
                    self.exec_block(body, env)
                except _Terminated as t:
                    exits.add(t.kind)
                    ended = t.kind
                    continue
                else:
                    partial = partial or self.partial_exit
                    results.append(env.vars)
                finally:
                    if ended == "return":
                        self._note_return()  # this path meets the others only at the exit
                    elif ended == "raise":
                        self._note_raise(env)  # it goes on at a handler, if one catches it
                    else:
                        heap_finals.append(log.current())
                    for key, (ref, old) in log.saved.items():
                        heap_refs[key] = ref
                        heap_olds[key] = old
                    log.restore()
                    self.heap.pop(log)
        finally:
            self.uncertain_depth -= 1
        self.heap.settle(heap_refs, heap_finals, heap_olds)
        if not results:
            env.vars = start
            raise _Terminated(exits.pop() if len(exits) == 1 else "mixed")
        # a path that returned or raised has no "after" (the program is assumed to run);
        # one that continued or broke out of the loop goes on to the next iteration or past it
        self.partial_exit = partial or bool(exits & {"continue", "break", "mixed"})
        env.vars = _join_scopes(results)

    def _exec_for(self, stmt: ast.For | ast.AsyncFor, env: Env) -> None:
        iterable = self.eval(stmt.iter, env)
        total = _iteration_count(iterable)
        growing = self._growing_lists(stmt, env) if total is not None and total > SHORT_LOOP else {}
        items = self.iteration_items(iterable)
        start = window_start(iterable, stmt.target, [*stmt.body, *stmt.orelse])
        done = 0
        calls_before = self.user_calls
        if items is not None and len(items) <= max(SHORT_LOOP, min(MAX_SEQ_ITEMS, self.unroll_budget)):
            if start is not None:
                items = [start.in_pass(LoopPass()) for _ in items]
            ran = self._unroll(stmt, items, env)
            if ran is None:  # a break: the rest of the loop and its else clause did not run
                return
            if ran == len(items):
                self.exec_block(stmt.orelse, env)
                return
            done = ran
        elem = start if start is not None else self.iteration_element(iterable)
        passes: list[LoopPass] = []

        def bind() -> None:
            # each pass gets its own loop int: a value kept from the previous pass is unrelated
            if passes:
                passes[-1].live = False
            passes.append(LoopPass())
            self.assign(stmt.target, elem.in_pass(passes[-1]) if isinstance(elem, BoundedInt) else elem, env)

        try:
            if growing and done == 0:
                # the loop certainly runs its (straight-line) body once: run that pass as certain
                # code, so each list's growth on it is seen
                bind()
                self.exec_block(stmt.body, env)
                done = 1
            private = self._private_lists(stmt, set(growing)) if self.user_calls != calls_before else set()
            growing = {
                name: (seq, size, _measured(seq, size, done) if per_pass is None else per_pass)
                for name, (seq, size, per_pass) in growing.items()
            }
            growing = {
                name: (seq, size, per_pass)
                for name, (seq, size, per_pass) in growing.items()
                if env.lookup(name) is seq and seq.items is not None and per_pass is not None
                and len(seq.items) == size + done * per_pass
                # a user function may reach the list by another name, on later passes only
                and (self.user_calls == calls_before or name in private)
            }
            self._abstract_loop(stmt.body, env, bind)
        finally:
            for p in passes:
                p.live = False
        assert total is not None or not growing
        for name, (seq, size, per_pass) in growing.items():
            if env.lookup(name) is seq and seq.items is None:
                seq.length, seq.at_most = size + total * per_pass, None  # type: ignore[operator]
        self.exec_block(stmt.orelse, env)

    def _private_lists(self, stmt: ast.For | ast.AsyncFor, names: set[str]) -> set[str]:
        """The lists among ``names`` only this function's own code can reach (`private_lists`)."""
        if not self.frames:
            # the main file's own top level: no function of it mentions such a global
            return private_lists(self.main_tree, stmt, names) if self.main_tree is not None else set()
        fn = self.frames[-1].function
        if fn is None or not isinstance(fn.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return set()
        return private_lists(fn.node, stmt, names)

    def _growing_lists(self, stmt: ast.For | ast.AsyncFor, env: Env) -> dict[str, tuple[Seq, int, int | None]]:
        """The lists of known length that each pass of ``stmt`` appends a fixed number of items
        to (`counted_loops`), with their length now and that number. A list that the body
        could also reach by another name, or a loop inside a ``try`` (an exception may end it
        early with the program going on), has no count."""
        if self.raise_states or self.with_depth:
            return {}
        found: dict[str, tuple[Seq, int, int | None]] = {}
        for name, per_pass in fixed_appends(stmt).items():
            seq = env.lookup(name)
            if (
                isinstance(seq, Seq) and seq.kind == "list" and seq.items is not None
                and not seq.one_shot and seq.maxlen is None
            ):
                found[name] = (seq, len(seq.items), per_pass)
        if found:
            mentioned = {n.id for s in stmt.body for n in ast.walk(s) if isinstance(n, ast.Name)}
            for other in mentioned - found.keys():
                v = env.lookup(other)
                found = {k: entry for k, entry in found.items() if v is not entry[0]}
        return found

    def _unroll(self, stmt: ast.For | ast.AsyncFor, items: list[Value], env: Env) -> int | None:
        """Run a loop over known items one iteration at a time: all of a short loop, a longer one
        while it stays cheap. Returns how many iterations ran (the abstract loop covers the rest:
        the loop got too costly, or it is no longer certain whether it goes on), or None after a
        certain ``break``. A ``return`` or ``raise`` leaves the loop as it leaves any block."""
        start = self.statements_run
        for done, item in enumerate(items):
            if done >= UNROLL_LIMIT and (self.statements_run - start) // done * (len(items) - done) > LONG_LOOP_STATEMENTS:
                return done
            self.unroll_budget -= 1
            self.assign(stmt.target, item, env)
            self.partial_exit = False
            try:
                self.exec_block(stmt.body, env)
            except _Terminated as t:
                if t.kind == "break":
                    return None
                if t.kind == "mixed":
                    return done + 1
                if t.kind != "continue":
                    raise
            if self.partial_exit:  # a break on some paths: later iterations are not certain
                self.partial_exit = False
                return done + 1
        return len(items)

    def _exec_while(self, stmt: ast.While, env: Env) -> None:
        test = self.truth(self.eval(stmt.test, env))
        if test is False:
            self.exec_block(stmt.orelse, env)
            return
        self._abstract_loop(stmt.body, env, lambda: None)

    def _abstract_loop(self, body: list[ast.stmt], env: Env, bind: Callable[[], None]) -> None:
        """A loop whose iterations are not known: run the body twice and join with the
        state before it, so values that change per iteration become unknown."""
        states = [dict(env.vars)]

        def one_pass() -> None:
            bind()
            try:
                self.exec_block(body, env)
            except _Terminated as t:
                if t.kind == "return":
                    self._note_return()
                elif t.kind == "raise":
                    self._note_raise(env)
            self.partial_exit = False  # the join with the state before covers every exit
            states.append(dict(env.vars))
            env.vars = _join_scopes(states, keep_new=True)

        self.repeat_unknown_times(one_pass)  # the objects' slots are joined there

    def repeat_unknown_times(self, action: Callable[[], None]) -> None:
        """Run ``action`` any number of times, none included (a loop's body, a callback's hook
        Keras calls once per batch): twice, with the objects' slots joined with their state
        before, so a counter kept on ``self`` becomes unknown."""
        self.uncertain_depth += 1
        log = self.heap.push()
        joined: dict[Slot, SlotValue] = {}
        try:
            for _ in range(2):
                action()
                for key, (ref, old) in log.saved.items():
                    joined[key] = join_slot([joined.get(key, old), ref.get()])
                    ref.put(joined[key])
        finally:
            self.heap.pop(log)
            self.uncertain_depth -= 1

    def _exec_with(self, stmt: ast.With | ast.AsyncWith, env: Env) -> None:
        for item in stmt.items:
            v = self.eval(item.context_expr, env)
            if item.optional_vars is not None:
                # `with open(...) as f` binds the file itself; other managers' __enter__ is unseen
                kept = (
                    isinstance(v, Tensor) or (isinstance(v, Unknown) and v.pytype in _FILE_TYPES)
                    or getattr(type(v), "WITH_BINDS_SELF", False)
                )
                self.assign(item.optional_vars, v if kept else UNKNOWN, env)
        self.with_depth += 1
        try:
            self.exec_block(stmt.body, env)
        except _Terminated as t:
            if t.kind != "raise":
                raise
            # a context manager may suppress it (contextlib.suppress, an __exit__ returning
            # True): the raise reaches a handler on one path, the code after the with on another
            self._note_raise(env)
        finally:
            self.with_depth -= 1

    def _exec_try(self, stmt: ast.Try, env: Env) -> None:
        handlers = [(h.lineno, self.eval(h.type, env) if h.type is not None else None) for h in stmt.handlers]
        catcher = next((line for line, kind in handlers if _catches_shape_errors(kind)), None)
        if catcher is not None:
            self.catching.append(catcher)
        if stmt.handlers:
            self.raise_states.append([])
            self.handlers.append(handlers)
        certain_raise = False  # the body raises on every path: a handler may run
        raised_class: Value | None = None
        try:
            try:
                self.exec_block(stmt.body, env)
            except _Terminated as t:
                if t.kind != "raise" or not stmt.handlers:
                    raise
                certain_raise, raised_class = True, t.raised
                self._note_raise(env)
        finally:
            raised = self.raise_states.pop() if stmt.handlers else []
            if stmt.handlers:
                self.handlers.pop()
            if catcher is not None:
                self.catching.pop()
        if raised:
            # the paths that raised reach the handlers too
            self.heap.join_in([heap for heap, _, _ in raised])
            scopes = [scope for _, where, scope in raised if where is env]
            if scopes:
                env.vars = _join_scopes(scopes if certain_raise else [env.vars, *scopes])
        if stmt.handlers:
            bodies = [h.body for h in stmt.handlers]
            for h in stmt.handlers:
                if h.name:
                    env.set(h.name, UNKNOWN)
            if certain_raise:
                # the first handler that catches it runs; where none may, the exception goes
                # on outward (an arm that raises again, for an outer handler); what the handler
                # ends with (a return, a raise again) ends the statement too
                arms = self._catching_arms(stmt, raised_class, env)
                try:
                    if len(arms) == 1:
                        self.exec_block(arms[0], env)
                    else:
                        self.exec_branches(arms, env)
                except _Terminated:
                    self.exec_block(stmt.finalbody, env)
                    raise
                self.exec_block(stmt.finalbody, env)
                return
            # A handler only runs if the body failed part-way: join its effects in.
            try:
                self.exec_branches([[], *bodies], env)
            except _Terminated:
                pass
        self.exec_block(stmt.orelse, env)
        self.exec_block(stmt.finalbody, env)

    def _catching_arms(self, stmt: ast.Try, raised: Value | None, env: Env) -> list[list[ast.stmt]]:
        """The handler bodies that may run for an exception of class ``raised``, in order up to
        the first that certainly catches it; a re-raise arm when none certainly does."""
        arms: list[list[ast.stmt]] = []
        for h in stmt.handlers:
            kind = self.eval(h.type, env) if h.type is not None else None
            answer = catches(kind, raised)
            if answer is False:
                continue
            arms.append(h.body)
            if answer is True:
                return arms
        arms.append([ast.copy_location(ast.Raise(exc=None, cause=None), stmt)])
        return arms

    def _exec_function_def(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef, env: Env) -> None:
        defaults = [self.eval(d, env) for d in stmt.args.defaults]
        kw_defaults = {
            a.arg: self.eval(d, env)
            for a, d in zip(stmt.args.kwonlyargs, stmt.args.kw_defaults, strict=True)
            if d is not None
        }
        fn = FunctionVal(stmt, env, defaults, kw_defaults, name=stmt.name, file=self.current_file)
        self.functions.append(fn)
        value: Value = fn
        for deco in reversed(stmt.decorator_list):
            if isinstance(deco, ast.Attribute) and deco.attr in ("setter", "deleter", "getter"):
                # `@size.setter`: the property keeps reading through its getter
                prop = self.eval(deco.value, env)
                if isinstance(prop, FunctionVal) and prop.is_property:
                    fn.called = True  # analysed as a method with unknown arguments elsewhere
                    value = prop
                    continue
            d = self.eval(deco, env)
            if isinstance(d, LibRef) and d.name in _PROPERTY_DECORATORS and isinstance(value, FunctionVal):
                value.is_property = True
                continue
            if isinstance(d, LibRef) and d.name in ("builtins.staticmethod", "builtins.classmethod") and isinstance(value, FunctionVal):
                value.binding = "static" if d.name == "builtins.staticmethod" else "class"
                continue
            value = self._apply_decorator(d, value, deco)
        env.set(stmt.name, value)

    def _apply_decorator(self, deco: Value, fn: Value, node: ast.expr) -> Value:
        """Decorators are assumed to keep the function's behaviour (tf.function, keras
        serialization registration, functools wrappers). An unknown decorator might replace
        it, but analysing the body as written is what the user expects to see. The user's own
        decorators still run, for what they do besides (``@register("tcn")`` fills a registry)."""
        if isinstance(deco, FunctionVal) and isinstance(fn, FunctionVal):
            self.call_function(deco, [fn], {}, node)
        if isinstance(deco, SignatureDecorator) and isinstance(fn, FunctionVal):
            fn.signature = deco.signature
        if isinstance(deco, LibRef) and deco.name == "tf.custom_gradient" and isinstance(fn, FunctionVal):
            fn.custom_gradient = True
        return fn

    def _exec_class_def(self, stmt: ast.ClassDef, env: Env) -> None:
        bases = [self.eval(b, env) for b in stmt.bases]
        decorators = [self.eval(d, env) for d in stmt.decorator_list]
        class_env = Env(env)
        cls = ClassVal(stmt, stmt.name, bases, class_env.vars)
        if any(isinstance(d, LibRef) and d.name == "dataclasses.dataclass" for d in decorators):
            own = [
                s.target.id for s in stmt.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
                and "ClassVar" not in ast.dump(s.annotation)
            ]
            inherited = [f for b in reversed(bases) if isinstance(b, ClassVal) for f in b.fields or []]
            cls.fields = [*dict.fromkeys(f for f in inherited if f not in own), *own]
        elif any(isinstance(b, LibRef) and b.name in NAMEDTUPLE_BASES for b in bases):
            cls.fields = [
                s.target.id for s in stmt.body
                if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)
            ]
            cls.is_namedtuple = True
        elif (tuple_base := next((b for b in bases if isinstance(b, ClassVal) and namedtuple_class(b)), None)):
            # `class Point(namedtuple("Point", "x y")):` adds methods to the tuple's fields
            cls.fields, cls.is_namedtuple = tuple_base.fields, True
        for s in stmt.body:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._exec_function_def(s, class_env)
                fn = class_env.vars.get(s.name)
                if isinstance(fn, FunctionVal):
                    fn.owner = cls
            else:
                self.exec_stmt(s, class_env)
        self._init_subclass(cls, stmt, env)
        env.set(stmt.name, cls)
        for d, node in zip(reversed(decorators), reversed(stmt.decorator_list), strict=True):
            if isinstance(d, FunctionVal):
                self.call_function(d, [cls], {}, node)  # a registry decorator: its side effects

    def _init_subclass(self, cls: ClassVal, stmt: ast.ClassDef, env: Env) -> None:
        """Python calls a base class's ``__init_subclass__`` with each new subclass (with the
        class statement's keywords): the usual way to fill a registry of model classes."""
        for base in cls.mro()[1:]:
            if isinstance(base, ClassVal) and "__init_subclass__" in base.namespace:
                hook = base.namespace["__init_subclass__"]
                if isinstance(hook, FunctionVal):
                    kwargs = {
                        k.arg: self.eval(k.value, env) for k in stmt.keywords if k.arg and k.arg != "metaclass"
                    }
                    self.call_function(hook, [cls], kwargs, stmt)
                return

    def _exec_return(self, stmt: ast.Return, env: Env) -> None:
        value = self.eval(stmt.value, env) if stmt.value is not None else Const(None)
        if self.frames:
            self.frames[-1].returns.append(value)
        raise _Terminated("return")

    def _exec_terminator(self, stmt: ast.stmt, env: Env) -> None:
        raise _Terminated("break" if isinstance(stmt, ast.Break) else "continue")

    def _exec_raise(self, stmt: ast.Raise, env: Env) -> None:
        raised: Value | None = None
        if stmt.exc is not None:
            exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
            value = self.eval(exc, env)
            raised = value if isinstance(value, (LibRef, ClassVal)) else None
        raise _Terminated("raise", raised)

    def _exec_import(self, stmt: ast.Import, env: Env) -> None:
        for alias in stmt.names:
            user = self.user_modules.load(alias.name, 0)
            standalone = is_standalone_keras(alias.name)
            if alias.asname:
                env.set(alias.asname, user or LibRef(module_for_import(alias.name), standalone))
            else:
                top = alias.name.split(".")[0]
                top_user = self.user_modules.load(top, 0) if user is not None else None
                env.set(top, top_user or LibRef(module_for_import(top), standalone))

    def _exec_import_from(self, stmt: ast.ImportFrom, env: Env) -> None:
        module = stmt.module or ""
        user = self.user_modules.load(module, stmt.level) if (module or stmt.level) else None
        if user is None and stmt.level:
            for alias in stmt.names:
                sub = self.user_modules.load(f"{module}.{alias.name}".strip("."), stmt.level)
                env.set(alias.asname or alias.name, sub or UNKNOWN)
            return
        for alias in stmt.names:
            if alias.name == "*":
                if user is not None:
                    for k, v in user.namespace.items():
                        if not k.startswith("_"):
                            env.set(k, v)
                elif module:
                    self.star_modules.append(canonical(module))
                continue
            if user is not None:
                value = user.namespace.get(alias.name)
                if value is None:
                    value = self.user_modules.load(f"{module}.{alias.name}", stmt.level) or UNKNOWN
                env.set(alias.asname or alias.name, value)
                continue
            standalone = is_standalone_keras(module)
            if standalone and canonical(module) == "keras.backend":
                try:
                    check_backend_name(alias.name, raises="builtins.ImportError")
                except ShapeError as err:
                    self._report_error(stmt, err)
            env.set(alias.asname or alias.name, LibRef(canonical(f"{module}.{alias.name}"), standalone))

    def _exec_global(self, stmt: ast.Global | ast.Nonlocal, env: Env) -> None:
        if isinstance(stmt, ast.Global):
            env.global_names.update(stmt.names)

    def _exec_delete(self, stmt: ast.Delete, env: Env) -> None:
        for t in stmt.targets:
            if isinstance(t, ast.Name):
                env.vars.pop(t.id, None)
            elif isinstance(t, ast.Subscript):
                obj = self.eval(t.value, env)
                key = self.eval(t.slice, env)
                if isinstance(obj, Seq):
                    self._delete_items(obj, key)
                elif isinstance(obj, DictVal):
                    if isinstance(key, Const) and self.certain_mutation(obj) and key.value in obj.items:
                        del obj.items[key.value]
                    else:
                        obj.lose_keys()

    def _delete_items(self, seq: Seq, key: Value) -> None:
        """``del xs[i]`` / ``del xs[a:b]``: the items go when which ones is known and the change
        is certain; otherwise the length is no longer known."""
        if seq.items is not None and self.certain_mutation(seq):
            index: int | slice | None = None
            if isinstance(key, Const) and type(key.value) is int:
                index = key.value
            elif isinstance(key, SliceVal):
                parts = [p.value if isinstance(p, Const) else p for p in (key.lower, key.upper, key.step)]
                if all(p is None or type(p) is int for p in parts):
                    index = slice(*parts)  # type: ignore[arg-type]
            if index is not None:
                try:
                    del seq.items[index]
                    return
                except (IndexError, ValueError):
                    pass
        builtins_rules.forget_length(seq)

    def _exec_assert(self, stmt: ast.Assert, env: Env) -> None:
        value = self.eval(stmt.test, env)
        # A shape assertion that certainly fails (`assert model.output_shape == (None, 7, 7, 256)`
        # in a DCGAN generator) stops the script there. Only where the line certainly runs:
        # not in a branch or loop the engine is unsure of, not in a function nobody calls.
        if (
            self.truth(value) is False
            and not self.uncertain_depth
            and not self.analysing_uncalled
            and self.current_file == self.main_file
            and _about_shapes(stmt.test)
        ):
            self.report(
                stmt,
                f"this assertion fails: {_assert_operands(self, stmt.test, env)}",
                code="assert-shape",
            )

    def _exec_match(self, stmt: ast.Match, env: Env) -> None:
        self.eval(stmt.subject, env)
        self.exec_branches([c.body for c in stmt.cases] + [[]], env)

    _stmt_handlers: dict[type, Callable[[Interpreter, Any, Env], None]] = {
        ast.Expr: _exec_expr,
        ast.Assign: _exec_assign,
        ast.AnnAssign: _exec_annassign,
        ast.AugAssign: _exec_augassign,
        ast.If: _exec_if,
        ast.For: _exec_for,
        ast.AsyncFor: _exec_for,
        ast.While: _exec_while,
        ast.With: _exec_with,
        ast.AsyncWith: _exec_with,
        ast.Try: _exec_try,
        ast.FunctionDef: _exec_function_def,
        ast.AsyncFunctionDef: _exec_function_def,
        ast.ClassDef: _exec_class_def,
        ast.Return: _exec_return,
        ast.Break: _exec_terminator,
        ast.Continue: _exec_terminator,
        ast.Raise: _exec_raise,
        ast.Import: _exec_import,
        ast.ImportFrom: _exec_import_from,
        ast.Global: _exec_global,
        ast.Nonlocal: _exec_global,
        ast.Delete: _exec_delete,
        ast.Assert: _exec_assert,
        ast.Match: _exec_match,
    }
    if hasattr(ast, "TryStar"):
        _stmt_handlers[ast.TryStar] = _exec_try

    # ------------------------------------------------------------------------------------
    # expressions

    def eval(self, node: ast.expr | None, env: Env) -> Value:
        if node is None:
            return Const(None)
        handler = self._expr_handlers.get(type(node))
        if handler is None:
            return UNKNOWN
        try:
            value = handler(self, node, env)
            if isinstance(value, Tensor) and value.shape.dims is not None and type(node) in _HOVERABLE:
                self._record_subexpression(node, value)
            return value
        except (_Terminated, RecursionError):
            raise
        except ShapeError as err:
            self._report_error(node, err)
            return UNKNOWN
        except Unknowable:
            return UNKNOWN

    def _set_trainable(self, obj: Value, value: Value) -> None:
        """``layer.trainable = False`` moves its weights to non-trainable in the model tables;
        on something the engine cannot identify, no table can say what is trainable."""
        if self.uncertain_depth:
            value = UNKNOWN
        if isinstance(obj, LayerVal):
            obj.kwargs["trainable"] = value
        elif isinstance(obj, ModelVal):
            obj.trainable = value
            # Keras sets the flag on every layer inside too: models sharing them see it
            from .model_summary import set_layers_trainable

            set_layers_trainable(obj, value)
        elif isinstance(obj, Instance) and obj.model is not None:
            obj.model.trainable = value  # a keras.Model subclass: its table reads the model's flag
        elif not isinstance(obj, (Instance, ClassVal)):
            self.trainable_unknown = True

    def _record_subexpression(self, node: ast.expr, value: Tensor) -> None:
        """Calls, operators, subscripts and attributes inside a statement get their own fact,
        so hovering ``tf.matmul(x, w)`` in ``tf.matmul(x, w) + b`` shows that part's shape.
        A layer call already has its (layer) fact at the same place."""
        if self.current_file != self.main_file:  # other modules' facts are not kept
            return
        span = Span.of(node)
        if (span, "layer") not in self.facts:
            self.record_span(span, _expression_name(node), value, "expr")

    def _eval_constant(self, node: ast.Constant, env: Env) -> Value:
        return Const(node.value)

    def _track_keras_variable(self, obj: Instance, attr: str, value: Value) -> None:
        """A keras.Variable set on a layer's attribute is one of its weights, as an add_weight."""
        if not isinstance(value, KerasVariable) or not self.is_keras_layer_class(obj.cls):
            return
        if value.owner is obj:
            return  # the same variable under a second name: one weight
        if value.owner is not None:
            # one variable in two layers: a model counts it once, the layers each
            obj.weights_uncertain = value.owner.weights_uncertain = True
            return
        value.owner = obj
        if (
            isinstance(obj.attrs.get(attr), KerasVariable)
            or not self.certain_mutation(obj)
            or not variables_set_directly(obj.cls)
        ):
            obj.weights_uncertain = True  # replacing one, maybe not set at all, or kept elsewhere
        obj.own_weights.append((value.shape.num_elements(), value.trainable))

    def _eval_name(self, node: ast.Name, env: Env) -> Value:
        v = env.lookup(node.id)
        if v is not None:
            return v
        if node.id == "__name__" and self.current_file == self.main_file:
            return Const("__main__")  # the document is analysed as the script being run
        if node.id in builtins_rules.BUILTIN_NAMES:
            return LibRef("builtins." + node.id)
        for module in reversed(self.star_modules):
            name = canonical(f"{module}.{node.id}")
            if name in registry.FUNCTIONS or (
                name.startswith("keras.layers.") and name[len("keras.layers.") :] in LAYERS
            ):
                return LibRef(name)
            if module.startswith("keras.layers") and node.id in _LAYER_BASE_CLASSES:
                return LibRef(name)  # `class Attention(Layer)` after `from keras.layers import *`
        return Unknown(node.id)

    def _eval_attribute(self, node: ast.Attribute, env: Env) -> Value:
        obj = self.eval(node.value, env)
        return self.get_attr(obj, node.attr, node)

    def get_attr(self, obj: Value, attr: str, node: ast.AST) -> Value:
        if isinstance(obj, LibRef):
            name = canonical(f"{obj.name}.{attr}")
            if name in self.lib_overridden:
                return UNKNOWN
            predicate = _DTYPE_PREDICATES.get(attr)
            if predicate is not None and obj.name.startswith("tf."):
                dtype = normalize_dtype(obj.name.rsplit(".", 1)[-1])
                if dtype is not None:
                    return Const(predicate(dtype))  # tf.float32.is_integer
            if is_keras3_backend(obj):
                check_backend_name(attr)
            constant = _lib_constants().get(name, _NOPE)
            return LibRef(name, standalone_after(obj.standalone, attr)) if constant is _NOPE else Const(constant)
        if isinstance(obj, NamespaceVal):
            return obj.attrs.get(attr, Unknown(attr))
        if isinstance(obj, ModuleVal):
            found_in_module = obj.namespace.get(attr)
            if found_in_module is None:
                sub = self.user_modules.load(f"{obj.name}.{attr}", 0)
                return sub if sub is not None else Unknown(attr)
            return found_in_module
        if isinstance(obj, Instance):
            if attr in obj.attrs:
                return obj.attrs[attr]
            if attr in ("__dict__", "__setattr__"):
                obj.open_attrs = True  # attributes may be set through these
            if attr == "__dict__":
                # the instance's own attributes: writes through it change them (never certain)
                return DictVal(obj.attrs, False)
            found = obj.cls.lookup(attr)
            if isinstance(found, FunctionVal):
                if found.is_property:
                    return self.call_function(found, [obj], {}, node)
                if found.binding == "static":
                    return found
                return BoundMethod(obj.cls if found.binding == "class" else obj, attr)
            if found is not None:
                return found
            if attr in ("add_weight", "add_variable"):
                return BoundMethod(obj, attr)
            tuple_attr = namedtuple_attribute(obj, attr)
            if tuple_attr is not None:
                return tuple_attr
            if obj.model is not None:
                return self.get_attr(obj.model, attr, node)
            if attr in ("input", "output"):
                known = obj.first_node[0 if attr == "input" else 1] if obj.first_node else None
                return known if known is not None else UNKNOWN
            if self.is_keras_layer_class(obj.cls):
                return BoundMethod(obj, attr)
            return UNKNOWN
        if isinstance(obj, ClassVal):
            found = obj.lookup(attr)
            if found is None and attr == "from_config" and self.is_keras_layer_class(obj):
                return BoundMethod(obj, attr)  # Keras' inherited classmethod
            if found is None and attr == "_fields" and obj.is_namedtuple and obj.fields is not None:
                return Seq([Const(n) for n in obj.fields], "tuple")
            if isinstance(found, FunctionVal) and found.binding == "class":
                return BoundMethod(obj, attr)  # a classmethod gets the class first
            return found if found is not None else UNKNOWN
        if isinstance(obj, SuperVal):
            return BoundMethod(obj, attr)
        if isinstance(obj, Seq) and obj.fields is not None and attr in obj.fields and obj.items is not None:
            return obj.items[obj.fields.index(attr)]
        kind = registry.receiver_kind(obj)
        getter = registry.ATTRIBUTES.get((kind, attr))
        if getter is None and kind in ("ndarray", "keras"):
            getter = registry.ATTRIBUTES.get(("tensor", attr))
        if getter is not None:
            return getter(obj)
        if (kind, attr) in registry.METHODS or (
            kind in ("ndarray", "keras") and ("tensor", attr) in registry.METHODS
        ):
            return BoundMethod(obj, attr)
        if kind in ("list", "tuple", "dict", "model", "layer", "dataset"):
            return BoundMethod(obj, attr)
        return UNKNOWN

    def _eval_call(self, node: ast.Call, env: Env) -> Value:
        func = self.eval(node.func, env)
        args: list[Value] = []
        arg_nodes: list[ast.AST] = []
        for a in node.args:
            if isinstance(a, ast.Starred):
                v = self.eval(a.value, env)
                if (
                    len(node.args) == 1 and not node.keywords and isinstance(func, LibRef)
                    and func.name == "builtins.zip" and isinstance(v, Seq) and v.items is None
                ):
                    return builtins_rules.transposed(self, v)
                if isinstance(v, Seq) and v.items is not None:
                    args.extend(v.items)
                    arg_nodes.extend([a] * len(v.items))
                    self.consume(v)
                else:
                    return self._call_unknown(node, env)
            else:
                args.append(self.eval(a, env))
                arg_nodes.append(a)
        kwargs: dict[str, Value] = {}
        kwarg_nodes: dict[str, ast.AST] = {}
        for kw in node.keywords:
            v = self.eval(kw.value, env)
            if kw.arg is None:
                if not isinstance(v, DictVal) or not v.complete or not all(isinstance(k, str) for k in v.items):
                    # unknown keyword arguments may override anything: claim nothing
                    return self._call_unknown(node, env)
                for k, item in v.items.items():
                    kwargs[k] = item
                    kwarg_nodes[k] = kw.value
                continue
            kwargs[kw.arg] = v
            kwarg_nodes[kw.arg] = kw.value
        result = self.call_value(func, args, kwargs, node, arg_nodes, kwarg_nodes)
        if isinstance(result, Unknown) and result.pytype is None:
            self.record_span(Span.of(node), "", result, "layer")
        return result

    def _call_unknown(self, node: ast.Call, env: Env) -> Value:
        for kw in node.keywords:
            self.eval(kw.value, env)
        self.record_span(Span.of(node), "", UNKNOWN, "layer")
        return UNKNOWN

    def call_value(
        self,
        func: Value,
        args: list[Value],
        kwargs: dict[str, Value],
        node: ast.AST,
        arg_nodes: list[ast.AST] | None = None,
        kwarg_nodes: dict[str, ast.AST] | None = None,
    ) -> Value:
        if self.uncalled_sequentials and note_model_calls(func, args, kwargs):
            self.uncalled_sequentials = [m for m in self.uncalled_sequentials if not m.maybe_called]
        return _calls().dispatch(self, func, args, kwargs, node, arg_nodes or [], kwarg_nodes or {})

    def call_function(
        self,
        fn: FunctionVal,
        args: list[Value],
        kwargs: dict[str, Value],
        node: ast.AST,
        uncalled: bool = False,
    ) -> Value:
        """Analyse a user function (or lambda) for this call site's argument values."""
        self.user_calls += 1
        if not uncalled:
            fn.called = True
            self.called_nodes.add(id(fn.node))
        if len(self.frames) >= MAX_CALL_DEPTH or any(f.function is fn for f in self.frames[-2:]):
            return UNKNOWN
        local = Env(fn.closure)
        if fn.signature is not None:
            args, kwargs = traced_arguments(fn, args, kwargs)
        self._bind_params(fn, args, kwargs, local)
        frame = _Frame(fn, Span.of(node), local)
        self.frames.append(frame)
        pushed = not uncalled
        if pushed:
            self.call_spans.append(Span.of(node))
            self.call_files.append(self.current_file)
        caller_file = self.current_file
        if fn.file is not None:
            self.current_file = fn.file
        outer_partial, self.partial_exit = self.partial_exit, False
        try:
            if isinstance(fn.node, ast.Lambda):
                return self.eval(fn.node.body, local)
            try:
                self.exec_block(fn.node.body, local)
            except _Terminated:
                pass
            if frame.returned_heaps:
                self.heap.join_in(frame.returned_heaps)
        finally:
            self.partial_exit = outer_partial
            self.current_file = caller_file
            self.frames.pop()
            if pushed:
                self.call_spans.pop()
                self.call_files.pop()
        if _is_generator(fn.node):
            # iterating the generator gives any of the values it yields
            if not frame.yields:
                return Seq(None, "list", UNKNOWN, generator=True)
            item = frame.yields[0]
            for y in frame.yields[1:]:
                item = join(item, y)
            return Seq(None, "list", item, generator=True)
        if not frame.returns:
            return Const(None)
        result = frame.returns[0]
        for r in frame.returns[1:]:
            result = join(result, r)
        if fn.custom_gradient:
            # TF keeps the value and registers the gradient function
            return result.items[0] if isinstance(result, Seq) and result.items else UNKNOWN
        return result

    def _bind_params(
        self, fn: FunctionVal, args: list[Value], kwargs: dict[str, Value], local: Env
    ) -> None:
        params = fn.node.args
        positional = [*params.posonlyargs, *params.args]
        n_defaults = len(fn.defaults)
        first_default = len(positional) - n_defaults
        extra_kwargs = dict(kwargs)
        for i, p in enumerate(positional):
            if i < len(args):
                value = args[i]
            elif p.arg in extra_kwargs:
                value = extra_kwargs.pop(p.arg)
            elif i >= first_default:
                value = fn.defaults[i - first_default]
            else:
                value = Unknown(p.arg)
            extra_kwargs.pop(p.arg, None)
            local.vars[p.arg] = value
        if params.vararg is not None:
            rest = args[len(positional) :]
            local.vars[params.vararg.arg] = Seq(list(rest), "tuple")
        for p in params.kwonlyargs:
            if p.arg in extra_kwargs:
                local.vars[p.arg] = extra_kwargs.pop(p.arg)
            elif p.arg in fn.kw_defaults:
                local.vars[p.arg] = fn.kw_defaults[p.arg]
            else:
                local.vars[p.arg] = Unknown(p.arg)
        if params.kwarg is not None:
            local.vars[params.kwarg.arg] = DictVal(dict(extra_kwargs))

    def _eval_binop(self, node: ast.BinOp, env: Env) -> Value:
        left = self.eval(node.left, env)
        right = self.eval(node.right, env)
        return self.binop(type(node.op), left, right, node)

    def binop(self, op: type, left: Value, right: Value, node: ast.AST) -> Value:
        if isinstance(left, Tensor) or isinstance(right, Tensor):
            return _elementwise().tensor_binop(self, op, left, right, node)
        if isinstance(left, BoundedInt) or isinstance(right, BoundedInt):
            shifted = _shift_bounded(op, left, right)
            if shifted is not None:
                return shifted
        if isinstance(left, Const) and isinstance(right, Const):
            fn = _BINOPS.get(op)
            if fn is None:
                return UNKNOWN
            try:
                result = fn(left.value, right.value)
            except Exception:
                return UNKNOWN
            if isinstance(result, (str, bytes)) and len(result) > 10_000:
                return UNKNOWN
            if isinstance(result, int) and abs(result) > 1 << 62:
                return UNKNOWN
            return Const(result)
        padded = _padding(op, left, right)
        if padded is not None:
            return padded
        if op in (ast.Add, ast.Mult) and any(isinstance(v, Seq) and v.maxlen is not None for v in (left, right)):
            # a deque joined or repeated keeps its newest items up to its maxlen: how many is
            # not followed here
            seqs = [v for v in (left, right) if isinstance(v, Seq)]
            elem = seqs[0].element_join() if len(seqs) == 1 else join(seqs[0].element_join(), seqs[1].element_join())
            return Seq(None, seqs[0].kind, elem)
        if isinstance(left, Seq) and isinstance(right, Seq) and op is ast.Add:
            if left.items is not None and right.items is not None:
                return Seq([*left.items, *right.items], left.kind)
            other = right if left.items == [] else left if right.items == [] else None
            if other is not None and other.length:
                # `[] + xs` with xs of known length: a copy of xs (one that may be empty keeps
                # its items' type open: numpy makes float64 of an empty list)
                return Seq(None, left.kind, other.element_join(), other.length)
            a, b = left.size(), right.size()
            total = a + b if a is not None and b is not None else None
            return Seq(None, left.kind, join(left.element_join(), right.element_join()), total)
        if (
            isinstance(left, Seq)
            and isinstance(right, Const)
            and op is ast.Mult
            and left.items is not None
            and isinstance(right.value, int)
            and right.value >= 0
        ):
            if len(left.items) * right.value <= MAX_SEQ_ITEMS:
                return Seq(list(left.items) * right.value, left.kind)
            return Seq(None, left.kind, left.element_join(), len(left.items) * right.value)
        if isinstance(left, Seq) and op is ast.Mult and isinstance(right, Unknown) and right.pytype is int:
            # `[0] * pad` with a count not known here: a list of those items, of unknown length
            return Seq(None, left.kind, left.element_join())
        if isinstance(right, Seq) and isinstance(left, (Const, Unknown)) and op is ast.Mult:
            return self.binop(op, right, left, node)
        if op is ast.Mod and isinstance(left, Const) and isinstance(left.value, str) and isinstance(right, Seq):
            values = _py(right)  # "block%d_conv%d" % (b, c)
            if values is _NOPE:
                return Unknown(None, str)
            try:
                text = left.value % tuple(values)
            except Exception:
                return UNKNOWN
            return Const(text) if len(text) <= 10_000 else Unknown(None, str)
        return _scalar_binop(op, left, right)

    def _eval_unaryop(self, node: ast.UnaryOp, env: Env) -> Value:
        operand = self.eval(node.operand, env)
        if isinstance(operand, Const):
            try:
                if isinstance(node.op, ast.USub):
                    return Const(-operand.value)
                if isinstance(node.op, ast.UAdd):
                    return Const(+operand.value)
                if isinstance(node.op, ast.Not):
                    return Const(not operand.value)
                if isinstance(node.op, ast.Invert):
                    return Const(~operand.value)
            except Exception:
                return UNKNOWN
        if isinstance(operand, Tensor):
            if isinstance(node.op, ast.Not):
                return UNKNOWN
            content: list[Value] | None = None
            if isinstance(node.op, ast.USub) and operand.content is not None and (operand.dtype or "").startswith("int"):
                # `-tf.shape(x)[1] % 8` (a pad to a multiple) keeps its value
                content = [Const(-c.value) if isinstance(c, Const) and type(c.value) is int else Unknown(None, int)
                           for c in operand.content]
            return Tensor(operand.shape, operand.dtype, operand.kind, Span.of(node), operand.label, content=content)
        if isinstance(node.op, ast.Not):
            t = self.truth(operand)
            return Const(not t) if t is not None else UNKNOWN
        return UNKNOWN

    def _eval_boolop(self, node: ast.BoolOp, env: Env) -> Value:
        values = [self.eval(v, env) for v in node.values]
        # the last operand is the result whatever its truth: only the ones before it are tested
        truths = [self.truth(v) for v in values[:-1]]
        stop = isinstance(node.op, ast.Or)  # `or` stops at a true operand, `and` at a false one
        for i, (v, t) in enumerate(zip(values, truths, strict=False)):
            if t is stop:
                return v
            if t is None:
                return _undecided_boolop(values[i:], [*truths[i:], self.truth(values[-1])], stop)
        return values[-1]

    def _eval_compare(self, node: ast.Compare, env: Env) -> Value:
        left = self.eval(node.left, env)
        rights = [self.eval(c, env) for c in node.comparators]
        for op, right in zip(node.ops, rights, strict=True):
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, Seq) and right.one_shot:
                self.consume(right)  # `x in it` reads the iterator up to x
                return Unknown(None, bool)
        if isinstance(left, Tensor) or any(isinstance(r, Tensor) for r in rights):
            if len(rights) == 1:
                return _elementwise().tensor_compare(self, left, rights[0], node)
            return UNKNOWN
        result = True
        for op, right in zip(node.ops, rights, strict=True):
            named = _auto_name_compare(op, left, right, self.auto_names_unique())
            if named is not None:
                if not named:
                    return Const(False)
                left = right
                continue
            fn = _CMPOPS.get(type(op))
            lv, rv = _py(left), _py(right)
            if fn is None or lv is _NOPE or rv is _NOPE:
                if isinstance(op, (ast.Is, ast.IsNot)):
                    known = _identity_known(left, right)
                    if known is not None:
                        ok = known if isinstance(op, ast.Is) else not known
                        if not ok:
                            return Const(False)
                        left = right
                        continue
                return _unknown_comparison(node, [left, *rights])
            try:
                ok = bool(fn(lv, rv))
            except Exception:
                return _unknown_comparison(node, [left, *rights])
            if not ok:
                result = False
            left = right
        return Const(result)

    def _eval_subscript(self, node: ast.Subscript, env: Env) -> Value:
        obj = self.eval(node.value, env)
        index = self.eval(node.slice, env)
        return _subscripts().subscript(self, obj, index, node)

    def _eval_slice(self, node: ast.Slice, env: Env) -> Value:
        return SliceVal(self.eval(node.lower, env), self.eval(node.upper, env), self.eval(node.step, env))

    def set_attr(self, obj: Instance | NamespaceVal, name: str, value: Value) -> None:
        """Set an attribute of a user object; on a path that may not run, joined after it."""
        self.heap.write(SlotRef(obj.attrs, name, True, getattr(obj, "created_depth", 0), obj), value)

    def set_field(self, obj: object, name: str, value: Value | None) -> None:
        """Set a field of an engine object (a Sequential's running output) the same way."""
        self.heap.write(SlotRef(obj, name, False, getattr(obj, "created_depth", 0), obj), value)

    def certain_mutation(self, obj: object) -> bool:
        """Whether changing ``obj`` (a list, dict, layer, model or user object) here certainly
        happens on every path that made it: no branch or loop of unknown outcome was entered
        since it was made."""
        return not self.heap.changes_are_uncertain(obj, getattr(obj, "created_depth", 0))

    def fresh(self, v: V) -> V:
        """Stamp a list, dict, layer or model the program just made as made here, so that
        later changes to it are known to be certain or not (``certain_mutation``)."""
        if isinstance(v, (Seq, DictVal, LayerVal, ModelVal, Instance)):
            v.created_depth = self.uncertain_depth
            self.heap.born(v)
        if isinstance(v, (LayerVal, ModelVal)):
            v.policy = self.compute_policy  # Keras fixes a layer's dtype policy when it is made
            if isinstance(v, LayerVal):
                v.image_format = self.image_data_format  # and its default data_format
            dtype = v.kwargs.get("dtype") if isinstance(v, LayerVal) else None
            if dtype is None or (isinstance(dtype, Const) and dtype.value is None):
                self.freeze_policy()  # only a layer that takes the default policy fixes it
        return v

    def freeze_policy(self) -> None:
        """A layer or model was made: the default dtype policy it took is now Keras' global one."""
        if self.policy_set is not True:
            self.policy_set = None if self.uncertain_depth else True

    def _eval_seq(self, node: ast.Tuple | ast.List | ast.Set, env: Env) -> Value:
        return self.fresh(self._eval_seq_items(node, env))

    def _eval_seq_items(self, node: ast.Tuple | ast.List | ast.Set, env: Env) -> Value:
        kind: Any = "list" if isinstance(node, ast.List) else "tuple"
        items: list[Value] = []
        for e in node.elts:
            if isinstance(e, ast.Starred):
                v = self.eval(e.value, env)
                if isinstance(v, Seq) and v.items is not None:
                    items.extend(v.items)
                    self.consume(v)
                    continue
                return Seq(None, kind)
            items.append(self.eval(e, env))
        if isinstance(node, ast.Set):  # duplicates collapse
            return builtins_rules.unique_constants(Seq(items, "tuple"))
        if len(items) > MAX_SEQ_ITEMS:
            elem = items[0]
            for it in items[1:]:
                elem = join(elem, it)
            return Seq(None, kind, elem, len(items))
        return Seq(items, kind)

    def _eval_dict(self, node: ast.Dict, env: Env) -> Value:
        return self.fresh(self._eval_dict_items(node, env))

    def _eval_dict_items(self, node: ast.Dict, env: Env) -> Value:
        items: dict[Any, Value] = {}
        known = True
        for k, v in zip(node.keys, node.values, strict=True):
            value = self.eval(v, env)
            if k is None:
                if isinstance(value, DictVal):
                    items.update(value.items)
                else:
                    known = False
                continue
            key = self.eval(k, env)
            if isinstance(key, Const):
                try:
                    items[key.value] = value
                except TypeError:
                    known = False
            else:
                known = False
        return DictVal(items) if known else UNKNOWN

    def _eval_comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, env: Env) -> Value:
        out = self.fresh(self._eval_comprehension_items(node, env))
        if isinstance(node, ast.GeneratorExp) and isinstance(out, Seq):
            out.one_shot = True
        return out

    def _eval_comprehension_items(self, node: ast.ListComp | ast.GeneratorExp | ast.SetComp, env: Env) -> Value:
        kind: Any = "list" if isinstance(node, ast.ListComp) else "tuple"
        local = Env(env)
        outer, self._comprehension_node = self._comprehension_node, node
        try:
            results = self._comprehension(node.generators, 0, local, lambda e: self.eval(node.elt, e))
        finally:
            self._comprehension_node = outer
        if results is None:
            return Seq(None, kind)
        elems, length = results
        if isinstance(node, ast.SetComp):  # duplicates collapse: only known constants keep a size
            if elems is not None:
                return builtins_rules.unique_constants(Seq(elems, "tuple"))
            return Seq(None, kind, self._last_elem)
        if elems is not None:
            return Seq(elems, kind)
        return Seq(None, kind, self._last_elem, length)

    _last_elem: Value = UNKNOWN
    # the list/set/generator comprehension being evaluated (its element is what a window start
    # may be used in)
    _comprehension_node: ast.ListComp | ast.GeneratorExp | ast.SetComp | None = None

    def _comprehension(
        self,
        gens: list[ast.comprehension],
        index: int,
        env: Env,
        produce: Callable[[Env], Value],
    ) -> tuple[list[Value] | None, int | None] | None:
        """Evaluate a comprehension: per item when the iterable is small and known, else once
        for an abstract element with the known length."""
        gen = gens[index]
        iterable = self.eval(gen.iter, env)
        items = self.iteration_items(iterable)
        last = index == len(gens) - 1
        start: BoundedInt | None = None
        scope = self._comprehension_node
        if scope is not None:
            later = [g.iter for g in gens[index + 1:]]
            start = window_start(iterable, gen.target, [scope.elt, *later, *(c for g in gens for c in g.ifs)])
        if items is not None and len(items) <= UNROLL_LIMIT and gen.ifs:
            items = self._filtered_items(gen, items, env)
        if items is not None and len(items) <= UNROLL_LIMIT:
            out: list[Value] = []
            # inner loops too long to unroll: their joined element and summed lengths
            abstract: list[Value] = []
            total: int | None = 0
            for item in items:
                self.assign(gen.target, start.in_pass(LoopPass()) if start is not None else item, env)
                if last:
                    out.append(produce(env))
                    continue
                sub = self._comprehension(gens, index + 1, env, produce)
                if sub is None:
                    return None
                if sub[0] is None:
                    abstract.append(self._last_elem)
                    total = total + sub[1] if total is not None and sub[1] is not None else None
                else:
                    out.extend(sub[0])
                    total = total + len(sub[0]) if total is not None else None
            if not abstract:
                return out, len(out)
            elem = abstract[0]
            for other in (*abstract[1:], *out):
                elem = join(elem, other)
            self._last_elem = elem
            return None, total
        length = None
        if not gen.ifs:
            length = len(items) if items is not None else _seq_length(iterable)
        elem = start if start is not None else self.iteration_element(iterable)
        loop = LoopPass()
        self.assign(gen.target, elem.in_pass(loop) if isinstance(elem, BoundedInt) else elem, env)
        try:
            for cond in gen.ifs:
                self.eval(cond, env)
            if last:
                self._last_elem = produce(env)
                return None, length
            sub = self._comprehension(gens, index + 1, env, produce)
        finally:
            loop.live = False
        if sub is None:
            return None
        inner = sub[1]
        total = length * inner if length is not None and inner is not None else None
        return None, total

    def _filtered_items(self, gen: ast.comprehension, items: list[Value], env: Env) -> list[Value] | None:
        """The items a comprehension's ``if`` clauses keep, when every clause is known for
        every item (``if col != TARGET``); None otherwise."""
        kept: list[Value] = []
        for item in items:
            self.assign(gen.target, item, env)
            verdicts = [self.truth(self.eval(cond, env)) for cond in gen.ifs]
            if any(v is None for v in verdicts):
                return None
            if all(verdicts):
                kept.append(item)
        return kept

    def _eval_dictcomp(self, node: ast.DictComp, env: Env) -> Value:
        return self.fresh(self._eval_dictcomp_items(node, env))

    def _eval_dictcomp_items(self, node: ast.DictComp, env: Env) -> Value:
        local = Env(env)
        pairs = self._comprehension(
            node.generators, 0, local,
            lambda e: Seq([self.eval(node.key, e), self.eval(node.value, e)], "tuple"),
        )
        if pairs is None:
            return UNKNOWN
        if pairs[0] is None:
            # one abstract pass: the keys are not known, what the values have in common is
            pair = self._last_elem
            if isinstance(pair, Seq) and pair.items is not None and len(pair.items) == 2:
                return DictVal({}, False, pair.items[1])
            return UNKNOWN
        items: dict[Any, Value] = {}
        for pair in pairs[0]:
            assert isinstance(pair, Seq) and pair.items is not None
            key = pair.items[0]
            if not isinstance(key, Const):
                return UNKNOWN
            try:
                items[key.value] = pair.items[1]
            except TypeError:
                return UNKNOWN
        return DictVal(items)

    def _eval_lambda(self, node: ast.Lambda, env: Env) -> Value:
        defaults = [self.eval(d, env) for d in node.args.defaults]
        return FunctionVal(node, env, defaults, {}, called=True, file=self.current_file)

    def _eval_ifexp(self, node: ast.IfExp, env: Env) -> Value:
        test = self.truth(self.eval(node.test, env))
        if test is True:
            return self.eval(node.body, env)
        if test is False:
            return self.eval(node.orelse, env)
        return join(self.eval(node.body, env), self.eval(node.orelse, env))

    def _eval_namedexpr(self, node: ast.NamedExpr, env: Env) -> Value:
        v = self.eval(node.value, env)
        self.assign(node.target, v, env)
        return v

    def _eval_joinedstr(self, node: ast.JoinedStr, env: Env) -> Value:
        """An f-string of known values is a known string (layer names and dict keys such as
        ``f"{a}_x_{b}"``); otherwise a str."""
        parts: list[str] | None = []
        for v in node.values:
            if isinstance(v, ast.Constant) and isinstance(v.value, str):
                text: str | None = v.value
            elif isinstance(v, ast.FormattedValue):
                text = self._formatted(v, env)
            else:
                text = None
            if text is None or parts is None:
                parts = None
            else:
                parts.append(text)
        if parts is None or sum(len(p) for p in parts) > MAX_FOLDED_STRING:
            return Unknown(None, str)
        return Const("".join(parts))

    def _formatted(self, node: ast.FormattedValue, env: Env) -> str | None:
        value = self.eval(node.value, env)
        spec: Value = Const("")
        if node.format_spec is not None:
            spec = self.eval(node.format_spec, env)
        if not (
            isinstance(value, Const) and type(value.value) in (str, int, float, bool)
            and isinstance(spec, Const) and isinstance(spec.value, str)
        ):
            return None
        raw: object = value.value
        if node.conversion == ord("r"):
            raw = repr(raw)
        elif node.conversion == ord("a"):
            raw = ascii(raw)
        elif node.conversion == ord("s"):
            raw = str(raw)
        try:
            return format(raw, spec.value)
        except (ValueError, TypeError):
            return None  # Python raises here too

    def _eval_starred(self, node: ast.Starred, env: Env) -> Value:
        return self.eval(node.value, env)

    def _eval_await(self, node: ast.Await, env: Env) -> Value:
        self.eval(node.value, env)
        return UNKNOWN

    def _eval_yield(self, node: ast.Yield | ast.YieldFrom, env: Env) -> Value:
        value = self.eval(node.value, env) if node.value is not None else Const(None)
        if isinstance(node, ast.YieldFrom):
            value = self.iteration_element(value)
        if self.frames and self.frames[-1].function is not None:
            self.frames[-1].yields.append(detached(value))
        return UNKNOWN  # what the caller sends in

    _expr_handlers: dict[type, Callable[[Interpreter, Any, Env], Value]] = {
        ast.Constant: _eval_constant,
        ast.Name: _eval_name,
        ast.Attribute: _eval_attribute,
        ast.Call: _eval_call,
        ast.BinOp: _eval_binop,
        ast.UnaryOp: _eval_unaryop,
        ast.BoolOp: _eval_boolop,
        ast.Compare: _eval_compare,
        ast.Subscript: _eval_subscript,
        ast.Slice: _eval_slice,
        ast.Tuple: _eval_seq,
        ast.List: _eval_seq,
        ast.Set: _eval_seq,
        ast.Dict: _eval_dict,
        ast.ListComp: _eval_comprehension,
        ast.GeneratorExp: _eval_comprehension,
        ast.SetComp: _eval_comprehension,
        ast.DictComp: _eval_dictcomp,
        ast.Lambda: _eval_lambda,
        ast.IfExp: _eval_ifexp,
        ast.NamedExpr: _eval_namedexpr,
        ast.JoinedStr: _eval_joinedstr,
        ast.Starred: _eval_starred,
        ast.Await: _eval_await,
        ast.Yield: _eval_yield,
        ast.YieldFrom: _eval_yield,
    }

    # ------------------------------------------------------------------------------------
    # helpers used by rules

    def truth(self, v: Value) -> bool | None:
        if isinstance(v, Const):
            try:
                return bool(v.value)
            except Exception:
                return None
        if isinstance(v, Seq) and (v.one_shot or v.generator or v.tensor_shape):
            # an iterator or generator object is true, even when it yields nothing; so is a
            # TensorShape of no dims
            return True
        if isinstance(v, Seq) and v.size() is not None:
            return bool(v.size())
        if isinstance(v, DictVal) and v.complete:
            return bool(v.items)
        if isinstance(v, (LayerVal, ModelVal, FunctionVal, ClassVal, DatasetVal)):
            return True
        if isinstance(v, Instance):
            return self._instance_truth(v)
        if isinstance(v, LibRef) and (v.name in _TRUE_LIB_OBJECTS or v.name in registry.FUNCTIONS):
            return True  # `rng = rng or np.random.default_rng(0)`; a library function
        return None

    def _instance_truth(self, v: Instance) -> bool | None:
        """An object is true unless its class defines ``__bool__`` or ``__len__`` (a named
        tuple is true when it has fields); the Keras and TF bases user classes derive from
        define neither."""
        view = tuple_view(self, v)
        if view is not None and view.items is not None:
            return bool(view.items)
        for c in v.cls.mro():
            if isinstance(c, ClassVal):
                if "__bool__" in c.namespace or "__len__" in c.namespace:
                    return None
            elif not (isinstance(c, LibRef) and c.name in _PLAIN_TRUTH_BASES):
                return None
        return True

    def iteration_items(self, v: Value) -> list[Value] | None:
        if isinstance(v, Seq) and v.unordered:
            return None  # a set of strings: which member comes when is not known
        if isinstance(v, Seq) and v.items is not None:
            items = list(v.items)
            self.consume(v)
            return items
        if isinstance(v, DictVal):
            return [Const(k) for k in v.items] if v.complete else None
        if isinstance(v, Const) and isinstance(v.value, str) and len(v.value) <= UNROLL_LIMIT:
            return [Const(c) for c in v.value]
        if isinstance(v, Tensor) and v.kind == "np" and v.shape.dims:
            # an array of a known, small number of rows: one row per item (not a tensor: in a
            # tf.function AutoGraph runs a loop over one as a single while_loop)
            n = v.shape.dims[0]
            if isinstance(n, int) and n <= MAX_SEQ_ITEMS:
                row = v.shape.__class__(v.shape.dims[1:])
                return [Tensor(row, v.dtype, v.kind) for _ in range(n)]
        view = tuple_view(self, v)
        return view.items if view is not None else None

    def iteration_element(self, v: Value) -> Value:
        if isinstance(v, Seq):
            ints = [i.value for i in v.items or () if isinstance(i, Const) and type(i.value) is int]
            if len(set(ints)) > 1 and v.items is not None and len(ints) == len(v.items) and not v.unordered:
                # known ints (a short range): any of them, so `x[i:i + k]` keeps its bounds
                self.consume(v)
                return BoundedInt(None, int, min(ints), max(ints))
            elem = v.element_join()
            self.consume(v)
            return elem
        if isinstance(v, DatasetVal):
            from .data import iterated_element

            return iterated_element(v)
        if isinstance(v, Tensor):
            dims = v.shape.dims
            if dims:
                return Tensor(v.shape.__class__(dims[1:]), v.dtype, v.kind)
            return UNKNOWN
        if isinstance(v, DictVal):
            return v.key_join()
        if isinstance(v, Unknown) and v.pytype in (str, bytes):
            return Unknown(None, str if v.pytype is str else int)  # characters; a bytes' ints
        return UNKNOWN

    @staticmethod
    def consume(v: Seq) -> None:
        """An iterator that was read (wholly or in part) has an unknown rest. Forgetting is
        right on every path, so it is done in place whether or not this read may not run."""
        if v.one_shot and (v.items is not None or v.length is not None):
            v.elem = v.element_join()
            v.items = None
            v.length = None

    def is_keras_layer_class(self, cls: ClassVal) -> bool:
        for name in cls.library_bases():
            if name in ("keras.Layer", "keras.Model", "keras.Sequential") or (
                name.startswith("keras.layers.") and name.rsplit(".", 1)[-1] in LAYERS
            ) or name.endswith(".Layer") or name.endswith(".Model"):
                return True
        return False

    def is_keras_model_class(self, cls: ClassVal) -> bool:
        return any(n in ("keras.Model", "keras.Sequential") or n.endswith(".Model") for n in cls.library_bases())

    @contextmanager
    def calling(self, span: Span) -> Iterator[None]:
        self.call_spans.append(span)
        self.call_files.append(self.current_file)
        try:
            yield
        finally:
            self.call_spans.pop()
            self.call_files.pop()


# ----------------------------------------------------------------------------------------------


_NOPE = object()


# Rule modules import the interpreter's types, so they are imported on first use; the cache
# keeps the import machinery off the per-expression path.
_LATE: dict[str, Any] = {}


def _calls() -> Any:
    mod = _LATE.get("calls")
    if mod is None:
        from . import calls as mod

        _LATE["calls"] = mod
    return mod


# Calls after which two layers of one program may carry one automatic name: Keras' name
# counters restart, or layers are rebuilt from a config that keeps the old names.
_NAME_REUSERS = (
    "clear_session", "load_model", "from_config", "clone_model", "model_from_json", "deserialize",
)


def _auto_name_compare(op: ast.cmpop, left: Value, right: Value, unique: bool) -> bool | None:
    """A comparison with a layer's automatic name that is certain either way: None when the
    operands are something else, or when the name's suffix decides. ``unique``: automatic
    names of two layers certainly differ."""
    if isinstance(op, (ast.Eq, ast.NotEq)) and isinstance(left, AutoName) and isinstance(right, AutoName):
        same = _same_auto_name(left, right, unique)
        return None if same is None else same == isinstance(op, ast.Eq)
    if isinstance(op, (ast.Eq, ast.NotEq)):
        pair = (left, right) if isinstance(left, AutoName) else (right, left)
        name, other = pair
        if isinstance(name, AutoName) and isinstance(other, Const) and isinstance(other.value, str):
            if name.may_equal(other.value):
                return None
            return isinstance(op, ast.NotEq)
        return None
    if (
        isinstance(op, (ast.In, ast.NotIn))
        and isinstance(right, AutoName)
        and isinstance(left, Const)
        and isinstance(left.value, str)
    ):
        found = right.contains(left.value)
        if found is None:
            return None
        return found if isinstance(op, ast.In) else not found
    return None


def _same_auto_name(a: AutoName, b: AutoName, unique: bool) -> bool | None:
    if a.owner is not None and a.owner is b.owner:
        return True
    if a.prefix != b.prefix:
        return None if a.may_equal(b.prefix) or b.may_equal(a.prefix) else False
    if unique and a.owner is not None and b.owner is not None:
        return False
    return None


def _shift_bounded(op: type, left: Value, right: Value) -> BoundedInt | None:
    """``i + 10``, ``10 + i``, ``i - 10`` for a bounded loop int; None for anything else."""
    if isinstance(left, BoundedInt) and isinstance(right, Const):
        k = right.value
        if isinstance(k, int) and not isinstance(k, bool):
            if op is ast.Add:
                return left.shifted(k)
            if op is ast.Sub:
                return left.shifted(-k)
    if isinstance(right, BoundedInt) and isinstance(left, Const) and op is ast.Add:
        k = left.value
        if isinstance(k, int) and not isinstance(k, bool):
            return right.shifted(k)
    return None


def _elementwise() -> Any:
    mod = _LATE.get("elementwise")
    if mod is None:
        from .ops import elementwise as mod

        _LATE["elementwise"] = mod
    return mod


# a TF dtype's predicates (``ids.dtype.is_integer``)
_DTYPE_PREDICATES: dict[str, Callable[[str], bool]] = {
    "is_integer": lambda d: d.startswith(("int", "uint")),
    "is_unsigned": lambda d: d.startswith("uint"),
    "is_floating": lambda d: d.startswith(("float", "bfloat")),
    "is_complex": lambda d: d.startswith("complex"),
    "is_bool": lambda d: d == "bool",
}


def _lib_constants() -> dict[str, Any]:
    """``np.pi``, ``np.nan``, ``np.newaxis``...: library constants known by value."""
    table: dict[str, Any] | None = _LATE.get("constants")
    if table is None:
        from .ops.shape_ops import LIB_CONSTANTS

        table = dict(LIB_CONSTANTS)
        _LATE["constants"] = table
    return table


def _subscripts() -> Any:
    mod = _LATE.get("subscripts")
    if mod is None:
        from . import subscripts as mod

        _LATE["subscripts"] = mod
    return mod


# a representative value of each scalar type, to learn the type of an operation's result
_SAMPLES: dict[type, Any] = {bool: True, int: 3, float: 2.5, complex: 1j, str: "s", bytes: b"b"}


def _scalar_binop(op: type, left: Value, right: Value) -> Value:
    """An operation on scalars whose values are not both known: its result type, when Python
    fixes it (``i * 2`` is an int, ``i / 2`` a float, ``"a" + name`` a str)."""
    lt, rt = scalar_type(left), scalar_type(right)
    fn = _BINOPS.get(op)
    if lt is None or rt is None or fn is None:
        return UNKNOWN
    if op is ast.Pow and not isinstance(right, Const):  # 3 ** -1 is a float
        return UNKNOWN
    lv = left.value if isinstance(left, Const) else _SAMPLES[lt]
    rv = right.value if isinstance(right, Const) else _SAMPLES[rt]
    try:
        t = type(fn(lv, rv))
    except Exception:
        return UNKNOWN
    return Unknown(None, t) if t in SCALAR_TYPES else UNKNOWN


def _py(v: Value) -> Any:
    if isinstance(v, Const):
        return v.value
    if isinstance(v, Seq) and v.items is not None:
        vals = [_py(i) for i in v.items]
        if any(x is _NOPE for x in vals):
            return _NOPE
        return tuple(vals) if v.kind == "tuple" else vals
    if isinstance(v, DictVal):
        return v.items.keys() if v.complete else _NOPE
    return _NOPE


def _undecided_boolop(values: list[Value], truths: list[bool | None], stop: bool) -> Value:
    """``fast and n == 3`` where ``fast`` is not known: when a later operand stops the chain
    for certain (a false one in ``and``, a true one in ``or``) and every operand that may be
    the result is a bool, the result is that bool (a guard that never holds)."""
    for i, t in enumerate(truths):
        if t is stop:
            candidates = values[: i + 1]
            if all(scalar_type(v) is bool for v in candidates):
                return Const(stop)
            return UNKNOWN
    return UNKNOWN


def _unknown_comparison(node: ast.Compare, operands: list[Value]) -> Value:
    """A comparison whose outcome is not known: ``in``, ``not in``, ``is`` and ``is not``
    always give a bool (``__contains__``'s result is made one), and so do comparisons of Python
    numbers (``len(edges) >= n``) and of strings with strings (``a[-1] == b[-1]``); others may
    give anything (an array's ``<`` gives an array)."""
    if all(isinstance(op, (ast.In, ast.NotIn, ast.Is, ast.IsNot)) for op in node.ops):
        return Unknown(None, bool)
    types = [scalar_type(v) for v in operands]
    if all(t in (int, float, bool) for t in types) or all(t is str for t in types):
        return Unknown(None, bool)
    return UNKNOWN


def _identity_known(a: Value, b: Value) -> bool | None:
    """``x is None`` where x is a known non-None value (a tensor, a layer...)."""
    if isinstance(b, Const) and b.value is None:
        if isinstance(a, Const):
            return a.value is None
        if isinstance(a, Unknown):
            return None
        return False
    return None


def _padding(op: type, left: Value, right: Value) -> Value | None:
    """The hand-written padding idiom, ``s + [pad] * (max_len - len(s))`` (either order) after
    ``s = s[:max_len]``: ``max_len`` items, though ``s``'s own length is not known. Each step
    keeps which list it pads (``SeqLength``, ``Seq.pad_of``); a list changed in between has lost
    its ``at_most`` bound, and then nothing is claimed."""
    if (
        op is ast.Sub and isinstance(left, Const) and type(left.value) is int
        and isinstance(right, SeqLength) and right.total is None and right.seq is not None
    ):
        return SeqLength(None, int, seq=right.seq, total=left.value)
    if op is ast.Mult and isinstance(right, Seq) and isinstance(left, SeqLength):
        left, right = right, left
    if (
        op is ast.Mult and isinstance(left, Seq) and left.items is not None and len(left.items) == 1
        and isinstance(right, SeqLength) and right.total is not None and right.seq is not None
    ):
        return Seq(None, left.kind, left.items[0], pad_of=(right.total, right.seq))
    if op is ast.Add and isinstance(left, Seq) and isinstance(right, Seq):
        for body, pad in ((left, right), (right, left)):
            if (
                pad.pad_of is not None and pad.pad_of[1] is body
                and body.at_most is not None and body.at_most <= pad.pad_of[0]
            ):
                return Seq(None, left.kind, join(left.element_join(), right.element_join()), pad.pad_of[0])
    return None


def _seq_length(v: Value) -> int | None:
    if isinstance(v, Seq):
        return v.size()
    if isinstance(v, Tensor):
        return v.shape[0] if isinstance(v.shape[0], int) else None
    return None


def _iteration_count(v: Value) -> int | None:
    """How many passes a ``for`` loop over ``v`` makes, when known."""
    if isinstance(v, Seq) and not v.unordered:
        return v.size()
    if isinstance(v, Tensor) and v.kind == "np" and v.shape.dims and isinstance(v.shape.dims[0], int):
        return v.shape.dims[0]
    return None


def _join_scopes(states: list[dict[str, Value]], keep_new: bool = True) -> dict[str, Value]:
    if len(states) == 1:
        return states[0]
    out: dict[str, Value] = {}
    names: dict[str, None] = {}
    for s in states:
        for k in s:
            names[k] = None
    for name in names:
        present = [s[name] for s in states if name in s]
        v = present[0]
        for other in present[1:]:
            if other is not v:
                v = join(v, other)
        if isinstance(v, BoundedInt) and len(present) < len(states):
            v = v.unrelated()  # set on some paths only: it may be from another iteration
        out[name] = v
    return out


CHAIN_STEPS = 8


Chain = tuple[tuple[str, Span], ...]


def provenance_chain(t: Tensor, memo: dict[int, tuple[Tensor, Chain]] | None = None) -> Chain:
    """Where a tensor came from, step by step back through the layer calls that made it
    (following each call's first input), latest first. ``memo`` (by tensor identity, holding
    the tensor so that its id is not reused) shares the tails between facts."""
    memo = {} if memo is None else memo
    pending: list[Tensor] = []
    cur: Tensor | None = t
    tail: Chain = ()
    truncated = False
    while cur is not None:
        if len(pending) >= CHAIN_STEPS:
            truncated = True  # the steps kept are right, but shorter than the nodes' own
            break
        known = memo.get(id(cur))
        if known is not None:
            tail = known[1]
            break
        if any(p is cur for p in pending):  # a cycle: stop here
            break
        pending.append(cur)
        if cur.history is None or cur.history[0] is JOIN_NODE:
            break  # the start, or one of several paths (which one is not known)
        _callee, args, kwargs, _pos, _site = cur.history
        cur = next((x for a in (*args, *kwargs.values()) for x in tensors_in(a)), None)
    for node in reversed(pending):
        step = (node.label, node.origin) if node.origin is not None and node.label else None
        if step is not None and (not tail or tail[0] != step):
            tail = (step, *tail)[:CHAIN_STEPS]
        if not truncated:
            memo[id(node)] = (node, tail)
    return tail


_SHAPE_ATTRS = frozenset({"shape", "output_shape", "input_shape", "ndim", "dtype"})


def _about_shapes(test: ast.expr) -> bool:
    """A comparison that reads shapes (``x.shape``, ``model.output_shape``, ``K.int_shape(x)``,
    ``len(...)``): what a shape assertion looks like."""
    if not isinstance(test, ast.Compare):
        return False
    for node in ast.walk(test):
        if isinstance(node, ast.Attribute) and node.attr in _SHAPE_ATTRS:
            return True
        if isinstance(node, ast.Call):
            name = _short(node.func)
            if name.endswith(("int_shape", "shape")) or name == "len":
                return True
    return False


def _assert_operands(interp: Interpreter, test: ast.expr, env: Env) -> str:
    """``left`` is ``value``, against ``right``: the operands of a failing comparison."""
    if not isinstance(test, ast.Compare):
        return ast.unparse(test)
    parts = []
    for node in (test.left, *test.comparators):
        text = ast.unparse(node)
        value = _py(interp.eval(node, env))
        parts.append(text if value is _NOPE or repr(value) == text else f"`{text}` is {value!r}")
    return " vs ".join(parts)


_FILE_TYPES = (io.TextIOWrapper, io.BufferedReader)
# objects the rules hand out as library references, none of which defines __bool__ or __len__
_TRUE_LIB_OBJECTS = frozenset({
    "np.random.Generator", "np.random.RandomState", "tf.random.Generator", "random.Random",
    "keras.initializers.Initializer",
})

_PLAIN_TRUTH_BASES = frozenset({
    "builtins.object", "keras.layers.Layer", "keras.Layer", "keras.Model", "keras.Sequential",
    "tf.Module", "keras.callbacks.Callback", "keras.losses.Loss", "keras.metrics.Metric",
    "keras.optimizers.schedules.LearningRateSchedule", "keras.regularizers.Regularizer",
    "keras.constraints.Constraint", "keras.initializers.Initializer",
})
_HOVERABLE = frozenset({ast.Call, ast.BinOp, ast.Subscript, ast.Attribute, ast.UnaryOp})
_OPERATORS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.MatMult: "@", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
    ast.LShift: "<<", ast.RShift: ">>", ast.USub: "-", ast.UAdd: "+", ast.Invert: "~", ast.Not: "not ",
}


def _expression_name(node: ast.expr) -> str:
    """A short name for a sub-expression (its full text can be long)."""
    if isinstance(node, ast.Call):
        return f"{_short(node.func)}(…)"
    if isinstance(node, ast.BinOp):
        return f"… {_OPERATORS.get(type(node.op), '?')} …"
    if isinstance(node, ast.UnaryOp):
        return f"{_OPERATORS.get(type(node.op), '?')}…"
    return _short(node)


def _short(node: ast.AST) -> str:
    name = _target_name(node)
    return name if len(name) <= 60 else name[:59] + "…"


def _target_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_target_name(node.value)}.{node.attr}"
    try:
        return ast.unparse(node)
    except Exception:
        return "?"


def _is_generator(node: ast.AST) -> bool:
    if isinstance(node, ast.Lambda):
        return False
    stack: list[ast.AST] = list(getattr(node, "body", []))
    while stack:
        n = stack.pop()
        if isinstance(n, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(n))
    return False

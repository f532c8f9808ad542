"""Python standard-library pieces that model code leans on: ``functools.partial``,
``getattr``/``setattr``/``vars``, ``types.SimpleNamespace``, ``dataclasses`` configs,
``argparse`` (a script run plainly sees the parser's defaults, so those are what shapes use) and
``random`` (values unknown, their types known: ``x[random.randrange(n)]`` drops an axis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from .registry import FUNCTIONS, Call, function, method
from .shapes import ShapeError
from .values import (
    COMMAND_LINE_ARGS,
    UNKNOWN,
    ClassVal,
    Const,
    DictVal,
    FieldDefault,
    FunctionVal,
    Instance,
    LayerVal,
    LibRef,
    NamespaceVal,
    OneOf,
    PartialVal,
    Seq,
    Tensor,
    Unknown,
    Value,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


@function("functools.partial")
def _partial(call: Call) -> Value:
    if not call.args:
        return UNKNOWN
    return PartialVal(call.args[0], list(call.args[1:]), dict(call.kwargs))


@function("functools.reduce")
def _reduce(call: Call) -> Value:
    """reduce(f, items[, initial]) over a known sequence: f applied left to right."""
    fn, seq = call.arg(0), call.arg(1)
    if fn is None or not isinstance(seq, Seq) or seq.items is None:
        return UNKNOWN
    items = list(seq.items)
    acc = call.arg(2)
    if acc is None:
        if not items:
            return UNKNOWN
        acc = items.pop(0)
    for item in items:
        acc = call.interp.call_value(fn, [acc, item], {}, call.node)
    return acc


@function("random.randrange", "random.randint", "random.getrandbits")
def _random_int(call: Call) -> Value:
    return Unknown(None, int)


@function("random.random", "random.uniform", "random.gauss", "random.normalvariate",
          "random.betavariate", "random.expovariate", "random.triangular", "random.lognormvariate")
def _random_float(call: Call) -> Value:
    return Unknown(None, float)


@function("random.choice")
def _random_choice(call: Call) -> Value:
    seq = call.arg(0)
    if not isinstance(seq, Seq):
        return UNKNOWN
    items = seq.items
    if (
        items is not None and 1 < len(items) <= MAX_CALLABLE_OPTIONS
        and all(isinstance(i, FunctionVal | LibRef) for i in items)
        and len({i.name if isinstance(i, LibRef) else id(i) for i in items}) > 1
    ):
        return OneOf(options=tuple(items))  # `random.choice(FORMATS)(...)`: each may run
    return seq.element_join()


MAX_CALLABLE_OPTIONS = 8  # more options than this are not each analysed at one call


@function("random.sample", "random.choices")
def _random_sample(call: Call) -> Value:
    seq = call.arg(0)
    k = call.int(1, "k") if call.name.endswith(".sample") else call.int(-1, "k", 1)
    elem = seq.element_join() if isinstance(seq, Seq) else UNKNOWN
    return Seq(None, "list", elem, k)


@function("random.seed")
def _random_none(call: Call) -> Value:
    return Const(None)


@function("random.shuffle")
def _random_shuffle(call: Call) -> Value:
    scramble(call.arg(0, "x"))
    return Const(None)


def scramble(v: Value | None) -> None:
    """A list shuffled in place keeps its length; which item is where is no longer known."""
    if isinstance(v, Seq) and v.kind == "list" and v.items is not None:
        n = len(v.items)
        v.elem = v.element_join()
        v.items, v.length = None, n


@function("builtins.getattr")
def _getattr(call: Call) -> Value:
    obj, name = call.arg(0), call.arg(1)
    if obj is None or not (isinstance(name, Const) and isinstance(name.value, str)):
        return UNKNOWN
    default = call.arg(2)
    try:
        found = call.interp.get_attr(obj, name.value, call.node)
    except ShapeError as err:
        if default is None or err.raises != "builtins.AttributeError":
            raise
        return default  # a missing attribute: the default, as Python gives it
    if default is not None and isinstance(found, Unknown):
        # the memo idiom, ``getattr(self, "_example", None)`` before the first set
        return default if _certainly_missing(obj, name.value) else UNKNOWN
    return found


def _certainly_missing(obj: Value, attr: str) -> bool:
    """An object of the program's own plain class that has never had ``attr``: not set on it,
    not in its classes, no ``__getattr__``, nothing the engine cannot see has touched it."""
    return (
        isinstance(obj, Instance)
        and not obj.open_attrs
        and obj.model is None
        and not obj.cls.library_bases()
        and attr not in obj.attrs
        and obj.cls.lookup(attr) is None
        and obj.cls.lookup("__getattr__") is None
        and obj.cls.lookup("__getattribute__") is None
    )


@function("builtins.setattr")
def _setattr(call: Call) -> Value:
    obj, name, value = call.arg(0), call.arg(1), call.arg(2)
    named = isinstance(name, Const) and isinstance(name.value, str)
    if named and value is not None and isinstance(obj, Instance | NamespaceVal):
        call.interp.set_attr(obj, name.value, value)  # type: ignore[union-attr]
    elif isinstance(obj, Instance):
        obj.open_attrs = True
    if isinstance(obj, LayerVal) and not (isinstance(name, Const) and name.value not in ("name", "_name")):
        obj.kwargs["name"] = Unknown(None, str)  # renamed: no longer Keras' automatic name
    return Const(None)


@function("builtins.vars")
def _vars(call: Call) -> Value:
    obj = call.arg(0)
    if isinstance(obj, NamespaceVal):
        return DictVal(dict(obj.attrs))
    if isinstance(obj, Instance):
        obj.open_attrs = True  # vars() is the object's own dict: writes to it set attributes
        return DictVal(dict(obj.attrs))
    return UNKNOWN


@function("types.SimpleNamespace", "argparse.Namespace")
def _namespace(call: Call) -> Value:
    ns = NamespaceVal(dict(call.kwargs))
    call.interp.heap.born(ns)
    return ns


@function("dataclasses.field")
def _field(call: Call) -> Value:
    return FieldDefault(call.kwargs.get("default"), call.kwargs.get("default_factory"))


def _dataclass_of(v: Value | None) -> ClassVal | None:
    cls = v.cls if isinstance(v, Instance) else v
    return cls if isinstance(cls, ClassVal) and cls.fields is not None else None


@function("dataclasses.fields")
def _fields(call: Call) -> Value:
    """The fields of a dataclass (or an instance), each with its ``name`` and ``default``."""
    cls = _dataclass_of(call.arg(0))
    if cls is None:
        return UNKNOWN
    out: list[Value] = []
    for name in cls.fields or []:
        declared = cls.lookup(name)
        default = declared.default if isinstance(declared, FieldDefault) else declared
        out.append(NamespaceVal({"name": Const(name), "default": default if default is not None else UNKNOWN}))
    return Seq(out, "tuple")


@function("dataclasses.replace")
def _replace(call: Call) -> Value:
    """A new instance with the same field values but those given; ``__post_init__`` runs again."""
    obj = call.arg(0)
    cls = _dataclass_of(obj)
    if cls is None or not isinstance(obj, Instance):
        return UNKNOWN
    fields = cls.fields or []
    values = {n: call.interp.get_attr(obj, n, call.node) for n in fields}
    values.update({k: v for k, v in call.kwargs.items() if k in fields})
    return call.interp.call_value(cls, [], values, call.node)


@function("dataclasses.asdict")
def _asdict(call: Call) -> Value:
    def convert(v: Value) -> Value:
        cls = _dataclass_of(v)
        if cls is not None and isinstance(v, Instance):
            return DictVal({n: convert(call.interp.get_attr(v, n, call.node)) for n in cls.fields or []})
        return v

    obj = call.arg(0)
    return convert(obj) if _dataclass_of(obj) is not None and isinstance(obj, Instance) else UNKNOWN


@function("dataclasses.dataclass")
def _dataclass(call: Call) -> Value:
    # `@dataclass(frozen=True)`: the call returns the decorator itself
    return LibRef("dataclasses.dataclass")


# ---------------------------------------------------------------------------------------------
# argparse


@dataclass(eq=False, slots=True)
class ParserVal(Value):
    RECEIVER: ClassVar[str] = "argparse"
    options: list[tuple[list[str], str, dict[str, Value]]] = field(default_factory=list)
    defaults: dict[str, Value] = field(default_factory=dict)


@function("argparse.ArgumentParser")
def _parser(call: Call) -> Value:
    return ParserVal()


def _dest(flags: list[str], kwargs: dict[str, Value]) -> str | None:
    dest = kwargs.get("dest")
    if isinstance(dest, Const) and isinstance(dest.value, str):
        return dest.value
    longs = [f for f in flags if f.startswith("--")]
    if longs:
        return longs[0][2:].replace("-", "_")
    shorts = [f for f in flags if f.startswith("-")]
    if shorts:
        return shorts[0][1:].replace("-", "_")
    return flags[0] if flags else None


def _convert(value: Value, type_: Value | None) -> Value:
    if not (isinstance(value, Const) and isinstance(value.value, str)) or type_ is None:
        return value
    if isinstance(type_, LibRef) and type_.name in ("builtins.int", "builtins.float"):
        try:
            return Const(int(value.value) if type_.name == "builtins.int" else float(value.value))
        except ValueError:
            return UNKNOWN
    return value


@method("argparse", "add_argument")
def _add_argument(call: Call) -> Value:
    parser = call.receiver
    flags = [a.value for a in call.args if isinstance(a, Const) and isinstance(a.value, str)]
    if not isinstance(parser, ParserVal) or not flags:
        return UNKNOWN
    dest = _dest(flags, call.kwargs)
    if dest is None:
        return UNKNOWN
    parser.options.append((flags, dest, dict(call.kwargs)))
    action = call.kwargs.get("action")
    action_name = action.value if isinstance(action, Const) else None
    required = call.kwargs.get("required")
    positional = not flags[0].startswith("-")
    nargs = call.kwargs.get("nargs")
    if "default" in call.kwargs:
        value = _convert(call.kwargs["default"], call.kwargs.get("type"))
    elif action_name == "store_true":
        value = Const(False)
    elif action_name == "store_false":
        value = Const(True)
    elif (positional and not (isinstance(nargs, Const) and nargs.value in ("?", "*"))) or (
        isinstance(required, Const) and required.value is True
    ):
        value = Unknown(dest)  # supplied on the command line
    else:
        value = Const(None)
    parser.defaults.setdefault(dest, value)
    return UNKNOWN


@method("argparse", "set_defaults")
def _set_defaults(call: Call) -> Value:
    parser = call.receiver
    if isinstance(parser, ParserVal):
        parser.defaults.update(call.kwargs)
    return Const(None)


@method("argparse", "add_argument_group", "add_mutually_exclusive_group")
def _group(call: Call) -> Value:
    return call.receiver if call.receiver is not None else UNKNOWN


@method("argparse", "parse_args", "parse_known_args")
def _parse_args(call: Call) -> Value:
    parser = call.receiver
    if not isinstance(parser, ParserVal):
        return UNKNOWN
    values = dict(parser.defaults)
    argv = call.arg(0, "args")
    if isinstance(argv, LibRef) and argv.name == COMMAND_LINE_ARGS:
        argv = None  # `parse_args(sys.argv[1:])` is `parse_args()`
    if argv is not None and not (isinstance(argv, Const) and argv.value is None):
        parsed = _parse_tokens(parser, argv)
        if parsed is None:
            values = {k: Unknown(k) for k in values}
        else:
            values.update(parsed)
    ns = NamespaceVal(values)
    call.interp.heap.born(ns)
    if call.name == "parse_known_args":
        return Seq([ns, Seq([], "list")], "tuple")
    return ns


def _parse_tokens(parser: ParserVal, argv: Value) -> dict[str, Value] | None:
    """A literal argv list parsed against the declared options; None when it cannot be done."""
    if not isinstance(argv, Seq) or argv.items is None:
        return None
    tokens = [t.value for t in argv.items if isinstance(t, Const) and isinstance(t.value, str)]
    if len(tokens) != len(argv.items):
        return None
    by_flag = {f: (dest, kw) for flags, dest, kw in parser.options for f in flags}
    out: dict[str, Value] = {}
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok not in by_flag:
            return None
        dest, kw = by_flag[tok]
        action = kw.get("action")
        name = action.value if isinstance(action, Const) else None
        if name in ("store_true", "store_false"):
            out[dest] = Const(name == "store_true")
            i += 1
            continue
        nargs = kw.get("nargs")
        many = isinstance(nargs, Const) and nargs.value in ("+", "*")
        j = i + 1
        vals: list[Value] = []
        while j < len(tokens) and not tokens[j].startswith("-") and (many or not vals):
            vals.append(_convert(Const(tokens[j]), kw.get("type")))
            j += 1
        if not vals:
            return None
        out[dest] = Seq(vals, "list") if many else vals[0]
        i = j
    return out


# ``math``: a known result when every argument is a known number; otherwise a number of known
# type, so that ``-math.log(10000.0) * tf.range(half)`` keeps the tensor's shape
_MATH_FLOAT = ("log", "log2", "log10", "log1p", "exp", "expm1", "sqrt", "pow", "fabs", "sin", "cos",
               "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "hypot", "radians",
               "degrees", "fmod", "copysign", "erf", "erfc", "gamma", "lgamma", "cbrt", "exp2")
_MATH_INT = ("floor", "ceil", "trunc", "gcd", "lcm", "isqrt", "factorial", "comb", "perm")


def _math_rule(name: str, result: type) -> None:
    def rule(call: Call) -> Value:
        args = [call.arg(i) for i in range(len(call.args))]
        if not call.kwargs and args and all(
            isinstance(a, Const) and isinstance(a.value, (int, float)) and not isinstance(a.value, bool)
            for a in args
        ):
            try:
                return Const(getattr(math, name)(*(a.value for a in args)))  # type: ignore[union-attr]
            except (ValueError, OverflowError, TypeError, AttributeError):
                return UNKNOWN
        if any(isinstance(a, Tensor) for a in args):
            return UNKNOWN  # a scalar tensor converted by Python: leave it
        return Unknown(None, result)

    function(f"math.{name}")(rule)


for _name in _MATH_FLOAT:
    _math_rule(_name, float)
for _name in _MATH_INT:
    _math_rule(_name, int)


# ``copy``: a new container (so mutating the copy leaves the original alone), the same values
def _copied(interp: Interpreter, v: Value, deep: bool, depth: int = 0) -> Value:
    if depth > 20:
        return v
    inner = (lambda x: _copied(interp, x, deep, depth + 1)) if deep else (lambda x: x)
    if isinstance(v, Seq):
        items = [inner(i) for i in v.items] if v.items is not None else None
        copied = Seq(items, v.kind, v.elem, v.length)
        copied.maxlen = v.maxlen
        return interp.fresh(copied)
    if isinstance(v, DictVal):
        out = interp.fresh(DictVal({k: inner(x) for k, x in v.items.items()}, v.complete, v.others))
        out.other_keys = v.other_keys
        return out
    return v


@function("copy.deepcopy", "copy.copy")
def _copy(call: Call) -> Value:
    v = call.arg(0, "x")
    if v is None:
        return UNKNOWN
    return _copied(call.interp, v, call.name == "copy.deepcopy")


@function("random.Random", "random.SystemRandom")
def _random_instance(call: Call) -> Value:
    return LibRef("random.Random")


# A Random instance's methods are the module-level functions (same signatures).
for _name in ("randrange", "randint", "getrandbits", "random", "uniform", "gauss", "normalvariate",
              "betavariate", "expovariate", "triangular", "lognormvariate", "choice", "sample",
              "choices", "seed", "shuffle"):
    FUNCTIONS[f"random.Random.{_name}"] = FUNCTIONS[f"random.{_name}"]

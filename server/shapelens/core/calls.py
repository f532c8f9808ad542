"""Calling things: library functions, layer constructors and layer calls, user functions,
classes (including custom Keras layers and models), and methods."""

from __future__ import annotations

import ast
import dataclasses
import functools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from . import registry
from .built_inputs import check_against_build
from .checks import LossRef
from .facts import Related, Span
from .layers.base import LAYERS, LayerCall, LayerSpec
from .shapes import UNKNOWN_SHAPE, Shape, ShapeError, Unknowable, is_float
from .values import (
    UNKNOWN,
    BoundMethod,
    ClassVal,
    Const,
    DictVal,
    FieldDefault,
    FunctionVal,
    Instance,
    LayerVal,
    LibRef,
    ModelVal,
    OneOf,
    PartialVal,
    Seq,
    SuperVal,
    Tensor,
    TensorKind,
    Unknown,
    Value,
    first_output,
    join,
    shape_value,
    tensors_in,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


def dispatch(
    interp: Interpreter,
    func: Value,
    args: list[Value],
    kwargs: dict[str, Value],
    node: ast.AST,
    arg_nodes: list[ast.AST],
    kwarg_nodes: dict[str, ast.AST],
) -> Value:
    if isinstance(func, LibRef):
        return call_library(interp, func.name, args, kwargs, node, arg_nodes, kwarg_nodes)
    if isinstance(func, LayerVal):
        return apply_layer(interp, func, args, kwargs, Span.of(node), direct=True)
    if isinstance(func, ModelVal):
        from . import models

        return models.call_model(interp, func, args, kwargs, node)
    if isinstance(func, FunctionVal):
        return interp.call_function(func, args, kwargs, node)
    if isinstance(func, ClassVal):
        return instantiate(interp, func, args, kwargs, node)
    if isinstance(func, Instance):
        return call_instance(interp, func, args, kwargs, node)
    if isinstance(func, BoundMethod):
        return call_method(interp, func, args, kwargs, node, arg_nodes, kwarg_nodes)
    if isinstance(func, PartialVal):
        merged = {**func.kwargs, **kwargs}
        return dispatch(interp, func.func, [*func.args, *args], merged, node, [], {})
    if isinstance(func, OneOf):
        return _call_one_of(interp, func, args, kwargs, node)
    if isinstance(func, LossRef) and func.cls:
        from .loss_calls import call_loss_object

        return call_loss_object(interp, func, args, kwargs, node)
    _escape(args, kwargs)
    return UNKNOWN


def _call_one_of(
    interp: Interpreter, func: OneOf, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> Value:
    """Any one of the options may be the one called."""
    results = possible_outcomes(
        interp, [functools.partial(dispatch, interp, o, list(args), dict(kwargs), node, [], {}) for o in func.options]
    )
    out = results[0]
    for r in results[1:]:
        out = join(out, r)
    return out


def possible_outcomes(interp: Interpreter, runs: list[Callable[[], Value]]) -> list[Value]:
    """Run code that may or may not run (a branch, an option picked at random, a loop body that
    may run no time at all): its effects are uncertain and a failure in it is not certain."""
    before = len(interp.issues)
    interp.uncertain_depth += 1
    try:
        results = [run() for run in runs]
    finally:
        interp.uncertain_depth -= 1
    for key in [k for k, i in list(interp.issues.items())[before:] if i.severity == "error"]:
        del interp.issues[key]
    return results


def _escape(args: list[Value], kwargs: dict[str, Value]) -> None:
    """Models handed to code the engine cannot follow may be compiled or changed there."""
    for v in (*args, *kwargs.values()):
        if isinstance(v, (ModelVal, LayerVal)):
            v.escaped = True
        elif isinstance(v, Instance):
            v.open_attrs = True
            if v.model is not None:
                v.model.escaped = True
        elif isinstance(v, BoundMethod) and isinstance(v.receiver, Instance):
            v.receiver.open_attrs = True  # the method may run there (a thread's target)
        elif isinstance(v, (Seq, DictVal)):
            items = v.items.values() if isinstance(v, DictVal) else (v.items or [])
            _escape(list(items), {})


def _share_layers(values: list[Value], depth: int = 0) -> None:
    """Layers handed to library code (a wrapper such as TimeDistributed or RNN, a Sequential)
    may be built there: whether they are built is no longer known from their own calls."""
    for v in values:
        if isinstance(v, LayerVal):
            v.escaped = True
        elif depth < 3 and isinstance(v, Seq) and v.items is not None:
            _share_layers(v.items, depth + 1)
        elif depth < 3 and isinstance(v, DictVal):
            _share_layers(list(v.items.values()), depth + 1)


def _use_up(interp: Interpreter, args: list[Value], kwargs: dict[str, Value]) -> None:
    """Iterators handed to library code are read there (list, sum, sorted, np.array, join...):
    after the call their rest is unknown. The handler runs after this, on a copy of the items."""
    for i, v in enumerate(args):
        if isinstance(v, Seq) and v.one_shot:
            args[i] = Seq(list(v.items) if v.items is not None else None, v.kind, v.elem, v.length)
            interp.consume(v)
    for k, v in kwargs.items():
        if isinstance(v, Seq) and v.one_shot:
            kwargs[k] = Seq(list(v.items) if v.items is not None else None, v.kind, v.elem, v.length)
            interp.consume(v)


_FLOAT32 = LibRef("tf.float32")


def _is_py_float(v: Value) -> bool:
    return isinstance(v, LibRef) and v.name == "builtins.float"


def _python_float_as_float32(args: list[Value], kwargs: dict[str, Value]) -> tuple[list[Value], dict[str, Value]]:
    """TF and Keras read Python's ``float`` as a dtype as float32 (numpy reads it as float64).
    A first positional argument is left alone: there ``float`` is a function to apply."""
    if not any(_is_py_float(v) for v in (*args[1:], *kwargs.values())):
        return args, kwargs
    new_args = [args[0], *[_FLOAT32 if _is_py_float(v) else v for v in args[1:]]] if args else []
    return new_args, {k: _FLOAT32 if _is_py_float(v) else v for k, v in kwargs.items()}


_FLOATX_LIBS = ("keras.ops.", "keras.random.", "keras.backend.")


def _without_float32(v: Value) -> Value:
    """After ``set_floatx`` the Keras rules' float32 defaults may be the new floatx (factories,
    random draws) or still float32 (conversions): not known, so not claimed."""
    if isinstance(v, Tensor) and v.dtype == "float32":
        return dataclasses.replace(v, dtype=None)
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_without_float32(item) for item in v.items], v.kind, v.elem, v.length)
    return v


_READS_SAVED_MODELS = frozenset({"keras.saving.load_model", "keras.saving.save_model", "keras.models.save_model"})
# calls that only read a path (or print it): the file keeps the model saved there
_PATH_READERS = (
    "os.path.", "builtins.print", "builtins.str", "builtins.len", "builtins.repr", "builtins.format",
    "logging.",
)


def call_library(
    interp: Interpreter,
    name: str,
    args: list[Value],
    kwargs: dict[str, Value],
    node: ast.AST,
    arg_nodes: list[ast.AST],
    kwarg_nodes: dict[str, ast.AST],
) -> Value:
    handler = registry.FUNCTIONS.get(name)
    if interp.saved_models and name not in _READS_SAVED_MODELS and not name.startswith(_PATH_READERS):
        from .models import forget_saved_paths

        forget_saved_paths(interp, [*args, *kwargs.values()])
    # one pass over the arguments for what the checks below look for (most calls have none)
    py_float = one_shot = containers = False
    for v in (*args, *kwargs.values()):
        if isinstance(v, LibRef):
            py_float = py_float or v.name == "builtins.float"
        elif isinstance(v, Seq):
            one_shot = one_shot or v.one_shot
            containers = True
        elif isinstance(v, (LayerVal, DictVal)):
            containers = True
    if py_float and name.startswith(("tf.", "keras.")):
        args, kwargs = _python_float_as_float32(args, kwargs)
    if not name.startswith("builtins."):
        if containers:
            _share_layers([*args, *kwargs.values()])
        if one_shot:
            # numpy makes a 0-d object array of an iterator; TF and Keras refuse or read it
            # their own way: what comes out is not read here
            _use_up(interp, args, kwargs)
            _escape(args, kwargs)
            return UNKNOWN
    if one_shot and name not in ("builtins.next", "builtins.iter"):
        _use_up(interp, args, kwargs)
    if handler is not None:
        call = registry.Call(args, kwargs, node, interp, None, name, arg_nodes, kwarg_nodes)
        if interp.floatx != "float32" and name.startswith(_FLOATX_LIBS):
            return _without_float32(handler(call))
        return handler(call)
    if name.startswith("keras.layers."):
        short = name[len("keras.layers.") :]
        spec = LAYERS.get(short)
        if spec is not None:
            return interp.fresh(LayerVal(
                spec, args, kwargs, Span.of(node), file=interp.current_file,
                kwarg_spans={k: Span.of(n) for k, n in kwarg_nodes.items()},
            ))
    _escape(args, kwargs)
    return UNKNOWN


# ----------------------------------------------------------------------------------------------
# layers


def result_kind(values: Iterable[Value]) -> TensorKind:
    """Eager inputs give eager outputs; any symbolic KerasTensor input makes it symbolic."""
    for v in values:
        if isinstance(v, Tensor):
            if v.kind == "keras":
                return "keras"
        elif isinstance(v, (Seq, DictVal)) and any(t.kind == "keras" for t in tensors_in(v)):
            return "keras"
    return "tf"


def apply_layer(
    interp: Interpreter,
    layer: LayerVal,
    args: list[Value],
    kwargs: dict[str, Value],
    site: Span,
    record: bool = True,
    replay: bool = False,
    record_at: Span | None = None,
    direct: bool = False,
) -> Value:
    """Apply a built-in layer's rule to its inputs; record the output at ``site``.
    ``replay``: a model re-running its graph on new inputs; the layer keeps its own outputs,
    errors are reported at ``site`` (the user's call) and the output is recorded at
    ``record_at`` (where the layer was called when the model was defined), if given."""
    spec = layer.spec
    listed = kwargs.get("inputs") if not args else args[0]
    if spec.multi_input and isinstance(listed, Seq) and listed.items is not None:
        inputs: list[Value] = list(listed.items)
        call_kwargs = {k: v for k, v in kwargs.items() if k != "inputs"}
    else:
        inputs = list(args)
        call_kwargs = dict(kwargs)
    call = LayerCall(layer, inputs, call_kwargs, interp, site, direct=direct)
    kind = result_kind(inputs)
    if kind == "tf" and call_kwargs:
        kind = result_kind(call_kwargs.values())
    first = inputs[0] if inputs else next(iter(call_kwargs.values()), None)
    # A built model called on a symbolic tensor computes its layers' output specs without
    # re-checking them (Keras 3): nothing certain to report there.
    quiet = replay and kind == "keras"
    failed = False
    dtype_known = True
    try:
        if not quiet:
            check_against_build(call, layer, first)
        result = spec.rule(call)
    except Unknowable:
        result = UNKNOWN_SHAPE
        dtype_known = not spec.dtype_by_rule
    except ShapeError as err:
        failed = True
        related = [r for r in err.related if isinstance(r, Related)]
        for t in tensors_in(Seq(inputs, "list")):
            if t.origin is not None and t.origin != site:
                related.append(Related(t.origin, f"input {t.shape} comes from here"))
        if layer.origin is not None and layer.origin != site:
            related.append(Related(layer.origin, f"{spec.name} created here"))
        unique = list({(r.span, r.message): r for r in related}.values())
        if not quiet:
            interp.report(site, err.message, err.code, related=unique)
        result = UNKNOWN_SHAPE
    label = f"{spec.name} at line {site.line}"
    if isinstance(result, Shape):
        out: Value = Tensor(result, _output_dtype(call, first) if dtype_known else None, kind, site, label)
    else:
        out = _finish(result, kind, site, label)
    if layer.built_input is None and isinstance(first, Tensor) and first.shape.dims is not None:
        layer.built_input = first
        layer.built_call = (list(args), dict(kwargs))
        layer.build_uncertain = not interp.certain_mutation(layer)
    # A call Keras rejects is reported; it must not blur the shape the layer's line shows for
    # the calls that work (a failing predict() replaying a Sequential, say).
    if replay:
        if record_at is not None and not failed:
            main = first_output(out)
            if main is not None and main.shape.dims is not None:
                interp.record_span(record_at, spec.name, main, "layer", file=layer.file)
            else:
                interp.unknown_layer_at(record_at, file=layer.file)
        return out
    layer.outputs = out
    if kind == "keras" and layer.symbolic_output is None and not layer.symbolic_output_unsure:
        if interp.certain_mutation(layer):
            layer.symbolic_output = out
        else:
            layer.symbolic_output_unsure = True
    if kind == "keras":
        for i, t in enumerate((out,) if isinstance(out, Tensor) else tensors_in(out)):
            t.history = (layer, args, kwargs, i, site if record else None)
    if record and not failed:
        main = first_output(out)
        if main is not None:
            interp.record_span(site, spec.name, main, "layer")
    return out


def _finish(v: Value, kind: TensorKind, site: Span, label: str) -> Value:
    for t in tensors_in(v):
        t.kind = kind
        if t.origin is None:
            t.origin = site
            t.label = label
    return v


def _output_dtype(call: LayerCall, first: Value | None) -> str | None:
    spec = call.layer.spec
    if spec.output_dtype is not None:
        return spec.output_dtype
    compute = call.compute_dtype
    if spec.preserves_dtype and isinstance(first, Tensor):
        if first.dtype is None:
            return None
        if not is_float(first.dtype):
            return first.dtype
    return compute


# ----------------------------------------------------------------------------------------------
# user classes


def instantiate(
    interp: Interpreter, cls: ClassVal, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> Value:
    inst = Instance(cls, origin=Span.of(node), file=interp.current_file, created_depth=interp.uncertain_depth)
    interp.heap.born(inst)
    if interp.is_keras_model_class(cls):
        inst.model = ModelVal("subclass", origin=Span.of(node), instance=inst, name=cls.name)
    init = cls.lookup("__init__")
    if not isinstance(init, FunctionVal) and interp.is_keras_layer_class(cls):
        _init_layer_dtypes(interp, inst, kwargs)  # Keras' own __init__ takes them
        _init_builtin_base(interp, inst, args, kwargs, node)
    if isinstance(init, FunctionVal):
        interp.call_function(init, [inst, *args], kwargs, node)
    elif inst.model is not None and (args or "inputs" in kwargs):
        # keras.Model's own __init__: Model(inputs, outputs) makes a functional-style subclass
        from . import models

        models.init_functional(interp, inst.model, args, kwargs)
    elif cls.fields is not None:
        # a dataclass: the generated __init__ takes the fields in order
        for name, value in zip(cls.fields, args, strict=False):
            inst.attrs[name] = value
        for name, value in kwargs.items():
            if name in cls.fields:
                inst.attrs[name] = value
        for name in cls.fields:
            declared = cls.lookup(name)
            if name not in inst.attrs and isinstance(declared, FieldDefault):
                # each instance gets its own default (a new dict or list from the factory)
                if declared.default is not None:
                    inst.attrs[name] = declared.default
                elif declared.factory is not None:
                    inst.attrs[name] = interp.call_value(declared.factory, [], {}, node)
                else:
                    inst.attrs[name] = UNKNOWN
        post_init = cls.lookup("__post_init__")
        if isinstance(post_init, FunctionVal):
            interp.call_function(post_init, [inst], {}, node)
    elif (args or kwargs) and not interp.is_keras_layer_class(cls):
        # an __init__ the engine cannot see (a library base class) may set anything:
        # class-level defaults are no longer trustworthy
        inst.attrs.update({n: Unknown(n) for n, v in cls.namespace.items() if not isinstance(v, FunctionVal)})
    given = kwargs.get("name")
    if isinstance(given, Const) and "name" not in inst.attrs and interp.is_keras_layer_class(cls):
        inst.attrs["name"] = given  # passed on to Layer.__init__ (what get_layer finds)
    return inst


def call_instance(
    interp: Interpreter, inst: Instance, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> Value:
    if interp.is_keras_layer_class(inst.cls):
        from .models import call_model, runs_own_graph

        if inst.model is not None and runs_own_graph(inst.model):
            return call_model(interp, inst.model, args, kwargs, node)
        return call_custom_layer(interp, inst, args, kwargs, Span.of(node), node)
    fn = inst.cls.lookup("__call__")
    if isinstance(fn, FunctionVal):
        return interp.call_function(fn, [inst, *args], kwargs, node)
    return UNKNOWN


def _input_shape_value(v: Value) -> Value:
    if isinstance(v, Tensor):
        return shape_value(v.shape)
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_input_shape_value(i) for i in v.items], v.kind)
    if isinstance(v, DictVal):
        return DictVal({k: _input_shape_value(i) for k, i in v.items.items()})
    return UNKNOWN


def _init_layer_dtypes(interp: Interpreter, inst: Instance, kwargs: dict[str, Value]) -> None:
    """What keras.layers.Layer.__init__ makes of ``dtype`` and ``autocast``: the layer's
    compute dtype, and the dtype float inputs are cast to ("" when autocast is off)."""
    inst.compute_dtype = _layer_compute_dtype(interp, kwargs)
    autocast = kwargs.get("autocast")
    if autocast is not None and not (isinstance(autocast, Const) and isinstance(autocast.value, bool)):
        inst.input_dtype = None
    elif isinstance(autocast, Const) and autocast.value is False:
        inst.input_dtype = ""
    else:
        inst.input_dtype = inst.compute_dtype


def _layer_compute_dtype(interp: Interpreter, kwargs: dict[str, Value]) -> str | None:
    from .layers.base import dtype_setting

    dtype = kwargs.get("dtype")
    if dtype is None or (isinstance(dtype, Const) and dtype.value is None):
        interp.freeze_policy()  # only a layer that takes the default policy fixes it
    given = dtype_setting(dtype, interp.compute_policy)
    return given if given is not None and is_float(given) else None


def _input_cast(v: Value, dtype: str | None, depth: int = 0) -> Value:
    """Keras converts a layer's array inputs to tensors and casts float ones to its compute
    dtype (``dtype`` None: to a dtype not known here)."""
    if isinstance(v, Tensor):
        kind = "tf" if v.kind == "np" else v.kind
        if kind == v.kind and (v.dtype == dtype or (v.dtype is not None and not is_float(v.dtype))):
            return v
        if v.dtype is None or is_float(v.dtype):
            return Tensor(v.shape, dtype, kind, v.origin, v.label, v.content, name=v.name, history=v.history)
        if kind != v.kind:
            return Tensor(v.shape, v.dtype, kind, v.origin, v.label, v.content, name=v.name, history=v.history)
        return v
    if depth < 4 and isinstance(v, Seq) and v.items is not None:
        return Seq([_input_cast(i, dtype, depth + 1) for i in v.items], v.kind)
    if depth < 4 and isinstance(v, DictVal) and v.complete:
        return DictVal({k: _input_cast(i, dtype, depth + 1) for k, i in v.items.items()})
    return v


def _shape_arguments(
    target: FunctionVal, call: Value | None, first: Value, args: list[Value], kwargs: dict[str, Value]
) -> dict[str, Value] | None:
    """The arguments Keras gives a layer's ``build`` or ``compute_output_shape``: the shapes of
    ``call``'s tensor arguments other than ``mask``, by name (``rois`` -> ``rois_shape``); with
    one parameter, the first of them. None where Keras would refuse the names or the engine
    cannot bind the call."""
    fn_args = target.node.args
    names = [a.arg for a in [*fn_args.posonlyargs, *fn_args.args][1:]] + [a.arg for a in fn_args.kwonlyargs]
    if not isinstance(call, FunctionVal):
        if len(names) == 1:
            return {names[0]: _input_shape_value(first)}
        return None if names else {}
    call_args = call.node.args
    call_names = [a.arg for a in [*call_args.posonlyargs, *call_args.args][1:]] + [
        a.arg for a in call_args.kwonlyargs
    ]
    bound: dict[str, Value] = dict(zip(call_names, args, strict=False))
    bound.update(kwargs)
    # a value the engine cannot read may be a tensor: its shape is unknown, not absent
    shapes = {
        f"{name}_shape": _input_shape_value(bound[name])
        for name in call_names
        if name in bound and name not in ("mask", "kwargs", "args")
        and (tensors_in(bound[name]) or isinstance(bound[name], Unknown))
    }
    if len(names) == 1:
        return {names[0]: next(iter(shapes.values()), UNKNOWN)}
    out: dict[str, Value] = {}
    for name in names:
        if not name.endswith("_shape") or name.removesuffix("_shape") not in call_names:
            return None  # Keras raises a ValueError for such a signature
        if name in shapes:
            out[name] = shapes[name]
    return out


def call_custom_layer(
    interp: Interpreter,
    inst: Instance,
    args: list[Value],
    kwargs: dict[str, Value],
    site: Span,
    node: ast.AST,
    record: bool = True,
) -> Value:
    """Keras semantics for a user Layer/Model subclass: ``build`` once with the input shape,
    then ``call``; ``compute_output_shape`` when ``call`` says nothing."""
    cls = inst.cls
    first = args[0] if args else next(iter(kwargs.values()), UNKNOWN)
    kind = result_kind(list(args) + list(kwargs.values()))
    issues_before = len(interp.issues)
    with interp.calling(site):
        if not inst.built:
            inst.built = True
            build = cls.lookup("build")
            if isinstance(build, FunctionVal):
                shapes = _shape_arguments(build, cls.lookup("call"), first, args, kwargs)
                if shapes is not None:
                    # the layer stays built, whichever path built it: the weights build sets
                    # are there for every later call (not joined with their unset values)
                    before = interp.heap.written(inst)
                    interp.call_function(build, [inst], shapes, node)
                    interp.heap.make_certain(inst, before)
        call = cls.lookup("call")
        cos = cls.lookup("compute_output_shape")
        out: Value = UNKNOWN
        builtin: Value | None = None
        # a subclass of a built-in layer: a symbolic call takes the built-in layer's output spec
        # (its compute_output_shape/spec), whatever the subclass's call does; an eager one runs
        # the built-in call, which may use the subclass's overrides
        if (
            inst.base_layer is not None
            and not isinstance(cos, FunctionVal)
            and (kind == "keras" or (not isinstance(call, FunctionVal) and _keeps_builtin_methods(cls)))
        ):
            builtin = apply_layer(interp, inst.base_layer, args, kwargs, site, record=False)
        if isinstance(call, FunctionVal):
            # Keras reads `self.autocast` when the layer is called
            autocast = inst.attrs.get("autocast")
            target = inst.input_dtype
            if autocast is not None:
                target = "" if isinstance(autocast, Const) and autocast.value is False else (
                    inst.compute_dtype if isinstance(autocast, Const) and autocast.value is True else None
                )
            if target == "":  # autocast off: inputs as given
                out = interp.call_function(call, [inst, *args], kwargs, node)
            else:
                # before call(), Keras casts float inputs to the layer's compute dtype (not
                # known when Layer.__init__ was not seen to run with readable arguments)
                dtype = target if isinstance(target, str) else None
                out = interp.call_function(
                    call, [inst, *(_input_cast(a, dtype) for a in args)],
                    {k: _input_cast(v, dtype) for k, v in kwargs.items()}, node,
                )
        if builtin is not None:
            out = builtin  # the subclass's call ran for what it does inside; Keras shows the spec
        # Keras 3 takes a symbolic call's output shape from an overridden compute_output_shape
        # (and runs `call` only when there is none); eager calls return what `call` computes.
        shapes = _shape_arguments(cos, call, first, args, kwargs) if isinstance(cos, FunctionVal) else None
        if isinstance(cos, FunctionVal) and shapes is not None and (kind == "keras" or not tensors_in(out)):
            shp = interp.call_function(cos, [inst], shapes, node)
            from .values import as_shape

            if _flat_shape(shp):
                shape = as_shape(shp)
                if shape.dims is not None:
                    # a symbolic call's output has the layer's compute dtype
                    dtype = inst.compute_dtype if kind == "keras" or not isinstance(out, Tensor) else out.dtype
                    out = Tensor(shape, dtype, kind)
            elif isinstance(shp, Seq) and shp.items and all(_flat_shape(i) for i in shp.items):
                # several outputs: one shape each; a symbolic call gives each the compute dtype,
                # an eager one what `call` gave
                given = out.items if isinstance(out, Seq) and out.items is not None else []
                dtypes: list[str | None] = [g.dtype if isinstance(g, Tensor) else None for g in given]
                if kind == "keras" or len(dtypes) != len(shp.items):
                    dtypes = [inst.compute_dtype] * len(shp.items)
                out = Seq(
                    [Tensor(as_shape(i), d, kind) for i, d in zip(shp.items, dtypes, strict=True)],
                    "list",
                )
    _report_at_call_site(interp, cls.name, first, site, issues_before)
    if not tensors_in(out) and isinstance(first, Tensor):
        out = Tensor(UNKNOWN_SHAPE, None, kind, site)
    label = f"{cls.name} at line {site.line}"
    if isinstance(out, Tensor):
        out = Tensor(out.shape, out.dtype, kind, site, label, out.content)
    elif kind == "keras":
        for t in tensors_in(out):
            t.kind = kind
    if inst.model is not None and inst.model.built_input is None:
        inst.model.built_input = first
    if kind == "keras":
        out = _new_symbolic_outputs(out, {id(t) for t in tensors_in(Seq([*args, *kwargs.values()], "list"))}, site, label)
        for i, t in enumerate(tensors_in(out)):
            t.history = (inst, args, kwargs, i, None)
        if inst.first_node is None:
            inst.first_node = (first, out)
    if record:
        main = first_output(out, as_built=isinstance(cls.lookup("call"), FunctionVal))
        if main is not None:
            interp.record_span(site, cls.name, main, "layer")
    return out


def _new_symbolic_outputs(v: Value, inputs: set[int], site: Span, label: str) -> Value:
    """Keras gives a symbolic call new output tensors even when ``call`` hands back its inputs
    unchanged (a pass-through layer that only adds a loss): an input must not become its own
    layer's output, or the graph would loop back on itself."""
    if isinstance(v, Tensor):
        return Tensor(v.shape, v.dtype, v.kind, site, label, v.content) if id(v) in inputs else v
    if isinstance(v, Seq) and v.items is not None:
        items = [_new_symbolic_outputs(i, inputs, site, label) for i in v.items]
        return v if all(a is b for a, b in zip(items, v.items, strict=True)) else dataclasses.replace(v, items=items)
    if isinstance(v, DictVal):
        entries = {k: _new_symbolic_outputs(i, inputs, site, label) for k, i in v.items.items()}
        return v if all(entries[k] is i for k, i in v.items.items()) else dataclasses.replace(v, items=entries)
    return v


def _flat_shape(v: Value) -> bool:
    """A single shape (a tuple of dims), not a list of shapes for several outputs."""
    return isinstance(v, Seq) and v.items is not None and all(
        isinstance(i, (Const, Unknown)) for i in v.items
    )


def _report_at_call_site(
    interp: Interpreter, name: str, first: Value, site: Span, issues_before: int
) -> None:
    """An error inside a custom layer's build/call is also shown where the layer is called,
    so the line that feeds the shapes is marked too."""
    if interp.current_file != interp.main_file or len(interp.issues) == issues_before:
        return
    inner = [
        i for i in list(interp.issues.values())[issues_before:]
        if i.severity == "error" and i.span.line != site.line
    ]
    if not inner:
        return
    first_err = inner[0]
    shape = f" with input {first.shape}" if isinstance(first, Tensor) else ""
    interp.report(
        site,
        f"{name} fails when called{shape}: {first_err.message} (line {first_err.span.line})",
        first_err.code,
        related=[Related(first_err.span, first_err.message)],
    )


# ----------------------------------------------------------------------------------------------
# methods


def call_method(
    interp: Interpreter,
    bm: BoundMethod,
    args: list[Value],
    kwargs: dict[str, Value],
    node: ast.AST,
    arg_nodes: list[ast.AST],
    kwarg_nodes: dict[str, ast.AST],
) -> Value:
    recv = bm.receiver
    if isinstance(recv, SuperVal):
        return _call_super(interp, recv, bm.name, args, kwargs, node)
    if isinstance(recv, ClassVal):
        own = recv.lookup(bm.name)
        if isinstance(own, FunctionVal) and own.binding == "class":
            return interp.call_function(own, [recv, *args], kwargs, node)
    if isinstance(recv, ClassVal) and bm.name == "from_config":
        return _from_config(interp, recv, args[0] if args else kwargs.get("config"), node)
    if isinstance(recv, Instance):
        fn = recv.cls.lookup(bm.name)
        if isinstance(fn, FunctionVal) and fn.binding != "method":
            return interp.call_function(fn, args if fn.binding == "static" else [recv.cls, *args], kwargs, node)
        if isinstance(fn, FunctionVal):
            result = interp.call_function(fn, [recv, *args], kwargs, node)
            if (
                bm.name == "build" and any(b.startswith("keras.") for b in recv.cls.library_bases())
                and interp.certain_mutation(recv)
            ):
                # Keras wraps a layer's build(): it is built now, and its first call will not
                # build it (and add its weights) again
                recv.built = True
            return result
        if bm.name in _LAYER_METHODS:
            return _keras_layer_method(interp, recv, bm.name, args, kwargs, node)
        if recv.model is not None:
            return call_method(
                interp, BoundMethod(recv.model, bm.name), args, kwargs, node, arg_nodes, kwarg_nodes
            )
        return _keras_layer_method(interp, recv, bm.name, args, kwargs, node)
    kind = registry.receiver_kind(recv)
    _use_up(interp, args, kwargs)
    handler = registry.METHODS.get((kind, bm.name))
    if handler is None and kind in ("ndarray", "keras"):
        handler = registry.METHODS.get(("tensor", bm.name))
    if handler is None:
        _escape(args, kwargs)
        if kind in ("list", "tuple", "dict"):
            from .builtins_rules import blur_receiver

            blur_receiver(recv)
        return UNKNOWN
    call = registry.Call(args, kwargs, node, interp, recv, bm.name, arg_nodes, kwarg_nodes)
    return handler(call)


# what a subclass may define without changing how the built-in layer's call computes
_CONFIG_METHODS = frozenset({"__init__", "get_config", "from_config", "call", "__repr__", "__str__"})
# built-in layers without a compute_output_shape/spec of their own: a symbolic call runs `call`
_CALL_SHAPED = frozenset({"GRUCell", "LSTMCell", "SimpleRNNCell", "StackedRNNCells", "InputLayer"})


def _keeps_builtin_methods(cls: ClassVal) -> bool:
    """The subclass overrides nothing the built-in call relies on (``convolution_op``,
    ``build``, ``_compute_attention``...)."""
    return not any(
        isinstance(v, FunctionVal) and k not in _CONFIG_METHODS
        for c in cls.mro() if isinstance(c, ClassVal)
        for k, v in c.namespace.items()
    )


def builtin_base_spec(cls: ClassVal) -> LayerSpec | None:
    """The built-in layer a user class extends (``class Scaled(layers.Dense)``), if any."""
    for name in cls.library_bases():
        if name.startswith("keras.layers."):
            spec = LAYERS.get(name[len("keras.layers.") :])
            if spec is not None:
                return spec
    return None


def _init_builtin_base(
    interp: Interpreter, inst: Instance, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> None:
    """The built-in ``__init__`` of a subclass of a built-in layer got these arguments: the
    layer they make is the one the subclass's inherited ``call`` runs."""
    spec = builtin_base_spec(inst.cls)
    if spec is None or spec.name in _CALL_SHAPED:
        return
    if inst.base_layer is not None or not interp.certain_mutation(inst):
        inst.weights_uncertain = True  # made twice, or maybe not at all: which is not known
        inst.base_layer = None
        return
    inst.base_layer = interp.fresh(LayerVal(spec, list(args), dict(kwargs), Span.of(node), file=interp.current_file))


def _plain_layer_subclass(interp: Interpreter, cls: ClassVal) -> bool:
    """A subclass of keras.layers.Layer or keras.Model itself (not of Dense or another built-in
    layer, whose configs hold their own arguments, nor of Sequential or a functional model).
    A model subclass that defines get_config gets the layer's base config from super()."""
    bases = cls.library_bases()
    return bool(bases) and all(
        b in ("keras.Layer", "keras.layers.Layer", "keras.Model")
        or (b.endswith(".Layer") and b.rsplit(".", 1)[0] != "keras.layers")
        for b in bases
    )


def _base_layer_config(inst: Instance) -> Value:
    """What keras.layers.Layer.get_config returns: its name and its own settings, none of
    which a subclass's __init__ reads by itself."""
    name = inst.attrs.get("name")
    # the dtype policy, serialized; handed back it gives the same policy. A float16/bfloat16
    # compute dtype may come from a mixed policy (float32 weights), so only plain ones are named
    dtype: Value = Const(inst.compute_dtype) if inst.compute_dtype in ("float32", "float64") else UNKNOWN
    # a copy made from the config autocasts even when the original did not
    autocast: Value = Const(True) if inst.input_dtype not in ("", None) else UNKNOWN
    return DictVal(
        {
            "name": name if name is not None else Unknown(None, str),
            "activity_regularizer": UNKNOWN,
            "trainable": UNKNOWN,
            "dtype": dtype,
            "autocast": autocast,
        }
    )


def _from_config(interp: Interpreter, cls: ClassVal, config: Value | None, node: ast.AST) -> Value:
    """Keras' inherited ``Layer.from_config(config)`` is ``cls(**config)``. Parameters the
    config may hold but the engine cannot read are unknown, not their defaults: the layer
    must not be analysed as if it had the defaults when it may not."""
    given: dict[str, Value] = {}
    complete = False
    if isinstance(config, DictVal):
        given = {k: v for k, v in config.items.items() if isinstance(k, str)}
        complete = config.complete
    init = cls.lookup("__init__")
    if not complete and isinstance(init, FunctionVal):
        params = init.node.args
        for p in [*params.posonlyargs, *params.args, *params.kwonlyargs][1:]:
            given.setdefault(p.arg, Unknown(p.arg))
    return instantiate(interp, cls, [], given, node)


_LAYER_METHODS = frozenset({"add_weight", "add_variable"})


def _keras_layer_method(
    interp: Interpreter, inst: Instance, name: str, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> Value:
    """Methods a custom layer inherits from keras.Layer (add_weight and friends)."""
    if name in ("add_weight", "add_variable"):
        call = registry.Call(args, kwargs, node, interp, inst, name)
        shape = call.shape(0, "shape") if call.has(0, "shape") else Shape(())
        dtype = call.dtype(-1, "dtype", "float32")
        if "dtype" not in kwargs and inst.compute_dtype != "float32":
            # the layer's own policy: float64 variables for dtype="float64"; float16/bfloat16
            # ones, or float32 ones read as float16 in call() under a mixed policy, or a
            # policy not known here (a copy made from a config)
            dtype = "float64" if inst.compute_dtype == "float64" else None
        if interp.compute_policy != "float32" and (dtype is None or is_float(dtype)):
            dtype = None  # under a mixed policy a float variable is read as the compute dtype in call()
        trainable = call.kwargs.get("trainable")  # keyword-only in Keras 3
        if not interp.certain_mutation(inst):
            inst.weights_uncertain = True
        flag = trainable.value if isinstance(trainable, Const) and isinstance(trainable.value, bool) else None
        inst.own_weights.append((shape.num_elements(), True if trainable is None else flag))
        return Tensor(shape, dtype, "var", Span.of(node), f"weight at line {Span.of(node).line}")
    return UNKNOWN


def _call_super(
    interp: Interpreter, sup: SuperVal, name: str, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> Value:
    inst = sup.instance
    mro = sup.after.mro()
    for c in mro[1:]:
        if isinstance(c, ClassVal) and name in c.namespace:
            fn = c.namespace[name]
            if isinstance(fn, FunctionVal):
                return interp.call_function(fn, [inst, *args], kwargs, node)
            return UNKNOWN
    if isinstance(inst, Instance):
        if name == "__init__":
            _init_layer_dtypes(interp, inst, kwargs)
            _init_builtin_base(interp, inst, args, kwargs, node)
        if name == "call" and builtin_base_spec(inst.cls) is not None:
            # the built-in layer's own call: its rule, on what the override passes on (unless
            # the subclass overrides a method that call relies on)
            if inst.base_layer is None or not _keeps_builtin_methods(inst.cls):
                return UNKNOWN
            return apply_layer(interp, inst.base_layer, args, kwargs, Span.of(node), record=False)
        if name == "__init__" and inst.model is not None and (args or "inputs" in kwargs):
            # functional-style subclass: super().__init__(inputs, outputs), or the keywords
            # handed on through **kwargs
            from . import models

            models.init_functional(interp, inst.model, args, kwargs)
        if name in ("add_weight", "add_variable"):
            return _keras_layer_method(interp, inst, name, args, kwargs, node)
        if name == "call" and inst.model is None:
            return args[0] if args else UNKNOWN
        if name == "get_config" and _plain_layer_subclass(interp, inst.cls):
            return _base_layer_config(inst)
        if inst.model is not None and name != "__init__" and ("model", name) in registry.METHODS:
            # keras.Model's own method under a user override: `super().compile()` compiles
            return call_method(interp, BoundMethod(inst.model, name), args, kwargs, node, [], {})
    return Const(None) if name == "__init__" else UNKNOWN


@registry.function("builtins.super")
def _super(call: registry.Call) -> Value:
    if len(call.args) == 2 and isinstance(call.args[0], ClassVal):
        return SuperVal(call.args[1], call.args[0])
    frames = call.interp.frames
    if frames:
        fn = frames[-1].function
        if fn is not None and fn.owner is not None:
            # `self` is the first parameter of the running method
            params = fn.node.args.args
            if params:
                # zero-argument super(): `self` is the running method's first parameter
                env_self = call.interp.current_self(params[0].arg)
                if env_self is not None:
                    return SuperVal(env_self, fn.owner)
    return UNKNOWN



__all__ = ["apply_layer", "call_custom_layer", "dispatch", "instantiate", "result_kind"]

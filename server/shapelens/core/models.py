"""Keras models: Sequential (list form, ``.add``, input from the first layer or an Input, built on
first use), functional ``Model(inputs, outputs)``, user subclasses, and calling/predicting with
them. Every layer inside a Sequential gets its output recorded at its constructor's line."""

from __future__ import annotations

import ast
import functools
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .batching import configured_batch_size, step_batch_sizes
from .built_inputs import refined_by_build
from .calls import apply_layer, call_custom_layer, result_kind
from .facts import Fix, Span
from .graph_connectivity import check_connected
from .layers.base import LAYERS, LayerCall
from .layout_hints import channel_order_hint
from .registry import Call, attribute, function, method
from .sequential_io import check_defined
from .shapes import UNKNOWN_SHAPE, Dim, Shape, ShapeError, Unknowable, format_shape
from .values import (
    JOIN_NODE,
    UNKNOWN,
    AutoName,
    BoundMethod,
    Const,
    DatasetVal,
    DictVal,
    FunctionVal,
    Instance,
    LayerVal,
    LibRef,
    ModelVal,
    OpNode,
    Seq,
    SliceVal,
    Tensor,
    TensorKind,
    Unknown,
    Value,
    as_shape,
    first_output,
    tensors_in,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


# ----------------------------------------------------------------------------------------------
# Sequential


@function("keras.Sequential")
def sequential(call: Call) -> Value:
    model = call.interp.fresh(ModelVal("sequential", origin=call.span, maybe_called=False))
    call.interp.uncalled_sequentials.append(model)
    name = call.arg(1, "name")
    if isinstance(name, Const) and isinstance(name.value, str):
        model.name = name.value
    items = call.arg(0, "layers")
    if isinstance(items, Seq) and items.items is not None:
        for item in items.items:
            _add(call.interp, model, item)
    return model


def _first_layer_input(layer: Value) -> Shape | None:
    """``input_shape=``/``batch_input_shape=``/``input_dim=`` on a first layer, or an InputLayer."""
    if not isinstance(layer, LayerVal):
        return None
    kw = layer.kwargs
    if layer.spec.name == "InputLayer":
        if "batch_shape" in kw or "batch_input_shape" in kw:
            return as_shape(kw.get("batch_shape") or kw["batch_input_shape"])
        s = kw.get("shape") or kw.get("input_shape") or (layer.args[0] if layer.args else None)
        if s is not None:
            inner = as_shape(s)
            return inner.with_batch(None) if inner.dims is not None else None
        return None
    if "batch_input_shape" in kw or "batch_shape" in kw:
        return as_shape(kw.get("batch_input_shape") or kw["batch_shape"])
    if "input_shape" in kw:
        inner = as_shape(kw["input_shape"])
        return inner.with_batch(None) if inner.dims is not None else None
    if "input_dim" in kw:
        d = kw["input_dim"]
        if isinstance(d, Const) and isinstance(d.value, int):
            return Shape((None, d.value))
    return None


def _add(interp: Interpreter, model: ModelVal, item: Value) -> None:
    if isinstance(item, Tensor) and item.kind == "keras" and not model.layers and model.inputs is None:
        model.inputs = item
        model.outputs = item
        model.declared_input = True
        return
    if isinstance(item, LayerVal) and item.spec.name == "InputLayer" and not model.layers:
        shape = _first_layer_input(item)
        if shape is not None:
            t = Tensor(shape, interp.floatx, "keras", item.origin, f"InputLayer at line {_line(item.origin)}")
            model.inputs = t
            model.outputs = t
            model.declared_input = True
        return
    if len(model.layers) == 1 and model.inputs is None:
        _build_from_first_model(interp, model)
    if not model.layers and model.inputs is None:
        shape = _first_layer_input(item)
        if shape is not None:
            origin = item.origin if isinstance(item, LayerVal) else None
            t = Tensor(shape, interp.floatx, "keras", origin, f"input_shape at line {_line(origin)}")
            model.inputs = t
            model.outputs = t
            model.input_from_first_layer = True
            model.declared_input = True
    model.layers.append(item)
    model.spans.append(_origin(item))
    if model.outputs is not None and isinstance(model.outputs, Tensor):
        failures = interp.errors_reported
        out = _apply_item(interp, item, model.outputs)
        # Keras raised there: the layers after it are never built, so they show nothing
        failed = interp.errors_reported > failures and not (isinstance(out, Tensor) and out.shape.dims is not None)
        model.outputs = None if failed else out


def _build_from_first_model(interp: Interpreter, model: ModelVal) -> None:
    """A Sequential whose first layer is a model with a known input (a functional model, a
    built Sequential) is built on that model's input shape, batch size included, as soon as
    it has a second layer."""
    first = model.layers[0]
    if not isinstance(first, ModelVal) or first.kind == "subclass" or not isinstance(first.inputs, Tensor):
        return
    given = first.inputs
    if given.shape.dims is None:
        return
    t = Tensor(given.shape, first.policy, "keras", first.origin, f"input of the model at line {_line(first.origin)}")
    model.inputs = t  # not a declared Input: the engine leaves Keras' check of later calls alone
    model.outputs = _apply_item(interp, first, t)


def _origin(item: Value) -> Span | None:
    if isinstance(item, (LayerVal, Instance, ModelVal)):
        return item.origin
    return None


def _line(span: Span | None) -> int:
    return span.line if span is not None else 0


def _apply_item(interp: Interpreter, item: Value, x: Value) -> Value:
    """Apply one element of a Sequential to ``x``, recording at the element's constructor."""
    site = _origin(item)
    # record at the constructor only when it is in the file being analysed
    here = site is not None and getattr(item, "file", None) in (None, interp.main_file)
    if isinstance(item, LayerVal):
        return apply_layer(interp, item, [x], {}, site or Span(1, 0, 1, 0), record=here)
    if isinstance(item, Instance) and interp.is_keras_layer_class(item.cls):
        node = _span_node(site)
        return call_custom_layer(interp, item, [x], {}, site or Span(1, 0, 1, 0), node, record=here)
    if isinstance(item, ModelVal):
        return call_model(interp, item, [x], {}, _span_node(site))
    return Tensor(UNKNOWN_SHAPE, None, result_kind([x]))


def _span_node(span: Span | None) -> ast.AST:
    node = ast.Constant(None)
    s = span or Span(1, 0, 1, 0)
    node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = (
        s.line, s.column, s.end_line, s.end_column,
    )
    return node


def first_compute_dtype(model: ModelVal) -> str | None:
    """The dtype of the Input Keras makes when it builds a Sequential: its first layer's
    compute dtype (None where not known)."""
    from .layers.base import dtype_setting

    first = model.layers[0] if model.layers else None
    if isinstance(first, LayerVal):
        return dtype_setting(first.kwargs.get("dtype"), first.policy)
    if isinstance(first, ModelVal) and first.kind != "subclass":
        return first.policy
    if isinstance(first, Instance):
        return getattr(first, "compute_dtype", None)
    return None


def build_sequential(interp: Interpreter, model: ModelVal, input_shape: Shape, batch: Dim = None) -> None:
    """Build a Sequential that had no input yet (first call, ``build``, ``fit``/``predict``).
    A direct call builds with the data's batch size, as Keras 3 does."""
    if model.kind != "sequential" or model.inputs is not None or input_shape.dims is None:
        return
    if not input_shape.dims:
        return
    dtype = first_compute_dtype(model)
    x = Tensor(Shape((batch, *input_shape.dims[1:])), dtype, "keras", None, "model input")
    model.inputs = x
    out: Value = x
    for item in model.layers:
        out = _apply_item(interp, item, out)
    model.outputs = out


@function("keras.models.clone_model")
def _clone_model(call: Call) -> Value:
    """A fresh copy of a model of built-in layers (same layers, new weights), built the way the
    original was: a Sequential is rebuilt on its input, a functional model's graph is re-run
    with copies of its layers. Custom layers, a ``clone_function`` or given input tensors make
    the clone unknown; the original is not given away either way."""
    model = call.arg(0, "model")
    if isinstance(model, Instance) and model.model is not None:
        model = model.model  # a keras.Model subclass
    plain = len(call.args) == 1 and not call.kwargs
    if not plain or not isinstance(model, ModelVal):
        return UNKNOWN
    return clone_of(call.interp, model, call.span) or UNKNOWN


@method("model", "get_config")
def _model_get_config(call: Call) -> Value:
    """A model's config: contents not followed, but it remembers the model it describes."""
    model = call.receiver
    if isinstance(model, ModelVal) and model.kind in ("sequential", "functional"):
        return DictVal({}, complete=False, serialized=model)
    return UNKNOWN


@function("keras.Model.from_config", "keras.Sequential.from_config")
def _model_from_config(call: Call) -> Value:
    """``keras.Model.from_config(model.get_config(), custom_objects=...)``: a model like
    ``model``, made afresh from its config (a clone). Only with the config written in the call:
    a config kept in a variable may have been edited first (``cfg["layers"][0]...``), and the
    engine does not follow the edits."""
    node = call.arg_nodes[0] if call.arg_nodes else call.kwarg_nodes.get("config")
    inline = (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "get_config" and not node.args and not node.keywords
    )
    config = call.arg(0, "config")
    source = config.serialized if inline and isinstance(config, DictVal) else None
    if not isinstance(source, ModelVal):
        return UNKNOWN
    return clone_of(call.interp, source, call.span) or UNKNOWN


def built_functionally(model: ModelVal) -> bool:
    """A keras.Model subclass made as ``Sub(inputs, outputs)`` (one that only overrides
    ``train_step``, say) is a functional model: its weights are its graph's layers'. One that
    also keeps weights, or layers outside the graph, in attributes is not (`made_from_graph`)."""
    from .custom_layer_params import holds_unknown_containers, tracked_sublayers

    inst = model.instance
    if not (made_from_graph(model) and isinstance(inst, Instance)) or inst.own_weights or holds_unknown_containers(inst):
        return False
    kept = tracked_sublayers(inst)
    if not kept:
        return True
    # layers kept in attributes too count once, as part of the graph, when all of them are in it
    graph = functional_graph(model)
    in_graph = {id(layer) for layer in graph.layers}
    return graph.complete and all(id(layer) in in_graph for layer in kept)


def made_from_graph(model: ModelVal) -> bool:
    """A keras.Model subclass whose ``__init__`` (Keras' or its own through ``super()``) was
    given inputs and outputs: its weights are its graph's, plus any it keeps in attributes."""
    return model.kind == "subclass" and model.inputs is not None and model.outputs is not None


def clone_of(interp: Interpreter, model: ModelVal, site: Span) -> ModelVal | None:
    if model.escaped or model.layers_uncertain:
        return None
    if model.kind == "sequential":
        return _clone_sequential(interp, model, site)
    # Keras clones a functional subclass through its graph only while its get_config is
    # Functional's own; a custom one goes through from_config, not followed here
    subclass_graph = (
        built_functionally(model) and isinstance(model.instance, Instance)
        and not isinstance(model.instance.cls.lookup("get_config"), FunctionVal)
    )
    if model.kind == "functional" or subclass_graph:
        try:
            return _clone_functional(interp, model, site)
        except _NoReplay:
            return None
    return None


def _copy_layer(interp: Interpreter, layer: LayerVal) -> LayerVal:
    copy = interp.fresh(LayerVal(layer.spec, list(layer.args), dict(layer.kwargs), layer.origin,
                                 file=layer.file, kwarg_spans=dict(layer.kwarg_spans)))
    copy.policy = layer.policy  # part of the config it is made from
    return copy


def _clone_sequential(interp: Interpreter, model: ModelVal, site: Span) -> ModelVal | None:
    if not all(isinstance(item, LayerVal) for item in model.layers):
        return None
    clone = interp.fresh(ModelVal(
        "sequential", origin=site, name=model.name,
        input_from_first_layer=model.input_from_first_layer, spans=list(model.spans),
        trainable=model.trainable,  # part of the config the clone is made from
    ))
    clone.layers = [_copy_layer(interp, item) for item in model.layers if isinstance(item, LayerVal)]
    if isinstance(model.inputs, Tensor) and model.inputs.shape.dims:
        build_sequential(interp, clone, model.inputs.shape, model.inputs.shape.dims[0])
    return clone


def _rebuilt_from_config(interp: Interpreter, layer: Instance, site: Span) -> Instance:
    """What ``clone_model`` makes of a custom layer: ``cls.from_config(layer.get_config())``."""
    from .calls import call_method

    node = _span_node(site)
    config = call_method(interp, BoundMethod(layer, "get_config"), [], {}, node, [], {})
    copy = call_method(interp, BoundMethod(layer.cls, "from_config"), [config], {}, node, [], {})
    if not isinstance(copy, Instance) or copy.cls is not layer.cls:
        raise _NoReplay
    return copy


_SERIALIZE = (
    "keras.saving.serialize_keras_object", "keras.utils.serialize_keras_object",
    "keras.layers.serialize", "keras.activations.serialize",
)
_DESERIALIZE = (
    "keras.saving.deserialize_keras_object", "keras.utils.deserialize_keras_object",
    "keras.layers.deserialize", "keras.activations.deserialize",
)


@function(*_SERIALIZE)
def _serialize(call: Call) -> Value:
    """A config of unknown contents that remembers what it was made of (nested layers in a
    custom layer's ``get_config``)."""
    obj = call.arg(0, "obj")
    if obj is None:
        return UNKNOWN
    if isinstance(obj, Const) and isinstance(obj.value, str | int | float | bool | type(None)):
        return obj  # plain values are their own config
    if (
        call.name == "keras.activations.serialize" and isinstance(obj, LibRef)
        and obj.name.startswith("keras.activations.")
    ):
        return Const(obj.name.rsplit(".", 1)[1])  # a built-in activation serializes to its name
    if isinstance(obj, LayerVal):
        obj = _with_build_of(_copy_layer(call.interp, obj), obj)  # as it is now, built or not
    elif isinstance(obj, Instance) and obj.built:
        return DictVal({}, complete=False)  # its build_config rebuilds it: not followed here
    return DictVal({}, complete=False, serialized=obj)


def _with_build_of(copy: LayerVal, layer: LayerVal) -> LayerVal:
    """A built layer's config carries its build config: the copy Keras makes is built alike."""
    copy.built_input, copy.built_call = layer.built_input, layer.built_call
    copy.build_uncertain, copy.build_conflict = layer.build_uncertain, layer.build_conflict
    copy.escaped = layer.escaped
    return copy


@function(*_DESERIALIZE)
def _deserialize(call: Call) -> Value:
    """A new object like the serialized one: a built-in layer built as it was when serialized,
    an unbuilt custom layer remade through its config; a function or a name is itself."""
    config = call.arg(0, "config")
    if isinstance(config, Const):
        return config
    source = config.serialized if isinstance(config, DictVal) else None
    if isinstance(source, LayerVal):
        return _with_build_of(_copy_layer(call.interp, source), source)
    if isinstance(source, LibRef):
        return source
    if isinstance(source, ModelVal) and source.kind == "functional":
        # a functional model's config is its graph: rebuilt, it is a clone (a Sequential is
        # not followed: layers added after it was serialized are not in its config)
        return clone_of(call.interp, source, call.span) or UNKNOWN
    if isinstance(source, Instance) and source.model is None and call.interp.is_keras_layer_class(source.cls):
        try:
            return _rebuilt_from_config(call.interp, source, call.span)
        except _NoReplay:
            return UNKNOWN
    return UNKNOWN


def _clone_functional(interp: Interpreter, model: ModelVal, site: Span) -> ModelVal:
    """New inputs like the original's, and every layer call on the way to the outputs made
    again with a copy of its layer (a layer shared by two calls stays shared in the copy)."""
    if model.inputs is None or model.outputs is None:
        raise _NoReplay
    copies: dict[int, Value] = {}
    memo: dict[int, Value] = {}
    for t in tensors_in(model.inputs):
        if t.shape.dims is None:
            raise _NoReplay
        memo[id(t)] = Tensor(t.shape, t.dtype, "keras", t.origin, t.label, name=t.name)

    def callee_copy(callee: Value) -> Value:
        if id(callee) not in copies:
            if isinstance(callee, LayerVal):
                copies[id(callee)] = _copy_layer(interp, callee)
            elif isinstance(callee, ModelVal):
                copies[id(callee)] = clone_of(interp, callee, site) or UNKNOWN
            elif isinstance(callee, Instance) and callee.model is None and interp.is_keras_layer_class(callee.cls):
                copies[id(callee)] = _rebuilt_from_config(interp, callee, site)
            else:
                raise _NoReplay
        return copies[id(callee)]

    def remake(v: Tensor, args: list[Value], kwargs: dict[str, Value]) -> Value:
        if v.history is None:
            return v
        if isinstance(v.history[0], OpNode):
            if not v.history[0].replayable:
                # a step that is no layer and cannot be re-run: the copy has it too, with the
                # same shape, and is as opaque there as the original
                return v
            # an op or operator between layers: the same step on the copy's tensors
            step = Tensor(v.shape, v.dtype, "keras", v.origin, v.label)
            step.history = (v.history[0], args, kwargs, v.history[3], None)
            return step
        callee, _args, _kwargs, pos, _defined_at = v.history
        copy = callee_copy(callee)
        if isinstance(copy, LayerVal):
            out = apply_layer(interp, copy, args, kwargs, site, record=False)
        elif isinstance(copy, Instance):
            out = call_custom_layer(interp, copy, args, kwargs, site, _span_node(site), record=False)
        elif isinstance(copy, ModelVal) and len(args) == 1 and not kwargs:
            out = model_output_for(interp, copy, args[0], site, _span_node(site))
            for i, t in enumerate(tensors_in(out)):
                t.history = (copy, args, {}, i, None)
        else:
            raise _NoReplay
        ts = tensors_in(out)
        if pos >= len(ts) or ts[pos].shape != v.shape:
            raise _NoReplay
        return ts[pos]

    outputs = rebuild_graph(model.outputs, memo, remake, through_ops=True)
    inputs = rebuild_graph(model.inputs, memo, remake, through_ops=True)
    return interp.fresh(ModelVal(
        "functional", inputs=inputs, outputs=outputs, origin=site, name=model.name,
        trainable=model.trainable,
    ))


@method("model", "add")
def _model_add(call: Call) -> Value:
    model = call.receiver
    item = call.arg(0, "layer")
    if isinstance(model, ModelVal) and item is not None:
        interp = call.interp
        if not interp.certain_mutation(model):
            model.layers_uncertain = True  # in a loop of unknown length or one branch of an if
            # the running output (and input) after the branch: the join of the paths
            interp.set_field(model, "inputs", model.inputs)
            interp.set_field(model, "outputs", model.outputs)
        _add(interp, model, item)
    return Const(None)


@method("model", "pop")
def _model_pop(call: Call) -> Value:
    if isinstance(call.receiver, ModelVal):
        call.receiver.layers_uncertain = True
    return UNKNOWN


@method("model", "build")
def _model_build(call: Call) -> Value:
    model = call.receiver
    if isinstance(model, ModelVal):
        shape = call.shape(0, "input_shape")
        if model.kind == "sequential":
            build_sequential(call.interp, model, shape)
        elif model.kind == "subclass" and model.instance is not None and not model.instance.built:
            # Keras 3 runs the subclass's own build with the shape as given, never its call
            inst = model.instance
            inst.built = True
            build = inst.cls.lookup("build")
            given = call.arg(0, "input_shape")
            if isinstance(build, FunctionVal) and given is not None:
                call.interp.call_function(build, [inst, given], {}, call.node)
    return Const(None)


# ----------------------------------------------------------------------------------------------
# functional


@function("keras.Model")
def functional_model(call: Call) -> Value:
    model = call.interp.fresh(ModelVal("functional", origin=call.span))
    init_functional(call.interp, model, call.args, call.kwargs)
    return model


def init_functional(interp: Interpreter, model: ModelVal, args: list[Value], kwargs: dict[str, Value]) -> None:
    inputs = kwargs.get("inputs", args[0] if args else None)
    outputs = kwargs.get("outputs", args[1] if len(args) > 1 else None)
    model.inputs = inputs
    model.outputs = outputs
    name = kwargs.get("name")
    if isinstance(name, Const) and isinstance(name.value, str):
        model.name = name.value
    check_connected(inputs, outputs, f"keras.Model{f' {model.name!r}' if model.name else ''}")


def _batch_of(x: Value) -> Dim:
    ts = tensors_in(x)
    if ts and ts[0].shape.dims:
        return ts[0].shape.dims[0]
    return None


def _keeps_batch(model: ModelVal) -> bool:
    """No op between the model's inputs and outputs may change the batch axis (a reshape with
    -1, a transpose...): only layers, operators and element-wise ops."""
    if model.outputs is None:
        return False
    inputs = {id(t) for t in tensors_in(model.inputs)} if model.inputs is not None else set()
    seen: set[int] = set()
    stack = list(tensors_in(model.outputs))
    while stack:
        t = stack.pop()
        if id(t) in seen or id(t) in inputs or t.kind != "keras":
            continue
        seen.add(id(t))
        if t.history is None:
            return False  # a step the engine did not record: it may have changed it
        callee, args, kwargs, _pos, _site = t.history
        if isinstance(callee, OpNode) and _may_change_batch(callee, args, kwargs):
            return False
        for a in (*args, *kwargs.values()):
            stack.extend(tensors_in(a))
    return True


# ops that may move, merge or cut the batch axis whatever their arguments
_BATCH_CHANGING_OPS = frozenset(
    f"keras.ops.{n}" for n in (
        "reshape", "transpose", "swapaxes", "moveaxis", "ravel", "tile", "broadcast_to", "slice",
        "einsum", "flatten", "image.extract_patches",
    )
)
# ops that change the batch axis when their ``axis`` is 0 (or not known)
_AXIS_OPS = {
    "keras.ops.split": 2, "keras.ops.concatenate": 1, "keras.ops.stack": 1,
    "keras.ops.squeeze": 1, "keras.ops.expand_dims": 1, "keras.ops.take": 2,
    "keras.ops.repeat": 2, "keras.ops.unstack": 2,
    **{f"keras.ops.{n}": 1 for n in (
        "sum", "mean", "max", "min", "prod", "std", "var", "argmax", "argmin", "any", "all",
        "logsumexp", "amax", "amin", "median", "cumsum", "cumprod", "sort", "argsort",
    )},
}


def _may_change_batch(op: OpNode, args: list[Value], kwargs: dict[str, Value]) -> bool:
    """Whether an op between layers may change the batch axis (operators and element-wise
    ops do not; a reshape or an op along axis 0 may; an unknown op may)."""
    if op.operator is not None or op.name == "comparison":
        return False
    if op is JOIN_NODE or op.name.endswith(".preprocess_input"):
        return False  # alternatives (both are walked) or an element-wise scaling
    if op.name == "subscript":
        return not (len(args) == 2 and isinstance(args[0], Tensor) and _keeps_first_axis(args[0], args[1]))
    if op.name in _BATCH_CHANGING_OPS or not op.name.startswith("keras.ops."):
        return True
    at = _AXIS_OPS.get(op.name)
    if at is None:
        return False  # element-wise or along other axes (sum over axis=1 keeps the batch)
    axis = kwargs.get("axis", args[at] if at < len(args) else None)
    return not (isinstance(axis, Const) and isinstance(axis.value, int) and axis.value > 0)


def _keeps_first_axis(t: Tensor, index: Value) -> bool:
    """``t[index]`` keeps axis 0 whole where it is: ``t[:, ...]``, or ``t[..., i]`` with no new
    axis and fewer indices than ``t`` has axes."""
    items = index.items if isinstance(index, Seq) and index.kind == "tuple" else [index]
    if not items:
        return False
    first = items[0]
    if isinstance(first, SliceVal):
        return all(isinstance(b, Const) and b.value is None for b in (first.lower, first.upper, first.step))
    if isinstance(first, Const) and first.value is Ellipsis:
        rank = len(t.shape.dims) if t.shape.dims is not None else None
        plain = all(isinstance(i, (Const, SliceVal)) and not (isinstance(i, Const) and i.value is None) for i in items)
        return plain and rank is not None and len(items) - 1 < rank
    return False


def _rebatch(v: Value, batch: Dim, kind: str, site: Span) -> Value:
    if isinstance(v, Tensor):
        dims = v.shape.dims
        shape = Shape((batch, *dims[1:])) if dims else v.shape
        return Tensor(shape, v.dtype, kind, site, v.label)  # type: ignore[arg-type]
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_rebatch(i, batch, kind, site) for i in v.items], v.kind)
    if isinstance(v, DictVal):
        return DictVal({k: _rebatch(i, batch, kind, site) for k, i in v.items.items()})
    return UNKNOWN


def _step_input(call: Call, model: ModelVal, x: Value) -> tuple[Value, Dim]:
    """What the model's layers see at each step of fit/evaluate/predict on array data: batches
    of ``batch_size`` rows (tf.function traces the step with that size when every batch has it,
    with an unknown one when the last batch is smaller), or of the size a model's input fixes
    (``batch_shape``, stateful RNNs). ``x`` as one step sees it, and the row count of the whole
    data to give back (None when the step sees all of it)."""
    given = tensors_in(x)
    if not given or not given[0].shape.dims or any(t.kind == "spec" for t in given):
        return x, None  # a dataset's element: the step is traced with its spec as it is
    rows = given[0].shape.dims[0]
    if not isinstance(rows, int):
        return x, None
    expected = tensors_in(model.inputs) if model.inputs is not None else []
    fixed = expected[0].shape.dims[0] if expected and expected[0].shape.dims else None
    if isinstance(fixed, int):
        if rows == fixed or step_batch_sizes(call, rows) != {fixed}:
            return x, None
        return _rebatch(x, fixed, result_kind([x]), call.span), rows
    if call.name not in ("fit", "evaluate", "predict"):
        return x, None
    step = _uniform_step(call, rows)
    one_axis = any(len(t.shape.dims or ()) < 2 for t in given)
    if step == rows and call.name in ("fit", "evaluate") and rows < configured_batch_size(call) and not one_axis:
        # one batch smaller than batch_size: Keras' training and test steps are traced with an
        # unknown batch then (predict's with the rows)
        step = None
    elif step == rows or (step is None and one_axis):
        # one-axis data keeps its length: Keras' rank adjustment of a model input reads the
        # data's last axis, which is then the batch axis
        return x, None
    return _rebatch(x, step, result_kind([x]), call.span), rows


def _uniform_step(call: Call, rows: Dim) -> int | None:
    """The batch size of every step of a fit/evaluate/predict call on ``rows`` rows, when all
    steps have the same one (no smaller last batch)."""
    sizes = step_batch_sizes(call, rows)
    return next(iter(sizes)) if sizes is not None and len(sizes) == 1 else None


class _NoReplay(Exception):
    """The model's graph cannot be re-run statically (a step without recorded history)."""


def _model_label(model: ModelVal) -> str:
    return f"model '{model.name}'" if model.name else "the model"


def _adjust_rank(model: ModelVal, expected: Tensor, given: Tensor, what: str = "input") -> Tensor:
    """Keras 3's rank adjustment: one trailing axis of size 1 more is squeezed, one less is
    added when the declared last axis is 1, any other rank difference is an error."""
    e, g = expected.shape.dims, given.shape.dims
    if e is None or g is None or not e or len(g) == len(e):
        return given
    if len(g) == len(e) + 1 and g[-1] == 1:
        return Tensor(Shape(g[:-1]), given.dtype, given.kind, given.origin, given.label)
    if len(g) + 1 == len(e) and e[-1] == 1:
        return Tensor(Shape((*g, 1)), given.dtype, given.kind, given.origin, given.label)
    single = _single_sample(expected, given)
    raise ShapeError(
        f"{_model_label(model)} expects {what} with shape {format_shape(expected.shape)}, but "
        f"received input with shape {format_shape(given.shape)} (rank {len(g)} instead of "
        f"{len(e)}){SINGLE_SAMPLE_HINT if single else channel_order_hint(e, g)}",
        code="missing-batch-axis" if single else "model-input-mismatch",
        related=_input_related(expected),
    )


def _adjust_input(model: ModelVal, expected: Tensor, given: Value, index: int) -> Value:
    """Keras 3's functional input handling, step by step (checked against TF in
    tests/oracle/test_model_inputs.py):

    1. the input spec check: a trailing axis of size 1 is dropped from both the declared and
       the given shape, then the dims are compared pairwise up to the shorter one;
    2. the rank adjustment: one trailing axis of size 1 more is squeezed, one less is added
       when the declared last axis is 1; any other rank difference is an error.

    Returns the input as the graph will see it. Raises only when both steps are certain."""
    if not isinstance(given, Tensor):
        return given
    e, g = expected.shape.dims, given.shape.dims
    if e is None or g is None or not e:
        return given
    what = f"input {index}" + (f" '{expected.name}'" if expected.name else "")
    single = _single_sample(expected, given)
    hint = SINGLE_SAMPLE_HINT if single else channel_order_hint(e, g)
    code = "missing-batch-axis" if single else "model-input-mismatch"
    # 1. spec check (needs the last dims known to know whether they are squeezed)
    if not (_known(e[-1]) and (not g or _known(g[-1]))):
        return given
    es = e[:-1] if e[-1] == 1 else e
    gs = g[:-1] if g and g[-1] == 1 else g
    for axis, (a, b) in enumerate(zip(es, gs, strict=False)):
        # Keras' Functional input spec sets the batch axis to None: a fixed batch_size is not checked
        if axis > 0 and isinstance(a, int) and isinstance(b, int) and a != b:
            raise ShapeError(
                f"{_model_label(model)} expects {what} with shape {format_shape(expected.shape)}, "
                f"but received input with shape {format_shape(given.shape)} (axis {axis}: "
                f"expected {a}, got {b}){hint}",
                code=code,
                related=_input_related(expected),
            )
    # 2. rank adjustment
    return _adjust_rank(model, expected, given, what)


def _known(d: Dim) -> bool:
    return isinstance(d, int)


SINGLE_SAMPLE_HINT = "; it looks like a single sample: add a batch axis (x[None, ...] or np.expand_dims(x, 0))"


def _single_sample(expected: Value | None, given: Value) -> bool:
    """``given`` has exactly the model input's shape without its batch axis."""
    if not isinstance(expected, Tensor) or not isinstance(given, Tensor):
        return False
    e, g = expected.shape.dims, given.shape.dims
    if e is None or g is None or len(g) + 1 != len(e):
        return False
    return all(not isinstance(a, int) or not isinstance(b, int) or a == b for a, b in zip(e[1:], g, strict=True))


def input_shape_fix(err: ShapeError, model: ModelVal, x: Value) -> None:
    """Quick fix when a Sequential's first layer declares an ``input_shape`` the data does not
    have: set it to the data's shape (without the batch axis)."""
    if err.code != "layer-input-mismatch" or model.kind != "sequential" or not model.input_from_first_layer:
        return
    first = model.layers[0] if model.layers else None
    if not isinstance(first, LayerVal) or "input_shape" not in first.kwarg_spans:
        return
    if first.file not in (None,) and first.origin is None:
        return
    if not isinstance(x, Tensor) or x.shape.dims is None or len(x.shape.dims) < 2:
        return
    rest = x.shape.dims[1:]
    if not all(isinstance(d, int) for d in rest):
        return
    from .facts import Fix, TextEdit

    text = "(" + ", ".join(str(d) for d in rest) + ("," if len(rest) == 1 else "") + ")"
    err.fixes.append(
        Fix(f"Set the first layer's input_shape to the data's {text}",
            (TextEdit(first.kwarg_spans["input_shape"], text),))
    )


def _attach_input_shape_fix(interp: Interpreter, model: ModelVal, x: Value, since: int) -> None:
    """The first layer's mismatch is reported by the layer rule; give it the input_shape fix."""
    for issue in list(interp.issues.values())[since:]:
        if issue.code == "layer-input-mismatch" and not issue.fixes:
            err = ShapeError(issue.message, issue.code)
            input_shape_fix(err, model, x)
            issue.fixes.extend(f for f in err.fixes if isinstance(f, Fix))


def add_batch_axis_fix(err: ShapeError, x: Value, arg_node: ast.AST | None) -> None:
    """Quick fix for a single sample fed where a batch is expected: index it with [None, ...]."""
    if err.code != "missing-batch-axis" or arg_node is None or not isinstance(x, Tensor):
        return
    from .facts import Fix, TextEdit

    span = Span.of(arg_node)
    simple = isinstance(arg_node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call))
    end = Span(span.end_line, span.end_column, span.end_line, span.end_column)
    edits = [TextEdit(end, "[None, ...]" if simple else ")[None, ...]")]
    if not simple:
        edits.insert(0, TextEdit(Span(span.line, span.column, span.line, span.column), "("))
    err.fixes.append(Fix("Add a batch axis (x[None, ...])", tuple(edits)))


def _input_related(expected: Tensor) -> list[object]:
    from .facts import Related

    if expected.origin is None:
        return []
    return [Related(expected.origin, f"model input {format_shape(expected.shape)} is defined here")]


def _bind_inputs(model: ModelVal, x: Value, mapping: dict[int, Value]) -> None:
    inputs = model.inputs
    if isinstance(inputs, Tensor):
        if isinstance(x, Seq) and x.items is not None and len(x.items) == 1:
            x = x.items[0]
        if isinstance(x, DictVal) and len(x.items) == 1 and x.complete:
            x = next(iter(x.items.values()))
        mapping[id(inputs)] = _adjust_input(model, inputs, x, 0)
        return
    expected = _input_list(inputs)
    if expected is None:
        raise _NoReplay
    if len(expected) == 1 and isinstance(x, Tensor):  # `inputs=[x]` takes a bare tensor too
        x = Seq([x], "list")
    if isinstance(x, DictVal):
        if any(t.name is None for t in expected) or not x.complete:
            raise _NoReplay
        missing = [t.name for t in expected if t.name not in x.items]
        if missing:
            raise ShapeError(
                f"{_model_label(model)} has no data for input '{missing[0]}': the inputs are "
                f"named {[t.name for t in expected]}, but the data's keys are "
                f"{[k for k in x.items]}",
                code="model-input-keys",
                related=_input_related(next(t for t in expected if t.name == missing[0])),
            )
        for i, t in enumerate(expected):
            mapping[id(t)] = _adjust_input(model, t, x.items[t.name], i)
        return
    if isinstance(x, Seq) and x.items is not None:
        if len(x.items) != len(expected):
            raise ShapeError(
                f"{_model_label(model)} has {len(expected)} inputs but was given {len(x.items)}",
                code="model-input-count",
            )
        for i, (t, v) in enumerate(zip(expected, x.items, strict=True)):
            mapping[id(t)] = _adjust_input(model, t, v, i)
        return
    raise _NoReplay


def _input_list(inputs: Value | None) -> list[Tensor] | None:
    if isinstance(inputs, Seq) and inputs.items is not None:
        out = [t for t in inputs.items if isinstance(t, Tensor)]
        return out if len(out) == len(inputs.items) else None
    if isinstance(inputs, DictVal):
        vals = list(inputs.items.values())
        out = [t for t in vals if isinstance(t, Tensor)]
        return out if len(out) == len(vals) else None
    return None


def rebuild_graph(
    outputs: Value,
    known: dict[int, Value],
    remake: Callable[[Tensor, list[Value], dict[str, Value]], Value],
    through_ops: bool = False,
) -> Value:
    """A functional graph's ``outputs`` made again, walking back through each tensor's history:
    a tensor in ``known`` (by id: the inputs bound to new values) is replaced by its value there,
    any other by ``remake(tensor, args, kwargs)`` given the call's arguments already rebuilt
    (empty for a tensor with no history). Each tensor is made once (kept in ``known``)."""

    def rec(v: Value) -> Value:
        if isinstance(v, Tensor):
            key = id(v)
            if key not in known:
                if v.history is None or (
                    isinstance(v.history[0], OpNode) and not (through_ops and v.history[0].replayable)
                ):
                    # a step that is not re-run: remake decides alone (nothing before it is re-run)
                    known[key] = remake(v, [], {})
                else:
                    _callee, args, kwargs, _pos, _defined_at = v.history
                    known[key] = remake(v, [rec(a) for a in args], {k: rec(a) for k, a in kwargs.items()})
            return known[key]
        if isinstance(v, Seq) and v.items is not None:
            return Seq([rec(i) for i in v.items], v.kind)
        if isinstance(v, DictVal):
            return DictVal({k: rec(i) for k, i in v.items.items()})
        return v

    return rec(outputs)


def _replay_graph(
    interp: Interpreter, model: ModelVal, x: Value, site: Span, node: ast.AST, training: bool | None
) -> Value:
    """Re-run a functional model's layers on ``x`` (exact shapes, certain mismatches)."""
    known: dict[int, Value] = {}
    _bind_inputs(model, x, known)
    if any(not isinstance(v, Tensor) or v.shape.dims is None for v in known.values()):
        raise _NoReplay  # data the engine cannot read: re-running the layers would say nothing
    for expected in tensors_in(model.inputs) if model.inputs is not None else []:
        given = known.get(id(expected))
        if (
            isinstance(given, Tensor) and expected.dtype == "float32" and given.kind in ("np", "tf")
            and given.dtype is not None and (given.dtype == "float64" or given.dtype.startswith(("int", "uint")))
        ):
            # Keras casts such data to the float32 inputs before running the graph (dtype-cast)
            known[id(expected)] = Tensor(given.shape, "float32", given.kind, given.origin, given.label)

    def remake(v: Tensor, args: list[Value], kwargs: dict[str, Value]) -> Value:
        if v.history is None:
            raise _NoReplay
        callee, _args, _kwargs, pos, _defined_at = v.history
        if training is not None and not isinstance(callee, OpNode):
            kwargs["training"] = Const(training)
        if isinstance(callee, OpNode):
            out = _replay_op(interp, callee, args, kwargs)
        elif isinstance(callee, LayerVal):
            # The layer's own line shows the call that built the graph: a replay on other
            # data (fit, predict, a call) runs inside Keras and adds nothing there.
            out = apply_layer(interp, callee, args, kwargs, site, replay=True)
        elif isinstance(callee, Instance):
            out = call_custom_layer(interp, callee, args, kwargs, site, node, record=False)
        elif isinstance(callee, ModelVal) and args:
            out = model_output_for(interp, callee, args[0], site, node, training)
        else:
            raise _NoReplay
        ts = tensors_in(out)
        if pos >= len(ts) or ts[pos].shape.dims is None:
            raise _NoReplay
        return ts[pos]

    assert model.outputs is not None
    return rebuild_graph(model.outputs, known, remake, through_ops=True)


def _replay_op(interp: Interpreter, op: OpNode, args: list[Value], kwargs: dict[str, Value]) -> Value:
    """A keras.ops function or binary operator of the graph run again on the replayed inputs.
    Where it fails or says nothing, the replay stops (nothing is reported: the graph's own
    check of these inputs is not modelled)."""
    from . import registry
    from .ops.elementwise import tensor_binop
    from .subscripts import tensor_index

    if op.node is None:
        raise _NoReplay
    try:
        if op.operator is not None and len(args) == 2:
            out = tensor_binop(interp, op.operator, args[0], args[1], op.node)
        elif op.name == "subscript" and len(args) == 2 and isinstance(args[0], Tensor):
            out = tensor_index(args[0], args[1], op.node)
        else:
            handler = registry.FUNCTIONS.get(op.name)
            if handler is None:
                raise _NoReplay
            out = handler(registry.Call(list(args), dict(kwargs), op.node, interp, None, op.name))
    except (ShapeError, Unknowable):
        raise _NoReplay from None
    if len(tensors_in(out)) != 1:
        raise _NoReplay  # several outputs: which one this tensor was is not recorded
    return out


def _same_structure(inputs: Value | None, x: Value) -> bool:
    if isinstance(inputs, Tensor):
        return isinstance(x, Tensor)
    if isinstance(inputs, Seq) and inputs.items is not None:
        if isinstance(x, DictVal):
            # a dict keyed by the names of the listed inputs feeds them by name
            names = [t.name if isinstance(t, Tensor) else None for t in inputs.items]
            return x.complete and None not in names and set(x.items) == set(names)
        return isinstance(x, Seq) and x.items is not None and len(x.items) == len(inputs.items)
    if isinstance(inputs, DictVal):
        return isinstance(x, DictVal) and set(x.items) == set(inputs.items)
    return False


def _retag(v: Value, kind: str, site: Span) -> Value:
    if isinstance(v, Tensor):
        return Tensor(v.shape, v.dtype, kind, site, v.label)  # type: ignore[arg-type]
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_retag(i, kind, site) for i in v.items], v.kind)
    if isinstance(v, DictVal):
        return DictVal({k: _retag(i, kind, site) for k, i in v.items.items()})
    return v


def model_output_for(
    interp: Interpreter,
    model: ModelVal,
    x: Value,
    site: Span,
    node: ast.AST,
    training: bool | None = None,
) -> Value:
    """What the model returns for input ``x`` (symbolic or eager): its layers re-run on ``x``.
    ``training=False`` for predict/evaluate (inference behaviour of augmentation layers)."""
    kind = result_kind([x])
    if model.kind == "sequential":
        if model.inputs is None:
            ts = tensors_in(x)
            if ts:
                build_sequential(interp, model, ts[0].shape, ts[0].shape[0])
        if model.outputs is None:
            _replay_unseen(interp, model.layers, None, site, node, training)
            return Tensor(UNKNOWN_SHAPE, None, kind, site)
        if model.layers_uncertain:
            return _uncertain_sequential_output(model, x, kind, site)
        if isinstance(x, Tensor) and isinstance(model.inputs, Tensor) and x is not model.inputs:
            # Keras 3 runs a Sequential with a known input through a functional model, which
            # adds or drops a trailing axis of size 1 to fit (no input spec check of its own:
            # the first layer checks)
            x = _adjust_rank(model, model.inputs, x)
        if isinstance(x, Tensor) and x.shape.dims is not None:
            out: Value = x
            issues_before = len(interp.issues)
            for i, item in enumerate(model.layers):
                out = _replay_item(interp, item, out, site, node, training)
                if i == 0:
                    _attach_input_shape_fix(interp, model, x, issues_before)
                if not isinstance(out, Tensor) or out.shape.dims is None:
                    if len(interp.issues) > issues_before and _single_sample(model.inputs, x):
                        # the first layer rejected it; say why in the user's terms
                        raise ShapeError(
                            f"{_model_label(model)} expects input of shape "
                            f"{format_shape(model.inputs.shape)}, but received {format_shape(x.shape)}"  # type: ignore[union-attr]
                            f"{SINGLE_SAMPLE_HINT}",
                            code="missing-batch-axis",
                            related=_input_related(model.inputs),  # type: ignore[arg-type]
                        )
                    _replay_unseen(interp, model.layers[i + 1 :], None, site, node, training)
                    return Tensor(UNKNOWN_SHAPE, None, kind, site)
            return _retag(out, kind, site)
        # Data the engine cannot see: the layers run on a tensor of the rank they were built
        # for, whose sizes are only those their weights pin down.
        out = _replay_unseen(interp, model.layers, _generic_input(model, _batch_of(x)), site, node, training)
        return _retag(out, kind, site)
    if model.kind in ("functional", "application"):
        if model.outputs is None:
            return UNKNOWN
        return _run_graph(interp, model, x, site, node, training, kind)
    if model.kind == "subclass" and model.instance is not None:
        if runs_own_graph(model):
            return _run_graph(interp, model, x, site, node, training, kind)
        # fit runs call(training=True), predict and evaluate training=False, when call takes it
        call_fn = model.instance.cls.lookup("call")
        takes_training = isinstance(call_fn, FunctionVal) and any(
            a.arg == "training" for a in [*call_fn.node.args.args, *call_fn.node.args.kwonlyargs]
        )
        kwargs: dict[str, Value] = {"training": Const(training)} if training is not None and takes_training else {}
        return call_custom_layer(interp, model.instance, [x], kwargs, site, node, record=False)
    return UNKNOWN


def _uncertain_sequential_output(model: ModelVal, x: Value, kind: TensorKind, site: Span) -> Tensor:
    """A Sequential whose layers were added on paths that may not run: its layer list cannot be
    replayed. Data shaped like its input gives its (joined) output, batch size aside."""
    out, inp = model.outputs, model.inputs
    if (
        isinstance(x, Tensor) and isinstance(inp, Tensor) and isinstance(out, Tensor)
        and x.shape.dims is not None and inp.shape.dims is not None and out.shape.dims
        and len(x.shape.dims) == len(inp.shape.dims)
        and all(isinstance(a, int) and a == b for a, b in zip(x.shape.dims[1:], inp.shape.dims[1:], strict=True))
    ):
        return Tensor(Shape((None, *out.shape.dims[1:])), out.dtype, kind, site)
    return Tensor(UNKNOWN_SHAPE, None, kind, site)


def _generic_input(item: Value, batch: Dim = None) -> Tensor | None:
    """A tensor of the rank ``item`` (a layer or a Sequential) was built for, every size
    unknown but ``batch``; None when it was never built."""
    built = item.built_input if isinstance(item, LayerVal) else (
        item.inputs if isinstance(item, ModelVal) and item.kind == "sequential" else None
    )
    if not isinstance(built, Tensor) or not built.shape.dims:
        return None
    rest = (None,) * (len(built.shape.dims) - 1)
    return Tensor(Shape((batch, *rest)), built.dtype, "keras", None, "unseen data")


def _replay_unseen(
    interp: Interpreter, items: list[Value], x: Tensor | None, site: Span, node: ast.AST,
    training: bool | None,
) -> Value:
    """A Sequential ran ``items`` on data the engine cannot see (``x``: a generic tensor, see
    ``_generic_input``, or None). Each layer's line (where Keras records it) joins what such a
    call can give: the sizes the built weights pin down (a Dense built for 64 features gets 64
    features), the others unknown. A layer never built claims nothing."""
    out: Value | None = x
    for i, item in enumerate(items):
        if not (isinstance(out, Tensor) and out.shape.dims is not None):
            out = _generic_input(item)
        if out is None:
            _claims_nothing(interp, item)
            continue
        if isinstance(item, LayerVal):
            out = refined_by_build(LayerCall(item, [out], {}, interp, site), item, out)
        following = items[i + 1] if i + 1 < len(items) else None
        if isinstance(item, LayerVal) and isinstance(following, LayerVal):
            # what the next layer's weights pin down holds for this output too (a Flatten
            # before a Dense built for 64 features gives 64 features in every call that works)
            out = _replay_item(interp, item, out, site, node, training, record=False)
            if isinstance(out, Tensor) and out.shape.dims is not None:
                out = refined_by_build(LayerCall(following, [out], {}, interp, site), following, out)
            here = _line_of(interp, item)
            if here is not None:
                if isinstance(out, Tensor) and out.shape.dims is not None:
                    interp.record_span(here, item.spec.name, out, "layer", file=item.file)
                else:
                    interp.unknown_layer_at(here, item.file)
            continue
        out = _replay_item(interp, item, out, site, node, training)
    return out if isinstance(out, Tensor) else Tensor(UNKNOWN_SHAPE, None, "keras", site)


def _claims_nothing(interp: Interpreter, item: Value) -> None:
    if isinstance(item, LayerVal) and item.origin is not None:
        interp.unknown_layer_at(item.origin, item.file)
    elif isinstance(item, ModelVal) and item.kind == "sequential":
        for inner in item.layers:
            _claims_nothing(interp, inner)


def user_method(model: ModelVal, name: str) -> FunctionVal | None:
    """A method the user's keras.Model subclass defines itself (``train_step``, ``call``...)."""
    inst = model.instance
    found = inst.cls.lookup(name) if isinstance(inst, Instance) else None
    return found if isinstance(found, FunctionVal) else None


def runs_own_graph(model: ModelVal) -> bool:
    """A subclass built functionally (``super().__init__(inputs, outputs)``) with no ``call`` of
    its own: calling it runs that graph, as for a functional model."""
    return model.kind == "subclass" and model.outputs is not None and user_method(model, "call") is None


def _run_graph(
    interp: Interpreter, model: ModelVal, x: Value, site: Span, node: ast.AST, training: bool | None,
    kind: TensorKind,
) -> Value:
    """A functional graph run on ``x``: its layers replayed, or, where a step of it was not
    recorded, its outputs with ``x``'s batch size (when ``x`` has the inputs' structure)."""
    try:
        out = _retag(_replay_graph(interp, model, x, site, node, training), kind, site)
    except _NoReplay:
        if not _same_structure(model.inputs, x) or model.outputs is None:
            return Tensor(UNKNOWN_SHAPE, None, kind, site)
        # the outputs have the inputs' batch size only when no step between may change it
        out = _rebatch(model.outputs, _batch_of(x) if _keeps_batch(model) else None, kind, site)
    # Keras 3 gives a single tensor for `outputs=[y]`
    return out.items[0] if isinstance(out, Seq) and out.items is not None and len(out.items) == 1 else out


def _line_of(interp: Interpreter, item: LayerVal) -> Span | None:
    """Where a Sequential's layer records its outputs: its constructor, in the user's file."""
    return item.origin if item.file in (None, interp.main_file) else None


def _replay_item(
    interp: Interpreter, item: Value, x: Value, site: Span, node: ast.AST, training: bool | None,
    record: bool = True,
) -> Value:
    if isinstance(item, LayerVal):
        kwargs: dict[str, Value] = {} if training is None else {"training": Const(training)}
        here = _line_of(interp, item) if record else None
        return apply_layer(interp, item, [x], kwargs, site, replay=True, record_at=here)
    if isinstance(item, Instance) and interp.is_keras_layer_class(item.cls):
        return call_custom_layer(interp, item, [x], {}, site, node, record=False)
    if isinstance(item, ModelVal):
        return model_output_for(interp, item, x, site, node, training)
    return UNKNOWN


def note_input_dtypes(interp: Interpreter, model: ModelVal, x: Value, site: Span) -> None:
    """Information (never an error): data Keras silently casts to the model's float32."""
    expected = tensors_in(model.inputs) if model.inputs is not None else []
    if not expected or any(t.dtype != "float32" for t in expected):
        return
    for t in tensors_in(x):
        if t.kind not in ("np", "tf") or t.dtype is None:
            continue
        if t.dtype == "float64":
            interp.report(
                site,
                f"float64 data {format_shape(t.shape)} is cast to the model's float32 inputs; "
                f"precision beyond float32 is dropped (use .astype('float32') to make it explicit)",
                "dtype-cast",
                severity="information",
            )
            return
        if t.dtype.startswith(("int", "uint")):
            interp.report(
                site,
                f"integer data {format_shape(t.shape)} ({t.dtype}) is cast to the model's float32 inputs",
                "dtype-cast",
                severity="information",
            )
            return


def call_model(
    interp: Interpreter, model: ModelVal, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> Value:
    x = args[0] if args else kwargs.get("inputs", UNKNOWN)
    site = Span.of(node)
    note_input_dtypes(interp, model, x, site)
    try:
        if (
            model.kind == "sequential" and model.declared_input and isinstance(model.inputs, Tensor)
            and isinstance(x, Tensor) and x.kind == "keras"
        ):
            # a symbolic call goes through the functional graph Keras built from that input,
            # which checks the input spec (an eager call does not)
            _adjust_input(model, model.inputs, x, 0)
        flag = kwargs.get("training")
        training = flag.value if isinstance(flag, Const) and isinstance(flag.value, bool) else None
        out = model_output_for(interp, model, x, site, node, training)
    except ShapeError as err:
        arg_nodes = getattr(node, "args", [])
        add_batch_axis_fix(err, x, arg_nodes[0] if arg_nodes else None)
        raise
    main = first_output(out)
    if main is not None:
        interp.record_span(site, model.name or "Model", main, "layer")
    if result_kind([x]) == "keras":
        for i, t in enumerate(tensors_in(out)):
            t.history = (model, [x], {}, i, None)
    return out


def _generator_as_dataset(call: Call) -> None:
    """Keras reads a Python generator given as ``x`` like a dataset whose element spec merges
    the batches it yields."""
    x = call.arg(0, "x")
    if not (isinstance(x, Seq) and x.generator):
        return
    from .data import map_leaves

    ds = DatasetVal(map_leaves(x.elem, lambda t: Tensor(t.shape, t.dtype, "spec", t.origin, t.label)))
    if "x" in call.kwargs:
        call.kwargs["x"] = ds
    else:
        call.args[0] = ds


@method("model", "predict", "predict_on_batch", "__call__")
def _model_predict(call: Call) -> Value:
    model = call.receiver
    if call.name == "predict":
        _generator_as_dataset(call)
    x = call.arg(0, "x")
    if not isinstance(model, ModelVal) or x is None:
        return UNKNOWN
    from_data = isinstance(x, DatasetVal) and call.name == "predict"
    total: Dim = None  # rows of the whole output: predict concatenates its steps' outputs
    if isinstance(x, DatasetVal):
        from .data import traced_element

        if x.batch_rows is not None and "steps" not in call.kwargs:
            size, full, last = x.batch_rows
            total = size * full + last
        elem = traced_element(x)
        if isinstance(elem, Seq) and elem.items:
            elem = elem.items[0]
        x = elem
    if call.name in ("predict", "predict_on_batch"):
        custom = _run_custom_predict(call, model, x)
        if custom is not None:
            return custom
    out, rows = _run_on_data(call, model, x, training=False)
    if from_data:
        out = _rebatch(out, total, "np", call.span)
    elif rows is not None:  # the steps' outputs, concatenated
        out = _rebatch(out, rows, "np", call.span)
    # predict returns numpy arrays
    for t in tensors_in(out):
        t.kind = "np"
    return out


def _run_on_data(call: Call, model: ModelVal, x: Value, training: bool) -> tuple[Value, Dim]:
    """What one step of predict/fit/evaluate gives for the data ``x`` (with the quick fixes
    an error can offer), and the row count of the whole data when a step sees fewer."""
    note_input_dtypes(call.interp, model, x, call.span)
    step, rows = _step_input(call, model, x)
    try:
        return model_output_for(call.interp, model, step, call.span, call.node, training=training), rows
    except ShapeError as err:
        add_batch_axis_fix(err, x, _arg_node(call, 0, "x"))
        input_shape_fix(err, model, x)
        raise


def _arg_node(call: Call, index: int, name: str) -> ast.AST | None:
    if name in call.kwarg_nodes:
        return call.kwarg_nodes[name]
    return call.arg_nodes[index] if index < len(call.arg_nodes) else None


@method("model", "compile")
def _model_compile(call: Call) -> Value:
    model = call.receiver
    if isinstance(model, ModelVal):
        before = model.compiled
        model.compiled = dict(call.kwargs)
        if call.args:
            model.compiled.setdefault("optimizer", call.args[0])
        if len(call.args) > 1:
            model.compiled.setdefault("loss", call.args[1])
        # compiled here on some paths only: the loss is this one or the one before, and when
        # they differ which one is not known (check nothing)
        if (
            before is not None and not call.interp.certain_mutation(model)
            and not _same_loss(before.get("loss"), model.compiled.get("loss"))
        ):
            model.compiled["loss"] = Const(None)
        model.compile_span = call.span
        loss_node = _arg_node(call, 1, "loss")
        model.loss_span = Span.of(loss_node) if loss_node is not None else None
    return Const(None)


def _same_loss(a: Value | None, b: Value | None) -> bool:
    from .checks import loss_name

    if a is b:
        return True
    name = loss_name(a)
    return name is not None and name == loss_name(b)


@method("model", "fit", "evaluate", "train_on_batch", "test_on_batch")
def _model_fit(call: Call) -> Value:
    model = call.receiver
    if not isinstance(model, ModelVal):
        return UNKNOWN
    if call.name in ("fit", "evaluate"):
        _generator_as_dataset(call)
    from .checks import check_targets, check_training_call

    x, y = check_training_call(call, model)
    if call.name == "fit":
        _run_callbacks(call, model)
    if x is None:
        return UNKNOWN
    if _run_custom_step(call, model, x, y):
        return UNKNOWN
    if model.kind == "sequential" and model.inputs is None:
        ts = tensors_in(x)
        if ts:
            # Keras 3 builds it on the first batch, batch size included
            build_sequential(call.interp, model, ts[0].shape, _step_rows(call, x))
    if isinstance(x, (Tensor, Seq, DictVal)):
        training = call.name in ("fit", "train_on_batch")
        output, _rows = _run_on_data(call, model, x, training=training)
        check_targets(call, model, y, output)
        _run_compute_loss(call, model, x, y, output, training)
    if call.name == "fit":
        _run_validation(call, model)
    return UNKNOWN


def _run_validation(call: Call, model: ModelVal) -> None:
    """fit's ``validation_data``: Keras' test step runs the model on those batches too (traced
    with the validation dataset's own spec, whose batch may be unknown where the training one is
    fixed). Its layers' shapes join what the training data gave."""
    from .checks import split_dataset

    if _epoch_count(call) == 0:
        return  # no epoch: no validation either
    test_step = user_method(model, "test_step")
    if test_step is not None:
        _run_test_step_on_validation(call, model, test_step)
        return
    given = call.kwargs.get("validation_data")
    if isinstance(given, DatasetVal):
        x, _y = split_dataset(given)
    elif isinstance(given, Seq) and given.items is not None and len(given.items) in (2, 3):
        if "validation_batch_size" in call.kwargs:
            return  # arrays cut into batches of another size than the training ones
        x = given.items[0]
    else:
        return
    if not isinstance(x, (Tensor, Seq, DictVal)):
        return
    step, _rows = _step_input(call, model, x)
    model_output_for(call.interp, model, step, call.span, call.node, training=False)


def _run_compute_loss(call: Call, model: ModelVal, x: Value, y: Value | None, y_pred: Value, training: bool) -> None:
    """A subclass's own ``compute_loss``: Keras' train and test steps call it with one batch's
    ``x``, ``y``, the prediction and the sample weights (positionally), and ``training`` when
    it takes that argument."""
    fn = user_method(model, "compute_loss")
    if fn is None or not isinstance(model.instance, Instance):
        return
    step_x, _ = _step_input(call, model, x)
    step_y = _step_input(call, model, y)[0] if y is not None else Const(None)
    given_weights = (
        "sample_weight" in call.kwargs or "class_weight" in call.kwargs
        or not isinstance(call.arg(0, "x"), (Tensor, Seq, DictVal))  # a dataset may yield them
    )
    weights: Value = UNKNOWN if given_weights else Const(None)
    params = fn.node.args
    takes_training = any(a.arg == "training" for a in [*params.args, *params.kwonlyargs])
    kwargs: dict[str, Value] = {"training": Const(training)} if takes_training else {}
    call.interp.call_function(fn, [model.instance, step_x, step_y, y_pred, weights], kwargs, call.node)


# the hooks fit calls on a callback, in order, with their arguments past ``self``
_ONCE_HOOKS = (("set_model", "model"), ("on_train_begin", "logs"))
_EPOCH_BEGIN, _EPOCH_END = ("on_epoch_begin", "epoch"), ("on_epoch_end", "epoch")
_BATCH_HOOKS = (("on_train_batch_begin", "batch"), ("on_train_batch_end", "batch"))
_END_HOOKS = (("on_train_end", "logs"),)


def _run_callbacks(call: Call, model: ModelVal) -> None:
    """The user's own ``keras.callbacks.Callback`` subclasses given to fit: Keras sets their
    ``self.model`` and calls their hooks, so the code there runs with the real model. The
    train hooks run once; each epoch runs the epoch hooks around one or more batches' hooks.
    Epochs past the first, and batches past the first of an epoch, run any number of times
    more (`Interpreter.repeat_unknown_times`), so counters and lists kept on the callback
    become unknown; with no epoch to run (``epochs=0``) only the train hooks run."""
    given = call.kwargs.get("callbacks")
    if not isinstance(given, Seq) or given.items is None:
        return
    owner: Value = model.instance if isinstance(model.instance, Instance) else model
    epochs = _epoch_count(call)
    for cb in given.items:
        if not isinstance(cb, Instance) or not any(
            b.endswith("callbacks.Callback") for b in cb.cls.library_bases()
        ):
            continue
        if cb.cls.lookup("set_model") is None:
            cb.attrs["model"] = owner
        run = functools.partial(_run_hooks, call, cb, owner)
        run(_ONCE_HOOKS)
        epoch = functools.partial(_run_epoch, call.interp, run)
        if epochs is None:
            call.interp.repeat_unknown_times(epoch)
        elif epochs > 0:
            epoch()
            if epochs > 1:
                call.interp.repeat_unknown_times(epoch)
        run(_END_HOOKS)


_Hooks = tuple[tuple[str, str], ...]


def _run_epoch(interp: Interpreter, run: Callable[[_Hooks], None]) -> None:
    """One epoch's hooks: its begin, one or more batches, its end."""
    run((_EPOCH_BEGIN,))
    run(_BATCH_HOOKS)
    interp.repeat_unknown_times(functools.partial(run, _BATCH_HOOKS))
    run((_EPOCH_END,))


def _epoch_count(call: Call) -> int | None:
    """How many epochs fit runs (``epochs`` minus ``initial_epoch``), when known."""
    epochs = call.kwargs.get("epochs") or (call.args[4] if len(call.args) > 4 else Const(1))
    start = call.kwargs.get("initial_epoch", Const(0))
    if not (isinstance(epochs, Const) and isinstance(epochs.value, int) and not isinstance(epochs.value, bool)):
        return None
    if not (isinstance(start, Const) and isinstance(start.value, int) and not isinstance(start.value, bool)):
        return None
    return max(0, epochs.value - start.value)


def _run_hooks(call: Call, cb: Instance, owner: Value, hooks: _Hooks) -> None:
    for hook, first in hooks:
        fn = cb.cls.lookup(hook)
        if not isinstance(fn, FunctionVal):
            continue
        logs = DictVal({}, False, Unknown(None, float))
        index = Unknown(None, int)  # which epoch or batch: run-time
        args: list[Value] = [owner] if first == "model" else [logs] if first == "logs" else [index, logs]
        call.interp.call_function(fn, [cb, *args], {}, call.node)


def _unbatched(v: Value, rows: int | None = None) -> Value:
    """What one training batch looks like: the same structure with ``rows`` rows (None when
    the batches differ in size or come from a dataset)."""
    if isinstance(v, Tensor):
        dims = v.shape.dims
        shape = Shape((rows, *dims[1:])) if dims else v.shape
        kind = "keras" if v.kind == "keras" else "tf"
        return Tensor(shape, v.dtype, kind, v.origin, v.label)  # type: ignore[arg-type]
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_unbatched(i, rows) for i in v.items], v.kind)
    if isinstance(v, DictVal):
        return DictVal({k: _unbatched(i, rows) for k, i in v.items.items()})
    return UNKNOWN


def _step_rows(call: Call, x: Value) -> int | None:
    """The rows of every batch a train/test step sees, when they are all the same: tf.function
    traces the step with that concrete batch size. Array data only (a dataset's steps are traced
    with its element spec)."""
    ts = tensors_in(x)
    if not ts or any(t.kind == "spec" for t in ts):
        return None
    dims = ts[0].shape.dims
    return _uniform_step(call, dims[0]) if dims else None


def _run_custom_step(call: Call, model: ModelVal, x: Value, y: Value | None) -> bool:
    """A subclass with its own ``train_step``/``test_step``: Keras calls it with each batch."""
    inst = model.instance
    step = user_method(model, "test_step" if call.name in ("evaluate", "test_on_batch") else "train_step")
    if step is None:
        return False
    data = call.arg(0, "x")
    if isinstance(data, DatasetVal):
        given: Value = data.element  # the whole element: (x, y, sample_weight) stays a triple
    else:
        weights = call.kwargs.get("sample_weight")
        given = Seq([x] if y is None else [x, y] if weights is None else [x, y, weights], "tuple")
    call.interp.call_function(step, [inst, _step_data(call, given)], {}, call.node)
    test_step = user_method(model, "test_step")
    if call.name == "fit" and test_step is not None:
        _run_test_step_on_validation(call, model, test_step)
    return True


def _run_test_step_on_validation(call: Call, model: ModelVal, test_step: FunctionVal) -> None:
    """The model's own ``test_step`` gets each batch of fit's ``validation_data``: a dataset's
    element, or the (x, y[, sample_weight]) arrays as one batch."""
    given = call.kwargs.get("validation_data")
    if isinstance(given, DatasetVal):
        data: Value = given.element
    elif isinstance(given, Seq) and given.items:
        data = Seq(list(given.items), "tuple")
    else:
        return
    call.interp.call_function(test_step, [model.instance, _step_data(call, data)], {}, call.node)


def _step_data(call: Call, given: Value) -> Value:
    """The ``data`` a train/test step is called with: a dataset's element as its spec says
    (batch size included when ``drop_remainder`` fixes it), arrays as one batch (``x`` alone,
    or the tuple of x, y and sample weights)."""
    if any(t.kind == "spec" for t in tensors_in(given)):
        return given
    parts = given.items if isinstance(given, Seq) and given.items is not None else [given]
    rows = _step_rows(call, parts[0])
    batch = [_unbatched(p, rows) for p in parts]
    return batch[0] if len(batch) == 1 else Seq(batch, "tuple")


def _run_custom_predict(call: Call, model: ModelVal, x: Value) -> Value | None:
    """A subclass with its own ``predict_step``: Keras calls it with each batch and concatenates
    what it returns. That is the step's own result when one step sees all the data; with several
    steps the row count depends on what the step does with its batch, so it is left unknown.
    None when there is no such method."""
    inst = model.instance
    step = user_method(model, "predict_step")
    if step is None:
        return None
    rows = _step_rows(call, x)
    given = tensors_in(x)
    total = given[0].shape.dims[0] if given and given[0].shape.dims else None
    out = call.interp.call_function(step, [inst, _unbatched(x, rows)], {}, call.node)
    if not (isinstance(total, int) and total == rows):
        out = _rebatch(out, None, "np", call.span)
    for t in tensors_in(out):
        t.kind = "np"
    return out


@dataclass
class FunctionalGraph:
    """A functional model's graph, walked back from its outputs to its inputs."""

    layers: list[Value]  # in definition order, each once (a shared layer too)
    outputs: dict[int, Tensor]  # the first output each layer gave, by id(layer)
    complete: bool  # every tensor on the way came from a layer call or is a model input


def functional_graph(model: ModelVal) -> FunctionalGraph:
    inputs = {id(t) for t in tensors_in(model.inputs)} if model.inputs is not None else set()
    graph = FunctionalGraph([], {}, True)
    seen: set[int] = set()

    def walk(v: Value) -> None:
        for t in tensors_in(v):
            if id(t) in seen or id(t) in inputs:
                continue
            seen.add(id(t))
            if t.kind != "keras":
                continue  # an eager tensor or array is a constant of the graph
            if t.history is None or t.history[0] is JOIN_NODE:
                # an untracked step hides the layers before it; a tensor from one of several
                # paths does not say which path's layers the model holds
                graph.complete = False
                continue
            callee, args, kwargs, pos, _site = t.history
            for a in (*args, *kwargs.values()):
                walk(a)
            if isinstance(callee, OpNode):
                continue  # an op between layers: part of the graph, not one of its layers
            if pos == 0:
                graph.outputs.setdefault(id(callee), t)
            if callee not in graph.layers:
                graph.layers.append(callee)

    if model.outputs is not None:
        if any(t.kind != "keras" for t in tensors_in(model.outputs)):
            # an output that is no KerasTensor came through code the engine lost track of
            # (a layer called on an unknown value): what the model holds is not known
            graph.complete = False
        walk(model.outputs)
    return graph


def model_layers(model: ModelVal) -> list[Value]:
    """The layers of a model in definition order (a functional model's, from its graph)."""
    if model.kind == "sequential":
        return list(model.layers)
    return functional_graph(model).layers


@method("model", "get_layer")
def _get_layer(call: Call) -> Value:
    model = call.receiver
    if not isinstance(model, ModelVal):
        return UNKNOWN
    layers = model_layers(model)
    name = call.arg(0, "name")
    index = call.int(1, "index")
    if isinstance(name, Const) and isinstance(name.value, str):
        if model.kind == "application":
            from .layers.applications import application_layer

            found = application_layer(model, name.value)
            return found if found is not None else UNKNOWN
        for layer in layers:
            given = layer.kwargs.get("name") if isinstance(layer, LayerVal) else None
            if isinstance(given, Const) and given.value == name.value:
                return layer
            if isinstance(layer, ModelVal) and layer.name == name.value:
                return layer
            if isinstance(layer, Instance):
                given = layer.attrs.get("name")
                if isinstance(given, Const) and given.value == name.value:
                    return layer
        return UNKNOWN
    if isinstance(name, AutoName) and name.owner is not None and model.kind != "application":
        return _layer_by_auto_name(call, layers, name)
    if index is not None and model.kind == "sequential" and -len(layers) <= index < len(layers):
        return layers[index]
    return UNKNOWN


def _layer_by_auto_name(call: Call, layers: list[Value], name: AutoName) -> Value:
    """``model.get_layer(layer.name)`` for an automatically named layer: that layer, when no
    layer before it in the model may carry the same name (Keras returns the first match)."""
    owner = name.owner
    if not any(layer is owner for layer in layers):
        return UNKNOWN
    if not call.interp.auto_names_unique():
        return UNKNOWN
    for layer in layers:
        if layer is owner:
            return owner
        if not _surely_named_otherwise(layer, name):
            return UNKNOWN
    return UNKNOWN


def _surely_named_otherwise(layer: Value, name: AutoName) -> bool:
    """Whether ``layer`` certainly has another name than the automatic one ``name``."""
    if isinstance(layer, LayerVal):
        own = _layer_name(layer)
        if isinstance(own, AutoName):
            return True  # one counter per prefix numbers every automatic name once
        return isinstance(own, Const) and isinstance(own.value, str) and not name.may_equal(own.value)
    if isinstance(layer, ModelVal):
        if isinstance(layer.name, str):
            return not name.may_equal(layer.name)
        return name.prefix not in ("functional", "sequential")
    if isinstance(layer, Instance):
        given = layer.attrs.get("name")
        if isinstance(given, Const) and isinstance(given.value, str):
            return not name.may_equal(given.value)
        return snake_case(layer.cls.name) != name.prefix
    return False


@method("model", "summary", "save_weights", "load_weights", "get_weights", "set_weights")
def _model_misc(call: Call) -> Value:
    return Const(None) if call.name == "summary" else UNKNOWN


def path_key(path: Value | None) -> object | None:
    """What identifies a saved file: its normalised name when known, else the path value itself
    (the same variable passed to ``save`` and to ``load_model``)."""
    if isinstance(path, Const):
        return ("file", posixpath.normpath(path.value)) if isinstance(path.value, str) else None
    return ("value", id(path)) if isinstance(path, Unknown) and path.pytype in (None, str) else None


def forget_saved_paths(interp: Interpreter, values: Iterable[Value]) -> None:
    """A path handed to other code (a checkpoint callback, ``os.replace``, ``open``) may get
    another model or file: what ``load_model`` reads there is no longer known."""
    for v in values:
        key = path_key(v)
        if key is not None and key in interp.saved_models:
            interp.saved_models[key] = (v, None)


@function("keras.saving.save_model", "keras.models.save_model")
def _save_model_function(call: Call) -> Value:
    return _remember_saved(call, call.arg(0, "model"), call.arg(1, "filepath"))


@method("model", "save")
def _save(call: Call) -> Value:
    """``model.save(path)``: ``load_model(path)`` gives a model like this one as it is now."""
    return _remember_saved(call, call.receiver, call.arg(0, "filepath"))


def _remember_saved(call: Call, model: Value | None, path: Value | None) -> Value:
    key = path_key(path)
    if key is None or path is None or not isinstance(model, ModelVal):
        return Const(None)
    interp = call.interp
    certain = not interp.uncertain_depth and key not in interp.saved_models
    copy = clone_of(interp, model, call.span) if certain else None
    if copy is not None:
        # the file keeps the compile configuration: load_model compiles the model again
        copy.compiled = dict(model.compiled) if model.compiled is not None else None
    interp.saved_models[key] = (path, copy)
    return Const(None)


@function("keras.saving.load_model")
def _load_model(call: Call) -> Value:
    """A model this program saved to that path (functional or Sequential): a fresh copy."""
    key = path_key(call.arg(0, "filepath"))
    entry = call.interp.saved_models.get(key) if key is not None else None
    if entry is None or entry[1] is None:
        return UNKNOWN
    loaded = clone_of(call.interp, entry[1], call.span)
    if loaded is None:
        return UNKNOWN
    recompile = call.arg(2, "compile")
    if recompile is None or (isinstance(recompile, Const) and recompile.value is True):
        loaded.compiled = dict(entry[1].compiled) if entry[1].compiled is not None else None
    elif not (isinstance(recompile, Const) and recompile.value is False):
        loaded.escaped = True  # whether it is compiled is not known
    return loaded


@attribute("model", "output")
def _model_output_attribute(v: Value) -> Value:
    if isinstance(v, ModelVal):
        check_defined(v, "output")
    return _model_output(v, unwrap=not _keeps_structure(v))


def _keeps_structure(v: Value) -> bool:
    """A functional model's ``.input``/``.output`` are the structures it was built with (Keras
    3): ``keras.Model([a], [b]).output`` is a list of one tensor."""
    return isinstance(v, ModelVal) and v.kind in ("functional", "application")


def _model_output(v: Value, unwrap: bool = True) -> Value:
    if isinstance(v, ModelVal) and v.outputs is not None:
        outs = v.outputs
        if unwrap and isinstance(outs, Seq) and outs.items is not None and len(outs.items) == 1:
            return outs.items[0]
        return outs
    return UNKNOWN


@attribute("model", "outputs")
def _model_outputs(v: Value) -> Value:
    if isinstance(v, ModelVal) and v.outputs is not None:
        outs = v.outputs
        if isinstance(outs, Tensor):
            return Seq([outs], "list")
        return outs
    return UNKNOWN


@attribute("model", "input")
def _model_input_attribute(v: Value) -> Value:
    if isinstance(v, ModelVal):
        check_defined(v, "input")
    return _model_input(v, unwrap=not _keeps_structure(v))


def _model_input(v: Value, unwrap: bool = True) -> Value:
    if isinstance(v, ModelVal) and v.inputs is not None:
        ins = v.inputs
        if unwrap and isinstance(ins, Seq) and ins.items is not None and len(ins.items) == 1:
            return ins.items[0]
        return ins
    return UNKNOWN


@attribute("model", "inputs")
def _model_inputs(v: Value) -> Value:
    if isinstance(v, ModelVal) and v.inputs is not None:
        return v.inputs if not isinstance(v.inputs, Tensor) else Seq([v.inputs], "list")
    return UNKNOWN


@attribute("model", "layers")
def _model_layers(v: Value) -> Value:
    if isinstance(v, ModelVal) and v.kind == "sequential":
        return Seq(list(v.layers), "list")
    if isinstance(v, ModelVal) and (v.kind == "functional" or built_functionally(v)):
        ordered = keras_layer_order(v)
        if ordered is not None:
            return Seq(ordered, "list")
    return UNKNOWN


def _input_layer(model: ModelVal, t: Tensor) -> LayerVal:
    """The InputLayer Keras lists for one of a functional model's inputs: a weightless layer
    named after its Input (freezing it, as ``for layer in model.layers`` does, changes
    nothing). The same value on every read, as ``model.layers[0]`` is one object."""
    if model.input_layer is None:
        model.input_layer = {}
    made = model.input_layer.get(id(t))
    if made is None:
        kwargs: dict[str, Value] = {"name": Const(t.name)} if t.name else {}
        made = LayerVal(LAYERS["InputLayer"], [], kwargs, t.origin or model.origin, outputs=t, symbolic_output=t)
        model.input_layer[id(t)] = made
    return made


def keras_layer_order(model: ModelVal) -> list[Value] | None:
    """``model.layers`` of a functional model in Keras' own order: its graph walked
    from the outputs (each operation numbered when first reached), every operation given the
    largest number of steps from it to an output, then listed deepest first, ties in that
    numbering. Ops between layers take part but are not layers. None when the graph is not
    fully known."""
    inputs = _keras_flatten(model.inputs) if model.inputs is not None else None
    if not inputs or any(t.history is not None for t in inputs) or model.outputs is None:
        return None
    if len({id(t) for t in inputs}) != len(inputs) or not functional_graph(model).complete:
        return None
    input_keys: dict[int, object] = {id(t): ("input", id(t)) for t in inputs}
    input_of = {key: t for t in inputs for key in [input_keys[id(t)]]}
    index: dict[object, int] = {}  # operation -> traversal number
    operation_of: dict[object, object] = {k: k for k in input_keys.values()}  # node -> operation
    parents: dict[object, list[object]] = {k: [] for k in input_keys.values()}
    decreasing: list[object] = []  # nodes, inputs first
    finished: set[object] = set()

    def node_of(t: Tensor) -> tuple[object, object] | None:
        if id(t) in input_keys:
            return input_keys[id(t)], input_keys[id(t)]
        if t.history is None or t.history[0] is JOIN_NODE:
            return None
        callee, args, kwargs, _pos, _site = t.history
        key = ("node", id(callee), id(args), id(kwargs))
        # every call of a keras op is an operation of its own; a layer is one operation
        return key, (key if isinstance(callee, OpNode) else ("layer", id(callee)))

    layer_of: dict[object, Value] = {}

    def visit(t: Tensor) -> bool:
        found = node_of(t)
        if found is None:
            return False
        key, op = found
        if key in finished:
            return True
        index.setdefault(op, len(index))
        operation_of[key] = op
        if key not in input_of:
            assert t.history is not None
            callee, args, kwargs, _pos, _site = t.history
            if isinstance(callee, LayerVal) and callee.config_cache.get("app"):
                return False  # a layer inside an application: the layers between are not listed
            if not isinstance(callee, OpNode):
                layer_of[op] = callee
            # Keras flattens a call's arguments positionally, then its keywords by name
            given = [*args, *(kwargs[k] for k in sorted(kwargs))]
            fed = [x for a in given for x in tensors_in(a) if x.kind == "keras"]
            parents[key] = []
            for x in fed:
                if not visit(x):
                    return False
                parent = node_of(x)
                assert parent is not None
                parents[key].append(parent[0])
        finished.add(key)
        decreasing.append(key)
        return True

    outputs = _keras_flatten(model.outputs)
    if outputs is None:
        return None
    for out in outputs:
        if not visit(out):
            return None
    node_depth: dict[object, int] = {}
    op_depth: dict[object, int] = {}
    for key in reversed(decreasing):
        op = operation_of[key]
        depth = max(node_depth.setdefault(key, 0), op_depth.get(op, 0))
        op_depth[op] = node_depth[key] = depth
        for parent in parents.get(key, []):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for key in input_of:
        if key not in op_depth:
            op_depth[key], index[key] = 0, -1  # an input the outputs do not use
    ordered = sorted(op_depth, key=lambda op: (-op_depth[op], index[op]))
    layers: list[Value] = []
    for op in ordered:
        if op in input_of:
            layers.append(_input_layer(model, input_of[op]))
        elif op in layer_of:
            layers.append(layer_of[op])
    return layers


def _keras_flatten(v: Value) -> list[Tensor] | None:
    """A structure's tensors in the order Keras flattens it (a dict by its sorted keys)."""
    if isinstance(v, Tensor):
        return [v]
    if isinstance(v, Seq) and v.items is not None:
        parts = [_keras_flatten(i) for i in v.items]
    elif isinstance(v, DictVal) and all(isinstance(k, str) for k in v.items):
        parts = [_keras_flatten(v.items[k]) for k in sorted(v.items, key=str)]
    else:
        return None
    if any(p is None for p in parts):
        return None
    return [t for p in parts if p is not None for t in p]


def _io_shapes(io: Value) -> Value:
    """``model.output_shape`` / ``input_shape``: one shape tuple, or for several tensors a
    list of them in the order Keras flattens the structure (a dict by its sorted keys)."""
    from .values import shape_value

    if isinstance(io, Tensor):
        return shape_value(io.shape)
    flat = _keras_flatten(io) if isinstance(io, (Seq, DictVal)) else None
    if not flat:
        return UNKNOWN
    if len(flat) == 1:
        return shape_value(flat[0].shape)
    return Seq([shape_value(t.shape) for t in flat], "list")


@attribute("model", "output_shape")
def _model_output_shape(v: Value) -> Value:
    return _io_shapes(_model_output(v))


@attribute("model", "input_shape")
def _model_input_shape(v: Value) -> Value:
    return _io_shapes(_model_input(v))


@attribute("layer", "output")
def _layer_output(v: Value) -> Value:
    """The output of the layer's first symbolic call (eager calls leave it as it was)."""
    if isinstance(v, LayerVal) and v.symbolic_output is not None:
        return v.symbolic_output
    return UNKNOWN


def _weight_getter(weight: str) -> Callable[[Value], Value]:
    """``layer.kernel`` and friends: the variable, once the layer is built."""

    def get(v: Value) -> Value:
        from .params import weight_shape

        shape = weight_shape(v, weight)
        if shape is None or not isinstance(v, LayerVal):
            return UNKNOWN
        # variables stay float32 under a mixed policy (and a float16 policy may be mixed or
        # not: unknown); another dtype= is not read here
        known = v.policy if v.policy in ("float32", "float64") else None
        return Tensor(shape, known if "dtype" not in v.kwargs else None, "tf")

    return get


for _weight in ("kernel", "bias", "embeddings"):
    attribute("layer", _weight)(_weight_getter(_weight))


@method("layer", "get_weights")
def _layer_get_weights(call: Call) -> Value:
    """A built Dense/ConvND/Embedding layer's weights as numpy arrays (kernel, then bias)."""
    from .params import weight_list

    layer = call.receiver
    if not isinstance(layer, LayerVal) or "dtype" in layer.kwargs:
        return UNKNOWN
    shapes = weight_list(layer)
    if shapes is None:
        return UNKNOWN
    dtype = layer.policy if layer.policy in ("float32", "float64") else None
    return Seq([Tensor(shape, dtype, "np") for shape in shapes], "list")


def _given_config_int(param: str) -> Callable[[Value], Value]:
    """``dense.units``, ``conv.filters``, ``emb.output_dim``...: Keras keeps these integers as
    they were given, so the attribute is the argument (when it is an int)."""

    def get(v: Value) -> Value:
        if not isinstance(v, LayerVal) or param not in v.spec.params:
            return UNKNOWN
        given = v.kwargs.get(param)
        at = v.spec.positions.get(param)
        if given is None and at is not None and at < len(v.args):
            given = v.args[at]
        if isinstance(given, Const) and type(given.value) is int:
            return given
        return Unknown(None, int) if given is not None else UNKNOWN

    return get


for _param in ("units", "filters", "input_dim", "output_dim", "num_heads", "key_dim"):
    attribute("layer", _param)(_given_config_int(_param))


@attribute("model", "name")
def _model_name(v: Value) -> Value:
    """A model's name where it is known: the one given, or an application's default."""
    if isinstance(v, ModelVal) and isinstance(v.name, str) and v.kind in ("application", "sequential", "functional"):
        return Const(v.name)
    return Unknown(None, str)


@attribute("layer", "name")
def _layer_name(v: Value) -> Value:
    """A built-in layer's name: the one it was given, else Keras' automatic one."""
    if not isinstance(v, LayerVal):
        return UNKNOWN
    given = v.kwargs.get("name")
    at = v.spec.positions.get("name")
    if given is None and at is not None and at < len(v.args):
        given = v.args[at]
    if given is None:
        if len(v.args) > len(v.spec.params):
            return Unknown(None, str)  # more positional arguments than the engine reads
        return AutoName(None, str, snake_case(v.spec.name), v)
    if isinstance(given, Const) and isinstance(given.value, str):
        return given
    return Unknown(None, str)


# Keras' short aliases name the class they stand for (MaxPool2D is a MaxPooling2D)
_ALIAS_CLASS_PARTS = {
    "Convolution": "Conv", "MaxPool": "MaxPooling", "AvgPool": "AveragePooling",
    "GroupQueryAttention": "GroupedQueryAttention",
}
_ALIAS_PARTS = re.compile(r"GroupQueryAttention|Convolution|MaxPool(?!ing)|AvgPool")


def snake_case(class_name: str) -> str:
    """Keras' automatic layer-name stem: ``BatchNormalization`` -> ``batch_normalization``,
    ``ReLU`` -> ``re_lu``, ``Conv2DTranspose`` -> ``conv2d_transpose``."""
    class_name = _ALIAS_PARTS.sub(lambda m: _ALIAS_CLASS_PARTS[m.group(0)], class_name)
    text = re.sub(r"\W+", "", class_name)
    text = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", text)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", text).lower()


@attribute("layer", "input")
def _layer_input(v: Value) -> Value:
    if isinstance(v, LayerVal) and v.built_input is not None:
        return v.built_input  # type: ignore[no-any-return]
    return UNKNOWN


@attribute("layer", "built")
def _layer_built(v: Value) -> Value:
    """Built once called (or ``build()`` run) on every path; not built while neither happened
    and no code the engine cannot follow has had it."""
    if not isinstance(v, LayerVal):
        return UNKNOWN
    if v.built_input is not None:
        return UNKNOWN if v.build_uncertain or v.build_conflict else Const(True)
    return UNKNOWN if v.escaped else Const(False)


@method("layer", "build")
def _layer_build(call: Call) -> Value:
    """``layer.build(input_shape)`` of a built-in layer: built as a call on tensors of those
    shapes would build it (nothing changes when it is built already, as Keras does)."""
    layer = call.receiver
    assert isinstance(layer, LayerVal)
    if layer.built_input is not None or layer.escaped:
        return Const(None)  # built already, or maybe by code the engine did not follow
    inputs: list[Value] = []
    readable = bool(call.args) and not call.kwargs
    for arg in call.args:
        if isinstance(arg, Seq) and arg.items and all(isinstance(i, Seq) for i in arg.items):
            parts = [_shape_tensor(i) for i in arg.items]
            readable = readable and None not in parts
            inputs.append(Seq([p for p in parts if p is not None], "list"))
        else:
            one = _shape_tensor(arg)
            readable = readable and one is not None
            inputs.append(one if one is not None else UNKNOWN)
    if not readable:
        layer.escaped = True  # built in a way not read here
        return Const(None)
    layer.built_input = inputs[0]
    layer.built_call = (inputs, {})
    layer.build_uncertain = not call.interp.certain_mutation(layer)
    return Const(None)


def _shape_tensor(v: Value) -> Tensor | None:
    shape = as_shape(v)
    return Tensor(shape, "float32", "keras") if shape.dims is not None else None


@method("layer", "__call__")
def _layer_call(call: Call) -> Value:
    layer = call.receiver
    assert isinstance(layer, LayerVal)
    return apply_layer(call.interp, layer, call.args, call.kwargs, call.span, direct=True)

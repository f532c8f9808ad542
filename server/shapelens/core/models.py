"""Keras models: Sequential (list form, ``.add``, input from the first layer or an Input, built on
first use), functional ``Model(inputs, outputs)``, user subclasses, and calling/predicting with
them. Every layer inside a Sequential gets its output recorded at its constructor's line."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from .calls import apply_layer, call_custom_layer, result_kind
from .facts import Span
from .registry import Call, attribute, function, method
from .shapes import UNKNOWN_SHAPE, Dim, Shape
from .values import (
    UNKNOWN,
    Const,
    DatasetVal,
    DictVal,
    Instance,
    LayerVal,
    ModelVal,
    Seq,
    Tensor,
    Value,
    as_shape,
    tensors_in,
)

if TYPE_CHECKING:
    from .interpreter import Interpreter


# ----------------------------------------------------------------------------------------------
# Sequential


@function("keras.Sequential")
def sequential(call: Call) -> Value:
    model = ModelVal("sequential", origin=call.span)
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
        return
    if isinstance(item, LayerVal) and item.spec.name == "InputLayer" and not model.layers:
        shape = _first_layer_input(item)
        if shape is not None:
            t = Tensor(shape, "float32", "keras", item.origin, f"InputLayer at line {_line(item.origin)}")
            model.inputs = t
            model.outputs = t
        return
    if not model.layers and model.inputs is None:
        shape = _first_layer_input(item)
        if shape is not None:
            origin = item.origin if isinstance(item, LayerVal) else None
            dtype = "float32"
            t = Tensor(shape, dtype, "keras", origin, f"input_shape at line {_line(origin)}")
            model.inputs = t
            model.outputs = t
            model.input_from_first_layer = True
    model.layers.append(item)
    model.spans.append(_origin(item))
    if model.outputs is not None and isinstance(model.outputs, Tensor):
        model.outputs = _apply_item(interp, item, model.outputs)


def _origin(item: Value) -> Span | None:
    if isinstance(item, (LayerVal, Instance, ModelVal)):
        return item.origin
    return None


def _line(span: Span | None) -> int:
    return span.line if span is not None else 0


def _apply_item(interp: Interpreter, item: Value, x: Value) -> Value:
    """Apply one element of a Sequential to ``x``, recording at the element's constructor."""
    site = _origin(item)
    if isinstance(item, LayerVal):
        return apply_layer(interp, item, [x], {}, site or Span(1, 0, 1, 0), record=site is not None)
    if isinstance(item, Instance) and interp.is_keras_layer_class(item.cls):
        node = _span_node(site)
        return call_custom_layer(interp, item, [x], {}, site or Span(1, 0, 1, 0), node, record=site is not None)
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


def build_sequential(interp: Interpreter, model: ModelVal, input_shape: Shape) -> None:
    """Build a Sequential that had no input yet (first call, ``build``, ``fit``/``predict``)."""
    if model.kind != "sequential" or model.inputs is not None or input_shape.dims is None:
        return
    x = Tensor(Shape((None, *input_shape.dims[1:])), "float32", "keras", None, "model input")
    model.inputs = x
    out: Value = x
    for item in model.layers:
        out = _apply_item(interp, item, out)
    model.outputs = out


@method("model", "add")
def _model_add(call: Call) -> Value:
    model = call.receiver
    item = call.arg(0, "layer")
    if isinstance(model, ModelVal) and item is not None:
        _add(call.interp, model, item)
    return Const(None)


@method("model", "build")
def _model_build(call: Call) -> Value:
    model = call.receiver
    if isinstance(model, ModelVal):
        shape = call.shape(0, "input_shape")
        if model.kind == "sequential":
            build_sequential(call.interp, model, shape)
        elif model.kind == "subclass" and model.instance is not None and shape.dims is not None:
            x = Tensor(shape, "float32", "keras")
            call_custom_layer(call.interp, model.instance, [x], {}, call.span, call.node, record=False)
    return Const(None)


# ----------------------------------------------------------------------------------------------
# functional


@function("keras.Model")
def functional_model(call: Call) -> Value:
    model = ModelVal("functional", origin=call.span)
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


def _batch_of(x: Value) -> Dim:
    ts = tensors_in(x)
    if ts and ts[0].shape.dims:
        return ts[0].shape.dims[0]
    return None


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


def model_output_for(interp: Interpreter, model: ModelVal, x: Value, site: Span, node: ast.AST) -> Value:
    """What the model returns for input ``x`` (symbolic or eager)."""
    kind = result_kind([x])
    if model.kind == "sequential":
        if model.inputs is None:
            ts = tensors_in(x)
            if ts:
                build_sequential(interp, model, ts[0].shape)
        if model.outputs is None:
            return Tensor(UNKNOWN_SHAPE, None, kind, site)
        return _rebatch(model.outputs, _batch_of(x), kind, site)
    if model.kind == "functional":
        if model.outputs is None:
            return UNKNOWN
        return _rebatch(model.outputs, _batch_of(x), kind, site)
    if model.kind == "subclass" and model.instance is not None:
        return call_custom_layer(interp, model.instance, [x], {}, site, node, record=False)
    return UNKNOWN


def call_model(
    interp: Interpreter, model: ModelVal, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> Value:
    x = args[0] if args else kwargs.get("inputs", UNKNOWN)
    site = Span.of(node)
    out = model_output_for(interp, model, x, site, node)
    main = tensors_in(out)
    if main:
        interp.record_span(site, model.name or "Model", main[0], "layer")
    return out


@method("model", "predict", "predict_on_batch", "__call__")
def _model_predict(call: Call) -> Value:
    model = call.receiver
    x = call.arg(0, "x")
    if not isinstance(model, ModelVal) or x is None:
        return UNKNOWN
    if isinstance(x, DatasetVal):
        elem = x.element
        if isinstance(elem, Seq) and elem.items:
            elem = elem.items[0]
        x = elem
    out = model_output_for(call.interp, model, x, call.span, call.node)
    # predict returns numpy arrays
    for t in tensors_in(out):
        t.kind = "np"
    return out


@method("model", "compile")
def _model_compile(call: Call) -> Value:
    model = call.receiver
    if isinstance(model, ModelVal):
        model.compiled = dict(call.kwargs)
        if call.args:
            model.compiled.setdefault("optimizer", call.args[0])
        if len(call.args) > 1:
            model.compiled.setdefault("loss", call.args[1])
        model.compile_span = call.span
    return Const(None)


@method("model", "fit", "evaluate", "train_on_batch", "test_on_batch")
def _model_fit(call: Call) -> Value:
    model = call.receiver
    if isinstance(model, ModelVal) and model.kind == "sequential" and model.inputs is None:
        x = call.arg(0, "x")
        if isinstance(x, DatasetVal):
            x = x.element.items[0] if isinstance(x.element, Seq) and x.element.items else x.element
        ts = tensors_in(x) if x is not None else []
        if ts:
            build_sequential(call.interp, model, ts[0].shape)
    return UNKNOWN


@method("model", "summary", "save", "save_weights", "load_weights", "get_weights", "set_weights")
def _model_misc(call: Call) -> Value:
    return Const(None) if call.name == "summary" else UNKNOWN


@attribute("model", "output")
def _model_output(v: Value) -> Value:
    if isinstance(v, ModelVal) and v.outputs is not None:
        outs = v.outputs
        if isinstance(outs, Seq) and outs.items is not None and len(outs.items) == 1:
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
def _model_input(v: Value) -> Value:
    if isinstance(v, ModelVal) and v.inputs is not None:
        ins = v.inputs
        if isinstance(ins, Seq) and ins.items is not None and len(ins.items) == 1:
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
    return UNKNOWN


@attribute("model", "output_shape")
def _model_output_shape(v: Value) -> Value:
    from .values import shape_value

    out = _model_output(v)
    return shape_value(out.shape) if isinstance(out, Tensor) else UNKNOWN


@attribute("model", "input_shape")
def _model_input_shape(v: Value) -> Value:
    from .values import shape_value

    inp = _model_input(v)
    return shape_value(inp.shape) if isinstance(inp, Tensor) else UNKNOWN


@attribute("layer", "output")
def _layer_output(v: Value) -> Value:
    if isinstance(v, LayerVal) and v.outputs is not None:
        return v.outputs
    return UNKNOWN


@attribute("layer", "input")
def _layer_input(v: Value) -> Value:
    if isinstance(v, LayerVal) and v.built_input is not None:
        return v.built_input  # type: ignore[no-any-return]
    return UNKNOWN


@method("layer", "__call__")
def _layer_call(call: Call) -> Value:
    layer = call.receiver
    assert isinstance(layer, LayerVal)
    return apply_layer(call.interp, layer, call.args, call.kwargs, call.span)

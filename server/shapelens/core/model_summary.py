"""The static ``model.summary()``: a model's layers in order with their output shapes and
parameter counts, without running anything.

A Sequential lists its layers; a functional model lists its Input tensors and then every layer
its outputs depend on, found by walking the recorded call history back from the outputs (a
layer reused at several places is listed and counted once, as in Keras). A nested model counts
as one row with its own total; a custom layer counts its own weights and its sublayers'
(custom_layer_params), and a keras.Model subclass lists the layers it keeps in attributes.
Counts that cannot be known (unread config, a weight of unknown shape) are left unknown and the
total becomes a lower bound. No table at all where the layer list itself is
uncertain: layers added in a loop of unknown length or in one branch of an ``if``, ``pop()``,
outputs the engine cannot follow back.

``trainable = False`` on a layer or a model moves its weights to the non-trainable count; set on
something the engine cannot identify, or on a model handed to code it cannot see, the trainable
split is unknown (the total is not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .calls import builtin_base_spec
from .custom_layer_params import holds_unknown_containers, tracked_sublayers
from .layers.base import LayerCall
from .model_table import ModelTable, TableRow
from .models import built_functionally, functional_graph, made_from_graph
from .params import Weights, frozen, layer_weights
from .values import (
    Const,
    DictVal,
    Instance,
    LayerVal,
    ModelVal,
    Seq,
    Tensor,
    Value,
    describe_structure,
    tensors_in,
)

_MAX_ROWS = 500
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class _Count:
    total: int | None
    trainable: int | None


def summarize(model: ModelVal, trainable_known: bool = True, depth: int = 0) -> ModelTable | None:
    """The layer table of a model whose layers are known, else None."""
    kind = "functional" if built_functionally(model) else model.kind
    if kind == "subclass" and made_from_graph(model):
        # a graph and layers or weights in attributes too: the attribute walk would miss the
        # graph's layers, and which attribute layers are also in the graph is not followed
        return None
    if kind == "subclass" and isinstance(model.instance, Instance) and depth <= _MAX_DEPTH:
        return _subclass_table(model, model.instance, trainable_known, depth)
    if kind == "application":
        return _application_table(model, trainable_known)
    if kind not in ("sequential", "functional") or depth > _MAX_DEPTH or model.layers_uncertain:
        return None
    if model.escaped:
        # handed to code the engine cannot see: a Sequential may get layers there, any model
        # may have layers frozen there
        if kind == "sequential":
            return None
        trainable_known = False
    rows: list[TableRow] = []
    counts: list[_Count] = []
    outputs: dict[int, Tensor] = {}
    layers: list[Value] = list(model.layers)
    if kind == "functional":
        if model.inputs is None or not _only_tensors(model.inputs) or not _only_tensors(model.outputs):
            return None
        graph = functional_graph(model)
        if not graph.complete:
            return None
        layers, outputs = graph.layers, graph.outputs
        for t in tensors_in(model.inputs):
            rows.append(TableRow("InputLayer", describe_structure(t), 0, t.name or "", 0))
            counts.append(_Count(0, 0))
    model_frozen = frozen(model.trainable)
    for layer in layers[:_MAX_ROWS]:
        count = _count(layer, trainable_known, depth)
        if count.total == 0:
            pass  # nothing to train, whatever is frozen
        elif model_frozen is None or not trainable_known:
            count = _Count(count.total, None)
        elif model_frozen:
            count = _Count(count.total, 0 if count.total is not None else None)
        counts.append(count)
        rows.append(
            TableRow(_class_name(layer), _output_of(layer, outputs.get(id(layer))), count.total,
                     _name_of(layer), count.trainable)
        )
    if not rows:
        return None
    total = _sum(c.total for c in counts)
    trainable = _sum(c.trainable for c in counts) if total is not None else None
    members = [m for layer in layers[:_MAX_ROWS] for m in _members(layer)]
    if len(members) != len(set(members)):
        # a layer inside a custom layer is also used on its own (or in another one): Keras
        # counts its weights once, the rows would count them twice
        total = trainable = None
    return ModelTable(tuple(rows), total, trainable)


def set_layers_trainable(model: ModelVal, value: Value, depth: int = 0) -> bool:
    """``model.trainable = value`` as Keras does it: every layer inside, nested models and
    custom layers' sublayers included, gets the flag, so other models sharing them count them
    the same way. False where not every layer could be reached (an application's layers, a
    subclass's, a graph through unknown steps): those keep their own flags."""
    if depth > _MAX_DEPTH:
        return False
    if model.kind == "functional" or built_functionally(model):
        if model.inputs is None or not _only_tensors(model.inputs) or not _only_tensors(model.outputs):
            return False
        graph = functional_graph(model)
        if not graph.complete:
            return False
        layers: list[Value] = list(graph.layers)
    elif model.kind == "sequential" and not model.escaped:
        layers = list(model.layers)
    else:
        return False
    return all(_set_trainable_in(layer, value, depth + 1) for layer in layers)


def _set_trainable_in(layer: Value, value: Value, depth: int) -> bool:
    if isinstance(layer, LayerVal):
        layer.kwargs["trainable"] = value
        inner = _wrapped(layer)
        return inner is None or _set_trainable_in(inner, value, depth + 1)
    if isinstance(layer, ModelVal):
        layer.trainable = value
        return set_layers_trainable(layer, value, depth)
    if isinstance(layer, Instance) and layer.model is None and depth <= _MAX_DEPTH:
        layer.attrs["trainable"] = value
        return all(_set_trainable_in(sub, value, depth + 1) for sub in tracked_sublayers(layer))
    return False


def _sum(values: Iterable[int | None]) -> int | None:
    out = 0
    for v in values:
        if v is None:
            return None
        out += v
    return out


def _only_tensors(v: Value | None) -> bool:
    """A structure of tensors only (an unknown element may hide anything)."""
    if isinstance(v, Tensor):
        return True
    if isinstance(v, Seq):
        return v.items is not None and bool(v.items) and all(_only_tensors(i) for i in v.items)
    if isinstance(v, DictVal):
        return bool(v.items) and all(_only_tensors(i) for i in v.items.values())
    return False


def _count(layer: Value, trainable_known: bool, depth: int) -> _Count:
    if (
        isinstance(layer, ModelVal) and layer.kind == "subclass" and isinstance(layer.instance, Instance)
        and not made_from_graph(layer)
    ):
        return _instance_count(layer.instance, trainable_known, depth + 1, frozen(layer.trainable))
    if isinstance(layer, Instance) and layer.model is None:
        return _instance_count(layer, trainable_known, depth)
    if isinstance(layer, ModelVal):
        table = summarize(layer, trainable_known, depth + 1)
        if table is None:
            return _Count(None, None)
        return _Count(table.total, table.trainable)
    inner = _wrapped(layer)
    if isinstance(inner, ModelVal):
        # TimeDistributed(a model): the model's weights, applied to every step
        table = summarize(inner, trainable_known, depth + 1)
        if table is None or table.total is None or table.trainable is None:
            return _Count(table.total if table is not None else None, None)
        weights: Weights | None = Weights(table.trainable, table.total - table.trainable)
    else:
        weights = layer_weights(layer)
    if weights is None:
        return _Count(None, None)
    if weights.total == 0:
        return _Count(0, 0)  # nothing to train, whatever is frozen
    state = frozen(layer.kwargs.get("trainable")) if isinstance(layer, LayerVal) else False
    if isinstance(inner, LayerVal) and state is not True:
        # a wrapper's weights are its inner layer's: frozen when either is
        inner_state = frozen(inner.kwargs.get("trainable"))
        state = True if inner_state is True else None if inner_state is None else state
    if state is None or not trainable_known:
        return _Count(weights.total, None)
    return _Count(weights.total, 0 if state else weights.trainable)


def _application_table(model: ModelVal, trainable_known: bool) -> ModelTable | None:
    """A keras.applications model: one row for its whole backbone (its layers are Keras')."""
    from .layers.applications import application_params

    counts = application_params(model)
    total, trainable = counts if counts is not None else (None, None)
    state = frozen(model.trainable)
    if state is None or not trainable_known or model.escaped:
        trainable = None
    elif state and total is not None:
        trainable = 0
    backbone = model.layers[0] if model.layers else None
    row = TableRow(
        _class_name(backbone) if backbone is not None else "Functional", _output_of(model, None),
        total, model.name or "", trainable,
    )
    return ModelTable((row,), total, trainable)


def _subclass_table(model: ModelVal, inst: Instance, trainable_known: bool, depth: int) -> ModelTable | None:
    """A keras.Model subclass lists the layers it keeps in attributes, as its summary does;
    its weights are theirs plus its own (`_instance_count`)."""
    subs = tracked_sublayers(inst)
    if not subs:
        return None
    if model.escaped:
        trainable_known = False
    rows = []
    for sub in subs[:_MAX_ROWS]:
        c = _count(sub, trainable_known, depth)
        rows.append(TableRow(_class_name(sub), _output_of(sub, None), c.total, _name_of(sub), c.trainable))
    count = _instance_count(inst, trainable_known, depth, model_frozen=frozen(model.trainable))
    members = [m for sub in subs for m in _members(sub)]
    if len(members) != len(set(members)):
        return ModelTable(tuple(rows), None, None)
    return ModelTable(tuple(rows), count.total, count.trainable)


def _instance_count(
    inst: Instance, trainable_known: bool, depth: int, model_frozen: bool | None = False
) -> _Count:
    """A custom layer: its own weights plus its tracked sublayers' (custom_layer_params)."""
    if (
        depth > _MAX_DEPTH
        or inst.weights_uncertain
        or holds_unknown_containers(inst)
        or (not inst.built and inst.cls.lookup("build") is not None)
    ):
        return _Count(None, None)
    counts = [
        _Count(n, None if flag is None or n is None else (n if flag else 0)) for n, flag in inst.own_weights
    ]
    if builtin_base_spec(inst.cls) is not None:
        # the built-in layer's own weights (none known when its __init__ was not seen)
        counts.append(_count(inst.base_layer, trainable_known, depth + 1) if inst.base_layer is not None else _Count(None, None))
    counts += [_count(sub, trainable_known, depth + 1) for sub in tracked_sublayers(inst)]
    total = _sum(c.total for c in counts)
    trainable = _sum(c.trainable for c in counts) if total is not None and trainable_known else None
    state = model_frozen if inst.model is not None else frozen(inst.attrs.get("trainable"))
    if state is None:
        return _Count(total, None)
    return _Count(total, 0 if state and total is not None else trainable)


def _wrapped(layer: Value) -> Value | None:
    """The layer or model a ``TimeDistributed`` or ``Bidirectional`` layer wraps."""
    if not isinstance(layer, LayerVal) or layer.spec.name not in ("TimeDistributed", "Bidirectional"):
        return None
    return LayerCall(layer, [], {}).raw("layer")


def _members(layer: Value, depth: int = 0) -> list[int]:
    """Ids of the layers and models a row's count includes (a custom layer's sublayers)."""
    wrapped = _wrapped(layer)
    if isinstance(wrapped, ModelVal):
        return [id(layer), id(wrapped)]
    if not isinstance(layer, Instance) or depth > _MAX_DEPTH:
        return [id(layer)]
    out = [id(layer)]
    for sub in tracked_sublayers(layer):
        out += _members(sub, depth + 1)
    return out


def _class_name(layer: Value) -> str:
    if isinstance(layer, LayerVal):
        return layer.spec.name
    if isinstance(layer, ModelVal):
        return {"sequential": "Sequential", "functional": "Functional"}.get(layer.kind, "Model")
    if isinstance(layer, Instance):
        return layer.cls.name
    return "?"


def _name_of(layer: Value) -> str:
    if isinstance(layer, LayerVal):
        name = layer.kwargs.get("name")
        return name.value if isinstance(name, Const) and isinstance(name.value, str) else ""
    if isinstance(layer, ModelVal):
        return layer.name or ""
    return ""


def _output_of(layer: Value, seen: Tensor | None) -> str:
    out: Value | None = seen
    if out is None and isinstance(layer, (LayerVal, ModelVal)):
        out = layer.outputs
    if out is None:
        return "?"
    if isinstance(out, Tensor) and out.shape.dims is None:
        return "?"
    return describe_structure(out)

"""Keras merge layers: Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum and Dot,
and their functional forms ``keras.layers.concatenate``, ``add``, ... ``dot``.

Each layer takes a list of tensors (``multi_input``). The rules mirror Keras 3:

- the elementwise layers (``Merge.build``/``compute_output_shape``) require known batch sizes to
  be equal (no broadcasting of the batch axis), and broadcast the remaining dims right-aligned,
  a dim of 1 stretching to the other; an unknown dim on either side gives an unknown dim;
- ``Concatenate`` requires equal ranks, an axis inside the rank and equal known dims off the axis
  (the batch axis included);
- ``Subtract`` and ``Dot`` take exactly two inputs; ``Dot`` needs the two dot axes to have the
  same size (Keras compares them with ``!=``, so a known size against an unknown one fails too,
  but the engine only reports two known, different sizes).

A symbolic (KerasTensor) output has the layer's compute dtype; run eagerly, float inputs are
autocast to it and other dtypes go through the merge op (``Average`` of ints is float64).
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, DType, Shape, ShapeError, Unknowable, format_shape, is_float, is_int
from ..values import LayerVal, Seq, Tensor, Value
from .base import LAYERS, LayerCall, layer

MISMATCH = "merge-mismatch"
AXIS = "axis-out-of-range"


def list_inputs(call: LayerCall) -> list[Value]:
    """The items of the input list, passed positionally or as ``inputs=[...]``."""
    if not call.inputs:
        v = call.call_kwargs.get("inputs")
        if isinstance(v, Seq) and v.items is not None:
            return list(v.items)
    return list(call.inputs)


def _inputs(call: LayerCall, exactly: int | None = None) -> list[Tensor]:
    """The list of input tensors; Unknowable unless every element is a tensor."""
    items = list_inputs(call)
    if (
        exactly is not None
        and items
        and len(items) != exactly
        and all(isinstance(i, Tensor) for i in items)
    ):
        # a lone tensor (`Subtract()(x)`) is rejected as well: not a list of inputs
        shapes = ", ".join(format_shape(t.shape) for t in items if isinstance(t, Tensor))
        raise ShapeError(
            f"A `{call.name}` layer should be called on a list of exactly {exactly} inputs, but "
            f"received {len(items)} input(s) with shapes [{shapes}]",
            code=MISMATCH,
        )
    if len(items) < 2:
        # `Add()([x])` and `Add()(x)` look alike here; the latter is a Keras error.
        raise Unknowable("inputs")
    out: list[Tensor] = []
    for item in items:
        if not isinstance(item, Tensor):
            raise Unknowable("inputs")
        out.append(item)
    return out


def _shapes_text(tensors: list[Tensor]) -> str:
    return "[" + ", ".join(format_shape(t.shape) for t in tensors) + "]"


def _merge_dtype(call: LayerCall, tensors: list[Tensor], average: bool = False) -> DType:
    if any(t.kind == "keras" for t in tensors):
        return call.compute_dtype
    dtypes = {t.dtype for t in tensors}
    if None in dtypes:
        return None
    if all(is_float(d) for d in dtypes):
        return call.compute_dtype
    if len(dtypes) == 1:
        (d,) = dtypes
        if is_int(d):
            if average:
                return "float64" if d in ("int32", "int64") else None
            return d
    return None


def _result(call: LayerCall, shape: Shape, tensors: list[Tensor], average: bool = False) -> Tensor:
    return Tensor(shape, _merge_dtype(call, tensors, average), tensors[0].kind)


def _batch(call: LayerCall, tensors: list[Tensor]) -> Dim:
    known = {t.shape.dims[0] for t in tensors if t.shape.dims and isinstance(t.shape.dims[0], int)}
    if len(known) > 1:
        raise ShapeError(
            f"{call.name}: cannot merge tensors with different batch sizes; received input "
            f"shapes {_shapes_text(tensors)}",
            code=MISMATCH,
        )
    if len(known) == 1:
        return known.pop()
    dims = {t.shape.dims[0] for t in tensors if t.shape.dims}
    if len(dims) == 1:
        d = dims.pop()
        return d if isinstance(d, str) else None
    return None


def _elementwise_dim(a: Dim, b: Dim) -> Dim | bool:
    """Keras' ``_compute_elemwise_op_output_shape`` on one pair; False when incompatible."""
    if isinstance(a, int) and isinstance(b, int):
        if a == 1:
            return b
        if b == 1 or a == b:
            return a
        return False
    if a is None or b is None:
        return None
    if a == b:
        return a
    if a == 1:
        return b
    if b == 1:
        return a
    return None


def _elementwise(call: LayerCall, average: bool = False) -> Value:
    tensors = _inputs(call, exactly=2 if call.name == "Subtract" else None)
    if any(t.shape.dims is None or len(t.shape.dims) == 0 for t in tensors):
        raise Unknowable("rank")
    batch = _batch(call, tensors)
    out: tuple[Dim, ...] | None = None
    for t in tensors:
        dims = t.shape.dims
        assert dims is not None
        rest = dims[1:]
        if out is None:
            out = rest
            continue
        long, short = (out, rest) if len(out) >= len(rest) else (rest, out)
        if not short:
            out = long
            continue
        merged: list[Dim] = list(long[: len(long) - len(short)])
        for a, b in zip(long[len(long) - len(short) :], short):
            d = _elementwise_dim(a, b)
            if d is False:
                raise ShapeError(
                    f"{call.name}: inputs have incompatible shapes {_shapes_text(tensors)} "
                    f"(dims after the batch axis are broadcast right-aligned: {a} and {b} differ "
                    f"and neither is 1)",
                    code=MISMATCH,
                )
            merged.append(d if not isinstance(d, bool) else None)
        out = tuple(merged)
    assert out is not None
    return _result(call, Shape((batch, *out)), tensors, average)


@layer("Add", params=(), multi_input=True)
def add(call: LayerCall) -> Value:
    return _elementwise(call)


@layer("Subtract", params=(), multi_input=True)
def subtract(call: LayerCall) -> Value:
    return _elementwise(call)


@layer("Multiply", params=(), multi_input=True)
def multiply(call: LayerCall) -> Value:
    return _elementwise(call)


@layer("Average", params=(), multi_input=True)
def average(call: LayerCall) -> Value:
    return _elementwise(call, average=True)


@layer("Maximum", params=(), multi_input=True)
def maximum(call: LayerCall) -> Value:
    return _elementwise(call)


@layer("Minimum", params=(), multi_input=True)
def minimum(call: LayerCall) -> Value:
    return _elementwise(call)


@layer("Concatenate", params=("axis",), multi_input=True)
def concatenate(call: LayerCall) -> Value:
    axis = call.cfg("axis", -1)
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise Unknowable("axis")
    tensors = _inputs(call)
    ranks = {t.shape.rank for t in tensors}
    if None in ranks:
        raise Unknowable("rank")
    if len(ranks) > 1:
        raise ShapeError(
            f"A `Concatenate` layer requires inputs with matching shapes except for the "
            f"concatenation axis, but the inputs have different ranks: {_shapes_text(tensors)}",
            code=MISMATCH,
        )
    rank = ranks.pop()
    assert rank is not None
    if not -rank <= axis < rank:
        raise ShapeError(
            f"Concatenate: axis {axis} is out of range for inputs of rank {rank} "
            f"(shapes {_shapes_text(tensors)})",
            code=AXIS,
        )
    a = axis % rank
    symbolic = any(t.kind == "keras" for t in tensors)
    first = tensors[0].shape.dims
    assert first is not None
    out: list[Dim] = []
    for i in range(rank):
        column = [t.shape.dims[i] for t in tensors if t.shape.dims is not None]
        if i == a:
            total: Dim = 0
            for d in column:
                if not isinstance(d, int) or not isinstance(total, int):
                    total = None
                    break
                total += d
            out.append(total)
            continue
        known = {d for d in column if isinstance(d, int)}
        if len(known) > 1:
            raise ShapeError(
                f"A `Concatenate` layer requires inputs with matching shapes except for the "
                f"concatenation axis {axis}, but axis {i} differs: {_shapes_text(tensors)}",
                code=MISMATCH,
            )
        if symbolic:
            out.append(first[i])  # Keras keeps the first input's dims off the axis
        elif known:
            out.append(known.pop())
        else:
            out.append(column[0] if len(set(column)) == 1 else None)
    return _result(call, Shape(tuple(out)), tensors)


@layer("Dot", params=("axes", "normalize"), multi_input=True)
def dot(call: LayerCall) -> Value:
    axes_cfg = call.cfg("axes")
    if axes_cfg is None:
        raise Unknowable("axes")
    tensors = _inputs(call, exactly=2)
    x, y = tensors
    xd, yd = x.shape.dims, y.shape.dims
    if xd is None or yd is None:
        raise Unknowable("rank")
    if isinstance(axes_cfg, int) and not isinstance(axes_cfg, bool):
        pair = (axes_cfg, axes_cfg)
    elif (
        isinstance(axes_cfg, tuple)
        and len(axes_cfg) == 2
        and all(isinstance(i, int) and not isinstance(i, bool) for i in axes_cfg)
    ):
        pair = (axes_cfg[0], axes_cfg[1])
    else:
        raise Unknowable("axes")
    norm: list[int] = []
    for ax, dims in zip(pair, (xd, yd)):
        if not -len(dims) <= ax < len(dims):
            raise ShapeError(
                f"Dot: axis {ax} is out of range for an input of rank {len(dims)} (input shapes "
                f"{_shapes_text(tensors)}, axes={axes_cfg})",
                code=AXIS,
            )
        norm.append(ax % len(dims))
    if 0 in norm or len(xd) < 2 or len(yd) < 2:
        raise Unknowable("axes")  # batch axis: symbolic and eager Keras disagree
    d1, d2 = xd[norm[0]], yd[norm[1]]
    if isinstance(d1, int) and isinstance(d2, int) and d1 != d2:
        raise ShapeError(
            f"Dot: incompatible input shapes {format_shape(x.shape)} and {format_shape(y.shape)}: "
            f"axis {norm[0]} of the first has size {d1} but axis {norm[1]} of the second has size "
            f"{d2} (axes={axes_cfg})",
            code=MISMATCH,
        )
    symbolic = x.kind == "keras" or y.kind == "keras"
    if symbolic and isinstance(d1, int) != isinstance(d2, int):
        raise Unknowable("axes")  # Keras rejects None against a size: the engine cannot tell
    s1 = [d for i, d in enumerate(xd) if i != norm[0]]
    s2 = [d for i, d in enumerate(yd) if i != norm[1]][1:]
    out = s1 + s2
    if len(out) == 1:
        out.append(1)
    if symbolic:
        batch: Dim = xd[0]
    else:
        batch = xd[0] if isinstance(xd[0], int) else yd[0]
    out[0] = batch
    return _result(call, Shape(tuple(out)), tensors)


# ---------------------------------------------------------------------------------------------
# functional forms


def _functional(call: Call, class_name: str, extra: tuple[str, ...]) -> Value:
    inputs = call.arg(0, "inputs")
    if inputs is None:
        raise Unknowable("inputs")
    kwargs: dict[str, Value] = {k: v for k, v in call.kwargs.items() if k != "inputs"}
    for i, name in enumerate(extra, start=1):
        v = call.arg(i)
        if v is not None and name not in kwargs:
            kwargs[name] = v
    from ..calls import apply_layer

    lay = LayerVal(LAYERS[class_name], [], kwargs, call.span)
    return apply_layer(call.interp, lay, [inputs], {}, call.span)


def _register(fn_name: str, class_name: str, extra: tuple[str, ...] = ()) -> None:
    @function(f"keras.layers.{fn_name}")
    def rule(call: Call) -> Value:
        return _functional(call, class_name, extra)

    rule.__name__ = f"functional_{fn_name}"


_register("concatenate", "Concatenate", ("axis",))
_register("add", "Add")
_register("subtract", "Subtract")
_register("multiply", "Multiply")
_register("average", "Average")
_register("maximum", "Maximum")
_register("minimum", "Minimum")
_register("dot", "Dot", ("axes",))

"""Keras losses called on tensors, as custom training loops do: ``loss_fn(y, logits)`` on a loss
object and ``keras.losses.binary_crossentropy(y, p)`` on the functions.

A loss object converts both sides to its dtype (floatx unless ``dtype=`` is given), squeezes or
expands them to the same rank when their ranks differ by one and the longer ends in 1, checks
them as its function does and reduces: a scalar for every reduction but ``None``/``"none"``,
which keeps one loss per sample. The functions convert nothing and squeeze only for the mean
errors; they return one loss per sample in the predictions' float dtype.

Only eager or traced tensors are checked: a loss called on symbolic KerasTensors (in a model
being built) is left alone, as is anything whose shapes are not fully read.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from . import registry
from .checks import LossRef, check_loss_inputs, squeeze_or_expand
from .facts import Related
from .ops import shape_ops as so
from .registry import Call, function
from .shapes import Dim, DType, Shape, ShapeError, broadcast_shapes, format_shape
from .values import UNKNOWN, Tensor, Value

if TYPE_CHECKING:
    from .interpreter import Interpreter

_CROSSENTROPIES = ("binary_crossentropy", "categorical_crossentropy")
_MEAN_ERRORS = ("mean_squared_error", "mean_absolute_error")
_FUNCTIONS = ("sparse_categorical_crossentropy", *_CROSSENTROPIES, *_MEAN_ERRORS)
_CLASSES = {"binary_crossentropy": "BinaryCrossentropy", "categorical_crossentropy": "CategoricalCrossentropy"}
# reductions that sum or average the per-sample losses into a scalar
_SCALAR_REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight")


def call_loss_object(
    interp: Interpreter, loss: LossRef, args: list[Value], kwargs: dict[str, Value], node: ast.AST
) -> Value:
    """``loss_fn(y_true, y_pred, sample_weight=None)`` on a loss object the engine knows."""
    call = registry.Call(args, kwargs, node, interp, None, f"keras.losses.{loss.cls}")
    y, pred = call.arg(0, "y_true"), call.arg(1, "y_pred")
    op = so.begin(call, "keras", y, pred)
    ty, tp = op.tensor(y), op.tensor(pred)
    dtype = loss.dtype
    if op.kind == "keras" or ty is None or tp is None:
        return UNKNOWN if op.kind == "keras" else op.unknown(dtype)
    name = str(loss.value)
    yd, od = ty.shape.dims, tp.shape.dims
    if yd is not None and od is not None and od and ty.dtype != "string":
        label = f"{loss.cls}()" if loss.cls else f"loss '{name}'"
        _check_whole(name, ty, tp, f"{label}: y_true {format_shape(ty.shape)} does not fit y_pred {format_shape(tp.shape)}", [
            Related(t.origin, f"{what} {format_shape(t.shape)} comes from here")
            for what, t in (("y_true", ty), ("y_pred", tp)) if t.origin is not None
        ])
    if loss.reduction in _SCALAR_REDUCTIONS:
        return op.out(Shape(()), dtype)
    if loss.reduction == "none" and yd is not None and od is not None:
        per_sample = _per_sample(name, yd, od, squeeze=True)
        if per_sample is not None:
            return op.out(Shape(per_sample), dtype)
    return op.unknown(dtype)


@function(*(f"keras.losses.{fn}" for fn in _FUNCTIONS))
def _loss_function(call: Call) -> Value:
    """``keras.losses.<loss>(y_true, y_pred)``: one loss per sample."""
    name = call.name.rsplit(".", 1)[-1]
    y, pred = call.arg(0, "y_true"), call.arg(1, "y_pred")
    op = so.begin(call, "keras", y, pred)
    ty, tp = op.tensor(y), op.tensor(pred)
    if op.kind == "keras" or ty is None or tp is None:
        return UNKNOWN if op.kind == "keras" else op.unknown()
    dtype: DType = tp.dtype if so.is_float_dtype(tp.dtype) else None
    yd, od = ty.shape.dims, tp.shape.dims
    if yd is None or od is None or not od or ty.dtype == "string":
        return op.unknown(dtype)
    squeezes = name in _MEAN_ERRORS
    same_rank = len(yd) == len(od)
    where = f"{name}: y_true {format_shape(ty.shape)} does not fit y_pred {format_shape(tp.shape)}"
    if name in _CROSSENTROPIES and not same_rank:
        # unlike the loss objects, the functions squeeze nothing
        longer = yd if len(yd) > len(od) else od
        hint = (
            f"; the loss object keras.losses.{_CLASSES[name]}() would squeeze or expand that axis of 1"
            if abs(len(yd) - len(od)) == 1 and longer[-1] == 1 else ""
        )
        raise ShapeError(
            f"{where}: the function needs both of the same rank ({len(yd)} vs {len(od)}){hint}",
            code="loss-target-mismatch",
        )
    _check_whole(name, ty, tp, where, [])
    per_sample = _per_sample(name, yd, od, squeeze=squeezes)
    return op.out(Shape(per_sample), dtype) if per_sample is not None else op.unknown(dtype)


def _check_whole(name: str, y: Tensor, out: Tensor, where: str, related: list[Related]) -> None:
    """The loss object's checks, then the batch axis too (the whole batch is here)."""
    yd, od = y.shape.dims, out.shape.dims
    assert yd is not None and od is not None
    check_loss_inputs(name, y, out, where, related)
    if name == "sparse_categorical_crossentropy":
        labels = yd[:-1] if len(yd) == len(od) and yd[-1] == 1 else yd
        if len(labels) + 1 != len(od):
            return
        for axis, (a, b) in enumerate(zip(labels, od[:-1], strict=True)):
            if isinstance(a, int) and isinstance(b, int) and a != b:
                raise ShapeError(
                    f"{where}: class labels and predictions must agree on every axis but the "
                    f"last (axis {axis}: {a} vs {b})",
                    code="loss-target-mismatch",
                    related=list(related),
                )
    elif name in _CROSSENTROPIES and len(yd) == len(od):
        a, b = yd[0], od[0]
        if isinstance(a, int) and isinstance(b, int) and a != b:
            raise ShapeError(
                f"{where} under '{name}', which needs targets of the predictions' shape "
                f"(axis 0: {a} vs {b})",
                code="loss-target-mismatch",
                related=list(related),
            )


def _per_sample(name: str, yd: tuple[Dim, ...], od: tuple[Dim, ...], squeeze: bool) -> tuple[Dim, ...] | None:
    """The unreduced loss: the (broadcast) shape without its last axis."""
    if not od or name not in _FUNCTIONS:
        return None
    if name == "sparse_categorical_crossentropy":
        return od[:-1]
    a, b = yd, od
    if squeeze and abs(len(a) - len(b)) == 1:
        longer = a if len(a) > len(b) else b
        if longer[-1] != 1:
            return None
        a, b = squeeze_or_expand(a, b)
    if len(a) != len(b):
        return None
    if name in _MEAN_ERRORS:
        try:
            merged = broadcast_shapes(Shape(a), Shape(b)).dims
        except ShapeError:
            return None
        return merged[:-1] if merged else None
    return tuple(x if isinstance(x, int) else y for x, y in zip(a, b, strict=True))[:-1]


__all__ = ["call_loss_object"]

"""``tf.map_fn`` and ``tf.vectorized_map``: the function runs on one slice of ``elems`` (its
first axis removed, a structure of slices for a tuple of tensors) and what it returns is
stacked back along a new first axis of the same length. ``fn_output_signature`` (a dtype or a
``tf.TensorSpec``) sets the result's dtype, as ``dtype=`` does in the TF1 spelling."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import UNKNOWN_SHAPE, Dim, DType, Shape
from ..values import UNKNOWN, Const, Seq, Tensor, Value
from . import shape_ops as so


def _slices(v: Value, rows: list[Dim]) -> Value | None:
    """One element of ``elems``: each tensor without its first axis; None when not readable."""
    if isinstance(v, Tensor):
        dims = v.shape.dims
        if not dims:
            return None
        rows.append(dims[0])
        return Tensor(Shape(dims[1:]), v.dtype, v.kind)
    if isinstance(v, Seq) and v.items is not None:
        parts = [_slices(i, rows) for i in v.items]
        if any(p is None for p in parts):
            return None
        return Seq([p for p in parts if p is not None], v.kind)
    return None


def _stacked(v: Value, n: Dim, op: so.Op, dtype: DType) -> Value:
    if isinstance(v, Tensor):
        if v.shape.dims is None:
            return op.out(UNKNOWN_SHAPE, dtype or v.dtype)
        return op.out(Shape((n, *v.shape.dims)), dtype or v.dtype)
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_stacked(i, n, op, None) for i in v.items], v.kind)
    return op.unknown(dtype)


def _signature_dtype(call: Call) -> DType:
    sig = call.kwargs.get("fn_output_signature") or call.kwargs.get("dtype")
    if sig is None or (isinstance(sig, Const) and sig.value is None):
        return None
    if isinstance(sig, Tensor):  # a tf.TensorSpec
        return sig.dtype
    return so.dtype_arg(sig)


@function("tf.map_fn", "tf.vectorized_map")
def _map_fn(call: Call) -> Value:
    fn, elems = call.arg(0, "fn"), call.arg(1, "elems")
    if fn is None or elems is None:
        return UNKNOWN
    op = so.begin(call, "tf", elems)
    rows: list[Dim] = []
    element = _slices(so.resolve_deep(elems), rows)
    known = {r for r in rows if isinstance(r, int)}
    n: Dim = known.pop() if len(known) == 1 else None
    # fn runs once per row (or once, traced): what it changes elsewhere is uncertain
    call.interp.uncertain_depth += 1
    try:
        out = call.interp.call_value(fn, [element if element is not None else UNKNOWN], {}, call.node)
    finally:
        call.interp.uncertain_depth -= 1
    if element is None:
        return op.unknown(_signature_dtype(call))
    return _stacked(out, n, op, _signature_dtype(call))

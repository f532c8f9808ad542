"""``tf.strings.*``: the text ops of tf.data pipelines (splitting into characters or words,
case and regex edits, lengths, hashing, parsing numbers).

TensorFlow semantics (TF 2.21): element-wise ops keep the input's shape; ``split``,
``unicode_split``, ``bytes_split`` and ``unicode_decode`` add one ragged axis of unknown length
(static shape ``input.shape + (None,)``), ``reduce_join`` reduces like ``reduce_sum``, ``join``
needs one shape for all its inputs that are not scalars (it broadcasts scalars only).
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, DType, Shape, ShapeError, format_shape
from ..values import Seq, Value
from . import shape_ops as so

_SAME_STRING = [
    "tf.strings.lower", "tf.strings.upper", "tf.strings.strip", "tf.strings.regex_replace",
    "tf.strings.substr", "tf.strings.as_string", "tf.strings.unicode_transcode",
]
_SAME_TYPED: dict[str, DType] = {
    "tf.strings.length": "int32",
    "tf.strings.unicode_length": "int32",
    "tf.strings.regex_full_match": "bool",
    "tf.strings.to_hash_bucket_fast": "int64",
    "tf.strings.to_hash_bucket_strong": "int64",
    "tf.strings.to_hash_bucket": "int64",
}
_SPLITS: dict[str, DType] = {
    "tf.strings.split": "string",
    "tf.strings.unicode_split": "string",
    "tf.strings.bytes_split": "string",
    "tf.strings.unicode_decode": "int32",
}


def _elementwise(call: Call, dtype: DType) -> Value:
    x = call.arg(0, "input")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown(dtype)
    return op.out(t.shape, dtype)


@function(*_SAME_STRING)
def _same_string(call: Call) -> Value:
    return _elementwise(call, "string")


@function(*_SAME_TYPED)
def _same_typed(call: Call) -> Value:
    return _elementwise(call, _SAME_TYPED[call.name])


@function("tf.strings.to_number", "tf.strings.string_to_number")
def _to_number(call: Call) -> Value:
    return _elementwise(call, so.dtype_arg(call.arg(1, "out_type"), "float32"))


@function(*_SPLITS)
def _split(call: Call) -> Value:
    """One more axis, of a length that depends on the text (ragged for a batch)."""
    x = call.arg(0, "input")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    dtype = _SPLITS[call.name]
    if t is None or t.shape.dims is None:
        return op.unknown(dtype)
    return op.out(Shape((*t.shape.dims, None)), dtype)


@function("tf.strings.reduce_join")
def _reduce_join(call: Call) -> Value:
    x = call.arg(0, "inputs")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown("string")
    keep = so.bool_arg(call.arg(2, "keepdims"))
    if keep is None:
        return op.unknown("string")
    axes = so.axes_arg(call.arg(1, "axis"))
    return op.out(so.reduce_shape(t.shape, axes, keep, call.name), "string")


@function("tf.strings.join")
def _join(call: Call) -> Value:
    """Element-wise concatenation of the inputs: the scalars (a Python string) go with every
    element; the others must all have one shape, which the result has."""
    parts = call.arg(0, "inputs")
    if not isinstance(parts, Seq) or parts.items is None:
        return so.begin(call, "tf").unknown("string")
    op = so.begin(call, "tf", *parts.items)
    merged: list[Dim] | None = None
    for item in parts.items:
        t = op.tensor(item)
        if t is None or t.shape.dims is None:
            return op.unknown("string")
        dims = t.shape.dims
        if not dims:
            continue
        if merged is None:
            merged = list(dims)
            continue
        if len(dims) != len(merged) or any(
            isinstance(a, int) and isinstance(b, int) and a != b for a, b in zip(merged, dims, strict=False)
        ):
            raise ShapeError(
                f"tf.strings.join: the inputs must have the same shape (only scalars broadcast): "
                f"{format_shape(Shape(tuple(merged)))} vs {format_shape(t.shape)}",
                code="broadcast",
            )
        merged = [b if a is None or (isinstance(b, int) and not isinstance(a, int)) else a for a, b in zip(merged, dims, strict=True)]
    return op.out(Shape(tuple(merged) if merged is not None else ()), "string")

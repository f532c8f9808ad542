"""Non-max suppression of object detectors: ``tf.image.non_max_suppression`` and its
``_with_scores``, ``_overlaps``, ``_padded`` and ``combined_`` forms.

The plain forms keep as many boxes as survive the overlap test, a run-time count, so their
length stays unknown. The padded form (``pad_to_max_output_size=True``) always gives
``max_output_size`` indices, and the combined form ``max_total_size`` boxes per image (fewer
with ``pad_per_class`` when the classes cannot fill it). Checked against TF 2.21 in
tests/oracle/test_ops_counting.py.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape
from ..values import Seq, Value
from . import shape_ops as so


@function("tf.image.non_max_suppression", "tf.image.non_max_suppression_overlaps")
def _nms(call: Call) -> Value:
    boxes = call.arg(0, "overlaps" if call.name.endswith("overlaps") else "boxes")
    op = so.begin(call, "tf", boxes, call.arg(1, "scores"))
    return op.out(Shape((None,)), "int32")


@function("tf.image.non_max_suppression_with_scores")
def _nms_with_scores(call: Call) -> Value:
    scores = call.arg(1, "scores")
    op = so.begin(call, "tf", call.arg(0, "boxes"), scores)
    s = op.tensor(scores)
    return Seq([op.out(Shape((None,)), "int32"), op.out(Shape((None,)), s.dtype if s is not None else None)], "tuple")


@function("tf.image.non_max_suppression_padded")
def _nms_padded(call: Call) -> Value:
    """``(indices, valid count)``: padded to ``max_output_size`` per image; batched boxes
    ``(..., N, 4)`` must be padded."""
    boxes = call.arg(0, "boxes")
    op = so.begin(call, "tf", boxes, call.arg(1, "scores"))
    t = op.tensor(boxes)
    size = call.int(2, "max_output_size")
    pad = so.bool_arg(call.arg(5, "pad_to_max_output_size"))
    if t is None or t.shape.dims is None or len(t.shape.dims) < 2 or pad is None:
        return Seq([op.unknown("int32"), op.unknown("int32")], "tuple")
    batch = t.shape.dims[:-2]
    if not pad:
        if batch:
            return Seq([op.unknown("int32"), op.unknown("int32")], "tuple")  # TF refuses
        return Seq([op.out(Shape((None,)), "int32"), op.out(Shape(()), "int32")], "tuple")
    return Seq([op.out(Shape((*batch, size)), "int32"), op.out(Shape(batch), "int32")], "tuple")


@function("tf.image.combined_non_max_suppression")
def _combined_nms(call: Call) -> Value:
    """``(boxes (B, K, 4), scores (B, K), classes (B, K), valid (B,))`` with ``K`` the
    ``max_total_size``, or ``min(max_total_size, per_class * classes)`` with ``pad_per_class``."""
    boxes, scores = call.arg(0, "boxes"), call.arg(1, "scores")
    op = so.begin(call, "tf", boxes, scores)
    s = op.tensor(scores)
    per_class, total = call.int(2, "max_output_size_per_class"), call.int(3, "max_total_size")
    pad = so.bool_arg(call.arg(6, "pad_per_class"))
    fields = ("nmsed_boxes", "nmsed_scores", "nmsed_classes", "valid_detections")
    if s is None or s.shape.dims is None or len(s.shape.dims) != 3 or pad is None:
        unknown: list[Value] = [op.unknown("float32"), op.unknown("float32"), op.unknown("float32"), op.unknown("int32")]
        return Seq(unknown, "tuple", fields=fields)
    batch, classes = s.shape.dims[0], s.shape.dims[2]
    k: Dim = total
    if pad:
        if total is not None and per_class is not None and isinstance(classes, int):
            k = min(total, per_class * classes)
        else:
            k = None
    parts: list[Value] = [
        op.out(Shape((batch, k, 4)), "float32"),
        op.out(Shape((batch, k)), "float32"),
        op.out(Shape((batch, k)), "float32"),
        op.out(Shape((batch,)), "int32"),
    ]
    return Seq(parts, "tuple", fields=fields)

"""TensorFlow functions of hand-written training loops and their metrics: gradient clipping
(``clip_by_norm``, ``clip_by_global_norm``), per-replica loss averaging, ``ctc_loss``,
``weighted_cross_entropy_with_logits``, ``in_top_k``, ``confusion_matrix`` and the image
quality scores ``psnr``/``ssim``/``total_variation`` (one value per image)."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Shape, ShapeError, broadcast_shapes
from ..values import Seq, Tensor, Value
from . import shape_ops as so


@function("tf.clip_by_norm")
def _clip_by_norm(call: Call) -> Value:
    t = call.arg(0, "t")
    op = so.begin(call, "tf", t)
    x = op.tensor(t)
    if x is None or not so.is_float_dtype(x.dtype):
        return op.unknown()  # integer tensors are refused
    return op.out(x.shape, x.dtype)


@function("tf.clip_by_global_norm")
def _clip_by_global_norm(call: Call) -> Value:
    """``(clipped list, global norm)``: each tensor keeps its shape; the norm is a scalar of
    their dtype."""
    items = so.list_items(call.arg(0, "t_list"))
    op = so.begin(call, "tf")
    if items is None:
        return Seq([Seq(None, "list", op.unknown()), op.unknown()], "tuple")
    clipped: list[Value] = []
    dtypes: set[str | None] = set()
    for item in items:
        if isinstance(item, Tensor):
            clipped.append(op.out(item.shape, item.dtype))
            dtypes.add(item.dtype)
        else:
            clipped.append(item if item is not None else op.unknown())
            dtypes.add(None)
    norm_dtype = dtypes.pop() if len(dtypes) == 1 else None
    return Seq([Seq(clipped, "list"), op.out(Shape(()), norm_dtype)], "tuple")


@function("tf.nn.compute_average_loss", "tf.nn.scale_regularization_loss")
def _average_loss(call: Call) -> Value:
    x = call.arg(0, "per_example_loss" if call.name.endswith("average_loss") else "regularization_loss")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    return op.out(Shape(()), t.dtype if t is not None else None)


@function("tf.nn.ctc_loss")
def _ctc_loss(call: Call) -> Value:
    """One loss per sequence: the logits' batch axis (axis 1 when time-major, the default)."""
    logits = call.arg(1, "logits")
    op = so.begin(call, "tf", call.arg(0, "labels"), logits)
    t = op.tensor(logits)
    major = call.arg(4, "logits_time_major")
    time_major = True if major is None else so.bool_arg(major)
    if t is None or t.shape.dims is None or len(t.shape.dims) != 3 or time_major is None:
        return op.unknown(t.dtype if t is not None else None)
    return op.out(Shape((t.shape.dims[1] if time_major else t.shape.dims[0],)), t.dtype)


@function("tf.nn.weighted_cross_entropy_with_logits")
def _weighted_ce(call: Call) -> Value:
    logits = call.arg(1, "logits")
    op = so.begin(call, "tf", call.arg(0, "labels"), logits)
    t = op.tensor(logits)
    return op.out(t.shape, t.dtype) if t is not None else op.unknown()


@function("tf.math.in_top_k", "tf.nn.in_top_k")
def _in_top_k(call: Call) -> Value:
    targets = call.arg(0, "targets")
    op = so.begin(call, "tf", targets, call.arg(1, "predictions"))
    t = op.tensor(targets)
    return op.out(t.shape, "bool") if t is not None else op.unknown("bool")


@function("tf.math.confusion_matrix")
def _confusion_matrix(call: Call) -> Value:
    """``(num_classes, num_classes)``; without ``num_classes`` the labels decide (unknown)."""
    n = call.int(2, "num_classes")
    dtype_v = call.arg(4, "dtype")
    dtype = "int32" if dtype_v is None else so.dtype_arg(dtype_v)
    op = so.begin(call, "tf", call.arg(0, "labels"), call.arg(1, "predictions"))
    return op.out(Shape((n, n)), dtype)


@function("tf.image.psnr", "tf.image.ssim", "tf.image.ssim_multiscale", "tf.image.total_variation")
def _image_scores(call: Call) -> Value:
    """One score per image: the batch axes before (height, width, channels)."""
    variation = call.name.endswith("variation")
    x = call.arg(0, "images" if variation else "a")
    y = None if variation else call.arg(1, "b")
    op = so.begin(call, "tf", x, y)
    t = op.tensor(x)
    allowed = ("float32",) if variation else ("float32", "uint8")
    dtype = "float32" if t is not None and t.dtype in allowed else None
    if t is None or t.shape.dims is None or len(t.shape.dims) < 3:
        return op.unknown(dtype)
    if variation and t.dtype is not None and not so.is_float_dtype(t.dtype):
        return op.unknown()  # TF's abs has no kernel for uint8 images
    batch = Shape(t.shape.dims[:-3])
    if y is not None:
        u = op.tensor(y)
        if u is None or u.shape.dims is None or len(u.shape.dims) < 3:
            return op.unknown(dtype)
        try:  # the two images' batch axes broadcast
            batch = broadcast_shapes(batch, Shape(u.shape.dims[:-3]))
        except ShapeError:
            return op.unknown(dtype)
    return op.out(batch, dtype)

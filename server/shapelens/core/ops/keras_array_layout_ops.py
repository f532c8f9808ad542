"""``keras.ops`` that rearrange arrays: ``depth_to_space``/``space_to_depth``, ``dstack``,
``hsplit``/``vsplit``/``dsplit``, ``append``, ``diagflat``, ``vander``, ``extract_sequences``
and the transposed and separable convolutions.

Dtypes are claimed only where Keras 3 on the TF backend was checked to keep them (float32 in,
float32 out); otherwise the input's dtype is passed on only by ops that move values without
computing. Checked in tests/oracle/test_ops_keras_layout.py.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, format_shape
from ..values import Const, Seq, Tensor, Value, as_int
from . import shape_ops as so
from .image_ops import depth_to_space_dims, space_to_depth_dims
from .tf_nn_window_ops import keras_kernel_window, keras_layout


@function("keras.ops.depth_to_space", "keras.ops.space_to_depth")
def _pixel_shuffle(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    b = call.int(1, "block_size")
    fmt = call.value(2, "data_format", "channels_last")
    if t is None or t.shape.dims is None or b is None or b < 1 or fmt not in ("channels_last", "channels_first"):
        return op.unknown(t.dtype if t is not None else None)
    if len(t.shape.dims) != 4:
        raise ShapeError(
            f"{call.name}: input must be 4-D (batch, height, width, channels), got {format_shape(t.shape)}",
            code="rank",
        )
    n, a, b2, c = t.shape.dims
    nhwc = (n, b2, c, a) if fmt == "channels_first" else (n, a, b2, c)
    move = depth_to_space_dims if call.name.endswith("depth_to_space") else space_to_depth_dims
    on, oh, ow, oc = move(call.name, nhwc, b, t.shape)
    return op.out(Shape((on, oc, oh, ow) if fmt == "channels_first" else (on, oh, ow, oc)), t.dtype)


@function("keras.ops.dstack")
def _dstack(call: Call) -> Value:
    """Along a third axis: 1-D inputs become (1, N, 1), 2-D ones (M, N, 1)."""
    xs = call.arg(0, "xs")
    op = so.begin(call, "keras", xs)
    items = so.list_items(xs)
    if not items:
        return op.unknown()
    tensors = [op.tensor(i) for i in items]
    shapes: list[tuple[Dim, ...]] = []
    for t in tensors:
        if t is None or t.shape.dims is None or not t.shape.dims:
            return op.unknown()
        dims = t.shape.dims
        shapes.append((1, dims[0], 1) if len(dims) == 1 else (*dims, 1) if len(dims) == 2 else tuple(dims))
    dtypes = {t.dtype for t in tensors if t is not None}
    dtype = dtypes.pop() if len(dtypes) == 1 else None
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        return op.unknown(dtype)
    depth: Dim = 0
    for s in shapes:
        depth = depth + s[2] if isinstance(depth, int) and isinstance(s[2], int) else None
    first = shapes[0]
    for s in shapes[1:]:
        for i, (d, e) in enumerate(zip(first, s, strict=True)):
            if i != 2 and isinstance(d, int) and isinstance(e, int) and d != e:
                raise ShapeError(
                    f"{call.name}: the inputs must agree on every axis but the third, got "
                    f"{format_shape(Shape(first))} and {format_shape(Shape(s))}",
                    code="shape-mismatch",
                )
    return op.out(Shape((first[0], first[1], depth, *first[3:])), dtype)


@function("keras.ops.hsplit", "keras.ops.vsplit", "keras.ops.dsplit")
def _directional_split(call: Call) -> Value:
    """``hsplit`` splits along axis 1 (axis 0 of a 1-D array), ``vsplit`` along 0, ``dsplit``
    along 2."""
    x, spec = call.arg(0, "x"), call.arg(1, "indices_or_sections")
    t = x if isinstance(x, Tensor) else None
    axis = {"h": 1, "v": 0, "d": 2}[call.name.rsplit(".", 1)[1][0]]
    if axis == 1 and t is not None and t.shape.rank == 1:
        axis = 0
    return so.split_op(call, "keras", x, spec, Const(axis), "np")


@function("keras.ops.append")
def _append(call: Call) -> Value:
    """Without ``axis`` both are flattened first; with one, a concatenation along it."""
    a, b, axis = call.arg(0, "x1"), call.arg(1, "x2"), call.arg(2, "axis")
    if axis is not None and not so.is_none(axis):
        return so.concat_op(call, "keras", Seq([v for v in (a, b) if v is not None], "list"), axis)
    op = so.begin(call, "keras", a, b)
    ta, tb = op.tensor(a), op.tensor(b)
    if ta is None or tb is None:
        return op.unknown()
    na, nb = ta.shape.num_elements(), tb.shape.num_elements()
    total = na + nb if na is not None and nb is not None else None
    return op.out(Shape((total,)), ta.dtype if ta.dtype == tb.dtype else None)


@function("keras.ops.diagflat")
def _diagflat(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    k = call.int(1, "k", 0)
    if t is None or k is None:
        return op.unknown(t.dtype if t is not None else None)
    n = t.shape.num_elements()
    side = n + abs(k) if n is not None else None
    return op.out(Shape((side, side)), t.dtype)


@function("keras.ops.vander")
def _vander(call: Call) -> Value:
    """``vander(x, N=None)``: one row per value of a 1-D ``x``, ``N`` columns (``len(x)`` by
    default)."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None or len(t.shape.dims) != 1:
        return op.unknown()
    given = call.arg(1, "N")
    cols: Dim = t.shape.dims[0] if given is None or so.is_none(given) else as_int(given)
    return op.out(Shape((t.shape.dims[0], cols)), "float32" if t.dtype == "float32" else None)


@function("keras.ops.extract_sequences")
def _extract_sequences(call: Call) -> Value:
    """Frames of ``sequence_length`` every ``sequence_stride`` along the last axis:
    ``(..., 1 + (n - length) // stride, length)``."""
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    length, stride = call.int(1, "sequence_length"), call.int(2, "sequence_stride")
    if t is None or t.shape.dims is None or not t.shape.dims or length is None or stride is None or stride < 1:
        return op.unknown(t.dtype if t is not None else None)
    n = t.shape.dims[-1]
    frames: Dim = None
    if isinstance(n, int):
        frames = max(0, 1 + (n - length) // stride) if n >= length else 0
    return op.out(Shape((*t.shape.dims[:-1], frames, length)), t.dtype)


@function("keras.ops.conv_transpose")
def _conv_transpose(call: Call) -> Value:
    """``conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, ...)``:
    kernel ``(*window, out, in)``; each spatial size becomes ``n * stride`` with "same" and
    ``n * stride + max(window - stride, 0)`` with "valid" (dilation 1, no output padding)."""
    x, kernel = call.arg(0, "inputs"), call.arg(1, "kernel")
    op = so.begin(call, "keras", x, kernel)
    t, k = op.tensor(x), op.tensor(kernel)
    dtype = "float32" if t is not None and k is not None and t.dtype == k.dtype == "float32" else None
    padding = call.value(3, "padding", "valid")
    out_pad, rates = call.arg(4, "output_padding"), call.arg(6, "dilation_rate")
    dilation = so.int_list(rates) if rates is not None else [1]
    if (
        t is None or k is None or t.shape.dims is None or k.shape.dims is None
        or keras_layout(call, 5) is None or padding not in ("valid", "same")
        or (out_pad is not None and not so.is_none(out_pad))
        or dilation is None or set(dilation) != {1}
    ):
        return op.unknown(dtype)
    spatial = len(k.shape.dims) - 2
    if spatial < 1 or len(t.shape.dims) != spatial + 2:
        return op.unknown(dtype)
    steps = so.int_list(call.arg(2, "strides") if call.has(2, "strides") else Const(1))
    if steps is None or len(steps) not in (1, spatial):
        return op.unknown(dtype)
    strides = steps * spatial if len(steps) == 1 else steps
    cin, cout = t.shape.dims[-1], k.shape.dims[-1]
    if isinstance(cin, int) and isinstance(cout, int) and cin != cout:
        raise ShapeError(
            f"{call.name}: the kernel {format_shape(k.shape)} takes {cout} input channels but the "
            f"input {format_shape(t.shape)} has {cin}",
            code="shape-mismatch",
        )
    sizes: list[Dim] = []
    for n, w, s in zip(t.shape.dims[1:-1], k.shape.dims[:-2], strides, strict=True):
        if not isinstance(n, int) or not isinstance(w, int):
            sizes.append(None)
        else:
            sizes.append(n * s if padding == "same" else n * s + max(w - s, 0))
    return op.out(Shape((t.shape.dims[0], *sizes, k.shape.dims[-2])), dtype)


@function("keras.ops.separable_conv")
def _separable_conv(call: Call) -> Value:
    """A depthwise convolution then a 1x1 pointwise one: the window and strides of the first,
    the pointwise kernel's last axis as channels."""
    depthwise, pointwise = call.arg(1, "depthwise_kernel"), call.arg(2, "pointwise_kernel")
    d = depthwise if isinstance(depthwise, Tensor) else None
    p = pointwise if isinstance(pointwise, Tensor) else None
    channels = p.shape.dims[-1] if p is not None and p.shape.dims else None
    return keras_kernel_window(call, d, channels, 3)

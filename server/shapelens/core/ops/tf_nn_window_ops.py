"""Sliding-window ops of ``tf.nn``: pooling (``max_pool``/``avg_pool`` in every rank, ``pool``)
and convolutions (``conv1d``/``conv2d``/``conv3d``, ``convolution``, ``depthwise_conv2d``,
``conv2d_transpose`` and friends).

TensorFlow semantics (checked on TF 2.21, see tests/oracle/test_ops_tf_nn.py): inputs are
``(batch, *spatial, channels)`` (``NWC``/``NHWC``/``NDHWC``) or channels-first (``NCW``/``NCHW``/
``NCDHW``); ``ksize``/``strides``/``dilations`` are an int or a list of 1, N or N + 2 numbers;
``SAME`` gives ceil(n / stride) and ``VALID`` floor((n - effective kernel) / stride) + 1. A
convolution's filters are ``(*kernel, in, out)``; its output has ``out`` channels. Explicit
padding lists and unknown arguments leave the shape unknown; nothing here reports an error.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape, conv_output_length
from ..values import Const, Seq, Tensor, Value
from . import shape_ops as so

_POOLS = {
    "tf.nn.max_pool": None, "tf.nn.avg_pool": None,
    "tf.nn.max_pool1d": 1, "tf.nn.avg_pool1d": 1,
    "tf.nn.max_pool2d": 2, "tf.nn.avg_pool2d": 2,
    "tf.nn.max_pool3d": 3, "tf.nn.avg_pool3d": 3,
}


def _per_axis(v: Value | None, n: int, default: int | None = None) -> list[int] | None:
    """``ksize``/``strides``/``dilations``: one number per spatial axis (None when unknown or
    not positive). A list of N + 2 numbers names the batch and channel axes too."""
    if v is None or (isinstance(v, Const) and v.value is None):
        return [default] * n if default is not None else None
    ints = so.int_list(v)
    if ints is None or any(i <= 0 for i in ints):
        return None
    if len(ints) == 1:
        return ints * n
    if len(ints) == n:
        return ints
    if len(ints) == n + 2:
        return ints  # trimmed by the caller, which knows where the channels are
    return None


def _padding(v: Value | None) -> str | None:
    if isinstance(v, Const) and isinstance(v.value, str) and v.value.upper() in ("SAME", "VALID"):
        return v.value.lower()
    return None


def _channels_first(v: Value | None) -> bool | None:
    """``data_format``: None / ``N...C`` is channels-last; ``NC...`` channels-first."""
    if v is None or (isinstance(v, Const) and v.value is None):
        return False
    if isinstance(v, Const) and isinstance(v.value, str) and v.value.startswith("N"):
        return v.value.startswith("NC")
    return None


def _spatial_axes(values: list[int], n: int, first: bool) -> list[int] | None:
    """The spatial entries of a per-axis list that may also name batch and channels (which
    must then be 1: a window across channels is not modelled)."""
    if len(values) == n + 2:
        ends = (values[0], values[1]) if first else (values[0], values[-1])
        if ends != (1, 1):
            return None
        return values[2:] if first else values[1:-1]
    return values


def sliding_window(
    call: Call, x: Value | None, n: int | None, ksize: Value | None, strides: Value | None,
    padding: Value | None, data_format: Value | None, dilations: Value | None = None,
    channels: Dim | str = "same", dtype_of: Tensor | None = None, lib: so.Flavour = "tf",
) -> Value:
    """The output of a window of ``ksize`` moved by ``strides`` over the spatial axes;
    ``channels``: the output's channel count (``same``: the input's)."""
    op = so.begin(call, lib, x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    rank = n if n is not None else len(dims) - 2
    first = _channels_first(data_format)
    pad = _padding(padding)
    k = _per_axis(ksize, rank)
    s = _per_axis(strides, rank, None)
    d = _per_axis(dilations, rank, 1)
    if rank < 1 or len(dims) != rank + 2 or first is None or pad is None or k is None or s is None or d is None:
        return op.unknown(t.dtype)
    k, s, d = (_spatial_axes(v, rank, first) for v in (k, s, d))
    if k is None or s is None or d is None:
        return op.unknown(t.dtype)
    spatial = dims[2:] if first else dims[1:-1]
    out = [conv_output_length(length, kk, pad, ss, dd) for length, kk, ss, dd in zip(spatial, k, s, d, strict=True)]
    if any(isinstance(o, int) and o <= 0 for o in out):
        return op.unknown(t.dtype)
    c = (dims[1] if first else dims[-1]) if channels == "same" else channels
    shape = (dims[0], c, *out) if first else (dims[0], *out, c)
    return op.out(Shape(shape), t.dtype)


@function(*_POOLS)
def _pool(call: Call) -> Value:
    """``max_pool(input, ksize, strides, padding, data_format)``; the unranked names take the
    rank from the input."""
    return sliding_window(
        call, call.arg(0, "input"), _POOLS[call.name], call.arg(1, "ksize"), call.arg(2, "strides"),
        call.arg(3, "padding"), call.arg(4, "data_format"),
    )


@function("tf.nn.pool")
def _generic_pool(call: Call) -> Value:
    """``pool(input, window_shape, pooling_type, strides=None, padding='VALID', data_format,
    dilations)``: strides default to 1."""
    strides = call.arg(3, "strides")
    padding = call.arg(4, "padding") if call.has(4, "padding") else Const("VALID")
    window, steps = so.int_list(call.arg(1, "window_shape")), so.int_list(strides)
    if window is None or (steps is not None and any(s > w for s, w in zip(steps, window * len(steps)))):
        return so.begin(call, "tf", call.arg(0, "input")).unknown()  # TF refuses strides > window
    return sliding_window(
        call, call.arg(0, "input"), None, call.arg(1, "window_shape"),
        strides if strides is not None else Const(1), padding, call.arg(5, "data_format"),
        call.arg(6, "dilations"),
    )


_CONVS = {"tf.nn.conv1d": 1, "tf.nn.conv2d": 2, "tf.nn.conv3d": 3, "tf.nn.convolution": None}


@function(*_CONVS)
def _conv(call: Call) -> Value:
    """``conv2d(input, filters, strides, padding, data_format, dilations)`` (``conv1d`` names
    its stride ``stride``; ``convolution`` defaults strides to 1 and padding to ``VALID``):
    ``filters`` is ``(*kernel, in, out)``."""
    x, filters = call.arg(0, "input"), call.arg(1, "filters")
    f = filters if isinstance(filters, Tensor) else None
    if call.name == "tf.nn.convolution":
        strides = call.arg(2, "strides")
        strides = strides if strides is not None else Const(1)
        padding = call.arg(3, "padding") if call.has(3, "padding") else Const("VALID")
        fmt, dil = call.arg(4, "data_format"), call.arg(5, "dilations")
    else:
        strides = call.arg(2, "stride" if call.name == "tf.nn.conv1d" else "strides")
        padding, fmt, dil = call.arg(3, "padding"), call.arg(4, "data_format"), call.arg(5, "dilations")
        if call.name == "tf.nn.conv3d" and not all(
            v is None or (isinstance(v, Const) and v.value is None) or _five_long(v) for v in (strides, dil)
        ):
            return so.begin(call, "tf", x).unknown()  # conv3d takes only 5-long lists
    if f is None or f.shape.dims is None or len(f.shape.dims) < 3:
        return so.begin(call, "tf", x).unknown()
    sizes = f.shape.dims[:-2]
    if not all(isinstance(k, int) for k in sizes):
        return so.begin(call, "tf", x).unknown()
    kernel: list[Value] = [Const(k) for k in sizes]
    return sliding_window(
        call, x, _CONVS[call.name] or len(kernel), Seq(kernel, "list"), strides, padding, fmt, dil,
        channels=f.shape.dims[-1],
    )


def _five_long(v: Value) -> bool:
    ints = so.int_list(v)
    return ints is not None and len(ints) == 5 and not (isinstance(v, Const))


@function("tf.nn.depthwise_conv2d")
def _depthwise(call: Call) -> Value:
    """``depthwise_conv2d(input, filter, strides, padding, data_format, dilations)``: filter
    ``(kh, kw, in, multiplier)`` gives ``in * multiplier`` channels."""
    x, filt = call.arg(0, "input"), call.arg(1, "filter")
    f = filt if isinstance(filt, Tensor) else None
    if f is None or f.shape.dims is None or len(f.shape.dims) != 4:
        return so.begin(call, "tf", x).unknown()
    kh, kw, cin, mult = f.shape.dims
    if not isinstance(kh, int) or not isinstance(kw, int):
        return so.begin(call, "tf", x).unknown()
    channels = cin * mult if isinstance(cin, int) and isinstance(mult, int) else None
    steps, rates = so.int_list(call.arg(2, "strides")), so.int_list(call.arg(5, "dilations"))
    if steps and rates and max(steps) > 1 and max(rates) > 1:
        return so.begin(call, "tf", x).unknown()  # TF then pads through space_to_batch
    return sliding_window(
        call, x, 2, Seq([Const(kh), Const(kw)], "list"), call.arg(2, "strides"), call.arg(3, "padding"),
        call.arg(4, "data_format"), call.arg(5, "dilations"), channels=channels,
    )


@function("tf.nn.conv2d_transpose", "tf.nn.conv1d_transpose", "tf.nn.conv3d_transpose",
          "tf.nn.conv_transpose")
def _conv_transpose(call: Call) -> Value:
    """``conv2d_transpose(input, filters, output_shape, strides, padding, ...)``: the result has
    ``output_shape`` (TF checks it fits)."""
    x = call.arg(0, "input")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    dims = so.shape_dims(so.resolve(call.arg(2, "output_shape")))
    if dims is None or t is None or (t.shape.dims is not None and len(dims) != len(t.shape.dims)):
        return op.unknown(t.dtype if t is not None else None)
    if any(isinstance(d, int) and d < 0 for d in dims):
        return op.unknown(t.dtype)
    return op.out(Shape(tuple(dims)), t.dtype)


# keras.ops: Keras' argument names and spellings (``padding="same"``, ``data_format=
# "channels_last"``); only channels-last is claimed (TF's CPU kernels refuse channels-first
# convolutions), and a strided dilated window is left unknown.
_KERAS_POOLS = ("keras.ops.max_pool", "keras.ops.average_pool")


def keras_layout(call: Call, at: int) -> Value | None:
    fmt = call.arg(at, "data_format")
    if fmt is None or so.is_none(fmt):
        given = call.interp.image_data_format  # Keras' global setting, read at the call
        return Const(None) if given == "channels_last" else None
    if isinstance(fmt, Const) and fmt.value == "channels_last":
        return Const(None)
    return None


@function(*_KERAS_POOLS)
def _keras_pool(call: Call) -> Value:
    """``max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None)``:
    strides default to the pool size."""
    x, size = call.arg(0, "inputs"), call.arg(1, "pool_size")
    strides = call.arg(2, "strides")
    if strides is None or so.is_none(strides):
        strides = size
    fmt = keras_layout(call, 4)
    padding = call.arg(3, "padding") if call.has(3, "padding") else Const("valid")
    if fmt is None:
        return so.begin(call, "keras", x).unknown()
    return sliding_window(call, x, None, size, strides, padding, fmt, lib="keras")


@function("keras.ops.conv", "keras.ops.depthwise_conv")
def _keras_conv(call: Call) -> Value:
    """``conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1)``:
    kernel ``(*window, in, out)`` gives ``out`` channels; a depthwise kernel
    ``(*window, in, multiplier)`` gives ``in * multiplier``."""
    kernel = call.arg(1, "kernel")
    k = kernel if isinstance(kernel, Tensor) else None
    channels: Dim = None
    if k is not None and k.shape.dims is not None and len(k.shape.dims) >= 3:
        cin, last = k.shape.dims[-2], k.shape.dims[-1]
        if call.name.endswith("depthwise_conv"):
            channels = cin * last if isinstance(cin, int) and isinstance(last, int) else None
        else:
            channels = last
    return keras_kernel_window(call, k, channels, 2)


def keras_kernel_window(call: Call, k: Tensor | None, channels: Dim, at: int) -> Value:
    """A keras.ops convolution of ``inputs`` (the first argument) with the window of kernel
    ``k`` (``(*window, in, out)``): strides, padding, data_format and dilation_rate are the
    arguments from position ``at`` on. Only channels-last is claimed, and a strided dilated
    window is left unknown."""
    x = call.arg(0, "inputs")
    strides = call.arg(at, "strides") if call.has(at, "strides") else Const(1)
    padding = call.arg(at + 1, "padding") if call.has(at + 1, "padding") else Const("valid")
    rates = call.arg(at + 3, "dilation_rate") if call.has(at + 3, "dilation_rate") else Const(1)
    fmt = keras_layout(call, at + 2)
    steps, dil = so.int_list(strides), so.int_list(rates)
    if (
        fmt is None or k is None or k.shape.dims is None or len(k.shape.dims) < 3
        or steps is None or dil is None or (max(steps) > 1 and max(dil) > 1)
    ):
        return so.begin(call, "keras", x).unknown()
    sizes = k.shape.dims[:-2]
    if not all(isinstance(d, int) for d in sizes):
        return so.begin(call, "keras", x).unknown()
    window: list[Value] = [Const(d) for d in sizes]
    return sliding_window(
        call, x, len(window), Seq(window, "list"), strides, padding, fmt, rates, channels=channels, lib="keras",
    )

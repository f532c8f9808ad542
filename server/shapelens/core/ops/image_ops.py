"""Image ops of data pipelines and pixel-shuffle models: ``tf.image.*`` (flips, colour
adjustments and colour-space changes, crops and pads, ``convert_image_dtype``,
``per_image_standardization``, ``rot90``, ``extract_patches``, decoders) and
``tf.nn.depth_to_space`` / ``space_to_depth``.

TensorFlow semantics (checked on TF 2.21, see tests/oracle/test_ops_image.py): images are
``(height, width, channels)`` or ``(batch, height, width, channels)``; colour ops keep shape and
dtype; the crop/pad family sets height and width to its targets; ``depth_to_space`` needs the
channels divisible by ``block_size ** 2`` and ``space_to_depth`` the height and width divisible by
``block_size``, otherwise TF raises. ``tf.image.resize`` lives in tf_ops.
"""

from __future__ import annotations

from collections.abc import Callable

from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, format_shape
from ..values import Const, Seq, Tensor, Value
from . import shape_ops as so

_SAME = [
    "tf.image.flip_left_right", "tf.image.flip_up_down", "tf.image.random_flip_left_right",
    "tf.image.random_flip_up_down", "tf.image.adjust_brightness", "tf.image.adjust_contrast",
    "tf.image.adjust_gamma", "tf.image.adjust_hue", "tf.image.adjust_saturation",
    "tf.image.random_brightness", "tf.image.random_contrast", "tf.image.random_hue",
    "tf.image.random_saturation", "tf.image.stateless_random_brightness",
    "tf.image.stateless_random_contrast", "tf.image.stateless_random_flip_left_right",
    "tf.image.stateless_random_flip_up_down", "tf.image.stateless_random_hue",
    "tf.image.stateless_random_saturation", "tf.image.rgb_to_hsv", "tf.image.hsv_to_rgb",
    "tf.image.rgb_to_yuv", "tf.image.yuv_to_rgb", "tf.image.rgb_to_yiq", "tf.image.yiq_to_rgb",
]


def _image(call: Call, name: str = "image", index: int = 0) -> tuple[so.Op, Tensor | None]:
    v = call.arg(index, name)
    op = so.begin(call, "tf", v)
    return op, op.tensor(v)


def _rank_3_or_4(call: Call, t: Tensor) -> tuple[Dim, ...] | None:
    dims = t.shape.dims
    if dims is None:
        return None
    if len(dims) not in (3, 4):
        raise ShapeError(
            f"{call.name}: the image must be 3-D (height, width, channels) or 4-D (batch, height, "
            f"width, channels), got {format_shape(t.shape)}",
            code="rank",
        )
    return tuple(dims)


ImageRule = Callable[[Call, so.Op, Tensor, tuple[Dim, ...]], Value]


def _on_images(unknown_dtype: str | None = None) -> Callable[[ImageRule], Callable[[Call], Value]]:
    """A rule for ops on a 3-D or 4-D image tensor: the rule body gets the op, the image and
    its dims; an image of unknown shape gives an unknown result (``unknown_dtype``, else the
    image's dtype)."""

    def deco(fn: ImageRule) -> Callable[[Call], Value]:
        def rule(call: Call) -> Value:
            op, t = _image(call)
            if t is None:
                return op.unknown(unknown_dtype)
            dims = _rank_3_or_4(call, t)
            if dims is None:
                return op.unknown(unknown_dtype or t.dtype)
            return fn(call, op, t, dims)

        return rule

    return deco


@function(*_SAME)
def _same_image(call: Call) -> Value:
    op, t = _image(call)
    if t is None:
        return op.unknown()
    return op.out(t.shape, t.dtype)


@function("tf.image.convert_image_dtype")
def _convert_image_dtype(call: Call) -> Value:
    op, t = _image(call)
    dtype = so.dtype_arg(call.arg(1, "dtype"))
    if t is None:
        return op.unknown(dtype)
    return op.out(t.shape, dtype)


@function("tf.image.per_image_standardization")
def _standardize(call: Call) -> Value:
    op, t = _image(call)
    if t is None:
        return op.unknown("float32")
    return op.out(t.shape, "float32")  # whatever the input dtype (TF 2.21)


def _with_channels(call: Call, channels: int, need: int | None) -> Value:
    op, t = _image(call, "images")
    if t is None:
        return op.unknown()
    dims = t.shape.dims
    if dims is None:
        return op.out(t.shape, t.dtype)
    if not dims:
        raise ShapeError(f"{call.name}: the image needs at least one axis, got a scalar", code="rank")
    if need is not None and isinstance(dims[-1], int) and dims[-1] != need:
        raise ShapeError(
            f"{call.name}: the last axis must have size {need} (the colour channels), got "
            f"{format_shape(t.shape)}",
            code="shape",
        )
    return op.out(Shape((*dims[:-1], channels)), t.dtype)


@function("tf.image.rgb_to_grayscale")
def _to_grayscale(call: Call) -> Value:
    return _with_channels(call, 1, None)


@function("tf.image.grayscale_to_rgb")
def _to_rgb(call: Call) -> Value:
    return _with_channels(call, 3, 1)


@function("tf.image.sobel_edges")
def _sobel_edges(call: Call) -> Value:
    """``(batch, h, w, channels)`` -> the vertical and horizontal gradients on a new last axis."""
    op, t = _image(call, "image")
    if t is None:
        return op.unknown()
    dims = t.shape.dims
    if dims is None or len(dims) != 4:
        return op.unknown(t.dtype)
    return op.out(Shape((*dims, 2)), t.dtype)


def _target(op: so.Op, dims: tuple[Dim, ...], h: Dim, w: Dim, dtype: str | None) -> Value:
    """The image with a new height and width."""
    return op.out(Shape((*dims[:-3], h, w, dims[-1])), dtype)


@function("tf.image.resize_with_crop_or_pad", "tf.image.resize_image_with_crop_or_pad")
@_on_images()
def _crop_or_pad(call: Call, op: so.Op, t: Tensor, dims: tuple[Dim, ...]) -> Value:
    h, w = call.int(1, "target_height"), call.int(2, "target_width")
    return _target(op, dims, h, w, t.dtype)


@function("tf.image.crop_to_bounding_box", "tf.image.pad_to_bounding_box")
@_on_images()
def _bounding_box(call: Call, op: so.Op, t: Tensor, dims: tuple[Dim, ...]) -> Value:
    off_h, off_w = call.int(1, "offset_height"), call.int(2, "offset_width")
    h, w = call.int(3, "target_height"), call.int(4, "target_width")
    old_h, old_w = dims[-3], dims[-2]
    cropping = call.name.endswith("crop_to_bounding_box")
    for off, size, old, what in ((off_h, h, old_h, "height"), (off_w, w, old_w, "width")):
        if not (isinstance(off, int) and isinstance(size, int) and isinstance(old, int)):
            continue
        if cropping and off + size > old:
            raise ShapeError(
                f"{call.name}: the {what} offset {off} plus the target {what} {size} exceeds the "
                f"image {what} {old} ({format_shape(t.shape)})",
                code="shape",
            )
        if not cropping and old + off > size:
            raise ShapeError(
                f"{call.name}: the image {what} {old} plus the offset {off} exceeds the target "
                f"{what} {size} ({format_shape(t.shape)})",
                code="shape",
            )
    return _target(op, dims, h, w, t.dtype)


@function("tf.image.crop_and_resize")
def _crop_and_resize(call: Call) -> Value:
    """One ``crop_size`` crop per box, from the image its box index names:
    ``(num_boxes, crop_height, crop_width, channels)``, always float32."""
    image, boxes = call.arg(0, "image"), call.arg(1, "boxes")
    op = so.begin(call, "tf", image, boxes)
    t, b = op.tensor(image), op.tensor(boxes)
    size = so.shape_dims(call.arg(3, "crop_size")) if call.has(3, "crop_size") else None
    if t is None or t.shape.dims is None or len(t.shape.dims) != 4 or size is None or len(size) != 2:
        return op.unknown("float32")
    n: Dim = b.shape.dims[0] if b is not None and b.shape.dims else None
    return op.out(Shape((n, size[0], size[1], t.shape.dims[3])), "float32")


@function("tf.image.resize_with_pad")
@_on_images("float32")
def _resize_with_pad(call: Call, op: so.Op, t: Tensor, dims: tuple[Dim, ...]) -> Value:
    th, tw = call.int(1, "target_height"), call.int(2, "target_width")
    h, w = dims[-3], dims[-2]
    if all(isinstance(d, int) and d > 0 for d in (th, tw, h, w)):
        assert isinstance(th, int) and isinstance(tw, int) and isinstance(h, int) and isinstance(w, int)
        # TF first resizes to fit inside the target, flooring h / ratio and w / ratio
        ratio = max(w / tw, h / th)
        if min(h / ratio, w / ratio) < 0.999:
            raise ShapeError(
                f"{call.name}: fitting {format_shape(t.shape)} into {th}x{tw} would resize it to a "
                f"zero height or width; TF raises 'output dimensions must be positive'",
                code="shape",
            )
    return _target(op, dims, th, tw, "float32")


@function("tf.image.central_crop")
@_on_images()
def _central_crop(call: Call, op: so.Op, t: Tensor, dims: tuple[Dim, ...]) -> Value:
    frac = call.arg(1, "central_fraction")
    f = frac.value if isinstance(frac, Const) and isinstance(frac.value, (int, float)) else None
    if f is None or isinstance(f, bool):
        return _target(op, dims, None, None, t.dtype)
    if not 0.0 < f <= 1.0:
        raise ShapeError(f"{call.name}: central_fraction must be within (0, 1], got {f}", code="invalid-argument")
    if f == 1.0:
        return op.out(t.shape, t.dtype)

    def keep(size: Dim) -> Dim:
        if not isinstance(size, int):
            return None
        start = int((size - size * f) / 2)  # TF's own float arithmetic
        return size - start * 2

    return _target(op, dims, keep(dims[-3]), keep(dims[-2]), t.dtype)


@function("tf.image.random_crop")
def _random_crop(call: Call) -> Value:
    v = call.arg(0, "value")
    op = so.begin(call, "tf", v)
    t = op.tensor(v)
    size = so.shape_dims(call.arg(1, "size"))
    dtype = t.dtype if t is not None else None
    if size is None:
        return op.unknown(dtype)
    if t is not None and t.shape.dims is not None:
        if len(t.shape.dims) != len(size):
            raise ShapeError(
                f"{call.name}: size has {len(size)} values but the value {format_shape(t.shape)} "
                f"has rank {len(t.shape.dims)}",
                code="rank",
            )
        for have, want in zip(t.shape.dims, size, strict=True):
            if isinstance(have, int) and isinstance(want, int) and want > have:
                raise ShapeError(
                    f"{call.name}: cannot crop {format_shape(Shape(tuple(size)))} out of "
                    f"{format_shape(t.shape)}",
                    code="shape",
                )
    return op.out(Shape(tuple(size)), dtype)


@function("tf.image.rot90")
@_on_images()
def _rot90(call: Call, op: so.Op, t: Tensor, dims: tuple[Dim, ...]) -> Value:
    k = call.int(1, "k", 1)
    if k is None:
        h = w = dims[-3] if dims[-3] == dims[-2] else None
        return _target(op, dims, h, w, t.dtype)
    if k % 2 == 0:
        return op.out(t.shape, t.dtype)
    return _target(op, dims, dims[-2], dims[-3], t.dtype)


@function("tf.image.transpose", "tf.image.transpose_image")
@_on_images()
def _transpose_image(call: Call, op: so.Op, t: Tensor, dims: tuple[Dim, ...]) -> Value:
    return _target(op, dims, dims[-2], dims[-3], t.dtype)


@function("tf.image.decode_jpeg", "tf.io.decode_jpeg", "tf.image.decode_png", "tf.io.decode_png")
def _decode(call: Call) -> Value:
    op = so.begin(call, "tf", call.arg(0, "contents"))
    channels = call.int(1, "channels", 0)
    dtype: str | None = "uint8"
    if call.name.endswith("png"):
        dtype = so.dtype_arg(call.arg(2, "dtype"), "uint8")
    c: Dim = channels if isinstance(channels, int) and channels > 0 else None
    return op.out(Shape((None, None, c)), dtype)


@function("tf.image.extract_patches")
def _extract_patches(call: Call) -> Value:
    """(batch, rows, cols, size_rows * size_cols * depth): one flattened patch per window."""
    from ..shapes import conv_output_length

    op, t = _image(call, "images")
    if t is None:
        return op.unknown()
    dims = t.shape.dims
    if dims is None:
        return op.unknown(t.dtype)
    if len(dims) != 4:
        raise ShapeError(
            f"{call.name}: images must be 4-D (batch, height, width, depth), got {format_shape(t.shape)}",
            code="rank",
        )
    sizes, strides, rates = (so.int_list(call.arg(i, n)) for i, n in ((1, "sizes"), (2, "strides"), (3, "rates")))
    padding = call.value(4, "padding")
    if (
        sizes is None or strides is None or rates is None or not isinstance(padding, str)
        or padding.upper() not in ("VALID", "SAME") or not len(sizes) == len(strides) == len(rates) == 4
        or min(sizes + strides + rates) <= 0
    ):
        return op.unknown(t.dtype)
    pad = padding.lower()
    h = conv_output_length(dims[1], sizes[1], pad, strides[1], rates[1])
    w = conv_output_length(dims[2], sizes[2], pad, strides[2], rates[2])
    for size, out, what in ((dims[1], h, "rows"), (dims[2], w, "cols")):
        if isinstance(out, int) and out < 0:
            raise ShapeError(
                f"{call.name}: a patch ({sizes[1]}x{sizes[2]}, rates {rates[1]}x{rates[2]}) is larger "
                f"than the image's {size} {what} ({format_shape(t.shape)}) with padding 'VALID'",
                code="shape",
            )
    depth = dims[3] * sizes[1] * sizes[2] if isinstance(dims[3], int) else None
    return op.out(Shape((dims[0], h, w, depth)), t.dtype)


def _block_size(call: Call) -> int | None:
    b = call.int(1, "block_size")
    if isinstance(b, int) and b < 2:
        raise ShapeError(f"{call.name}: block_size must be at least 2, got {b}", code="invalid-argument")
    return b


def _nhwc(call: Call, t: Tensor) -> tuple[Dim, ...] | None:
    fmt = call.value(2, "data_format", "NHWC")
    if fmt != "NHWC":
        return None
    dims = t.shape.dims
    if dims is None:
        return None
    if len(dims) != 4:
        raise ShapeError(
            f"{call.name}: input must be 4-D (batch, height, width, channels), got {format_shape(t.shape)}",
            code="rank",
        )
    return tuple(dims)


def _shuffle_operands(call: Call) -> tuple[so.Op, Tensor | None, int | None, tuple[Dim, ...] | None]:
    """depth_to_space / space_to_depth: the op, the input, the block size and the NHWC dims."""
    op, t = _image(call, "input")
    if t is None:
        return op, None, None, None
    return op, t, _block_size(call), _nhwc(call, t)


@function("tf.nn.depth_to_space", "tf.compat.v1.depth_to_space")
def _depth_to_space(call: Call) -> Value:
    op, t, b, dims = _shuffle_operands(call)
    if t is None or b is None or dims is None:
        return op.unknown(t.dtype if t is not None else None)
    return op.out(Shape(depth_to_space_dims(call.name, dims, b, t.shape)), t.dtype)


@function("tf.nn.space_to_depth", "tf.compat.v1.space_to_depth")
def _space_to_depth(call: Call) -> Value:
    op, t, b, dims = _shuffle_operands(call)
    if t is None or b is None or dims is None:
        return op.unknown(t.dtype if t is not None else None)
    return op.out(Shape(space_to_depth_dims(call.name, dims, b, t.shape)), t.dtype)


def depth_to_space_dims(name: str, dims: tuple[Dim, ...], b: int, shape: Shape) -> tuple[Dim, ...]:
    """(batch, height, width, channels) after moving channel blocks of ``b * b`` into space."""
    n, h, w, c = dims
    if isinstance(c, int) and c % (b * b):
        raise ShapeError(
            f"{name}: the channels ({c}, of {format_shape(shape)}) must be divisible by "
            f"block_size * block_size = {b * b}",
            code="shape",
        )

    def times(d: Dim) -> Dim:
        return d * b if isinstance(d, int) else None

    return (n, times(h), times(w), c // (b * b) if isinstance(c, int) else None)


def space_to_depth_dims(name: str, dims: tuple[Dim, ...], b: int, shape: Shape) -> tuple[Dim, ...]:
    """(batch, height, width, channels) after moving ``b`` x ``b`` blocks of space into channels."""
    n, h, w, c = dims
    for size, what in ((h, "height"), (w, "width")):
        if isinstance(size, int) and size % b:
            raise ShapeError(
                f"{name}: the {what} ({size}, of {format_shape(shape)}) must be divisible by "
                f"block_size = {b}",
                code="shape",
            )

    def over(d: Dim) -> Dim:
        return d // b if isinstance(d, int) else None

    return (n, over(h), over(w), c * b * b if isinstance(c, int) else None)


@function("tf.image.image_gradients")
def _image_gradients(call: Call) -> Value:
    op, t = _image(call, "image")
    if t is None:
        return Seq([op.unknown(), op.unknown()], "tuple")
    if t.shape.dims is not None and len(t.shape.dims) != 4:
        raise ShapeError(
            f"{call.name}: image must be 4-D (batch, height, width, channels), got {format_shape(t.shape)}",
            code="rank",
        )
    return Seq([op.out(t.shape, t.dtype), op.out(t.shape, t.dtype)], "tuple")

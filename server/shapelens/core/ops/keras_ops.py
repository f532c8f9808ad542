"""``keras.ops``: the backend-independent tensor API (reshape, transpose, concatenate, matmul,
einsum, reductions, argmax, cast, one_hot, creation, arithmetic, activations), plus
``keras.utils.to_categorical``, ``keras.utils.(un)pack_x_y_sample_weight`` and ``keras.random``.

Keras semantics (Keras 3.15, TF backend): results are KerasTensors (kind ``keras``) when any
input is one, else eager tensors (kind ``tf``); literals become int32/float32, numpy arrays keep
their dtype; dtypes promote on Keras' lattice (`elementwise.keras_promote`); ``mean``/``std``
and float math on ints give float32; ``sum`` of bool/int8/int16 gives int32; ``argmax`` gives
int32 and without ``axis`` reduces everything; ``split``/``take``/``tile`` follow numpy.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Shape, ShapeError, format_shape
from ..values import (
    UNKNOWN,
    Const,
    DictVal,
    Seq,
    Tensor,
    Value,
    as_dim,
    as_int,
    has_concrete_shape,
    shape_value,
)
from . import shape_ops as so
from .tf_ops import broadcast_with

# ---------------------------------------------------------------------------------------------
# creation and conversion


@function("keras.ops.convert_to_tensor", "keras.ops.array")
def _convert(call: Call) -> Value:
    return so.array_op(call, "keras", call.arg(0, "x"), call.arg(1, "dtype"), "tf")


@function("keras.ops.convert_to_numpy")
def _convert_to_numpy(call: Call) -> Value:
    """An eager tensor or array as a numpy array of the same shape and dtype (a KerasTensor
    has no value to convert)."""
    x = call.arg(0, "x")
    if not isinstance(x, Tensor) or x.kind in ("keras", "spec"):
        return UNKNOWN
    return Tensor(x.shape, x.dtype, "np", call.span, x.label)


@function("keras.ops.zeros", "keras.ops.ones", "keras.ops.empty")
def _zeros(call: Call) -> Value:
    return so.zeros_op(call, "keras", call.arg(0, "shape"), call.arg(1, "dtype"), "float32")


@function("keras.ops.full")
def _full(call: Call) -> Value:
    return so.full_op(call, "keras", call.arg(0, "shape"), call.arg(1, "fill_value"), call.arg(2, "dtype"))


@function("keras.ops.zeros_like", "keras.ops.ones_like", "keras.ops.empty_like")
def _zeros_like(call: Call) -> Value:
    return so.like_op(call, "keras", call.arg(0, "x"), call.arg(1, "dtype"))


@function("keras.ops.full_like")
def _full_like(call: Call) -> Value:
    return so.like_op(call, "keras", call.arg(0, "x"), call.arg(2, "dtype"))


@function("keras.ops.eye")
def _eye(call: Call) -> Value:
    return so.eye_op(call, "keras", call.arg(0, "N"), call.arg(1, "M"), call.arg(3, "dtype"))


@function("keras.ops.identity")
def _identity(call: Call) -> Value:
    return so.eye_op(call, "keras", call.arg(0, "n"), None, call.arg(1, "dtype"))


@function("keras.ops.arange")
def _arange(call: Call) -> Value:
    return so.range_op(call, "keras", call.arg(0, "start"), call.arg(1, "stop"), call.arg(2, "step"), call.arg(3, "dtype"))


@function("keras.ops.linspace")
def _linspace(call: Call) -> Value:
    return so.linspace_op(call, "keras", call.arg(0, "start"), call.arg(1, "stop"), call.arg(2, "num"), call.kwargs.get("dtype"))


@function("keras.random.normal", "keras.random.uniform", "keras.random.truncated_normal")
def _random(call: Call) -> Value:
    """``(shape, mean/minval, stddev/maxval, dtype, seed)``: tensor-valued parameters
    broadcast the draw, as in ``tf.random``."""
    dtype = so.dtype_arg(call.arg(3, "dtype"), "float32")
    out = so.random_op(call, "keras", call.arg(0, "shape"), dtype, scalar_when_none=False)
    low, high = ("minval", "maxval") if call.name.endswith("uniform") else ("mean", "stddev")
    return broadcast_with(out, call.arg(1, low), call.arg(2, high))


@function("keras.random.randint")
def _random_randint(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(3, "dtype"), "int32")
    return so.random_op(call, "keras", call.arg(0, "shape"), dtype, scalar_when_none=False)


@function("keras.random.beta", "keras.random.gamma", "keras.random.binomial")
def _random_distributions(call: Call) -> Value:
    at = {"beta": 3, "gamma": 2, "binomial": 3}[call.name.rsplit(".", 1)[-1]]
    dtype = so.dtype_arg(call.arg(at, "dtype"), "float32")
    return so.random_op(call, "keras", call.arg(0, "shape"), dtype, scalar_when_none=False)


@function("keras.random.categorical")
def _random_categorical(call: Call) -> Value:
    """One row of ``num_samples`` draws per row of 2-D logits."""
    logits = call.arg(0, "logits")
    op = so.begin(call, "keras", logits)
    t = op.tensor(logits)
    n = call.arg(1, "num_samples")
    dtype = so.dtype_arg(call.arg(2, "dtype"), "int32")
    if t is None or t.shape.dims is None or len(t.shape.dims) != 2:
        return op.unknown(dtype)
    return op.out(Shape((t.shape.dims[0], as_dim(n) if n is not None else None)), dtype)


@function("keras.random.shuffle", "keras.random.dropout")
def _random_same_shape(call: Call) -> Value:
    x = call.arg(0, "x" if call.name.endswith("shuffle") else "inputs")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    return op.out(t.shape, t.dtype)


@function("keras.utils.to_categorical")
def _to_categorical(call: Call) -> Value:
    """A numpy float64 array: a trailing size-1 axis is replaced by the classes axis."""
    x = call.arg(0, "x")
    op = so.begin(call, "np", x)
    t = op.tensor(x)
    n = call.arg(1, "num_classes")
    classes = as_dim(n) if n is not None else None
    if t is None or t.shape.dims is None:
        return op.unknown("float64")
    dims = t.shape.dims
    if len(dims) > 1 and dims[-1] == 1:
        dims = dims[:-1]
    return op.out(Shape((*dims, classes)), "float64")


@function("keras.utils.unpack_x_y_sample_weight")
def _unpack_x_y_sample_weight(call: Call) -> Value:
    """``x, y, w = keras.utils.unpack_x_y_sample_weight(data)`` in a ``train_step``: a tuple or
    list of one to three items is padded with None; anything else is ``x`` alone."""
    data = call.arg(0, "data")
    if data is None:
        return UNKNOWN
    none = Const(None)
    if isinstance(data, Seq):
        if data.items is None or not 1 <= len(data.items) <= 3:
            return UNKNOWN  # Keras raises for more than three; an unknown length is not read
        items = list(data.items)
        return Seq([*items, *[none] * (3 - len(items))], "tuple")
    if isinstance(data, (Tensor, DictVal)):
        return Seq([data, none, none], "tuple")
    return UNKNOWN


@function("keras.utils.pack_x_y_sample_weight")
def _pack_x_y_sample_weight(call: Call) -> Value:
    """The inverse: ``x`` alone (``(x,)`` when ``x`` is a tuple or list), ``(x, y)`` or
    ``(x, y, sample_weight)``."""
    x, y, w = call.arg(0, "x"), call.arg(1, "y"), call.arg(2, "sample_weight")
    if x is None:
        return UNKNOWN
    if _is_none(y):
        if isinstance(x, Seq):
            return Seq([x], "tuple")
        return x if isinstance(x, (Tensor, DictVal)) else UNKNOWN
    assert y is not None
    return Seq([x, y], "tuple") if _is_none(w) else Seq([x, y, w or UNKNOWN], "tuple")


def _is_none(v: Value | None) -> bool:
    return v is None or (isinstance(v, Const) and v.value is None)


# ---------------------------------------------------------------------------------------------
# shape manipulation


@function("keras.ops.reshape")
def _reshape(call: Call) -> Value:
    return so.reshape_op(call, "keras", call.arg(0, "x"), call.arg(1, "newshape"))


@function("keras.ops.transpose")
def _transpose(call: Call) -> Value:
    return so.transpose_op(call, "keras", call.arg(0, "x"), call.arg(1, "axes"))


@function("keras.ops.swapaxes")
def _swapaxes(call: Call) -> Value:
    return so.swapaxes_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis1"), call.arg(2, "axis2"))


@function("keras.ops.moveaxis")
def _moveaxis(call: Call) -> Value:
    return so.moveaxis_op(call, "keras", call.arg(0, "x"), call.arg(1, "source"), call.arg(2, "destination"))


@function("keras.ops.expand_dims")
def _expand_dims(call: Call) -> Value:
    return so.expand_dims_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"))


@function("keras.ops.squeeze")
def _squeeze(call: Call) -> Value:
    return so.squeeze_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"))


@function("keras.ops.concatenate")
def _concatenate(call: Call) -> Value:
    return so.concat_op(call, "keras", call.arg(0, "xs"), call.arg(1, "axis"), 0)


@function("keras.ops.stack")
def _stack(call: Call) -> Value:
    return so.stack_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"))


@function("keras.ops.split")
def _split(call: Call) -> Value:
    return so.split_op(call, "keras", call.arg(0, "x"), call.arg(1, "indices_or_sections"), call.arg(2, "axis"), "np")


@function("keras.ops.unstack")
def _unstack(call: Call) -> Value:
    return so.unstack_op(call, "keras", call.arg(0, "x"), call.arg(1, "num"), call.arg(2, "axis"))


@function("keras.ops.tile")
def _tile(call: Call) -> Value:
    return so.tile_op(call, "keras", call.arg(0, "x"), call.arg(1, "repeats"), "np")


@function("keras.ops.repeat")
def _repeat(call: Call) -> Value:
    return so.repeat_op(call, "keras", call.arg(0, "x"), call.arg(1, "repeats"), call.arg(2, "axis"))


@function("keras.ops.pad")
def _pad(call: Call) -> Value:
    return so.pad_op(call, "keras", call.arg(0, "x"), call.arg(1, "pad_width"), "tf")


@function("keras.ops.broadcast_to")
def _broadcast_to(call: Call) -> Value:
    return so.broadcast_to_op(call, "keras", call.arg(0, "x"), call.arg(1, "shape"))


@function("keras.ops.ravel")
def _ravel(call: Call) -> Value:
    return so.flatten_op(call, "keras", call.arg(0, "x"))


@function("keras.ops.flip", "keras.ops.sort", "keras.ops.stop_gradient", "keras.ops.copy", "keras.ops.roll",
          "keras.ops.nan_to_num", "keras.ops.absolute", "keras.ops.abs", "keras.ops.fliplr", "keras.ops.flipud")
def _same(call: Call) -> Value:
    return so.unary_op(call, "keras", call.arg(0, "x"), "same")


@function("keras.ops.negative", "keras.ops.sign", "keras.ops.round")
def _same_no_bool(call: Call) -> Value:
    """Same dtype; eager bool tensors are refused by TF."""
    return _eager_checked(call, allow_int=True)


def _eager_checked(call: Call, allow_int: bool, int_result: str | None = None) -> Value:
    x = call.arg(0, "x")
    out = so.unary_op(call, "keras", x, "same")
    if not isinstance(out, Tensor) or out.dtype is None or so.is_float_dtype(out.dtype):
        return out
    if out.kind == "keras":
        return out  # Keras' symbolic rule keeps the dtype
    if out.dtype == "bool" or not allow_int:
        raise ShapeError(
            f"{call.name} does not accept {out.dtype} tensors (TensorFlow has no kernel for it); "
            f"cast to float first",
            code="dtype-mismatch",
        )
    if int_result is not None:
        out.dtype = int_result
    return out


@function("keras.ops.square")
def _square(call: Call) -> Value:
    out = so.unary_op(call, "keras", call.arg(0, "x"), "same")
    if isinstance(out, Tensor) and out.dtype == "bool":
        out.dtype = "int32"
    return out


@function("keras.ops.floor", "keras.ops.ceil", "keras.ops.exp", "keras.ops.log", "keras.ops.log1p", "keras.ops.expm1", "keras.ops.log2",
          "keras.ops.log10", "keras.ops.sqrt", "keras.ops.rsqrt", "keras.ops.sin", "keras.ops.cos",
          "keras.ops.tan", "keras.ops.arcsin", "keras.ops.arccos", "keras.ops.arctan", "keras.ops.sinh",
          "keras.ops.cosh", "keras.ops.tanh", "keras.ops.arcsinh", "keras.ops.arccosh",
          "keras.ops.arctanh", "keras.ops.erf", "keras.ops.erfc", "keras.ops.nn.tanh")
def _float_unary(call: Call) -> Value:
    return so.unary_op(call, "keras", call.arg(0, "x"), "float")


@function("keras.ops.sigmoid", "keras.ops.softmax", "keras.ops.log_softmax", "keras.ops.silu",
          "keras.ops.swish", "keras.ops.gelu", "keras.ops.elu", "keras.ops.selu", "keras.ops.softplus",
          "keras.ops.softsign", "keras.ops.hard_sigmoid", "keras.ops.nn.sigmoid", "keras.ops.nn.softmax",
          "keras.ops.nn.log_softmax", "keras.ops.nn.silu", "keras.ops.nn.gelu", "keras.ops.nn.elu",
          "keras.ops.nn.selu", "keras.ops.nn.softplus", "keras.ops.hard_silu", "keras.ops.nn.softsign",
          "keras.ops.nn.hard_sigmoid", "keras.ops.nn.swish", "keras.ops.nn.hard_silu")
def _activation(call: Call) -> Value:
    """Float kernels: symbolically Keras keeps any dtype, eagerly TF refuses ints and bools."""
    return _eager_checked(call, allow_int=False)


@function("keras.ops.relu", "keras.ops.relu6", "keras.ops.nn.relu", "keras.ops.nn.relu6")
def _relu(call: Call) -> Value:
    return _eager_checked(call, allow_int=True)


@function("keras.ops.leaky_relu", "keras.ops.nn.leaky_relu")
def _leaky_relu(call: Call) -> Value:
    return _eager_checked(call, allow_int=True, int_result="float32")


@function("keras.ops.isnan", "keras.ops.isinf", "keras.ops.isfinite", "keras.ops.logical_not",
          "keras.ops.signbit", "keras.ops.isposinf", "keras.ops.isneginf")
def _predicate(call: Call) -> Value:
    return so.unary_op(call, "keras", call.arg(0, "x"), "bool")


_BINARY = {
    "keras.ops.add": "arith", "keras.ops.subtract": "arith", "keras.ops.multiply": "arith",
    "keras.ops.divide": "div", "keras.ops.true_divide": "div", "keras.ops.floor_divide": "arith",
    "keras.ops.mod": "arith", "keras.ops.power": "arith", "keras.ops.maximum": "arith",
    "keras.ops.minimum": "arith", "keras.ops.equal": "compare", "keras.ops.not_equal": "compare",
    "keras.ops.greater": "compare", "keras.ops.greater_equal": "compare", "keras.ops.less": "compare",
    "keras.ops.less_equal": "compare", "keras.ops.logical_and": "compare",
    "keras.ops.logical_or": "compare", "keras.ops.logical_xor": "compare",
}


@function(*_BINARY)
def _binary(call: Call) -> Value:
    return so.binary_op(call, "keras", call.arg(0, "x1"), call.arg(1, "x2"), _BINARY[call.name])


# ---------------------------------------------------------------------------------------------
# products


@function("keras.ops.matmul")
def _matmul(call: Call) -> Value:
    return so.matmul_op(call, "keras", call.arg(0, "x1"), call.arg(1, "x2"), policy="hint")


@function("keras.ops.dot")
def _dot(call: Call) -> Value:
    return so.dot_op(call, "keras", call.arg(0, "x1"), call.arg(1, "x2"))


@function("keras.ops.outer")
def _outer(call: Call) -> Value:
    return so.outer_op(call, "keras", call.arg(0, "x1"), call.arg(1, "x2"))


@function("keras.ops.einsum")
def _einsum(call: Call) -> Value:
    return so.einsum_op(call, "keras", call.arg(0, "subscripts"), list(call.args[1:]))


@function("keras.ops.tensordot")
def _tensordot(call: Call) -> Value:
    return so.tensordot_op(call, "keras", call.arg(0, "x1"), call.arg(1, "x2"), call.arg(2, "axes"))


# ---------------------------------------------------------------------------------------------
# reductions

_REDUCTIONS = {
    "keras.ops.sum": "sum", "keras.ops.prod": "prod", "keras.ops.mean": "mean", "keras.ops.max": "max",
    "keras.ops.amax": "max", "keras.ops.min": "min", "keras.ops.amin": "min", "keras.ops.std": "std",
    "keras.ops.var": "var", "keras.ops.any": "any", "keras.ops.all": "all",
    "keras.ops.logsumexp": "logsumexp", "keras.ops.median": "median", "keras.ops.nansum": "sum",
    "keras.ops.nanprod": "prod", "keras.ops.nanmean": "mean", "keras.ops.nanmax": "max",
    "keras.ops.nanmin": "min", "keras.ops.nanstd": "std", "keras.ops.nanvar": "var",
    "keras.ops.nanmedian": "median",
}


@function(*_REDUCTIONS)
def _reduce(call: Call) -> Value:
    what = _REDUCTIONS[call.name]
    dtype = call.kwargs.get("dtype") if what in ("sum", "prod") else None
    return so.reduce_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"), call.arg(2, "keepdims"), what, dtype)


@function("keras.ops.norm", "keras.ops.linalg.norm")
def _norm(call: Call) -> Value:
    """``norm(x, ord=None, axis=None, keepdims=False)``: a vector or matrix norm over ``axis``
    (all axes, flattened, when not given)."""
    x, order, axis = call.arg(0, "x"), call.arg(1, "ord"), call.arg(2, "axis")
    t = x if isinstance(x, Tensor) else None
    given = order is not None and not so.is_none(order)
    no_axis = axis is None or so.is_none(axis)
    symbolic = t is not None and t.kind == "keras"
    if no_axis and (t is None or t.shape.rank is None or (
        (given or not symbolic) and t.shape.rank not in (1, 2)
    )):
        # an ord needs a 1-D or 2-D input; so does the TF backend's eager norm of all axes
        # (a KerasTensor's spec reduces everything)
        return so.begin(call, "keras", x).unknown()
    return so.reduce_op(call, "keras", x, axis, call.arg(3, "keepdims"), "norm")


@function("keras.ops.argmax", "keras.ops.argmin", "keras.ops.nanargmax", "keras.ops.nanargmin")
def _argmax(call: Call) -> Value:
    return so.argmax_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"), call.arg(2, "keepdims"))


@function("keras.ops.cumsum", "keras.ops.cumprod", "keras.ops.nancumsum", "keras.ops.nancumprod")
def _cumsum(call: Call) -> Value:
    return so.cumulative_op(call, "keras", call.arg(0, "x"), call.arg(1, "axis"), "sum")


@function("keras.ops.argsort")
def _argsort(call: Call) -> Value:
    op = so.begin(call, "keras", call.arg(0, "x"))
    t = op.tensor(call.arg(0, "x"))
    return op.out(t.shape, "int32") if t is not None else op.unknown("int32")


# ---------------------------------------------------------------------------------------------
# dtype, indexing, misc


@function("keras.ops.image.resize")
def _image_resize(call: Call) -> Value:
    """``keras.ops.image.resize(images, size)``: 3-D or 4-D images, dtype kept."""
    x = call.arg(0, "images")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    if len(dims) not in (3, 4):
        raise ShapeError(
            f"{call.name}: images must be 3-D or 4-D, got {format_shape(t.shape)}", code="rank"
        )
    size = so.shape_dims(call.arg(1, "size"))
    if size is None or len(size) != 2:
        return op.out(Shape((None,) * len(dims)), t.dtype)
    if _channels_first(call):
        return op.out(Shape((*dims[:-2], size[0], size[1])), t.dtype)
    return op.out(Shape((*dims[:-3], size[0], size[1], dims[-1])), t.dtype)


def _channels_first(call: Call) -> bool:
    fmt = call.kwargs.get("data_format")
    return isinstance(fmt, Const) and fmt.value == "channels_first"


@function("keras.ops.image.extract_patches")
def _extract_patches(call: Call) -> Value:
    """Patches of ``size`` every ``strides`` (default: ``size``), flattened into channels."""
    from ..shapes import conv_output_length

    x = call.arg(0, "images")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    if len(dims) not in (3, 4):
        raise ShapeError(f"{call.name}: images must be 3-D or 4-D, got {format_shape(t.shape)}", code="rank")
    size = so.int_list(call.arg(1, "size"))
    strides = so.int_list(call.arg(2, "strides")) if call.has(2, "strides") else size
    padding = call.value(4, "padding", "valid")
    if (
        size is None
        or strides is None
        or not isinstance(padding, str)
        or len(size) not in (1, 2)
        or len(strides) not in (1, 2)
        or min(size + strides) <= 0
    ):
        return op.unknown(t.dtype)
    ph, pw = (size * 2)[:2]
    sh, sw = (strides * 2)[:2]
    first = _channels_first(call)
    h, w, c = (dims[-2], dims[-1], dims[-3]) if first else (dims[-3], dims[-2], dims[-1])
    oh = conv_output_length(h, ph, padding, sh)
    ow = conv_output_length(w, pw, padding, sw)
    ch = c * ph * pw if isinstance(c, int) else None
    lead = dims[:-3]
    return op.out(Shape((*lead, ch, oh, ow) if first else (*lead, oh, ow, ch)), t.dtype)


@function("keras.ops.image.crop_images", "keras.ops.image.pad_images")
def _crop_or_pad_images(call: Call) -> Value:
    """Per axis, exactly two of (top or left, bottom or right, target): the target, or the
    size less (cropping) or plus (padding) the two margins. Dtype kept."""
    x = call.arg(0, "images")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    if len(dims) not in (3, 4):
        return op.unknown(t.dtype)
    word = "cropping" if call.name.endswith("crop_images") else "padding"
    sign = -1 if word == "cropping" else 1
    first = _channels_first(call)
    h_at, w_at = (len(dims) - 2, len(dims) - 1) if first else (len(dims) - 3, len(dims) - 2)
    out = list(dims)
    for at, (lo, lo_i), (hi, hi_i), (target, target_i) in (
        (h_at, (f"top_{word}", 1), (f"bottom_{word}", 3), ("target_height", 5)),
        (w_at, (f"left_{word}", 2), (f"right_{word}", 4), ("target_width", 6)),
    ):
        given = [call.arg(i, name) for name, i in ((lo, lo_i), (hi, hi_i), (target, target_i))]
        set_ = [v is not None and not (isinstance(v, Const) and v.value is None) for v in given]
        if sum(set_) != 2:
            return op.unknown(t.dtype)  # Keras raises; the message is its own
        ints = [as_int(v) if v is not None else None for v in given]
        size = dims[at]
        if set_[2]:
            out[at] = ints[2]
        elif isinstance(size, int) and ints[0] is not None and ints[1] is not None:
            grown = size + sign * (ints[0] + ints[1])
            out[at] = grown if grown >= 0 else None
        else:
            out[at] = None
    return op.out(Shape(tuple(out)), t.dtype)


@function("keras.ops.cast")
def _cast(call: Call) -> Value:
    return so.cast_op(call, "keras", call.arg(0, "x"), call.arg(1, "dtype"))


@function("keras.ops.one_hot", "keras.ops.nn.one_hot")
def _one_hot(call: Call) -> Value:
    return so.one_hot_op(call, "keras", call.arg(0, "x"), call.arg(1, "num_classes"), call.arg(2, "axis"), call.arg(3, "dtype"))


@function("keras.ops.take")
def _take(call: Call) -> Value:
    return so.gather_op(call, "keras", call.arg(0, "x"), call.arg(1, "indices"), call.arg(2, "axis"))


@function("keras.ops.take_along_axis")
def _take_along_axis(call: Call) -> Value:
    return so.take_along_axis_op(call, "keras", call.arg(0, "x"), call.arg(1, "indices"), call.arg(2, "axis"), None)


@function("keras.ops.where")
def _where(call: Call) -> Value:
    return so.where_op(call, "keras", call.arg(0, "condition"), call.arg(1, "x1"), call.arg(2, "x2"))


@function("keras.ops.clip")
def _clip(call: Call) -> Value:
    return so.clip_op(call, "keras", call.arg(0, "x"), call.arg(1, "x_min"), call.arg(2, "x_max"))


@function("keras.ops.shape")
def _shape(call: Call) -> Value:
    """A tuple of dims, not a tensor. An unknown dim of a symbolic tensor is None at the top
    level but a dynamic scalar inside a layer's ``call`` (Keras runs it on backend tensors to
    build a model): not known here either way."""
    x = call.arg(0, "x")
    t = so.Op(call, "keras", "tf", False).tensor(x) if x is not None else None
    if t is None:
        return UNKNOWN
    concrete = has_concrete_shape(x)
    shape = shape_value(t.shape, concrete=concrete, of=t)
    if not concrete and isinstance(shape, Seq) and shape.items is not None:
        shape.items = [UNKNOWN if isinstance(i, Const) and i.value is None else i for i in shape.items]
    return shape


@function("keras.ops.ndim")
def _ndim(call: Call) -> Value:
    x = call.arg(0, "x")
    t = so.Op(call, "keras", "tf", False).tensor(x) if x is not None else None
    return Const(t.shape.rank) if t is not None and t.shape.rank is not None else UNKNOWN


@function("keras.ops.size")
def _size(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    n = t.shape.num_elements() if t is not None else None
    return op.out(Shape(()), "int32", [Const(n)] if n is not None else None)


@function("keras.ops.top_k")
def _top_k(call: Call) -> Value:
    return so.top_k_op(call, "keras", call.arg(0, "x"), call.arg(1, "k"))


@function("keras.ops.normalize", "keras.ops.nn.normalize")
def _normalize(call: Call) -> Value:
    out = _eager_checked(call, allow_int=False)
    if isinstance(out, Tensor) and out.kind == "keras":
        out.dtype = "float32"  # Keras 3.15's symbolic normalize always says float32
    return out


@function("keras.ops.categorical_crossentropy", "keras.ops.nn.categorical_crossentropy")
def _cce(call: Call) -> Value:
    target, output = call.arg(0, "target"), call.arg(1, "output")
    op = so.begin(call, "keras", target, output)
    t = op.tensor(output)
    if t is None or t.shape.dims is None or not t.shape.dims:
        return op.unknown(t.dtype if t is not None else None)
    tt = op.tensor(target)
    if tt is not None and tt.shape.dims is not None and len(tt.shape.dims) != len(t.shape.dims):
        raise ShapeError(
            f"{call.name}: target {format_shape(tt.shape)} and output {format_shape(t.shape)} must "
            f"have the same rank",
            code="shape-mismatch",
        )
    return op.out(Shape(t.shape.dims[:-1]), t.dtype)



@function("keras.ops.meshgrid")
def _meshgrid(call: Call) -> Value:
    return so.meshgrid_op(call, "keras", list(call.args), call.kwargs.get("indexing"), None)

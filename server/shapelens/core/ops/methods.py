"""Attributes and methods of tensors and arrays: ``.shape``, ``.dtype``, ``.ndim``, ``.T``,
``.size``; ndarray ``reshape``/``astype``/``transpose``/``flatten``/``sum``/``argmax``...;
tf tensor ``.numpy()``/``.get_shape()``; ``tf.Variable.assign``; TensorShape-style
``x.shape.as_list()`` / ``.rank``.

``.dtype`` is a value `dtype_of_value` understands, so ``tf.cast(y, x.dtype)`` and
``np.zeros(3, dtype=a.dtype)`` keep the dtype: a `LibRef` (``tf.float32`` for TF tensors,
``np.float32`` for arrays) or, for KerasTensors (whose ``dtype`` is a plain string in Keras 3),
a `Const` string.
"""

from __future__ import annotations

from ..registry import Call, attribute, method
from ..shapes import UNKNOWN_SHAPE, Shape, ShapeError, dims_conflict, format_shape
from ..values import UNKNOWN, Const, LibRef, Seq, Tensor, Unknown, Value, has_concrete_shape, shape_value
from . import shape_ops as so
from .elementwise import convert_to

# ---------------------------------------------------------------------------------------------
# attributes


@attribute(("tensor", "ndarray", "keras"), "shape")
def _shape(v: Value) -> Value:
    if not isinstance(v, Tensor):
        return UNKNOWN
    shape = shape_value(v.shape, concrete=has_concrete_shape(v), of=v)
    if isinstance(shape, Seq) and v.kind in ("tf", "var", "spec", "ragged", "sparse"):
        shape.tensor_shape = True
    return shape


@attribute(("tensor", "ndarray", "keras"), "dtype")
def _dtype(v: Value) -> Value:
    if not isinstance(v, Tensor) or v.dtype is None:
        return UNKNOWN
    if v.kind == "keras":
        return Const(v.dtype)
    if v.kind == "np":
        return LibRef(f"np.{v.dtype if v.dtype != 'string' else 'str_'}")
    return LibRef(f"tf.{v.dtype}")


@attribute(("tensor", "ndarray", "keras"), "ndim")
def _ndim(v: Value) -> Value:
    if isinstance(v, Tensor) and v.shape.rank is not None:
        return Const(v.shape.rank)
    return UNKNOWN


@attribute("ndarray", "size")
def _size(v: Value) -> Value:
    if isinstance(v, Tensor):
        n = v.shape.num_elements()
        if n is not None:
            return Const(n)
    return UNKNOWN


@attribute("ndarray", "T", "mT")
def _transposed(v: Value) -> Value:
    if not isinstance(v, Tensor):
        return UNKNOWN
    return Tensor(so.transpose_shape(v.shape, None), v.dtype, v.kind, v.origin, v.label)


@attribute(("ndarray", "tensor"), "real", "imag")
def _real(v: Value) -> Value:
    if not isinstance(v, Tensor):
        return UNKNOWN
    return Tensor(v.shape, v.dtype if v.dtype is None or not v.dtype.startswith("complex") else None, v.kind)


# TensorShape-style access on a ``.shape`` value (a tuple here)


@attribute("tuple", "rank", "ndims")
def _shape_rank(v: Value) -> Value:
    if isinstance(v, Seq) and v.items is not None:
        return Const(len(v.items))
    return UNKNOWN


@method("tuple", "as_list")
def _as_list(call: Call) -> Value:
    v = call.receiver
    if isinstance(v, Seq):
        return Seq(list(v.items) if v.items is not None else None, "list", v.elem, v.length)
    return UNKNOWN


@method("tuple", "num_elements")
def _num_elements(call: Call) -> Value:
    v = call.receiver
    if isinstance(v, Seq) and v.items is not None:
        total = 1
        for i in v.items:
            if not (isinstance(i, Const) and isinstance(i.value, int)):
                return UNKNOWN
            total *= i.value
        return Const(total)
    return UNKNOWN


@method("tuple", "is_fully_defined")
def _is_fully_defined(call: Call) -> Value:
    v = call.receiver
    if isinstance(v, Seq) and v.items is not None:
        return Const(all(isinstance(i, Const) and isinstance(i.value, int) for i in v.items))
    return UNKNOWN


# ---------------------------------------------------------------------------------------------
# ndarray methods


def _recv(call: Call) -> Tensor | None:
    r = call.receiver
    return r if isinstance(r, Tensor) else None


def _dims_args(call: Call) -> Value | None:
    """``a.reshape(2, 3)`` or ``a.reshape((2, 3))``."""
    if "shape" in call.kwargs:
        return call.kwargs["shape"]
    if len(call.args) == 1:
        return call.args[0]
    if not call.args:
        return None
    return Seq(list(call.args), "tuple")


@method("ndarray", "reshape")
def _reshape(call: Call) -> Value:
    return so.reshape_op(call, "np", _recv(call), _dims_args(call))


@method("keras", "reshape")
def _keras_reshape(call: Call) -> Value:
    """``KerasTensor.reshape(newshape)`` (a single shape argument)."""
    return so.reshape_op(call, "keras", _recv(call), call.arg(0, "newshape"))


@method("ndarray", "transpose")
def _transpose(call: Call) -> Value:
    axes: Value | None = None
    if len(call.args) == 1:
        axes = call.args[0]
    elif len(call.args) > 1:
        axes = Seq(list(call.args), "tuple")
    return so.transpose_op(call, "np", _recv(call), axes)


@method("ndarray", "swapaxes")
def _swapaxes(call: Call) -> Value:
    return so.swapaxes_op(call, "np", _recv(call), call.arg(0, "axis1"), call.arg(1, "axis2"))


@method("ndarray", "astype")
def _astype(call: Call) -> Value:
    return so.cast_op(call, "np", _recv(call), call.arg(0, "dtype"))


@method("ndarray", "flatten", "ravel")
def _flatten(call: Call) -> Value:
    return so.flatten_op(call, "np", _recv(call))


@method("ndarray", "squeeze")
def _squeeze(call: Call) -> Value:
    return so.squeeze_op(call, "np", _recv(call), call.arg(0, "axis"))


@method("ndarray", "copy", "view", "filled", "round", "conj", "__array__")
def _same(call: Call) -> Value:
    if call.name == "view" and call.args:
        return UNKNOWN
    return so.unary_op(call, "np", _recv(call), "same")


_REDUCTIONS = {
    "sum": ("sum", 1), "prod": ("prod", 1), "mean": ("mean", 1), "max": ("max", None), "min": ("min", None),
    "std": ("std", 1), "var": ("var", 1), "any": ("any", None), "all": ("all", None), "ptp": ("max", None),
}


@method("ndarray", *_REDUCTIONS)
def _reduce(call: Call) -> Value:
    what, dtype_index = _REDUCTIONS[call.name]
    dtype = call.arg(dtype_index, "dtype") if dtype_index is not None else None
    return so.reduce_op(call, "np", _recv(call), call.arg(0, "axis"), call.kwargs.get("keepdims"), what, dtype)


@method("ndarray", "argmax", "argmin")
def _argmax(call: Call) -> Value:
    return so.argmax_op(call, "np", _recv(call), call.arg(0, "axis"), call.kwargs.get("keepdims"))


@method("ndarray", "argsort")
def _argsort(call: Call) -> Value:
    """Indices that sort along ``axis`` (the last by default): the array's shape, int64;
    ``axis=None`` sorts the flattened array."""
    t = _recv(call)
    if t is None:
        return UNKNOWN
    axis = call.arg(0, "axis")
    if isinstance(axis, Const) and axis.value is None:
        return so.result(call, Shape((t.shape.num_elements(),)), "int64", "np")
    return so.result(call, t.shape, "int64", "np")


@method("ndarray", "cumsum", "cumprod")
def _cumsum(call: Call) -> Value:
    return so.cumulative_op(call, "np", _recv(call), call.arg(0, "axis"), "sum")


@method("ndarray", "clip")
def _clip(call: Call) -> Value:
    return so.clip_op(call, "np", _recv(call), call.arg(0, "min"), call.arg(1, "max"))


@method("ndarray", "repeat")
def _repeat(call: Call) -> Value:
    return so.repeat_op(call, "np", _recv(call), call.arg(0, "repeats"), call.arg(1, "axis"))


@method("ndarray", "take")
def _take(call: Call) -> Value:
    return so.gather_op(call, "np", _recv(call), call.arg(0, "indices"), call.arg(1, "axis"))


@method("ndarray", "dot")
def _dot(call: Call) -> Value:
    return so.dot_op(call, "np", _recv(call), call.arg(0, "b"))


def _python_scalar(dtype: str | None) -> Value:
    """What ``.item()``/``.tolist()`` give for one element: a Python int, float or bool."""
    if dtype is None:
        return UNKNOWN
    if dtype == "bool":
        return Unknown(None, bool)
    if so.is_int_dtype(dtype):
        return Unknown(None, int)
    if so.is_float_dtype(dtype):
        return Unknown(None, float)
    return UNKNOWN


@method("ndarray", "tolist")
def _tolist(call: Call) -> Value:
    """Nested lists of the array's shape, of Python scalars of its kind."""
    t = _recv(call)
    if t is None or t.shape.dims is None:
        return UNKNOWN
    out = _python_scalar(t.dtype)
    for d in reversed(t.shape.dims):
        out = Seq(None, "list", out, d if isinstance(d, int) else None)
    return out


@method("ndarray", "item")
def _item(call: Call) -> Value:
    t = _recv(call)
    return _python_scalar(t.dtype) if t is not None else UNKNOWN


@method("ndarray", "fill", "sort", "resize", "setflags")
def _in_place(call: Call) -> Value:
    return Const(None)


# ---------------------------------------------------------------------------------------------
# tf tensor / variable methods


@method(("tensor", "keras"), "numpy")
def _numpy(call: Call) -> Value:
    t = _recv(call)
    if t is None:
        return UNKNOWN
    if t.kind == "keras":
        if not call.interp.frames:
            raise ShapeError(
                "a Keras symbolic tensor (KerasTensor) has no value: .numpy() is not available. "
                "Call the model on data (model(x) or model.predict(x)) and use its output",
                code="keras-tensor-numpy",
            )
        return so.result(call, UNKNOWN_SHAPE, None, "np")
    if t.kind == "spec":
        return so.result(call, UNKNOWN_SHAPE, None, "np")
    return so.result(call, t.shape, t.dtype, "np")


@method("tensor", "get_shape")
def _get_shape(call: Call) -> Value:
    t = _recv(call)
    return shape_value(t.shape) if t is not None else UNKNOWN


@method("tensor", "set_shape")
def _set_shape(call: Call) -> Value:
    t = _recv(call)
    target = so.shape_dims(call.arg(0, "shape"))
    if (
        t is not None
        and target is not None
        and t.shape.dims is not None
        and (
            len(target) != len(t.shape.dims)
            or any(dims_conflict(a, b) for a, b in zip(t.shape.dims, target, strict=True))
        )
    ):
        raise ShapeError(
            f"set_shape: shape {format_shape(Shape(tuple(target)))} is not compatible with the "
            f"tensor's shape {format_shape(t.shape)}",
            code="shape-mismatch",
        )
    traced = any(f.function is not None and f.function.signature is not None for f in call.interp.frames)
    if (
        t is not None and target is not None and t.kind in ("tf", "spec") and not traced
        and call.interp.certain_mutation(t)
    ):
        # the static shape takes the sizes given, on a path that surely runs (a skipped
        # set_shape would leave a traced shape unknown) and outside a tf.function traced on a
        # signature (TF does not check it against the data there)
        have = t.shape.dims if t.shape.dims is not None else (None,) * len(target)
        t.shape = Shape(tuple(
            d if isinstance(d, int) and d >= 0 else h for d, h in zip(target, have, strict=True)
        ))
    return Const(None)


@method("tensor", "to_tensor")
def _to_tensor(call: Call) -> Value:
    """A ragged tensor padded to a dense one: its static shape (ragged axes stay unknown), or
    the ``shape=`` it is padded or cut to."""
    t = _recv(call)
    if t is None:
        return UNKNOWN
    given = call.arg(1, "shape")
    if given is not None and not (isinstance(given, Const) and given.value is None):
        target = so.shape_dims(given)
        if target is None or t.shape.dims is None or len(target) != len(t.shape.dims):
            return so.result(call, UNKNOWN_SHAPE, t.dtype, "tf")
        dims = tuple(d if isinstance(d, int) and d >= 0 else t.shape.dims[i] for i, d in enumerate(target))
        return so.result(call, Shape(dims), t.dtype, "tf")
    return so.result(call, t.shape, t.dtype, "tf")


@method("tensor", "read_value", "value")
def _read_value(call: Call) -> Value:
    t = _recv(call)
    if t is None:
        return UNKNOWN
    return so.result(call, t.shape, t.dtype, "tf")


@method("tensor", "assign", "assign_add", "assign_sub")
def _assign(call: Call) -> Value:
    """``var.assign(value)``: the value must have the variable's shape and convert to its dtype."""
    var = _recv(call)
    value = call.arg(0, "value")
    if var is None or value is None:
        return UNKNOWN
    if var.kind != "var":
        return UNKNOWN
    op_name = f"Variable.{call.name}"
    if isinstance(value, Tensor) and value.kind != "np":
        if var.dtype is not None and value.dtype is not None and var.dtype != value.dtype:
            raise ShapeError(
                f"{op_name}: the variable is {var.dtype} but the value is {value.dtype}; cast the "
                f"value first",
                code="dtype-mismatch",
            )
        vt: Tensor | None = value
    else:
        vt = convert_to(so.resolve_deep(value), var.dtype, op_name)
    if vt is not None and var.shape.dims is not None and vt.shape.dims is not None:
        mismatch = len(var.shape.dims) != len(vt.shape.dims) or any(
            dims_conflict(a, b) for a, b in zip(var.shape.dims, vt.shape.dims, strict=True)
        )
        if mismatch:
            raise ShapeError(
                f"{op_name}: shape mismatch: the variable has shape {format_shape(var.shape)} but the "
                f"value has shape {format_shape(vt.shape)}",
                code="shape-mismatch",
            )
    return so.result(call, var.shape, var.dtype, "var")


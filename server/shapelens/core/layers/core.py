"""Core Keras layers: Input, Dense, EinsumDense, Activation, Embedding, Lambda, Masking,
Identity, plus the shape-preserving activation, noise and dropout layers.

Keras 3 computes a *symbolic* call (on `keras.Input` tensors) from each layer's
``compute_output_shape``/``compute_output_spec``, and that output carries the layer's compute
dtype (float32 unless ``dtype=`` says otherwise) even where an eager call on the same integer
input would keep the integer dtype. The rules below follow both paths: `is_symbolic` tells
which one a call takes, and eager calls autocast floating inputs to the compute dtype while
leaving integer and bool inputs alone.
"""

from __future__ import annotations

import ast
import itertools
import re
from typing import Any

from ..facts import Span
from ..registry import Call, function, method
from ..shapes import Dim, DType, Shape, ShapeError, Unknowable, is_float, is_int
from ..values import (
    UNKNOWN,
    Const,
    DictVal,
    FunctionVal,
    LayerVal,
    LibRef,
    Seq,
    Tensor,
    Value,
    as_dim,
    as_shape,
    shape_value,
    tensors_in,
)
from .base import LayerCall, layer

# ----------------------------------------------------------------------------------------------
# helpers shared by the layer modules


def is_symbolic(call: LayerCall) -> bool:
    """A call on symbolic KerasTensors (functional API), as opposed to eager/graph tensors."""
    for v in [*call.inputs, *call.call_kwargs.values()]:
        for t in tensors_in(v):
            if t.kind == "keras":
                return True
    return False


def compute_dtype(call: LayerCall) -> DType:
    """The layer's compute dtype from ``dtype=`` (a dtype or a policy name such as
    ``"mixed_float16"``/``"mixed_bfloat16"``); float32 by default."""
    v = call.raw("dtype")
    if isinstance(v, Const) and isinstance(v.value, str) and v.value.startswith("mixed_"):
        return "bfloat16" if "bfloat16" in v.value else "float16"
    return call.compute_dtype


def autocast_dtype(call: LayerCall, dtype: DType) -> DType:
    """The dtype a layer's ``call`` sees: floating inputs are cast to the compute dtype."""
    if dtype is None:
        return None
    if is_float(dtype):
        return compute_dtype(call)
    return dtype


def training_flag(call: LayerCall, default: bool | None) -> bool | None:
    """The ``training=`` argument of the call: True/False when known, ``default`` if absent."""
    v = call.call_kwargs.get("training")
    if v is None:
        return default
    if isinstance(v, Const) and (v.value is None or isinstance(v.value, bool)):
        return default if v.value is None else bool(v.value)
    return None


def out(shape: Shape | tuple[Any, ...], dtype: DType) -> Tensor:
    """A rule result with an explicit dtype (kind and origin are filled in by apply_layer)."""
    s = shape if isinstance(shape, Shape) else Shape(tuple(shape))
    return Tensor(s, dtype)


def const_number(v: Value | None) -> Any:
    if isinstance(v, Const) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
        return v.value
    return None


def _site_node(call: LayerCall) -> ast.AST:
    origin = call.site or call.layer.origin or Span(1, 0, 1, 0)
    node = ast.Constant(None)
    node.lineno, node.col_offset = origin.line, origin.column
    node.end_lineno, node.end_col_offset = origin.end_line, origin.end_column
    return node


# ----------------------------------------------------------------------------------------------
# Input


def _input_dtype(v: Value | None, floatx: DType) -> DType:
    if v is None or (isinstance(v, Const) and v.value is None):
        return floatx
    if isinstance(v, LibRef) and v.name == "builtins.float":
        return "float32"  # Keras maps Python's float to float32, whatever floatx is
    from ..registry import dtype_of_value

    return dtype_of_value(v)


def _bad_dim(v: Value, minimum: int) -> bool:
    """A constant that certainly is not a valid size: a float, or an int below ``minimum``."""
    if not isinstance(v, Const) or isinstance(v.value, bool):
        return False
    return isinstance(v.value, float) or (isinstance(v.value, int) and v.value < minimum)


def _check_shape_arg(v: Value, what: str) -> None:
    """``keras.Input(shape=5)``, negative or float dims: Keras cannot convert them to a shape."""
    if isinstance(v, Const) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
        raise ShapeError(
            f"keras.Input: `{what}` must be a tuple such as ({v.value!r},), not the number "
            f"{v.value!r} (Keras raises 'Cannot convert {v.value!r} to a shape')",
            code="invalid-shape",
        )
    if isinstance(v, Seq) and v.items is not None:
        for item in v.items:
            if _bad_dim(item, 0):
                assert isinstance(item, Const)
                raise ShapeError(
                    f"keras.Input: invalid dimension {item.value!r} in `{what}`; dimensions "
                    "must be non-negative integers or None",
                    code="invalid-shape",
                )


@function("keras.Input")
def keras_input(call: Call) -> Value:
    """``keras.Input(shape=S)`` is a symbolic tensor of shape ``(batch_size, *S)``.

    Keras 3 signature: ``Input(shape, batch_size, dtype, sparse, ragged, batch_shape, name,
    tensor, optional)``. Sparse and ragged inputs are still symbolic KerasTensors."""
    shape_v = call.arg(0, "shape")
    batch_shape = call.arg(5, "batch_shape")
    if batch_shape is None:
        batch_shape = call.arg(-1, "batch_input_shape")  # Keras 2 spelling
    tensor = call.arg(7, "tensor")
    name_v = call.arg(6, "name")
    name = name_v.value if isinstance(name_v, Const) and isinstance(name_v.value, str) else None
    dtype = _input_dtype(call.arg(2, "dtype"), call.interp.floatx if call.interp is not None else "float32")
    if call.interp is not None:
        call.interp.freeze_policy()  # the InputLayer behind it is a layer made with the default policy
    label = f"Input at line {call.span.line}"

    def given(v: Value | None) -> bool:
        return v is not None and not (isinstance(v, Const) and v.value is None)

    if given(shape_v) and given(batch_shape):
        raise ShapeError(
            "keras.Input: pass either `shape` or `batch_shape`, not both", code="invalid-argument"
        )
    if isinstance(tensor, Tensor) and tensor.kind == "keras":
        return Tensor(tensor.shape, tensor.dtype, "keras", call.span, label, name=name)
    token = None if given(tensor) else next(_INPUT_TOKENS)
    if given(batch_shape):
        assert batch_shape is not None
        _check_shape_arg(batch_shape, "batch_shape")
        return Tensor(as_shape(batch_shape), dtype, "keras", call.span, label, name=name, input_token=token)
    if not given(shape_v):
        if shape_v is None and tensor is None:
            raise ShapeError("keras.Input: you must pass a `shape` argument", code="invalid-argument")
        return Tensor(Shape(None), dtype, "keras", call.span, label, name=name, input_token=token)
    assert shape_v is not None
    _check_shape_arg(shape_v, "shape")
    inner = as_shape(shape_v)
    if inner.dims is None:
        return Tensor(Shape(None), dtype, "keras", call.span, label, name=name, input_token=token)
    batch = call.arg(1, "batch_size")
    b = batch.value if isinstance(batch, Const) and isinstance(batch.value, int) else None
    return Tensor(Shape((b, *inner.dims)), dtype, "keras", call.span, label, name=name, input_token=token)


_INPUT_TOKENS = itertools.count(1)


@layer(
    "InputLayer",
    params=(
        "shape", "batch_size", "dtype", "sparse", "ragged", "batch_shape", "input_tensor",
        "optional", "name",
    ),
)
def input_layer(call: LayerCall) -> Shape:
    # Keras 3's InputLayer.call takes no tensor: it only appears as the first entry of a
    # Sequential (handled by models.py). Calling it on a tensor fails.
    raise Unknowable("InputLayer")


# ----------------------------------------------------------------------------------------------
# Dense / EinsumDense


def _positive_units(call: LayerCall, name: str) -> Dim:
    """A size argument (units, output_dim): an int, a symbolic name, or None when unknown.
    A float or a non-positive int is a certain Keras error."""
    v = call.raw(name)
    if v is None:
        raise Unknowable(name)
    if _bad_dim(v, 1):
        assert isinstance(v, Const)
        raise ShapeError(
            f"{call.name}: `{name}` must be a positive integer, got {v.value!r}",
            code="invalid-argument",
        )
    return as_dim(v)


@layer("Dense", params=("units", "activation", "use_bias"), call_params=("inputs", "training"))
def dense(call: LayerCall) -> Tensor:
    """``(..., d) -> (..., units)``; Keras requires rank >= 2 (input_spec ``min_ndim=2``)."""
    dims = call.shape(min_rank=2)
    units = _positive_units(call, "units")
    return out((*dims[:-1], units), compute_dtype(call))


def _einsum_output_shape(
    equation: str, bias_axes: Any, input_shape: tuple[Any, ...], partial: list[Any], name: str
) -> tuple[Any, ...]:
    """Keras 3 ``einsum_dense._analyze_einsum_string``: the full output shape is the input's
    first dim followed by ``output_shape``, with the elided (``...``) input dims inserted."""
    dot = re.sub(r"\.\.\.", "0", equation)
    m = re.match("([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)", dot)
    left_elided = False
    if not m:
        m = re.match("0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)", dot)
        left_elided = m is not None
    if not m:
        m = re.match("([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0", dot)
    if not m:
        raise ShapeError(
            f"{name}: invalid einsum equation '{equation}'; equations must be of the form "
            "ab,bc->ac, ...ab,bc->...ac or ab...,bc->ac...",
            code="invalid-argument",
        )
    input_spec, weight_spec, output_spec = m.group(1), m.group(2), m.group(3)
    rank = len(input_shape)
    elided = rank - len(input_spec)
    output = list(partial)
    output.insert(0, input_shape[0] if rank else None)
    if elided > 0 and left_elided:
        for i in range(1, elided):
            output.insert(1, input_shape[i])
    elif elided > 0:
        for i in range(rank - elided, rank):
            output.append(input_shape[i])
    if elided < 0 or (left_elided and rank == 0):
        raise ShapeError(
            f"{name}: equation '{equation}' needs an input of rank at least {len(input_spec)}, "
            f"got {Shape(input_shape)}",
            code="layer-input-rank",
        )
    if left_elided:
        input_map = {d: (i + elided) - rank for i, d in enumerate(input_spec)}
        output_map = {d: i + elided for i, d in enumerate(output_spec)}
    else:
        input_map = {d: i for i, d in enumerate(input_spec)}
        output_map = {d: i for i, d in enumerate(output_spec)}
    for idx in output_map.values():
        if not -len(output) <= idx < len(output):
            raise ShapeError(
                f"{name}: `output_shape` {tuple(partial)} has too few entries for the output "
                f"'{output_spec}' of equation '{equation}'",
                code="invalid-argument",
            )
    for d in input_spec:
        in_dim = input_shape[input_map[d]]
        if d in output_map:
            out_dim = output[output_map[d]]
            if isinstance(out_dim, int) and isinstance(in_dim, int) and out_dim != in_dim:
                raise ShapeError(
                    f"{name}: input and output_shape disagree on shared dimension '{d}': input "
                    f"has {in_dim}, output_shape gives {out_dim} (input {Shape(input_shape)})",
                    code="shape-mismatch",
                )
    for d in output_spec:
        if d not in input_spec and d not in weight_spec:
            raise ShapeError(
                f"{name}: output dimension '{d}' of '{equation}' appears in neither the input "
                f"'{input_spec}' nor the weight '{weight_spec}'",
                code="invalid-argument",
            )
    for d in weight_spec:
        if d not in output_map and d not in input_map:
            raise ShapeError(
                f"{name}: weight dimension '{d}' of '{equation}' appears in neither the input "
                "nor the output spec",
                code="invalid-argument",
            )
    if isinstance(bias_axes, str):
        for ch in bias_axes:
            if ch not in output_spec:
                raise ShapeError(
                    f"{name}: bias axis '{ch}' is not part of the output spec '{output_spec}'",
                    code="invalid-argument",
                )
    return tuple(output)


@layer(
    "EinsumDense", params=("equation", "output_shape", "activation", "bias_axes"),
    call_params=("inputs", "training"),
)
def einsum_dense(call: LayerCall) -> Tensor:
    equation = call.cfg("equation")
    if not isinstance(equation, str):
        raise Unknowable("equation")
    raw = call.raw("output_shape")
    if raw is None:
        raise Unknowable("output_shape")
    partial: list[Any]
    if isinstance(raw, Const) and isinstance(raw.value, int) and not isinstance(raw.value, bool):
        partial = [raw.value]
    elif isinstance(raw, Seq) and raw.items is not None:
        partial = []
        for item in raw.items:
            if isinstance(item, Const) and (item.value is None or isinstance(item.value, int)):
                partial.append(item.value)
            else:
                partial.append(None)
    else:
        raise Unknowable("output_shape")
    bias_axes = call.cfg_soft("bias_axes", None)
    dims = call.shape()
    full = _einsum_output_shape(equation, bias_axes, dims, partial, call.name)
    if not is_symbolic(call):
        # an eager call runs the einsum: shared dims come from the input, not output_shape
        full = _einsum_eager_fill(equation, dims, full)
    return out(full, compute_dtype(call))


def _einsum_eager_fill(equation: str, dims: tuple[Any, ...], full: tuple[Any, ...]) -> tuple[Any, ...]:
    lhs, _, rhs = equation.replace(" ", "").partition("->")
    inp = lhs.split(",")[0]
    if "..." in inp or "..." in rhs:
        return tuple(d if isinstance(d, int) else None for d in full)
    sizes = dict(zip(inp, dims))
    result = list(full)
    for i, ch in enumerate(rhs):
        if i < len(result) and result[i] is None and ch in sizes:
            result[i] = sizes[ch]
    return tuple(result)


# ----------------------------------------------------------------------------------------------
# activations


_INT_SAFE_ACTIVATIONS = {None, "linear", "relu"}


@layer("Activation", params=("activation",))
def activation(call: LayerCall) -> Tensor:
    t = call.x()
    if is_symbolic(call) or is_float(t.dtype):
        return out(t.shape, compute_dtype(call))
    act = call.cfg_soft("activation", None)
    if t.dtype == "bool":
        raise Unknowable("bool activation")  # TF rejects bool for relu and friends
    if is_int(t.dtype) and act in _INT_SAFE_ACTIVATIONS:
        return out(t.shape, t.dtype)
    if t.dtype is not None:
        raise Unknowable("integer input")  # most activations reject integer tensors eagerly
    return out(t.shape, None)


@layer("ReLU", params=("max_value", "negative_slope", "threshold"))
def relu(call: LayerCall) -> Tensor:
    t = call.x()
    if is_symbolic(call) or is_float(t.dtype):
        return out(t.shape, compute_dtype(call))
    if is_int(t.dtype) and not any(call.given(p) for p in ("max_value", "negative_slope", "threshold")):
        return out(t.shape, t.dtype)
    if t.dtype == "bool":
        raise Unknowable("bool relu")
    return out(t.shape, None)


@layer("LeakyReLU", params=("negative_slope",))
def leaky_relu(call: LayerCall) -> Tensor:
    t = call.x()
    if is_symbolic(call) or is_float(t.dtype):
        return out(t.shape, compute_dtype(call))
    if is_int(t.dtype) and not call.given("dtype"):
        return out(t.shape, "float32")
    if t.dtype == "bool":
        raise Unknowable("bool leaky_relu")
    return out(t.shape, None)


@layer("PReLU", params=("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"))
def prelu(call: LayerCall) -> Tensor:
    t = call.x()
    dims = call.shape()
    shared = call.cfg_soft("shared_axes", None)
    if isinstance(shared, int) and not isinstance(shared, bool):
        shared = (shared,)
    if isinstance(shared, tuple):
        for a in shared:
            if isinstance(a, int) and not 1 <= a < len(dims):
                raise ShapeError(
                    f"PReLU: shared axis {a} is out of range for input {Shape(dims)} (shared "
                    "axes count from 1, the batch axis is 0)",
                    code="axis-out-of-range",
                )
    return _float_only(call, t)


def _float_only(call: LayerCall, t: Tensor) -> Tensor:
    """Layers whose eager call fails on integer/bool input (ELU, Softmax, PReLU)."""
    if is_symbolic(call) or is_float(t.dtype):
        return out(t.shape, compute_dtype(call))
    if t.dtype is not None:
        raise Unknowable("non-float input")  # TF raises; the engine just stays silent
    return out(t.shape, None)


@layer("ELU", params=("alpha",))
def elu(call: LayerCall) -> Tensor:
    return _float_only(call, call.x())


@layer("Softmax", params=("axis",), call_params=("inputs", "mask"))
def softmax(call: LayerCall) -> Tensor:
    return _float_only(call, call.x())


# ----------------------------------------------------------------------------------------------
# dropout and noise: identity at inference, so eager integer inputs pass through unchanged


def _check_rate(call: LayerCall, name: str = "rate") -> None:
    v = const_number(call.raw(name))
    if v is not None and not 0 <= v <= 1:
        raise ShapeError(
            f"{call.name}: `{name}` must be a float between 0 and 1, got {v!r}",
            code="invalid-argument",
        )


def _passthrough(call: LayerCall) -> Tensor:
    t = call.x()
    if is_symbolic(call) or is_float(t.dtype):
        return out(t.shape, compute_dtype(call))
    if training_flag(call, False) is False:
        return out(t.shape, t.dtype)
    return out(t.shape, None)


@layer(
    "Dropout", "AlphaDropout", params=("rate", "noise_shape", "seed"),
    call_params=("inputs", "training"),
)
def dropout(call: LayerCall) -> Tensor:
    _check_rate(call)
    return _passthrough(call)


@layer("GaussianDropout", params=("rate", "seed"), call_params=("inputs", "training"))
def gaussian_dropout(call: LayerCall) -> Tensor:
    _check_rate(call)
    return _passthrough(call)


@layer("GaussianNoise", params=("stddev", "seed"), call_params=("inputs", "training"))
def gaussian_noise(call: LayerCall) -> Tensor:
    return _passthrough(call)


@layer("SpatialDropout1D", params=("rate", "seed"), call_params=("inputs", "training"))
def spatial_dropout_1d(call: LayerCall) -> Tensor:
    call.shape(rank=3)
    _check_rate(call)
    return _passthrough(call)


@layer("SpatialDropout2D", params=("rate", "data_format", "seed"), call_params=("inputs", "training"))
def spatial_dropout_2d(call: LayerCall) -> Tensor:
    call.shape(rank=4)
    _check_rate(call)
    return _passthrough(call)


@layer("SpatialDropout3D", params=("rate", "data_format", "seed"), call_params=("inputs", "training"))
def spatial_dropout_3d(call: LayerCall) -> Tensor:
    call.shape(rank=5)
    _check_rate(call)
    return _passthrough(call)


@layer("Identity", params=(), preserves_dtype=True)
def identity(call: LayerCall) -> Tensor:
    t = call.x()
    return out(t.shape, autocast_dtype(call, t.dtype))


@layer("Masking", params=("mask_value",))
def masking(call: LayerCall) -> Tensor:
    t = call.x()
    if is_symbolic(call) or is_float(t.dtype):
        return out(t.shape, compute_dtype(call))
    if t.dtype == "bool":
        return out(t.shape, "int32")  # inputs * cast(mask, bool) promotes to int32
    return out(t.shape, t.dtype)


# ----------------------------------------------------------------------------------------------
# Embedding


@layer("Embedding", params=("input_dim", "output_dim", "embeddings_initializer"))
def embedding(call: LayerCall) -> Tensor:
    """``(...) -> (..., output_dim)``; any input dtype is cast to int32 before the lookup."""
    t = call.x()
    dims = t.shape.dims
    if dims is None:
        raise Unknowable("rank")
    if t.dtype == "string" and not is_symbolic(call):
        raise Unknowable("string ids")
    if call.given("input_dim"):
        _positive_units(call, "input_dim")
    output_dim = _positive_units(call, "output_dim")
    return out((*dims, output_dim), compute_dtype(call))


@method("layer", "compute_mask")
def _compute_mask(call: Call) -> Value:
    """``embedding.compute_mask(ids)``: with ``mask_zero`` the ids that are not 0 (bool, the ids'
    shape), without it None. Other layers' masks are not followed."""
    lay = call.receiver
    ids = call.arg(0, "inputs")
    if not isinstance(lay, LayerVal) or lay.spec.name != "Embedding" or ids is None:
        return UNKNOWN
    try:
        zero = LayerCall(lay, [], {}, call.interp, call.span).bool("mask_zero", False)
    except (ShapeError, Unknowable):
        return UNKNOWN
    if not zero:
        return Const(None)
    if not isinstance(ids, Tensor):
        return UNKNOWN
    return Tensor(ids.shape, "bool", "keras" if ids.kind == "keras" else "tf", call.span)


# ----------------------------------------------------------------------------------------------
# Lambda


@layer(
    "Lambda", params=("function", "output_shape", "mask", "arguments"),
    call_params=("inputs", "mask", "training"),
)
def lambda_layer(call: LayerCall) -> Value:
    """Run the wrapped function (a lambda, a user function or a library function).

    Symbolic calls follow ``Lambda.compute_output_shape``: a tuple ``output_shape`` is the shape
    after the batch dim, a callable gets the input shape; otherwise the function is traced on
    tensors of the layer's compute dtype. Either way the output dtype is the compute dtype.
    Eager calls simply run the function on the (autocast) input."""
    x = call.input(0, "inputs")
    if x is None or not tensors_in(x):
        raise Unknowable("input")
    fn = call.raw("function")
    extra: dict[str, Value] = {}
    args_v = call.raw("arguments")
    if isinstance(args_v, DictVal):
        extra = {str(k): v for k, v in args_v.items.items()}
    compute = compute_dtype(call)
    if is_symbolic(call):
        shaped = _lambda_output_shape(call, x, compute)
        if shaped is not None:
            return shaped
        traced = _retyped(x, lambda t: compute if t.dtype is not None else None, "tf")
        result = _run(call, fn, traced, extra)
        return _retyped(result, lambda t: compute, None)
    eager_in = _retyped(x, lambda t: autocast_dtype(call, t.dtype), None)
    try:
        result = _run(call, fn, eager_in, extra)
    except Unknowable:
        return Tensor(Shape(None), None)  # whatever the function returns: dtype unknown too
    return _retyped(result, lambda t: t.dtype, None)


def _lambda_output_shape(call: LayerCall, x: Value, compute: DType) -> Value | None:
    raw = call.raw("output_shape")
    if raw is None or (isinstance(raw, Const) and raw.value is None):
        return None
    first = tensors_in(x)[0]
    if isinstance(raw, FunctionVal):
        if call.interp is None:
            raise Unknowable("output_shape")
        arg = shape_value(first.shape) if isinstance(x, Tensor) else _shapes_of(x)
        shp = call.interp.call_function(raw, [arg], {}, _site_node(call))
        return _shape_structure(shp, None, compute, add_batch=False)
    if isinstance(raw, (Seq, Const)):
        return _shape_structure(raw, first.shape[0], compute, add_batch=True)
    raise Unknowable("output_shape")


def _shapes_of(v: Value) -> Value:
    if isinstance(v, Tensor):
        return shape_value(v.shape)
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_shapes_of(i) for i in v.items], v.kind)
    raise Unknowable("structure")


def _is_shape_leaf(v: Value) -> bool:
    return isinstance(v, Seq) and v.items is not None and all(
        isinstance(i, Const) and (i.value is None or (isinstance(i.value, int) and not isinstance(i.value, bool)))
        for i in v.items
    )


def _shape_structure(v: Value, batch: Any, dtype: DType, add_batch: bool) -> Value:
    """A Lambda ``output_shape`` (or what its callable returned) as output tensors."""
    if _is_shape_leaf(v):
        s = as_shape(v)
        return Tensor(Shape((batch, *s.dims)) if add_batch and s.dims is not None else s, dtype)
    if isinstance(v, Seq) and v.items is not None:
        if v.items and all(isinstance(i, Seq) for i in v.items):
            return Seq([_shape_structure(i, batch, dtype, add_batch) for i in v.items], v.kind)
        if not add_batch:
            # a callable's result with entries the engine could not evaluate
            return Tensor(Shape(tuple(d if isinstance(d, int) else None for d in as_shape(v).dims or ())), dtype)
    raise Unknowable("output_shape")


def _retyped(v: Value, dtype_of: Any, kind: Any) -> Value:
    """Copy a tensor structure with new dtypes (and kind, when given)."""
    if isinstance(v, Tensor):
        return Tensor(v.shape, dtype_of(v), kind or v.kind, content=v.content)
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_retyped(i, dtype_of, kind) for i in v.items], v.kind)
    if isinstance(v, DictVal):
        return DictVal({k: _retyped(i, dtype_of, kind) for k, i in v.items.items()})
    raise Unknowable("lambda result")


def _run(call: LayerCall, fn: Value | None, x: Value, extra: dict[str, Value]) -> Value:
    interp = call.interp
    if interp is None or fn is None:
        raise Unknowable("lambda")
    node = _site_node(call)
    if isinstance(fn, FunctionVal):
        result = interp.call_function(fn, [x], extra, node)
    else:
        result = interp.call_value(fn, [x], extra, node)
    if not tensors_in(result):
        raise Unknowable("lambda result")
    return result

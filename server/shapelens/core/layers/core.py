"""Core Keras layers: Input, Dense, EinsumDense, Activation, Embedding, Lambda, Masking,
Identity, plus the shape-preserving activation, noise and dropout layers."""

from __future__ import annotations

import ast
import re
from typing import Any

from ..facts import Span
from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, Unknowable
from ..values import (
    UNKNOWN,
    Const,
    FunctionVal,
    Tensor,
    Value,
    as_shape,
)
from .base import LayerCall, layer


@function("keras.Input")
def keras_input(call: Call) -> Value:
    """``keras.Input(shape=S)`` is a symbolic tensor of shape ``(batch, *S)``."""
    batch_shape = call.arg(-1, "batch_shape")
    if batch_shape is None:
        batch_shape = call.arg(-1, "batch_input_shape")
    dtype = call.dtype(-1, "dtype", None) or "float32"
    name_v = call.arg(-1, "name")
    name = name_v.value if isinstance(name_v, Const) and isinstance(name_v.value, str) else None
    sparse = call.value(-1, "sparse", False)
    if batch_shape is not None:
        shape = as_shape(batch_shape)
    else:
        s = call.arg(0, "shape")
        if s is None:
            return Tensor(Shape(None), dtype, "keras", call.span, "Input", name=name)
        inner = as_shape(s)
        if inner.dims is None:
            return Tensor(Shape(None), dtype, "keras", call.span, "Input", name=name)
        batch = call.int(1, "batch_size")
        shape = Shape((batch, *inner.dims))
    label = f"Input at line {call.span.line}"
    return Tensor(shape, dtype, "sparse" if sparse is True else "keras", call.span, label, name=name)


@layer("InputLayer", params=("shape", "batch_size", "dtype", "sparse", "batch_shape", "name"))
def input_layer(call: LayerCall) -> Shape:
    return call.x().shape


@layer("Dense", params=("units", "activation", "use_bias"))
def dense(call: LayerCall) -> Shape:
    dims = call.shape(min_rank=1)
    units = call.int("units")
    return Shape((*dims[:-1], units))


_EINSUM_RE = re.compile(r"^([a-zA-Z.]*),([a-zA-Z.]*)->([a-zA-Z.]*)$")


@layer("EinsumDense", params=("equation", "output_shape", "activation", "bias_axes"))
def einsum_dense(call: LayerCall) -> Shape:
    equation = call.cfg("equation")
    if not isinstance(equation, str):
        raise Unknowable("equation")
    m = _EINSUM_RE.match(equation.replace(" ", ""))
    if not m:
        raise Unknowable("equation")
    lhs, _kernel, out = m.groups()
    dims = call.shape()
    out_cfg = call.cfg("output_shape")
    if isinstance(out_cfg, int):
        out_cfg = (out_cfg,)
    if not isinstance(out_cfg, tuple):
        raise Unknowable("output_shape")
    sizes: dict[str, Dim] = {}
    if "..." in lhs:
        pre, post = lhs.split("...")
        n_ell = len(dims) - len(pre) - len(post)
        ell = dims[len(pre) : len(pre) + n_ell]
        for ch, d in zip(pre, dims[: len(pre)], strict=False):
            sizes[ch] = d
        for ch, d in zip(post, dims[len(dims) - len(post) :], strict=False):
            sizes[ch] = d
    else:
        if len(lhs) != len(dims):
            raise ShapeError(
                f"EinsumDense equation '{equation}' expects input of rank {len(lhs)}, got "
                f"{Shape(dims)}",
                code="layer-input-rank",
            )
        ell = ()
        for ch, d in zip(lhs, dims, strict=True):
            sizes[ch] = d
    out_letters = out.replace("...", "")
    # output_shape gives the dims of the output after the batch/first letter(s), right-aligned
    given = list(out_cfg)
    result: list[Dim] = []
    if "..." in out:
        pre, post = out.split("...")
        spec = [*pre, None, *post]
    else:
        spec = list(out)
    explicit = len(out_letters) - 1 if "..." not in out else len(out_letters)
    tail = given[-explicit:] if explicit and len(given) >= explicit else given
    tail_iter = iter(tail)
    offset = len(spec) - len(tail) - (1 if "..." in out else 0)
    for i, ch in enumerate(spec):
        if ch is None:
            result.extend(ell)
            continue
        if ch in sizes and (i < offset or "..." in out and ch in sizes):
            result.append(sizes[ch])
            if i >= offset:
                next(tail_iter, None)
        else:
            d = next(tail_iter, None)
            result.append(d if isinstance(d, int) else None)
    return Shape(tuple(result))


@layer("Activation", params=("activation",))
def activation(call: LayerCall) -> Shape:
    return call.x().shape


@layer("ReLU", "LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", params=())
def activation_layers(call: LayerCall) -> Shape:
    return call.x().shape


@layer("Softmax", params=("axis",), call_params=("inputs", "mask"))
def softmax(call: LayerCall) -> Shape:
    return call.x().shape


@layer(
    "Dropout", "GaussianDropout", "AlphaDropout", params=("rate", "noise_shape", "seed"),
    call_params=("inputs", "training"), preserves_dtype=False,
)
def dropout(call: LayerCall) -> Shape:
    return call.x().shape


@layer("GaussianNoise", params=("stddev", "seed"), call_params=("inputs", "training"))
def gaussian_noise(call: LayerCall) -> Shape:
    return call.x().shape


@layer("SpatialDropout1D", params=("rate",), call_params=("inputs", "training"))
def spatial_dropout_1d(call: LayerCall) -> Shape:
    call.shape(rank=3)
    return call.x().shape


@layer("SpatialDropout2D", params=("rate", "data_format"), call_params=("inputs", "training"))
def spatial_dropout_2d(call: LayerCall) -> Shape:
    call.shape(rank=4)
    return call.x().shape


@layer("SpatialDropout3D", params=("rate", "data_format"), call_params=("inputs", "training"))
def spatial_dropout_3d(call: LayerCall) -> Shape:
    call.shape(rank=5)
    return call.x().shape


@layer("Identity", params=(), preserves_dtype=True)
def identity(call: LayerCall) -> Shape:
    return call.x().shape


@layer("Masking", params=("mask_value",))
def masking(call: LayerCall) -> Shape:
    return call.x().shape


@layer("Embedding", params=("input_dim", "output_dim", "embeddings_initializer"))
def embedding(call: LayerCall) -> Shape:
    dims = call.x().shape.dims
    if dims is None:
        raise Unknowable("rank")
    return Shape((*dims, call.int("output_dim")))


@layer("Lambda", params=("function", "output_shape", "mask", "arguments"))
def lambda_layer(call: LayerCall) -> Value:
    """Run the wrapped function (a lambda or a user function) on the input values."""
    fn = call.raw("function")
    out_shape = call.raw("output_shape")
    interp = _interp_of(call)
    x = call.inputs[0] if call.inputs else None
    if isinstance(fn, FunctionVal) and interp is not None and x is not None:
        extra = call.raw("arguments")
        kwargs = {}
        from ..values import DictVal

        if isinstance(extra, DictVal):
            kwargs = {str(k): v for k, v in extra.items.items()}
        result = interp.call_function(fn, [x], kwargs, fn.node)
        if isinstance(result, Tensor) and result.shape.dims is not None:
            return Tensor(result.shape, result.dtype, result.kind)
        if result is not UNKNOWN and not isinstance(result, Tensor):
            return result
    if out_shape is not None and isinstance(x, Tensor):
        s = as_shape(out_shape)
        if s.dims is not None:
            return Tensor(Shape((x.shape[0], *s.dims)), x.dtype, x.kind)
    if fn is not None and not isinstance(fn, FunctionVal) and interp is not None and x is not None:
        # a library function such as tf.nn.relu or tf.expand_dims
        result = interp.call_value(fn, [x], {}, _site_node(call))
        if isinstance(result, Tensor):
            return Tensor(result.shape, result.dtype, result.kind)
    raise Unknowable("lambda")


def _interp_of(call: LayerCall) -> Any:
    return call.interp


def _site_node(call: LayerCall) -> ast.AST:
    origin = call.site or call.layer.origin or Span(1, 0, 1, 0)
    node = ast.Constant(None)
    node.lineno, node.col_offset = origin.line, origin.column
    node.end_lineno, node.end_col_offset = origin.end_line, origin.end_column
    return node

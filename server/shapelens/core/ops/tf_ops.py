"""TensorFlow functions: ``tf.reshape``, ``tf.matmul``, ``tf.reduce_*``, ``tf.concat``, ``tf.shape``,
``tf.constant``, ``tf.random.*``, ``tf.nn.*``, ``tf.image.resize``, ``tf.Variable``,
``tf.TensorSpec`` and friends.

TensorFlow semantics: literals become int32/float32 (numpy arrays keep their dtype), dtypes are
never promoted (a float32/float64 or int32/float32 mix is a certain error, see
`elementwise.tf_unify`), ``tf.argmax`` reduces axis 0 by default and returns int64, float-only
kernels (``tf.exp``, ``tf.sqrt``, ``tf.nn.softmax``...) refuse integer tensors. Results are
eager tensors (kind ``tf``), even on numpy input.

KerasTensors: in Keras 3 every ``tf.*`` function raises ``ValueError: A KerasTensor cannot be
used as input to a TensorFlow function`` (checked on Keras 3.15: tf.reshape, tf.transpose,
tf.reduce_sum, tf.matmul, tf.concat, tf.nn.relu, tf.cast, tf.shape...). The engine reports it
only at module level, where a ``keras``-kind value certainly is a KerasTensor; inside a layer's
methods the op works on the tensors Keras passes (shape computed, kind ``keras``); elsewhere the
result is unknown. See `shape_ops.keras_tensor_misuse`.

Names are registered under their canonical spelling (`imports.py`); functions reachable both as
``tf.X`` and ``tf.math.X`` without an alias there are registered under both.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import UNKNOWN_SHAPE, Dim, Shape, ShapeError, broadcast_shapes, dims_conflict, format_shape
from ..values import UNKNOWN, Const, KerasVariable, LibRef, Seq, Tensor, Value, as_dim, as_shape
from . import shape_ops as so
from .elementwise import convert_alone

# ---------------------------------------------------------------------------------------------
# creation


@function("tf.constant")
def _constant(call: Call) -> Value:
    value, shape = call.arg(0, "value"), call.arg(2, "shape")
    out = so.array_op(call, "tf", value, call.arg(1, "dtype"), "tf")
    if shape is None or (isinstance(shape, Const) and shape.value is None) or not isinstance(out, Tensor):
        return out
    dims = so.shape_dims(shape)
    if dims is None:
        return so.result(call, UNKNOWN_SHAPE, out.dtype, out.kind)
    target = Shape(tuple(dims))
    n, m = out.shape.num_elements(), target.num_elements()
    if n is not None and m is not None and n not in (1, m):
        raise ShapeError(
            f"tf.constant: the value has {n} elements ({format_shape(out.shape)}) but shape "
            f"{format_shape(target)} needs {m} (or a single value to fill it)",
            code="reshape",
        )
    return so.result(call, target, out.dtype, out.kind)


@function("tf.convert_to_tensor")
def _convert_to_tensor(call: Call) -> Value:
    dtype = call.arg(1, "dtype")
    value = call.arg(0, "value")
    if dtype is None and call.has(2, "dtype_hint"):
        hint = so.dtype_arg(call.arg(2, "dtype_hint"))
        t = convert_alone(so.resolve_deep(value), "tf") if value is not None else None
        if hint is not None and t is not None and not isinstance(value, Tensor):
            from .elementwise import literal_kind

            kind = literal_kind(so.resolve_deep(value)) if value is not None else None
            if kind == "int" or (kind == "float" and so.is_float_dtype(hint)):
                return so.result(call, t.shape, hint, so.begin(call, "tf", value).kind)
    return so.array_op(call, "tf", value, dtype, "tf")


@function("tf.zeros", "tf.ones")
def _zeros(call: Call) -> Value:
    return so.zeros_op(call, "tf", call.arg(0, "shape"), call.arg(1, "dtype"), "float32")


@function("tf.fill")
def _fill(call: Call) -> Value:
    return so.full_op(call, "tf", call.arg(0, "dims"), call.arg(1, "value"), None)


@function("tf.zeros_like", "tf.ones_like")
def _zeros_like(call: Call) -> Value:
    return so.like_op(call, "tf", call.arg(0, "input"), call.arg(1, "dtype"))


@function("tf.eye", "tf.linalg.eye")
def _eye(call: Call) -> Value:
    return so.eye_op(
        call, "tf", call.arg(0, "num_rows"), call.arg(1, "num_columns"), call.arg(3, "dtype"),
        call.arg(2, "batch_shape"),
    )


@function(
    "tf.random.Generator", "tf.random.Generator.from_seed", "tf.random.Generator.from_non_deterministic_state",
    "tf.random.Generator.from_state", "tf.random.get_global_generator", "tf.random.Generator.from_key_counter",
)
def _random_generator(call: Call) -> Value:
    """A ``tf.random.Generator``: its draws take the module functions' arguments."""
    return LibRef("tf.random.Generator")


@function("tf.random.Generator.make_seeds")
def _make_seeds(call: Call) -> Value:
    count = call.arg(0, "count")
    n = count.value if isinstance(count, Const) and isinstance(count.value, int) else (1 if count is None else None)
    return so.begin(call, "tf").out(Shape((2, n)), "int64")


@function("tf.random.Generator.uniform_full_int")
def _uniform_full_int(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(1, "dtype"), "uint64")
    return so.random_op(call, "tf", call.arg(0, "shape"), dtype, scalar_when_none=False)


@function("tf.random.Generator.binomial")
def _binomial(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(3, "dtype"), "int32")
    return so.random_op(call, "tf", call.arg(0, "shape"), dtype, scalar_when_none=False)


@function("tf.random.normal", "tf.random.truncated_normal", "tf.random.Generator.normal",
          "tf.random.Generator.truncated_normal")
def _random_normal(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(3, "dtype"), "float32")
    out = so.random_op(call, "tf", call.arg(0, "shape"), dtype, scalar_when_none=False)
    return broadcast_with(out, call.arg(1, "mean"), call.arg(2, "stddev"))


@function("tf.random.uniform", "tf.random.Generator.uniform")
def _random_uniform(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(3, "dtype"), "float32")
    out = so.random_op(call, "tf", call.arg(0, "shape"), dtype, scalar_when_none=False)
    return broadcast_with(out, call.arg(1, "minval"), call.arg(2, "maxval"))


def broadcast_with(out: Value, *params: Value | None) -> Value:
    """A draw is ``rnd * scale + shift``: tensor-valued parameters broadcast the result. Where
    that is not known (or TF would refuse), the shape is left unknown, not reported."""
    if not isinstance(out, Tensor):
        return out
    shape = out.shape
    for p in params:
        if p is None or isinstance(p, Const):
            continue
        t = convert_alone(p, "tf")
        if t is None:
            return out.with_shape(UNKNOWN_SHAPE)
        if t.shape.dims == ():
            continue
        try:
            shape = broadcast_shapes(shape, t.shape)
        except ShapeError:
            shape = UNKNOWN_SHAPE
    if shape is out.shape:
        return out
    out.shape = shape
    return out


@function("tf.repeat")
def _repeat(call: Call) -> Value:
    """``tf.repeat(input, repeats, axis=None)``: like ``np.repeat`` (flattened without an axis)."""
    return so.repeat_op(call, "tf", call.arg(0, "input"), call.arg(1, "repeats"), call.arg(2, "axis"))


@function("tf.ensure_shape")
def _ensure_shape(call: Call) -> Value:
    """``tf.ensure_shape(x, shape)``: ``x`` with the dims ``shape`` names filled in (``None``
    keeps x's); a known rank or size that differs fails."""
    x, spec = call.arg(0, "x"), call.arg(1, "shape")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    wanted = so.shape_dims(spec) if not so.is_none(spec) else None
    if t is None or t.kind in ("sparse", "ragged"):
        return op.unknown()  # TF cannot convert a sparse or ragged tensor here
    if wanted is None or any(isinstance(d, int) and d < 0 for d in wanted):
        return op.out(t.shape, t.dtype)
    dims = t.shape.dims
    if dims is None:
        return op.out(Shape(tuple(d if isinstance(d, int) else None for d in wanted)), t.dtype)
    if len(dims) != len(wanted) or any(dims_conflict(h, w) for h, w in zip(dims, wanted, strict=True)):
        raise ShapeError(
            f"tf.ensure_shape: the tensor {format_shape(t.shape)} is not compatible with the "
            f"expected shape {format_shape(Shape(tuple(wanted)))}",
            code="shape-mismatch",
        )
    merged = tuple(w if isinstance(w, int) else h for h, w in zip(dims, wanted, strict=True))
    return op.out(Shape(merged), t.dtype)


@function("tf.random.gamma", "tf.random.poisson")
def _random_per_parameter(call: Call) -> Value:
    """``gamma(shape, alpha, beta=None, dtype)`` / ``poisson(shape, lam, dtype)``: ``shape``
    draws for every entry of the (broadcast) parameters, so their shape is appended."""
    gamma = call.name == "tf.random.gamma"
    dtype = so.dtype_arg(call.arg(3 if gamma else 2, "dtype"), "float32")
    out = so.random_op(call, "tf", call.arg(0, "shape"), dtype, scalar_when_none=False)
    if not isinstance(out, Tensor) or out.shape.dims is None:
        return out
    params = [call.arg(1, "alpha" if gamma else "lam")] + ([call.arg(2, "beta")] if gamma else [])
    extra: Shape = Shape(())
    for p in params:
        if p is None or isinstance(p, Const):
            continue
        t = convert_alone(p, "tf")
        if t is None:
            return out.with_shape(UNKNOWN_SHAPE)
        try:
            extra = broadcast_shapes(extra, t.shape)
        except ShapeError:
            return out.with_shape(UNKNOWN_SHAPE)
    if extra.dims is None:
        return out.with_shape(UNKNOWN_SHAPE)
    out.shape = Shape((*out.shape.dims, *extra.dims))
    return out


@function("tf.random.stateless_normal", "tf.random.stateless_truncated_normal", "tf.random.stateless_uniform")
def _stateless_random(call: Call) -> Value:
    """``(shape, seed, mean/minval, stddev/maxval, dtype)``: the seed pair comes second;
    tensor-valued parameters broadcast the draw."""
    dtype = so.dtype_arg(call.arg(4, "dtype"), "float32")
    out = so.random_op(call, "tf", call.arg(0, "shape"), dtype, scalar_when_none=False)
    low, high = ("minval", "maxval") if call.name.endswith("uniform") else ("mean", "stddev")
    return broadcast_with(out, call.arg(2, low), call.arg(3, high))


@function("tf.random.shuffle", "tf.identity", "tf.stop_gradient", "tf.reverse", "tf.sort",
          "tf.random.experimental.stateless_shuffle")
def _same(call: Call) -> Value:
    return so.unary_op(call, "tf", call.arg(0, "value" if call.name == "tf.random.shuffle" else "input"))


@function("tf.quantization.fake_quant_with_min_max_vars", "tf.quantization.fake_quant_with_min_max_args",
          "tf.quantization.fake_quant_with_min_max_vars_per_channel", "tf.quantization.quantize_and_dequantize",
          "tf.quantization.quantize_and_dequantize_v2")
def _fake_quant(call: Call) -> Value:
    """Simulated quantization rounds each value in place: the input's shape and dtype."""
    return so.unary_op(call, "tf", call.arg(0, "inputs" if "fake_quant" in call.name else "input"))


@function("tf.argsort")
def _argsort(call: Call) -> Value:
    op = so.begin(call, "tf", call.arg(0, "values"))
    t = op.tensor(call.arg(0, "values"))
    return op.out(t.shape, "int32") if t is not None else op.unknown("int32")


@function("tf.random.categorical")
def _categorical(call: Call) -> Value:
    op = so.begin(call, "tf", call.arg(0, "logits"))
    t = op.tensor(call.arg(0, "logits"))
    n = call.arg(1, "num_samples")
    dtype = so.dtype_arg(call.arg(2, "dtype"), "int64")
    if t is None or t.shape.dims is None:
        return op.unknown(dtype)
    if len(t.shape.dims) != 2:
        raise ShapeError(
            f"tf.random.categorical: logits must be 2-D [batch, classes], got {format_shape(t.shape)}",
            code="rank",
        )
    return op.out(Shape((t.shape.dims[0], as_dim(n) if n is not None else None)), dtype)


@function("tf.range")
def _range(call: Call) -> Value:
    return so.range_op(call, "tf", call.arg(0, "start"), call.arg(1, "limit"), call.arg(2, "delta"), call.arg(3, "dtype"))


@function("tf.linspace", "tf.lin_space")
def _linspace(call: Call) -> Value:
    return so.linspace_op(call, "tf", call.arg(0, "start"), call.arg(1, "stop"), call.arg(2, "num"), None)


@function("tf.Variable")
def _variable(call: Call) -> Value:
    init = call.arg(0, "initial_value")
    dtype = so.dtype_arg(call.arg(6, "dtype"))
    op = so.begin(call, "tf", init)
    if init is None:
        return UNKNOWN
    t = op.tensor(init)
    if t is None:
        return so.result(call, UNKNOWN_SHAPE, dtype, "var")
    shape = t.shape
    if call.has(11, "shape"):
        given = call.arg(11, "shape")
        dims = so.shape_dims(given)
        shape = Shape(tuple(dims)) if dims is not None else UNKNOWN_SHAPE
    return so.result(call, shape, dtype or t.dtype, "var")


@function("keras.Variable")
def _keras_variable(call: Call) -> Value:
    init = call.arg(0, "initializer")
    op = so.begin(call, "tf", init)
    given = call.arg(1, "shape")
    dims = so.shape_dims(given) if given is not None and not so.is_none(given) else None
    t = op.tensor(init) if init is not None and not isinstance(init, (Const, LibRef)) else None
    if dims is not None:
        shape = Shape(tuple(dims))
    elif t is not None:
        shape = t.shape
    elif isinstance(init, Const) and isinstance(init.value, (bool, int, float)):
        shape = Shape(())
    else:
        shape = UNKNOWN_SHAPE
    dtype = so.dtype_arg(call.arg(2, "dtype")) or (t.dtype if t is not None else _variable_dtype(call, init))
    flag = call.arg(3, "trainable")
    trainable = True if flag is None else (flag.value if isinstance(flag, Const) and isinstance(flag.value, bool) else None)
    return KerasVariable(shape, dtype, "var", call.span, f"keras.Variable at line {call.span.line}", trainable=trainable)


def _variable_dtype(call: Call, init: Value | None) -> str | None:
    """A Python number keeps its own dtype (bool, int32, float32); an initializer (a name or
    an object) makes floatx; anything else is not known here."""
    if isinstance(init, Const):
        v = init.value
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, int):
            return "int32"
        if isinstance(v, float):
            return "float32"
        return call.interp.floatx if isinstance(v, str) else None
    if isinstance(init, LibRef) and init.name.startswith("keras.initializers."):
        return call.interp.floatx
    return None


_INITIALIZERS = (
    "Zeros", "Ones", "Constant", "GlorotUniform", "GlorotNormal", "HeNormal", "HeUniform", "LecunNormal",
    "LecunUniform", "RandomNormal", "RandomUniform", "TruncatedNormal", "Orthogonal", "Identity",
    "VarianceScaling",
)


@function(*[f"keras.initializers.{n}" for n in _INITIALIZERS])
def _initializer(call: Call) -> Value:
    """An initializer object: what it makes is floatx unless it is given a dtype."""
    return LibRef("keras.initializers.Initializer")


@function("tf.TensorSpec")
def _tensor_spec(call: Call) -> Value:
    sv = call.arg(0, "shape")
    dtype = so.dtype_arg(call.arg(1, "dtype"), "float32")
    if sv is None or (isinstance(sv, Const) and sv.value is None):
        return so.result(call, UNKNOWN_SHAPE, dtype, "spec")
    dims = so.shape_dims(sv)
    return so.result(call, Shape(tuple(dims)) if dims is not None else UNKNOWN_SHAPE, dtype, "spec")


@function("tf.TensorShape")
def _tensor_shape(call: Call) -> Value:
    """``tf.TensorShape([None, 3])``: a shape value like a tensor's ``.shape`` (a tuple of ints
    and None); ``TensorShape(None)`` has an unknown rank."""
    sv = call.arg(0, "dims")
    if sv is None or (isinstance(sv, Const) and sv.value is None):
        return UNKNOWN
    dims = so.shape_dims(sv)
    if dims is None:
        return UNKNOWN
    return Seq([Const(d if isinstance(d, int) else None) for d in dims], "tuple")


# ---------------------------------------------------------------------------------------------
# shape manipulation


@function("tf.reshape")
def _reshape(call: Call) -> Value:
    return so.reshape_op(call, "tf", call.arg(0, "tensor"), call.arg(1, "shape"))


@function("tf.transpose", "tf.linalg.matrix_transpose")
def _transpose(call: Call) -> Value:
    if call.name == "tf.linalg.matrix_transpose":
        op = so.begin(call, "tf", call.arg(0, "a"))
        t = op.tensor(call.arg(0, "a"))
        if t is None or t.shape.dims is None:
            return op.unknown(t.dtype if t is not None else None)
        if len(t.shape.dims) < 2:
            raise ShapeError(
                f"{call.name}: needs a tensor of rank >= 2, got {format_shape(t.shape)}", code="transpose"
            )
        return op.out(so._swap_last(t.shape), t.dtype)
    return so.transpose_op(call, "tf", call.arg(0, "a"), call.arg(1, "perm"))


@function("tf.expand_dims")
def _expand_dims(call: Call) -> Value:
    return so.expand_dims_op(call, "tf", call.arg(0, "input"), call.arg(1, "axis"))


@function("tf.squeeze")
def _squeeze(call: Call) -> Value:
    return so.squeeze_op(call, "tf", call.arg(0, "input"), call.arg(1, "axis"))


@function("tf.concat")
def _concat(call: Call) -> Value:
    return so.concat_op(call, "tf", call.arg(0, "values"), call.arg(1, "axis"), None)


@function("tf.stack")
def _stack(call: Call) -> Value:
    return so.stack_op(call, "tf", call.arg(0, "values"), call.arg(1, "axis"))


@function("tf.unstack")
def _unstack(call: Call) -> Value:
    return so.unstack_op(call, "tf", call.arg(0, "value"), call.arg(1, "num"), call.arg(2, "axis"))


@function("tf.split")
def _split(call: Call) -> Value:
    return so.split_op(call, "tf", call.arg(0, "value"), call.arg(1, "num_or_size_splits"), call.arg(2, "axis"), "tf")


@function("tf.tile")
def _tile(call: Call) -> Value:
    return so.tile_op(call, "tf", call.arg(0, "input"), call.arg(1, "multiples"), "tf")


@function("tf.pad")
def _pad(call: Call) -> Value:
    return so.pad_op(call, "tf", call.arg(0, "tensor"), call.arg(1, "paddings"), "tf")


@function("tf.broadcast_to")
def _broadcast_to(call: Call) -> Value:
    return so.broadcast_to_op(call, "tf", call.arg(0, "input"), call.arg(1, "shape"))


@function("tf.gather")
def _gather(call: Call) -> Value:
    return so.gather_op(
        call, "tf", call.arg(0, "params"), call.arg(1, "indices"), call.arg(3, "axis"), call.arg(4, "batch_dims")
    )


@function("tf.nn.embedding_lookup")
def _embedding_lookup(call: Call) -> Value:
    """``embedding_lookup(params, ids)``: rows of one table (``ids.shape + params.shape[1:]``);
    a list of sharded tables is left unknown."""
    params = call.arg(0, "params")
    if isinstance(params, Seq):
        return so.begin(call, "tf").unknown()
    return so.gather_op(call, "tf", params, call.arg(1, "ids"), Const(0))


@function("tf.gather_nd")
def _gather_nd(call: Call) -> Value:
    return so.gather_nd_op(call, "tf", call.arg(0, "params"), call.arg(1, "indices"), call.arg(2, "batch_dims"))


@function("tf.boolean_mask")
def _boolean_mask(call: Call) -> Value:
    return so.boolean_mask_op(call, "tf", call.arg(0, "tensor"), call.arg(1, "mask"), call.arg(2, "axis"))


@function("tf.one_hot")
def _one_hot(call: Call) -> Value:
    return so.one_hot_op(
        call, "tf", call.arg(0, "indices"), call.arg(1, "depth"), call.arg(4, "axis"), call.arg(5, "dtype"),
        call.arg(2, "on_value"),
    )


@function("tf.where")
def _where(call: Call) -> Value:
    return so.where_op(call, "tf", call.arg(0, "condition"), call.arg(1, "x"), call.arg(2, "y"))


@function("tf.image.resize")
def _image_resize(call: Call) -> Value:
    images = call.arg(0, "images")
    op = so.begin(call, "tf", images)
    t = op.tensor(images)
    method = call.arg(2, "method")
    nearest: bool | None = False
    if isinstance(method, Const) and isinstance(method.value, str):
        nearest = method.value == "nearest"
    elif isinstance(method, LibRef):
        nearest = method.name.endswith("NEAREST_NEIGHBOR")
    elif method is not None:
        nearest = None
    if nearest is None:
        dtype = None
    else:
        dtype = (t.dtype if t is not None else None) if nearest else "float32"
    if t is None:
        return op.unknown(dtype)
    size = so.shape_dims(call.arg(1, "size"))
    if t.shape.dims is not None and len(t.shape.dims) not in (3, 4):
        raise ShapeError(
            f"tf.image.resize: images must be 3-D (height, width, channels) or 4-D (batch, height, "
            f"width, channels), got {format_shape(t.shape)}",
            code="rank",
        )
    if size is not None and len(size) != 2:
        raise ShapeError(f"tf.image.resize: size must be [new_height, new_width], got {len(size)} values", code="shape")
    if t.shape.dims is None:
        return op.unknown(dtype)
    h, w = (size[0], size[1]) if size is not None else (None, None)
    if so.bool_arg(call.arg(3, "preserve_aspect_ratio")) is not False:
        h, w = _aspect(t.shape.dims[-3], t.shape.dims[-2], h, w)
    return op.out(Shape((*t.shape.dims[:-3], h, w, t.shape.dims[-1])), dtype)


def _aspect(h0: Dim, w0: Dim, h: Dim, w: Dim) -> tuple[Dim, Dim]:
    """preserve_aspect_ratio=True: scale by the smaller ratio (TF's formula)."""
    if not (isinstance(h0, int) and isinstance(w0, int) and isinstance(h, int) and isinstance(w, int)):
        return None, None
    scale = min(h / h0, w / w0)
    return round(h0 * scale), round(w0 * scale)


@function("tf.cast", "tf.dtypes.cast", "tf.saturate_cast", "tf.dtypes.saturate_cast")
def _cast(call: Call) -> Value:
    return so.cast_op(call, "tf", call.arg(0, "x" if "saturate" not in call.name else "value"), call.arg(1, "dtype"))


@function("tf.shape")
def _shape(call: Call) -> Value:
    return so.shape_tensor_op(call, "tf", call.arg(0, "input"), call.arg(1, "out_type"))


@function("tf.scatter_nd")
def _scatter_nd(call: Call) -> Value:
    """A new tensor of the given ``shape`` (a shape tensor or list) with the updates' dtype."""
    indices, updates, shape = call.arg(0, "indices"), call.arg(1, "updates"), call.arg(2, "shape")
    op = so.begin(call, "tf", indices, updates)
    u = op.tensor(updates)
    dtype = u.dtype if u is not None else None
    if shape is None:
        return op.unknown(dtype)
    return op.out(as_shape(shape), dtype)


@function(
    "tf.tensor_scatter_nd_update", "tf.tensor_scatter_nd_add", "tf.tensor_scatter_nd_sub",
    "tf.tensor_scatter_nd_max", "tf.tensor_scatter_nd_min",
)
def _tensor_scatter_nd(call: Call) -> Value:
    """The tensor with some entries replaced or combined: its own shape and dtype."""
    tensor = call.arg(0, "tensor")
    op = so.begin(call, "tf", tensor, call.arg(1, "indices"), call.arg(2, "updates"))
    t = op.tensor(tensor)
    if t is None:
        return op.unknown()
    return op.out(t.shape, t.dtype)


@function("tf.size", "tf.rank")
def _size(call: Call) -> Value:
    x = call.arg(0, "input")
    op = so.begin(call, "tf", x)
    dtype = so.dtype_arg(call.arg(2, "out_type"), "int32") if call.name == "tf.size" else "int32"
    t = op.tensor(x)
    content: list[Value] | None = None
    if t is not None:
        n = t.shape.num_elements() if call.name == "tf.size" else t.shape.rank
        if n is not None:
            content = [Const(n)]
    return op.out(Shape(()), dtype, content)


# ---------------------------------------------------------------------------------------------
# products


@function("tf.matmul")
def _matmul(call: Call) -> Value:
    ta = call.arg(2, "transpose_a") or call.arg(4, "adjoint_a")
    tb = call.arg(3, "transpose_b") or call.arg(5, "adjoint_b")
    return so.matmul_op(call, "tf", call.arg(0, "a"), call.arg(1, "b"), ta, tb, policy="first")


@function("tf.einsum")
def _einsum(call: Call) -> Value:
    eq = call.arg(0, "equation")
    operands = list(call.args[1:]) if call.args else []
    if not operands and "inputs" in call.kwargs:
        inp = call.kwargs["inputs"]
        operands = list(inp.items) if isinstance(inp, Seq) and inp.items is not None else []
    return so.einsum_op(call, "tf", eq, operands)


@function("tf.tensordot")
def _tensordot(call: Call) -> Value:
    return so.tensordot_op(call, "tf", call.arg(0, "a"), call.arg(1, "b"), call.arg(2, "axes"))


# ---------------------------------------------------------------------------------------------
# reductions

_REDUCTIONS = {
    "tf.reduce_sum": "sum",
    "tf.reduce_mean": "mean",
    "tf.reduce_max": "max",
    "tf.reduce_min": "min",
    "tf.reduce_prod": "prod",
    "tf.reduce_std": "std",
    "tf.math.reduce_std": "std",
    "tf.reduce_variance": "var",
    "tf.math.reduce_variance": "var",
    "tf.reduce_any": "any",
    "tf.reduce_all": "all",
    "tf.reduce_logsumexp": "logsumexp",
    "tf.math.reduce_euclidean_norm": "norm",
}


@function(*_REDUCTIONS)
def _reduce(call: Call) -> Value:
    return so.reduce_op(
        call, "tf", call.arg(0, "input_tensor"), call.arg(1, "axis"), call.arg(2, "keepdims"), _REDUCTIONS[call.name]
    )


@function("tf.norm", "tf.linalg.norm")
def _norm(call: Call) -> Value:
    return so.reduce_op(call, "tf", call.arg(0, "tensor"), call.arg(2, "axis"), call.arg(3, "keepdims"), "norm")


@function("tf.math.count_nonzero")
def _count_nonzero(call: Call) -> Value:
    out = so.reduce_op(call, "tf", call.arg(0, "input"), call.arg(1, "axis"), call.arg(2, "keepdims"), "max")
    if isinstance(out, Tensor):
        out.dtype = so.dtype_arg(call.arg(3, "dtype"), "int64")
    return out


@function("tf.nn.moments")
def _moments(call: Call) -> Value:
    mean = so.reduce_op(call, "tf", call.arg(0, "x"), call.arg(1, "axes"), call.arg(4, "keepdims"), "mean")
    return Seq([mean, mean], "tuple")


@function("tf.argmax", "tf.argmin")
def _argmax(call: Call) -> Value:
    return so.argmax_op(call, "tf", call.arg(0, "input"), call.arg(1, "axis"), None, call.arg(2, "output_type"))


@function("tf.math.top_k", "tf.nn.top_k")
def _top_k(call: Call) -> Value:
    return so.top_k_op(call, "tf", call.arg(0, "input"), call.arg(1, "k"))


@function("tf.cumsum", "tf.math.cumsum", "tf.math.cumprod", "tf.cumprod")
def _cumsum(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is not None and t.dtype == "bool":
        raise ShapeError(f"{call.name} does not accept bool tensors; cast first", code="dtype-mismatch")
    return so.cumulative_op(call, "tf", x, call.arg(1, "axis"), "sum")


@function("tf.clip_by_value")
def _clip(call: Call) -> Value:
    t, lo, hi = call.arg(0, "t"), call.arg(1, "clip_value_min"), call.arg(2, "clip_value_max")
    out = so.clip_op(call, "tf", t, lo, hi)
    if isinstance(out, Tensor) and out.shape.is_fully_known():
        shapes = [x.shape for x in (convert_alone(v, "tf") for v in (t, lo, hi) if v is not None) if x is not None]
        b = so.broadcast_all(shapes, call.name)
        if b.is_fully_known() and b != out.shape:
            raise ShapeError(
                f"tf.clip_by_value: the clip values broadcast to {format_shape(b)}, larger than the "
                f"tensor's shape {format_shape(out.shape)}",
                code="broadcast",
            )
    return out


# ---------------------------------------------------------------------------------------------
# elementwise

# float kernels: integer tensors are refused
_FLOAT_UNARY = [
    "tf.exp", "tf.math.log", "tf.sqrt", "tf.math.rsqrt", "tf.math.sin", "tf.sin", "tf.cos", "tf.math.cos",
    "tf.math.tan", "tf.tan", "tf.asin", "tf.math.asin", "tf.acos", "tf.math.acos", "tf.atan", "tf.math.atan",
    "tf.math.sinh", "tf.sinh", "tf.cosh", "tf.math.cosh", "tf.tanh", "tf.asinh", "tf.math.asinh", "tf.acosh",
    "tf.math.acosh", "tf.atanh", "tf.math.atanh", "tf.floor", "tf.math.floor", "tf.math.ceil",
    "tf.math.reciprocal", "tf.math.log1p", "tf.math.expm1", "tf.math.erf", "tf.math.erfc", "tf.sigmoid",
    "tf.math.softplus", "tf.nn.softplus", "tf.math.softsign", "tf.nn.softsign", "tf.nn.softmax",
    "tf.math.softmax", "tf.nn.log_softmax", "tf.math.log_softmax", "tf.nn.l2_normalize",
    "tf.linalg.l2_normalize", "tf.nn.gelu", "tf.nn.swish", "tf.nn.silu", "tf.nn.elu", "tf.nn.selu",
    "tf.nn.dropout", "tf.math.sigmoid", "tf.math.tanh", "tf.math.log_sigmoid", "tf.math.lgamma",
    "tf.math.digamma", "tf.math.erfinv", "tf.math.ndtri", "tf.math.rint", "tf.math.reciprocal_no_nan",
    "tf.math.bessel_i0", "tf.math.bessel_i0e", "tf.math.bessel_i1", "tf.math.bessel_i1e",
    "tf.nn.local_response_normalization", "tf.nn.lrn",
]
# any numeric dtype, kept
_SAME_UNARY = [
    "tf.square", "tf.math.round", "tf.round", "tf.math.sign", "tf.sign", "tf.math.negative",
    "tf.negative", "tf.nn.relu", "tf.nn.relu6", "tf.math.square",
]
# predicates on floats
_FLOAT_PREDICATES = ["tf.math.is_nan", "tf.math.is_inf", "tf.math.is_finite", "tf.is_nan", "tf.is_inf", "tf.is_finite"]


@function(*_FLOAT_UNARY)
def _float_unary(call: Call) -> Value:
    name = "features" if call.name.startswith("tf.nn.") and "softmax" not in call.name else "x"
    if "softmax" in call.name:
        name = "logits"
    return so.unary_op(call, "tf", call.arg(0, name), "float")


@function(*_SAME_UNARY)
def _same_unary(call: Call) -> Value:
    name = "features" if call.name.startswith("tf.nn.") else "x"
    return so.unary_op(call, "tf", call.arg(0, name), "same")


@function("tf.abs", "tf.math.abs", "tf.math.real", "tf.math.imag", "tf.math.angle")
def _abs(call: Call) -> Value:
    """Same dtype, except that complex numbers give their (real) magnitude or parts."""
    name = "input" if call.name != "tf.abs" and call.name != "tf.math.abs" else "x"
    return so.unary_op(call, "tf", call.arg(0, name), "abs")


@function("tf.complex", "tf.dtypes.complex")
def _complex(call: Call) -> Value:
    out = so.binary_op(call, "tf", call.arg(0, "real"), call.arg(1, "imag"), "arith", "hint")
    if isinstance(out, Tensor) and out.dtype is not None:
        if out.dtype not in ("float32", "float64"):
            raise ShapeError(f"tf.complex needs float32 or float64 parts, got {out.dtype}", code="dtype-mismatch")
        out.dtype = "complex64" if out.dtype == "float32" else "complex128"
    return out


@function("tf.roll")
def _roll(call: Call) -> Value:
    return so.unary_op(call, "tf", call.arg(0, "input"), "same")


@function("tf.signal.frame")
def _frame(call: Call) -> Value:
    """Frames of ``frame_length`` every ``frame_step`` samples along ``axis`` (default -1)."""
    x = call.arg(0, "signal")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    length, step = call.int(1, "frame_length"), call.int(2, "frame_step")
    pad_end = so.bool_arg(call.arg(3, "pad_end"))
    axis = call.int(5, "axis", -1)
    if axis is None or not t.shape.dims:
        return op.unknown(t.dtype)
    ax = so.norm_axis(axis, len(t.shape.dims), t.shape)
    frames = _num_frames(t.shape.dims[ax], length, step, pad_end)
    dims = (*t.shape.dims[:ax], frames, length, *t.shape.dims[ax + 1 :])
    return op.out(Shape(dims), t.dtype)


def _num_frames(n: Dim, length: int | None, step: int | None, pad_end: bool | None) -> Dim:
    if not isinstance(n, int) or length is None or step is None or pad_end is None or step <= 0:
        return None
    if pad_end:
        return -(-n // step)
    return max(0, 1 + (n - length) // step) if n >= length else 0


@function("tf.signal.stft")
def _stft(call: Call) -> Value:
    """[..., frames, fft_length // 2 + 1] complex (fft_length: the next power of 2)."""
    x = call.arg(0, "signals")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    dtype = "complex128" if t is not None and t.dtype == "float64" else "complex64"
    if t is None or t.shape.dims is None or not t.shape.dims:
        return op.unknown(dtype)
    if t.dtype is not None and not so.is_float_dtype(t.dtype):
        raise ShapeError(f"tf.signal.stft needs float signals, got {t.dtype}", code="dtype-mismatch")
    length, step = call.int(1, "frame_length"), call.int(2, "frame_step")
    fft = call.int(3, "fft_length")
    if fft is None and length is not None and not call.has(3, "fft_length"):
        fft = 1 << max(0, (length - 1).bit_length())
    frames = _num_frames(t.shape.dims[-1], length, step, so.bool_arg(call.arg(5, "pad_end")))
    bins = fft // 2 + 1 if fft is not None else None
    return op.out(Shape((*t.shape.dims[:-1], frames, bins)), dtype)


@function("tf.signal.linear_to_mel_weight_matrix")
def _mel_matrix(call: Call) -> Value:
    """(num_spectrogram_bins, num_mel_bins): multiplies a spectrogram's last axis into mels.
    Keras' defaults are 20 mel bins over 129 spectrogram bins."""
    mels, bins = call.int(0, "num_mel_bins", 20), call.int(1, "num_spectrogram_bins", 129)
    return so.begin(call, "tf").out(Shape((bins, mels)), so.dtype_arg(call.arg(5, "dtype"), "float32"))


@function("tf.signal.hann_window", "tf.signal.hamming_window", "tf.signal.vorbis_window",
          "tf.signal.kaiser_window")
def _window(call: Call) -> Value:
    length = call.int(0, "window_length")
    dtype_at = 1 if call.name == "tf.signal.vorbis_window" else 2
    return so.begin(call, "tf").out(Shape((length,)), so.dtype_arg(call.arg(dtype_at, "dtype"), "float32"))


@function("tf.signal.mfccs_from_log_mel_spectrograms")
def _mfccs(call: Call) -> Value:
    return so.unary_op(call, "tf", call.arg(0, "log_mel_spectrograms"), "same")


@function("tf.nn.leaky_relu")
def _leaky_relu(call: Call) -> Value:
    out = so.unary_op(call, "tf", call.arg(0, "features"), "same")
    if isinstance(out, Tensor) and out.dtype is not None and not so.is_float_dtype(out.dtype):
        out.dtype = "float32"
    return out


@function(*_FLOAT_PREDICATES)
def _float_predicate(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is not None and t.dtype is not None and not so.is_float_dtype(t.dtype):
        raise ShapeError(f"{call.name} needs a float tensor, got {t.dtype}", code="dtype-mismatch")
    return so.unary_op(call, "tf", x, "bool")


@function("tf.logical_not", "tf.math.logical_not")
def _logical_not(call: Call) -> Value:
    return so.unary_op(call, "tf", call.arg(0, "x"), "logical")


# binary functions: (what, conversion policy)
_BINARY: dict[str, tuple[str, str]] = {
    "tf.add": ("arith", "first"),
    "tf.subtract": ("arith", "hint"),
    "tf.multiply": ("mul", "hint"),
    "tf.divide": ("div", "hint"),
    "tf.truediv": ("div", "first"),
    "tf.math.divide_no_nan": ("div", "hint"),
    "tf.math.floordiv": ("arith", "hint"),
    "tf.math.floormod": ("arith", "hint"),
    "tf.math.mod": ("arith", "hint"),
    "tf.pow": ("arith", "hint"),
    "tf.maximum": ("arith", "hint"),
    "tf.minimum": ("arith", "hint"),
    "tf.math.squared_difference": ("arith", "hint"),
    "tf.math.multiply_no_nan": ("arith", "first"),
    "tf.math.atan2": ("arith", "hint"),
    "tf.math.xlogy": ("arith", "hint"),
    "tf.math.xdivy": ("arith", "hint"),
    "tf.math.xlog1py": ("arith", "hint"),
    "tf.realdiv": ("arith", "hint"),
    "tf.equal": ("compare", "hint"),
    "tf.not_equal": ("compare", "hint"),
    "tf.greater": ("order", "hint"),
    "tf.greater_equal": ("order", "hint"),
    "tf.math.greater_equal": ("order", "hint"),
    "tf.less": ("order", "hint"),
    "tf.less_equal": ("order", "hint"),
    "tf.math.less_equal": ("order", "hint"),
    "tf.logical_and": ("logical", "hint"),
    "tf.math.logical_and": ("logical", "hint"),
    "tf.logical_or": ("logical", "hint"),
    "tf.math.logical_or": ("logical", "hint"),
    "tf.math.logical_xor": ("logical", "hint"),
}


@function(*_BINARY)
def _binary(call: Call) -> Value:
    what, policy = _BINARY[call.name]
    a, b = call.arg(0, "x"), call.arg(1, "y")
    if what == "mul":
        what = "arith"
        _, dtype = so._join_dtypes(call, "tf", [v for v in (a, b) if v is not None], policy)
        if dtype == "bool":
            what = "compare"  # tf.multiply on bools is a logical and
    if what == "order":
        _, dtype = so._join_dtypes(call, "tf", [v for v in (a, b) if v is not None], policy)
        if dtype == "bool":
            raise ShapeError(f"{call.name} cannot order bool tensors; cast to a number first", code="dtype-mismatch")
        what = "compare"
    return so.binary_op(call, "tf", a, b, what, policy)


@function("tf.add_n", "tf.math.add_n")
def _add_n(call: Call) -> Value:
    return so.nary_op(call, "tf", call.arg(0, "inputs"), "each")


# ---------------------------------------------------------------------------------------------
# nn helpers with simple shapes


@function("tf.nn.bias_add")
def _bias_add(call: Call) -> Value:
    out = so.binary_op(call, "tf", call.arg(0, "value"), call.arg(1, "bias"), "arith", "hint")
    return out


@function("tf.nn.l2_loss")
def _l2_loss(call: Call) -> Value:
    x = call.arg(0, "t")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    return op.out(Shape(()), t.dtype if t is not None else None)


@function("tf.nn.softmax_cross_entropy_with_logits", "tf.nn.sparse_softmax_cross_entropy_with_logits")
def _softmax_xent(call: Call) -> Value:
    logits = call.arg(1, "logits")
    op = so.begin(call, "tf", call.arg(0, "labels"), logits)
    t = op.tensor(logits)
    if t is None or t.shape.dims is None or not t.shape.dims:
        return op.unknown(t.dtype if t is not None else None)
    return op.out(Shape(t.shape.dims[:-1]), t.dtype)


@function("tf.nn.sigmoid_cross_entropy_with_logits")
def _sigmoid_xent(call: Call) -> Value:
    return so.binary_op(call, "tf", call.arg(0, "labels"), call.arg(1, "logits"), "arith", "hint")


@function("tf.random.set_seed", "tf.config.run_functions_eagerly", "tf.debugging.set_log_device_placement")
def _none(call: Call) -> Value:
    return Const(None)


@function("tf.meshgrid")
def _meshgrid(call: Call) -> Value:
    return so.meshgrid_op(call, "tf", list(call.args), call.kwargs.get("indexing"), None)


@function("tf.sequence_mask")
def _sequence_mask(call: Call) -> Value:
    """``lengths.shape + (maxlen,)``; without ``maxlen`` the last axis is the largest length,
    a value the engine does not read."""
    lengths = call.arg(0, "lengths")
    op = so.begin(call, "tf", lengths)
    dtype = so.dtype_arg(call.arg(2, "dtype"), "bool")
    t = op.tensor(lengths)
    maxlen = call.arg(1, "maxlen")
    last: Dim = None
    if maxlen is not None and not (isinstance(maxlen, Const) and maxlen.value is None):
        last = as_dim(maxlen)
    if t is None or t.shape.dims is None:
        return op.unknown(dtype)
    return op.out(Shape((*t.shape.dims, last)), dtype)


@function("tf.slice")
def _slice(call: Call) -> Value:
    """``tf.slice(x, begin, size)``: ``size`` items per axis from ``begin``; ``-1`` takes the
    rest of that axis."""
    x = call.arg(0, "input_")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    begin, size = so.shape_dims(call.arg(1, "begin")), so.shape_dims(call.arg(2, "size"))
    if t is None or t.shape.dims is None or begin is None or size is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    if not len(dims) == len(begin) == len(size):
        return op.unknown(t.dtype)
    out: list[Dim] = []
    for d, b, n in zip(dims, begin, size, strict=True):
        if n == -1:
            out.append(d - b if isinstance(d, int) and isinstance(b, int) and 0 <= b <= d else None)
        elif isinstance(n, int) and n >= 0:
            if isinstance(d, int) and isinstance(b, int) and b + n > d:
                raise ShapeError(
                    f"tf.slice: {n} items from {b} run past the end of an axis of {d} "
                    f"(input {format_shape(t.shape)})",
                    code="shape-mismatch",
                )
            out.append(n)
        else:
            out.append(None)
    return op.out(Shape(tuple(out)), t.dtype)

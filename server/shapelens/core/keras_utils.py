"""keras.utils and keras.backend helpers: ``pad_sequences``, ``image_data_format``, ``int_shape``."""

from __future__ import annotations

from .convert import literal_shape_dtype
from .registry import Call, function
from .shapes import Dim, Shape
from .values import UNKNOWN, Const, LibRef, Seq, Tensor, Unknown, Value, shape_value


@function(
    "keras.utils.pad_sequences",
    "keras.preprocessing.sequence.pad_sequences",
    "keras.utils.sequence.pad_sequences",
)
def _pad_sequences(call: Call) -> Value:
    """A list of sequences -> int32 array (count, maxlen, *step): maxlen defaults to the
    longest; ``step`` is the shape of one timestep (empty for sequences of numbers, ``(3,)``
    for sequences of 3 features)."""
    seqs = call.arg(0, "sequences")
    if isinstance(seqs, Seq):
        count = seqs.size()
        sequence = seqs.element_join()
    elif isinstance(seqs, Tensor) and seqs.shape.dims:
        count = seqs.shape.dims[0] if isinstance(seqs.shape.dims[0], int) else None
        sequence = Tensor(Shape(seqs.shape.dims[1:]), seqs.dtype)
    else:
        return UNKNOWN
    step = _step_shape(sequence)
    if step is None:
        return UNKNOWN
    maxlen = call.int(1, "maxlen")
    if maxlen is None and call.arg(1, "maxlen") is None and isinstance(seqs, Seq) and seqs.items is not None:
        lengths = [i.size() if isinstance(i, Seq) else None for i in seqs.items]
        if lengths and all(isinstance(n, int) for n in lengths):
            maxlen = max(n for n in lengths if n is not None)
    dtype = call.dtype(2, "dtype", "int32")
    return Tensor(Shape((count, maxlen, *step)), dtype, "np", call.span)


def _step_shape(sequence: Value) -> tuple[Dim, ...] | None:
    """The shape of one timestep of a sequence (a list or an array); None when unknown."""
    if isinstance(sequence, Tensor):
        dims = sequence.shape.dims
        return tuple(dims[1:]) if dims else None
    if isinstance(sequence, Seq):
        got = literal_shape_dtype(sequence)
        if got is not None and got[0].dims:
            return tuple(got[0].dims[1:])
        step = sequence.element_join()
        if (isinstance(step, Const) and isinstance(step.value, int | float)) or (
            isinstance(step, Unknown) and step.pytype in (int, float)
        ):
            return ()
        if isinstance(step, Tensor) and step.shape.dims is not None:
            return tuple(step.shape.dims)
    return None


@function("keras.backend.image_data_format", "keras.config.image_data_format")
def _image_data_format(call: Call) -> Value:
    """Keras' default (a project that changes it in keras.json is rare enough to assume it),
    or what the program set."""
    fmt = call.interp.image_data_format
    return Const(fmt) if fmt is not None else Unknown(None, str)


@function("keras.backend.set_image_data_format", "keras.config.set_image_data_format")
def _set_image_data_format(call: Call) -> Value:
    """The default ``data_format`` of layers made from here on and of keras.ops; a value not
    known here, or one set on a path that may not run, leaves it unknown."""
    value = call.arg(0, "data_format")
    interp = call.interp
    new = value.value if isinstance(value, Const) and value.value in ("channels_last", "channels_first") else None
    if interp.uncertain_depth and new != interp.image_data_format:
        new = None
    interp.image_data_format = new
    return Const(None)


@function("keras.backend.floatx", "keras.config.floatx")
def _floatx(call: Call) -> Value:
    fx = call.interp.floatx
    return Const(fx) if fx is not None else UNKNOWN


_FLOATX_NAMES = ("float16", "bfloat16", "float32", "float64")


@function("keras.backend.set_floatx", "keras.config.set_floatx")
def _set_floatx(call: Call) -> Value:
    """Keras' default float dtype from here on: Inputs, keras.ops factories, and the default
    dtype policy of layers (unless a global policy was set). A name not known here, or one
    set on a path that may not run, leaves it unknown."""
    value = call.arg(0, "value")
    interp = call.interp
    new = value.value if isinstance(value, Const) and value.value in _FLOATX_NAMES else None
    if interp.uncertain_depth and new != interp.floatx:
        new = None
    interp.floatx = new  # type: ignore[assignment]
    if interp.policy_set is False:
        interp.compute_policy = new  # type: ignore[assignment]
    elif interp.policy_set is None and new != interp.compute_policy:
        interp.compute_policy = None  # a layer made on a path that may not run fixed it or not
    return Const(None)


@function(
    "keras.config.dtype_policy", "keras.mixed_precision.global_policy", "keras.mixed_precision.dtype_policy",
    "keras.DTypePolicy", "keras.mixed_precision.Policy", "keras.mixed_precision.DTypePolicy",
    "keras.dtype_policies.DTypePolicy",
)
def _query_policy(call: Call) -> Value:
    """Asking Keras for its global policy (or making a policy without a name) fixes the
    default one, as making a layer does."""
    named = call.arg(0, "name")
    if call.name.endswith(("Policy", "DTypePolicy")) and named is not None and not (
        isinstance(named, Const) and named.value is None
    ):
        return UNKNOWN
    call.interp.freeze_policy()
    return UNKNOWN


@function("keras.backend.clear_session", "keras.utils.clear_session")
def _clear_session(call: Call) -> Value:
    """Keras forgets its global policy: the next layer takes floatx again."""
    interp = call.interp
    if interp.uncertain_depth:
        if interp.policy_set is not False or interp.compute_policy != interp.floatx:
            interp.policy_set = None
            if interp.compute_policy != interp.floatx:
                interp.compute_policy = None
    else:
        interp.policy_set = False
        interp.compute_policy = interp.floatx
    return Const(None)


@function("keras.backend.int_shape")
def _int_shape(call: Call) -> Value:
    x = call.arg(0, "x")
    return shape_value(x.shape) if isinstance(x, Tensor) else UNKNOWN


@function("keras.backend.epsilon", "keras.config.epsilon")
def _epsilon(call: Call) -> Value:
    return Const(1e-7)


@function("keras.backend.concatenate")
def _k_concatenate(call: Call) -> Value:
    """K.concatenate(tensors, axis=-1): tf.concat with the legacy default axis."""
    axis = call.arg(1, "axis") or Const(-1)
    tensors = call.arg(0, "tensors")
    if tensors is None:
        return UNKNOWN
    return call.interp.call_value(LibRef("tf.concat"), [tensors, axis], {}, call.node)


@function("keras.backend.expand_dims")
def _k_expand_dims(call: Call) -> Value:
    x = call.arg(0, "x")
    axis = call.arg(1, "axis") or Const(-1)
    if x is None:
        return UNKNOWN
    return call.interp.call_value(LibRef("tf.expand_dims"), [x, axis], {}, call.node)


@function("keras.backend.batch_flatten")
def _k_batch_flatten(call: Call) -> Value:
    x = call.arg(0, "x")
    if not isinstance(x, Tensor) or x.shape.dims is None or not x.shape.dims:
        return UNKNOWN
    rest = Shape(x.shape.dims[1:]).num_elements()
    return Tensor(Shape((x.shape.dims[0], rest)), x.dtype, "tf", call.span)


_LEGACY_FLOAT_REDUCTIONS = {
    "keras.backend.mean": "tf.reduce_mean", "keras.backend.std": "tf.reduce_std",
    "keras.backend.var": "tf.reduce_variance",
}


@function(*_LEGACY_FLOAT_REDUCTIONS)
def _k_mean(call: Call) -> Value:
    """K.mean / K.std / K.var: tf's reduction after casting a bool tensor to floatx (the
    legacy backend does, so ``K.mean(K.equal(a, b))`` is an accuracy, not an error)."""
    from dataclasses import replace

    from .registry import FUNCTIONS

    x = call.arg(0, "x")
    if x is None:
        return UNKNOWN
    if isinstance(x, Tensor) and x.dtype == "bool":
        x = Tensor(x.shape, "float32", x.kind, x.origin, x.label)
    args = [x, *call.args[1:]] if call.args else []
    kwargs = {k: v for k, v in call.kwargs.items() if k != "x"}
    if not call.args:
        kwargs["input_tensor"] = x
    target = _LEGACY_FLOAT_REDUCTIONS[call.name]
    return FUNCTIONS[target](replace(call, args=args, kwargs=kwargs, name=target))


@function("keras.backend.dot")
def _k_dot(call: Call) -> Value:
    """K.dot(x, y): matmul for matrices; for higher ranks, x's last axis against y's
    second-to-last: the result is ``x.shape[:-1] + y.shape[:-2] + y.shape[-1:]``."""
    from .ops import shape_ops as so
    from .shapes import ShapeError, format_shape

    x, y = call.arg(0, "x"), call.arg(1, "y")
    op = so.begin(call, "tf", x, y)
    a, b = op.tensor(x), op.tensor(y)
    if a is None or b is None or a.shape.dims is None or b.shape.dims is None:
        return op.unknown(a.dtype if a is not None else None)
    da, db = a.shape.dims, b.shape.dims
    if len(da) < 2 or len(db) < 2:
        return op.unknown(a.dtype)
    left, right = da[-1], db[-2]
    if isinstance(left, int) and isinstance(right, int) and left != right:
        raise ShapeError(
            f"K.dot: the last axis of x {format_shape(a.shape)} ({left}) does not match the "
            f"second-to-last axis of y {format_shape(b.shape)} ({right})",
            code="shape-mismatch",
        )
    if len(da) == 2 and len(db) == 2:
        return op.out(Shape((da[0], db[1])), a.dtype)
    return op.out(Shape((*da[:-1], *db[:-2], db[-1])), a.dtype)


@function("keras.backend.flatten")
def _k_flatten(call: Call) -> Value:
    x = call.arg(0, "x")
    if not isinstance(x, Tensor) or x.shape.dims is None:
        return UNKNOWN
    return Tensor(Shape((x.shape.num_elements(),)), x.dtype, x.kind if x.kind != "np" else "tf", call.span)


_POLICY_COMPUTE_DTYPES = {
    "mixed_float16": "float16", "mixed_bfloat16": "bfloat16",
    "float16": "float16", "bfloat16": "bfloat16", "float32": "float32", "float64": "float64",
}


@function(
    "keras.mixed_precision.set_global_policy", "keras.mixed_precision.set_dtype_policy",
    "keras.config.set_dtype_policy",
)
def _set_global_policy(call: Call) -> Value:
    """The compute dtype of layers made without a ``dtype`` from here on. A policy that is not
    a known name (a Policy object, a variable), or one set on a path that may not run, leaves
    it unknown."""
    policy = call.arg(0, "policy")
    interp = call.interp
    new = _POLICY_COMPUTE_DTYPES.get(policy.value) if isinstance(policy, Const) and isinstance(policy.value, str) else None
    if interp.uncertain_depth and new != interp.compute_policy:
        new = None
    interp.compute_policy = new
    interp.policy_set = True if not interp.uncertain_depth else (interp.policy_set or None)
    return Const(None)

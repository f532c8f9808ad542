"""Keras attention layers: MultiHeadAttention, GroupQueryAttention, Attention and
AdditiveAttention.

``mha(query, value, key=None, ..., return_attention_scores=False)`` gives the query's shape
(its last dim replaced by ``output_shape`` when given); with ``return_attention_scores`` a tuple
``(output, scores)``. The symbolic (KerasTensor) shapes are those of the layers'
``compute_output_spec``, which differ from what the same call gives eagerly:

- MultiHeadAttention's symbolic scores are ``(batch, heads, Tq, Tq)`` whatever the value length
  or the attention axes; eagerly (default axes) they are ``(batch, heads, *Tq_dims, *Tv_dims)``;
- GroupQueryAttention's scores are ``(batch, num_query_heads, Tq, Tv)``;
- Attention/AdditiveAttention, called on ``[query, value]`` or ``[query, value, key]``, give
  ``(*query[:-1], value[-1])`` and scores ``(*query[:-1], key[-2])``; symbolically nothing else
  is checked, while eagerly the query and key feature sizes must match (broadcast for the
  additive and 'concat' scores) and the key and value lengths must agree.

Certain errors: key and value differing off their last axis (MultiHeadAttention,
GroupQueryAttention), a symbolic GroupQueryAttention whose query and value feature sizes differ,
invalid constructor arguments (non-positive ``num_heads``/``key_dim``, ``score_mode`` not
dot/concat, heads not divisible), an Attention input list whose length is not 2 or 3, and the
eager mismatches above (including integer inputs, which TF's softmax rejects).
Undefined (``None``) feature sizes where the layers create weights are Keras errors the engine
cannot tell from unknown sizes: it declines to claim a shape.
"""

from __future__ import annotations

from ..shapes import Dim, DType, Shape, ShapeError, Unknowable, format_shape, is_float, is_int
from ..values import Const, Seq, Tensor, Value
from .base import LayerCall, layer
from .conv import config_error
from .merge import list_inputs

MISMATCH = "attention-mismatch"

_MHA_PARAMS = (
    "num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "attention_axes",
    "sliding_window", "flash_attention", "kernel_initializer", "bias_initializer",
    "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
    "bias_constraint", "use_gate", "seed",
)
_GQA_PARAMS = (
    "head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias", "sliding_window",
    "flash_attention", "kernel_initializer", "bias_initializer", "kernel_regularizer",
    "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint", "use_gate",
    "seed",
)
_MHA_CALL = (
    "query", "value", "key", "query_mask", "value_mask", "key_mask", "attention_mask",
    "return_attention_scores", "training", "use_causal_mask",
)
_ATTENTION_CALL = ("inputs", "mask", "training", "return_attention_scores", "use_causal_mask")


def _positive(call: LayerCall, name: str, optional: bool = False) -> int | None:
    """A constructor argument Keras requires to be a positive int (``None`` when optional)."""
    v = call.raw(name)
    if v is None or (optional and isinstance(v, Const) and v.value is None):
        if optional:
            return None
        raise Unknowable(name)
    if not isinstance(v, Const):
        raise Unknowable(name)
    value = v.value
    if isinstance(value, int) and value > 0:
        return int(value)
    raise config_error(call, f"`{name}` must be a positive integer, but received {value!r}")


def _opt_int(call: LayerCall, name: str) -> int | None:
    try:
        value = call.cfg(name)
    except Unknowable:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _flag(call: LayerCall, index: int, name: str) -> bool:
    v = call.call_kwargs.get(name)
    if v is None and call.layer.spec.multi_input is False:
        v = call.input(index, name)
    if v is None:
        return False
    if isinstance(v, Const) and (v.value is None or isinstance(v.value, bool | int)):
        return bool(v.value)
    raise Unknowable(name)


def _tensor(v: Value | None, name: str) -> Tensor:
    if not isinstance(v, Tensor) or v.shape.dims is None:
        raise Unknowable(name)
    return v


def _optional_tensor(v: Value | None, name: str) -> Tensor | None:
    if v is None or (isinstance(v, Const) and v.value is None):
        return None
    return _tensor(v, name)


def _dtype(call: LayerCall, tensors: list[Tensor], ints: str = "float") -> DType:
    """Compute dtype; eager integer inputs: 'float' (compute dtype) or 'error' (softmax)."""
    if any(t.kind == "keras" for t in tensors):
        return call.compute_dtype
    dtypes = {t.dtype for t in tensors}
    if None in dtypes:
        return None
    if all(is_float(d) for d in dtypes):
        return call.compute_dtype
    bad = sorted(d for d in dtypes if d is not None and (is_int(d) or d == "bool"))
    if bad and ints == "error":
        raise ShapeError(
            f"{call.name} cannot run eagerly on {bad[0]} inputs (TensorFlow's softmax has no "
            f"{bad[0]} kernel); cast them to a float dtype first",
            code="dtype-mismatch",
        )
    return call.compute_dtype


def _shapes(*tensors: Tensor | None) -> str:
    return ", ".join(format_shape(t.shape) for t in tensors if t is not None)


def _check_key_value(call: LayerCall, value: Tensor, key: Tensor | None) -> None:
    """Keras: ``value_shape[1:-1] != key_shape[1:-1]`` is an error."""
    if key is None:
        return
    vd, kd = value.shape.dims, key.shape.dims
    assert vd is not None and kd is not None
    vm, km = vd[1:-1], kd[1:-1]
    conflict = len(vm) != len(km) or any(
        isinstance(a, int) and isinstance(b, int) and a != b for a, b in zip(vm, km)
    )
    if conflict:
        raise ShapeError(
            f"{call.name}: all dimensions of `value` and `key` except the last one must be equal, "
            f"but value has shape {format_shape(value.shape)} and key {format_shape(key.shape)}",
            code=MISMATCH,
        )
    if any(a != b for a, b in zip(vm, km)):
        raise Unknowable("key")  # an unknown dim against another: Keras compares None too


def _output_shape_cfg(call: LayerCall) -> tuple[Dim, ...] | None:
    v = call.cfg("output_shape", None)
    if not v:
        return None
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,)
    if isinstance(v, tuple) and all(isinstance(i, int) and not isinstance(i, bool) for i in v):
        return v
    raise Unknowable("output_shape")


@layer("MultiHeadAttention", params=_MHA_PARAMS, call_params=_MHA_CALL)
def multi_head_attention(call: LayerCall) -> Value:
    heads = _positive(call, "num_heads")
    _positive(call, "key_dim")
    _positive(call, "value_dim", optional=True)
    query = _tensor(call.input(0, "query"), "query")
    value = _tensor(call.input(1, "value"), "value")
    key = _optional_tensor(call.input(2, "key"), "key")
    scores_wanted = _flag(call, 7, "return_attention_scores")
    _check_key_value(call, value, key)
    tensors = [t for t in (query, value, key) if t is not None]
    symbolic = any(t.kind == "keras" for t in tensors)
    qd, vd = query.shape.dims, value.shape.dims
    assert qd is not None and vd is not None
    if symbolic and any(t.shape.dims is not None and t.shape.dims[-1] is None for t in tensors):
        raise Unknowable("features")  # Keras needs defined sizes for the projection weights
    out_cfg = _output_shape_cfg(call)
    if not symbolic and len({len(t.shape.dims or ()) for t in tensors}) > 1:
        raise Unknowable("rank")
    out = Shape((*qd[:-1], *out_cfg)) if out_cfg else Shape(qd)
    dtype = _dtype(call, tensors)
    output = Tensor(out, dtype)
    if not scores_wanted:
        return output
    if symbolic:
        if len(qd) < 2:
            raise Unknowable("rank")
        scores = Shape((qd[0], heads, qd[1], qd[1]))  # Keras' compute_output_spec: Tq twice
    else:
        if call.given("attention_axes") or len(qd) < 3:
            raise Unknowable("attention_axes")
        kd = (key or value).shape.dims
        assert kd is not None
        scores = Shape((qd[0], heads, *qd[1:-1], *kd[1:-1]))
    return Seq([output, Tensor(scores, dtype)], "tuple")


@layer("GroupQueryAttention", "GroupedQueryAttention", params=_GQA_PARAMS, call_params=_MHA_CALL)
def group_query_attention(call: LayerCall) -> Value:
    q_heads = _opt_int(call, "num_query_heads")
    kv_heads = _opt_int(call, "num_key_value_heads")
    if q_heads is not None and kv_heads is not None and kv_heads > 0 and q_heads % kv_heads != 0:
        raise config_error(
            call, f"`num_query_heads` ({q_heads}) must be divisible by `num_key_value_heads` "
            f"({kv_heads})",
        )
    query = _tensor(call.input(0, "query"), "query")
    value = _tensor(call.input(1, "value"), "value")
    key = _optional_tensor(call.input(2, "key"), "key")
    scores_wanted = _flag(call, 7, "return_attention_scores")
    tensors = [t for t in (query, value, key) if t is not None]
    symbolic = any(t.kind == "keras" for t in tensors)
    qd, vd = query.shape.dims, value.shape.dims
    assert qd is not None and vd is not None
    if symbolic:
        a, b = qd[-1], vd[-1]
        if isinstance(a, int) and isinstance(b, int) and a != b:
            raise ShapeError(
                f"GroupQueryAttention: the last dimension of query and value must be equal, but "
                f"query has shape {format_shape(query.shape)} and value {format_shape(value.shape)}",
                code=MISMATCH,
            )
        if a != b:
            raise Unknowable("features")
    _check_key_value(call, value, key)
    if symbolic and any(t.shape.dims is not None and t.shape.dims[-1] is None for t in tensors):
        raise Unknowable("features")
    if len(qd) != 3 or any(len(t.shape.dims or ()) != 3 for t in tensors):
        raise Unknowable("rank")
    dtype = _dtype(call, tensors)
    output = Tensor(Shape(qd), dtype)
    if not scores_wanted:
        return output
    kd = (key or value).shape.dims
    assert kd is not None
    return Seq([output, Tensor(Shape((qd[0], q_heads, qd[1], kd[1])), dtype)], "tuple")


def _attention(call: LayerCall, additive: bool) -> Value:
    if not additive:
        mode = call.cfg("score_mode", "dot")
        if mode not in ("dot", "concat"):
            raise config_error(
                call, f"`score_mode` must be one of 'dot', 'concat', but received {mode!r}"
            )
        broadcast = mode == "concat"
    else:
        broadcast = True
    items = list_inputs(call)
    if items and all(isinstance(i, Tensor) for i in items) and not 2 <= len(items) <= 3:
        shapes = ", ".join(format_shape(i.shape) for i in items if isinstance(i, Tensor))
        raise ShapeError(
            f"{call.name} must be called on a list [query, value] or [query, value, key], but "
            f"received {len(items)} input(s) with shapes [{shapes}]",
            code=MISMATCH,
        )
    if len(items) not in (2, 3):
        raise Unknowable("inputs")
    query = _tensor(items[0], "query")
    value = _tensor(items[1], "value")
    key = _tensor(items[2], "key") if len(items) == 3 else value
    scores_wanted = _flag(call, 3, "return_attention_scores")
    tensors = [query, value, key]
    symbolic = any(t.kind == "keras" for t in tensors)
    qd, vd, kd = query.shape.dims, value.shape.dims, key.shape.dims
    assert qd is not None and vd is not None and kd is not None
    if not qd or not vd or len(kd) < 2:
        raise Unknowable("rank")
    if symbolic and additive and qd[-1] is None and call.bool("use_scale", True):
        raise Unknowable("features")  # the scale weight needs a defined query size
    dtype = _dtype(call, tensors, ints="error")
    if not symbolic:
        if not len(qd) == len(vd) == len(kd) == 3:
            raise Unknowable("rank")
        a, b = qd[-1], kd[-1]
        if isinstance(a, int) and isinstance(b, int) and a != b and not (broadcast and 1 in (a, b)):
            raise ShapeError(
                f"{call.name}: the query and key feature sizes must match, but query has shape "
                f"{format_shape(query.shape)} and key {format_shape(key.shape)}",
                code=MISMATCH,
            )
        tk, tv = kd[-2], vd[-2]
        if isinstance(tk, int) and isinstance(tv, int) and tk != tv:
            raise ShapeError(
                f"{call.name}: the key and value lengths must match, but key has shape "
                f"{format_shape(key.shape)} and value {format_shape(value.shape)}",
                code=MISMATCH,
            )
        batches = {t.shape.dims[0] for t in tensors if t.shape.dims is not None}
        if len(batches) > 1:
            raise Unknowable("batch")
    output = Tensor(Shape((*qd[:-1], vd[-1])), dtype)
    if not scores_wanted:
        return output
    return Seq([output, Tensor(Shape((*qd[:-1], kd[-2])), dtype)], "tuple")


@layer("Attention", params=("use_scale", "score_mode", "dropout", "seed"), call_params=_ATTENTION_CALL, multi_input=True)
def attention(call: LayerCall) -> Value:
    return _attention(call, additive=False)


@layer("AdditiveAttention", params=("use_scale", "dropout"), call_params=_ATTENTION_CALL, multi_input=True)
def additive_attention(call: LayerCall) -> Value:
    return _attention(call, additive=True)

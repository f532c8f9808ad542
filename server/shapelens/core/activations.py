"""Keras activation functions: ``keras.activations.relu(x)`` and ``keras.activations.get(name)``
(a function object that custom layers keep and call later). All are elementwise."""

from __future__ import annotations

from .registry import Call, function
from .shapes import is_float
from .values import UNKNOWN, Const, DictVal, FunctionVal, LibRef, Tensor, TensorKind, Value

ACTIVATIONS = (
    "relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "hard_sigmoid", "tanh",
    "softmax", "log_softmax", "softplus", "softsign", "swish", "silu", "hard_silu", "hard_swish",
    "mish", "exponential", "linear", "celu", "glu", "tanh_shrink", "squareplus", "sparsemax",
    "soft_shrink", "hard_shrink", "hard_tanh", "log_sigmoid", "threshold",
)


@function(*(f"keras.activations.{name}" for name in ACTIVATIONS if name != "glu"))
def _elementwise(call: Call) -> Value:
    x = call.arg(0, "x")
    if not isinstance(x, Tensor):
        return UNKNOWN
    dtype = x.dtype if is_float(x.dtype) else None
    kind: TensorKind = "keras" if x.kind == "keras" else "tf"
    if x.kind == "np" and call.name.endswith("linear"):
        kind = "np"
    return Tensor(x.shape, dtype, kind, call.span, x.label)


@function("keras.activations.get")
def _get(call: Call) -> Value:
    ident = call.arg(0, "identifier")
    if ident is None or (isinstance(ident, Const) and ident.value is None):
        return LibRef("keras.activations.linear")
    if isinstance(ident, Const) and isinstance(ident.value, str):
        name = ident.value.lower()
        return LibRef(f"keras.activations.{name}") if name in ACTIVATIONS else UNKNOWN
    if isinstance(ident, (LibRef, FunctionVal)):
        return ident
    if isinstance(ident, DictVal) and isinstance(ident.serialized, (LibRef, FunctionVal)):
        return ident.serialized  # the config of a function serialized before
    return UNKNOWN

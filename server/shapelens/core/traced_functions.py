"""``tf.function``: as a call (``tf.function(step)``) and as a decorator, with or without an
``input_signature``. TF traces a function with a signature on tensors of the signature's
shapes and dtypes (``(None, None)`` for a ``TensorSpec((None, None))``), whatever the data it
is later called with, so the body is analysed on those."""

from __future__ import annotations

from .registry import Call, function
from .shapes import UNKNOWN_SHAPE
from .values import UNKNOWN, Const, DictVal, FunctionVal, Seq, SignatureDecorator, Tensor, Value


@function("tf.function")
def _tf_function(call: Call) -> Value:
    fn = call.arg(0, "func")
    signature = call.arg(2, "input_signature")
    has_signature = signature is not None and not (isinstance(signature, Const) and signature.value is None)
    if fn is None or (isinstance(fn, Const) and fn.value is None):
        return SignatureDecorator(signature) if has_signature else UNKNOWN  # type: ignore[arg-type]
    if isinstance(fn, FunctionVal) and has_signature:
        fn.signature = signature
    return fn


def _positional_names(fn: FunctionVal) -> list[str]:
    node = fn.node
    names = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
    if fn.owner is not None and fn.binding in ("method", "class") and names:
        names = names[1:]  # self / cls is not part of the signature
    return names


def _spec_tensor(spec: Value) -> Value:
    """The tensor TF traces with for one spec (a dict or list of specs gives that structure of
    tensors, a serving signature's features); a structure it cannot read becomes unknown."""
    if isinstance(spec, Tensor):
        return Tensor(spec.shape, spec.dtype, "tf", spec.origin, spec.label or "input_signature")
    if isinstance(spec, DictVal) and spec.complete and all(isinstance(k, str) for k in spec.items):
        return DictVal({k: _spec_tensor(v) for k, v in spec.items.items()})
    if isinstance(spec, Seq) and spec.items is not None:
        return Seq([_spec_tensor(v) for v in spec.items], spec.kind)
    return UNKNOWN


def _unknown_like(v: Value) -> Value:
    if isinstance(v, Tensor):
        return Tensor(UNKNOWN_SHAPE, v.dtype, "tf", v.origin, v.label)
    return UNKNOWN


def traced_arguments(
    fn: FunctionVal, args: list[Value], kwargs: dict[str, Value]
) -> tuple[list[Value], dict[str, Value]]:
    """The arguments as the traced body sees them: each one the signature covers is replaced
    by a tensor of its spec."""
    bound = 1 if fn.owner is not None and fn.binding in ("method", "class") else 0
    names = _positional_names(fn)
    signature = fn.signature
    specs = signature.items if isinstance(signature, Seq) else None
    new_args = list(args)
    new_kwargs = dict(kwargs)
    if specs is None:
        # a signature the engine cannot read: tensors keep no shape
        return [*new_args[:bound], *[_unknown_like(a) for a in new_args[bound:]]], {
            k: _unknown_like(v) for k, v in new_kwargs.items()
        }
    for i, spec in enumerate(specs):
        name = names[i] if i < len(names) else None
        if name is not None and name in new_kwargs:
            new_kwargs[name] = _spec_tensor(spec)
        elif bound + i < len(new_args):
            new_args[bound + i] = _spec_tensor(spec)
    return new_args, new_kwargs


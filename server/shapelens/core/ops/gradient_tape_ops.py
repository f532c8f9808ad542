"""``tf.GradientTape``: gradients have the shapes of what they are taken with respect to.

``tape.gradient(target, sources)`` gives, for each source in the structure of ``sources``, a
tensor of the source's shape and dtype. A gradient is None when the target does not depend on
the source, so one is claimed only for float variables (which a tape watches by itself) and
tensors the program passed to ``tape.watch``. ``jacobian`` puts the target's shape in front of
each source's; ``batch_jacobian`` shares the first (batch) axis. Checked against TensorFlow in
tests/oracle/test_gradient_tape.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from ..registry import Call, function, method
from ..shapes import Shape
from ..values import UNKNOWN, DictVal, Seq, Tensor, Value, tensors_in
from . import shape_ops as so

_FLOATS = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128")


@dataclass(eq=False, slots=True)
class TapeVal(Value):
    """A ``tf.GradientTape``: the tensors the program asked it to watch."""

    RECEIVER: ClassVar[str] = "gradient_tape"
    WITH_BINDS_SELF: ClassVar[bool] = True  # ``with tf.GradientTape() as tape`` is the tape
    watched: list[Tensor] = field(default_factory=list)


@function("tf.GradientTape")
def _tape(call: Call) -> Value:
    return TapeVal()


@method("gradient_tape", "watch")
def _watch(call: Call) -> Value:
    tape = call.receiver
    if isinstance(tape, TapeVal):
        tape.watched.extend(t for t in tensors_in(call.arg(0, "tensor") or UNKNOWN) if t.kind in ("tf", "var"))
    return UNKNOWN


def _watched(tape: TapeVal, source: Tensor) -> bool:
    if source.dtype not in _FLOATS:
        return False
    return source.kind == "var" or any(source is t for t in tape.watched)


def _gradient_of(tape: TapeVal, source: Value) -> Value:
    if isinstance(source, Tensor):
        if not _watched(tape, source):
            return UNKNOWN
        return Tensor(source.shape, source.dtype, "tf")
    if isinstance(source, Seq) and source.items is not None:
        return Seq([_gradient_of(tape, s) for s in source.items], "list" if source.kind == "list" else "tuple")
    if isinstance(source, DictVal) and source.complete:
        return DictVal({k: _gradient_of(tape, s) for k, s in source.items.items()})
    return UNKNOWN


@method("gradient_tape", "gradient")
def _gradient(call: Call) -> Value:
    tape, sources = call.receiver, call.arg(1, "sources")
    if not isinstance(tape, TapeVal) or sources is None:
        return UNKNOWN
    return _gradient_of(tape, sources)


@method("gradient_tape", "jacobian", "batch_jacobian")
def _jacobian(call: Call) -> Value:
    tape, target = call.receiver, call.arg(0, "target")
    source = call.arg(1, "source" if "batch" in call.name else "sources")
    if not isinstance(tape, TapeVal) or not isinstance(target, Tensor) or not isinstance(source, Tensor):
        return UNKNOWN
    op = so.begin(call, "tf", target)
    if not _watched(tape, source) or target.shape.dims is None or source.shape.dims is None:
        return UNKNOWN
    if call.name.endswith("batch_jacobian"):
        t, s = target.shape.dims, source.shape.dims
        if not t or not s:
            return UNKNOWN
        return op.out(Shape((t[0], *t[1:], *s[1:])), source.dtype)
    return op.out(Shape((*target.shape.dims, *source.shape.dims)), source.dtype)

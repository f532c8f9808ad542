"""``tf.distribute.OneDeviceStrategy``, the strategy that certainly runs on one replica.

With one replica a distributed dataset yields the dataset's own batches, ``strategy.run(fn,
args=...)`` calls ``fn`` on those arguments, and ``strategy.reduce(op, value, axis=None)`` gives
the value back. Strategies over several devices (``MirroredStrategy`` and the like) split each
batch by a replica count the engine does not know, so they stay unknown; so does
``tf.distribute.get_strategy()``, which is whatever strategy's scope the code runs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .registry import Call, attribute, function, method
from .values import UNKNOWN, Const, DatasetVal, DictVal, Seq, Value


@dataclass(eq=False, slots=True)
class OneReplicaStrategy(Value):
    RECEIVER: ClassVar[str] = "strategy"


@function("tf.distribute.OneDeviceStrategy")
def _one_replica(call: Call) -> Value:
    return OneReplicaStrategy()


@attribute("strategy", "num_replicas_in_sync")
def _replicas(v: Value) -> Value:
    return Const(1)


@method("strategy", "experimental_distribute_dataset")
def _distribute_dataset(call: Call) -> Value:
    ds = call.arg(0, "dataset")
    return ds if isinstance(ds, DatasetVal) else UNKNOWN


@method("strategy", "run")
def _run(call: Call) -> Value:
    fn = call.arg(0, "fn")
    args = call.arg(1, "args")
    kwargs = call.arg(2, "kwargs")
    if fn is None:
        return UNKNOWN
    if args is None:
        positional: list[Value] = []
    elif isinstance(args, Seq) and args.items is not None:
        positional = list(args.items)
    else:
        return UNKNOWN
    if kwargs is None or (isinstance(kwargs, Const) and kwargs.value is None):
        named: dict[str, Value] = {}
    elif isinstance(kwargs, DictVal) and kwargs.complete and all(isinstance(k, str) for k in kwargs.items):
        named = dict(kwargs.items)
    else:
        return UNKNOWN
    return call.interp.call_value(fn, positional, named, call.node)


@method("strategy", "reduce")
def _reduce(call: Call) -> Value:
    value = call.arg(1, "value")
    axis = call.arg(2, "axis")
    if value is None or not (isinstance(axis, Const) and axis.value is None):
        return UNKNOWN  # along an axis the value is reduced there too: not followed
    return value


@method("strategy", "experimental_local_results")
def _local_results(call: Call) -> Value:
    value = call.arg(0, "value")
    return Seq([value], "tuple") if value is not None else UNKNOWN

"""Parsing ``tf.train.Example`` records: ``tf.io.FixedLenFeature``/``VarLenFeature`` specs and
``tf.io.parse_single_example``/``parse_example`` (a TFRecord input pipeline's first ``map``).

TensorFlow semantics (checked on TF 2.21, see tests/oracle/test_data.py): a fixed-length
feature parses to a dense tensor of its ``shape`` and ``dtype``; a variable-length one to a
sparse tensor of rank 1. ``parse_example`` on a batch of records puts the batch axis first.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..registry import Call, function
from ..shapes import Dim, DType, Shape
from ..values import UNKNOWN, DictVal, Tensor, Value
from . import shape_ops as so


@dataclass(eq=False, slots=True)
class FeatureSpec(Value):
    """One entry of a parsing spec: ``fixed`` (dense, ``shape``) or ``var`` (sparse, rank 1)."""

    form: str
    shape: Shape
    dtype: DType

    def describe(self) -> str:
        return f"{self.form}-length feature"


@function("tf.io.FixedLenFeature")
def _fixed(call: Call) -> Value:
    dims = so.shape_dims(so.resolve(call.arg(0, "shape")))
    dtype = so.dtype_arg(call.arg(1, "dtype"))
    if dims is None or dtype is None or any(not isinstance(d, int) or d < 0 for d in dims):
        return UNKNOWN
    return FeatureSpec("fixed", Shape(tuple(dims)), dtype)


@function("tf.io.VarLenFeature")
def _var(call: Call) -> Value:
    dtype = so.dtype_arg(call.arg(0, "dtype"))
    return FeatureSpec("var", Shape((None,)), dtype) if dtype is not None else UNKNOWN


def _parsed(spec: Value, batch: tuple[Dim, ...] | None) -> Value:
    if not isinstance(spec, FeatureSpec) or batch is None or spec.shape.dims is None:
        return UNKNOWN
    if spec.form == "fixed":
        return Tensor(Shape((*batch, *spec.shape.dims)), spec.dtype, "tf")
    return Tensor(Shape((*batch, None)), spec.dtype, "sparse")


@function("tf.io.parse_single_example", "tf.io.parse_example")
def _parse(call: Call) -> Value:
    """A dict with one parsed tensor per key of ``features``; keys whose spec is not read here
    are unknown. ``parse_example`` of a vector of records adds its length first."""
    features = call.arg(1, "features")
    if not isinstance(features, DictVal) or not features.complete:
        return UNKNOWN
    batch: tuple[Dim, ...] | None = ()
    if call.name == "tf.io.parse_example":
        records = so.begin(call, "tf").tensor(call.arg(0, "serialized"))
        dims = records.shape.dims if records is not None else None
        batch = dims if dims is not None and len(dims) == 1 else None
    if any(not isinstance(k, str) for k in features.items):
        return UNKNOWN
    return DictVal({k: _parsed(v, batch) for k, v in features.items.items()})

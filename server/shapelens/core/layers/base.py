"""The shape of a layer rule: how a Keras layer class maps its config and inputs to outputs.

A rule module declares each layer with `layer(...)`: its class name, the order of its positional
constructor arguments, and a function from a `LayerCall` to the output. The function returns a
`Shape` (dtype handled here) or a full Value (several outputs), raises `ShapeError` when Keras
would certainly reject the input, and `Unknowable` when it cannot tell.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..registry import UNKNOWN_MARK, dtype_of_value
from ..shapes import DType, Shape, ShapeError, Unknowable, is_float, normalize_axis
from ..values import (
    Const,
    LayerVal,
    Seq,
    Tensor,
    Value,
    as_int,
    as_shape,
)

RuleResult = Shape | Value


@dataclass(slots=True)
class LayerSpec:
    name: str
    params: tuple[str, ...]
    rule: Callable[[LayerCall], RuleResult]
    call_params: tuple[str, ...] = ("inputs",)
    preserves_dtype: bool = False  # shape-only layers keep int/bool inputs as they are
    output_dtype: DType = None  # fixed output dtype (e.g. "int64" for StringLookup)
    multi_input: bool = False  # first argument is a list of tensors (merge layers)
    dtype_by_rule: bool = False  # the rule decides the dtype (by output_mode...): unknown without it
    positions: dict[str, int] = field(init=False, repr=False)  # a parameter's positional index

    def __post_init__(self) -> None:
        self.positions = {n: i for i, n in enumerate(self.params)}


LAYERS: dict[str, LayerSpec] = {}


def layer(
    *names: str,
    params: tuple[str, ...] = (),
    call_params: tuple[str, ...] = ("inputs",),
    preserves_dtype: bool = False,
    output_dtype: DType = None,
    multi_input: bool = False,
    dtype_by_rule: bool = False,
) -> Callable[[Callable[[LayerCall], RuleResult]], Callable[[LayerCall], RuleResult]]:
    """Register a rule for one or more layer class names sharing a signature."""

    def deco(fn: Callable[[LayerCall], RuleResult]) -> Callable[[LayerCall], RuleResult]:
        for n in names:
            LAYERS[n] = LayerSpec(
                n, params, fn, call_params, preserves_dtype, output_dtype, multi_input, dtype_by_rule
            )
        return fn

    return deco


def dtype_setting(v: Value | None, policy: DType) -> DType:
    """A layer's compute dtype from its ``dtype=`` setting: none (or None) takes the policy it
    was made under; a mixed policy name computes in float16/bfloat16."""
    if v is None or (isinstance(v, Const) and v.value is None):
        return policy
    if isinstance(v, Const) and isinstance(v.value, builtins.str) and v.value.startswith("mixed_"):
        return "bfloat16" if "bfloat16" in v.value else "float16"
    return dtype_of_value(v)


class LayerCall:
    """A layer applied to inputs: typed access to its constructor config and call arguments."""

    __slots__ = ("call_kwargs", "direct", "inputs", "interp", "layer", "site")

    def __init__(
        self,
        layer: LayerVal,
        inputs: list[Value],
        call_kwargs: dict[builtins.str, Value],
        interp: Any = None,
        site: Any = None,
        direct: bool = False,
    ):
        self.layer = layer
        self.inputs = inputs
        self.call_kwargs = call_kwargs
        self.interp = interp  # the Interpreter, for rules that run user code (Lambda)
        self.site = site  # Span of the call
        # called by the program's own code (`layer(x)`), not run by a Sequential or functional
        # model, which first converts its data to its inputs' dtypes
        self.direct = direct

    @property
    def name(self) -> str:
        return self.layer.spec.name

    # -- constructor config ---------------------------------------------------------------

    def raw(self, name: builtins.str) -> Value | None:
        layer = self.layer
        if name in layer.kwargs:
            return layer.kwargs[name]
        index = layer.spec.positions.get(name)
        if index is not None and index < len(layer.args):
            return layer.args[index]
        return None

    def given(self, name: builtins.str) -> builtins.bool:
        return self.raw(name) is not None

    def cfg(self, name: builtins.str, default: Any = None) -> Any:
        """The constant value of a config argument; raises Unknowable if given but unknown."""
        v = self.raw(name)
        if v is None:
            return default
        if isinstance(v, Const):
            return v.value
        if isinstance(v, Seq) and v.items is not None and all(isinstance(i, Const) for i in v.items):
            return tuple(i.value for i in v.items if isinstance(i, Const))
        raise Unknowable(name)

    def cfg_soft(self, name: builtins.str, default: Any = None) -> Any:
        """Like `cfg` but UNKNOWN_MARK instead of raising."""
        try:
            return self.cfg(name, default)
        except Unknowable:
            return UNKNOWN_MARK

    def int(self, name: builtins.str, default: builtins.int | None = None) -> builtins.int:
        v = self.raw(name)
        if v is None:
            if default is None:
                raise Unknowable(name)
            return default
        i = as_int(v)
        if i is None:
            raise Unknowable(name)
        return i

    def opt_int(self, name: builtins.str) -> builtins.int | None:
        v = self.raw(name)
        if v is None:
            return None
        if isinstance(v, Const) and v.value is None:
            return None
        i = as_int(v)
        if i is None:
            raise Unknowable(name)
        return i

    def ints(
        self,
        name: builtins.str,
        n: builtins.int,
        default: builtins.int | tuple[builtins.int, ...] | None = None,
    ) -> tuple[builtins.int, ...]:
        """An int-or-tuple argument (kernel_size, strides, ...) expanded to ``n`` ints."""
        v = self.cfg(name, default)
        if v is None:
            raise Unknowable(name)
        if isinstance(v, builtins.int) and not isinstance(v, builtins.bool):
            return (v,) * n
        if isinstance(v, tuple) and all(isinstance(i, builtins.int) for i in v):
            if len(v) != n:
                raise Unknowable(name)
            return v
        raise Unknowable(name)

    def str(self, name: builtins.str, default: builtins.str) -> builtins.str:
        v = self.cfg(name, default)
        if v is None:
            return default
        if not isinstance(v, builtins.str):
            raise Unknowable(name)
        return v.lower()

    def bool(self, name: builtins.str, default: builtins.bool) -> builtins.bool:
        v = self.cfg(name, default)
        if not isinstance(v, builtins.bool):
            if v is None or v == 0 or v == 1:
                return bool(v)
            raise Unknowable(name)
        return v

    def shape_cfg(self, name: builtins.str) -> Shape:
        v = self.raw(name)
        if v is None:
            raise Unknowable(name)
        return as_shape(v)

    def default_data_format(self) -> builtins.str:
        """Keras' global data format when the layer was made (``channels_last`` unless the
        program set another): a ``data_format=None`` layer's."""
        if self.layer.image_format is None:
            raise Unknowable("data_format")
        return self.layer.image_format

    def data_format(self) -> builtins.str:
        fmt = self.cfg("data_format", None)
        if fmt is None:
            fmt = self.default_data_format()
        fmt = fmt.lower() if isinstance(fmt, builtins.str) else fmt
        if fmt not in ("channels_last", "channels_first"):
            raise Unknowable("data_format")
        return str(fmt)

    @property
    def compute_dtype(self) -> DType:
        return dtype_setting(self.raw("dtype"), self.layer.policy)

    # -- inputs ---------------------------------------------------------------------------

    def input(self, index: builtins.int = 0, name: builtins.str | None = None) -> Value | None:
        if name is not None and name in self.call_kwargs:
            return self.call_kwargs[name]
        if index < len(self.inputs):
            return self.inputs[index]
        if name is None and index < len(self.layer.spec.call_params):
            key = self.layer.spec.call_params[index]
            return self.call_kwargs.get(key)
        return None

    def x(self, index: builtins.int = 0) -> Tensor:
        """The ``index``-th positional input as a tensor (keyword by the call signature too)."""
        name = self.layer.spec.call_params[index] if index < len(self.layer.spec.call_params) else None
        v = self.input(index, name)
        if not isinstance(v, Tensor):
            raise Unknowable("input")
        return v

    def shape(
        self,
        index: builtins.int = 0,
        min_rank: builtins.int | None = None,
        rank: builtins.int | None = None,
    ) -> tuple[Any, ...]:
        """Input dims as a tuple; Unknowable when the rank is unknown.

        With ``rank``/``min_rank`` the input rank is checked: a known different rank is a
        certain Keras error (input_spec ndim/min_ndim), reported with both shapes.
        """
        t = self.x(index)
        dims = t.shape.dims
        if dims is None:
            raise Unknowable("rank")
        if rank is not None and len(dims) != rank:
            raise ShapeError(
                f"{self.name} expects input of rank {rank}, but received input with shape "
                f"{t.shape} (rank {len(dims)})",
                code="layer-input-rank",
            )
        if min_rank is not None and len(dims) < min_rank:
            raise ShapeError(
                f"{self.name} expects input of rank at least {min_rank}, but received input "
                f"with shape {t.shape} (rank {len(dims)})",
                code="layer-input-rank",
            )
        return dims

    def axis(self, axis: builtins.int, rank: builtins.int) -> builtins.int:
        a = normalize_axis(axis, rank)
        if a is None:
            raise ShapeError(
                f"{self.name}: axis {axis} is out of range for input of rank {rank}",
                code="axis-out-of-range",
            )
        return a


def channels_axis(fmt: builtins.str, rank: builtins.int) -> builtins.int:
    return rank - 1 if fmt == "channels_last" else 1


def float_or(dtype: DType, fallback: DType) -> DType:
    return dtype if is_float(dtype) else fallback

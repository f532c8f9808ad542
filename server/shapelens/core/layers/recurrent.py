"""Keras recurrent layers: SimpleRNN, LSTM, GRU, the generic RNN over SimpleRNNCell / LSTMCell /
GRUCell / StackedRNNCells, ConvLSTM1D/2D/3D, and the Bidirectional and TimeDistributed wrappers.

A recurrent layer maps ``(batch, time, features)`` to ``(batch, units)``, or to
``(batch, time, units)`` with ``return_sequences``. With ``return_state`` the call returns a
list ``[output, *states]``: LSTM has two states (h, c), GRU and SimpleRNN one, each
``(batch, units)``. The generic RNN's states follow the cell's ``state_size`` (a list of cells
gives one entry per cell, an LSTMCell's entry being itself a list of two) and its output size is
the last cell's units.

What Keras 3 certainly rejects: SimpleRNN/LSTM/GRU on an input whose rank is not 3 (their
``input_spec``), ConvLSTM{n}D on one whose rank is not n + 3, TimeDistributed on one of rank
below 3, ``units <= 0``, a Bidirectional merge mode outside concat/sum/mul/ave/None, a
Bidirectional around a non-recurrent layer, and forward/backward layers that disagree on
``return_sequences``/``return_state``/``stateful`` or share ``go_backwards``. An undefined
(``None``) feature or ConvLSTM spatial size is also a Keras error, but the engine cannot tell it
from a size it does not know, so it only declines to claim a shape.

Output dtypes: the layer's compute dtype (recurrent layers compute in float whatever the input).
A wrapper's symbolic output has the wrapper's compute dtype, not the wrapped layer's.

`apply_inner` evaluates a wrapped layer (held unevaluated in the wrapper's config) on inputs
without recording anything; SpectralNormalization uses it too.
"""

from __future__ import annotations

from typing import Any

from ..registry import attribute
from ..shapes import Dim, DType, Shape, ShapeError, Unknowable, format_shape, is_int
from ..values import Const, FunctionVal, Instance, LayerVal, ModelVal, Seq, Tensor, Unknown, Value
from .base import LayerCall, layer
from .conv import arg, config_error, conv_length, data_format, join_channels, split_channels, tuple_arg

_CALL = ("sequences", "initial_state", "mask", "training")
_RNN_TAIL = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")
_REGULARIZED = (
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
    "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
)
_SIMPLE_RNN_PARAMS = (
    "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", *_REGULARIZED, *_RNN_TAIL, "seed",
)
_LSTM_PARAMS = (
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "unit_forget_bias", *_REGULARIZED, "seed",
    *_RNN_TAIL, "use_cudnn",
)
_GRU_PARAMS = (
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", *_REGULARIZED, "seed", *_RNN_TAIL,
    "reset_after", "use_cudnn",
)
_CONV_LSTM_PARAMS = (
    "filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "activation",
    "recurrent_activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "unit_forget_bias", *_REGULARIZED, "seed", "return_sequences",
    "return_state", "go_backwards", "stateful",
)
_CELL_TAIL = (
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
    "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
)
_SIMPLE_CELL_PARAMS = (
    "units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", *_CELL_TAIL, "seed",
)
_LSTM_CELL_PARAMS = (
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", "unit_forget_bias", *_CELL_TAIL, "seed",
)
_GRU_CELL_PARAMS = (
    "units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
    "recurrent_initializer", "bias_initializer", *_CELL_TAIL, "reset_after", "seed",
)
_RNN_PARAMS = ("cell", *_RNN_TAIL, "zero_output_for_mask")

RECURRENT = ("SimpleRNN", "LSTM", "GRU", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")

# state sizes as a structure: an int per state, a nested list for a cell with several states
StateSpec = list[Any]


# ---------------------------------------------------------------------------------------------
# shared helpers


def apply_inner(
    call: LayerCall, inner: LayerVal, inputs: list[Value], kwargs: dict[str, Value] | None = None
) -> Value:
    """The output of a wrapped layer on ``inputs`` (nothing recorded); ShapeError propagates."""
    from ..calls import _output_dtype

    sub = LayerCall(inner, inputs, dict(kwargs or {}), call.interp, call.site)
    result = inner.spec.rule(sub)
    if isinstance(result, Shape):
        first = inputs[0] if inputs else None
        kind = first.kind if isinstance(first, Tensor) else "tf"
        return Tensor(result, _output_dtype(sub, first), kind)
    return result


def _apply_wrapped_model(call: LayerCall, inner: Value, child: Tensor) -> Value:
    """A Sequential/functional model or a custom layer wrapped by TimeDistributed."""
    import ast

    from ..calls import call_custom_layer
    from ..models import model_output_for

    if call.interp is None:
        raise Unknowable("interpreter")
    site = call.site or call.layer.origin
    if site is None:
        raise Unknowable("site")
    node = ast.Constant(None)
    node.lineno, node.col_offset, node.end_lineno, node.end_col_offset = (
        site.line, site.column, site.end_line, site.end_column,
    )
    if isinstance(inner, ModelVal):
        return model_output_for(call.interp, inner, child, site, node)
    if isinstance(inner, Instance) and call.interp.is_keras_layer_class(inner.cls):
        return call_custom_layer(call.interp, inner, [child], {}, site, node, record=False)
    raise Unknowable("layer")


def _sub_call(call: LayerCall, inner: LayerVal) -> LayerCall:
    """A LayerCall reading ``inner``'s config (no inputs)."""
    return LayerCall(inner, [], {}, call.interp, call.site)


def _units(call: LayerCall, name: str = "units") -> int:
    units = call.cfg(name)
    if units is None:
        raise Unknowable(name)
    if isinstance(units, bool) or not isinstance(units, int | float):
        raise Unknowable(name)
    if units <= 0:
        raise config_error(call, f"`{name}` must be a positive integer, but received {units!r}")
    if not isinstance(units, int):
        raise Unknowable(name)
    return units


def _features_known(call: LayerCall, d: Dim) -> None:
    """A symbolic input with an undefined size where Keras creates weights: Keras fails, the
    engine cannot tell undefined from unknown, so it claims nothing."""
    if d is None and call.x().kind == "keras":
        raise Unknowable("features")


def _rnn_result(
    call: LayerCall,
    batch: Dim,
    steps: Dim,
    step_out: tuple[Dim, ...],
    states: StateSpec | list[tuple[Dim, ...]],
    return_sequences: bool,
    return_state: bool,
    dtype: DType,
) -> Value:
    """``output`` or ``[output, *states]``; ``states`` holds ints (units) or full step shapes."""
    out = (batch, steps, *step_out) if return_sequences else (batch, *step_out)
    if not return_state:
        return Tensor(Shape(out), dtype)
    items: list[Value] = [Tensor(Shape(out), dtype)]
    items.extend(_state_value(batch, s, dtype) for s in states)
    return Seq(items, "list")


def _state_value(batch: Dim, spec: object, dtype: DType) -> Value:
    if isinstance(spec, int):
        return Tensor(Shape((batch, spec)), dtype)
    if isinstance(spec, tuple):
        return Tensor(Shape(spec), dtype)
    assert isinstance(spec, list)
    return Seq([_state_value(batch, s, dtype) for s in spec], "list")


def _flags(call: LayerCall) -> tuple[bool, bool]:
    """(return_sequences, return_state); a stateful layer on a symbolic input of undefined
    batch size is a Keras error the engine cannot tell from an unknown batch size."""
    if call.inputs and isinstance(call.inputs[0], Tensor) and call.inputs[0].kind == "keras":
        dims = call.inputs[0].shape.dims
        if dims and dims[0] is None and call.bool("stateful", False):
            raise Unknowable("batch")
    return call.bool("return_sequences", False), call.bool("return_state", False)


# ---------------------------------------------------------------------------------------------
# SimpleRNN / LSTM / GRU


def _simple_recurrent(call: LayerCall, n_states: int) -> Value:
    units = _units(call)
    return_sequences, return_state = _flags(call)
    dims = call.shape(rank=3)
    _features_known(call, dims[2])
    return _rnn_result(
        call, dims[0], dims[1], (units,), [units] * n_states, return_sequences, return_state,
        call.compute_dtype,
    )


@layer("SimpleRNN", params=_SIMPLE_RNN_PARAMS, call_params=_CALL)
def simple_rnn(call: LayerCall) -> Value:
    return _simple_recurrent(call, 1)


@layer("LSTM", params=_LSTM_PARAMS, call_params=_CALL)
def lstm(call: LayerCall) -> Value:
    return _simple_recurrent(call, 2)


@layer("GRU", params=_GRU_PARAMS, call_params=_CALL)
def gru(call: LayerCall) -> Value:
    return _simple_recurrent(call, 1)


# ---------------------------------------------------------------------------------------------
# cells and the generic RNN


def _cell_step(call: LayerCall, n_states: int) -> Value:
    """One step of a built-in cell called directly: ``(output, new_states)``, the output
    ``(batch, units)``. The new states are a list (LSTMCell always; SimpleRNNCell and
    GRUCell when the states came as a list or tuple, else one tensor)."""
    units = _units(call)
    dims = call.shape()
    if len(dims) != 2:
        raise Unknowable("rank")  # a cell is meant for one step of (batch, features)
    _features_known(call, dims[1])
    h = Tensor(Shape((dims[0], units)), call.compute_dtype)
    states_given = call.input(1, "states")
    if n_states == 1 and not isinstance(states_given, Seq):
        if states_given is None or isinstance(states_given, Unknown):
            raise Unknowable("states")
        return Seq([h, h], "tuple")
    return Seq([h, Seq([h] * n_states, "list")], "tuple")


@layer("SimpleRNNCell", params=_SIMPLE_CELL_PARAMS, call_params=("sequence", "states", "training"))
def simple_rnn_cell(call: LayerCall) -> Value:
    return _cell_step(call, 1)


@layer("LSTMCell", params=_LSTM_CELL_PARAMS, call_params=("inputs", "states", "training"))
def lstm_cell(call: LayerCall) -> Value:
    return _cell_step(call, 2)


@layer("GRUCell", params=_GRU_CELL_PARAMS, call_params=("inputs", "states", "training"))
def gru_cell(call: LayerCall) -> Value:
    return _cell_step(call, 1)


@layer("StackedRNNCells", params=("cells",), call_params=("inputs", "states", "training"))
def stacked_rnn_cells(call: LayerCall) -> Value:
    raise Unknowable("cell call")


def _cell_info(call: LayerCall, cell: Value | None) -> tuple[int, int | StateSpec]:
    """(output size, state_size) of a cell value, as Keras' ``cell.state_size``."""
    if isinstance(cell, Seq):
        if cell.items is None or not cell.items:
            raise Unknowable("cell")
        infos = [_cell_info(call, c) for c in cell.items]
        return infos[-1][0], [s for _, s in infos]
    if isinstance(cell, Instance):
        return _user_cell_info(cell)
    if not isinstance(cell, LayerVal):
        raise Unknowable("cell")
    name = cell.spec.name
    if name == "StackedRNNCells":
        return _cell_info(call, _sub_call(call, cell).raw("cells"))
    sub = _sub_call(call, cell)
    if name in ("SimpleRNNCell", "GRUCell"):
        units = _units(sub)
        return units, units
    if name == "LSTMCell":
        units = _units(sub)
        return units, [units, units]
    raise Unknowable("cell")


def _user_cell_info(cell: Instance) -> tuple[int, int | StateSpec]:
    """A user's cell class: its ``state_size`` (an int, or one int per state) and its
    ``output_size`` (the first state's size when it has none), set in ``__init__``."""

    def size(v: Value | None) -> int | None:
        return v.value if isinstance(v, Const) and type(v.value) is int else None

    state = cell.attrs.get("state_size", cell.cls.lookup("state_size"))
    if isinstance(state, Seq) and state.items:
        sizes = [size(i) for i in state.items]
        if any(n is None for n in sizes):
            raise Unknowable("cell state size")
        state_size: int | StateSpec = list(sizes)
        first = sizes[0]
    else:
        first = size(state)
        if first is None:
            raise Unknowable("cell state size")
        state_size = first
    given = cell.attrs.get("output_size", cell.cls.lookup("output_size"))
    output = size(given) if given is not None else first
    if output is None:
        raise Unknowable("cell output size")
    return output, state_size


@layer("RNN", params=_RNN_PARAMS, call_params=_CALL)
def rnn(call: LayerCall) -> Value:
    out_size, state_size = _cell_info(call, call.raw("cell"))
    states: StateSpec = list(state_size) if isinstance(state_size, list) else [state_size]
    return_sequences, return_state = _flags(call)
    dims = call.shape()
    if len(dims) != 3:
        raise Unknowable("rank")  # Keras builds the cell on (batch, *dims[2:]): cell-specific
    _features_known(call, dims[2])
    return _rnn_result(
        call, dims[0], dims[1], (out_size,), states, return_sequences, return_state,
        call.compute_dtype,
    )


# ---------------------------------------------------------------------------------------------
# ConvLSTM


def _conv_lstm(call: LayerCall, rank: int) -> Value:
    filters = _units(call, "filters")
    kernel = tuple_arg(call, "kernel_size", rank)
    strides = tuple_arg(call, "strides", rank, 1, allow_zero=True)
    dilation = tuple_arg(call, "dilation_rate", rank, 1)
    try:
        pad_value = arg(call, "padding", "valid")
    except Unknowable:
        pad_value = None
    padding: str | None = None
    if isinstance(pad_value, str):
        padding = pad_value.lower()
        if padding not in ("valid", "same"):
            raise config_error(
                call, f"`padding` must be one of 'valid', 'same', but received {pad_value!r}"
            )
    fmt = data_format(call)
    if strides is not None and dilation is not None and max(strides) > 1 and max(dilation) > 1:
        raise config_error(
            call,
            f"`strides > 1` is not compatible with `dilation_rate > 1` (strides={strides}, "
            f"dilation_rate={dilation})",
        )
    return_sequences, return_state = _flags(call)
    dims = call.shape(rank=rank + 3)
    batch, steps = dims[0], dims[1]
    channels, spatial = split_channels((batch, *dims[2:]), fmt)
    x = call.x()
    symbolic = x.kind == "keras"
    if symbolic and (channels is None or any(d is None for d in spatial)):
        raise Unknowable("spatial")
    if not symbolic:
        if is_int(x.dtype) or x.dtype == "bool":
            raise ShapeError(
                f"{call.name} cannot run eagerly on a {x.dtype} input {format_shape(x.shape)}: its "
                f"convolutions get the {x.dtype} input and float kernels; cast the input to a "
                f"float dtype first",
                code="dtype-mismatch",
            )
        if fmt == "channels_first":
            raise Unknowable("data_format")  # TF's CPU convolutions only run channels_last
    if strides is not None and 0 in strides:
        raise Unknowable("strides")
    out_spatial: list[Dim] = []
    for i, length in enumerate(spatial):
        k = kernel[i] if kernel else None
        s = strides[i] if strides else None
        d = dilation[i] if dilation else None
        n = conv_length(length, k, s, d, padding)
        if isinstance(n, int) and n <= 0:
            raise ShapeError(
                f"{call.name}: computed output size would be zero or negative: input "
                f"{format_shape(Shape(dims))} with kernel_size={kernel}, strides={strides}, "
                f"dilation_rate={dilation} and padding='{padding}' (spatial axis {i} has length "
                f"{length})",
            )
        out_spatial.append(n)
    step = join_channels(batch, out_spatial, filters, fmt).dims
    assert step is not None
    step_out = step[1:]
    return _rnn_result(
        call, batch, steps, step_out, [step, step], return_sequences, return_state,
        call.compute_dtype,
    )


@layer("ConvLSTM1D", params=_CONV_LSTM_PARAMS, call_params=_CALL)
def conv_lstm_1d(call: LayerCall) -> Value:
    return _conv_lstm(call, 1)


@layer("ConvLSTM2D", params=_CONV_LSTM_PARAMS, call_params=_CALL)
def conv_lstm_2d(call: LayerCall) -> Value:
    return _conv_lstm(call, 2)


@layer("ConvLSTM3D", params=_CONV_LSTM_PARAMS, call_params=_CALL)
def conv_lstm_3d(call: LayerCall) -> Value:
    return _conv_lstm(call, 3)


# ---------------------------------------------------------------------------------------------
# wrappers


def _flag_of(call: LayerCall, inner: LayerVal, name: str) -> bool | None:
    try:
        return _sub_call(call, inner).bool(name, False)
    except Unknowable:
        return None


_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


@layer("Bidirectional", params=("layer", "merge_mode", "weights", "backward_layer"), call_params=_CALL)
def bidirectional(call: LayerCall) -> Value:
    inner = call.raw("layer")
    if not isinstance(inner, LayerVal):
        raise Unknowable("layer")
    if inner.spec.name not in RECURRENT:
        raise config_error(
            call, f"Bidirectional wraps a recurrent layer (LSTM, GRU, SimpleRNN, RNN, ConvLSTM), "
            f"but received a {inner.spec.name} layer",
        )
    mode_v = call.raw("merge_mode")
    if mode_v is None:
        mode: str | None = "concat"
    elif isinstance(mode_v, Const) and (mode_v.value is None or isinstance(mode_v.value, str)):
        mode = mode_v.value
    else:
        raise Unknowable("merge_mode")
    if mode not in _MERGE_MODES:
        raise config_error(
            call, f"invalid merge mode {mode!r}; it should be one of 'sum', 'mul', 'ave', "
            f"'concat' or None",
        )
    backward = call.raw("backward_layer")
    if backward is not None and not (isinstance(backward, Const) and backward.value is None):
        if not isinstance(backward, LayerVal):
            raise Unknowable("backward_layer")
        fgb, bgb = _flag_of(call, inner, "go_backwards"), _flag_of(call, backward, "go_backwards")
        if fgb is not None and fgb == bgb:
            raise config_error(
                call, f"the forward and backward layers must have different `go_backwards` "
                f"values, but both have go_backwards={fgb}",
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            fv, bv = _flag_of(call, inner, attr), _flag_of(call, backward, attr)
            if fv is not None and bv is not None and fv != bv:
                raise config_error(
                    call, f"the forward and backward layers must have the same `{attr}`, but "
                    f"the forward layer has {attr}={fv} and the backward layer {attr}={bv}",
                )
    else:
        backward = None
        if _flag_of(call, inner, "go_backwards"):
            raise config_error(
                call, "the wrapped layer has go_backwards=True, and so would its backward copy: "
                "the forward and backward layers must have different `go_backwards` values",
            )
    x = call.x()
    fwd = apply_inner(call, inner, [x])
    symbolic = x.kind == "keras"
    bwd = fwd
    if backward is not None and not symbolic:
        bwd = apply_inner(call, backward, [x])  # Keras' symbolic shape uses the forward only
    dtype = call.compute_dtype
    if not symbolic and _sub_call(call, inner).given("dtype"):
        dtype = None

    def split(v: Value) -> tuple[Tensor, list[Value]]:
        if isinstance(v, Tensor):
            return v, []
        if isinstance(v, Seq) and v.items and isinstance(v.items[0], Tensor):
            return v.items[0], list(v.items[1:])
        raise Unknowable("layer output")

    f_out, f_states = split(fwd)
    b_out, b_states = split(bwd)
    fd, bd = f_out.shape.dims, b_out.shape.dims
    if fd is None or bd is None or len(fd) != len(bd):
        raise Unknowable("layer output")
    outputs: list[Value]
    if mode == "concat":
        f_last, b_last = fd[-1], bd[-1]
        last: Dim = f_last + b_last if isinstance(f_last, int) and isinstance(b_last, int) else None
        outputs = [Tensor(Shape((*fd[:-1], last)), dtype)]
    elif mode is None:
        outputs = [Tensor(Shape(fd), dtype), Tensor(Shape(bd), dtype)]
    else:
        if fd != bd:
            raise Unknowable("merge")
        outputs = [Tensor(Shape(fd), dtype)]
    if not f_states and not b_states:
        if len(outputs) == 1:
            return outputs[0]
        return Seq(outputs, "list")
    states = [_retype(s, dtype) for s in (*f_states, *b_states)]
    return Seq([*outputs, *states], "list")


def _retype(v: Value, dtype: DType) -> Value:
    if isinstance(v, Tensor):
        return Tensor(v.shape, dtype)
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_retype(i, dtype) for i in v.items], v.kind)
    return v


@layer("TimeDistributed", params=("layer",), call_params=("inputs", "training", "mask"))
def time_distributed(call: LayerCall) -> Value:
    inner = call.raw("layer")
    if isinstance(inner, Const | FunctionVal):
        raise config_error(call, f"TimeDistributed wraps a Keras layer, but received {inner.describe()}")
    if not isinstance(inner, LayerVal | ModelVal | Instance) or (
        isinstance(inner, LayerVal) and inner.spec.multi_input
    ):
        raise Unknowable("layer")
    x = call.x()
    dims = call.shape()
    if len(dims) < 3:
        raise ShapeError(
            f"TimeDistributed expects an input of rank at least 3 (batch, time, ...), but "
            f"received input with shape {format_shape(x.shape)} (rank {len(dims)})",
            code="layer-input-rank",
        )
    child = Tensor(Shape((dims[0], *dims[2:])), x.dtype, x.kind)
    if isinstance(inner, LayerVal):
        out = apply_inner(call, inner, [child])
    else:
        # a model or custom layer applied to every time step
        out = _apply_wrapped_model(call, inner, child)
    if not isinstance(out, Tensor) or out.shape.dims is None or not out.shape.dims:
        raise Unknowable("layer output")
    od = out.shape.dims
    dtype = call.compute_dtype if x.kind == "keras" else out.dtype
    return Tensor(Shape((od[0], dims[1], *od[1:])), dtype)


_CELL_OF = {"SimpleRNN": "SimpleRNNCell", "LSTM": "LSTMCell", "GRU": "GRUCell"}


@attribute("layer", "cell")
def _layer_cell(v: Value) -> Value:
    """``rnn_layer.cell``: the cell the layer steps with (for one-step-at-a-time inference),
    configured as the layer is; the generic RNN's own ``cell`` argument."""
    from .base import LAYERS

    if not isinstance(v, LayerVal):
        return Unknown()
    if v.spec.name == "RNN":
        given = v.kwargs.get("cell", v.args[0] if v.args else None)
        return given if given is not None else Unknown()
    cell_name = _CELL_OF.get(v.spec.name)
    if cell_name is None:
        return Unknown()
    cached = v.config_cache.get("cell")
    if isinstance(cached, LayerVal):
        return cached
    spec = LAYERS[cell_name]
    named = {p: v.args[i] for i, p in enumerate(v.spec.params) if i < len(v.args)}
    named.update(v.kwargs)
    kwargs = {k: x for k, x in named.items() if k in spec.params and k != "name"}
    cell = LayerVal(spec, [], kwargs, v.origin, file=v.file)
    v.config_cache["cell"] = cell
    return cell

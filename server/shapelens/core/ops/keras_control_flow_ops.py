"""``keras.ops``' control flow, which runs the program's own functions: ``switch``,
``while_loop``, ``fori_loop``, ``scan``, ``map``, ``vectorized_map`` and ``associative_scan``.

They share tf_map_ops' machinery: a branch may or may not be the one that runs, a loop body
may run any number of times (each variable ends with what its values before and after a pass
have in common), and a mapped function's result is stacked along a new first axis.
``keras.ops.cond`` takes ``tf.cond``'s arguments and shares its rule. Checked
against Keras 3 on the TF backend in tests/oracle/test_ops_keras_control_flow.py.
"""

from __future__ import annotations

from ..calls import possible_outcomes
from ..registry import Call, function
from ..shapes import Dim, Shape, ShapeError, format_shape
from ..values import UNKNOWN, Const, Seq, Tensor, Value, join
from . import shape_ops as so
from .tf_map_ops import map_over, run_branches, run_while, stacked


@function("keras.ops.switch")
def _switch(call: Call) -> Value:
    """``switch(index, branches, *operands)``: one branch runs on the operands."""
    index, branches = call.arg(0, "index"), call.arg(1, "branches")
    if not isinstance(branches, Seq) or not branches.items:
        return UNKNOWN
    operands = list(call.args[2:])
    if isinstance(index, Const) and type(index.value) is int:
        # Keras clamps the index into range
        picked = branches.items[max(0, min(index.value, len(branches.items) - 1))]
        return call.interp.call_value(picked, operands, {}, call.node)
    return run_branches(call, list(branches.items), operands)


@function("keras.ops.while_loop")
def _while_loop(call: Call) -> Value:
    """``while_loop(cond, body, loop_vars, maximum_iterations=None)``: a tuple or list of
    variables is unpacked into ``cond`` and ``body``; one variable is passed as is."""
    cond, body, loop_vars = call.arg(0, "cond"), call.arg(1, "body"), call.arg(2, "loop_vars")
    if cond is None or body is None or loop_vars is None:
        return UNKNOWN
    return run_while(call, cond, body, loop_vars, None)


@function("keras.ops.fori_loop")
def _fori_loop(call: Call) -> Value:
    """``fori_loop(lower, upper, body_fun, init_val)``: ``body_fun(i, val)`` gives the next val."""
    body, init = call.arg(2, "body_fun"), call.arg(3, "init_val")
    if body is None or init is None:
        return UNKNOWN
    return run_while(call, None, body, init, None, counter=True)


@function("keras.ops.map")
def _map(call: Call) -> Value:
    fn, xs = call.arg(0, "f"), call.arg(1, "xs")
    if fn is None or xs is None:
        return UNKNOWN
    return map_over(call, "keras", fn, xs)


@function("keras.ops.vectorized_map")
def _vectorized_map(call: Call) -> Value:
    fn, elements = call.arg(0, "function"), call.arg(1, "elements")
    if fn is None or elements is None:
        return UNKNOWN
    return map_over(call, "keras", fn, elements)


@function("keras.ops.scan")
def _scan(call: Call) -> Value:
    """``scan(f, init, xs=None, length=None)``: ``f(carry, x)`` gives ``(carry, y)`` for each
    row of ``xs``; the result is the last carry and the ys stacked along a new first axis."""
    fn, init = call.arg(0, "f"), call.arg(1, "init")
    xs, length = call.arg(2, "xs"), call.arg(3, "length")
    if fn is None or init is None:
        return UNKNOWN
    op = so.begin(call, "keras", init, xs)
    n: Dim = None
    x: Value = Const(None)
    if xs is not None and not (isinstance(xs, Const) and xs.value is None):
        t = op.tensor(xs)
        if t is None or not t.shape.dims:
            return UNKNOWN
        n, x = t.shape.dims[0], Tensor(Shape(t.shape.dims[1:]), t.dtype, op.kind)
    elif isinstance(length, Const) and type(length.value) is int:
        n = length.value
    interp = call.interp
    carry: Value = init
    ys: Value = UNKNOWN
    first_y: Value = UNKNOWN

    def passes() -> Value:
        nonlocal carry, ys, first_y
        for i in range(2):  # from the relaxed carry a second time, as a loop runs twice
            out = interp.call_value(fn, [carry, x], {}, call.node)
            if not isinstance(out, Seq) or out.items is None or len(out.items) != 2:
                carry, ys = UNKNOWN, UNKNOWN
                break
            carry, ys = join(carry, out.items[0]), out.items[1]
            if i == 0:
                first_y = ys
        return UNKNOWN

    possible_outcomes(interp, [passes])
    if isinstance(ys, Const) and ys.value is None:
        return Seq([carry, ys], "tuple")
    if isinstance(init, Tensor) and isinstance(first_y, Tensor):
        _check_y_like_carry(call, init, first_y)
    return Seq([carry, stacked(ys, n, op, None)], "tuple")


def _check_y_like_carry(call: Call, init: Tensor, y: Tensor) -> None:
    """On the TensorFlow backend each ``y`` is stored in an array shaped like the carry: a
    ``y`` of another fully known shape is refused."""
    a, b = init.shape.dims, y.shape.dims
    if a is None or b is None or None in a or None in b or a == b:
        return
    raise ShapeError(
        f"{call.name}: on the TensorFlow backend each y must have the carry's shape "
        f"{format_shape(init.shape)}, but f returns y of shape {format_shape(y.shape)}",
        code="shape-mismatch",
    )


@function("keras.ops.associative_scan")
def _associative_scan(call: Call) -> Value:
    """Running combinations along ``axis``: each result keeps its input's shape, the dtype is
    what ``f`` gives on two of them."""
    fn, elems = call.arg(0, "f"), call.arg(1, "elems")
    if fn is None or elems is None:
        return UNKNOWN
    op = so.begin(call, "keras", elems)
    t = op.tensor(elems)
    if t is None:
        return UNKNOWN
    combined = possible_outcomes(call.interp, [lambda: call.interp.call_value(fn, [t, t], {}, call.node)])[0]
    if isinstance(combined, Tensor) and combined.shape == t.shape:
        return op.out(t.shape, combined.dtype)
    return op.unknown()

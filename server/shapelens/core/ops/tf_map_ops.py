"""TF ops that run the program's own functions.

``tf.map_fn`` and ``tf.vectorized_map``: the function runs on one slice of ``elems`` (its
first axis removed, a structure of slices for a tuple of tensors) and what it returns is
stacked back along a new first axis of the same length. ``fn_output_signature`` (a dtype, a
``tf.TensorSpec`` or a structure of them) sets the result's dtype, as ``dtype=`` does in the TF1
spelling, and a spec's shape fills in what the function's result leaves unknown.

``tf.scan``, ``tf.foldl``, ``tf.foldr``: ``fn(acc, x)`` runs on one row of ``elems``; scan stacks the
accumulators, a fold gives the last.

``tf.while_loop``: the body runs an unknown number of times, maybe none; each loop variable
ends with its shape invariant or what its values before and after a pass have in common.

``tf.cond`` and ``tf.switch_case``: one branch runs (eagerly) or all are traced (in a graph);
the result is what any of them returns, joined. A Python bool as the predicate picks its
branch."""

from __future__ import annotations

import functools

from ..calls import possible_outcomes
from ..registry import Call, function
from ..shapes import UNKNOWN_SHAPE, Dim, DType, Shape
from ..values import UNKNOWN, Const, DictVal, Seq, Tensor, Value, as_shape, join
from . import shape_ops as so


def _slices(v: Value, rows: list[Dim]) -> Value | None:
    """One element of ``elems``: each tensor without its first axis; None when not readable."""
    if isinstance(v, Tensor):
        dims = v.shape.dims
        if not dims:
            return None
        rows.append(dims[0])
        return Tensor(Shape(dims[1:]), v.dtype, v.kind)
    if isinstance(v, Seq) and v.items is not None:
        parts = [_slices(i, rows) for i in v.items]
        if any(p is None for p in parts):
            return None
        return Seq([p for p in parts if p is not None], v.kind)
    return None


def stacked(v: Value, n: Dim, op: so.Op, dtype: DType) -> Value:
    """``v`` (a result or a structure of them) stacked ``n`` times along a new first axis."""
    if isinstance(v, Tensor):
        if v.shape.dims is None:
            return op.out(UNKNOWN_SHAPE, dtype or v.dtype)
        return op.out(Shape((n, *v.shape.dims)), dtype or v.dtype)
    if isinstance(v, Seq) and v.items is not None:
        return Seq([stacked(i, n, op, None) for i in v.items], v.kind)
    if isinstance(v, DictVal) and v.complete:
        return DictVal({k: stacked(i, n, op, None) for k, i in v.items.items()})
    return op.unknown(dtype)


def _signature_dtype(call: Call) -> DType:
    sig = call.kwargs.get("fn_output_signature") or call.kwargs.get("dtype")
    if sig is None or (isinstance(sig, Const) and sig.value is None):
        return None
    if isinstance(sig, Tensor):  # a tf.TensorSpec
        return sig.dtype
    return so.dtype_arg(sig)


@function("tf.map_fn", "tf.vectorized_map")
def _map_fn(call: Call) -> Value:
    fn, elems = call.arg(0, "fn"), call.arg(1, "elems")
    if fn is None or elems is None:
        return UNKNOWN
    return map_over(call, "tf", fn, elems)


def map_over(call: Call, lib: so.Flavour, fn: Value, elems: Value) -> Value:
    """``fn`` run on one slice of ``elems``, its result stacked back along a new first axis."""
    op = so.begin(call, lib, elems)
    rows: list[Dim] = []
    element = _slices(so.resolve_deep(elems), rows)
    known = {r for r in rows if isinstance(r, int)}
    n: Dim = known.pop() if len(known) == 1 else None
    # fn runs once per row (or once, traced): what it changes elsewhere is uncertain
    call.interp.uncertain_depth += 1
    try:
        out = call.interp.call_value(fn, [element if element is not None else UNKNOWN], {}, call.node)
    finally:
        call.interp.uncertain_depth -= 1
    sig = call.kwargs.get("fn_output_signature")
    if sig is not None:
        out = _with_signature(out, sig)
    if element is None:
        structured = isinstance(out, (Seq, DictVal))
        return stacked(out, None, op, None) if structured else op.unknown(_signature_dtype(call))
    return stacked(out, n, op, _signature_dtype(call))


def _with_signature(out: Value, sig: Value) -> Value:
    """The function's result with what its declared TensorSpecs say filled in: TF builds the
    stacked result to the signature (and fails when the function returns something else)."""
    if isinstance(sig, Tensor) and sig.kind == "spec":
        dtype = sig.dtype or (out.dtype if isinstance(out, Tensor) else None)
        if not isinstance(out, Tensor) or out.shape.dims is None:
            return Tensor(sig.shape, dtype, "tf")
        if sig.shape.dims is None or len(sig.shape.dims) != len(out.shape.dims):
            return out
        dims = tuple(o if o is not None else s for o, s in zip(out.shape.dims, sig.shape.dims, strict=True))
        return Tensor(Shape(dims), dtype, out.kind)
    if isinstance(sig, Seq) and sig.items is not None:
        outs = out.items if isinstance(out, Seq) and out.items is not None and len(out.items) == len(sig.items) else None
        return Seq([_with_signature(outs[i] if outs is not None else UNKNOWN, s) for i, s in enumerate(sig.items)], sig.kind)
    if isinstance(sig, DictVal) and sig.complete:
        got = out.items if isinstance(out, DictVal) else {}
        return DictVal({k: _with_signature(got.get(k, UNKNOWN), s) for k, s in sig.items.items()})
    return out


def run_branches(call: Call, branches: list[Value], operands: list[Value] | None = None) -> Value:
    """Each branch may be the one that runs (eagerly, only the one the data picks)."""
    given = operands or []
    results = possible_outcomes(
        call.interp, [functools.partial(call.interp.call_value, fn, list(given), {}, call.node) for fn in branches]
    )
    out = results[0]
    for r in results[1:]:
        out = join(out, r)
    return out


@function("tf.while_loop")
def _while_loop(call: Call) -> Value:
    """``tf.while_loop(cond, body, loop_vars, shape_invariants=None)``: the body runs an unknown
    number of times (maybe none) on the loop variables. Each variable ends with the shape its
    invariant gives, or what its value before and after a pass of the body have in common (TF
    traced in a graph requires the same shape; run eagerly, the loop may grow it)."""
    cond, body, loop_vars = call.arg(0, "cond"), call.arg(1, "body"), call.arg(2, "loop_vars")
    if cond is None or body is None or loop_vars is None:
        return UNKNOWN
    return run_while(call, cond, body, loop_vars, call.arg(3, "shape_invariants"))


def run_while(call: Call, cond: Value | None, body: Value, loop_vars: Value, invariants_arg: Value | None,
              counter: bool = False) -> Value:
    """The loop variables after a body that may run any number of times. ``counter``: the body
    also takes the step number first (``fori_loop``) and returns only the variables."""
    packed = isinstance(loop_vars, Seq) and not counter
    entry = _loop_vars(loop_vars, packed)
    if entry is None:
        return UNKNOWN
    invariants = _loop_vars(invariants_arg or UNKNOWN, packed)
    interp = call.interp
    state: list[Value] | None = entry
    step = Tensor(Shape(()), "int32", "tf")

    def passes() -> Value:
        nonlocal state
        for _ in range(2):  # a second pass from the relaxed values, as a Python loop runs twice
            assert state is not None
            if cond is not None:
                interp.call_value(cond, list(state), {}, call.node)
            args = [step, *state] if counter else list(state)
            after = _loop_vars(interp.call_value(body, args, {}, call.node), packed)
            if after is None or len(after) != len(entry):
                state = None
                break
            state = [
                _relaxed(now, then, invariants[i] if invariants is not None and len(invariants) == len(entry) else None)
                for i, (now, then) in enumerate(zip(state, after, strict=True))
            ]
        return UNKNOWN

    possible_outcomes(interp, [passes])  # the body may never run
    if state is None:
        return UNKNOWN
    return Seq(state, loop_vars.kind) if isinstance(loop_vars, Seq) and packed else state[0]


def _loop_vars(v: Value, packed: bool) -> list[Value] | None:
    """The loop variables as a list: the items of a list/tuple, or the one value given."""
    if packed:
        return list(v.items) if isinstance(v, Seq) and v.items is not None else None
    return [v]


def _relaxed(before: Value, after: Value, invariant: Value | None) -> Value:
    if invariant is not None and isinstance(before, Tensor):
        shape = as_shape(invariant)
        if shape.dims is not None:
            return Tensor(shape, before.dtype, "tf")
    return join(before, after)


@function("tf.cond", "keras.ops.cond")
def _cond(call: Call) -> Value:
    """``tf.cond(pred, true_fn, false_fn)``, and ``keras.ops.cond`` with the same arguments."""
    pred, true_fn, false_fn = call.arg(0, "pred"), call.arg(1, "true_fn"), call.arg(2, "false_fn")
    if true_fn is None or false_fn is None:
        return UNKNOWN
    if isinstance(pred, Const) and isinstance(pred.value, bool):
        return call.interp.call_value(true_fn if pred.value else false_fn, [], {}, call.node)
    return run_branches(call, [true_fn, false_fn])


@function("tf.switch_case")
def _switch_case(call: Call) -> Value:
    """``tf.switch_case(branch_index, branch_fns, default=None)``: a list or a dict of
    functions."""
    fns, default = call.arg(1, "branch_fns"), call.arg(2, "default")
    if isinstance(fns, DictVal) and fns.complete:
        branches = list(fns.items.values())
    elif isinstance(fns, Seq) and fns.items is not None:
        branches = list(fns.items)
    else:
        return UNKNOWN
    if default is not None and not (isinstance(default, Const) and default.value is None):
        branches.append(default)
    return run_branches(call, branches) if branches else UNKNOWN


@function("tf.scan", "tf.foldl", "tf.foldr")
def _scan(call: Call) -> Value:
    """``tf.scan(fn, elems, initializer=None)``: ``fn(acc, x)`` gives the next accumulator for
    each row of ``elems``; ``scan`` stacks every accumulator along a new first axis, ``foldl``
    and ``foldr`` give the last. Without an initializer the first row starts it (and is the
    first of scan's results)."""
    fn, elems, init = call.arg(0, "fn"), call.arg(1, "elems"), call.arg(2, "initializer")
    if fn is None or elems is None:
        return UNKNOWN
    op = so.begin(call, "tf", elems)
    rows: list[Dim] = []
    element = _slices(so.resolve_deep(elems), rows)
    if element is None:
        return UNKNOWN
    known = {r for r in rows if isinstance(r, int)}
    n: Dim = known.pop() if len(known) == 1 else None
    acc: Value = element if init is None or so.is_none(init) else init
    interp = call.interp

    def passes() -> Value:
        nonlocal acc
        for _ in range(2):  # from the joined accumulator a second time, as a loop runs twice
            acc = join(acc, interp.call_value(fn, [acc, element], {}, call.node))
        return UNKNOWN

    possible_outcomes(interp, [passes])
    if call.name == "tf.scan":
        return stacked(acc, n, op, None)
    return acc

"""Library-independent shape functions: reshape, transpose, expand/squeeze, concat/stack/split,
tile, pad, reductions, argmax, one_hot, gather, einsum, tensordot, broadcast_to, where.

Each function takes `Shape`s and plain Python arguments (already decoded from the call), returns
the output `Shape`, and raises `ShapeError` only when every library would certainly reject the
combination. Library differences (numpy's ``split`` takes indices, TF's takes sizes; TF's
``tile`` wants one multiple per axis, numpy's pads with ones) are parameters. The library
modules (`tf_ops`, `numpy_ops`, `keras_ops`) decode arguments, pick dtypes and result kinds,
and call these; layer rules may call them too.

Also here: small helpers shared by those modules to read axis/shape arguments, turn library
constants (``np.nan``, ``np.newaxis``) into values, and decide what a TensorFlow or numpy
function does with a symbolic KerasTensor.
"""

from __future__ import annotations

import ast
import functools
import math
import string
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from ..facts import Related, Span
from ..registry import UNKNOWN_MARK, Call
from ..shapes import (
    UNKNOWN_SHAPE,
    Dim,
    DType,
    Shape,
    ShapeError,
    Unknowable,
    add_dims,
    broadcast_shapes,
    dims_conflict,
    format_shape,
    merge_dim,
    mul_dims,
    normalize_axis,
)
from ..values import (
    UNKNOWN,
    Const,
    DimOf,
    LibRef,
    OpNode,
    Seq,
    Tensor,
    TensorKind,
    Unknown,
    Value,
    as_dim,
    as_int,
)

if TYPE_CHECKING:
    from ..interpreter import Interpreter

# ---------------------------------------------------------------------------------------------
# library constants

#: Library attributes that are plain Python values. `resolve` maps them; the interpreter may
#: consult this table in ``get_attr`` so that ``a = np.nan`` binds a constant.
LIB_CONSTANTS: dict[str, object] = {
    "np.newaxis": None,
    "np.nan": math.nan,
    "np.NaN": math.nan,
    "np.inf": math.inf,
    "np.Inf": math.inf,
    "np.PINF": math.inf,
    "np.NINF": -math.inf,
    "np.pi": math.pi,
    "np.e": math.e,
    "np.euler_gamma": 0.5772156649015329,
    "math.pi": math.pi,
    "math.e": math.e,
    "math.inf": math.inf,
    "math.nan": math.nan,
    "math.tau": math.tau,
    "tf.newaxis": None,
    # the ``string`` module's alphabets (OCR charsets, tokenizers' vocabularies)
    **{f"string.{name}": getattr(string, name) for name in (
        "ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits", "hexdigits",
        "octdigits", "punctuation", "printable", "whitespace",
    )},
}


def resolve(v: Value | None) -> Value | None:
    """A library constant (``np.nan``, ``np.newaxis``) as a `Const`; other values unchanged."""
    if isinstance(v, LibRef) and v.name in LIB_CONSTANTS:
        return Const(LIB_CONSTANTS[v.name])
    return v


def resolve_deep(v: Value) -> Value:
    """`resolve` inside nested lists/tuples too (``[[np.nan, 1.0]]``)."""
    if isinstance(v, LibRef):
        return resolve(v) or v
    if isinstance(v, Seq) and v.items is not None and any(
        isinstance(i, (LibRef, Seq)) for i in v.items
    ):
        return Seq([resolve_deep(i) for i in v.items], v.kind, v.elem, v.length)
    return v


# ---------------------------------------------------------------------------------------------
# decoding arguments

def axes_arg(v: Value | None) -> list[int] | None:
    """An ``axis`` argument: None (all axes / not given), a list of ints, or UNKNOWN_MARK."""
    v = resolve(v)
    if v is None or (isinstance(v, Const) and v.value is None):
        return None
    i = as_int(v)
    if i is not None:
        return [i]
    if isinstance(v, Seq) and v.items is not None:
        out = [as_int(x) for x in v.items]
        if all(x is not None for x in out):
            return [x for x in out if x is not None]
        return UNKNOWN_MARK
    if isinstance(v, Tensor) and v.content is not None:
        out = [as_int(x) for x in v.content]
        if all(x is not None for x in out):
            return [x for x in out if x is not None]
    return UNKNOWN_MARK


def shape_dims(v: Value | None) -> list[Dim] | None:
    """A shape argument as dims (ints, None, symbols); None when not even the length is known.
    Unlike `as_shape`, keeps ``-1`` and rejects bools and floats."""
    if v is None:
        return None
    if isinstance(v, Const):
        if isinstance(v.value, int) and not isinstance(v.value, bool):
            return [v.value]
        return None
    if isinstance(v, Unknown) and v.pytype is int:
        return [v.name]  # an int not known here (a random draw, len() of a list): one axis
    if isinstance(v, Seq):
        if v.items is not None:
            out: list[Dim] = []
            for item in v.items:
                if isinstance(item, Const) and (
                    not isinstance(item.value, int) or isinstance(item.value, bool)
                ):
                    if item.value is None:
                        out.append(None)
                        continue
                    return None
                out.append(as_dim(item))
            return out
        if v.length is not None:
            return [None] * v.length
        return None
    if isinstance(v, Tensor):
        if v.content is not None:
            return [as_dim(i) for i in v.content]
        d = v.shape.dims
        if d is not None and len(d) == 1 and isinstance(d[0], int):
            return [None] * d[0]
        if d is not None and len(d) == 0:
            return [None]
    return None


def int_list(v: Value | None) -> list[int] | None:
    """A list of known ints (``perm``, ``multiples``); None when any entry is unknown."""
    v = resolve(v)
    if v is None:
        return None
    i = as_int(v)
    if i is not None:
        return [i]
    items: list[Value] | None = None
    if isinstance(v, Seq):
        items = v.items
    elif isinstance(v, Tensor):
        items = v.content
    if items is None:
        return None
    out = [as_int(x) for x in items]
    if any(x is None for x in out):
        return None
    return [x for x in out if x is not None]


def nested_ints(v: Value | None) -> list[list[int | None]] | None:
    """A 2-level int structure (``paddings=[[1, 1], [2, 2]]``) with unknown leaves as None."""
    if not isinstance(v, Seq) or v.items is None:
        return None
    out: list[list[int | None]] = []
    for row in v.items:
        if isinstance(row, Seq) and row.items is not None:
            # a scalar shape value (``n - tf.shape(x)[0]``) counts with its known value
            out.append([as_int(x) if not isinstance(x, Tensor) else _scalar_content(x) for x in row.items])
        else:
            return None
    return out


def _scalar_content(t: Tensor) -> int | None:
    if t.content is not None and len(t.content) == 1 and t.shape.dims in ((), (1,)):
        return as_int(t.content[0])
    return None


# ---------------------------------------------------------------------------------------------
# KerasTensors reaching TensorFlow / numpy functions


def in_layer_context(interp: Interpreter) -> bool:
    """Whether the code runs inside a Keras layer or model method (``call``, ``build``...),
    where Keras hands real (symbolic or eager) TF tensors to the code."""
    if getattr(interp, "layer_call_depth", 0):
        return True
    for frame in interp.frames:
        fn = frame.function
        owner = getattr(fn, "owner", None)
        if owner is not None and interp.is_keras_layer_class(owner):
            return True
    return False


def keras_tensor_misuse(call: Call, inputs: Sequence[Value], library: str) -> bool:
    """A TensorFlow or numpy function given a Keras symbolic tensor.

    In Keras 3 ``tf.reshape(keras.Input(...), ...)`` raises ``ValueError: A KerasTensor cannot
    be used as input to a TensorFlow function`` (numpy: "cannot convert it to a NumPy array").
    At module level a value of kind ``keras`` certainly is a KerasTensor: that is a certain
    error. Inside a layer's methods Keras passes real tensors, so the op works (returns False:
    compute the shape). In other functions it cannot be told (returns True: result unknown).
    """
    if not any(isinstance(t, Tensor) and t.kind == "keras" for t in _flat_tensors(inputs)):
        return False
    interp = call.interp
    if in_layer_context(interp):
        # TF ops work on the tensors Keras passes to layer methods; numpy needs eager ones
        return library == "np"
    if not interp.frames:
        fn = call.name or "this function"
        if library == "np":
            raise ShapeError(
                f"{fn} got a Keras symbolic tensor (KerasTensor); numpy cannot convert it to "
                f"an array. Use the keras.ops equivalent inside the model, or call the model "
                f"and use its output",
                code="keras-tensor-in-numpy",
            )
        raise ShapeError(
            f"{fn} got a Keras symbolic tensor (KerasTensor): in Keras 3 a KerasTensor cannot "
            f"be passed to a TensorFlow function. Use keras.ops (e.g. keras.ops."
            f"{fn.rsplit('.', 1)[-1]}) or wrap the code in a Layer",
            code="keras-tensor-in-tf",
        )
    return True


def _flat_tensors(values: Sequence[Value]) -> list[Tensor]:
    out: list[Tensor] = []
    for v in values:
        if isinstance(v, Tensor):
            out.append(v)
        elif isinstance(v, Seq) and v.items is not None:
            out.extend(_flat_tensors(v.items))
    return out


# ---------------------------------------------------------------------------------------------
# building results


def result(
    call: Call,
    shape: Shape,
    dtype: DType,
    kind: TensorKind,
    content: list[Value] | None = None,
) -> Tensor:
    """A rule's output tensor, labelled with the call that produced it."""
    span = Span.of(call.node)
    label = f"{call.name or 'op'} at line {span.line}"
    out = Tensor(shape, dtype, kind, span, label, content)
    if kind == "keras":
        from ..registry import FUNCTIONS

        replayable = call.receiver is None and call.name in FUNCTIONS
        node = OpNode(call.name or "op", call.node, None, replayable)
        out.history = (node, list(call.args), dict(call.kwargs), 0, None)
    return out


# ---------------------------------------------------------------------------------------------
# axes


def norm_axis(axis: int, rank: int, shape: Shape, what: str = "axis", extra: int = 0) -> int:
    """Normalise an axis for an op on a rank-``rank`` tensor (``extra=1`` for ops that insert
    an axis: valid range ``[-rank-1, rank]``); a certain error when out of range."""
    n = rank + extra
    if -n <= axis < n:
        return axis % n if n else 0
    raise ShapeError(
        f"{what} {axis} is out of range for a tensor of rank {rank} "
        f"(shape {format_shape(shape)}); valid range is [{-n}, {n - 1}]",
        code="axis-out-of-range",
    )


def norm_axes(axes: Sequence[int], rank: int, shape: Shape, what: str = "axis") -> list[int]:
    return [norm_axis(a, rank, shape, what) for a in axes]


# ---------------------------------------------------------------------------------------------
# reshape


def reshape_shape(src: Shape, target: list[Dim], op: str = "reshape") -> Shape:
    """``reshape(x, target)``: at most one ``-1``; the element count must match when known.

    ``target`` entries are ints (``-1`` allowed), None or symbols (unknown at analysis time,
    possibly ``-1`` at run time: then nothing certain is said about the count)."""
    minus = [i for i, d in enumerate(target) if d == -1]
    if len(minus) > 1:
        raise ShapeError(
            f"{op}: only one dimension of the new shape {_fmt_target(target)} can be -1",
            code="reshape",
        )
    for d in target:
        if isinstance(d, int) and d < -1:
            raise ShapeError(
                f"{op}: invalid dimension {d} in the new shape {_fmt_target(target)}",
                code="reshape",
            )
    all_known = all(isinstance(d, int) for d in target)
    known_product = 1
    for d in target:
        if isinstance(d, int) and d != -1:
            known_product *= d
    n = src.num_elements()
    if all_known and not minus:
        out = Shape(tuple(target))
        if n is not None:
            if n != known_product:
                raise ShapeError(
                    f"{op}: cannot reshape a tensor of shape {format_shape(src)} ({n} elements) "
                    f"into shape {_fmt_target(target)} ({known_product} elements)",
                    code="reshape",
                )
        elif src.dims is not None:
            part = _known_part(src)
            if part != 0 and known_product % part != 0:
                raise ShapeError(
                    f"{op}: cannot reshape a tensor of shape {format_shape(src)} into shape "
                    f"{_fmt_target(target)}: {known_product} elements is not a multiple of "
                    f"{part}",
                    code="reshape",
                )
        return out
    dims: list[Dim] = list(target)
    if minus:
        i = minus[0]
        inferred: Dim = None
        if all_known:
            if n is not None:
                if known_product == 0:
                    if n != 0:
                        raise ShapeError(
                            f"{op}: cannot reshape a tensor of shape {format_shape(src)} ({n} "
                            f"elements) into shape {_fmt_target(target)}",
                            code="reshape",
                        )
                    inferred = None
                elif n % known_product != 0:
                    raise ShapeError(
                        f"{op}: cannot reshape a tensor of shape {format_shape(src)} ({n} "
                        f"elements) into shape {_fmt_target(target)}: {n} is not divisible by "
                        f"{known_product}",
                        code="reshape",
                    )
                else:
                    inferred = n // known_product
            elif src.dims is not None:
                inferred = _infer_single_unknown(src, known_product)
        dims[i] = inferred
    return Shape(tuple(dims))


def _known_part(src: Shape) -> int:
    out = 1
    for d in src.dims or ():
        if isinstance(d, int):
            out *= d
    return out


def _infer_single_unknown(src: Shape, known_product: int) -> Dim:
    """(batch, 4, 6) reshaped to (-1, 24): the -1 is ``batch``."""
    assert src.dims is not None
    unknown = [d for d in src.dims if not isinstance(d, int)]
    if len(unknown) == 1 and _known_part(src) == known_product and known_product != 0:
        return unknown[0]
    return None


def _fmt_target(target: list[Dim]) -> str:
    return format_shape(Shape(tuple(target)))


# ---------------------------------------------------------------------------------------------
# transpose / expand / squeeze


def transpose_shape(src: Shape, perm: list[int] | None, op: str = "transpose") -> Shape:
    if src.dims is None:
        if perm is not None:
            return Shape((None,) * len(perm))
        return UNKNOWN_SHAPE
    rank = len(src.dims)
    if perm is None:
        return Shape(tuple(reversed(src.dims)))
    if len(perm) != rank:
        raise ShapeError(
            f"{op}: perm {list(perm)} has {len(perm)} entries but the tensor has rank {rank} "
            f"(shape {format_shape(src)})",
            code="transpose",
        )
    norm = [norm_axis(p, rank, src, "perm entry") for p in perm]
    if len(set(norm)) != rank:
        raise ShapeError(
            f"{op}: perm {list(perm)} is not a permutation of the axes of a rank-{rank} tensor",
            code="transpose",
        )
    return Shape(tuple(src.dims[p] for p in norm))


def expand_dims_shape(src: Shape, axes: list[int], op: str = "expand_dims") -> Shape:
    """Insert size-1 axes; several axes are positions in the output (numpy semantics)."""
    if src.dims is None:
        return UNKNOWN_SHAPE
    out_rank = len(src.dims) + len(axes)
    norm = []
    for a in axes:
        if not -out_rank <= a < out_rank:
            raise ShapeError(
                f"{op}: axis {a} is out of range for a tensor of rank {len(src.dims)} "
                f"(shape {format_shape(src)}); valid range is [{-out_rank}, {out_rank - 1}]",
                code="axis-out-of-range",
            )
        norm.append(a % out_rank)
    if len(set(norm)) != len(norm):
        raise ShapeError(f"{op}: repeated axis in {axes}", code="axis-out-of-range")
    it = iter(src.dims)
    return Shape(tuple(1 if i in norm else next(it) for i in range(out_rank)))


def squeeze_shape(src: Shape, axes: list[int] | None, op: str = "squeeze") -> Shape:
    if src.dims is None:
        return UNKNOWN_SHAPE
    if axes is None:
        if any(not isinstance(d, int) for d in src.dims):
            raise Unknowable()  # an unknown dim might be 1 and disappear: rank unknown
        return Shape(tuple(d for d in src.dims if d != 1))
    rank = len(src.dims)
    norm = norm_axes(axes, rank, src)
    for a in norm:
        d = src.dims[a]
        if isinstance(d, int) and d != 1:
            raise ShapeError(
                f"{op}: cannot squeeze axis {a} of shape {format_shape(src)}: its size is {d}, "
                f"not 1",
                code="squeeze",
            )
    return Shape(tuple(d for i, d in enumerate(src.dims) if i not in norm))


# ---------------------------------------------------------------------------------------------
# concat / stack / unstack / split


def concat_shape(shapes: list[Shape], axis: int, op: str = "concat") -> Shape:
    known = [s for s in shapes if s.dims is not None]
    if not shapes:
        raise Unknowable()
    if not known:
        return UNKNOWN_SHAPE
    rank = len(known[0].dims or ())
    for s in known:
        if len(s.dims or ()) != rank:
            raise ShapeError(
                f"{op}: all inputs must have the same rank, got "
                f"{', '.join(format_shape(x) for x in known)}",
                code="concat",
            )
    if rank == 0:
        raise ShapeError(
            f"{op}: cannot concatenate scalars (0-d tensors); use stack instead",
            code="concat",
        )
    ax = norm_axis(axis, rank, known[0])
    out: list[Dim] = []
    for i in range(rank):
        if i == ax:
            total: Dim = 0
            for s in shapes:
                total = add_dims(total, s[i]) if s.dims is not None else None
            out.append(total)
            continue
        d: Dim = None
        source = known[0]  # the input the known size came from, for the message
        for s in known:
            e = s[i]
            if dims_conflict(d, e):
                raise ShapeError(
                    f"{op}: along axis {ax}, all other dimensions must match, but "
                    f"{format_shape(source)} and {format_shape(s)} differ at axis {i} "
                    f"({d} vs {e})",
                    code="concat",
                )
            if isinstance(e, int) and not isinstance(d, int):
                source = s
            d = merge_dim(d, e)
        out.append(d)
    return Shape(tuple(out))


def _listed_shapes(shapes: list[Shape]) -> str:
    """The inputs' shapes for a message; a long list (a stack of 60 windows) as its distinct
    shapes with how many inputs have each."""
    if len(shapes) <= 6:
        return ", ".join(format_shape(x) for x in shapes)
    counts: dict[str, int] = {}
    for x in shapes:
        text = format_shape(x)
        counts[text] = counts.get(text, 0) + 1
    return ", ".join(f"{n} x {text}" for text, n in counts.items()) + f" ({len(shapes)} inputs)"


def same_shapes(shapes: list[Shape], op: str) -> Shape:
    """All inputs must have one shape (stack): the merged shape, or a certain error."""
    known = [s for s in shapes if s.dims is not None]
    if not known:
        return UNKNOWN_SHAPE
    rank = len(known[0].dims or ())
    for s in known:
        if len(s.dims or ()) != rank:
            raise ShapeError(f"{op}: all inputs must have the same shape, got {_listed_shapes(known)}", code="stack")
    out: list[Dim] = []
    for i in range(rank):
        d: Dim = None
        for s in known:
            e = s[i]
            if dims_conflict(d, e):
                raise ShapeError(
                    f"{op}: all inputs must have the same shape, got {_listed_shapes(known)}", code="stack"
                )
            d = merge_dim(d, e)
        out.append(d)
    return Shape(tuple(out))


def stack_shape(shapes: list[Shape], axis: int, op: str = "stack") -> Shape:
    elem = same_shapes(shapes, op)
    if elem.dims is None:
        return UNKNOWN_SHAPE
    rank = len(elem.dims)
    ax = norm_axis(axis, rank, elem, extra=1)
    dims = list(elem.dims)
    dims.insert(ax, len(shapes))
    return Shape(tuple(dims))


def unstack_parts(src: Shape, axis: int, num: int | None = None, op: str = "unstack") -> tuple[Shape, Dim]:
    """Element shape and count of ``unstack(x, axis)``."""
    if src.dims is None:
        return UNKNOWN_SHAPE, num
    rank = len(src.dims)
    if rank == 0:
        raise ShapeError(f"{op}: cannot unstack a scalar (0-d tensor)", code="axis-out-of-range")
    ax = norm_axis(axis, rank, src)
    n = src.dims[ax]
    if num is not None and isinstance(n, int) and n != num:
        raise ShapeError(
            f"{op}: num={num} but axis {ax} of shape {format_shape(src)} has size {n}",
            code="unstack",
        )
    if num is not None:
        n = num
    return Shape(src.dims[:ax] + src.dims[ax + 1 :]), n


def split_sizes(
    src: Shape, spec: int | list[int] | None, axis: int, style: str, op: str = "split"
) -> list[Shape] | None:
    """Pieces of ``split``. ``style``: ``"tf"`` (an int count or a list of sizes, one -1
    allowed), ``"np"`` (an int count dividing evenly or a list of split indices), or
    ``"np_array"`` (``array_split``: a count that need not divide). None: count unknown."""
    if src.dims is None or spec is None:
        return None
    rank = len(src.dims)
    if rank == 0:
        raise ShapeError(f"{op}: cannot split a scalar (0-d tensor)", code="axis-out-of-range")
    ax = norm_axis(axis, rank, src)
    d = src.dims[ax]

    def piece(size: Dim) -> Shape:
        assert src.dims is not None
        return Shape((*src.dims[:ax], size, *src.dims[ax + 1 :]))

    if isinstance(spec, int):
        if spec <= 0:
            raise ShapeError(f"{op}: number of splits must be positive, got {spec}", code="split")
        if spec > 4096:
            return None  # too many pieces to list
        if isinstance(d, int):
            if style == "np_array":
                base, extra = divmod(d, spec)
                return [piece(base + 1 if i < extra else base) for i in range(spec)]
            if d % spec != 0:
                raise ShapeError(
                    f"{op}: {spec} equal parts do not divide axis {ax} of shape "
                    f"{format_shape(src)} (size {d})",
                    code="split",
                )
            return [piece(d // spec)] * spec
        return [piece(None)] * spec
    if style == "tf":
        if len(spec) == 1 and isinstance(d, int) and spec[0] != d:
            raise ShapeError(
                f"{op}: with a single split size it must be the whole axis {ax} of shape "
                f"{format_shape(src)} (size {d}), got {spec[0]}",
                code="split",
            )
        minus = [i for i, s in enumerate(spec) if s == -1]
        if len(minus) > 1 or any(s < -1 for s in spec):
            raise ShapeError(f"{op}: invalid split sizes {spec}", code="split")
        known = sum(s for s in spec if s != -1)
        sizes: list[Dim] = list(spec)
        if isinstance(d, int):
            if minus:
                if known > d:
                    raise ShapeError(
                        f"{op}: split sizes {spec} exceed axis {ax} of shape {format_shape(src)} "
                        f"(size {d})",
                        code="split",
                    )
                sizes[minus[0]] = d - known
            elif known != d:
                raise ShapeError(
                    f"{op}: split sizes {spec} add up to {known} but axis {ax} of shape "
                    f"{format_shape(src)} has size {d}",
                    code="split",
                )
        elif minus:
            sizes[minus[0]] = None
        return [piece(s) for s in sizes]
    # numpy: split indices
    bounds: list[Dim] = []
    for idx in spec:
        if isinstance(d, int):
            i = idx + d if idx < 0 else idx
            bounds.append(min(max(i, 0), d))
        else:
            bounds.append(idx if idx >= 0 else None)
    out: list[Shape] = []
    prev: Dim = 0
    for b in [*bounds, d]:
        if isinstance(prev, int) and isinstance(b, int):
            out.append(piece(max(b - prev, 0)))
        else:
            out.append(piece(None))
        prev = b
    return out


# ---------------------------------------------------------------------------------------------
# tile / pad / broadcast_to


def tile_shape(src: Shape, reps: list[int | None], style: str, op: str = "tile") -> Shape:
    """``style="tf"``: one multiple per axis exactly; ``"np"``: shorter/longer lists are padded
    with ones (numpy and keras.ops). A multiple of None (not known) gives an unknown dim."""
    if src.dims is None:
        if style == "tf":
            return Shape((None,) * len(reps))
        return UNKNOWN_SHAPE
    dims: list[Dim] = list(src.dims)
    if style == "tf":
        if len(reps) != len(dims):
            raise ShapeError(
                f"{op}: multiples {reps} must have one entry per axis of the tensor "
                f"(shape {format_shape(src)}, rank {len(dims)})",
                code="tile",
            )
    else:
        n = max(len(reps), len(dims))
        reps = [*([1] * (n - len(reps))), *reps]
        dims = [*([1] * (n - len(dims))), *dims]
    for r in reps:
        if r is not None and r < 0:
            raise ShapeError(f"{op}: negative multiple in {reps}", code="tile")
    return Shape(tuple(
        mul_dims(d, r) if r is not None else None for d, r in zip(dims, reps, strict=True)
    ))


def pad_shape(src: Shape, pads: list[tuple[int | None, int | None]], op: str = "pad") -> Shape:
    if src.dims is None:
        return Shape((None,) * len(pads))
    if len(pads) != len(src.dims):
        raise ShapeError(
            f"{op}: paddings have {len(pads)} rows but the tensor has rank {len(src.dims)} "
            f"(shape {format_shape(src)}); give one [before, after] pair per axis",
            code="pad",
        )
    out: list[Dim] = []
    for d, (a, b) in zip(src.dims, pads, strict=True):
        if a is None or b is None:
            out.append(None)
        else:
            out.append(add_dims(d, a + b) if isinstance(d, int) else None)
    return Shape(tuple(out))


def broadcast_to_shape(src: Shape, target: list[Dim], op: str = "broadcast_to") -> Shape:
    out = Shape(tuple(target))
    if src.dims is None:
        return out
    if len(src.dims) > len(target):
        raise ShapeError(
            f"{op}: cannot broadcast shape {format_shape(src)} to the lower-rank shape "
            f"{format_shape(out)}",
            code="broadcast",
        )
    pad = len(target) - len(src.dims)
    dims: list[Dim] = list(target)
    for i, d in enumerate(src.dims):
        t = target[pad + i]
        if isinstance(d, int) and isinstance(t, int) and d != 1 and d != t:
            raise ShapeError(
                f"{op}: cannot broadcast shape {format_shape(src)} to {format_shape(out)}",
                code="broadcast",
            )
        if t is None and isinstance(d, int) and d != 1:
            dims[pad + i] = d
    return Shape(tuple(dims))


def broadcast_all(shapes: list[Shape], op: str) -> Shape:
    out = Shape(())
    for s in shapes:
        try:
            out = broadcast_shapes(out, s)
        except ShapeError:
            raise ShapeError(
                f"{op}: shapes {', '.join(format_shape(x) for x in shapes)} cannot be broadcast "
                f"together",
                code="broadcast",
            ) from None
    return out


# ---------------------------------------------------------------------------------------------
# reductions


def reduce_shape(
    src: Shape, axes: list[int] | None, keepdims: bool, op: str = "reduce"
) -> Shape:
    """Reduce over ``axes`` (None: all). Duplicate axes are an error in every library."""
    if axes is UNKNOWN_MARK:
        if keepdims and src.dims is not None:
            return Shape((None,) * len(src.dims))
        return UNKNOWN_SHAPE
    if src.dims is None:
        if axes is None and not keepdims:
            return Shape(())
        return UNKNOWN_SHAPE
    rank = len(src.dims)
    if axes is None:
        return Shape((1,) * rank) if keepdims else Shape(())
    if rank == 0:
        # numpy and TF accept axis 0 / -1 on scalars
        for a in axes:
            if a not in (0, -1):
                norm_axis(a, 0, src)
        return src
    norm = norm_axes(axes, rank, src)
    if len(set(norm)) != len(norm):
        raise ShapeError(
            f"{op}: duplicate axis in {axes} for a tensor of shape {format_shape(src)}",
            code="axis-out-of-range",
        )
    if keepdims:
        return Shape(tuple(1 if i in norm else d for i, d in enumerate(src.dims)))
    return Shape(tuple(d for i, d in enumerate(src.dims) if i not in norm))


def one_hot_shape(src: Shape, depth: Dim, axis: int = -1, op: str = "one_hot") -> Shape:
    if src.dims is None:
        return UNKNOWN_SHAPE
    rank = len(src.dims)
    if axis == -1:
        return Shape((*src.dims, depth))
    if not -1 <= axis <= rank:
        raise ShapeError(
            f"{op}: axis {axis} is out of range for indices of rank {rank}; expected -1 to "
            f"{rank}",
            code="axis-out-of-range",
        )
    dims = list(src.dims)
    dims.insert(axis, depth)
    return Shape(tuple(dims))


def gather_shape(params: Shape, indices: Shape, axis: int, batch_dims: int = 0, op: str = "gather") -> Shape:
    if params.dims is None or indices.dims is None:
        return UNKNOWN_SHAPE
    rank = len(params.dims)
    if rank == 0:
        raise ShapeError(f"{op}: params must be at least 1-D, got a scalar", code="gather")
    ax = norm_axis(axis, rank, params)
    irank = len(indices.dims)
    if batch_dims < 0:
        batch_dims += irank
    if batch_dims > ax or batch_dims > irank:
        raise Unknowable()
    for i in range(batch_dims):
        if dims_conflict(params.dims[i], indices.dims[i]):
            raise ShapeError(
                f"{op}: batch dimensions of params {format_shape(params)} and indices "
                f"{format_shape(indices)} differ",
                code="gather",
            )
    return Shape(params.dims[:ax] + indices.dims[batch_dims:] + params.dims[ax + 1 :])


# ---------------------------------------------------------------------------------------------
# einsum / tensordot


def einsum_shape(equation: str, shapes: list[Shape], style: str = "tf", op: str = "einsum") -> Shape:
    """Output shape of ``einsum(equation, *operands)``; letters must agree on their sizes
    (numpy broadcasts a size-1 letter, TF does not)."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->", 1)
        explicit = True
    else:
        lhs, rhs, explicit = eq, "", False
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ShapeError(
            f"{op}: equation {equation!r} has {len(terms)} operands but {len(shapes)} tensors "
            f"were given",
            code="einsum",
        )
    sizes: dict[str, Dim] = {}
    where: dict[str, Shape] = {}
    ellipsis_dims: list[Dim] | None = []
    for term, shape in zip(terms, shapes, strict=True):
        if not all(ch.isalpha() or ch == "." for ch in term) or (
            "." in term and term.count(".") != 3
        ):
            raise Unknowable()
        letters = term.replace("...", "")
        has_ellipsis = "..." in term
        if shape.dims is None:
            if has_ellipsis:
                ellipsis_dims = None
            for ch in letters:
                sizes.setdefault(ch, None)
            continue
        rank = len(shape.dims)
        if (not has_ellipsis and rank != len(letters)) or (has_ellipsis and rank < len(letters)):
            raise ShapeError(
                f"{op}: operand {term!r} of equation {equation!r} names {len(letters)} axes but "
                f"the tensor has shape {format_shape(shape)}",
                code="einsum",
            )
        if has_ellipsis:
            pos = term.index("...")
            n_ell = rank - len(letters)
            before = term[:pos]
            ell = list(shape.dims[len(before) : len(before) + n_ell])
            dims_for_letters = list(shape.dims[: len(before)]) + list(shape.dims[len(before) + n_ell :])
            if ellipsis_dims is not None:
                try:
                    ellipsis_dims = list(
                        broadcast_shapes(Shape(tuple(ellipsis_dims)), Shape(tuple(ell))).dims or ()
                    )
                except ShapeError:
                    raise ShapeError(
                        f"{op}: the '...' dimensions of the operands of {equation!r} cannot be "
                        f"broadcast",
                        code="einsum",
                    ) from None
        else:
            dims_for_letters = list(shape.dims)
        for ch, d in zip(letters, dims_for_letters, strict=True):
            if ch in sizes:
                prev = sizes[ch]
                if dims_conflict(prev, d):
                    if style == "np" and (prev == 1 or d == 1):
                        sizes[ch] = d if prev == 1 else prev
                        continue
                    raise ShapeError(
                        f"{op}: index {ch!r} of {equation!r} has size {prev} in "
                        f"{format_shape(where[ch])} but {d} in {format_shape(shape)}",
                        code="einsum",
                    )
                sizes[ch] = merge_dim(prev, d)
            else:
                sizes[ch] = d
                where[ch] = shape
    if not explicit:
        counts: dict[str, int] = {}
        for term in terms:
            for ch in term.replace("...", ""):
                counts[ch] = counts.get(ch, 0) + 1
        rhs = ("..." if any("..." in t for t in terms) else "") + "".join(
            sorted(ch for ch, c in counts.items() if c == 1)
        )
    out: list[Dim] = []
    rest = rhs
    if "..." in rest:
        pos = rest.index("...")
        for ch in rest[:pos]:
            out.append(_letter(ch, sizes, equation, op))
        if ellipsis_dims is None:
            return UNKNOWN_SHAPE
        out.extend(ellipsis_dims)
        for ch in rest[pos + 3 :]:
            out.append(_letter(ch, sizes, equation, op))
    else:
        for ch in rest:
            out.append(_letter(ch, sizes, equation, op))
    return Shape(tuple(out))


def _letter(ch: str, sizes: dict[str, Dim], equation: str, op: str) -> Dim:
    if ch not in sizes:
        if not ch.isalpha():
            raise Unknowable()
        raise ShapeError(
            f"{op}: output index {ch!r} of {equation!r} does not appear in any input",
            code="einsum",
        )
    return sizes[ch]


def tensordot_shape(a: Shape, b: Shape, axes: int | tuple[list[int], list[int]], op: str = "tensordot") -> Shape:
    if a.dims is None or b.dims is None:
        return UNKNOWN_SHAPE
    ra, rb = len(a.dims), len(b.dims)
    if isinstance(axes, int):
        if axes < 0 or axes > ra or axes > rb:
            raise ShapeError(
                f"{op}: axes={axes} is more than the rank of {format_shape(a)} or "
                f"{format_shape(b)}",
                code="tensordot",
            )
        ax_a = list(range(ra - axes, ra))
        ax_b = list(range(axes))
    else:
        ax_a = norm_axes(axes[0], ra, a)
        ax_b = norm_axes(axes[1], rb, b)
        if len(ax_a) != len(ax_b):
            raise ShapeError(
                f"{op}: axes {axes[0]} and {axes[1]} must have the same length",
                code="tensordot",
            )
    for i, j in zip(ax_a, ax_b, strict=True):
        if dims_conflict(a.dims[i], b.dims[j]):
            raise ShapeError(
                f"{op}: contracted axis {i} of {format_shape(a)} (size {a.dims[i]}) does not "
                f"match axis {j} of {format_shape(b)} (size {b.dims[j]})",
                code="tensordot",
            )
    free_a = [d for i, d in enumerate(a.dims) if i not in ax_a]
    free_b = [d for i, d in enumerate(b.dims) if i not in ax_b]
    return Shape(tuple(free_a + free_b))


def tensordot_axes(v: Value | None) -> int | tuple[list[int], list[int]] | None:
    """Decode ``axes``: an int, or a pair of ints/lists."""
    if v is None:
        return 2
    i = as_int(v)
    if i is not None:
        return i
    if isinstance(v, Seq) and v.items is not None and len(v.items) == 2:
        a, b = int_list(v.items[0]), int_list(v.items[1])
        if a is not None and b is not None:
            return a, b
    return None


# ---------------------------------------------------------------------------------------------
# misc


def arange_length(start: float, stop: float, step: float) -> int:
    if not all(math.isfinite(v) for v in (start, stop, step)):
        raise Unknowable()
    if step == 0:
        raise ShapeError("range: step must not be zero", code="range")
    return max(0, math.ceil((stop - start) / step))


# =============================================================================================
# Op implementations shared by tf_ops / numpy_ops / keras_ops.
#
# Each ``*_op`` takes the call, the library flavour (``"tf"``, ``"np"``, ``"keras"``) and the
# already-picked argument values (positions and names differ between libraries), and returns
# the result value. Flavour decides operand conversion (numpy: int64/float64 literals; TF and
# Keras: int32/float32), dtype rules (see `elementwise`) and the result kind: ``np`` for numpy,
# ``tf`` for TensorFlow and for keras.ops on eager values, ``keras`` when a KerasTensor is
# among the inputs.
# =============================================================================================

F = TypeVar("F", bound=Callable[..., Any])


def relate(fn: F) -> F:
    """Point a certain error at where the op's input tensors were produced."""

    @functools.wraps(fn)
    def wrapper(call: Call, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(call, *args, **kwargs)
        except ShapeError as err:
            here = Span.of(call.node)
            values: list[Value] = []
            for a in [*args, *kwargs.values()]:
                if isinstance(a, Value):
                    values.append(a)
                elif isinstance(a, list):
                    values.extend(v for v in a if isinstance(v, Value))
            known = {r.span for r in err.related if isinstance(r, Related)}
            for t in _flat_tensors(values):
                if t.origin is None or t.origin == here or t.origin in known or len(known) >= 4:
                    continue
                known.add(t.origin)
                what = f"{format_shape(t.shape)} {t.dtype or ''}".strip()
                source = f" ({t.label})" if t.label else ""
                err.related.append(Related(t.origin, f"input {what} comes from here{source}"))
            raise

    return wrapper  # type: ignore[return-value]


Flavour = str  # "tf" | "np" | "keras"
SeqKind = Literal["list", "tuple"]


class Op:
    """One call of a library op: its flavour, result kind and output construction."""

    __slots__ = ("call", "kind", "lib", "lost")

    def __init__(self, call: Call, lib: Flavour, kind: TensorKind, lost: bool) -> None:
        self.call = call
        self.lib = lib
        self.kind = kind
        self.lost = lost  # a KerasTensor outside a layer: say nothing about the result

    @property
    def name(self) -> str:
        return self.call.name or "op"

    def tensor(self, v: Value | None) -> Tensor | None:
        """An operand converted the way the library converts it on its own."""
        from .elementwise import convert_alone

        if v is None:
            return None
        return convert_alone(resolve_deep(v), "np" if self.lib == "np" else "tf")

    def out(self, shape: Shape, dtype: DType, content: list[Value] | None = None) -> Tensor:
        if self.lost:
            return self.unknown()
        return result(self.call, shape, dtype, self.kind, content)

    def unknown(self, dtype: DType = None) -> Tensor:
        return result(self.call, UNKNOWN_SHAPE, None if self.lost else dtype, self.kind)

    def seq(self, parts: list[Shape] | None, dtype: DType, kind: str = "list") -> Value:
        """A Python list (or tuple) of tensors: ``tf.split``, ``tf.unstack``..."""
        if self.lost:
            return Seq(None, "list", self.unknown())
        k: SeqKind = "tuple" if kind == "tuple" else "list"
        if parts is None:
            return Seq(None, k, result(self.call, UNKNOWN_SHAPE, dtype, self.kind))
        return Seq([result(self.call, p, dtype, self.kind) for p in parts], k)


def begin(call: Call, lib: Flavour, *values: Value | None) -> Op:
    """Start an op: check for KerasTensors given to TF/numpy, pick the result kind."""
    vals = [v for v in values if v is not None]
    has_keras = any(t.kind == "keras" for t in _flat_tensors(vals))
    lost = False
    if lib in ("tf", "np") and has_keras:
        lost = keras_tensor_misuse(call, vals, lib)
    if lib == "np":
        kind: TensorKind = "np"
    else:
        kind = "keras" if has_keras else "tf"
    return Op(call, lib, kind, lost)


def dtype_arg(v: Value | None, default: DType = None) -> DType:
    """A ``dtype=`` argument (``tf.float32``, ``"int32"``, ``np.int64``, ``float``)."""
    from ..registry import dtype_of_value

    if v is None or (isinstance(v, Const) and v.value is None):
        return default
    return dtype_of_value(v)


def bool_arg(v: Value | None, default: bool = False) -> bool | None:
    if v is None:
        return default
    if isinstance(v, Const) and isinstance(v.value, (bool, int)):
        return bool(v.value)
    if isinstance(v, Const) and v.value is None:
        return default
    return None


def list_items(v: Value | None) -> list[Value] | None:
    """The tensors of a list argument (``tf.concat(values, ...)``); None when unknown."""
    if isinstance(v, Seq):
        if v.items is not None:
            return list(v.items)
        if v.length is not None and v.length <= 100_000:
            return [v.elem] * v.length  # a comprehension over a long range: one element repeated
    return None


# ---------------------------------------------------------------------------------------------
# dtype rules


def sum_dtype(dtype: DType, lib: Flavour, op: str) -> DType:
    if dtype is None:
        return None
    if lib == "tf":
        if dtype == "bool":
            raise _unsupported(op, dtype, "cast it to a number first (tf.cast)")
        return dtype
    if lib == "np":
        if dtype == "bool" or dtype in ("int8", "int16", "int32"):
            return "int64"
        if dtype in ("uint8", "uint16", "uint32"):
            return "uint64"
        return dtype
    if dtype in ("bool", "int8", "int16"):
        return "int32"
    if dtype in ("uint8", "uint16"):
        return "uint32"
    return dtype


def mean_dtype(dtype: DType, lib: Flavour, op: str) -> DType:
    if dtype is None:
        return None
    if lib == "tf":
        if dtype == "bool":
            raise _unsupported(op, dtype, "cast it to a number first (tf.cast)")
        return dtype
    if is_float_dtype(dtype):
        return dtype
    return "float64" if lib == "np" else "float32"


def float_only_dtype(dtype: DType, lib: Flavour, op: str) -> DType:
    """Ops defined on floats only (exp, sqrt, std...): TF refuses ints, numpy and Keras cast."""
    if dtype is None:
        return None
    if is_float_dtype(dtype) or dtype.startswith("complex"):
        return dtype
    if lib == "tf":
        raise _unsupported(op, dtype, "cast it to float first (tf.cast(x, tf.float32))")
    if lib == "np":
        if dtype in ("bool", "int8", "uint8"):
            return "float16"
        if dtype in ("int16", "uint16"):
            return "float32"
        return "float64"
    return "float32"


def _unsupported(op: str, dtype: str, hint: str) -> ShapeError:
    return ShapeError(f"{op} does not accept {dtype} tensors; {hint}", code="dtype-mismatch")


def is_none(v: Value | None) -> bool:
    """An argument given as ``None`` (not one left out)."""
    return isinstance(v, Const) and v.value is None


def is_float_dtype(dtype: DType) -> bool:
    return dtype in ("float16", "bfloat16", "float32", "float64")


def is_int_dtype(dtype: DType) -> bool:
    return dtype is not None and "int" in dtype


# ---------------------------------------------------------------------------------------------
# shape manipulation


@relate
def reshape_op(call: Call, lib: Flavour, x: Value | None, shape: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    given = resolve(shape)
    target = shape_dims(given)
    if target is None:
        return op.out(UNKNOWN_SHAPE, t.dtype)
    if isinstance(given, Seq) and given.items is not None and len(given.items) == len(target):
        target = _own_axes_resolved(t, x, given.items, target)
    return op.out(reshape_shape(t.shape, target, op.name), t.dtype)


def _own_axes_resolved(t: Tensor, x: Value | None, items: list[Value], target: list[Dim]) -> list[Dim]:
    """``x.reshape(len(x), -1)`` with ``len(x)`` not known: the other axes of ``x`` are, so the
    ``-1`` is their product over the target's known sizes. Each unknown size of the target must
    be an axis of ``x`` itself (`DimOf`), each axis at most once."""
    dims = t.shape.dims
    if dims is None or target.count(-1) != 1:
        return target
    own: set[int] = set()
    for item, d in zip(items, target, strict=True):
        if isinstance(item, DimOf) and (item.source is t or item.source is x) and 0 <= item.axis < len(dims):
            if item.axis in own:
                return target
            own.add(item.axis)
        elif not isinstance(d, int):
            return target
    if not own:
        return target
    rest = 1
    for axis, d in enumerate(dims):
        if axis not in own:
            if not isinstance(d, int):
                return target
            rest *= d
    known = 1
    for item, d in zip(items, target, strict=True):
        if isinstance(d, int) and d != -1 and not isinstance(item, DimOf):
            known *= d
    if known <= 0 or rest % known:
        return target
    out: list[Dim] = []
    for item, d in zip(items, target, strict=True):
        if isinstance(item, DimOf) and item.axis in own:
            out.append(d if isinstance(d, str) else dims[item.axis])  # a name the code gave it
        else:
            out.append(rest // known if d == -1 else d)
    return out


@relate
def transpose_op(call: Call, lib: Flavour, x: Value | None, perm: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    p = resolve(perm)
    if p is None or (isinstance(p, Const) and p.value is None):
        return op.out(transpose_shape(t.shape, None, op.name), t.dtype)
    ints = int_list(p)
    if ints is None:
        return op.out(Shape((None,) * t.shape.rank) if t.shape.rank is not None else UNKNOWN_SHAPE, t.dtype)
    return op.out(transpose_shape(t.shape, ints, op.name), t.dtype)


@relate
def swapaxes_op(call: Call, lib: Flavour, x: Value | None, a1: Value | None, a2: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    i, j = as_int(a1) if a1 is not None else None, as_int(a2) if a2 is not None else None
    if t.shape.dims is None or i is None or j is None:
        return op.out(Shape((None,) * t.shape.rank) if t.shape.rank is not None else UNKNOWN_SHAPE, t.dtype)
    rank = len(t.shape.dims)
    i, j = norm_axis(i, rank, t.shape), norm_axis(j, rank, t.shape)
    dims = list(t.shape.dims)
    dims[i], dims[j] = dims[j], dims[i]
    return op.out(Shape(tuple(dims)), t.dtype)


@relate
def moveaxis_op(call: Call, lib: Flavour, x: Value | None, src: Value | None, dst: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    s, d = int_list(src), int_list(dst)
    if t.shape.dims is None or s is None or d is None or len(s) != len(d):
        return op.out(Shape((None,) * t.shape.rank) if t.shape.rank is not None else UNKNOWN_SHAPE, t.dtype)
    rank = len(t.shape.dims)
    s = norm_axes(s, rank, t.shape)
    d = norm_axes(d, rank, t.shape)
    order = [n for n in range(rank) if n not in s]
    for dest, srcax in sorted(zip(d, s, strict=True)):
        order.insert(dest, srcax)
    return op.out(Shape(tuple(t.shape.dims[i] for i in order)), t.dtype)


@relate
def expand_dims_op(call: Call, lib: Flavour, x: Value | None, axis: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    axes = axes_arg(axis)
    if axes is None or axes is UNKNOWN_MARK or (lib == "tf" and len(axes) != 1):
        return op.out(UNKNOWN_SHAPE, t.dtype)
    return op.out(expand_dims_shape(t.shape, axes, op.name), t.dtype)


@relate
def squeeze_op(call: Call, lib: Flavour, x: Value | None, axis: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    axes = axes_arg(axis)
    if axes is UNKNOWN_MARK:
        return op.out(UNKNOWN_SHAPE, t.dtype)
    try:
        return op.out(squeeze_shape(t.shape, axes, op.name), t.dtype)
    except Unknowable:
        return op.out(UNKNOWN_SHAPE, t.dtype)


def _join_dtypes(call: Call, lib: Flavour, values: list[Value], policy: str = "hint") -> tuple[list[Tensor | None], DType]:
    from .elementwise import unify

    return unify(values, "np" if lib == "np" else "keras" if lib == "keras" else "tf", call.name, policy)  # type: ignore[arg-type]


@relate
def concat_op(call: Call, lib: Flavour, values: Value | None, axis: Value | None, default_axis: int | None = 0) -> Value:
    op = begin(call, lib, values)
    items = list_items(values)
    if items is None:
        if isinstance(values, Tensor) and lib == "tf":
            t = op.tensor(values)
            return op.out(t.shape, t.dtype) if t is not None else op.unknown()
        return _concat_of_unknown_count(op, values, axis, default_axis)
    if not items:
        raise ShapeError(f"{op.name}: needs at least one tensor to concatenate", code="concat")
    tensors, dtype = _join_dtypes(call, lib, items)
    shapes = [t.shape if t is not None else UNKNOWN_SHAPE for t in tensors]
    if len(items) == 1 and lib == "tf":
        # tf.concat of one tensor returns it as it is (the axis is not even checked)
        return op.out(shapes[0], dtype)
    ax_v = resolve(axis)
    if ax_v is None or (isinstance(ax_v, Const) and ax_v.value is None):
        if ax_v is not None or default_axis is None:
            # numpy axis=None: everything flattened
            total: Dim = 0
            for s in shapes:
                total = add_dims(total, s.num_elements())
            return op.out(Shape((total,)), dtype)
        ax: int | None = default_axis
    else:
        ax = as_int(ax_v)
    if ax is None:
        rank = next((s.rank for s in shapes if s.rank is not None), None)
        return op.out(Shape((None,) * rank) if rank is not None else UNKNOWN_SHAPE, dtype)
    joined = concat_shape(shapes, ax, op.name)
    content = _vector_content(items) if lib == "tf" and joined.rank == 1 and is_int_dtype(dtype) else None
    return op.out(joined, dtype, content)


def _vector_content(items: list[Value]) -> list[Value] | None:
    """The values of ``tf.concat([[batch, n], tf.shape(x)[1:]], 0)``: a shape vector built
    from pieces keeps each piece's known sizes, so reshaping to it keeps them too."""
    content: list[Value] = []
    for item in items:
        if isinstance(item, Tensor):
            if item.content is None or item.shape.dims is None or len(item.shape.dims) != 1:
                return None
            content.extend(item.content)
        elif isinstance(item, Seq) and item.items is not None:
            for v in item.items:
                if isinstance(v, Tensor) and v.shape.dims == () and v.content is not None and len(v.content) == 1:
                    content.append(v.content[0])
                elif (isinstance(v, Const) and type(v.value) is int) or (
                    isinstance(v, Unknown) and v.pytype is int
                ):
                    content.append(v)
                elif isinstance(v, Tensor) and v.shape.dims == ():
                    content.append(Unknown())  # an int tensor whose value is not known
                else:
                    return None
        else:
            return None
    return content if len(content) <= 64 else None


def _concat_of_unknown_count(
    op: Op, values: Value | None, axis: Value | None, default_axis: int | None
) -> Value:
    """Concatenating a list of unknown length (filled in a loop): its items share the element's
    shape, so only the joined axis is unknown; an axis the element does not have fails whatever
    the length (an empty list fails too)."""
    one = values.element_join() if isinstance(values, Seq) and values.items is None else None
    t = op.tensor(one) if isinstance(one, Tensor) else None
    if t is None or t.shape.dims is None:
        return op.unknown()
    ax_v = resolve(axis)
    if ax_v is None or (isinstance(ax_v, Const) and ax_v.value is None):
        if ax_v is not None or default_axis is None:
            return op.out(Shape((None,)), t.dtype)  # numpy axis=None: everything flattened
        ax: int | None = default_axis
    else:
        ax = as_int(ax_v)
    if ax is None or not t.shape.dims:
        return op.unknown(t.dtype)
    if not -len(t.shape.dims) <= ax < len(t.shape.dims):
        if op.lib != "np":
            return op.unknown(t.dtype)  # tf.concat of a single tensor does not check the axis
        concat_shape([t.shape, t.shape], ax, op.name)  # raises for the axis out of range
    dims = list(t.shape.dims)
    dims[ax % len(dims)] = None
    return op.out(Shape(tuple(dims)), t.dtype)


@relate
def stack_op(call: Call, lib: Flavour, values: Value | None, axis: Value | None) -> Value:
    op = begin(call, lib, values)
    items = list_items(values)
    if items is None:
        # a list of unknown length (filled in a loop the engine did not unroll): its items
        # share the element's shape, so only the new axis is unknown
        one = values.element_join() if isinstance(values, Seq) and values.items is None else None
        t = op.tensor(one) if isinstance(one, Tensor) else None
        at = resolve(axis)
        where = as_int(at) if at is not None else 0
        if t is None or t.shape.dims is None or where is None or not -len(t.shape.dims) - 1 <= where <= len(t.shape.dims):
            return op.unknown()
        grown = list(t.shape.dims)
        grown.insert(where if where >= 0 else len(grown) + 1 + where, None)
        return op.out(Shape(tuple(grown)), t.dtype)
    if not items:
        raise ShapeError(f"{op.name}: needs at least one tensor to stack", code="stack")
    tensors, dtype = _join_dtypes(call, lib, items)
    shapes = [t.shape if t is not None else UNKNOWN_SHAPE for t in tensors]
    ax_v = resolve(axis)
    ax = as_int(ax_v) if ax_v is not None else 0
    if ax is None:
        elem = same_shapes(shapes, op.name)
        return op.out(Shape((None,) * (elem.rank + 1)) if elem.rank is not None else UNKNOWN_SHAPE, dtype)
    stacked = stack_shape(shapes, ax, op.name)
    content = None
    if lib == "tf" and stacked.rank == 1 and is_int_dtype(dtype):
        content = _vector_content([Seq(items, "list")])  # tf.stack([batch, -1, 64])
    return op.out(stacked, dtype, content)


@relate
def np_stack_family(call: Call, values: Value | None, which: str, lib: Flavour = "np") -> Value:
    """``np.vstack`` / ``hstack`` / ``dstack`` / ``column_stack`` (and keras.ops' first two)."""
    op = begin(call, lib, values)
    items = list_items(values)
    if items is None:
        return op.unknown()
    tensors, dtype = _join_dtypes(call, lib, items)
    shapes: list[Shape] = []
    for t in tensors:
        s = t.shape if t is not None else UNKNOWN_SHAPE
        if s.dims is not None:
            sd = s.dims
            r = len(sd)
            if which == "vstack" and r < 2:
                s = Shape((1,) * (2 - r) + sd)
            elif which == "dstack" and r < 3:
                s = Shape((1, *sd, 1)) if r == 1 else Shape((*sd, 1)) if r == 2 else Shape((1, 1, 1))
            elif which == "column_stack" and r < 2:
                s = Shape((*sd, 1)) if r == 1 else Shape((1, 1))
            elif which == "hstack" and r == 0:
                s = Shape((1,))
        shapes.append(s)
    if which == "vstack":
        ax = 0
    elif which == "dstack":
        ax = 2
    elif which == "column_stack":
        ax = 1
    else:
        first = next((s for s in shapes if s.dims is not None), None)
        if first is None:
            return op.unknown(dtype)
        ax = 0 if len(first.dims or ()) == 1 else 1
    return op.out(concat_shape(shapes, ax, op.name), dtype)


@relate
def unstack_op(call: Call, lib: Flavour, x: Value | None, num: Value | None, axis: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return Seq(None, "list", op.unknown())
    ax = as_int(axis) if axis is not None else 0
    n = as_int(num) if num is not None and not (isinstance(num, Const) and num.value is None) else None
    if ax is None:
        return Seq(None, "list", op.unknown(t.dtype))
    elem, count = unstack_parts(t.shape, ax, n, op.name)
    if isinstance(count, int) and count <= 256:
        return op.seq([elem] * count, t.dtype)
    return Seq(None, "list", op.out(elem, t.dtype))


@relate
def split_op(call: Call, lib: Flavour, x: Value | None, spec: Value | None, axis: Value | None, style: str) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return Seq(None, "list", op.unknown())
    ax = as_int(axis) if axis is not None else 0
    sv = resolve(spec)
    decoded: int | list[int] | None = None
    if sv is not None:
        i = as_int(sv)
        if i is not None:
            decoded = i
        else:
            decoded = int_list(sv) if isinstance(sv, (Seq, Tensor)) else None
    if ax is None or decoded is None:
        return Seq(None, "list", op.out(Shape((None,) * t.shape.rank) if t.shape.rank is not None else UNKNOWN_SHAPE, t.dtype))
    parts = split_sizes(t.shape, decoded, ax, style, op.name)
    if parts is None:
        return Seq(None, "list", op.out(UNKNOWN_SHAPE, t.dtype))
    return op.seq(parts, t.dtype)


@relate
def tile_op(call: Call, lib: Flavour, x: Value | None, reps: Value | None, style: str) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    ints = int_list(reps)
    r: list[int | None] | None = list(ints) if ints is not None else None
    if r is None and isinstance(reps, Seq) and reps.items is not None:
        # some multiples known, others not (`(batch, 1, 1)` with a batch size read at run time)
        known = [as_dim(i) for i in reps.items]
        r = [k if isinstance(k, int) else None for k in known]
    if r is None:
        n = None
        if isinstance(reps, Seq):
            n = reps.size()
        if style == "tf" and t.shape.rank is not None:
            if n is not None and n != t.shape.rank:
                raise ShapeError(
                    f"{op.name}: multiples has {n} entries but the tensor has rank {t.shape.rank}",
                    code="tile",
                )
            return op.out(Shape((None,) * t.shape.rank), t.dtype)
        return op.out(UNKNOWN_SHAPE, t.dtype)
    return op.out(tile_shape(t.shape, r, style, op.name), t.dtype)


@relate
def repeat_op(call: Call, lib: Flavour, x: Value | None, repeats: Value | None, axis: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    r = as_int(repeats) if repeats is not None else None
    ax_v = resolve(axis)
    if ax_v is None or (isinstance(ax_v, Const) and ax_v.value is None):
        n = t.shape.num_elements()
        return op.out(Shape((n * r if n is not None and r is not None else None,)), t.dtype)
    ax = as_int(ax_v)
    if ax is None or t.shape.dims is None:
        return op.out(Shape((None,) * t.shape.rank) if t.shape.rank is not None else UNKNOWN_SHAPE, t.dtype)
    a = norm_axis(ax, len(t.shape.dims), t.shape)
    dims = list(t.shape.dims)
    dims[a] = mul_dims(dims[a], r) if r is not None else None
    return op.out(Shape(tuple(dims)), t.dtype)


@relate
def pad_op(call: Call, lib: Flavour, x: Value | None, pads: Value | None, style: str) -> Value:
    """``style="tf"``: one [before, after] row per axis; ``"np"``: numpy's broadcasting of
    ``pad_width`` (an int, one pair for all axes, or a pair per axis)."""
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    rank = t.shape.rank
    pv = resolve(pads)
    rows: list[tuple[int | None, int | None]] | None = None
    if style == "np" and pv is not None and rank is not None:
        i = as_int(pv)
        if i is not None:
            rows = [(i, i)] * rank
        elif isinstance(pv, Seq) and pv.items is not None:
            flat = [as_int(v) for v in pv.items]
            if all(not isinstance(v, Seq) for v in pv.items):
                if len(flat) == 1:
                    rows = [(flat[0], flat[0])] * rank
                elif len(flat) == 2:
                    rows = [(flat[0], flat[1])] * rank
            else:
                nested = nested_ints(pv)
                if nested is not None:
                    pairs = [(r[0], r[1]) if len(r) == 2 else (r[0], r[0]) if len(r) == 1 else (None, None) for r in nested]
                    if len(pairs) == 1:
                        rows = pairs * rank
                    elif len(pairs) == rank:
                        rows = pairs
                    else:
                        raise ShapeError(
                            f"{op.name}: pad_width has {len(pairs)} pairs but the array has rank {rank}",
                            code="pad",
                        )
    elif pv is not None:
        nested = nested_ints(pv)
        if nested is not None:
            if any(len(r) != 2 for r in nested):
                if rank is not None:
                    raise ShapeError(f"{op.name}: each padding row must be [before, after]", code="pad")
                return op.unknown(t.dtype)
            rows = [(r[0], r[1]) for r in nested]
    if rows is None:
        return op.out(Shape((None,) * rank) if rank is not None else UNKNOWN_SHAPE, t.dtype)
    return op.out(pad_shape(t.shape, rows, op.name), t.dtype)


@relate
def broadcast_to_op(call: Call, lib: Flavour, x: Value | None, shape: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    target = shape_dims(resolve(shape))
    if target is None:
        return op.out(UNKNOWN_SHAPE, t.dtype)
    return op.out(broadcast_to_shape(t.shape, target, op.name), t.dtype)


@relate
def flatten_op(call: Call, lib: Flavour, x: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    return op.out(Shape((t.shape.num_elements(),)), t.dtype)


@relate
def atleast_op(call: Call, lib: Flavour, x: Value | None, n: int) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    r = len(dims)
    if r >= n:
        return op.out(t.shape, t.dtype)
    if n == 2:
        out = (1,) * (2 - r) + dims
    elif r == 0:
        out = (1, 1, 1)
    elif r == 1:
        out = (1, *dims, 1)
    else:
        out = (*dims, 1)
    return op.out(Shape(out), t.dtype)


# ---------------------------------------------------------------------------------------------
# reductions

@relate
def reduce_op(
    call: Call,
    lib: Flavour,
    x: Value | None,
    axis: Value | None,
    keepdims: Value | None,
    what: str,
    dtype_v: Value | None = None,
) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    kd = bool_arg(keepdims)
    axes = axes_arg(axis)
    d = t.dtype
    if what in ("sum", "prod"):
        d = sum_dtype(d, lib, op.name)
    elif what == "mean":
        d = mean_dtype(d, lib, op.name)
    elif what == "logsumexp" and lib == "keras" and op.kind == "keras":
        d = "float32"  # Keras 3.15's symbolic logsumexp always says float32
    elif what in ("std", "var", "logsumexp", "norm", "median"):
        if what in ("median", "std", "var", "norm") and lib == "np" and d is not None and not is_float_dtype(d):
            d = "float64"  # numpy's statistics compute in float64 for ints and bools
        else:
            d = float_only_dtype(d, lib, op.name)
    elif what in ("any", "all"):
        if lib == "tf" and d is not None and d != "bool":
            raise _unsupported(op.name, d, "it reduces bool tensors (compare first, e.g. x > 0)")
        d = "bool"
    elif what in ("max", "min") and lib == "tf" and d == "bool":
        raise _unsupported(op.name, d, "cast it to a number first (tf.cast)")
    explicit = dtype_arg(dtype_v)
    if explicit is not None:
        d = explicit
    if kd is None:
        return op.out(UNKNOWN_SHAPE, d)
    return op.out(reduce_shape(t.shape, axes, kd, op.name), d)


@relate
def argmax_op(
    call: Call,
    lib: Flavour,
    x: Value | None,
    axis: Value | None,
    keepdims: Value | None = None,
    output_type: Value | None = None,
) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    default = {"tf": "int64", "np": "int64", "keras": "int32"}[lib]
    out_dtype = dtype_arg(output_type, default) if lib == "tf" else default
    if t is None:
        return op.unknown(out_dtype)
    kd = bool_arg(keepdims)
    ax_v = resolve(axis)
    if ax_v is None or (isinstance(ax_v, Const) and ax_v.value is None):
        if lib == "tf":
            axes: list[int] | None = [0]
            if t.shape.rank == 0:
                raise ShapeError(f"{op.name}: cannot take the argmax of a scalar along axis 0", code="axis-out-of-range")
        else:
            if kd and t.shape.dims is not None:
                return op.out(Shape((1,) * len(t.shape.dims)), out_dtype)
            return op.out(Shape(()), out_dtype)
    else:
        axes = axes_arg(ax_v)
        if axes is UNKNOWN_MARK or axes is None or len(axes) != 1:
            return op.out(UNKNOWN_SHAPE, out_dtype)
        if t.shape.rank == 0 and lib == "tf":
            raise ShapeError(f"{op.name}: cannot take the argmax of a scalar", code="axis-out-of-range")
    if kd is None:
        return op.out(UNKNOWN_SHAPE, out_dtype)
    return op.out(reduce_shape(t.shape, axes, bool(kd), op.name), out_dtype)


@relate
def cumulative_op(call: Call, lib: Flavour, x: Value | None, axis: Value | None, what: str) -> Value:
    """cumsum / cumprod: same shape (numpy flattens when ``axis`` is None)."""
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown()
    if lib == "np":
        d = sum_dtype(t.dtype, lib, op.name)
    elif lib == "keras":
        d = "int32" if t.dtype == "bool" else t.dtype
    else:
        d = t.dtype
    ax_v = resolve(axis)
    if lib != "tf" and (ax_v is None or (isinstance(ax_v, Const) and ax_v.value is None)):
        return op.out(Shape((t.shape.num_elements(),)), d)
    ax = as_int(ax_v) if ax_v is not None else 0
    if ax is not None and t.shape.dims is not None:
        norm_axis(ax, len(t.shape.dims), t.shape)
    return op.out(t.shape, d)


# ---------------------------------------------------------------------------------------------
# elementwise functions


@relate
def unary_op(call: Call, lib: Flavour, x: Value | None, what: str = "same") -> Value:
    """``what``: ``same`` (dtype kept), ``float`` (float-only math), ``bool`` (predicates),
    ``logical`` (bool in, bool out)."""
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None:
        return op.unknown("bool" if what in ("bool", "logical") else None)
    d = t.dtype
    if what == "float":
        d = float_only_dtype(d, lib, op.name)
    elif what == "bool":
        d = "bool"
    elif what == "logical":
        if lib == "tf" and d is not None and d != "bool":
            raise _unsupported(op.name, d, "it needs bool tensors")
        d = "bool"
    elif what == "abs" and d is not None and d.startswith("complex"):
        d = "float32" if d == "complex64" else "float64"  # magnitude of complex numbers
    return op.out(t.shape, d)


@relate
def binary_op(call: Call, lib: Flavour, a: Value | None, b: Value | None, what: str = "arith", policy: str = "hint") -> Value:
    """``what``: ``arith`` (dtype unified), ``div`` (true division), ``compare`` / ``logical``
    (bool out). ``policy`` is TF's operand conversion order (see `elementwise.tf_unify`)."""
    from .elementwise import true_divide_dtype

    op = begin(call, lib, a, b)
    if a is None or b is None:
        return op.unknown()
    (ta, tb), d = _join_dtypes(call, lib, [a, b], policy)
    if what == "div":
        d = true_divide_dtype(d, "np" if lib == "np" else "keras" if lib == "keras" else "tf")
    elif what in ("compare", "logical"):
        if what == "logical" and lib == "tf" and d is not None and d != "bool":
            raise _unsupported(op.name, d, "it needs bool tensors")
        d = "bool"
    elif lib == "tf" and d == "bool" and what == "arith":
        raise _unsupported(op.name, d, "cast to a number first (tf.cast)")
    if ta is None or tb is None:
        return op.unknown(d)
    try:
        shape = broadcast_shapes(ta.shape, tb.shape)
    except ShapeError:
        raise ShapeError(
            f"{op.name}: shapes {format_shape(ta.shape)} and {format_shape(tb.shape)} cannot be "
            f"broadcast together",
            code="broadcast",
        ) from None
    return op.out(shape, d)


@relate
def nary_op(call: Call, lib: Flavour, values: Value | None, policy: str = "each") -> Value:
    """``tf.add_n``: same-shape tensors summed."""
    op = begin(call, lib, values)
    items = list_items(values)
    if items is None:
        return op.unknown()
    tensors, d = _join_dtypes(call, lib, items, policy)
    shapes = [t.shape if t is not None else UNKNOWN_SHAPE for t in tensors]
    return op.out(same_shapes(shapes, op.name), d)


@relate
def cast_op(call: Call, lib: Flavour, x: Value | None, dtype: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    d = dtype_arg(dtype)
    if t is None:
        return op.unknown(d)
    return op.out(t.shape, d)


@relate
def clip_op(call: Call, lib: Flavour, x: Value | None, lo: Value | None, hi: Value | None) -> Value:
    op = begin(call, lib, x, lo, hi)
    if x is None:
        return op.unknown()
    # a bound of None leaves that side open
    vals = [v for v in (x, lo, hi) if v is not None and not (isinstance(v, Const) and v.value is None)]
    if not vals or vals[0] is not x:
        return op.unknown()  # clipping None: TF and numpy refuse it
    tensors, d = _join_dtypes(call, lib, vals)
    t = tensors[0]
    if t is None:
        return op.unknown(d)
    if lib == "tf":
        return op.out(t.shape, d)
    shapes = [s.shape if s is not None else UNKNOWN_SHAPE for s in tensors]
    if lib == "keras":
        return op.out(t.shape, "int32" if t.dtype == "bool" else t.dtype)
    return op.out(broadcast_all(shapes, op.name), d)


@relate
def where_op(call: Call, lib: Flavour, cond: Value | None, x: Value | None, y: Value | None) -> Value:
    op = begin(call, lib, cond, x, y)
    c = op.tensor(cond)
    if x is None and y is None:
        if c is None:
            return op.unknown("int64")
        rank = c.shape.rank
        if lib == "tf":
            if rank == 0:
                raise ShapeError(f"{op.name}: the condition must have at least one dimension", code="rank")
            return op.out(Shape((None, rank)), "int64")
        if rank is None:
            return Seq(None, "tuple" if lib == "np" else "list", op.out(Shape((None,)), "int64" if lib == "np" else "int32"))
        return op.seq([Shape((None,))] * rank, "int64" if lib == "np" else "int32", kind="tuple" if lib == "np" else "list")
    if x is None or y is None:
        return op.unknown()
    (tx, ty), d = _join_dtypes(call, lib, [x, y])
    if c is None or tx is None or ty is None:
        return op.unknown(d)
    return op.out(broadcast_all([c.shape, tx.shape, ty.shape], op.name), d)


# ---------------------------------------------------------------------------------------------
# products


@relate
def matmul_op(
    call: Call,
    lib: Flavour,
    a: Value | None,
    b: Value | None,
    transpose_a: Value | None = None,
    transpose_b: Value | None = None,
    policy: str = "first",
) -> Value:
    from .elementwise import matmul_shape

    op = begin(call, lib, a, b)
    if a is None or b is None:
        return op.unknown()
    (ta, tb), d = _join_dtypes(call, lib, [a, b], policy)
    if ta is None or tb is None:
        return op.unknown(d)
    sa, sb = ta.shape, tb.shape
    if bool_arg(transpose_a):
        sa = _swap_last(sa)
    if bool_arg(transpose_b):
        sb = _swap_last(sb)
    if lib == "np" and d == "bool":
        d = "bool"
    return op.out(matmul_shape(sa, sb, "tf" if lib == "tf" else "np", op.name), d)


def _swap_last(s: Shape) -> Shape:
    if s.dims is None or len(s.dims) < 2:
        return s
    return Shape((*s.dims[:-2], s.dims[-1], s.dims[-2]))


@relate
def dot_op(call: Call, lib: Flavour, a: Value | None, b: Value | None) -> Value:
    """``np.dot``: sum over the last axis of ``a`` and the second-to-last of ``b``."""
    from .elementwise import matmul_shape

    op = begin(call, lib, a, b)
    if a is None or b is None:
        return op.unknown()
    (ta, tb), d = _join_dtypes(call, lib, [a, b])
    if ta is None or tb is None or ta.shape.dims is None or tb.shape.dims is None:
        return op.unknown(d)
    da, db = ta.shape.dims, tb.shape.dims
    if not da or not db:
        return op.out(broadcast_all([ta.shape, tb.shape], op.name), d)
    if len(da) <= 2 and len(db) <= 2:
        return op.out(matmul_shape(ta.shape, tb.shape, "np", op.name), d)
    k1 = da[-1]
    k2 = db[-2] if len(db) >= 2 else db[0]
    if dims_conflict(k1, k2):
        raise ShapeError(
            f"{op.name}: shapes {format_shape(ta.shape)} and {format_shape(tb.shape)} not aligned: "
            f"{k1} (last axis of the first) != {k2}",
            code="matmul",
        )
    if len(db) == 1:
        return op.out(Shape(da[:-1]), d)
    return op.out(Shape((*da[:-1], *db[:-2], db[-1])), d)


@relate
def outer_op(call: Call, lib: Flavour, a: Value | None, b: Value | None) -> Value:
    op = begin(call, lib, a, b)
    if a is None or b is None:
        return op.unknown()
    (ta, tb), d = _join_dtypes(call, lib, [a, b])
    if ta is None or tb is None:
        return op.unknown(d)
    return op.out(Shape((ta.shape.num_elements(), tb.shape.num_elements())), d)


@relate
def einsum_op(call: Call, lib: Flavour, equation: Value | None, operands: list[Value]) -> Value:
    op = begin(call, lib, *operands)
    eq = equation.value if isinstance(equation, Const) and isinstance(equation.value, str) else None
    tensors, d = _join_dtypes(call, lib, operands)
    if eq is None or any(t is None for t in tensors):
        return op.unknown(d)
    shapes = [t.shape for t in tensors if t is not None]
    try:
        shape = einsum_shape(eq, shapes, "np" if lib == "np" else "tf", op.name)
    except Unknowable:
        return op.unknown(d)
    return op.out(shape, d)


@relate
def tensordot_op(call: Call, lib: Flavour, a: Value | None, b: Value | None, axes: Value | None) -> Value:
    op = begin(call, lib, a, b)
    if a is None or b is None:
        return op.unknown()
    (ta, tb), d = _join_dtypes(call, lib, [a, b], "each")
    ax = tensordot_axes(resolve(axes))
    if ta is None or tb is None or ax is None:
        return op.unknown(d)
    return op.out(tensordot_shape(ta.shape, tb.shape, ax, op.name), d)


# ---------------------------------------------------------------------------------------------
# indexing-like


@relate
def one_hot_op(
    call: Call,
    lib: Flavour,
    indices: Value | None,
    depth: Value | None,
    axis: Value | None,
    dtype: Value | None,
    on_value: Value | None = None,
) -> Value:
    op = begin(call, lib, indices)
    t = op.tensor(indices)
    d = dtype_arg(dtype)
    if d is None:
        on = op.tensor(on_value) if on_value is not None and lib == "tf" else None
        d = on.dtype if on is not None and on.dtype is not None else "float32"
    if t is None:
        return op.unknown(d)
    if lib == "tf" and t.dtype is not None and not is_int_dtype(t.dtype):
        raise ShapeError(
            f"{op.name}: indices must be integers, got a {t.dtype} tensor of shape "
            f"{format_shape(t.shape)}; cast them first (tf.cast(x, tf.int32))",
            code="dtype-mismatch",
        )
    dep = as_dim(depth) if depth is not None else None
    ax = as_int(axis) if axis is not None and not (isinstance(axis, Const) and axis.value is None) else -1
    if ax is None:
        return op.out(Shape((None,) * (t.shape.rank + 1)) if t.shape.rank is not None else UNKNOWN_SHAPE, d)
    return op.out(one_hot_shape(t.shape, dep, ax, op.name), d)


@relate
def gather_op(
    call: Call,
    lib: Flavour,
    params: Value | None,
    indices: Value | None,
    axis: Value | None,
    batch_dims: Value | None = None,
) -> Value:
    op = begin(call, lib, params, indices)
    p = op.tensor(params)
    i = op.tensor(indices)
    if p is None or i is None:
        return op.unknown(p.dtype if p is not None else None)
    if lib == "tf" and i.dtype is not None and not is_int_dtype(i.dtype):
        raise ShapeError(
            f"{op.name}: indices must be integers, got {i.dtype}", code="dtype-mismatch"
        )
    bd = as_int(batch_dims) if batch_dims is not None else 0
    ax_v = resolve(axis)
    if ax_v is None or (isinstance(ax_v, Const) and ax_v.value is None):
        if lib == "tf":
            ax: int | None = bd
        else:
            # numpy / keras take: the flattened array is indexed
            return op.out(i.shape, p.dtype)
    else:
        ax = as_int(ax_v)
    if ax is None or bd is None:
        return op.unknown(p.dtype)
    try:
        return op.out(gather_shape(p.shape, i.shape, ax, bd, op.name), p.dtype)
    except Unknowable:
        return op.unknown(p.dtype)


def kron_shape(a: Shape, b: Shape) -> Shape:
    """Kronecker product: the shorter shape padded with leading 1s, the dims multiplied."""
    if a.dims is None or b.dims is None:
        return UNKNOWN_SHAPE
    rank = max(len(a.dims), len(b.dims))
    da = (1,) * (rank - len(a.dims)) + a.dims
    db = (1,) * (rank - len(b.dims)) + b.dims
    return Shape(tuple(x * y if isinstance(x, int) and isinstance(y, int) else None for x, y in zip(da, db, strict=True)))


def inner_shape(a: Shape, b: Shape) -> Shape | None:
    """``inner``: every axis but the last of each; None unless the last axes certainly match."""
    da, db = a.dims, b.dims
    if da is None or db is None or not da or not db or da[-1] != db[-1] or not isinstance(da[-1], int):
        return None
    return Shape((*da[:-1], *db[:-1]))


def cross_shape(a: Shape, b: Shape) -> Shape | None:
    """``cross`` of 3-vectors on the last axis: the other axes broadcast; None otherwise."""
    da, db = a.dims, b.dims
    if da is None or db is None or not da or not db or da[-1] != 3 or db[-1] != 3:
        return None
    try:
        return broadcast_shapes(a, b)
    except ShapeError:
        return None


def diagonal_length(m: Dim, n: Dim, offset: int) -> Dim:
    """How many entries diagonal ``offset`` of an ``m`` x ``n`` matrix has."""
    if not isinstance(m, int) or not isinstance(n, int):
        return None
    return max(0, min(m, n - offset)) if offset >= 0 else max(0, min(m + offset, n))


def diag_op(call: Call, lib: Flavour, x: Value | None, k: int | None) -> Value:
    """``diag``: a vector to a square matrix with it on diagonal ``k``; a matrix to that
    diagonal. numpy refuses other ranks (reported); Keras' are left unknown."""
    op = begin(call, lib, x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None or k is None:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    if len(dims) == 1:
        n = dims[0]
        size = n + abs(k) if isinstance(n, int) else None
        return op.out(Shape((size, size)), t.dtype)
    if len(dims) == 2:
        return op.out(Shape((diagonal_length(dims[0], dims[1], k),)), t.dtype)
    if lib == "np":
        raise ShapeError(f"np.diag needs a 1-D or 2-D array, got shape {format_shape(t.shape)}", code="shape-mismatch")
    return op.unknown(t.dtype)


@relate
def take_along_axis_op(
    call: Call, lib: Flavour, arr: Value | None, indices: Value | None, axis: Value | None, default_axis: int | None
) -> Value:
    """``take_along_axis``: the indices' length on ``axis``, the other axes broadcast between
    the array and the indices; ``axis=None`` indexes the flattened array with 1-D indices.
    numpy and Keras both refuse indices of another rank, or other axes that do not broadcast."""
    op = begin(call, lib, arr, indices)
    a = op.tensor(arr)
    i = op.tensor(indices)
    if a is None or i is None:
        return op.unknown(a.dtype if a is not None else None)
    if axis is None:
        ax: int | None = default_axis
        flat = default_axis is None
    else:
        ax_v = resolve(axis)
        flat = isinstance(ax_v, Const) and ax_v.value is None
        ax = None if flat or ax_v is None else as_int(ax_v)
    if flat:
        if i.shape.rank is not None and i.shape.rank != 1:
            raise ShapeError(
                f"{op.name}: with axis=None the indices must be 1-D, got {format_shape(i.shape)}",
                code="rank",
            )
        return op.out(i.shape, a.dtype)
    dims, idims = a.shape.dims, i.shape.dims
    if dims is None or idims is None:
        return op.unknown(a.dtype)
    if len(dims) != len(idims):
        raise ShapeError(
            f"{op.name}: the array {format_shape(a.shape)} and the indices {format_shape(i.shape)} "
            f"must have the same number of dimensions",
            code="rank",
        )
    at = normalize_axis(ax, len(dims)) if ax is not None else None
    if at is None:
        return op.unknown(a.dtype)
    shape = broadcast_shapes(Shape((*dims[:at], idims[at], *dims[at + 1 :])), i.shape)
    return op.out(shape, a.dtype)


@relate
def gather_nd_op(call: Call, lib: Flavour, params: Value | None, indices: Value | None, batch_dims: Value | None) -> Value:
    op = begin(call, lib, params, indices)
    p = op.tensor(params)
    i = op.tensor(indices)
    if p is None or i is None or p.shape.dims is None or i.shape.dims is None or not i.shape.dims:
        return op.unknown(p.dtype if p is not None else None)
    bd = as_int(batch_dims) if batch_dims is not None else 0
    k = i.shape.dims[-1]
    if not isinstance(k, int) or bd is None:
        return op.unknown(p.dtype)
    if bd + k > len(p.shape.dims):
        raise ShapeError(
            f"{op.name}: index depth {k} exceeds the rank of params {format_shape(p.shape)}",
            code="gather",
        )
    return op.out(Shape((*i.shape.dims[:-1], *p.shape.dims[bd + k :])), p.dtype)


@relate
def boolean_mask_op(call: Call, lib: Flavour, x: Value | None, mask: Value | None, axis: Value | None) -> Value:
    op = begin(call, lib, x, mask)
    t = op.tensor(x)
    m = op.tensor(mask)
    if t is None or m is None or t.shape.dims is None or m.shape.dims is None:
        return op.unknown(t.dtype if t is not None else None)
    ax = as_int(axis) if axis is not None and not (isinstance(axis, Const) and axis.value is None) else 0
    if ax is None:
        return op.unknown(t.dtype)
    k = len(m.shape.dims)
    if ax + k > len(t.shape.dims) or k == 0:
        raise ShapeError(
            f"{op.name}: mask of shape {format_shape(m.shape)} does not fit tensor of shape "
            f"{format_shape(t.shape)}",
            code="boolean-mask",
        )
    for a, b in zip(t.shape.dims[ax : ax + k], m.shape.dims, strict=True):
        if dims_conflict(a, b):
            raise ShapeError(
                f"{op.name}: mask of shape {format_shape(m.shape)} does not match tensor of shape "
                f"{format_shape(t.shape)}",
                code="boolean-mask",
            )
    return op.out(Shape((*t.shape.dims[:ax], None, *t.shape.dims[ax + k :])), t.dtype)


@relate
def top_k_op(call: Call, lib: Flavour, x: Value | None, k: Value | None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    kk = as_int(k) if k is not None else 1
    if t is None or t.shape.dims is None or not t.shape.dims:
        fields = ("values", "indices") if lib == "tf" else None
        return Seq([op.unknown(t.dtype if t is not None else None), op.unknown("int32")], "tuple", fields=fields)
    last = t.shape.dims[-1]
    if isinstance(last, int) and kk is not None and kk > last:
        raise ShapeError(
            f"{op.name}: k={kk} is larger than the last dimension of {format_shape(t.shape)}",
            code="top-k",
        )
    shape = Shape((*t.shape.dims[:-1], kk))
    fields = ("values", "indices") if lib == "tf" else None
    return Seq([op.out(shape, t.dtype), op.out(shape, "int32")], "tuple", fields=fields)


# ---------------------------------------------------------------------------------------------
# creation


@relate
def zeros_op(call: Call, lib: Flavour, shape: Value | None, dtype: Value | None, default: DType) -> Value:
    op = begin(call, lib)
    d = dtype_arg(dtype, default)
    dims = shape_dims(resolve(shape))
    if dims is None:
        return op.unknown(d)
    for n in dims:
        if isinstance(n, int) and n < 0:
            raise ShapeError(f"{op.name}: negative dimension {n} in shape", code="shape")
    return op.out(Shape(tuple(dims)), d)


@relate
def like_op(call: Call, lib: Flavour, x: Value | None, dtype: Value | None, shape: Value | None = None) -> Value:
    op = begin(call, lib, x)
    t = op.tensor(x)
    d = dtype_arg(dtype)
    if t is None:
        return op.unknown(d)
    if shape is not None and not (isinstance(shape, Const) and shape.value is None):
        dims = shape_dims(shape)
        return op.out(Shape(tuple(dims)) if dims is not None else UNKNOWN_SHAPE, d or t.dtype)
    return op.out(t.shape, d or t.dtype)


def fill_dtype(value: Value | None, lib: Flavour) -> DType:
    """dtype of a tensor filled with ``value`` (``np.full``, ``tf.fill``)."""
    from .elementwise import convert_alone

    v = resolve(value)
    if v is None:
        return None
    t = convert_alone(v, "np" if lib == "np" else "tf")
    return t.dtype if t is not None else None


@relate
def full_op(call: Call, lib: Flavour, shape: Value | None, value: Value | None, dtype: Value | None) -> Value:
    """``np.full`` / ``tf.fill`` take the fill value's dtype; ``keras.ops.full`` is float32."""
    op = begin(call, lib)
    d = dtype_arg(dtype) or ("float32" if lib == "keras" else fill_dtype(value, lib))
    dims = shape_dims(resolve(shape))
    if dims is None:
        return op.unknown(d)
    return op.out(Shape(tuple(dims)), d)


@relate
def eye_op(call: Call, lib: Flavour, n: Value | None, m: Value | None, dtype: Value | None, batch: Value | None = None) -> Value:
    op = begin(call, lib)
    d = dtype_arg(dtype, "float64" if lib == "np" else "float32")
    rows = as_dim(n) if n is not None else None
    cols = rows if m is None or (isinstance(m, Const) and m.value is None) else as_dim(m)
    lead: list[Dim] = []
    if batch is not None and not (isinstance(batch, Const) and batch.value is None):
        b = shape_dims(batch)
        if b is None:
            return op.unknown(d)
        lead = b
    return op.out(Shape((*lead, rows, cols)), d)


_RANGE_CONTENT_MAX = 64


@relate
def range_op(call: Call, lib: Flavour, start: Value | None, stop: Value | None, step: Value | None, dtype: Value | None) -> Value:
    """``np.arange`` / ``tf.range`` / ``keras.ops.arange``: length ceil((stop - start) / step)."""
    op = begin(call, lib)
    args = [resolve(v) for v in (start, stop, step)]
    if args[1] is None or (isinstance(args[1], Const) and args[1].value is None):
        args = [Const(0), args[0], args[2]]
    if args[2] is None:
        args[2] = Const(1)
    nums: list[float | int] = []
    kinds: list[str] = []
    tensor_dtypes: list[DType] = []
    for v in args:
        if isinstance(v, Tensor) and v.shape.dims == () and v.content is not None and len(v.content) == 1:
            tensor_dtypes.append(v.dtype)
            v = v.content[0]  # a scalar tensor of known value: tf.shape(x)[1]
        elif isinstance(v, Tensor) and v.shape.dims == ():
            tensor_dtypes.append(v.dtype)
        if isinstance(v, Const) and isinstance(v.value, (int, float)) and not isinstance(v.value, bool):
            nums.append(v.value)
            kinds.append("float" if isinstance(v.value, float) else "int")
        elif isinstance(v, Unknown) and v.pytype in (int, float):
            kinds.append(v.pytype.__name__)
        else:
            kinds.append("?")
    d = dtype_arg(dtype)
    if d is None and lib == "tf" and tensor_dtypes and all(t is not None for t in tensor_dtypes):
        # tf.range casts every argument to the widest of their dtypes (Python numbers follow)
        order = ("int32", "int64", "float16", "float32", "float64")
        if all(t in order for t in tensor_dtypes) and "float" not in kinds:
            d = max(tensor_dtypes, key=order.index)  # type: ignore[arg-type]
    if d is None:
        if "?" in kinds or tensor_dtypes:
            d = None
        elif "float" in kinds:
            d = "float64" if lib == "np" else "float32"
        else:
            d = "int64" if lib == "np" else "int32"
    if len(nums) != 3:
        return op.out(Shape((None,)), d)
    n = arange_length(nums[0], nums[1], nums[2])
    content: list[Value] | None = None
    if n <= _RANGE_CONTENT_MAX and is_int_dtype(d) and all(isinstance(x, int) for x in nums):
        # a short integer range keeps its values (a lookup layer's vocabulary=np.arange(k))
        content = [Const(int(nums[0]) + i * int(nums[2])) for i in range(n)]
    out = op.out(Shape((n,)), d, content)
    if n > 0 and is_int_dtype(d) and all(isinstance(x, int) for x in nums) and isinstance(out, Tensor):
        # its values stay within the first and the last: `for i in idx: x[i:i + w]` windows
        ends = (int(nums[0]), int(nums[0]) + (n - 1) * int(nums[2]))
        out.value_range = (min(ends), max(ends))
    return out


@relate
def linspace_op(call: Call, lib: Flavour, start: Value | None, stop: Value | None, num: Value | None, dtype: Value | None) -> Value:
    op = begin(call, lib, start, stop)
    n = as_dim(num) if num is not None else 50
    d = dtype_arg(dtype)
    st, sp = op.tensor(start), op.tensor(stop)
    if d is None:
        if lib == "np":
            d = "float64"
        elif st is not None and is_float_dtype(st.dtype):
            d = st.dtype
        elif lib == "tf":
            d = "float64" if st is not None and is_int_dtype(st.dtype) else None
        else:
            d = "float32"
    extra: tuple[Dim, ...] = ()
    if st is not None and sp is not None:
        try:
            extra = broadcast_shapes(st.shape, sp.shape).dims or ()
        except ShapeError:
            return op.unknown(d)
    else:
        return op.unknown(d)
    return op.out(Shape((n, *extra)), d)


@relate
def array_op(call: Call, lib: Flavour, value: Value | None, dtype: Value | None, kind: TensorKind) -> Value:
    """``np.array`` / ``tf.constant`` / ``tf.convert_to_tensor`` / ``keras.ops.convert_to_tensor``:
    nested literals take the library's default dtypes; arrays and tensors keep theirs."""
    from ..convert import literal_shape_dtype, to_tensor

    op = begin(call, lib, value)
    d = dtype_arg(dtype)
    v = resolve_deep(value) if value is not None else None
    if v is None:
        return op.unknown(d)
    t: Tensor | None
    if isinstance(v, Seq) and v.items is not None and v.items and all(isinstance(i, Tensor) for i in v.items):
        # a list of arrays/tensors: stacked; same dtypes are kept as they are
        dts = {i.dtype for i in v.items if isinstance(i, Tensor)}
        got = literal_shape_dtype(v)
        if got is None:
            return op.unknown(d)
        elem_dtype = next(iter(dts)) if len(dts) == 1 else None
        if elem_dtype is None and lib == "np":
            elem_dtype = None
            for i in v.items:
                if isinstance(i, Tensor):
                    elem_dtype = i.dtype if elem_dtype is None else _np_promote(elem_dtype, i.dtype)
        t = Tensor(got[0], elem_dtype, kind)
    else:
        t = to_tensor(v, kind)
    if t is None:
        return op.unknown(d)
    if t.dtype is not None and lib == "tf" and d is not None and is_int_dtype(d) and not isinstance(v, Tensor):
        from .elementwise import literal_kind

        if literal_kind(v) == "float":
            raise ShapeError(
                f"{op.name}: cannot convert Python floats to a {d} tensor; use ints or cast after",
                code="dtype-mismatch",
            )
    content: list[Value] | None = None
    if kind == "np":
        pass  # numpy arrays are mutable (a[0] = 5): their values are not tracked
    elif (
        isinstance(v, Seq)
        and v.items is not None
        and len(v.items) <= 64
        and all(isinstance(i, Const) and type(i.value) is int for i in v.items)
        and (d is None or is_int_dtype(d))
    ):
        content = list(v.items)  # small immutable int vectors keep their values (shapes)
    elif isinstance(v, Tensor) and v.content is not None and (d is None or d == v.dtype):
        content = v.content
    return op.out(t.shape, d or t.dtype, content)


def _np_promote(a: DType, b: DType) -> DType:
    from ..shapes import numpy_promote

    return numpy_promote(a, b)


@relate
def random_op(call: Call, lib: Flavour, shape: Value | None, dtype: DType, scalar_when_none: bool = True) -> Value:
    """Random arrays of a given size; ``size=None`` in numpy gives a Python scalar (unknown)."""
    op = begin(call, lib)
    sv = resolve(shape)
    if sv is None or (isinstance(sv, Const) and sv.value is None):
        if scalar_when_none:
            return UNKNOWN
        return op.out(Shape(()), dtype)
    scalar = shape_dims(sv) if isinstance(sv, Const | Unknown) else None
    if lib != "np" and scalar is not None:
        # numpy takes ``size=3``; TF's random kernels insist on a 1-D shape vector. Reported
        # for a literal only: a helper's int may sit behind a type guard the engine cannot read
        node = call.kwarg_nodes.get("shape") or (call.arg_nodes[0] if call.arg_nodes else None)
        if not (isinstance(node, ast.Constant) and isinstance(sv, Const)):
            return op.unknown(dtype)
        size = str(sv.value)
        raise ShapeError(
            f"{call.name}: the shape must be a list or tuple of sizes, not the int {size} "
            f"(write ({size},) for a vector)",
            code="invalid-shape",
        )
    dims = shape_dims(sv)
    if dims is None:
        return op.unknown(dtype)
    return op.out(Shape(tuple(dims)), dtype)


@relate
def shape_tensor_op(call: Call, lib: Flavour, x: Value | None, out_type: Value | None) -> Value:
    """``tf.shape(x)``: an int32 vector whose elements are the (possibly unknown) dims, so
    ``tf.reshape(y, tf.shape(x))`` and ``tf.shape(x)[0]`` stay meaningful."""
    op = begin(call, lib, x)
    t = op.tensor(x)
    d = dtype_arg(out_type, "int32")
    if t is None or t.shape.dims is None:
        return op.out(Shape((t.shape.rank if t is not None else None,)), d)
    content: list[Value] = [
        Const(dim) if isinstance(dim, int) else Unknown(dim) if isinstance(dim, str) else Unknown()
        for dim in t.shape.dims
    ]
    return op.out(Shape((len(t.shape.dims),)), d, content)


@relate
def meshgrid_op(call: Call, lib: Flavour, inputs: list[Value], indexing: Value | None, sparse: Value | None) -> Value:
    """``meshgrid(x, y, ...)``: one grid per input, each input flattened first. ``xy``
    indexing (the default) swaps the first two axes; ``sparse`` grids keep size 1 on the
    axes that are not their own (numpy only)."""
    op = begin(call, lib, *inputs)
    mode = "xy" if indexing is None else (indexing.value if isinstance(indexing, Const) else None)
    flag = False if sparse is None else (sparse.value if isinstance(sparse, Const) else None)
    if mode not in ("xy", "ij") or not isinstance(flag, bool) or any(isinstance(v, Seq) and v.items is None for v in inputs):
        return UNKNOWN
    tensors = [op.tensor(v) for v in inputs]
    lengths: list[Dim] = []
    for t in tensors:
        if t is None or t.shape.dims is None:
            lengths.append(None)
        elif all(isinstance(d, int) for d in t.shape.dims):
            lengths.append(math.prod(t.shape.dims))  # type: ignore[arg-type]
        else:
            lengths.append(t.shape.dims[0] if len(t.shape.dims) == 1 else None)
    axes = list(range(len(tensors)))
    if mode == "xy" and len(tensors) >= 2:
        axes[0], axes[1] = 1, 0
    grid = [lengths[axes.index(a)] for a in range(len(tensors))]
    outs: list[Value] = []
    for i, t in enumerate(tensors):
        dims = tuple(d if (not flag or a == axes[i]) else 1 for a, d in enumerate(grid))
        outs.append(op.out(Shape(dims), t.dtype if t is not None else None))
    return Seq(outs, "tuple" if lib == "np" else "list")

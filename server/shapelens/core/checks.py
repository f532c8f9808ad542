"""Model-level checks at ``fit``/``evaluate``/``train_on_batch``: compiled first, targets given
when the loss needs them, and targets whose shape the compiled loss accepts.

Each rule mirrors an error Keras 3 certainly raises (checked by the scenario and oracle tests);
anything the engine cannot see for sure (a custom ``train_step``, a model that went through
unknown code, a loss object it does not know) keeps the check silent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .batching import step_batch_sizes
from .facts import Fix, Related, Span, TextEdit
from .registry import Call, dtype_of_value, function
from .shapes import Dim, DType, ShapeError, format_shape
from .values import (
    Const,
    DatasetVal,
    DictVal,
    Instance,
    LayerVal,
    LibRef,
    ModelVal,
    Seq,
    Tensor,
    Value,
)

# Keras 3's loss classes: the loss they compute and their constructors' parameters (none takes
# **kwargs: any other keyword is a TypeError).
_CROSSENTROPY_PARAMS = ("from_logits", "label_smoothing", "axis", "reduction", "name", "dtype")
_LOSS_CLASSES = {
    "SparseCategoricalCrossentropy": (
        "sparse_categorical_crossentropy",
        ("from_logits", "ignore_class", "reduction", "axis", "name", "dtype"),
    ),
    "CategoricalCrossentropy": ("categorical_crossentropy", _CROSSENTROPY_PARAMS),
    "BinaryCrossentropy": ("binary_crossentropy", _CROSSENTROPY_PARAMS),
    "MeanSquaredError": ("mean_squared_error", ("reduction", "name", "dtype")),
    "MeanAbsoluteError": ("mean_absolute_error", ("reduction", "name", "dtype")),
    # known for their constructor and their scalar value; their targets are not checked
    "Huber": ("huber", ("delta", "reduction", "name", "dtype")),
    "KLDivergence": ("kl_divergence", ("reduction", "name", "dtype")),
    "BinaryFocalCrossentropy": (
        "binary_focal_crossentropy",
        ("apply_class_balancing", "alpha", "gamma", *_CROSSENTROPY_PARAMS),
    ),
    "CategoricalFocalCrossentropy": ("categorical_focal_crossentropy", ("alpha", "gamma", *_CROSSENTROPY_PARAMS)),
    "LogCosh": ("log_cosh", ("reduction", "name", "dtype")),
    "Poisson": ("poisson", ("reduction", "name", "dtype")),
    "CosineSimilarity": ("cosine_similarity", ("axis", "reduction", "name", "dtype")),
    "MeanSquaredLogarithmicError": ("mean_squared_logarithmic_error", ("reduction", "name", "dtype")),
    "MeanAbsolutePercentageError": ("mean_absolute_percentage_error", ("reduction", "name", "dtype")),
    "Hinge": ("hinge", ("reduction", "name", "dtype")),
    "SquaredHinge": ("squared_hinge", ("reduction", "name", "dtype")),
    "CategoricalHinge": ("categorical_hinge", ("reduction", "name", "dtype")),
}
_LOSS_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "sparse_categorical_crossentropy": "sparse_categorical_crossentropy",
    "categorical_crossentropy": "categorical_crossentropy",
    "binary_crossentropy": "binary_crossentropy",
    "mean_squared_error": "mean_squared_error",
    "mean_absolute_error": "mean_absolute_error",
}


@dataclass(eq=False, slots=True)
class LossRef(Const):
    """A loss the engine recognised (from a string, a function or a loss class instance);
    ``value`` is the loss function's name. A loss object also knows its class, its reduction
    ("none" for ``None``, "?" when not read) and the dtype it computes in (None: not known)."""

    cls: str = ""
    reduction: str = "sum_over_batch_size"
    dtype: DType = "float32"


@function(*(f"keras.losses.{cls}" for cls in _LOSS_CLASSES))
def _loss_class(call: Call) -> Value:
    cls = call.name.rsplit(".", 1)[-1]
    loss, params = _LOSS_CLASSES[cls]
    unexpected = [k for k in call.kwargs if k not in params]
    if unexpected:
        hint = ""
        if unexpected[0] == "label_smoothing" and cls == "SparseCategoricalCrossentropy":
            hint = " (smoothing needs one-hot targets: CategoricalCrossentropy takes it)"
        raise ShapeError(
            f"{cls}() got an unexpected keyword argument {unexpected[0]!r}{hint}; it takes "
            f"{', '.join(params)}",
            code="invalid-argument",
        )
    if len(call.args) > len(params):
        raise ShapeError(
            f"{cls}() takes {len(params)} arguments ({', '.join(params)}) but {len(call.args)} were given",
            code="invalid-argument",
        )
    reduction = call.arg(params.index("reduction"), "reduction") or Const("sum_over_batch_size")
    reduced = reduction.value if isinstance(reduction, Const) and isinstance(reduction.value, (str, type(None))) else "?"
    dtype = call.arg(params.index("dtype"), "dtype")
    if dtype is None:
        computes_in: DType = call.interp.floatx
    else:
        given = None if isinstance(dtype, LibRef) and dtype.name.startswith("builtins.") else dtype_of_value(dtype)
        computes_in = given if given in ("float16", "bfloat16", "float32", "float64") else None
    return LossRef(loss, cls, "none" if reduced is None else str(reduced), computes_in)


def loss_name(v: Value | None) -> str | None:
    if isinstance(v, Const) and isinstance(v.value, str):
        return _LOSS_ALIASES.get(v.value.lower())
    if isinstance(v, LibRef) and v.name.startswith("keras.losses."):
        return _LOSS_ALIASES.get(v.name.rsplit(".", 1)[-1])
    return None


def _custom_training(model: ModelVal) -> bool:
    inst = model.instance
    if inst is None:
        return False
    cls = getattr(inst, "cls", None)
    if cls is None:
        return True
    return any(cls.lookup(n) is not None for n in ("train_step", "compute_loss", "test_step"))


def split_dataset(x: DatasetVal) -> tuple[Value, Value | None]:
    """A dataset element as Keras splits it for fit/evaluate: (inputs, targets or None)."""
    elem = x.element
    if isinstance(elem, Seq) and elem.items is not None and elem.kind == "tuple":
        if len(elem.items) >= 2:
            return elem.items[0], elem.items[1]
        if len(elem.items) == 1:
            return elem.items[0], None
    return elem, None


def check_training_call(call: Call, model: ModelVal) -> tuple[Value | None, Value | None]:
    """Checks for fit/evaluate/train_on_batch/test_on_batch; returns (x, y) as seen by Keras."""
    method = call.name
    x = call.arg(0, "x")
    y = call.arg(1, "y")
    if isinstance(x, DatasetVal):
        x, y = split_dataset(x)
        from_dataset = True
    else:
        from_dataset = False
    if model.compiled is None:
        if not model.escaped and model.kind in ("sequential", "functional", "subclass", "application"):
            related = [Related(model.origin, "model created here")] if model.origin else []
            raise ShapeError(
                f"`{method}` is called before `compile()`: Keras raises \"You must call "
                f"`compile()` before using the model\". Call model.compile(optimizer=..., loss=...) "
                f"first",
                code="fit-before-compile",
                related=list(related),
            )
        return x, y
    if _custom_training(model):
        return x, y
    loss = model.compiled.get("loss")
    name = loss_name(loss)
    if loss is None or (isinstance(loss, Const) and loss.value is None):
        return x, y
    if not from_dataset:
        _check_cardinality(method, x, y)
    if from_dataset:
        # Keras splits only a tuple element into (x, y); an element of unknown structure may be one
        inputs_only = isinstance(x, (Tensor, DictVal))
    else:
        inputs_only = call.arg(1, "y") is None and isinstance(x, (Tensor, Seq, DictVal))
    if y is None and x is not None and inputs_only:
        source = "the dataset yields inputs only" if from_dataset else "no targets (y) are passed"
        raise ShapeError(
            f"`{method}` cannot compute the loss: {source}, but the model was compiled with "
            f"loss {_loss_text(loss, name)}, which needs targets. Yield (inputs, targets) "
            f"pairs or pass y=",
            code="missing-targets",
            related=[Related(model.compile_span, "loss set here")] if model.compile_span else [],
        )
    return x, y


def check_targets(call: Call, model: ModelVal, y: Value | None, output: Value) -> None:
    """Targets against the compiled loss, with ``output`` = what the model gives for the
    actual training inputs (Keras computes the loss on that, not on the declared output).
    Several outputs are paired with their targets (a list by position, a dict by output name)
    and with their losses (one for all, a list, or a dict)."""
    if model.compiled is None or _custom_training(model) or y is None:
        return
    loss = model.compiled.get("loss")
    pairs = _target_pairs(y, output, loss, model.outputs)
    for target, out, its_loss, which in pairs:
        name = loss_name(its_loss)
        if name is None:
            continue
        batches = _batch_sizes(call, target)
        # the loss sees one batch at a time, as Keras' message says: batch size unknown
        target, out = _per_batch(target), _per_batch(out)
        related = []
        if out.origin is not None:
            related.append(Related(out.origin, f"model output {format_shape(out.shape)} comes from here"))
        if model.compile_span is not None:
            related.append(Related(model.compile_span, "loss set here"))
        where = (
            f"`{call.name}`: targets{which} {format_shape(target.shape)} do not fit the model "
            f"output {format_shape(out.shape)}"
        )
        try:
            check_loss_inputs(name, target, out, where, related, batches)
        except ShapeError as err:
            # renaming the one loss is the fix only when that loss serves this output alone
            fix = _loss_twin_fix(call, model, name, target, out) if len(pairs) == 1 else None
            if fix is not None:
                err.fixes.append(fix)
            raise


def _batch_sizes(call: Call, y: Tensor) -> set[int] | None:
    """The sizes of the batches the loss will see, when targets are arrays (not from a
    dataset or generator, which makes its own batches)."""
    if y.kind not in ("np", "tf") or not y.shape.dims or call.arg(1, "y") is None:
        return None
    return step_batch_sizes(call, y.shape.dims[0])


def _target_pairs(
    y: Value, output: Value, loss: Value | None, declared: Value | None
) -> list[tuple[Tensor, Tensor, Value | None, str]]:
    """(target, output, loss, which output in words) for each model output whose target and
    loss can be told. ``declared`` (the model's own outputs) gives the output names: the
    outputs computed for the training data do not carry them."""
    if isinstance(output, Seq) and output.items is not None and len(output.items) == 1:
        output = output.items[0]
    if isinstance(y, Seq) and y.items is not None and len(y.items) == 1 and isinstance(output, Tensor):
        y = y.items[0]
    if isinstance(y, Tensor) and isinstance(output, Tensor):
        return [(y, output, loss, "")]
    outputs = _named_outputs(output, declared)
    if outputs is None:
        return []
    names = list(outputs)
    if isinstance(y, Seq) and y.items is not None and isinstance(output, Seq):
        if len(y.items) != len(names):
            return []
        targets = dict(zip(names, y.items, strict=True))
    elif isinstance(y, DictVal):
        if not set(y.items) <= set(outputs) or not all(isinstance(k, str) for k in y.items):
            return []
        targets = {str(k): v for k, v in y.items.items()}
    else:
        return []
    pairs: list[tuple[Tensor, Tensor, Value | None, str]] = []
    for n, key in enumerate(names):
        target, out = targets.get(key), outputs[key]
        its_loss = _loss_for(loss, key, n, len(names))
        if isinstance(target, Tensor) and isinstance(out, Tensor) and its_loss is not None:
            which = f" for output {n + 1}" if key.startswith("#") else f" for output '{key}'"
            pairs.append((target, out, its_loss, which))
    return pairs


def _named_outputs(output: Value, declared: Value | None) -> dict[str, Value] | None:
    """A model's outputs by the names Keras gives them: a dict's keys, or for a list the names
    of the layers that produced the declared outputs ("#n" where a name is not known)."""
    if isinstance(output, DictVal):
        if not all(isinstance(k, str) for k in output.items):
            return None
        return {str(k): v for k, v in output.items.items()}
    if not isinstance(output, Seq) or output.items is None:
        return None
    sources = declared.items if isinstance(declared, Seq) and declared.items is not None else None
    if sources is None or len(sources) != len(output.items):
        sources = output.items
    named: dict[str, Value] = {}
    for n, (item, source) in enumerate(zip(output.items, sources, strict=True)):
        name = _producer_name(source)
        named[name if name is not None else f"#{n}"] = item
    return named if len(named) == len(output.items) else None


def _producer_name(t: Value) -> str | None:
    if not isinstance(t, Tensor) or t.history is None:
        return None
    callee = t.history[0]
    given = None
    if isinstance(callee, LayerVal):
        given = callee.kwargs.get("name")
    elif isinstance(callee, Instance) and callee.model is None:
        given = callee.attrs.get("name")  # a custom layer given name= (Layer.__init__ keeps it)
    return given.value if isinstance(given, Const) and isinstance(given.value, str) else None


def _loss_for(loss: Value | None, key: str, index: int, count: int) -> Value | None:
    if isinstance(loss, Seq) and loss.items is not None:
        return loss.items[index] if len(loss.items) == count else None
    if isinstance(loss, DictVal):
        return loss.items.get(key)
    return loss


_DENSE_TO_SPARSE = (
    (re.compile(r"(?<!sparse_)categorical_crossentropy"), "sparse_categorical_crossentropy"),
    (re.compile(r"(?<!Sparse)CategoricalCrossentropy"), "SparseCategoricalCrossentropy"),
)
_SPARSE_TO_DENSE = (
    (re.compile(r"sparse_categorical_crossentropy"), "categorical_crossentropy"),
    (re.compile(r"SparseCategoricalCrossentropy"), "CategoricalCrossentropy"),
)


def _loss_twin_fix(call: Call, model: ModelVal, name: str, y: Tensor, out: Tensor) -> Fix | None:
    """Integer labels under categorical CE -> its sparse twin, and one-hot targets under sparse
    CE -> the dense one, when the loss is spelled in this file on one line."""
    span = model.loss_span
    yd, od = y.shape.dims, out.shape.dims
    if span is None or span.line != span.end_line or yd is None or od is None:
        return None
    if name == "categorical_crossentropy" and len(yd) + 1 == len(od):
        table, twin = _DENSE_TO_SPARSE, "sparse_categorical_crossentropy"
    elif name == "sparse_categorical_crossentropy" and len(yd) == len(od) and yd[-1] == od[-1]:
        table, twin = _SPARSE_TO_DENSE, "categorical_crossentropy"
    else:
        return None
    lines = call.interp.source_lines
    if not 0 < span.line <= len(lines):
        return None
    # ast columns are UTF-8 byte offsets
    text = lines[span.line - 1].encode()[span.column : span.end_column].decode(errors="replace")
    for pattern, replacement in table:
        new_text, count = pattern.subn(replacement, text)
        if count == 1:
            return Fix(f"Use loss '{twin}'", (TextEdit(span, new_text),))
    return None


def _loss_text(loss: Value, name: str | None) -> str:
    if name is not None:
        return f"'{name}'"
    if isinstance(loss, Const) and isinstance(loss.value, str):
        return f"'{loss.value}'"
    return "a loss"


def squeeze_or_expand(a: tuple[Dim, ...], b: tuple[Dim, ...]) -> tuple[tuple[Dim, ...], tuple[Dim, ...]]:
    """Keras' ``squeeze_or_expand_to_same_rank`` for ranks one apart whose longer shape ends in
    1: a rank-1 shorter one gains that axis, else the longer one loses it."""
    if len(a) > len(b):
        return (a, (*b, 1)) if len(b) == 1 else (a[:-1], b)
    return ((*a, 1), b) if len(a) == 1 else (a, b[:-1])


def check_loss_inputs(
    name: str, y: Tensor, out: Tensor, where: str, related: list[Related],
    batches: set[int] | None = None,
) -> None:
    """What a Keras loss object rejects in (targets, predictions), after its own squeeze or
    expand to the same rank. The batch axis is not compared here: ``fit`` sees one batch at a
    time. ``where`` opens each message."""
    yd, od = y.shape.dims, out.shape.dims
    if yd is None or od is None or not od:
        return
    if name in ("categorical_crossentropy", "binary_crossentropy") and abs(len(yd) - len(od)) >= 2:
        raise ShapeError(
            f"{where} under '{name}': their ranks differ by {abs(len(yd) - len(od))}",
            code="loss-target-mismatch",
            related=list(related),
        )
    if name == "categorical_crossentropy":
        if abs(len(yd) - len(od)) == 1:
            longer = yd if len(yd) > len(od) else od
            if not isinstance(longer[-1], int):
                return  # Keras would make the ranks equal if that axis is 1
            if longer[-1] == 1:
                # Keras' losses squeeze or expand that axis of 1 to give both the same rank
                yd, od = squeeze_or_expand(yd, od)
        if len(yd) != len(od):
            hint = ""
            if len(yd) + 1 == len(od):
                hint = "; integer class labels need loss='sparse_categorical_crossentropy'"
            raise ShapeError(
                f"{where} under 'categorical_crossentropy', which needs one-hot targets of the "
                f"output's shape{hint}",
                code="loss-target-mismatch",
                related=list(related),
            )
        if isinstance(yd[-1], int) and isinstance(od[-1], int) and yd[-1] != od[-1]:
            hint = "; integer class labels need loss='sparse_categorical_crossentropy'" if yd[-1] == 1 else ""
            raise ShapeError(
                f"{where} under 'categorical_crossentropy' (last dimension {yd[-1]} vs "
                f"{od[-1]}){hint}",
                code="loss-target-mismatch",
                related=list(related),
            )
        _same_shape(name, yd, od, where, related)
    elif name == "sparse_categorical_crossentropy":
        if len(yd) == len(od) and isinstance(yd[-1], int) and yd[-1] != 1:
            raise ShapeError(
                f"{where} under 'sparse_categorical_crossentropy', which needs integer class "
                f"labels of shape {format_shape(out.shape.__class__(od[:-1]))}; one-hot targets "
                f"need loss='categorical_crossentropy'",
                code="loss-target-mismatch",
                related=list(related),
            )
        labels = len(yd) - 1 if len(yd) == len(od) and yd[-1] == 1 else len(yd)
        if labels + 1 != len(od) and (len(yd) != len(od) or yd[-1] == 1):
            raise ShapeError(
                f"{where} under 'sparse_categorical_crossentropy': the output must have one "
                f"axis more than the integer labels (rank {len(od)} vs {labels})",
                code="loss-target-mismatch",
                related=list(related),
            )
        if labels + 1 == len(od) and isinstance(od[-1], int) and od[-1] != 1:
            # (an output ending in 1 would be squeezed first)
            for axis in range(1, labels):
                a, b = yd[axis], od[axis]
                if isinstance(a, int) and isinstance(b, int) and a != b:
                    raise ShapeError(
                        f"{where} under 'sparse_categorical_crossentropy': the integer labels "
                        f"must match the output on every axis but its last (axis {axis}: {a} vs {b})",
                        code="loss-target-mismatch",
                        related=list(related),
                    )
    elif name == "binary_crossentropy":
        if len(yd) + 1 == len(od) and isinstance(od[-1], int) and od[-1] != 1:
            raise ShapeError(
                f"{where} under 'binary_crossentropy': targets have one axis less than the "
                f"output and its last axis is {od[-1]}, not 1",
                code="loss-target-mismatch",
                related=list(related),
            )
        if len(yd) == len(od) and isinstance(yd[-1], int) and isinstance(od[-1], int) and yd[-1] != od[-1]:
            raise ShapeError(
                f"{where} under 'binary_crossentropy' (last dimension {yd[-1]} vs {od[-1]})",
                code="loss-target-mismatch",
                related=list(related),
            )
        _same_shape(name, yd, od, where, related)
    elif name in ("mean_squared_error", "mean_absolute_error"):
        k = od[-1]
        failing = sorted(size for size in batches or () if size not in (1, k))
        if len(yd) == 1 and len(od) == 2 and isinstance(k, int) and k != 1 and failing:
            # Keras leaves (batch,) targets as they are and broadcasts them against
            # (batch, k): the batch axis meets the output's last axis
            sizes = " and ".join(str(size) for size in failing)
            raise ShapeError(
                f"{where} under '{name}': one-dimensional targets are broadcast against the "
                f"output's last axis, so each batch of {sizes} meets {k}; targets need shape "
                f"(samples, {k}), or the output a last axis of 1",
                code="loss-target-mismatch",
                related=list(related),
            )
        _subtracted_shapes_broadcast(name, yd, od, where, related, batches)


def _subtracted_shapes_broadcast(
    name: str, yd: tuple[Dim, ...], od: tuple[Dim, ...], where: str, related: list[Related],
    batches: set[int] | None = None,
) -> None:
    """Keras' mse/mae make ranks that differ by one equal when the longer ends in an axis of 1
    (squeezing it, or expanding a 1-D side), then subtract with broadcasting: aligned from the
    right, each pair of sizes must be equal or 1. Where ranks still differ, the shorter side's
    batch axis meets an axis of the other: every batch size must fit it."""
    a, b = list(yd), list(od)
    for longer, shorter in ((a, b), (b, a)):
        if len(longer) == len(shorter) + 1:
            if longer[-1] is None:
                return  # maybe 1: then the ranks are made equal
            if longer[-1] == 1:
                if len(shorter) == 1:
                    shorter.append(1)
                else:
                    longer.pop()
    if len(a) != len(b) and batches:
        longer = a if len(a) > len(b) else b
        k = longer[len(longer) - min(len(a), len(b))]
        failing = sorted(size for size in batches if size not in (1, k))
        if isinstance(k, int) and k != 1 and failing:
            sizes = " and ".join(str(size) for size in failing)
            raise ShapeError(
                f"{where} under '{name}': the ranks differ, so the batch axis of the shorter "
                f"is broadcast against an axis of {k}, and each batch of {sizes} meets it",
                code="loss-target-mismatch",
                related=list(related),
            )
    for i in range(1, min(len(a), len(b)) + 1):
        x, y = a[-i], b[-i]
        if isinstance(x, int) and isinstance(y, int) and x != y and x != 1 and y != 1:
            what = "last dimension" if i == 1 else f"dimension -{i}"
            raise ShapeError(
                f"{where} under '{name}' ({what} {x} vs {y} cannot broadcast)",
                code="loss-target-mismatch",
                related=list(related),
            )


def _check_cardinality(method: str, x: Value | None, y: Value | None) -> None:
    """Arrays given to fit/evaluate must all have the same number of samples."""
    from .values import tensors_in

    sizes: list[tuple[str, int, Tensor]] = []
    for label, v in (("x", x), ("y", y)):
        if v is None:
            continue
        for t in tensors_in(v):
            if t.kind in ("np", "tf") and t.shape.dims and isinstance(t.shape.dims[0], int):
                sizes.append((label, t.shape.dims[0], t))
    counts = {n for _, n, _ in sizes}
    if len(counts) > 1:
        detail = ", ".join(f"{label} {format_shape(t.shape)}" for label, _, t in sizes)
        raise ShapeError(
            f"`{method}`: the arrays hold different numbers of samples ({detail}); Keras "
            f"raises 'Data cardinality is ambiguous'",
            code="data-cardinality",
            related=[Related(t.origin, f"{label} {format_shape(t.shape)} comes from here")
                     for label, _, t in sizes if t.origin is not None],
        )


def _per_batch(t: Tensor) -> Tensor:
    dims = t.shape.dims
    if not dims:
        return t
    return Tensor(t.shape.__class__((None, *dims[1:])), t.dtype, t.kind, t.origin, t.label)


def _same_shape(name: str, yd: tuple, od: tuple, where: str, related: list[Related]) -> None:
    """Crossentropies compare targets and output shape for shape (batch aside)."""
    if len(yd) != len(od):
        return
    for axis in range(1, len(od)):
        a, b = yd[axis], od[axis]
        if isinstance(a, int) and isinstance(b, int) and a != b:
            raise ShapeError(
                f"{where} under '{name}', which needs targets of the output's shape (axis "
                f"{axis}: {a} vs {b})",
                code="loss-target-mismatch",
                related=list(related),
            )


__all__ = ["LossRef", "Span", "check_loss_inputs", "check_targets", "check_training_call", "loss_name"]

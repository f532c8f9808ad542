"""tf.data datasets: sources (``from_tensor_slices``, ``from_tensors``, ``from_generator``,
``range``, ``zip``, file readers) and transformations (``batch``, ``map``, ``padded_batch``,
``unbatch``, ``concatenate``, ...), tracking each dataset's element structure the way
``ds.element_spec`` reports it, and its cardinality when it is known.

A `DatasetVal`'s ``element`` is a structure (tuples, dicts) of ``Tensor(kind="spec")``; parts
that are not known are `Unknown`. Conversion follows TensorFlow: tuples and dicts are
structure, lists are converted to one tensor (Python ints become int32, floats float32,
strings string; numpy arrays keep their dtype). ``map`` calls the user function with the
element's components as separate arguments when the element is a tuple, as TF does.
Iterating a dataset gives eager tensors (`iterated_element`); ``as_numpy_iterator`` gives
numpy arrays.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

from .convert import literal_shape_dtype, to_tensor
from .facts import Related, Span
from .registry import UNKNOWN_MARK, Call, attribute, dtype_of_value, function, method
from .shapes import (
    UNKNOWN_SHAPE,
    Dim,
    DType,
    Shape,
    ShapeError,
    Unknowable,
    format_shape,
    is_int,
    join_shape,
)
from .values import (
    UNKNOWN,
    BoundMethod,
    Const,
    DatasetVal,
    DictVal,
    FunctionVal,
    Instance,
    LibRef,
    PartialVal,
    Seq,
    Tensor,
    TensorKind,
    Unknown,
    Value,
    as_dim,
    as_int,
    as_shape,
    describe_structure,
)

_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1

# ----------------------------------------------------------------------------------------------
# converting Python values into element structures


def _spec(t: Tensor) -> Tensor:
    return Tensor(t.shape, t.dtype, "spec", t.origin, t.label)


def literal_dtype(v: Value) -> DType:
    """The dtype ``tf.convert_to_tensor`` gives a nested list/scalar literal; None if unsure.
    Raises ShapeError for literals TF cannot convert: strings mixed with other values, or a
    list that starts with a boolean and goes on with numbers (TF infers from the first item)."""
    tensor_dtypes: set[DType] = set()
    kinds: list[str] = []
    big_int = False

    def walk(x: Value) -> bool:
        nonlocal big_int
        if isinstance(x, Tensor):
            if x.kind in ("keras", "ragged", "sparse"):
                return False
            tensor_dtypes.add(x.dtype)
            return True
        if isinstance(x, Const):
            val = x.value
            if isinstance(val, bool):
                kinds.append("bool")
            elif isinstance(val, int):
                kinds.append("int")
                if not _INT32_MIN <= val <= _INT32_MAX:
                    big_int = True
            elif isinstance(val, float):
                kinds.append("float")
            elif isinstance(val, complex):
                kinds.append("complex")
            elif isinstance(val, (str, bytes)):
                kinds.append("str")
            else:
                return False
            return True
        if isinstance(x, Unknown) and x.pytype in (str, float, bool):
            # a value of a known Python type (an unknown int could be past int32)
            kinds.append({str: "str", float: "float", bool: "bool"}[x.pytype])
            return True
        if isinstance(x, Seq):
            if x.items is not None:
                return all(walk(i) for i in x.items)
            return walk(x.elem)
        return False

    if not walk(v):
        return None
    found = set(kinds)
    if tensor_dtypes:
        if len(tensor_dtypes) != 1:
            return None
        (d,) = tensor_dtypes
        if d is None:
            return None
        if "str" in found and d != "string":
            return None
        if found - {"str"} and d == "string":
            return None
        if found & {"float", "complex"} and (is_int(d) or d == "bool"):
            return None
        return d
    if not found:
        return "float32"  # an empty list
    if len(found) == 1:
        only = kinds[0]
        if only == "int":
            return "int64" if big_int else "int32"
        return {"bool": "bool", "float": "float32", "complex": "complex128", "str": "string"}[only]
    if "str" in found or kinds[0] == "bool":
        raise ShapeError(
            "a Python sequence mixing "
            + ("strings with other values" if "str" in found else "booleans with numbers")
            + " cannot be converted to a tensor",
            code="dataset-structure",
        )
    if "complex" in found:
        return "complex128" if kinds[0] == "complex" else None
    if "float" in found:
        return "float32"
    return "int64" if big_int else "int32"


def convert_component(v: Value) -> Tensor | None:
    """One component the way tf.data converts it (``tf.convert_to_tensor``), as a spec;
    None when it cannot be told."""
    if isinstance(v, Tensor):
        if v.kind in ("keras", "ragged", "sparse"):
            return None
        return _spec(v)
    if isinstance(v, (Const, Seq)):
        if isinstance(v, Const) and (v.value is None or v.value is Ellipsis):
            return None
        got = literal_shape_dtype(v)
        if got is None:
            return None
        return Tensor(got[0], literal_dtype(v), "spec")
    return None


def to_element(v: Value, *, top_list_is_tuple: bool = False) -> Value:
    """A Python value as a dataset element structure: tuples and dicts stay structure, lists
    and scalars become tensors (``map`` results: a top-level list counts as a tuple)."""
    if top_list_is_tuple and isinstance(v, Seq) and v.kind == "list" and v.items is not None:
        v = Seq(list(v.items), "tuple")
    if isinstance(v, Seq) and v.kind == "tuple":
        if v.items is None:
            return UNKNOWN
        return Seq([to_element(i) for i in v.items], "tuple")
    if isinstance(v, DictVal):
        if not v.complete:
            return UNKNOWN
        return DictVal({k: to_element(i) for k, i in v.items.items()})
    t = convert_component(v)
    return t if t is not None else UNKNOWN


def map_leaves(v: Value, fn: Any, *, keep_datasets: bool = False) -> Value:
    """Apply ``fn`` to each tensor of an element structure (Unknown parts stay unknown).
    ``keep_datasets``: the nested datasets of a ``window`` element pass through unchanged."""
    if isinstance(v, Tensor):
        out: Value = fn(v)
        return out
    if keep_datasets and isinstance(v, DatasetVal):
        return v
    if isinstance(v, Seq) and v.items is not None:
        return Seq([map_leaves(i, fn, keep_datasets=keep_datasets) for i in v.items], v.kind)
    if isinstance(v, DictVal):
        return DictVal({k: map_leaves(i, fn, keep_datasets=keep_datasets) for k, i in v.items.items()})
    return UNKNOWN


def _with_kind(kind: TensorKind) -> Any:
    def convert(t: Tensor) -> Value:
        return Tensor(t.shape, t.dtype, kind, t.origin, t.label)

    return convert


def iterated_element(ds: DatasetVal) -> Value:
    """What iterating the dataset gives (``for x, y in ds``, ``next(iter(ds))``): the element
    structure with eager tensors (kind ``tf``) instead of specs, with the batch size every
    batch really has where the spec leaves it unknown."""
    return _eager_element(ds, iterated_rows(ds))


def first_element(ds: DatasetVal) -> Value:
    """What ``next(iter(ds))`` gives: the first batch, full whenever the data fills one (a
    smaller last batch comes later)."""
    if ds.batch_rows is None:
        return _eager_element(ds, _generator_rows(ds))
    size, full, rest = ds.batch_rows
    rows = size if full else rest or None
    if ds.batches_shuffled and full and rest:
        rows = None  # the smaller batch may come first
    return _eager_element(ds, rows)


def _eager_element(ds: DatasetVal, rows: int | None) -> Value:
    """The element structure as eager tensors, with ``rows`` where the spec's batch is None."""
    element = ds.eager_element if ds.eager_element is not None else ds.element
    return map_leaves(element, lambda t: Tensor(_rows_shape(t.shape, rows), t.dtype, "tf", t.origin, t.label))


def _generator_rows(ds: DatasetVal) -> int | None:
    return ds.eager_rows() if ds.eager_rows is not None else None


def traced_element(ds: DatasetVal) -> Value:
    """What a function traced on the dataset sees (``map``, ``fit``/``predict`` steps): tensors
    shaped as the element spec says (an unknown batch size stays unknown). The windows of a
    ``window`` dataset arrive as datasets."""
    return map_leaves(ds.element, _with_kind("tf"), keep_datasets=True)


def iterated_rows(ds: DatasetVal) -> int | None:
    """The rows of every batch iterating a batched dataset gives, when they are all the same."""
    if ds.batch_rows is None:
        return _generator_rows(ds)
    size, full, rest = ds.batch_rows
    sizes = ({size} if full else set()) | ({rest} if rest else set())
    return sizes.pop() if len(sizes) == 1 else None


def _rows_shape(shape: Shape, rows: int | None) -> Shape:
    dims = shape.dims
    if rows is None or not dims or dims[0] is not None:
        return shape
    return Shape((rows, *dims[1:]))


def _batch_rows(ds: DatasetVal, size: int | None, drop: bool | None) -> tuple[int, int, int] | None:
    """How ``batch(size)`` cuts the dataset's elements (its cardinality) into batches."""
    n = ds.cardinality
    if n is None or size is None or size <= 0 or drop is None or n < 0:
        return None
    return (size, n // size, 0 if drop else n % size)


def numpy_element(ds: DatasetVal) -> Value:
    """What ``as_numpy_iterator`` yields: numpy arrays (strings become bytes: unknown here)."""
    rows = iterated_rows(ds)

    def convert(t: Tensor) -> Value:
        if t.dtype == "string" or t.dtype is None:
            return UNKNOWN
        return Tensor(_rows_shape(t.shape, rows), t.dtype, "np", t.origin, t.label)

    return map_leaves(ds.element, convert)


def spec_structure(v: Value) -> Any:
    """A plain-Python picture of an element structure, for tests and tools: tensors become
    ``(dims tuple or None, dtype or None)``, tuples/lists/dicts stay so, unknown parts None."""
    if isinstance(v, DatasetVal):
        return spec_structure(v.element)
    if isinstance(v, Tensor):
        return (None if v.shape.dims is None else tuple(v.shape.dims), v.dtype)
    if isinstance(v, Seq):
        if v.items is None:
            return None
        items = [spec_structure(i) for i in v.items]
        return tuple(items) if v.kind == "tuple" else items
    if isinstance(v, DictVal):
        return {k: spec_structure(i) for k, i in v.items.items()}
    return None


def _dataset(element: Value, cardinality: int | None, call: Call) -> DatasetVal:
    """A new dataset made here: its element tensors are labelled with this place."""
    labelled = map_leaves(element, lambda t: _labelled(t, call.span))
    return DatasetVal(labelled, cardinality, call.span)


def _labelled(t: Tensor, span: Span) -> Tensor:
    return Tensor(t.shape, t.dtype, "spec", span, f"dataset element (line {span.line})")


def _receiver(call: Call) -> DatasetVal:
    ds = call.receiver
    assert isinstance(ds, DatasetVal)
    return ds


def _batch_dim(call: Call, size_index: int, size_name: str, drop_index: int) -> tuple[Dim, bool | None]:
    """The batch dim of ``batch``-like methods and whether ``drop_remainder`` is certainly set."""
    size = call.arg(size_index, size_name)
    n = as_int(size) if size is not None else None
    if n is not None and n <= 0:
        raise ShapeError(
            f"Dataset.{call.name}: batch_size must be greater than zero, got {n}", code="dataset-batch"
        )
    drop = call.value(drop_index, "drop_remainder", False)
    drop_known: bool | None = None if drop is UNKNOWN_MARK else bool(drop)
    dim: Dim = as_dim(size) if (drop_known and size is not None) else None
    return dim, drop_known


def _batched_cardinality(n: int | None, size: int | None, drop: bool | None) -> int | None:
    if n is None or size is None or size <= 0 or drop is None:
        return None
    return n // size if drop else -(-n // size)


# ----------------------------------------------------------------------------------------------
# sources


def _rows_of_ragged_matrices(v: Value) -> Value:
    """A ragged tensor slices into rows shaped as its static shape says (``(None, 15)`` atoms
    of a molecule), as a dense tensor with the same unknown axes would: TF's elements are
    ragged-rank-0 ragged specs, dense when read, and a batch of them has the batched shape."""
    if isinstance(v, Tensor) and v.kind == "ragged" and v.shape.dims is not None and len(v.shape.dims) >= 2:
        return Tensor(v.shape, v.dtype, "tf", v.origin, v.label)
    if isinstance(v, Seq) and v.kind == "tuple" and v.items is not None:
        return Seq([_rows_of_ragged_matrices(i) for i in v.items], "tuple")
    if isinstance(v, DictVal) and v.complete:
        return DictVal({k: _rows_of_ragged_matrices(i) for k, i in v.items.items()})
    return v


@function(
    "tf.data.Dataset.from_tensor_slices",
    "tf.compat.v1.data.Dataset.from_tensor_slices",
)
def _from_tensor_slices(call: Call) -> Value:
    v = call.arg(0, "tensors")
    if v is None:
        return DatasetVal(UNKNOWN, None, call.span)
    whole = to_element(_rows_of_ragged_matrices(v))
    firsts: list[Dim] = []
    origins: list[Span | None] = []

    def slice_one(t: Tensor) -> Value:
        dims = t.shape.dims
        if dims is None:
            return Tensor(UNKNOWN_SHAPE, t.dtype, "spec")
        if not dims:
            raise ShapeError(
                "Dataset.from_tensor_slices: cannot slice a scalar; every component needs at "
                "least one dimension (the one that is sliced into elements)",
                code="dataset-slices",
            )
        firsts.append(dims[0])
        origins.append(t.origin)
        return Tensor(Shape(dims[1:]), t.dtype, "spec")

    element = map_leaves(whole, slice_one)
    known = [d for d in firsts if isinstance(d, int)]
    if len(set(known)) > 1:
        distinct = list(dict.fromkeys(known))
        related: list[object] = [
            Related(o, f"a component with {d} elements comes from here")
            for d, o in zip(firsts, origins)
            if isinstance(d, int) and o is not None and o != call.span
        ]
        raise ShapeError(
            f"Dataset.from_tensor_slices: the components have different first dimensions "
            f"({' vs '.join(str(d) for d in distinct)}); each component must have the same "
            f"number of elements",
            code="dataset-slices",
            related=related,
        )
    card = known[0] if known else None
    return _dataset(element, card, call)


@function("tf.data.Dataset.from_tensors", "tf.compat.v1.data.Dataset.from_tensors")
def _from_tensors(call: Call) -> Value:
    v = call.arg(0, "tensors")
    if v is None:
        return DatasetVal(UNKNOWN, 1, call.span)
    return _dataset(to_element(v), 1, call)


def _signature(v: Value) -> Value:
    """``output_signature``: a structure of TensorSpecs (tuples and dicts; TF rejects lists)."""
    if isinstance(v, Tensor):
        return _spec(v) if v.kind == "spec" else UNKNOWN
    if isinstance(v, Seq) and v.kind == "list":
        raise ShapeError(
            "Dataset.from_generator: output_signature must be a TensorSpec or a tuple/dict of "
            "them; a list is not accepted (use a tuple)",
            code="dataset-structure",
        )
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_signature(i) for i in v.items], "tuple")
    if isinstance(v, DictVal):
        return DictVal({k: _signature(i) for k, i in v.items.items()})
    return UNKNOWN


def _dtype_leaf(v: Value) -> DType:
    if isinstance(v, LibRef) or (isinstance(v, Const) and isinstance(v.value, str)):
        return dtype_of_value(v)
    return None


def _legacy_signature(types: Value, shapes: Value | None) -> Value:
    """``output_types`` with ``output_shapes`` (same structure; shapes default to unknown)."""
    if isinstance(types, Seq) and types.items is not None:
        shape_items: list[Value | None]
        if isinstance(shapes, Seq) and shapes.items is not None and len(shapes.items) == len(types.items):
            shape_items = list(shapes.items)
        elif shapes is None:
            shape_items = [None] * len(types.items)
        else:
            shape_items = [UNKNOWN] * len(types.items)
        return Seq([_legacy_signature(t, s) for t, s in zip(types.items, shape_items)], "tuple")
    if isinstance(types, DictVal):
        if isinstance(shapes, DictVal):
            return DictVal({k: _legacy_signature(t, shapes.items.get(k, UNKNOWN)) for k, t in types.items.items()})
        return DictVal({k: _legacy_signature(t, None if shapes is None else UNKNOWN) for k, t in types.items.items()})
    dtype = _dtype_leaf(types)
    if dtype is None:
        return UNKNOWN
    shape = UNKNOWN_SHAPE if shapes is None else _shape_arg(shapes)
    return Tensor(shape, dtype, "spec")


def _shape_arg(v: Value) -> Shape:
    """A shape argument where ``None`` and ``-1`` mean an unknown dim."""
    if isinstance(v, Tensor) and v.kind == "spec":
        return UNKNOWN_SHAPE
    if isinstance(v, Seq) and v.items is not None:
        dims: list[Dim] = []
        for item in v.items:
            if isinstance(item, Const) and (item.value is None or item.value == -1):
                dims.append(None)
            else:
                dims.append(as_dim(item))
        return Shape(tuple(dims))
    if isinstance(v, Const) and v.value is None:
        return UNKNOWN_SHAPE
    return as_shape(v)


@function("tf.data.Dataset.from_generator", "tf.compat.v1.data.Dataset.from_generator")
def _from_generator(call: Call) -> Value:
    sig = call.arg(4, "output_signature")
    if sig is not None:
        ds = _dataset(_signature(sig), None, call)
        if call.arg(0, "generator") is not None and call.arg(3, "args") is None:
            ds.eager_rows = functools.partial(_yielded_rows, call, ds.element)
        return ds
    types = call.arg(1, "output_types")
    if types is not None:
        return _dataset(_legacy_signature(types, call.arg(2, "output_shapes")), None, call)
    return DatasetVal(UNKNOWN, None, call.span)


def _yielded_rows(call: Call, signature: Value) -> int | None:
    """The rows every array the generator yields has, where the signature leaves them unknown
    (a generator of ready-made batches): read from what the generator function yields."""
    fn = call.arg(0, "generator")
    if fn is None or call.interp is None:
        return None
    call.interp.uncertain_depth += 1  # TF runs it when the dataset is read, maybe never
    try:
        made = call.interp.call_value(fn, [], {}, call.node)
    finally:
        call.interp.uncertain_depth -= 1
    if not isinstance(made, Seq) or not made.generator:
        return None
    rows: set[Dim] = set()
    if not _leading_rows(made.elem, signature, rows) or len(rows) != 1:
        return None
    n = rows.pop()
    return n if isinstance(n, int) else None


def _leading_rows(value: Value, spec: Value, rows: set[Dim]) -> bool:
    """Collect the first-axis sizes of the yielded arrays whose spec leaves that axis unknown;
    False where the structures do not line up or a yielded size is not known."""
    if isinstance(spec, Tensor):
        if spec.shape.dims is None or not spec.shape.dims:
            return spec.shape.dims is not None  # scalars have no rows
        t = value if isinstance(value, Tensor) else to_tensor(value, "np")
        if t is None or t.shape.dims is None or len(t.shape.dims) != len(spec.shape.dims):
            return False
        if spec.shape.dims[0] is None:
            rows.add(t.shape.dims[0])
        return True
    if isinstance(spec, Seq) and spec.items is not None:
        return (
            isinstance(value, Seq) and value.items is not None and len(value.items) == len(spec.items)
            and all(_leading_rows(v, s, rows) for v, s in zip(value.items, spec.items, strict=True))
        )
    if isinstance(spec, DictVal):
        return (
            isinstance(value, DictVal) and value.complete and set(value.items) == set(spec.items)
            and all(_leading_rows(value.items[k], s, rows) for k, s in spec.items.items())
        )
    return False


@function("tf.data.Dataset.range", "tf.compat.v1.data.Dataset.range")
def _range(call: Call) -> Value:
    out_type = call.kwargs.get("output_type")
    dtype = dtype_of_value(out_type) if out_type is not None else "int64"
    card = None
    bounds = [as_int(a) for a in call.args]
    if 1 <= len(bounds) <= 3 and all(b is not None for b in bounds):
        try:
            card = len(range(*bounds))  # type: ignore[arg-type]
        except ValueError:
            card = None
    return _dataset(Tensor(Shape(()), dtype, "spec"), card, call)


def _zip_structure(v: Value, cards: list[int | None]) -> Value:
    if isinstance(v, DatasetVal):
        cards.append(v.cardinality)
        return v.element
    if isinstance(v, Seq) and v.kind == "list":
        raise ShapeError(
            "Dataset.zip: the datasets must be given as a tuple (or dict), not a list",
            code="dataset-structure",
        )
    if isinstance(v, Seq) and v.items is not None:
        return Seq([_zip_structure(i, cards) for i in v.items], "tuple")
    if isinstance(v, DictVal):
        return DictVal({k: _zip_structure(i, cards) for k, i in v.items.items()})
    cards.append(None)
    return UNKNOWN


@function("tf.data.Dataset.zip", "tf.compat.v1.data.Dataset.zip")
def _zip(call: Call) -> Value:
    if len(call.args) > 1:
        datasets: Value = Seq(list(call.args), "tuple")
    else:
        got = call.arg(0, "datasets")
        if got is None:
            return DatasetVal(UNKNOWN, None, call.span)
        datasets = got
    cards: list[int | None] = []
    element = _zip_structure(datasets, cards)
    known = [c for c in cards if c is not None]
    card = min(known) if known and len(known) == len(cards) else None
    return DatasetVal(element, card, call.span)


@function(
    "tf.data.Dataset.list_files",
    "tf.data.TFRecordDataset",
    "tf.data.TextLineDataset",
    "tf.data.FixedLengthRecordDataset",
    "tf.compat.v1.data.TFRecordDataset",
    "tf.compat.v1.data.TextLineDataset",
)
def _string_source(call: Call) -> Value:
    return _dataset(Tensor(Shape(()), "string", "spec"), None, call)


@function("tf.data.Dataset.random", "tf.data.Dataset.counter", "tf.data.experimental.Counter")
def _int64_source(call: Call) -> Value:
    dtype: DType = "int64"
    given = call.arg(2, "dtype") if call.name.endswith(("counter", "Counter")) else None
    if given is not None:
        dtype = dtype_of_value(given)
    return _dataset(Tensor(Shape(()), dtype, "spec"), None, call)


@function(
    "tf.data.Dataset.sample_from_datasets",
    "tf.data.experimental.sample_from_datasets",
    "tf.data.Dataset.choose_from_datasets",
    "tf.data.experimental.choose_from_datasets",
)
def _from_datasets(call: Call) -> Value:
    given = call.arg(0, "datasets")
    if not isinstance(given, Seq) or given.items is None or not given.items:
        return DatasetVal(UNKNOWN, None, call.span)
    element: Value | None = None
    for d in given.items:
        if not isinstance(d, DatasetVal):
            return DatasetVal(UNKNOWN, None, call.span)
        element = d.element if element is None else common_supertype(element, d.element, call.name)
    return DatasetVal(element if element is not None else UNKNOWN, None, call.span)


@function("tf.data.experimental.assert_cardinality", "tf.data.experimental.ignore_errors")
def _transformation(call: Call) -> Value:
    """The ``tf.data.experimental`` functions that make a transformation for ``Dataset.apply``:
    the dataset is handed to it after these arguments."""
    applied = "_apply_" + call.name.rsplit(".", 1)[1]
    return PartialVal(LibRef("tf.data.experimental." + applied), list(call.args), dict(call.kwargs))


@function("tf.data.experimental._apply_assert_cardinality")
def _apply_assert_cardinality(call: Call) -> Value:
    ds = call.args[-1] if call.args else None
    if not isinstance(ds, DatasetVal):
        return DatasetVal(UNKNOWN, None, call.span)
    given = call.kwargs.get("expected_cardinality", call.args[0] if len(call.args) == 2 else None)
    n = given.value if isinstance(given, Const) else None
    count = n if isinstance(n, int) and not isinstance(n, bool) and n >= 0 else None
    return _same_batches(ds, DatasetVal(ds.element, count, call.span, ds.batch_rows))


@function("tf.data.experimental._apply_ignore_errors")
def _apply_ignore_errors(call: Call) -> Value:
    ds = call.args[-1] if call.args else None
    if not isinstance(ds, DatasetVal):
        return DatasetVal(UNKNOWN, None, call.span)
    return DatasetVal(ds.element, None, call.span)


@function("tf.data.experimental.cardinality")
def _cardinality_fn(call: Call) -> Value:
    return Tensor(Shape(()), "int64", "tf", call.span, "dataset cardinality")


# ----------------------------------------------------------------------------------------------
# Keras dataset utilities


def _kw(call: Call, index: int, name: str, default: Any) -> Any:
    """A constant argument of a Keras utility; UNKNOWN_MARK when given but not known."""
    return call.value(index, name, default)


def _keras_labels(call: Call, labels_index: int, mode_index: int, names_index: int) -> tuple[Any, Dim]:
    """(label_mode or None, number of classes) of a ``*_dataset_from_directory`` call."""
    labels = call.arg(labels_index, "labels")
    if isinstance(labels, Const) and labels.value is None:
        return None, None
    mode = _kw(call, mode_index, "label_mode", "int")
    names = call.arg(names_index, "class_names")
    classes: Dim = None
    if isinstance(names, Seq) and names.size() is not None:
        classes = names.size()
    return mode, classes


def _label_spec(mode: Any, classes: Dim) -> Tensor | None:
    if mode == "int":
        return Tensor(Shape(()), "int32", "spec")
    if mode == "categorical":
        return Tensor(Shape((classes,)), "float32", "spec")
    if mode == "binary":
        return Tensor(Shape((1,)), "float32", "spec")
    return None


def _keras_dataset(call: Call, parts: list[Tensor], batch: Any, subset: Any) -> Value:
    """The dataset of a Keras utility: batched (batch dim None) unless ``batch_size=None``;
    ``subset="both"`` gives a (training, validation) pair."""
    if subset is UNKNOWN_MARK:
        return UNKNOWN
    if batch is UNKNOWN_MARK:
        parts = [Tensor(UNKNOWN_SHAPE, t.dtype, "spec") for t in parts]
    elif batch is not None:
        parts = [Tensor(t.shape.with_batch(None), t.dtype, "spec") for t in parts]
    element: Value = parts[0] if len(parts) == 1 else Seq(list(parts), "tuple")
    if subset == "both":
        return Seq([_dataset(element, None, call), _dataset(element, None, call)], "tuple")
    return _dataset(element, None, call)


@function(
    "keras.utils.image_dataset_from_directory",
    "keras.preprocessing.image_dataset_from_directory",
    "keras.preprocessing.image.image_dataset_from_directory",
)
def _image_dataset_from_directory(call: Call) -> Value:
    if _kw(call, 16, "format", "tf") != "tf":
        return UNKNOWN
    mode, classes = _keras_labels(call, 1, 2, 3)
    channels = {"rgb": 3, "grayscale": 1, "rgba": 4}.get(_kw(call, 4, "color_mode", "rgb"))
    size = call.arg(6, "image_size")
    hw = as_shape(size) if size is not None else Shape((256, 256))
    if hw.dims is None or len(hw.dims) != 2:
        hw = Shape((None, None))
    fmt = _kw(call, 15, "data_format", None)
    h, w = hw.dims  # type: ignore[misc]
    if fmt == "channels_first":
        image = Tensor(Shape((channels, h, w)), "float32", "spec")
    elif fmt in (None, "channels_last"):
        image = Tensor(Shape((h, w, channels)), "float32", "spec")
    else:
        image = Tensor(UNKNOWN_SHAPE, "float32", "spec")
    label = _label_spec(mode, classes)
    if mode is UNKNOWN_MARK or (mode is not None and label is None):
        return UNKNOWN
    parts = [image] if label is None else [image, label]
    return _keras_dataset(call, parts, _kw(call, 5, "batch_size", 32), _kw(call, 10, "subset", None))


@function(
    "keras.utils.text_dataset_from_directory",
    "keras.preprocessing.text_dataset_from_directory",
)
def _text_dataset_from_directory(call: Call) -> Value:
    if _kw(call, 11, "format", "tf") != "tf":
        return UNKNOWN
    mode, classes = _keras_labels(call, 1, 2, 3)
    label = _label_spec(mode, classes)
    if mode is UNKNOWN_MARK or (mode is not None and label is None):
        return UNKNOWN
    text = Tensor(Shape(()), "string", "spec")
    parts = [text] if label is None else [text, label]
    return _keras_dataset(call, parts, _kw(call, 4, "batch_size", 32), _kw(call, 9, "subset", None))


@function(
    "keras.utils.timeseries_dataset_from_array",
    "keras.preprocessing.timeseries_dataset_from_array",
)
def _timeseries_dataset_from_array(call: Call) -> Value:
    if _kw(call, 10, "format", "tf") != "tf":
        return UNKNOWN
    data = call.arg(0, "data")
    converted = convert_component(data) if data is not None else None
    if converted is None or converted.shape.dims is None or not converted.shape.dims:
        return DatasetVal(UNKNOWN, None, call.span)
    # the window length is not static in the element spec
    parts = [Tensor(Shape((None, *converted.shape.dims[1:])), converted.dtype, "spec")]
    targets = call.arg(1, "targets")
    if targets is None:
        return DatasetVal(UNKNOWN, None, call.span)
    if not (isinstance(targets, Const) and targets.value is None):
        t = convert_component(targets)
        if t is None or t.shape.dims is None or not t.shape.dims:
            return DatasetVal(UNKNOWN, None, call.span)
        parts.append(Tensor(Shape(t.shape.dims[1:]), t.dtype, "spec"))
    batch = _kw(call, 5, "batch_size", 128)
    ds = _keras_dataset(call, parts, batch, None)
    length = _kw(call, 2, "sequence_length", None)
    if isinstance(ds, DatasetVal) and isinstance(length, int) and not isinstance(length, bool) and length > 0:
        ds.eager_element = _with_window_length(ds.element, length, 0 if batch is None else 1)
    windows = _window_count(call, converted, targets)
    if isinstance(ds, DatasetVal) and windows is not None and isinstance(batch, int) and batch > 0:
        ds.cardinality = -(-windows // batch)
        ds.batch_rows = (batch, windows // batch, windows % batch)
    return ds


def _with_window_length(element: Value, length: int, axis: int) -> Value | None:
    """The element with the windows' length on their axis: the spec says None there, every
    window iterating the dataset gives has ``sequence_length`` rows."""
    first = element.items[0] if isinstance(element, Seq) and element.items else element
    if not isinstance(first, Tensor) or first.shape.dims is None or len(first.shape.dims) <= axis:
        return None
    dims = list(first.shape.dims)
    dims[axis] = length
    windows = Tensor(Shape(tuple(dims)), first.dtype, first.kind, first.origin, first.label)
    if isinstance(element, Seq) and element.items:
        return Seq([windows, *element.items[1:]], "tuple")
    return windows


def _window_count(call: Call, data: Tensor, targets: Value | None) -> int | None:
    """How many windows ``timeseries_dataset_from_array`` cuts: one every ``sequence_stride``
    rows while ``sequence_length`` rows ``sampling_rate`` apart fit (and a target exists)."""
    length, stride, rate = _kw(call, 2, "sequence_length", None), _kw(call, 3, "sequence_stride", 1), _kw(
        call, 4, "sampling_rate", 1
    )
    rows = data.shape.dims[0] if data.shape.dims else None
    if not isinstance(rows, int) or not all(
        isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in (length, stride, rate, rows)
    ):
        return None
    start, end = _kw(call, 8, "start_index", None), _kw(call, 9, "end_index", None)
    start = 0 if start is None else start
    given_end, end = end is not None, rows if end is None else end
    if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
        return None
    if not 0 <= start < end <= rows or (given_end and end == rows):
        return None  # an index Keras refuses (end_index must stay below the length), or no windows
    n = end - start - (length - 1) * rate
    if targets is not None and not (isinstance(targets, Const) and targets.value is None):
        t = convert_component(targets)
        t_rows = t.shape.dims[0] if t is not None and t.shape.dims else None
        if not isinstance(t_rows, int):
            return None
        n = min(n, t_rows)
    return -(-n // stride) if n > 0 else None


# ----------------------------------------------------------------------------------------------
# element structure helpers


def common_supertype(a: Value, b: Value, what: str) -> Value:
    """The element of a dataset that yields elements of either structure (``concatenate``,
    ``sample_from_datasets``): same structure and dtypes, differing dims become None."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        if a.dtype is not None and b.dtype is not None and a.dtype != b.dtype:
            raise ShapeError(
                f"{what}: incompatible dataset elements: {format_shape(a.shape)} {a.dtype} vs "
                f"{format_shape(b.shape)} {b.dtype} (dtypes must match)",
                code="dataset-structure",
            )
        dtype = a.dtype if a.dtype == b.dtype else None
        return Tensor(join_shape(a.shape, b.shape), dtype, "spec")
    if isinstance(a, Seq) and isinstance(b, Seq) and a.items is not None and b.items is not None:
        if len(a.items) != len(b.items):
            raise ShapeError(
                f"{what}: incompatible dataset elements: a tuple of {len(a.items)} vs a tuple of "
                f"{len(b.items)} components",
                code="dataset-structure",
            )
        return Seq([common_supertype(x, y, what) for x, y in zip(a.items, b.items)], "tuple")
    if isinstance(a, DictVal) and isinstance(b, DictVal):
        if set(a.items) != set(b.items):
            raise ShapeError(
                f"{what}: incompatible dataset elements: dicts with keys {sorted(map(str, a.items))} "
                f"vs {sorted(map(str, b.items))}",
                code="dataset-structure",
            )
        return DictVal({k: common_supertype(x, b.items[k], what) for k, x in a.items.items()})
    if isinstance(a, (Unknown,)) or isinstance(b, (Unknown,)):
        return UNKNOWN
    kinds = {type(a), type(b)}
    if kinds <= {Tensor, Seq, DictVal} and len(kinds) == 2:
        raise ShapeError(
            f"{what}: incompatible dataset element structures", code="dataset-structure"
        )
    return UNKNOWN


def _user_function(fn: Value) -> FunctionVal | None:
    if isinstance(fn, BoundMethod) and isinstance(fn.receiver, Instance):
        found = fn.receiver.cls.lookup(fn.name)
        return found if isinstance(found, FunctionVal) else None
    return fn if isinstance(fn, FunctionVal) else None


def _function_arity(fn: Value) -> tuple[int, int | None] | None:
    """(required, maximum) positional arguments of a user function; None when unknown."""
    bound = 0
    if isinstance(fn, BoundMethod) and isinstance(fn.receiver, Instance):
        found = fn.receiver.cls.lookup(fn.name)
        if not isinstance(found, FunctionVal):
            return None
        fn, bound = found, 1
    if not isinstance(fn, FunctionVal):
        return None
    params = fn.node.args
    positional = len(params.posonlyargs) + len(params.args) - bound
    required = positional - len(fn.defaults)
    if params.kwonlyargs and any(p.arg not in fn.kw_defaults for p in params.kwonlyargs):
        return None
    return max(required, 0), None if params.vararg is not None else positional


def _element_args(ds: DatasetVal) -> list[Value] | None:
    """How TF calls a ``map`` function: tuple elements are spread into arguments."""
    element = traced_element(ds)
    if isinstance(element, Unknown):
        return None
    if isinstance(element, Seq) and element.kind == "tuple":
        if element.items is None:
            return None
        return list(element.items)
    return [element]


def _call_user(call: Call, fn: Value | None, ds: DatasetVal) -> Value:
    """Call the function given to ``map``/``filter``/``flat_map`` with the element; Unknown
    when the element or the function is not known."""
    if fn is None:
        return UNKNOWN
    args = _element_args(ds)
    arity = _function_arity(fn)
    if args is None:
        # An unknown element still goes in as the function's fixed number of arguments (a
        # program that runs matches them); what it returns keeps its structure.
        if arity is None or arity[0] != arity[1] or arity[0] == 0:
            return UNKNOWN
        return call.interp.call_value(fn, [Unknown("element")] * arity[0], {}, call.node)
    if arity is not None:
        required, most = arity
        n = len(args)
        related: list[object] = []
        target = _user_function(fn)
        if target is not None:
            related.append(Related(Span.of(target.node), "the function is defined here"))
        if ds.origin is not None and ds.origin != call.span:
            related.append(Related(ds.origin, f"the dataset's element is {describe_structure(ds.element)}"))
        if most is not None and n > most:
            raise ShapeError(
                f"Dataset.{call.name}: the function takes {most} positional argument"
                f"{'s' if most != 1 else ''} but the dataset element has {n} components "
                f"(a tuple element is passed as separate arguments)",
                code="dataset-map-arity",
                related=related,
            )
        if n < required:
            what = "a dict (passed as one argument)" if isinstance(ds.element, DictVal) else (
                f"{n} component{'s' if n != 1 else ''}"
            )
            raise ShapeError(
                f"Dataset.{call.name}: the function needs {required} positional arguments but "
                f"the dataset element is {what}",
                code="dataset-map-arity",
                related=related,
            )
    node: ast.AST = call.node
    return call.interp.call_value(fn, args, {}, node)


# ----------------------------------------------------------------------------------------------
# methods


@method("dataset", "batch")
def _batch(call: Call) -> Value:
    ds = _receiver(call)
    dim, drop = _batch_dim(call, 0, "batch_size", 1)
    element = map_leaves(ds.element, lambda t: Tensor(t.shape.with_batch(dim), t.dtype, "spec"))
    size = call.int(0, "batch_size")
    card = _batched_cardinality(ds.cardinality, size, drop)
    out = _dataset(element, card, call)
    out.batch_rows = _batch_rows(ds, size, drop)
    return out


@method("dataset", "padded_batch")
def _padded_batch(call: Call) -> Value:
    ds = _receiver(call)
    dim, drop = _batch_dim(call, 0, "batch_size", 3)
    padded = call.arg(1, "padded_shapes")
    if padded is not None and isinstance(padded, Const) and padded.value is None:
        padded = None

    def pad(t: Value, p: Value | None) -> Value:
        if not isinstance(t, Tensor):
            return UNKNOWN
        if t.shape.dims is None:
            return Tensor(UNKNOWN_SHAPE, t.dtype, "spec")
        if p is None:
            return Tensor(t.shape.with_batch(dim), t.dtype, "spec")
        ps = _shape_arg(p)
        if ps.dims is None:
            return Tensor(Shape((dim, *([None] * len(t.shape.dims)))), t.dtype, "spec")
        bad = len(ps.dims) != len(t.shape.dims) or any(
            isinstance(a, int) and isinstance(b, int) and a < b
            for a, b in zip(ps.dims, t.shape.dims)
        )
        if bad:
            raise ShapeError(
                f"Dataset.padded_batch: the padded shape {format_shape(ps)} is not compatible "
                f"with the shape {format_shape(t.shape)} of the corresponding component",
                code="dataset-padded-shape",
            )
        return Tensor(ps.with_batch(dim), t.dtype, "spec")

    def walk(e: Value, p: Value | None) -> Value:
        if isinstance(e, Seq) and e.items is not None:
            if p is None:
                return Seq([walk(i, None) for i in e.items], "tuple")
            if isinstance(p, Seq) and p.items is not None and len(p.items) == len(e.items):
                return Seq([walk(i, q) for i, q in zip(e.items, p.items)], "tuple")
            return map_leaves(e, lambda t: Tensor(UNKNOWN_SHAPE, t.dtype, "spec"))
        if isinstance(e, DictVal):
            if p is None:
                return DictVal({k: walk(i, None) for k, i in e.items.items()})
            if isinstance(p, DictVal):
                return DictVal({k: walk(i, p.items.get(k, UNKNOWN)) for k, i in e.items.items()})
            return map_leaves(e, lambda t: Tensor(UNKNOWN_SHAPE, t.dtype, "spec"))
        return pad(e, p)

    element = walk(ds.element, padded)
    size = call.int(0, "batch_size")
    card = _batched_cardinality(ds.cardinality, size, drop)
    out = _dataset(element, card, call)
    out.batch_rows = _batch_rows(ds, size, drop)
    return out


@method("dataset", "unbatch")
def _unbatch(call: Call) -> Value:
    ds = _receiver(call)

    def strip(t: Tensor) -> Value:
        dims = t.shape.dims
        if dims is None:
            return Tensor(UNKNOWN_SHAPE, t.dtype, "spec")
        if not dims:
            raise ShapeError(
                "Dataset.unbatch: cannot unbatch an element with scalar components",
                code="dataset-unbatch",
            )
        return Tensor(Shape(dims[1:]), t.dtype, "spec")

    return _dataset(map_leaves(ds.element, strip), None, call)


@method("dataset", "rebatch")
def _rebatch(call: Call) -> Value:
    ds = _receiver(call)
    dim, _ = _batch_dim(call, 0, "batch_size", 1)

    def rebatch(t: Tensor) -> Value:
        dims = t.shape.dims
        if dims is None:
            return Tensor(UNKNOWN_SHAPE, t.dtype, "spec")
        if not dims:
            raise ShapeError(
                "Dataset.rebatch: the dataset has scalar components; rebatch needs batched "
                "elements (apply .batch() first)",
                code="dataset-batch",
            )
        return Tensor(Shape((dim, *dims[1:])), t.dtype, "spec")

    return _dataset(map_leaves(ds.element, rebatch), None, call)


@method("dataset", "map")
def _map(call: Call) -> Value:
    ds = _receiver(call)
    fn = call.arg(0, "map_func")
    result = _call_user(call, fn, ds)
    out = _dataset(to_element(result, top_list_is_tuple=True), ds.cardinality, call)
    if ds.batch_rows is not None and _keeps_batch_axis(call, fn, ds, out):
        out.batch_rows, out.batches_shuffled = ds.batch_rows, ds.batches_shuffled
    if ds.eager_element is not None and isinstance(out, DatasetVal):
        # the function runs on the windows iterating gives, not only on the spec
        got = _quiet_run(call, fn, DatasetVal(ds.eager_element, ds.cardinality, ds.origin))
        if got is not None and _refines(got, out.element):
            out.eager_element = map_leaves(got, _with_kind("spec"))
    return out


def _quiet_run(call: Call, fn: Value | None, ds: DatasetVal) -> Value | None:
    """The element ``fn`` makes of ``ds``'s, run only to compare: nothing is recorded or
    reported; None where it fails."""
    interp = call.interp
    before = len(interp.issues)
    interp.muted += 1
    interp.uncertain_depth += 1
    try:
        return to_element(_call_user(call, fn, ds), top_list_is_tuple=True)
    except (ShapeError, Unknowable):
        return None
    finally:
        interp.muted -= 1
        interp.uncertain_depth -= 1
        for key in list(interp.issues)[before:]:
            del interp.issues[key]


def _refines(a: Value, spec: Value) -> bool:
    """``a`` has ``spec``'s structure, ranks and dtypes, and each of its dims is the spec's
    or fills a None of it."""
    return _leaves_match(a, spec, refine=True)


def _keeps_batch_axis(call: Call, fn: Value | None, ds: DatasetVal, mapped: DatasetVal) -> bool:
    """Whether a ``map`` over batches gives batches of the same rows: run on each batch size
    iterating really gives, the function returns the mapped spec with that size in place of the
    batch axis's None (``tf.reshape(x, [-1])`` does not). The runs only compare: they record
    nothing and report nothing."""
    assert ds.batch_rows is not None
    size, full, rest = ds.batch_rows
    for rows in ({size} if full else set()) | ({rest} if rest else set()):
        got = _quiet_run(call, fn, DatasetVal(_with_rows(ds.element, rows), ds.cardinality, ds.origin))
        if got is None or not _same_leaves(got, _with_rows(mapped.element, rows)):
            return False
    return True


def _with_rows(element: Value, rows: int) -> Value:
    return map_leaves(element, lambda t: Tensor(_rows_shape(t.shape, rows), t.dtype, "spec"))


def _same_leaves(a: Value, b: Value) -> bool:
    return _leaves_match(a, b, refine=False)


def _leaves_match(a: Value, b: Value, refine: bool) -> bool:
    """Same structure, and per tensor the same known dims; with ``refine``, ``b`` is a spec
    whose None dims ``a`` may fill, and the dtypes must agree too."""
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        da, db = a.shape.dims, b.shape.dims
        if da is None or db is None:
            return False
        if not refine:
            return da == db
        return len(da) == len(db) and a.dtype == b.dtype and all(y is None or x == y for x, y in zip(da, db, strict=True))
    if isinstance(a, Seq) and isinstance(b, Seq) and a.items is not None and b.items is not None:
        return len(a.items) == len(b.items) and all(
            _leaves_match(x, y, refine) for x, y in zip(a.items, b.items, strict=True)
        )
    if isinstance(a, DictVal) and isinstance(b, DictVal):
        return a.items.keys() == b.items.keys() and all(_leaves_match(v, b.items[k], refine) for k, v in a.items.items())
    return False


@method("dataset", "filter", "take_while")
def _filter(call: Call) -> Value:
    ds = _receiver(call)
    _call_user(call, call.arg(0, "predicate"), ds)
    return DatasetVal(ds.element, None, call.span)


@method("dataset", "flat_map", "interleave")
def _flat_map(call: Call) -> Value:
    ds = _receiver(call)
    result = _call_user(call, call.arg(0, "map_func"), ds)
    element = result.element if isinstance(result, DatasetVal) else UNKNOWN
    return DatasetVal(element, None, call.span)


@method("dataset", "window")
def _window(call: Call) -> Value:
    """Each element becomes a window: the element's structure with a dataset of up to
    ``size`` consecutive components in place of each tensor."""
    ds = _receiver(call)
    size = call.int(0, "size")
    if size is not None and size <= 0:
        raise ShapeError(f"Dataset.window: size must be greater than zero, got {size}", code="dataset-batch")
    shift = call.int(1, "shift", size)
    stride = call.int(2, "stride", 1)
    drop = call.value(3, "drop_remainder", False)
    exact = size if drop is True else None  # windows at the end are shorter otherwise
    element = map_leaves(ds.element, lambda t: DatasetVal(t, exact, call.span))
    count: int | None = None
    n = ds.cardinality
    if n is not None and n >= 0 and size is not None and shift and shift > 0 and stride and stride > 0:
        if drop is True:
            span = (size - 1) * stride + 1
            count = 0 if n < span else (n - span) // shift + 1
        elif drop is False:
            count = -(-n // shift)
    return DatasetVal(element, count, call.span)


@method("dataset", "apply")
def _apply(call: Call) -> Value:
    ds = _receiver(call)
    fn = call.arg(0, "transformation_func")
    if fn is None:
        return DatasetVal(UNKNOWN, None, call.span)
    result = call.interp.call_value(fn, [ds], {}, call.node)
    return result if isinstance(result, DatasetVal) else DatasetVal(UNKNOWN, None, call.span)


@method(
    "dataset",
    "shuffle",
    "prefetch",
    "cache",
    "with_options",
    "snapshot",
)
def _same(call: Call) -> Value:
    ds = _receiver(call)
    out = DatasetVal(ds.element, ds.cardinality, call.span, ds.batch_rows, ds.eager_rows)
    out.batches_shuffled = ds.batches_shuffled or (call.name.endswith("shuffle") and ds.batch_rows is not None)
    out.eager_element = ds.eager_element
    return out


@method("dataset", "ignore_errors")
def _same_unknown_count(call: Call) -> Value:
    ds = _receiver(call)
    return DatasetVal(ds.element, None, call.span)


@method("dataset", "unique")
def _unique(call: Call) -> Value:
    ds = _receiver(call)
    element = ds.element
    count = _leaf_count(element)
    if count is not None and count != 1:
        raise ShapeError(
            f"Dataset.unique: the element must be a single tensor, but it has {count} "
            f"components ({describe_structure(element)})",
            code="dataset-unique",
        )
    single = _only_leaf(element)
    if isinstance(single, Tensor) and single.dtype is not None and single.dtype not in ("int32", "int64", "string"):
        raise ShapeError(
            f"Dataset.unique supports int32, int64 and string elements, not {single.dtype}",
            code="dataset-unique",
        )
    return DatasetVal(element, None, call.span)


def _leaf_count(v: Value) -> int | None:
    if isinstance(v, Tensor):
        return 1
    if isinstance(v, Seq) and v.items is not None:
        counts = [_leaf_count(i) for i in v.items]
        return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)
    if isinstance(v, DictVal):
        counts = [_leaf_count(i) for i in v.items.values()]
        return None if any(c is None for c in counts) else sum(c for c in counts if c is not None)
    return None


def _only_leaf(v: Value) -> Value:
    while isinstance(v, Seq) and v.items is not None and len(v.items) == 1:
        v = v.items[0]
    while isinstance(v, DictVal) and len(v.items) == 1:
        v = next(iter(v.items.values()))
    return v


@method(
    "dataset",
    "group_by_window",
    "bucket_by_sequence_length",
    "ragged_batch",
    "sparse_batch",
    "scan",
)
def _unknown_element(call: Call) -> Value:
    return DatasetVal(UNKNOWN, None, call.span)


@method("dataset", "repeat")
def _repeat(call: Call) -> Value:
    ds = _receiver(call)
    count = call.arg(0, "count")
    card: int | None = None
    c = as_int(count) if count is not None else -1
    if c is not None and c >= 0 and ds.cardinality is not None:
        card = ds.cardinality * c
    # each pass gives the same batches again (in another order if they were shuffled)
    return _same_batches(ds, DatasetVal(ds.element, card, call.span, ds.batch_rows, ds.eager_rows))


def _same_batches(ds: DatasetVal, out: DatasetVal) -> DatasetVal:
    """``out`` gives batches of ``ds`` in ``ds``'s order, so shuffled ones stay shuffled."""
    out.batches_shuffled = ds.batches_shuffled and out.batch_rows is not None
    if out.element is ds.element:
        out.eager_element = ds.eager_element
    return out


@method("dataset", "take")
def _take(call: Call) -> Value:
    ds = _receiver(call)
    c = call.int(0, "count")
    n = ds.cardinality
    card: int | None = None
    if c is not None and n is not None:
        card = n if c < 0 else min(n, c)
    rows = ds.batch_rows
    if rows is not None and ds.batches_shuffled and rows[2]:
        if c is None or 0 <= c <= rows[1]:
            rows = None  # the smaller batch may be among those taken, or not
    elif rows is not None and c is not None and 0 <= c <= rows[1]:
        rows = (rows[0], c, 0)  # only full batches
    return _same_batches(ds, DatasetVal(ds.element, card, call.span, rows, ds.eager_rows))


@method("dataset", "skip")
def _skip(call: Call) -> Value:
    ds = _receiver(call)
    c = call.int(0, "count")
    n = ds.cardinality
    card: int | None = None
    if c is not None and n is not None:
        card = 0 if c < 0 else max(n - c, 0)
    rows = ds.batch_rows
    if rows is not None and ds.batches_shuffled and rows[2] and c != 0:
        rows = None  # the smaller batch may be among those skipped, or not
    elif rows is not None:
        rows = (rows[0], rows[1] - c, rows[2]) if c is not None and 0 <= c <= rows[1] else None
    return _same_batches(ds, DatasetVal(ds.element, card, call.span, rows, ds.eager_rows))


@method("dataset", "shard")
def _shard(call: Call) -> Value:
    ds = _receiver(call)
    k, i, n = call.int(0, "num_shards"), call.int(1, "index"), ds.cardinality
    card: int | None = None
    if k is not None and i is not None and n is not None and k > 0 and 0 <= i < k:
        card = n // k + (1 if i < n % k else 0)
    return DatasetVal(ds.element, card, call.span)


@method("dataset", "enumerate")
def _enumerate(call: Call) -> Value:
    ds = _receiver(call)
    index = Tensor(Shape(()), "int64", "spec", call.span, f"dataset index (line {call.span.line})")
    return _same_batches(ds, DatasetVal(Seq([index, ds.element], "tuple"), ds.cardinality, call.span, ds.batch_rows))


@method("dataset", "concatenate")
def _concatenate(call: Call) -> Value:
    ds = _receiver(call)
    other = call.arg(0, "dataset")
    if not isinstance(other, DatasetVal):
        return DatasetVal(UNKNOWN, None, call.span)
    element = common_supertype(ds.element, other.element, "Dataset.concatenate")
    a, b = ds.cardinality, other.cardinality
    return _dataset(element, a + b if a is not None and b is not None else None, call)


@method("dataset", "as_numpy_iterator")
def _as_numpy_iterator(call: Call) -> Value:
    ds = _receiver(call)
    return Seq(None, "list", numpy_element(ds), ds.cardinality)


@method("dataset", "get_single_element")
def _get_single_element(call: Call) -> Value:
    return iterated_element(_receiver(call))


@method("dataset", "cardinality")
def _cardinality(call: Call) -> Value:
    return Tensor(Shape(()), "int64", "tf", call.span, "dataset cardinality")


@attribute("dataset", "element_spec")
def _element_spec(v: Value) -> Value:
    # fresh containers: code that edits the structure it got must not change the dataset
    return map_leaves(v.element, _with_kind("spec")) if isinstance(v, DatasetVal) else UNKNOWN


__all__ = [
    "common_supertype",
    "convert_component",
    "first_element",
    "iterated_element",
    "map_leaves",
    "numpy_element",
    "spec_structure",
    "to_element",
    "traced_element",
]

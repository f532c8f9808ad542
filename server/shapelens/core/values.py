"""Abstract values the interpreter computes with.

Each Python expression evaluates to one of these: a known Python constant, a sequence or dict,
a tensor (with shape, dtype and flavour: tf/numpy/keras/variable), a Keras layer or model, a
tf.data dataset (its element structure), a user function or class, or a reference to a library
object (`LibRef`, a canonical dotted name like ``keras.layers.Dense``). Anything else is
`Unknown`: the analysis goes on, and nothing is claimed about it.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .facts import Span
from .shapes import (
    UNKNOWN_SHAPE,
    Dim,
    DType,
    Shape,
    format_shape,
    join_shape,
)

if TYPE_CHECKING:
    from .layers.base import LayerSpec


class Value:
    """Base of all abstract values."""

    __slots__ = ()

    def describe(self) -> str:
        return type(self).__name__


@dataclass(eq=False, slots=True)
class Unknown(Value):
    """Nothing is known. ``name`` is the variable it was bound to, used as a symbolic dim.
    ``pytype``: the value is certainly a Python scalar of that type (an ``enumerate`` index,
    ``len()`` of something of unknown length, an f-string), so ``np.array`` of a list of them
    still has a known dtype."""

    name: str | None = None
    pytype: type | None = None

    def describe(self) -> str:
        return "unknown"


UNKNOWN = Unknown()


@dataclass(eq=False, slots=True)
class OneOf(Unknown):
    """One of a few known callables, which one not known (``random.choice(FORMATS)(d, m, y)``).
    Everywhere but a call it is simply unknown; called, each option runs as a possibility."""

    options: tuple[Value, ...] = ()


@dataclass(eq=False, slots=True)
class AutoName(Unknown):
    """The name Keras gives a layer created without one: its class name in snake case, then
    ``_1``, ``_2``... after the first (``batch_normalization_3``). Which suffix is unknown,
    but ``layer.name == "last_conv"`` is certainly false for a BatchNormalization."""

    prefix: str = ""
    # the layer this is the name of, when one is: ``model.get_layer(layer.name)`` finds it
    owner: Value | None = None

    def may_equal(self, text: str) -> bool:
        if text == self.prefix:
            return True
        rest = text[len(self.prefix) + 1 :]
        return text.startswith(self.prefix + "_") and rest.isdigit()

    def contains(self, text: str) -> bool | None:
        """``text in name``: True when the prefix has it, False when it has a character the
        name cannot, None when it may straddle the suffix."""
        if text in self.prefix:
            return True
        allowed = set(self.prefix) | set("_0123456789")
        return False if any(c not in allowed for c in text) else None

    def starts_with(self, text: str) -> bool | None:
        """``name.startswith(text)``: certain unless ``text`` reaches into the suffix."""
        if self.prefix.startswith(text):
            return True
        rest = text[len(self.prefix) + 1 :]
        if text.startswith(self.prefix + "_") and (not rest or rest.isdigit()):
            return None
        return False

    def ends_with(self, text: str) -> bool | None:
        """``name.endswith(text)``: the name ends in the prefix's last letter or a digit."""
        if not text:
            return True
        last = text[-1]
        if not last.isdigit() and not self.prefix.endswith(text):
            return False
        return None


class LoopPass:
    """One abstract pass of one loop (or one comprehension). Values derived from its loop
    variable are related only while the pass runs: a value kept in a container, or kept from
    an earlier pass, may come from another iteration."""

    __slots__ = ("live",)

    def __init__(self) -> None:
        self.live = True


@dataclass(eq=False, slots=True)
class SeqLength(Unknown):
    """``len(s)`` of a list ``s`` of unknown length, or with ``total`` set ``total - len(s)``:
    how many items pad ``s`` to ``total`` (``s + [0] * (max_len - len(s))``)."""

    seq: Seq | None = None
    total: int | None = None


@dataclass(eq=False, slots=True)
class BoundedInt(Unknown):
    """An int not known here whose range is: a loop variable over a long ``range``, or such a
    variable plus a constant. ``lo``..``hi`` bound this value (inclusive); ``base`` is the
    loop pass whose variable it is derived from and ``offset`` is this value minus that
    variable, so ``x[i:i + 10]`` is known to take 10 items when ``i + 10`` never passes the
    end. A range's own element has no pass (``base`` None) and relates to nothing."""

    lo: int = 0
    hi: int = 0
    base: LoopPass | None = None
    offset: int = 0

    def shifted(self, by: int) -> BoundedInt:
        return BoundedInt(None, int, self.lo + by, self.hi + by, self.base, self.offset + by)

    def in_pass(self, loop: LoopPass) -> BoundedInt:
        """The loop variable itself, for one pass of a loop over this range."""
        return BoundedInt(None, int, self.lo, self.hi, loop, 0)

    def unrelated(self) -> BoundedInt:
        """The same range, related to nothing (a value that may come from another pass)."""
        return BoundedInt(self.name, int, self.lo, self.hi, None, 0)

    def related_to(self, other: BoundedInt) -> bool:
        """Both derive from the variable of the pass now running."""
        return self.base is not None and self.base is other.base and self.base.live


@dataclass(eq=False, slots=True)
class Const(Value):
    """A known Python scalar: int, float, bool, str, bytes, None, Ellipsis, or a slice."""

    value: Any

    def describe(self) -> str:
        return repr(self.value)


@dataclass(eq=False, slots=True)
class Seq(Value):
    """A list or tuple. ``items`` when each element is known; else a homogeneous ``elem`` and
    possibly a known ``length`` (e.g. a comprehension over ``range(32)``)."""

    items: list[Value] | None
    kind: Literal["list", "tuple"] = "tuple"
    elem: Value = field(default_factory=Unknown)
    length: int | None = None
    # how many uncertain branches/loops deep the program was when it made this list: a
    # mutation at that depth (a function's own list, even when the call is in a branch) is
    # certain, one deeper may not happen
    created_depth: int = 0
    generator: bool = False  # what a generator function returns: ``elem`` is what it yields
    # an iterator (zip, map, enumerate, iter(), a generator expression): reading it uses it up,
    # so once read its items are no longer known (``Interpreter.consume``)
    one_shot: bool = False
    # a set whose iteration order is not known (strings: their hashes vary per run); ``items``
    # are its members, read for size, membership and sorting but not in order
    unordered: bool = False
    # of unknown length, but at most this many items (a slice ``s[:k]`` / ``s[-k:]``)
    at_most: int | None = None
    # ``[pad] * (total - len(s))`` as (total, s): this list pads ``s`` to ``total`` items
    pad_of: tuple[int, Seq] | None = None
    # a TF TensorShape (a tf.Tensor's or tf.Variable's ``.shape``, or a slice of one): true even
    # when it has no dims, unlike a tuple
    tensor_shape: bool = False
    # a collections.deque(maxlen=n): appending past n items drops the oldest
    maxlen: int | None = None
    # a library's named result (``TopKV2(values, indices)``): its items read by field name
    fields: tuple[str, ...] | None = None

    def size(self) -> int | None:
        return len(self.items) if self.items is not None else self.length

    def element_join(self) -> Value:
        if self.items is None:
            return self.elem
        if not self.items:
            return UNKNOWN
        out = self.items[0]
        for it in self.items[1:]:
            out = join(out, it)
        return out


@dataclass(eq=False, slots=True)
class DictVal(Value):
    """A dict with known (constant) keys. ``complete=False``: more keys may have been added
    where the engine could not see which (inside an unknown loop or with an unknown key);
    then ``items`` holds only what is known and the key set/size is unknown."""

    items: dict[Any, Value]
    complete: bool = True
    # what the values under keys the engine could not name (an incomplete dict) have in common
    others: Value | None = None
    created_depth: int = 0  # as for `Seq`
    # what those keys have in common (``pos[u] = ...`` for an int ``u`` of unknown value)
    other_keys: Value | None = None
    counter: bool = False  # a collections.Counter: update() adds counts
    # what keras.saving.serialize_keras_object made this config of (deserializing makes it again)
    serialized: Value | None = None

    def store_unknown_key(self, value: Value, key: Value | None = None) -> None:
        """A value goes in under a key the engine cannot name (``key``: what is known of it)."""
        key = key if key is not None else Unknown()
        if self.complete:
            self.others, self.other_keys = value, key
        elif self.others is not None:
            self.others = join(self.others, value)
            self.other_keys = join(self.other_keys, key) if self.other_keys is not None else None
        self.complete = False

    def lose_keys(self) -> None:
        """Keys and values the engine cannot see may have been added."""
        self.complete = False
        self.others = None
        self.other_keys = None

    def key_join(self) -> Value:
        """What every key has in common (the known ones and those stored under unknown keys)."""
        out: Value | None = None if self.complete else (self.other_keys or Unknown())
        for k in self.items:
            out = Const(k) if out is None else join(out, Const(k))
        return out if out is not None else Unknown()

    def value_join(self) -> Value:
        out: Value | None = None if self.complete else (self.others or Unknown())
        for v in self.items.values():
            out = v if out is None else join(out, v)
        return out if out is not None else Unknown()


@dataclass(eq=False, slots=True)
class SliceVal(Value):
    lower: Value
    upper: Value
    step: Value


TensorKind = Literal["tf", "np", "keras", "var", "spec", "ragged", "sparse"]


@dataclass(eq=False, slots=True)
class Tensor(Value):
    """A tensor-like value. ``kind``: eager tf.Tensor, numpy ndarray, symbolic KerasTensor,
    tf.Variable, TensorSpec, ragged or sparse. ``origin`` is where it was produced,
    ``label`` says by what (for messages naming where each side came from)."""

    shape: Shape
    dtype: DType = None
    kind: TensorKind = "tf"
    origin: Span | None = None
    label: str = ""
    content: list[Value] | None = None  # known elements of small 1-D int tensors (tf.shape)
    history: Any = None  # (layer, inputs) that produced a KerasTensor, for model replays
    name: str | None = None  # keras.Input(name=...)
    # every element is an int in lo..hi (inclusive): random integers drawn in a known range,
    # and slices of them; iterating such an array gives window starts (``x[s:s + k]``)
    value_range: tuple[int, int] | None = None
    # the ``keras.Input(...)`` call that made this tensor (a number unique to that call; copies
    # keep it), None for every other tensor
    input_token: int | None = None

    def describe(self) -> str:
        return f"{format_shape(self.shape)} {self.dtype or '?'}"

    def with_shape(self, shape: Shape, dtype: DType | str = "same") -> Tensor:
        return Tensor(
            shape,
            self.dtype if dtype == "same" else dtype,
            self.kind,
            None,
            "",
        )


@dataclass(eq=False, slots=True)
class OpNode(Value):
    """A ``keras.ops`` function or an operator applied to KerasTensors outside any layer, as
    the producer in a KerasTensor's ``history``: a node of the functional graph (so the walk
    from a model's outputs reaches the layers before it) that is no layer and has no weights.
    ``node``: the call or operator expression; ``operator``: the ``ast`` operator class of a
    binary operator. A replay re-runs a library function (by ``name``) or a binary operator."""

    name: str
    node: ast.AST | None = None
    operator: type | None = None
    replayable: bool = False


JOIN_NODE = OpNode("join")  # the producer of a KerasTensor that is one of several (branches)


@dataclass(eq=False, slots=True)
class KerasVariable(Tensor):
    """A ``keras.Variable``: kept in a layer's attribute, Keras tracks it as one of the layer's
    weights (a ``tf.Variable`` it does not). ``trainable``: None when not known."""

    trainable: bool | None = True
    owner: Any = None  # the layer Instance whose attribute first held it


@dataclass(eq=False, slots=True)
class LibRef(Value):
    """A library module, class or function, by canonical dotted name (``tf.reshape``).
    ``standalone``: reached through the ``keras`` package itself (Keras 3), not ``tf.keras``,
    whose ``backend`` still has the Keras 2 helpers."""

    name: str
    standalone: bool = False

    def describe(self) -> str:
        return self.name


@dataclass(eq=False, slots=True)
class BoundMethod(Value):
    receiver: Value
    name: str


@dataclass(eq=False, slots=True)
class LayerVal(Value):
    """A Keras layer instance built from a known layer class."""

    spec: LayerSpec
    args: list[Value]
    kwargs: dict[str, Value]
    origin: Span | None = None
    built_input: Any = None  # input structure (shapes) of the first call
    built_call: tuple[list[Value], dict[str, Value]] | None = None  # arguments of the first call
    outputs: Any = None  # last output value
    # ``layer.output``: what its first symbolic call (Keras' first node) gave; eager calls make
    # no node. ``symbolic_output_unsure``: that first call may not have run
    symbolic_output: Any = None
    symbolic_output_unsure: bool = False
    config_cache: dict[str, Any] = field(default_factory=dict)
    file: str | None = None  # the source file of ``origin``
    kwarg_spans: dict[str, Span] = field(default_factory=dict)  # where each keyword was written
    created_depth: int = 0  # the interpreter's uncertainty depth where it was made
    # first built on a path that may not run (a branch, a loop that may not iterate); then
    # ``build_conflict`` once a call disagrees with that build: which build Keras made is not known
    build_uncertain: bool = False
    build_conflict: bool = False
    escaped: bool = False  # handed to code the engine cannot follow (which may have built it)
    # the compute dtype of the global policy when the layer was made (its own without a dtype=)
    policy: str | None = "float32"
    # Keras' image data format when the layer was made (its data_format without one given)
    image_format: str | None = "channels_last"

    @property
    def class_name(self) -> str:
        return self.spec.name

    def describe(self) -> str:
        return f"{self.spec.name} layer"


@dataclass(eq=False, slots=True)
class ModelVal(Value):
    """A Keras model: ``sequential``, ``functional`` or an instance of a user subclass."""

    kind: Literal["sequential", "functional", "subclass", "application"]
    layers: list[Value] = field(default_factory=list)
    # the compute dtype of the global policy when the model was made (None: not known)
    policy: str | None = "float32"
    inputs: Value | None = None  # structure of keras tensors
    outputs: Value | None = None
    origin: Span | None = None
    name: str | None = None
    compiled: dict[str, Value] | None = None
    compile_span: Span | None = None
    input_from_first_layer: bool = False
    # a Sequential given its input (an Input, an InputLayer, input_shape=): Keras checks a
    # symbolic call's input against it
    declared_input: bool = False
    spans: list[Span | None] = field(default_factory=list)  # constructor span of each layer
    instance: Any = None  # the Instance for subclassed models
    built_input: Value | None = None
    escaped: bool = False  # passed to code the engine cannot see (it may compile/change it)
    loss_span: Span | None = None  # the loss argument of compile(), for quick fixes
    trainable: Value | None = None  # ``model.trainable = ...`` when assigned
    created_depth: int = 0  # the interpreter's uncertainty depth where the model was made
    layers_uncertain: bool = False  # layers added or removed where the engine cannot tell how often
    input_layer: Any = None  # the LayerVals standing for a functional model's InputLayers, by id(input)
    # False only for a ``keras.Sequential(...)`` that no call has been given yet (called, or
    # passed to anything): Keras 3 gives such a Sequential no ``input``/``output``
    maybe_called: bool = True

    def describe(self) -> str:
        return f"{self.kind} model"


@dataclass(eq=False, slots=True)
class DatasetVal(Value):
    """A tf.data.Dataset with a known element structure (tensors of kind ``spec``)."""

    element: Value
    cardinality: int | None = None
    origin: Span | None = None
    # a batched dataset over a known number of rows: (batch size, full batches, rows in the last
    # smaller batch or 0). The element spec says None for the batch axis; the tensors iterating it
    # gives have these sizes.
    batch_rows: tuple[int, int, int] | None = None
    # a generator that always yields arrays of one number of rows, where the signature says
    # None: the tensors iterating it gives have them (traced functions still see the
    # signature). Read when the dataset is read, as TF runs the generator then.
    eager_rows: Callable[[], int | None] | None = None
    # shuffled after batching: a smaller last batch may come first
    batches_shuffled: bool = False
    # the element as iterating gives it, where the spec says None for an axis every element
    # has one size on (the window length of ``timeseries_dataset_from_array``); the batch axis
    # still comes from ``batch_rows``
    eager_element: Value | None = None


@dataclass(eq=False, slots=True)
class FunctionVal(Value):
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    closure: Any  # Env
    defaults: list[Value] = field(default_factory=list)
    kw_defaults: dict[str, Value] = field(default_factory=dict)
    owner: Any = None  # ClassVal for methods
    name: str = "<lambda>"
    called: bool = False
    file: str | None = None  # the source file defining it (user modules are followed)
    is_property: bool = False  # `@property`: reading the attribute calls it
    binding: str = "method"  # "static" (@staticmethod) or "class" (@classmethod) in a class body
    # ``tf.function(input_signature=...)``: what TF traces the body with instead of the
    # arguments' own shapes (a list of specs; UNKNOWN when not readable)
    signature: Value | None = None
    # ``@tf.custom_gradient``: the body returns ``(value, grad_fn)`` and a call gives the value
    custom_gradient: bool = False


@dataclass(eq=False, slots=True)
class ClassVal(Value):
    node: ast.ClassDef
    name: str
    bases: list[Value]
    namespace: dict[str, Value]
    fields: list[str] | None = None  # set for @dataclass classes and named tuples: __init__ parameters in order
    is_namedtuple: bool = False

    def mro(self) -> list[Value]:
        out: list[Value] = [self]
        for b in self.bases:
            if isinstance(b, ClassVal):
                for c in b.mro():
                    if c not in out:
                        out.append(c)
            else:
                out.append(b)
        return out

    def lookup(self, name: str) -> Value | None:
        for c in self.mro():
            if isinstance(c, ClassVal) and name in c.namespace:
                return c.namespace[name]
        return None

    def library_bases(self) -> list[str]:
        return [b.name for b in self.mro() if isinstance(b, LibRef)]


@dataclass(eq=False, slots=True)
class Instance(Value):
    cls: ClassVal
    attrs: dict[str, Value] = field(default_factory=dict)
    built: bool = False
    model: ModelVal | None = None  # set for keras.Model subclasses
    origin: Span | None = None
    file: str | None = None
    created_depth: int = 0  # the interpreter's uncertainty depth where it was made
    # a custom layer's own weights (``add_weight``): (element count, trainable) each, None
    # where not known; ``weights_uncertain``: one was added where it may not have been
    own_weights: list[tuple[int | None, bool | None]] = field(default_factory=list)
    weights_uncertain: bool = False
    # a custom layer's first symbolic call: (its first input, its output), Keras' ``layer.input``
    # and ``layer.output``
    first_node: tuple[Value, Value] | None = None
    # a Keras layer's dtype for its inputs, from what reached keras.layers.Layer.__init__:
    # False until that is seen, then the dtype (None where not known, "" where autocast is off)
    input_dtype: str | bool | None = False
    compute_dtype: str | None = None  # the layer's compute dtype, from the same arguments
    # a subclass of a built-in layer (``class Scaled(layers.Dense)``): that layer, made from
    # what reached the built-in ``__init__``; its rule gives the output when ``call`` is inherited
    base_layer: LayerVal | None = None
    # attributes may have been set where the engine cannot see (``setattr`` with a name it does
    # not know, ``__dict__``, handed to code it does not follow): a missing one may exist
    open_attrs: bool = False


@dataclass(eq=False, slots=True)
class FieldDefault(Value):
    """``dataclasses.field(default=..., default_factory=...)`` in a dataclass body: what each new
    instance gets for that field when the constructor does not set it."""

    default: Value | None = None
    factory: Value | None = None


@dataclass(eq=False, slots=True)
class ModuleVal(Value):
    """One of the user's own modules, analysed: its top-level names."""

    name: str
    namespace: dict[str, Value]
    path: str = ""


@dataclass(eq=False, slots=True)
class NamespaceVal(Value):
    """An object used only for its attributes (argparse.Namespace, SimpleNamespace)."""

    attrs: dict[str, Value] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class SignatureDecorator(Value):
    """``tf.function(input_signature=...)`` used as a decorator: it fixes the signature of the
    function it decorates."""

    signature: Value


@dataclass(eq=False, slots=True)
class PartialVal(Value):
    """functools.partial(func, *args, **kwargs)."""

    func: Value
    args: list[Value]
    kwargs: dict[str, Value]


@dataclass(eq=False, slots=True)
class SuperVal(Value):
    instance: Value
    after: ClassVal


# ---------------------------------------------------------------------------------------------
# helpers


# ``sys.argv[1:]``: the command line a plain run of the script gets (what ``parse_args()``
# reads when it is given nothing)
COMMAND_LINE_ARGS = "sys.argv[1:]"


def const_value(v: Value, default: Any = None) -> Any:
    return v.value if isinstance(v, Const) else default


def as_int(v: Value) -> int | None:
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return v.value
    return None


def as_dim(v: Value) -> Dim:
    """A value used as a dimension: int, None (unknown) or a symbolic name."""
    if isinstance(v, Const):
        if isinstance(v.value, int) and not isinstance(v.value, bool):
            return v.value
        return None
    if isinstance(v, Unknown) and v.name:
        return v.name
    if isinstance(v, Tensor) and v.content is not None and len(v.content) == 1:
        return as_dim(v.content[0])
    return None


def as_shape(v: Value) -> Shape:
    """A value used as a shape argument: a tuple/list of dims, an int, a TensorShape-like."""
    if isinstance(v, Seq):
        if v.items is not None:
            return Shape(tuple(as_dim(i) for i in v.items))
        if v.length is not None:
            return Shape((None,) * v.length)
        return UNKNOWN_SHAPE
    if isinstance(v, Const) and isinstance(v.value, int) and not isinstance(v.value, bool):
        return Shape((v.value,))
    if isinstance(v, Tensor):
        if v.content is not None:
            return Shape(tuple(as_dim(i) for i in v.content))
        if v.shape.dims is not None and len(v.shape.dims) == 1 and isinstance(v.shape.dims[0], int):
            return Shape((None,) * v.shape.dims[0])
    return UNKNOWN_SHAPE


@dataclass(eq=False, slots=True)
class DimOf(Unknown):
    """The size of axis ``axis`` of the array ``source``, not known here (``len(x)`` or
    ``x.shape[0]`` of data of unknown length): equal to that axis, so ``x.reshape(len(x), -1)``
    knows its ``-1``. ``source`` is the engine's value of the array, one per run-time array."""

    source: Tensor | None = None
    axis: int = 0


def shape_value(shape: Shape, concrete: bool = False, of: Tensor | None = None) -> Value:
    """A tensor's ``.shape`` as a Python value (a tuple of ints/None). ``concrete``: the value
    exists (a numpy array), so a dim the engine does not know is an int it cannot read, not
    None as in a symbolic shape; ``of``: that array, which such an int is the size of."""
    if shape.dims is None:
        return UNKNOWN
    items: list[Value] = []
    for axis, d in enumerate(shape.dims):
        if isinstance(d, str):
            items.append(Unknown(d, int if concrete else None))
        elif d is None and concrete:
            items.append(DimOf(None, int, of, axis) if of is not None else Unknown(None, int))
        else:
            items.append(Const(d))
    return Seq(items, "tuple")


def has_concrete_shape(v: Value | None) -> bool:
    """Whether reading ``v``'s shape gives real ints: a numpy array, an eager tensor or a Python
    list does; a symbolic tensor (KerasTensor, a dataset's spec) says None where the dim is
    unknown."""
    return not (isinstance(v, Tensor) and v.kind in ("keras", "spec"))


def is_tensor(v: Value) -> bool:
    return isinstance(v, Tensor)


def first_output(v: Value, as_built: bool = False) -> Tensor | None:
    """The first output of a call that gives several (a list or tuple, first item first), when
    it is a known tensor: what a layer or model fact shows. ``as_built``: a dict comes back as
    the program's own ``call`` built it (a subclass), not rebuilt by a functional model."""
    while isinstance(v, Seq):
        if not v.items:
            return None
        v = v.items[0]
    if as_built and isinstance(v, DictVal) and v.items and v.complete:
        return first_output(next(iter(v.items.values())), as_built)
    if isinstance(v, DictVal) and v.items and v.complete:
        # Keras hands back either the dict as built or one rebuilt in sorted key order: the
        # first entry is one of those two
        keys = list(v.items)
        if not all(isinstance(k, str) for k in keys):
            return None
        built, ordered = first_output(v.items[keys[0]]), first_output(v.items[min(keys)])
        if built is None or ordered is None:
            return None
        joined = join(built, ordered)
        return joined if isinstance(joined, Tensor) else None
    return v if isinstance(v, Tensor) else None


def tensors_in(v: Value) -> list[Tensor]:
    if isinstance(v, Tensor):
        return [v]
    if isinstance(v, Seq) and v.items is not None:
        return [t for i in v.items for t in tensors_in(i)]
    if isinstance(v, DictVal):
        return [t for i in v.items.values() for t in tensors_in(i)]
    return []


SCALAR_TYPES: tuple[type, ...] = (bool, int, float, complex, str, bytes)


def scalar_type(v: Value) -> type | None:
    """The Python scalar type a value certainly has (a constant's, or a typed unknown's)."""
    if isinstance(v, Const):
        t = type(v.value)
        return t if t in SCALAR_TYPES else None
    if isinstance(v, Unknown):
        return v.pytype
    return None


def integer_scalar(t: Tensor) -> bool:
    """A 0-d tensor certainly holding an integer: of an int dtype, or of an open dtype whose
    value is known to be an int (``min(np_int, 4)`` is a numpy or a Python int)."""
    if t.shape.dims != ():
        return False
    if t.dtype is None:
        return t.content is not None and len(t.content) == 1 and scalar_type(t.content[0]) is int
    return "int" in t.dtype


def detached(v: Value) -> Value:
    """A value stored somewhere that outlives this iteration (an attribute, a container made
    before the loop): a loop int there relates to no later read."""
    return v.unrelated() if isinstance(v, BoundedInt) else v


def join(a: Value, b: Value) -> Value:
    """Least upper bound of two possibilities (branches, loop iterations, call sites)."""
    if a is b:
        return a
    if isinstance(a, Const) and isinstance(b, Const):
        if type(a.value) is type(b.value) and a.value == b.value:
            return a
        t = scalar_type(a)
        return Unknown(None, t) if t is not None and t is scalar_type(b) else UNKNOWN
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        either = Tensor(
            join_shape(a.shape, b.shape),
            a.dtype if a.dtype == b.dtype else None,
            a.kind if a.kind == b.kind else "tf",
            a.origin if a.origin == b.origin else None,
            a.label if a.label == b.label else "",
        )
        if a.kind == b.kind == "keras":
            # one of two symbolic tensors: what holds for both graphs behind it still holds
            either.history = (JOIN_NODE, [a, b], {}, 0, None)
        return either
    if isinstance(a, Seq) and isinstance(b, Seq):
        if a.items is not None and b.items is not None and len(a.items) == len(b.items):
            return Seq([join(x, y) for x, y in zip(a.items, b.items, strict=True)], a.kind)
        la, lb = a.size(), b.size()
        return Seq(
            None,
            a.kind,
            join(a.element_join(), b.element_join()),
            la if la == lb else None,
        )
    if isinstance(a, DictVal) and isinstance(b, DictVal):
        others = (
            join(a.others, b.others) if a.others is not None and b.others is not None else None
        )
        if a.items.keys() == b.items.keys():
            joined = DictVal(
                {k: join(v, b.items[k]) for k, v in a.items.items()}, a.complete and b.complete,
                others,
            )
            if others is not None and a.other_keys is not None and b.other_keys is not None:
                joined.other_keys = join(a.other_keys, b.other_keys)
            return joined
        return DictVal({k: join(v, b.items[k]) for k, v in a.items.items() if k in b.items}, False)
    if isinstance(a, DatasetVal) and isinstance(b, DatasetVal):
        joined_ds = DatasetVal(
            join(a.element, b.element), a.cardinality if a.cardinality == b.cardinality else None,
            None, a.batch_rows if a.batch_rows == b.batch_rows else None,
            a.eager_rows if a.eager_rows == b.eager_rows else None,
        )
        joined_ds.batches_shuffled = a.batches_shuffled or b.batches_shuffled
        if a.eager_element is not None and b.eager_element is not None:
            joined_ds.eager_element = join(a.eager_element, b.eager_element)
        return joined_ds
    if isinstance(a, AutoName) or isinstance(b, AutoName):
        if isinstance(a, AutoName) and isinstance(b, AutoName) and a.prefix == b.prefix and a.name == b.name:
            return a if a.owner is b.owner else AutoName(a.name, str, a.prefix)
        return Unknown(None, str) if scalar_type(a) is str and scalar_type(b) is str else UNKNOWN
    if isinstance(a, BoundedInt) or isinstance(b, BoundedInt):
        # two loop ints are the same value only when they come from one loop at one offset
        if (
            isinstance(a, BoundedInt) and isinstance(b, BoundedInt) and a.base is b.base
            and a.offset == b.offset and a.base is not None
        ):
            return a
        if scalar_type(a) is int and scalar_type(b) is int:
            return Unknown(a.name if isinstance(a, Unknown) and isinstance(b, Unknown) and a.name == b.name else None, int)
        return UNKNOWN
    if isinstance(a, Unknown) and isinstance(b, Unknown) and a.name == b.name and a.pytype is b.pytype:
        return a
    if (isinstance(a, Tensor) or isinstance(b, Tensor)) and _numpy_scalar_or_float(a) and _numpy_scalar_or_float(b):
        # a Python float on one path, a numpy float scalar on another: a scalar either way, but
        # TF converts them to different dtypes
        return Tensor(Shape(()), None, "np")
    t = scalar_type(a)
    if t is not None and t is scalar_type(b):
        return Unknown(None, t)
    return UNKNOWN


def _numpy_scalar_or_float(v: Value) -> bool:
    if isinstance(v, Tensor):
        return v.kind == "np" and v.shape.dims == () and v.dtype in (None, "float16", "float32", "float64")
    return scalar_type(v) is float


def describe_structure(v: Value) -> str:
    """Human text for nested tensor structures, e.g. a dataset's element spec."""
    if isinstance(v, Tensor):
        return f"{format_shape(v.shape)} {v.dtype or '?'}"
    if isinstance(v, Seq):
        if v.items is None:
            return "[...]"
        inner = ", ".join(describe_structure(i) for i in v.items)
        if v.kind == "tuple":
            return f"({inner},)" if len(v.items) == 1 else f"({inner})"
        return f"[{inner}]"
    if isinstance(v, DictVal):
        return "{" + ", ".join(f"{k!r}: {describe_structure(i)}" for k, i in v.items.items()) + "}"
    if isinstance(v, Const):
        return repr(v.value)
    if isinstance(v, DatasetVal):
        return f"dataset of {describe_structure(v.element)}"
    return "?"

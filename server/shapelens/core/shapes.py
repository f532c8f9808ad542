"""Dimensions, shapes and dtypes: the vocabulary every shape rule speaks.

A dimension (`Dim`) is an ``int`` when known, ``None`` when unknown (the batch axis, data read
at run time) or a ``str`` naming a symbolic size the code gave a name to (``batch_size``).
A `Shape` is a tuple of dims, or of unknown rank. Rules raise `ShapeError` only when TensorFlow
would certainly fail; anything uncertain degrades to unknown instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Dim = int | str | None


class ShapeError(Exception):
    """A shape or dtype combination that TensorFlow/Keras/numpy would certainly reject."""

    def __init__(
        self, message: str, code: str = "shape-mismatch", related: list[object] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.related: list[object] = related or []  # facts.Related entries
        self.fixes: list[object] = []  # facts.Fix entries (quick fixes)
        # the Python exception class raised (``builtins.AttributeError``) when it is not one of
        # the classes shape and dtype mistakes raise (ValueError, TypeError, TF's errors...): only
        # a handler of that class expects it
        self.raises: str | None = None


class Unknowable(Exception):
    """A rule cannot say anything about this call; the result becomes unknown (never an error)."""


@dataclass(frozen=True, slots=True)
class Shape:
    """A tensor shape; ``dims is None`` means even the rank is unknown."""

    dims: tuple[Dim, ...] | None

    @staticmethod
    def of(dims: Iterable[Dim]) -> Shape:
        return Shape(tuple(dims))

    @property
    def rank(self) -> int | None:
        return None if self.dims is None else len(self.dims)

    @property
    def known_rank(self) -> bool:
        return self.dims is not None

    def is_fully_known(self) -> bool:
        return self.dims is not None and all(isinstance(d, int) for d in self.dims)

    def num_elements(self) -> int | None:
        if self.dims is None:
            return None
        total = 1
        for d in self.dims:
            if not isinstance(d, int):
                return None
            total *= d
        return total

    def __getitem__(self, index: int) -> Dim:
        if self.dims is None:
            return None
        try:
            return self.dims[index]
        except IndexError:
            return None

    def with_batch(self, batch: Dim = None) -> Shape:
        if self.dims is None:
            return self
        return Shape((batch, *self.dims))

    def to_json(self) -> list[Dim] | None:
        return None if self.dims is None else list(self.dims)

    def __str__(self) -> str:
        return format_shape(self)


UNKNOWN_SHAPE = Shape(None)
SCALAR = Shape(())


def format_dim(d: Dim) -> str:
    return "None" if d is None else str(d)


def format_shape(shape: Shape) -> str:
    if shape.dims is None:
        return "(?)"
    if len(shape.dims) == 1:
        return f"({format_dim(shape.dims[0])},)"
    return "(" + ", ".join(format_dim(d) for d in shape.dims) + ")"


def dim_known(d: Dim) -> bool:
    return isinstance(d, int)


def dims_equal(a: Dim, b: Dim) -> bool | None:
    """True/False when certain, None when it cannot be told statically."""
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, str) and isinstance(b, str) and a == b:
        return True
    return None


def dims_conflict(a: Dim, b: Dim) -> bool:
    """Certainly different."""
    return isinstance(a, int) and isinstance(b, int) and a != b


def join_dim(a: Dim, b: Dim) -> Dim:
    """Least upper bound of two possibilities (branches, loop iterations, call sites)."""
    return a if a == b else None


def join_shape(a: Shape, b: Shape) -> Shape:
    if a.dims is None or b.dims is None or len(a.dims) != len(b.dims):
        return UNKNOWN_SHAPE
    return Shape(tuple(join_dim(x, y) for x, y in zip(a.dims, b.dims, strict=True)))


def merge_dim(a: Dim, b: Dim) -> Dim:
    """Two dims that must be equal: keep the better known one (no conflict check)."""
    if isinstance(a, int):
        return a
    if isinstance(b, int):
        return b
    return a if a is not None else b


def add_dims(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    return None


def mul_dims(a: Dim, b: Dim) -> Dim:
    if isinstance(a, int) and isinstance(b, int):
        return a * b
    if a == 1:
        return b
    if b == 1:
        return a
    return None


def broadcast_dim(a: Dim, b: Dim) -> Dim:
    """Broadcast two dims; raises ShapeError only when both are known and incompatible."""
    if isinstance(a, int) and isinstance(b, int):
        if a == b or b == 1:
            return a
        if a == 1:
            return b
        raise ShapeError(f"dimensions {a} and {b} cannot be broadcast")
    if a == 1:
        return b
    if b == 1:
        return a
    if isinstance(a, int):
        # b unknown: b is either 1 (result a), a (result a) or an error.
        return a
    if isinstance(b, int):
        return b
    if a == b:
        return a
    return None


def broadcast_shapes(a: Shape, b: Shape) -> Shape:
    if a.dims is None or b.dims is None:
        return UNKNOWN_SHAPE
    n = max(len(a.dims), len(b.dims))
    pa = (1,) * (n - len(a.dims)) + a.dims
    pb = (1,) * (n - len(b.dims)) + b.dims
    out: list[Dim] = []
    for x, y in zip(pa, pb, strict=True):
        try:
            out.append(broadcast_dim(x, y))
        except ShapeError:
            raise ShapeError(
                f"shapes {format_shape(a)} and {format_shape(b)} cannot be broadcast together",
                code="broadcast",
            ) from None
    return Shape(tuple(out))


def normalize_axis(axis: int, rank: int) -> int | None:
    """Python-style negative axis handling; None when out of range."""
    if -rank <= axis < rank:
        return axis % rank
    return None


def conv_output_length(
    length: Dim, kernel: int, padding: str, stride: int, dilation: int = 1
) -> Dim:
    """Output length of a convolution or pooling window along one axis (Keras' formula)."""
    if not isinstance(length, int):
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "same":
        out = (length + stride - 1) // stride
    elif padding == "valid":
        out = (length - effective + stride) // stride
    elif padding == "causal":
        out = (length + stride - 1) // stride
    else:
        return None
    return out


def deconv_output_length(
    length: Dim,
    kernel: int,
    padding: str,
    stride: int,
    dilation: int = 1,
    output_padding: int | None = None,
) -> Dim:
    """Output length of a transposed convolution along one axis (Keras' formula)."""
    if not isinstance(length, int):
        return None
    kernel = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return length * stride + max(kernel - stride, 0)
        if padding == "full":
            return length * stride - (stride + kernel - 2)
        if padding == "same":
            return length * stride
        return None
    if padding == "same":
        pad = kernel // 2
    elif padding == "valid":
        pad = 0
    elif padding == "full":
        pad = kernel - 1
    else:
        return None
    return (length - 1) * stride + kernel - 2 * pad + output_padding


# ---------------------------------------------------------------------------------------------
# dtypes

DType = str | None

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
COMPLEX_DTYPES = ("complex64", "complex128")
ALL_DTYPES = (*FLOAT_DTYPES, *INT_DTYPES, *COMPLEX_DTYPES, "bool", "string")

_DTYPE_ALIASES = {
    "float": "float64",
    "double": "float64",
    "half": "float16",
    "int": "int64",
    "bool_": "bool",
    "str": "string",
    "float_": "float64",
    "int_": "int64",
    "object": None,
}


def normalize_dtype(name: str | None) -> DType:
    if name is None:
        return None
    name = name.strip().lower()
    for prefix in ("tf.", "np.", "numpy.", "tensorflow.", "keras."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
    if name in ALL_DTYPES:
        return name
    return _DTYPE_ALIASES.get(name)


def is_float(dtype: DType) -> bool:
    return dtype in FLOAT_DTYPES


def is_int(dtype: DType) -> bool:
    return dtype in INT_DTYPES


_NUMPY_ORDER = ("bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
                "float16", "bfloat16", "float32", "float64", "complex64", "complex128")


def numpy_promote(a: DType, b: DType) -> DType:
    """Result dtype of a numpy binary op on two arrays (enough of numpy's table for our rules)."""
    if a is None or b is None:
        return None
    if a == b:
        return a
    if "string" in (a, b):
        return None
    if a == "bool":
        return b
    if b == "bool":
        return a
    fa, fb = is_float(a) or a.startswith("complex"), is_float(b) or b.startswith("complex")
    if fa and not fb:
        # int + float: float16 with int8/uint8 stays float16; wider ints push to float64.
        width = _int_width(b)
        if a == "float16" and width > 8:
            return "float32" if width == 16 else "float64"
        if a == "float32" and width > 16:
            return "float64"
        return a
    if fb and not fa:
        return numpy_promote(b, a)
    if fa and fb:
        return a if _NUMPY_ORDER.index(a) > _NUMPY_ORDER.index(b) else b
    # both ints
    ua, ub = a.startswith("u"), b.startswith("u")
    wa, wb = _int_width(a), _int_width(b)
    if ua == ub:
        return a if wa >= wb else b
    signed, unsigned = (b, a) if ua else (a, b)
    ws, wu = _int_width(signed), _int_width(unsigned)
    if ws > wu:
        return signed
    if wu >= 64:
        return "float64"
    return f"int{wu * 2}"


def _int_width(dtype: str) -> int:
    digits = "".join(ch for ch in dtype if ch.isdigit())
    return int(digits) if digits else 64

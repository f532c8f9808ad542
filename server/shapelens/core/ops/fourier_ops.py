"""Discrete Fourier transforms of numpy and TensorFlow (``np.fft.*``, ``tf.signal.fft``...).

The transform runs over the last axis: ``fft``/``ifft`` keep its length (or take ``n``),
``rfft`` gives ``n // 2 + 1`` complex bins, ``irfft`` gives ``2 * (bins - 1)`` real samples
(or ``n``). numpy keeps single precision (float32 in, complex64 out); TF's ``fft`` needs a
complex input and ``rfft`` a float one."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, DType, Shape
from ..values import Tensor, Value, as_dim
from . import shape_ops as so

_DOUBLE_INPUTS = ("float64", "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32")
_NP_COMPLEX = {"float32": "complex64", "float16": "complex64", "complex64": "complex64",
               "complex128": "complex128", **{d: "complex128" for d in _DOUBLE_INPUTS}}
_NP_REAL = {"complex64": "float32", "float32": "float32", "complex128": "float64",
            **{d: "float64" for d in _DOUBLE_INPUTS}}


def _np_complex(dtype: DType) -> DType:
    return None if dtype is None else _NP_COMPLEX.get(dtype)


def _np_real(dtype: DType) -> DType:
    """float16 and longdouble keep their own precision: left unknown."""
    return None if dtype is None else _NP_REAL.get(dtype)


def _length(call: Call, name: str, index: int) -> tuple[bool, Dim]:
    """Whether ``n`` (or ``fft_length``) was given, and its value when readable."""
    v = call.arg(index, name)
    if v is None or so.is_none(v):
        return False, None
    if name == "fft_length":
        items = so.list_items(v)
        if items is not None and len(items) == 1:
            return True, as_dim(items[0])
        return True, None
    return True, as_dim(v)


def _transform(call: Call, lib: so.Flavour, kind: str) -> Value:
    x = call.arg(0, "a" if lib == "np" else "input_tensor")
    op = so.begin(call, lib, x)
    t = op.tensor(x)
    if lib == "np":
        dtype = _np_real(t.dtype if t else None) if kind == "irfft" else _np_complex(t.dtype if t else None)
        given, n = _length(call, "n", 1)
    else:
        # TF converts a numpy array to single precision first: only tensors are read
        dtype = _tf_dtype(t.dtype if t and isinstance(x, Tensor) and x.kind != "np" else None, kind)
        given, n = (False, None) if kind in ("fft", "ifft") else _length(call, "fft_length", 1)
    if t is None or t.shape.dims is None or not t.shape.dims:
        return op.unknown(dtype)
    if given and not (isinstance(n, int) and n > 0):
        return op.unknown(dtype)  # a length below 1 is refused; an unread one is unknown
    if kind == "rfft" and t.dtype is not None and t.dtype.startswith("complex"):
        return op.unknown()  # rfft of complex input is refused
    last = t.shape.dims[-1]
    if kind == "irfft" and not given and last == 1:
        return op.unknown(dtype)  # no samples: TF aborts, numpy refuses
    if kind in ("fft", "ifft"):
        size: Dim = n if given else last
    elif kind == "rfft":
        length = n if given else last
        size = length // 2 + 1 if isinstance(length, int) else None
    else:
        size = n if given else (2 * (last - 1) if isinstance(last, int) else None)
    return op.out(Shape((*t.shape.dims[:-1], size)), dtype)


def _tf_dtype(dtype: DType, kind: str) -> DType:
    if kind == "rfft":
        return {"float32": "complex64", "float64": "complex128"}.get(dtype or "")
    if kind == "irfft":
        return {"complex64": "float32", "complex128": "float64"}.get(dtype or "")
    return dtype if dtype in ("complex64", "complex128") else None


@function("np.fft.fft", "np.fft.ifft", "np.fft.rfft", "np.fft.irfft")
def _np_fft(call: Call) -> Value:
    if call.arg(2, "axis") is not None:  # another axis: not read here
        return so.begin(call, "np", call.arg(0, "a")).unknown()
    return _transform(call, "np", call.name.rsplit(".", 1)[-1])


@function("tf.signal.fft", "tf.signal.ifft", "tf.signal.rfft", "tf.signal.irfft")
def _tf_fft(call: Call) -> Value:
    return _transform(call, "tf", call.name.rsplit(".", 1)[-1])

"""``keras.ops`` Fourier transforms, the short-time Fourier transform and CTC decoding. Keras keeps complex
numbers as a ``(real, imag)`` pair of float tensors, so each of these takes or gives such a
tuple: ``fft``/``fft2``/``ifft2`` keep the shape, ``rfft`` halves the last axis to
``n // 2 + 1``, ``irfft`` gives ``2 * (n - 1)`` (or ``fft_length``), and ``stft`` frames the
last axis into ``[..., frames, fft_length // 2 + 1]``."""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, DType, Shape, ShapeError
from ..values import Seq, Tensor, Value
from . import shape_ops as so


def _pair(op: so.Op, shape: Shape, dtype: DType) -> Value:
    return Seq([op.out(shape, dtype), op.out(shape, dtype)], "tuple")


def _float(t: Tensor | None, name: str, ints_ok: bool = False) -> DType:
    """The dtype of both parts: float32 for a float32 input (other inputs are left unknown);
    an int input is Keras' 'not of type float' error, except for rfft, which converts it."""
    if t is None or t.dtype is None:
        return None
    if not so.is_float_dtype(t.dtype):
        if ints_ok:
            return None
        raise ShapeError(f"{name} needs float tensors, got {t.dtype}", code="dtype-mismatch")
    return "float32" if t.dtype == "float32" else None


def _real_part(op: so.Op, x: Value | None) -> Tensor | None:
    """The real part of a (real, imag) pair; None when the pair is not readable."""
    if isinstance(x, Seq) and x.items is not None and len(x.items) == 2:
        real, imag = op.tensor(x.items[0]), op.tensor(x.items[1])
        if real is not None and imag is not None and real.shape == imag.shape:
            return real
    return None


@function("keras.ops.fft", "keras.ops.fft2", "keras.ops.ifft2")
def _fft(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    real = _real_part(op, x)
    if real is None or real.shape.dims is None:
        return Seq([op.unknown(), op.unknown()], "tuple")
    return _pair(op, real.shape, _float(real, call.name))


@function("keras.ops.rfft")
def _rfft(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    dims = t.shape.dims if t is not None else None
    if t is None or not dims:
        return Seq([op.unknown(), op.unknown()], "tuple")
    n = call.int(1, "fft_length") if call.has(1, "fft_length") else dims[-1]
    bins: Dim = n // 2 + 1 if isinstance(n, int) else None
    return _pair(op, Shape((*dims[:-1], bins)), _float(t, call.name, ints_ok=True))


@function("keras.ops.irfft")
def _irfft(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    real = _real_part(op, x)
    dims = real.shape.dims if real is not None else None
    if real is None or not dims:
        return op.unknown()
    n: Dim
    if call.has(1, "fft_length"):
        n = call.int(1, "fft_length")
    else:
        n = 2 * (dims[-1] - 1) if isinstance(dims[-1], int) else None
    return op.out(Shape((*dims[:-1], n)), _float(real, call.name))


@function("keras.ops.stft")
def _stft(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    dims = t.shape.dims if t is not None else None
    if t is None or not dims:
        return Seq([op.unknown(), op.unknown()], "tuple")
    stride, fft = call.int(2, "sequence_stride"), call.int(3, "fft_length")
    center = so.bool_arg(call.arg(5, "center")) if call.has(5, "center") else True
    n = dims[-1]
    frames: Dim = None
    if isinstance(n, int) and stride and stride > 0 and fft is not None and center is not None:
        padded = n + 2 * (fft // 2) if center else n
        frames = 1 + (padded - fft) // stride if padded >= fft else None
    bins: Dim = fft // 2 + 1 if fft is not None else None
    return _pair(op, Shape((*dims[:-1], frames, bins)), _float(t, call.name))


@function("keras.ops.ctc_decode")
def _ctc_decode(call: Call) -> Value:
    """``(decoded, scores)``: the label sequences padded to the input's time steps, stacked per
    path, ``(top_paths, batch, time)`` int32 (greedy decoding gives one path), and their scores
    ``(batch, top_paths)``."""
    x = call.arg(0, "inputs")
    op = so.begin(call, "keras", x)
    t = op.tensor(x)
    dims = t.shape.dims if t is not None else None
    strategy = call.value(2, "strategy", "greedy")
    if dims is None or len(dims) != 3 or strategy not in ("greedy", "beam_search"):
        return Seq([op.unknown(), op.unknown()], "tuple")
    paths: Dim = 1 if strategy == "greedy" else (call.int(4, "top_paths") if call.has(4, "top_paths") else 1)
    return Seq([op.out(Shape((paths, dims[0], dims[1])), "int32"), op.out(Shape((dims[0], paths)), "float32")], "tuple")

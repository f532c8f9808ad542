"""``tf.signal`` beyond framing and the forward STFT: ``inverse_stft`` and ``overlap_and_add``
(frames back into one signal of ``(frames - 1) * step + frame_length`` samples), the DCT,
``fftshift``, and the 2-D FFTs. Checked against TF 2.21 in tests/oracle/test_ops_signal.py.
"""

from __future__ import annotations

from ..registry import Call, function
from ..shapes import Dim, Shape
from ..values import Value
from . import shape_ops as so

_REAL_OF = {"complex64": "float32", "complex128": "float64"}
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def _joined_length(frames: Dim, step: int | None, length: Dim) -> Dim:
    if isinstance(frames, int) and isinstance(length, int) and step is not None and frames >= 1:
        return (frames - 1) * step + length
    return None


@function("tf.signal.overlap_and_add")
def _overlap_and_add(call: Call) -> Value:
    """``(..., frames, frame_length)`` frames ``frame_step`` apart, summed into one signal."""
    x = call.arg(0, "signal")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None or len(t.shape.dims) < 2:
        return op.unknown(t.dtype if t is not None else None)
    dims = t.shape.dims
    return op.out(Shape((*dims[:-2], _joined_length(dims[-2], call.int(1, "frame_step"), dims[-1]))), t.dtype)


@function("tf.signal.inverse_stft")
def _inverse_stft(call: Call) -> Value:
    """``(..., frames, bins)`` complex frames back to ``(..., (frames - 1) * step + frame_length)``
    real samples."""
    x = call.arg(0, "stfts")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    dtype = _REAL_OF.get(t.dtype or "") if t is not None else None
    if t is None or t.shape.dims is None or len(t.shape.dims) < 2:
        return op.unknown(dtype)
    dims = t.shape.dims
    length = call.int(1, "frame_length")
    return op.out(Shape((*dims[:-2], _joined_length(dims[-2], call.int(2, "frame_step"), length))), dtype)


@function("tf.signal.dct", "tf.signal.idct")
def _dct(call: Call) -> Value:
    """Same shape; ``n`` cuts or pads the last axis to ``n``."""
    x = call.arg(0, "input")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None or t.shape.dims is None or not t.shape.dims:
        return op.unknown(t.dtype if t is not None else None)
    n = call.arg(2, "n")
    if n is None or so.is_none(n):
        return op.out(t.shape, t.dtype)
    return op.out(Shape((*t.shape.dims[:-1], call.int(2, "n"))), t.dtype)


@function("tf.signal.fftshift", "tf.signal.ifftshift")
def _fftshift(call: Call) -> Value:
    x = call.arg(0, "x")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    return op.out(t.shape, t.dtype) if t is not None else op.unknown()


@function("tf.signal.fft2d", "tf.signal.ifft2d")
def _fft2d(call: Call) -> Value:
    x = call.arg(0, "input")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    if t is None or t.dtype not in ("complex64", "complex128"):
        return op.unknown()
    return op.out(t.shape, t.dtype)


@function("tf.signal.rfft2d", "tf.signal.irfft2d")
def _rfft2d(call: Call) -> Value:
    """Over the last two axes: ``rfft2d`` keeps ``W // 2 + 1`` columns, ``irfft2d`` gives
    ``2 * (W - 1)``; an explicit ``fft_length`` sets both sizes."""
    x = call.arg(0, "input_tensor")
    op = so.begin(call, "tf", x)
    t = op.tensor(x)
    inverse = call.name.endswith("irfft2d")
    dtype = (_REAL_OF if inverse else _COMPLEX_OF).get(t.dtype or "") if t is not None else None
    if t is None or t.shape.dims is None or len(t.shape.dims) < 2 or dtype is None:
        return op.unknown(dtype)
    dims = t.shape.dims
    given = call.arg(1, "fft_length")
    lengths = so.shape_dims(given) if given is not None and not so.is_none(given) else None
    if given is not None and not so.is_none(given):
        if lengths is None or len(lengths) != 2:
            return op.unknown(dtype)
        h, w = lengths
    else:
        h, w = dims[-2], dims[-1]
        if inverse:
            w = 2 * (w - 1) if isinstance(w, int) else None
    if not inverse:
        w = w // 2 + 1 if isinstance(w, int) else None
    return op.out(Shape((*dims[:-2], h, w)), dtype)

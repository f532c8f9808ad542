"""keras.utils and keras.backend helpers: ``pad_sequences``, ``image_data_format``, ``int_shape``."""

from __future__ import annotations

from .registry import Call, function
from .shapes import Shape
from .values import UNKNOWN, Const, Seq, Tensor, Value, shape_value


@function(
    "keras.utils.pad_sequences",
    "keras.preprocessing.sequence.pad_sequences",
    "keras.utils.sequence.pad_sequences",
)
def _pad_sequences(call: Call) -> Value:
    """A list of sequences -> int32 array (count, maxlen); maxlen defaults to the longest."""
    seqs = call.arg(0, "sequences")
    if isinstance(seqs, Seq):
        count = seqs.size()
    elif isinstance(seqs, Tensor) and seqs.shape.dims:
        count = seqs.shape.dims[0] if isinstance(seqs.shape.dims[0], int) else None
    else:
        return UNKNOWN
    maxlen = call.int(1, "maxlen")
    if maxlen is None and call.arg(1, "maxlen") is None and isinstance(seqs, Seq) and seqs.items is not None:
        lengths = [i.size() if isinstance(i, Seq) else None for i in seqs.items]
        if lengths and all(isinstance(n, int) for n in lengths):
            maxlen = max(n for n in lengths if n is not None)
    dtype = call.dtype(2, "dtype", "int32")
    return Tensor(Shape((count, maxlen)), dtype, "np", call.span)


@function("keras.backend.image_data_format", "keras.config.image_data_format")
def _image_data_format(call: Call) -> Value:
    """Keras' default; a project that changes it in keras.json is rare enough to assume it."""
    return Const("channels_last")


@function("keras.backend.floatx", "keras.config.floatx")
def _floatx(call: Call) -> Value:
    return Const("float32")


@function("keras.backend.int_shape")
def _int_shape(call: Call) -> Value:
    x = call.arg(0, "x")
    return shape_value(x.shape) if isinstance(x, Tensor) else UNKNOWN

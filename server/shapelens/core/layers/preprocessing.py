"""Keras 3 preprocessing layers: image resizing/cropping and augmentation, Rescaling and
Normalization, and the text/categorical layers (TextVectorization, StringLookup, IntegerLookup,
CategoryEncoding, Hashing, Discretization, HashedCrossing).

Symbolic calls (functional API) follow each layer's ``compute_output_shape``/``compute_output_spec``
in Keras 3.15, including its quirks: a rank-3 KerasTensor given to Resizing is taken as one
unbatched ``(height, width, channels)`` image, ``multi_hot`` encodings replace the *last* axis
by the vocabulary size, lookups report float32 for non-``int`` modes. Eager calls (tensors,
numpy arrays, tf.data pipelines) follow what ``call`` returns, which differs in places: eager
``multi_hot``/``count`` lookups return int64, a rank-1 input is one sample, and RandomCrop with
``training=False`` returns its input unchanged.
"""

from __future__ import annotations

import re
from typing import Any

from ..convert import to_tensor
from ..registry import UNKNOWN_MARK, Call, attribute, method
from ..shapes import DType, Shape, ShapeError, Unknowable, is_float, is_int
from ..values import UNKNOWN, Const, DatasetVal, LayerVal, Seq, Tensor, Unknown, Value
from .base import LayerCall, layer
from .core import autocast_dtype, compute_dtype, is_symbolic, out, training_flag

# ----------------------------------------------------------------------------------------------
# shared helpers


def _sym_dtype(call: LayerCall, t: Tensor, keep_int: bool = False) -> DType:
    """Symbolic output dtype: the compute dtype (or the input's for layers that keep it)."""
    if keep_int:
        return autocast_dtype(call, t.dtype)
    return compute_dtype(call)


def _data_format(call: LayerCall) -> str:
    return call.data_format()


def _size(call: LayerCall, name: str) -> int:
    """A target height/width: a positive int; a float is a certain Keras error."""
    v = call.raw(name)
    if v is None:
        raise Unknowable(name)
    if isinstance(v, Const) and isinstance(v.value, float):
        raise ShapeError(
            f"{call.name}: `{name}` must be an integer, got {v.value!r}", code="invalid-argument"
        )
    return call.int(name)


def _warn(call: LayerCall, message: str, code: str) -> None:
    if call.interp is not None and call.site is not None:
        call.interp.report(call.site, message, code, severity="warning")


def _unbatched_warning(call: LayerCall, dims: tuple[Any, ...]) -> None:
    if len(dims) == 3 and is_symbolic(call):
        _warn(
            call,
            f"{call.name} treats a rank-3 input {Shape(dims)} as one unbatched image "
            "(height, width, channels): the batch axis is resized as the height. Image "
            "layers expect (batch, height, width, channels); add the channel axis to the Input.",
            "image-rank",
        )


# ----------------------------------------------------------------------------------------------
# Rescaling, Normalization


@layer("Rescaling", params=("scale", "offset"))
def rescaling(call: LayerCall) -> Tensor:
    """Shape-preserving; always the compute dtype (integer images become float32)."""
    t = call.x()
    return out(t.shape, compute_dtype(call))


def _flat_len(v: Value | None) -> int | None:
    if isinstance(v, Seq) and v.items is not None and all(isinstance(i, Const) for i in v.items):
        return len(v.items)
    return None


@layer("Normalization", params=("axis", "mean", "variance", "invert"))
def normalization(call: LayerCall) -> Tensor:
    t = call.x()
    has_mean, has_var = call.given("mean"), call.given("variance")
    if has_mean != has_var:
        raise ShapeError(
            "Normalization: when setting values directly, both `mean` and `variance` must be set",
            code="invalid-argument",
        )
    dims = t.shape.dims
    if dims is not None:
        kept = _kept_axes(call, len(dims), t.shape) or []
        if len(kept) == 1 and has_mean:
            d = dims[kept[0]]
            for name in ("mean", "variance"):
                n = _flat_len(call.raw(name))
                if n is not None and n != 1 and isinstance(d, int) and n != d:
                    raise ShapeError(
                        f"Normalization: `{name}` has {n} values but axis {kept[0]} of the input "
                        f"{t.shape} has size {d}",
                        code="shape-mismatch",
                    )
    return out(t.shape, compute_dtype(call))


# ----------------------------------------------------------------------------------------------
# image geometry: Resizing, CenterCrop, RandomCrop


def _hw_axes(call: LayerCall, rank: int, batched_rank: int = 4) -> tuple[int, int]:
    """Resizing/CenterCrop: a rank-4 input is (batch, H, W, C); anything else is unbatched."""
    fmt = _data_format(call)
    if rank == batched_rank:
        return (1, 2) if fmt == "channels_last" else (2, 3)
    return (0, 1) if fmt == "channels_last" else (1, 2)


def _replace_hw(dims: tuple[Any, ...], axes: tuple[int, int], h: int, w: int, name: str) -> tuple[Any, ...]:
    if max(axes) >= len(dims):
        raise ShapeError(
            f"{name} expects an image of rank 3 (height, width, channels) or 4 (batch, height, "
            f"width, channels), got {Shape(dims)}",
            code="layer-input-rank",
        )
    out_dims = list(dims)
    out_dims[axes[0]] = h
    out_dims[axes[1]] = w
    return tuple(out_dims)


def _eager_image_rank(call: LayerCall, dims: tuple[Any, ...]) -> None:
    """Eager image layers accept only rank 3 or 4 (Keras raises otherwise)."""
    if not is_symbolic(call) and len(dims) not in (3, 4):
        raise ShapeError(
            f"{call.name} expects an image tensor of rank 3 (single image) or 4 (batch of "
            f"images), got {Shape(dims)}",
            code="layer-input-rank",
        )


@layer(
    "Resizing",
    params=(
        "height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio",
        "fill_mode", "fill_value", "antialias", "data_format",
    ),
    call_params=("data", "training"),
)
def resizing(call: LayerCall) -> Tensor:
    t = call.x()
    dims = call.shape()
    h, w = _size(call, "height"), _size(call, "width")
    _eager_image_rank(call, dims)
    _unbatched_warning(call, dims)
    shape = _replace_hw(dims, _hw_axes(call, len(dims)), h, w, call.name)
    if is_symbolic(call):
        return out(shape, compute_dtype(call))
    return out(shape, autocast_dtype(call, t.dtype))  # resize keeps integer images integer


@layer("CenterCrop", params=("height", "width", "data_format"), call_params=("data", "training"))
def center_crop(call: LayerCall) -> Tensor:
    dims = call.shape()
    h, w = _size(call, "height"), _size(call, "width")
    if len(dims) not in (3, 4):
        raise ShapeError(
            f"CenterCrop expects an image of rank 3 (height, width, channels) or 4 (batch, "
            f"height, width, channels), got {Shape(dims)}",
            code="layer-input-rank",
        )
    _unbatched_warning(call, dims)
    return out(_replace_hw(dims, _hw_axes(call, len(dims)), h, w, call.name), compute_dtype(call))


@layer("RandomCrop", params=("height", "width", "seed", "data_format"), call_params=("data", "training"))
def random_crop(call: LayerCall) -> Tensor:
    """Symbolically always cropped to (height, width); an eager call with ``training=False``
    returns its input unchanged (Keras 3.15), so ``model.predict`` sees uncropped images."""
    t = call.x()
    dims = call.shape()
    h, w = _size(call, "height"), _size(call, "width")
    fmt = _data_format(call)
    axes = (len(dims) - 3, len(dims) - 2) if fmt == "channels_last" else (len(dims) - 2, len(dims) - 1)
    if min(axes) < 0:
        raise ShapeError(
            f"RandomCrop expects an image of rank 3 or 4, got {Shape(dims)}", code="layer-input-rank"
        )
    cropped = list(dims)
    cropped[axes[0]], cropped[axes[1]] = h, w
    if is_symbolic(call):
        _unbatched_warning(call, dims)
        src_h, src_w = dims[axes[0]], dims[axes[1]]
        if (isinstance(src_h, int) and src_h != h) or (isinstance(src_w, int) and src_w != w):
            _warn(
                call,
                f"RandomCrop({h}, {w}) crops only when training: at inference (model.predict, "
                f"evaluate, training=False) Keras 3 passes the {src_h}x{src_w} input through "
                "unchanged, so later layers see a different shape than this one. Use "
                "CenterCrop or Resizing for a fixed inference size.",
                "inference-shape",
            )
        return out(tuple(cropped), compute_dtype(call))
    _eager_image_rank(call, dims)
    training = training_flag(call, True)
    if training is False:
        return out(dims, t.dtype)
    if training is True:
        return out(tuple(cropped), compute_dtype(call))
    return out(tuple(d if i not in axes else None for i, d in enumerate(dims)), None)


# ----------------------------------------------------------------------------------------------
# shape-preserving augmentation layers


# eager integer input keeps its dtype: always / only at inference (training=False)
_INT_KEEP_ALWAYS = {"RandomBrightness", "RandomGrayscale"}
_INT_KEEP_INFERENCE = {
    "RandomContrast", "RandomHue", "RandomSaturation", "RandomColorJitter",
    "RandomColorDegeneration", "RandomPosterization", "RandomInvert", "Equalization", "MixUp",
}
# eager integer input fails in training
_INT_FAILS_TRAINING = {"RandomContrast", "RandomSaturation"}
# symbolic output keeps an integer input dtype (compute_output_spec returns the input dtype)
_SYMBOLIC_KEEPS_DTYPE = {"RandomGrayscale", "Equalization"}
# compute_output_shape rejects ranks other than 3 and 4
_RANK_3_OR_4 = {"RandomColorDegeneration"}


def _augment(call: LayerCall) -> Tensor:
    t = call.x()
    dims = t.shape.dims
    name = call.name
    if dims is not None and (name in _RANK_3_OR_4 or not is_symbolic(call)) and len(dims) not in (3, 4):
        raise ShapeError(
            f"{name} expects an image tensor of rank 3 (single image) or 4 (batch of images), "
            f"got {t.shape}",
            code="layer-input-rank",
        )
    if is_symbolic(call):
        return out(t.shape, _sym_dtype(call, t, keep_int=name in _SYMBOLIC_KEEPS_DTYPE))
    if t.dtype is None or is_float(t.dtype):
        return out(t.shape, compute_dtype(call) if t.dtype is not None else None)
    given = call.call_kwargs.get("training")
    # `training=None` given explicitly is not the signature's default True: Keras passes None
    # on (inference outside fit), or the training state of an enclosing call
    training = None if isinstance(given, Const) and given.value is None else training_flag(call, True)
    if name in _INT_KEEP_ALWAYS:
        return out(t.shape, t.dtype)
    if training is None:
        return out(t.shape, None)
    if training and name in _INT_FAILS_TRAINING and not call.direct:
        raise Unknowable("integer image inside a model")  # converted at the model's inputs
    if training and name in _INT_FAILS_TRAINING:
        raise ShapeError(
            f"{name} called on a {t.dtype} image in training mode (the default outside predict): "
            "it only transforms float images and Keras raises on integer ones. Cast first "
            "(`tf.cast(images, 'float32')`) or put a layer that casts (Rescaling) before it",
            code="dtype-mismatch",
        )
    if not training and name in _INT_KEEP_INFERENCE:
        return out(t.shape, t.dtype)
    return out(t.shape, compute_dtype(call))


_AUGMENT = {
    "RandomFlip": ("mode", "seed", "data_format"),
    "RandomRotation": ("factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"),
    "RandomZoom": (
        "height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value",
        "data_format",
    ),
    "RandomTranslation": (
        "height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value",
        "data_format",
    ),
    "RandomContrast": ("factor", "value_range", "seed"),
    "RandomBrightness": ("factor", "value_range", "seed"),
    "RandomGrayscale": ("factor", "data_format", "seed"),
    "RandomHue": ("factor", "value_range", "data_format", "seed"),
    "RandomSaturation": ("factor", "value_range", "data_format", "seed"),
    "RandomSharpness": ("factor", "value_range", "data_format", "seed"),
    "RandomShear": (
        "x_factor", "y_factor", "interpolation", "fill_mode", "fill_value", "data_format", "seed",
    ),
    "RandomColorJitter": (
        "value_range", "brightness_factor", "contrast_factor", "saturation_factor", "hue_factor",
        "seed", "data_format",
    ),
    "RandomColorDegeneration": ("factor", "value_range", "data_format", "seed"),
    "RandomPosterization": ("factor", "value_range", "data_format", "seed"),
    "RandomInvert": ("factor", "value_range", "seed", "data_format"),
    "RandomErasing": ("factor", "scale", "fill_value", "value_range", "seed", "data_format"),
    "RandomGaussianBlur": ("factor", "kernel_size", "sigma", "value_range", "data_format", "seed"),
    "RandomElasticTransform": (
        "factor", "scale", "interpolation", "fill_mode", "fill_value", "value_range", "seed",
        "data_format",
    ),
    "RandomPerspective": ("factor", "scale", "interpolation", "fill_value", "seed", "data_format"),
    "AutoContrast": ("value_range",),
    "Equalization": ("value_range", "bins", "data_format"),
    "Solarization": ("addition_factor", "threshold_factor", "value_range", "seed"),
    "MixUp": ("alpha", "data_format", "seed"),
    "CutMix": ("factor", "seed", "data_format"),
    "AugMix": (
        "value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops", "interpolation",
        "seed", "data_format",
    ),
    "RandAugment": ("value_range", "num_ops", "factor", "interpolation", "seed", "data_format"),
}

for _name, _params in _AUGMENT.items():
    layer(_name, params=_params, call_params=("data", "training"))(_augment)


# ----------------------------------------------------------------------------------------------
# text and categorical layers


def _mode(call: LayerCall, default: str, allowed: tuple[str, ...]) -> str:
    mode = call.cfg("output_mode", default)
    if mode is None:
        mode = default
    if not isinstance(mode, str):
        raise Unknowable("output_mode")
    mode = mode.lower().replace("-", "_")
    if mode not in allowed:
        raise ShapeError(
            f"{call.name}: unknown output_mode '{mode}'; expected one of {', '.join(allowed)}",
            code="invalid-argument",
        )
    return mode


def _layer_state(call: LayerCall) -> dict[str, Any]:
    return call.layer.config_cache


def _literal_list(v: Value | None) -> list[Any] | None:
    """A vocabulary written out: a list of constants, or a short 1-D array of known values."""
    items = v.items if isinstance(v, Seq) else v.content if isinstance(v, Tensor) and v.shape.rank == 1 else None
    if items is not None and all(isinstance(i, Const) for i in items):
        return [i.value for i in items if isinstance(i, Const)]
    return None


def _lookup_depth(
    call: LayerCall,
    mode: str,
    num_oov: int | None,
    mask_token: Any,
    oov_token: Any,
) -> int | None:
    """Width of a one_hot/multi_hot/count/tf_idf lookup output (``IndexLookup``): max_tokens
    when padded, else the vocabulary size (OOV indices + tokens; the mask only in int mode)."""
    max_tokens = call.cfg_soft("max_tokens", None)
    pad = call.cfg_soft("pad_to_max_tokens", False)
    if pad is True:
        if max_tokens is None:
            raise ShapeError(
                f"{call.name}: pad_to_max_tokens=True needs `max_tokens`", code="invalid-argument"
            )
        return max_tokens if isinstance(max_tokens, int) else None
    if _layer_state(call).get("adapted"):
        return None
    vocab = _literal_list(call.raw("vocabulary"))
    if vocab is None or num_oov is None:
        return None
    oov_start = 1 if mask_token is not None and mode == "int" else 0
    token_start = oov_start + num_oov
    special = [mask_token] * oov_start + [oov_token] * num_oov
    tokens = vocab[token_start:] if vocab[:token_start] == special else vocab
    return token_start + len(tokens)


def _check_vocab_fits(call: LayerCall, num_oov: int | None, mask_token: Any, oov_token: Any) -> None:
    """A literal vocabulary bigger than ``max_tokens`` (counting OOV and mask) is rejected."""
    max_tokens = call.cfg_soft("max_tokens", None)
    if not isinstance(max_tokens, int) or num_oov is None:
        return
    size = _lookup_depth(call, "int", num_oov, mask_token, oov_token) if call.given("vocabulary") else None
    if size is not None and size > max_tokens:
        raise ShapeError(
            f"{call.name}: the vocabulary has {size} entries (with the OOV/mask indices) but "
            f"max_tokens is {max_tokens}",
            code="invalid-argument",
        )


def _require_vocabulary(call: LayerCall) -> None:
    """An eager call of a lookup that has neither a vocabulary nor adapt(): Keras' table is
    not initialized."""
    if is_symbolic(call) or call.given("vocabulary") or _layer_state(call).get("adapted"):
        return
    raise ShapeError(
        f"{call.name} has no vocabulary: pass `vocabulary=` or call `adapt()` before calling it "
        "on data (the lookup table is not initialized)",
        code="not-adapted",
    )


def _encoded(dims: tuple[Any, ...], depth: int | None, mode: str) -> tuple[Any, ...]:
    """Symbolic ``compute_output_shape`` of IndexLookup/CategoryEncoding/Discretization(one_hot)."""
    if mode == "one_hot":
        if len(dims) > 1 and dims[-1] == 1:
            return (*dims[:-1], depth)
        return (*dims, depth)
    return (*dims[:-1], depth)


def _encoded_eager(dims: tuple[Any, ...], depth: int | None, mode: str) -> tuple[Any, ...] | None:
    """What an eager encoding returns: a rank-0/1 input is a single sample for multi_hot/count,
    one_hot squeezes a trailing 1 and promotes a scalar to (1, depth)."""
    if mode == "one_hot":
        if len(dims) == 0:
            return (1, depth)
        if dims[-1] == 1 and len(dims) > 1:
            return (*dims[:-1], depth)
        if len(dims) > 1 and not isinstance(dims[-1], int):
            return None
        return (*dims, depth)
    if len(dims) <= 1:
        return (depth,)
    if len(dims) == 2:
        return (dims[0], depth)
    return None


def _oov_config(call: LayerCall, mask_default: Any, oov_default: Any) -> tuple[int | None, Any, Any]:
    n = call.cfg_soft("num_oov_indices", 1)
    num_oov = n if isinstance(n, int) and not isinstance(n, bool) else None
    mask = call.cfg_soft("mask_token", mask_default)
    oov = call.cfg_soft("oov_token", oov_default)
    return num_oov, mask, oov


def _lookup(call: LayerCall, string_keys: bool) -> Tensor:
    given = call.input(0, "inputs")
    # the layer converts Python keys itself (`lookup(["a", "b"])`)
    t = to_tensor(given) if isinstance(given, (Seq, Const)) else call.x()
    if t is None:
        raise Unknowable("input")
    mode = _mode(call, "int", ("int", "one_hot", "multi_hot", "count", "tf_idf"))
    num_oov, mask, oov = _oov_config(call, None, "[UNK]" if string_keys else -1)
    _check_vocab_fits(call, num_oov, mask, oov)
    if mode == "tf_idf" and call.given("vocabulary") and not call.given("idf_weights"):
        raise ShapeError(
            f"{call.name}: output_mode='tf_idf' with a `vocabulary` also needs `idf_weights`",
            code="invalid-argument",
        )
    depth = _lookup_depth(call, mode, num_oov, mask, oov) if mode != "int" else None
    invert = call.cfg_soft("invert", False)
    dims = t.shape.dims
    if is_symbolic(call):
        if mode == "int":
            return out(t.shape, "int64")
        if dims is None:
            return out(Shape(None), "float32")
        return out(_encoded(dims, depth, mode), "float32")
    _require_vocabulary(call)
    # eager: the keys must have the vocabulary's type
    if t.dtype is not None:
        if string_keys and t.dtype != "string" and invert is False:
            raise Unknowable("non-string keys")
        if not string_keys and t.dtype == "string":
            raise Unknowable("string keys")
    if mode == "int":
        if invert is True:
            return out(t.shape, "string" if string_keys else "int64")
        return out(t.shape, "int64" if invert is False else None)
    eager_dtype = "float32" if mode == "tf_idf" else "int64"
    if dims is None:
        return out(Shape(None), eager_dtype)
    shape = _encoded_eager(dims, depth, mode)
    return out(Shape(shape) if shape is not None else Shape(None), eager_dtype)


_LOOKUP_PARAMS = (
    "max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary",
)


@layer(
    "StringLookup",
    dtype_by_rule=True,
    params=(*_LOOKUP_PARAMS, "idf_weights", "invert", "output_mode", "pad_to_max_tokens", "sparse", "encoding"),
)
def string_lookup(call: LayerCall) -> Tensor:
    return _lookup(call, string_keys=True)


@layer(
    "IntegerLookup",
    dtype_by_rule=True,
    params=(
        *_LOOKUP_PARAMS, "vocabulary_dtype", "idf_weights", "invert", "output_mode", "sparse",
        "pad_to_max_tokens",
    ),
)
def integer_lookup(call: LayerCall) -> Tensor:
    return _lookup(call, string_keys=False)


def _text_input(call: LayerCall) -> Tensor:
    """The text given, as Keras converts it: a Python string or list of strings is a string
    tensor (``vectorizer(["a review"])``)."""
    v = call.input(0, "inputs")
    if isinstance(v, (Const, Seq)) and not isinstance(v, Tensor):
        from ..ops.elementwise import convert_alone

        t = convert_alone(v, "tf")
        if t is not None and t.dtype == "string":
            return Tensor(t.shape, "string", "tf")
    return call.x()


@layer(
    "TextVectorization",
    dtype_by_rule=True,
    params=(
        "max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length",
        "pad_to_max_tokens", "vocabulary", "idf_weights", "sparse", "ragged", "encoding",
    ),
)
def text_vectorization(call: LayerCall) -> Tensor:
    """A batch of strings ``(batch,)`` or ``(batch, 1)`` to token ids ``(batch, sequence)``
    (int64) or a vocabulary-sized encoding (float32 symbolically, int64/float32 eagerly)."""
    t = _text_input(call)
    mode = _mode(call, "int", ("int", "multi_hot", "count", "tf_idf"))
    seq_len = call.cfg_soft("output_sequence_length", None)
    ragged = call.cfg_soft("ragged", False)
    if mode != "int" and ragged is True:
        raise ShapeError(
            f"TextVectorization: ragged=True needs output_mode='int', got '{mode}'",
            code="invalid-argument",
        )
    if mode != "int" and seq_len is not None and seq_len is not Ellipsis:
        raise ShapeError(
            "TextVectorization: output_sequence_length can only be set with output_mode='int'",
            code="invalid-argument",
        )
    if mode == "tf_idf" and call.given("vocabulary") and not call.given("idf_weights"):
        raise ShapeError(
            "TextVectorization: output_mode='tf_idf' with a `vocabulary` also needs `idf_weights`",
            code="invalid-argument",
        )
    # the internal StringLookup: mask "" and OOV "[UNK]" in int mode, no mask otherwise
    mask = "" if mode == "int" else None
    _check_vocab_fits(call, 1, mask, "[UNK]")
    depth = _lookup_depth(call, mode, 1, mask, "[UNK]") if mode != "int" else None
    length = seq_len if isinstance(seq_len, int) and not isinstance(seq_len, bool) else None
    split = call.cfg_soft("split", "whitespace")
    dims = t.shape.dims
    if is_symbolic(call):
        if mode == "int":
            batch = dims[0] if dims else None
            return out((batch, length), "int64")
        if dims is None:
            return out(Shape(None), "float32")
        if split is None:
            base = (*dims, 1) if len(dims) <= 1 else dims
        elif split is UNKNOWN_MARK:
            return out(Shape(None), "float32")
        else:
            base = (*dims, None)
        return out((*base[:-1], depth), "float32")
    _require_vocabulary(call)
    if dims is None:
        return out(Shape(None), "int64" if mode == "int" else None)
    if t.dtype is not None and t.dtype != "string":
        raise Unknowable("non-string text")
    if mode == "int":
        if split is None and length is None:
            return out(dims, "int64")
        if len(dims) == 1 or (len(dims) == 2 and dims[1] == 1):
            return out((dims[0], length), "int64")
        if not dims and split is not UNKNOWN_MARK:
            return out((length,), "int64")  # one string: its tokens
        return out(Shape(None), "int64")
    eager_dtype = "float32" if mode == "tf_idf" else "int64"
    if len(dims) == 0:
        return out(Shape(None), eager_dtype)
    if len(dims) == 1 or (len(dims) == 2 and dims[1] == 1):
        return out((dims[0], depth), eager_dtype)
    return out(Shape(None), eager_dtype)


@layer("CategoryEncoding", dtype_by_rule=True, params=("num_tokens", "output_mode", "sparse"), call_params=("inputs", "count_weights"))
def category_encoding(call: LayerCall) -> Tensor:
    t = call.x()
    mode = _mode(call, "multi_hot", ("one_hot", "multi_hot", "count"))
    num = call.cfg_soft("num_tokens", None)
    if num is None:
        raise ShapeError(
            "CategoryEncoding: `num_tokens` must be set (use IntegerLookup when the number of "
            "tokens is not known)",
            code="invalid-argument",
        )
    depth = num if isinstance(num, int) and not isinstance(num, bool) else None
    dims = t.shape.dims
    if dims is None:
        return out(Shape(None), compute_dtype(call))
    if is_symbolic(call):
        if len(dims) == 0:
            return out((depth,), compute_dtype(call))
        if mode == "one_hot" and len(dims) == 1:
            return out((*dims, depth), compute_dtype(call))
        return out(_encoded(dims, depth, mode), compute_dtype(call))
    shape = _encoded_eager(dims, depth, mode)
    if shape is None and len(dims) > 2 and mode != "one_hot":
        shape = (*(None,) * (len(dims) - 1), depth)
    return out(Shape(shape) if shape is not None else Shape(None), compute_dtype(call))


@layer("Hashing", dtype_by_rule=True, params=("num_bins", "mask_value", "salt", "output_mode", "sparse"))
def hashing(call: LayerCall) -> Tensor:
    t = call.x()
    mode = _mode(call, "int", ("int", "one_hot", "multi_hot", "count"))
    bins_v = call.cfg_soft("num_bins", None)
    bins = bins_v if isinstance(bins_v, int) and not isinstance(bins_v, bool) else None
    dtype_given = call.given("dtype")
    dtype = compute_dtype(call) if dtype_given else ("int64" if mode == "int" else "float32")
    if mode == "int" and dtype_given and dtype is not None and not is_int(dtype):
        raise ShapeError(
            f"Hashing: with output_mode='int' the dtype must be int32 or int64, got {dtype}",
            code="invalid-argument",
        )
    dims = t.shape.dims
    if dims is None or mode == "int":
        return out(t.shape, dtype)
    if is_symbolic(call):
        return out((*dims[:-1], bins) if dims else (bins,), dtype)
    if mode == "one_hot":
        if len(dims) == 0:
            raise Unknowable("scalar one_hot")
        return out(_encoded_eager(dims, bins, mode) or Shape(None), dtype)
    shape = _encoded_eager(dims, bins, mode)
    return out(Shape(shape) if shape is not None else Shape(None), dtype)


@layer(
    "Discretization",
    dtype_by_rule=True,
    params=("bin_boundaries", "num_bins", "epsilon", "output_mode", "sparse", "dtype", "name"),
)
def discretization(call: LayerCall) -> Tensor:
    t = call.x()
    mode = _mode(call, "int", ("int", "one_hot", "multi_hot", "count"))
    has_bounds = call.given("bin_boundaries") and not (
        isinstance(call.raw("bin_boundaries"), Const) and call.cfg_soft("bin_boundaries") is None
    )
    has_bins = call.given("num_bins") and call.cfg_soft("num_bins") is not None
    if has_bounds and has_bins:
        raise ShapeError(
            "Discretization: set either `num_bins` or `bin_boundaries`, not both",
            code="invalid-argument",
        )
    if not has_bounds and not has_bins:
        raise ShapeError(
            "Discretization: set either `num_bins` or `bin_boundaries`", code="invalid-argument"
        )
    if call.cfg_soft("sparse", False) is True and mode == "int":
        raise ShapeError(
            "Discretization: sparse=True needs output_mode one_hot, multi_hot or count",
            code="invalid-argument",
        )
    depth: int | None = None
    bounds = _literal_list(call.raw("bin_boundaries"))
    if bounds is not None:
        depth = len(bounds) + 1
    elif has_bins:
        n = call.cfg_soft("num_bins")
        depth = n if isinstance(n, int) and not isinstance(n, bool) else None
    dtype = "int32" if mode == "int" else compute_dtype(call)
    dims = t.shape.dims
    if not is_symbolic(call) and not has_bounds and not _layer_state(call).get("adapted"):
        raise ShapeError(
            "Discretization has no bin boundaries: pass `bin_boundaries=` or call `adapt()` "
            "before calling it on data",
            code="not-adapted",
        )
    if dims is None or mode == "int":
        return out(t.shape, dtype)
    if is_symbolic(call):
        if mode == "one_hot":
            return out(_encoded(dims, depth, mode), dtype)
        if len(dims) >= 2:
            return out((dims[0], *dims[2:], depth), dtype)
        return out((depth,), dtype)
    if not has_bounds:
        depth = None  # adapted: the number of bins comes from the data
    shape = _encoded_eager(dims, depth, mode)
    return out(Shape(shape) if shape is not None else Shape(None), dtype)


@layer("HashedCrossing", dtype_by_rule=True, params=("num_bins", "output_mode", "sparse", "name", "dtype"), multi_input=True)
def hashed_crossing(call: LayerCall) -> Tensor:
    mode = _mode(call, "int", ("int", "one_hot"))
    bins_v = call.cfg_soft("num_bins", None)
    bins = bins_v if isinstance(bins_v, int) and not isinstance(bins_v, bool) else None
    dtype = "int64" if mode == "int" else compute_dtype(call)
    if len(call.inputs) != 2:
        raise Unknowable("inputs")
    a, b = (i if isinstance(i, Tensor) else None for i in call.inputs)
    if a is None or b is None or a.shape.dims is None or b.shape.dims is None:
        raise Unknowable("inputs")
    da, db = a.shape.dims, b.shape.dims
    if da and db and isinstance(da[-1], int) and isinstance(db[-1], int) and da[-1] != db[-1]:
        raise ShapeError(
            f"HashedCrossing: the two inputs must have identical shapes, got {a.shape} and {b.shape}",
            code="shape-mismatch",
        )
    if is_symbolic(call):
        if mode == "int":
            return out(da, dtype)
        if da and da[-1] != 1:
            return out((*da, bins), dtype)
        return out((*da[:-1], bins), dtype)
    if len(da) > 2 or (len(da) == 2 and da[-1] != 1 and isinstance(da[-1], int)):
        raise ShapeError(
            "HashedCrossing inputs must have shape (), (batch,) or (batch, 1), got "
            f"{a.shape}",
            code="layer-input-rank",
        )
    if len(da) == 1:
        return out(da if mode == "int" else (da[0], bins), dtype)
    return out(Shape(None), dtype)


# ----------------------------------------------------------------------------------------------
# adapt() / set_vocabulary(): the vocabulary then comes from data


@method("layer", "get_vocabulary", "vocabulary_size")
def _vocabulary(call: Call) -> Value:
    """A lookup's vocabulary as Keras lists it: the mask token (int mode), the OOV tokens, then
    the tokens; known when the vocabulary was given literally and never adapted."""
    lay = call.receiver
    if not isinstance(lay, LayerVal) or lay.spec.name not in ("StringLookup", "IntegerLookup", "TextVectorization"):
        return UNKNOWN
    lc = LayerCall(lay, [], {}, call.interp, call.span)
    string_keys = lay.spec.name != "IntegerLookup"
    # not known: still a list of str (int) tokens, its size an int
    unknown: Value = (
        Unknown(None, int) if call.name.endswith("vocabulary_size")
        else Seq(None, "list", Unknown(None, str if string_keys else int))
    )
    try:
        mode = _mode(lc, "int", ("int", "one_hot", "multi_hot", "count", "tf_idf"))
        mask_default = "" if lay.spec.name == "TextVectorization" else None
        num_oov, mask, oov = _oov_config(lc, mask_default, "[UNK]" if string_keys else -1)
        vocab = _literal_list(lc.raw("vocabulary"))
        state = _layer_state(lc)
        if state.get("adapted"):
            vocab = state.get("learned_vocab")
        if lc.cfg_soft("pad_to_max_tokens", False) is not False:
            return unknown
    except (ShapeError, Unknowable):
        return unknown
    if vocab is None or num_oov is None:
        return unknown
    special = [mask] * (1 if mask is not None and mode == "int" else 0) + [oov] * num_oov
    tokens = vocab[len(special):] if vocab[: len(special)] == special else vocab
    listed = special + tokens
    if call.name.endswith("vocabulary_size"):
        return Const(len(listed))
    return Seq([Const(v) for v in listed], "list")


@method("layer", "adapt", "set_vocabulary")
def _adapt(call: Call) -> Value:
    lay = call.receiver
    if isinstance(lay, LayerVal):
        learned = None
        replaces = call.name.endswith("set_vocabulary")  # a second adapt() would merge
        if (replaces or not lay.config_cache.get("adapted")) and not call.interp.uncertain_depth:
            lc = LayerCall(lay, [], {}, call.interp, call.span)
            data = call.arg(0, "data" if call.name.endswith("adapt") else "vocabulary")
            try:
                learned = (_learned_vocabulary if call.name.endswith("adapt") else _set_vocabulary)(lc, data)
            except (ShapeError, Unknowable):
                learned = None
        lay.config_cache["adapted"] = True
        lay.config_cache["learned_vocab"] = learned
        if lay.spec.name == "Normalization" and call.name == "adapt":
            _note_adapt_input(lay, call.arg(0, "data"))
    return Const(None)


def _note_adapt_input(lay: LayerVal, data: Value | None) -> None:
    """The data shape a Normalization adapted on builds its statistics (a dataset: its batches)."""
    seen = data.element if isinstance(data, DatasetVal) else data
    if isinstance(data, DatasetVal):
        if isinstance(seen, Seq) and seen.kind == "tuple" and seen.items:
            seen = seen.items[0]  # Keras adapts on the inputs of (inputs, targets) elements
        if isinstance(seen, Tensor) and seen.shape.dims is not None and len(seen.shape.dims) == 1:
            # elements of one axis are batched (by 128) before adapting
            seen = Tensor(Shape((None, *seen.shape.dims)), seen.dtype, seen.kind, seen.origin)
    before = lay.config_cache.get("adapt_input", seen)
    same = isinstance(seen, Tensor) and isinstance(before, Tensor) and seen.shape == before.shape
    lay.config_cache["adapt_input"] = seen if same else UNKNOWN


def _kept_axes(call: LayerCall, rank: int, shape: Shape) -> list[int] | None:
    """The axes a Normalization keeps statistics for, counted from 0: none for ``axis=None``,
    None when the setting is not known. An axis outside the rank raises what Keras raises."""
    axis = call.cfg_soft("axis", -1)
    if axis is None:
        return []
    axes = (axis,) if isinstance(axis, int) and not isinstance(axis, bool) else axis
    if not isinstance(axes, tuple):
        return None
    for a in axes:
        if isinstance(a, int) and not -rank <= a < rank:
            raise ShapeError(
                f"Normalization: axis {a} is out of range for input {shape} (rank {rank})",
                code="axis-out-of-range",
            )
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        return None
    return sorted({a % rank for a in axes})


@attribute("layer", "mean", "variance")
def _normalization_statistics(v: Value) -> Value:
    """A built or adapted Normalization's ``mean``/``variance``: float32 tensors shaped like its
    input, with 1 on every axis it does not keep (the batch axis included)."""
    if not isinstance(v, LayerVal) or v.spec.name != "Normalization":
        return UNKNOWN
    seen = v.built_input if v.built_input is not None else v.config_cache.get("adapt_input")
    if not isinstance(seen, Tensor) or seen.shape.dims is None:
        return UNKNOWN
    dims = seen.shape.dims
    call = LayerCall(v, [], {})
    try:
        kept = _kept_axes(call, len(dims), seen.shape)
    except ShapeError:
        return UNKNOWN  # the build itself fails (reported at the call)
    if kept is None:
        return UNKNOWN
    shape = Shape(tuple(dims[d] if d in kept else 1 for d in range(len(dims))))
    # Keras casts them to the layer's compute dtype
    return Tensor(shape, compute_dtype(call), "tf", v.origin, "Normalization statistics")


# Keras' default standardization strips these characters (after lowercasing)
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')


def _learned_vocabulary(lc: LayerCall, data: Value | None) -> list[str] | None:
    """The tokens ``adapt()`` learns from a literal list of ASCII strings, in Keras' order
    (most frequent first, ties in reverse byte order), cut to ``max_tokens``; None when the
    data or the layer's text processing is not something the engine can replay."""
    name = lc.layer.spec.name
    texts = _literal_list(data)
    if texts is None and isinstance(data, Seq) and data.items is not None:
        rows = [_literal_list(item) for item in data.items]
        texts = [t for row in rows if row is not None for t in row] if all(r is not None for r in rows) else None
    if not texts or not all(isinstance(t, str) and t.isascii() for t in texts):
        return None
    if name == "TextVectorization":
        standardize = lc.cfg_soft("standardize", "lower_and_strip_punctuation")
        split = lc.cfg_soft("split", "whitespace")
        if lc.cfg_soft("ngrams", None) is not None or standardize not in (
            None, "lower", "strip_punctuation", "lower_and_strip_punctuation"
        ) or split not in (None, "whitespace", "character"):
            return None
        tokens: list[str] = []
        for text in texts:
            if standardize in ("lower", "lower_and_strip_punctuation"):
                text = text.lower()
            if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
                text = _PUNCTUATION.sub("", text)
            tokens.extend(text.split() if split == "whitespace" else list(text) if split == "character" else [text])
    elif name == "StringLookup":
        tokens = list(texts)
    else:
        return None
    mode = _mode(lc, "int", ("int", "one_hot", "multi_hot", "count", "tf_idf"))
    mask_default = "" if name == "TextVectorization" else None
    num_oov, mask, oov = _oov_config(lc, mask_default, "[UNK]")
    if num_oov is None:
        return None
    counts: dict[str, int] = {}
    for t in tokens:
        if t not in (mask, oov):
            counts[t] = counts.get(t, 0) + 1
    ordered = sorted(counts, key=lambda t: (counts[t], t.encode()), reverse=True)
    start = (1 if mask is not None and mode == "int" else 0) + num_oov
    max_tokens = lc.cfg_soft("max_tokens", None)
    if max_tokens is not None:
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool):
            return None
        ordered = ordered[: max(0, max_tokens - start)]
    return ordered


def _set_vocabulary(lc: LayerCall, vocab: Value | None) -> list[str] | None:
    """``set_vocabulary(tokens)`` with a literal list of distinct tokens."""
    tokens = _literal_list(vocab)
    if tokens is None or len(set(tokens)) != len(tokens) or not all(isinstance(t, str) for t in tokens):
        return None
    return tokens

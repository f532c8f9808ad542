"""``keras.utils.FeatureSpace``: structured-data preprocessing as one layer.

With ``output_mode="concat"`` (the default) every feature is encoded to float32 and the
encodings are concatenated: a batch of raw feature columns gives ``(batch, width)``, one
sample (scalar columns) gives ``(width,)``. The width adds up vocabulary sizes learned by
``adapt()``, so it is not claimed. ``get_encoded_features()`` is the symbolic
``(None, width)`` float32 tensor a model on top of it is built from. ``output_mode="dict"``
(one tensor per feature) is not modelled.
"""

from __future__ import annotations

from ..registry import Call, function, method
from ..shapes import Shape, Unknowable
from ..values import UNKNOWN, DictVal, LayerVal, Tensor, Value, tensors_in
from .base import LAYERS, LayerCall, layer


def _concatenates(lc: LayerCall) -> bool:
    mode = lc.cfg("output_mode", "concat")
    return mode == "concat"


@layer(
    "FeatureSpace",
    params=("features", "output_mode", "crosses", "crossing_dim", "hashing_dim", "num_discretization_bins", "name"),
    call_params=("data",),
    output_dtype="float32",
)
def feature_space(call: LayerCall) -> Shape:
    if not _concatenates(call) or not call.inputs or not isinstance(call.inputs[0], DictVal):
        raise Unknowable("output_mode")
    columns = tensors_in(call.inputs[0])
    if len(columns) != len(call.inputs[0].items):
        raise Unknowable("data")
    ranks = {t.shape.rank for t in columns}
    if not columns or len(ranks) != 1:
        raise Unknowable("data")
    rank = ranks.pop()
    if rank == 0:
        return Shape((None,))  # one sample: Keras batches it and takes the batch axis away again
    if rank in (1, 2):
        rows = {t.shape.dims[0] for t in columns if t.shape.dims}
        return Shape((rows.pop() if len(rows) == 1 else None, None))
    raise Unknowable("data")


@function("keras.utils.FeatureSpace")
def _make_feature_space(call: Call) -> Value:
    return call.interp.fresh(
        LayerVal(LAYERS["FeatureSpace"], list(call.args), dict(call.kwargs), call.span, file=call.interp.current_file)
    )


@method("layer", "get_encoded_features")
def _encoded_features(call: Call) -> Value:
    lay = call.receiver
    if not isinstance(lay, LayerVal) or lay.spec.name != "FeatureSpace":
        return UNKNOWN
    try:
        if not _concatenates(LayerCall(lay, [], {}, call.interp, call.span)):
            return UNKNOWN
    except Unknowable:
        return UNKNOWN
    cached = lay.config_cache.get("encoded")
    if not isinstance(cached, Tensor):
        # the same symbolic tensor on every call, as Keras keeps it
        cached = Tensor(Shape((None, None)), "float32", "keras", call.span, "FeatureSpace encoded features")
        lay.config_cache["encoded"] = cached
    return cached

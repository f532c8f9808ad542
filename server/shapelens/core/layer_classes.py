"""How Keras' public layer classes relate: which names are aliases of one class and which
classes have public subclasses, for ``isinstance(layer, keras.layers.X)`` on a built-in layer
or on an instance of the program's own layer classes (``isinstance(obj, MyBlock)`` too).

Keras layer classes seldom subclass one another; the few that do are listed here (checked
against Keras by ``tests/oracle/test_layer_classes.py``). A name the engine has no rule for is
not known to be unrelated, so it gives no answer.
"""

from __future__ import annotations

from .layers.base import LAYERS
from .values import ClassVal, Instance, LayerVal, LibRef, ModelVal

# other names of one class -> the name used here
_ALIASES = {
    **{f"Convolution{n}D": f"Conv{n}D" for n in (1, 2, 3)},
    **{f"Convolution{n}DTranspose": f"Conv{n}DTranspose" for n in (1, 2, 3)},
    **{f"SeparableConvolution{n}D": f"SeparableConv{n}D" for n in (1, 2)},
    **{f"MaxPool{n}D": f"MaxPooling{n}D" for n in (1, 2, 3)},
    **{f"AvgPool{n}D": f"AveragePooling{n}D" for n in (1, 2, 3)},
    **{f"GlobalMaxPool{n}D": f"GlobalMaxPooling{n}D" for n in (1, 2, 3)},
    **{f"GlobalAvgPool{n}D": f"GlobalAveragePooling{n}D" for n in (1, 2, 3)},
    "GroupedQueryAttention": "GroupQueryAttention",
}
# public classes with public subclasses -> those subclasses
_SUBCLASSES = {
    "Attention": frozenset({"AdditiveAttention"}),
    "Dropout": frozenset({"SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D"}),
    "Embedding": frozenset({"ReversibleEmbedding"}),
    "RNN": frozenset({"ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "GRU", "LSTM", "SimpleRNN"}),
    "Wrapper": frozenset({"SpectralNormalization", "TimeDistributed"}),
}
_BASES = ("Layer",)


def canonical(name: str) -> str:
    return _ALIASES.get(name, name)


def is_layer_subclass(layer_class: str, cls: str) -> bool | None:
    """Whether the built-in layer class ``layer_class`` is ``cls`` or one of its subclasses
    (both names as in ``keras.layers``); None when ``cls`` is a class the engine does not know."""
    a, b = canonical(layer_class), canonical(cls)
    if b in _BASES or a == b or a in _SUBCLASSES.get(b, ()):
        return True
    if b in _SUBCLASSES or b in LAYERS:
        return False
    return None


_KERAS_BASES = ("keras.layers.", "keras.Layer", "keras.Model", "keras.models.Model", "keras.Sequential", "keras.models.Sequential")


def layer_isinstance(v: LayerVal | Instance | ModelVal, cls: LibRef | ClassVal) -> bool | None:
    """``isinstance(v, cls)`` for a layer, a model or an instance of the program's own class,
    where the answer is certain."""
    if isinstance(v, ModelVal):
        if v.instance is not None:
            return layer_isinstance(v.instance, cls) if isinstance(v.instance, Instance) else None
        if isinstance(cls, ClassVal):
            return False
        name = cls.name.rsplit(".", 1)[-1]
        if not cls.name.startswith(_KERAS_BASES):
            return None
        # a functional or Sequential model is a Layer, and none of the built-in layer classes
        return True if name in _BASES else False if name in LAYERS or name in _SUBCLASSES else None
    if isinstance(v, LayerVal):
        if not isinstance(cls, LibRef) or not cls.name.startswith(_KERAS_BASES):
            return None if isinstance(cls, LibRef) else False
        return is_layer_subclass(v.spec.name, cls.name.rsplit(".", 1)[-1])
    mro = v.cls.mro()
    library = [b for b in mro if not isinstance(b, ClassVal)]
    if any(not isinstance(b, LibRef) or not (b.name.startswith(_KERAS_BASES) or b.name == "builtins.object") for b in library):
        return None  # a base the engine cannot see through
    if isinstance(cls, ClassVal):
        return cls in mro
    if not cls.name.startswith(_KERAS_BASES):
        return None
    answers = [
        is_layer_subclass(b.name.rsplit(".", 1)[-1], cls.name.rsplit(".", 1)[-1])
        for b in library if isinstance(b, LibRef) and b.name != "builtins.object"
    ]
    if True in answers:
        return True
    return False if answers and all(a is False for a in answers) else None


__all__ = ["canonical", "is_layer_subclass", "layer_isinstance"]

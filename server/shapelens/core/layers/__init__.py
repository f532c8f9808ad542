"""Shape rules for Keras layers, one module per family; importing this package registers them."""

from . import core as _core  # noqa: F401
from .base import LAYERS, LayerCall, LayerSpec, layer

__all__ = ["LAYERS", "LayerCall", "LayerSpec", "layer"]

"""Shape rules for Keras layers, one module per family; importing this package registers them."""

from . import applications as _applications  # noqa: F401
from . import attention as _attention  # noqa: F401
from . import conv as _conv  # noqa: F401
from . import core as _core  # noqa: F401
from . import feature_space as _feature_space  # noqa: F401
from . import merge as _merge  # noqa: F401
from . import normalization as _normalization  # noqa: F401
from . import pooling as _pooling  # noqa: F401
from . import preprocessing as _preprocessing  # noqa: F401
from . import recurrent as _recurrent  # noqa: F401
from . import reshaping as _reshaping  # noqa: F401
from .base import LAYERS, LayerCall, LayerSpec, layer

__all__ = ["LAYERS", "LayerCall", "LayerSpec", "layer"]

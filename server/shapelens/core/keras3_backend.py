"""``keras.backend`` of Keras 3, which kept only a handful of names.

Keras 2 code calls ``K.int_shape``, ``K.mean``, ``K.dot``... on ``from keras import backend as
K``. With TF 2.16+ ``keras`` is Keras 3, whose ``keras.backend`` has no such functions: the
attribute raises AttributeError (and ``from keras.backend import int_shape`` ImportError).
``tf.keras.backend`` still has them (TF maps it to the legacy backend), so only the standalone
spelling is reported.
"""

from __future__ import annotations

from .shapes import ShapeError
from .values import LibRef, Value

# dir(keras.backend) in Keras 3 (3.15), public names
KERAS3_BACKEND = frozenset({
    "backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
    "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
    "set_floatx", "set_image_data_format", "standardize_dtype",
})


def is_standalone_keras(module: str) -> bool:
    """A module path of the public ``keras`` package itself (not ``tensorflow.keras``, nor the
    private ``keras.src``, whose ``backend`` is the whole backend)."""
    parts = module.split(".")
    return parts[0] == "keras" and (len(parts) == 1 or parts[1] not in _PRIVATE)


def standalone_after(standalone: bool, attr: str) -> bool:
    """Whether ``module.attr`` is still the public ``keras`` package."""
    return standalone and attr not in _PRIVATE


_PRIVATE = frozenset({"src", "_tf_keras", "api"})


def is_keras3_backend(v: Value) -> bool:
    """The ``keras.backend`` module, reached through the public ``keras`` package."""
    return isinstance(v, LibRef) and v.standalone and v.name == "keras.backend"


def has_name(attr: str) -> bool | None:
    """``hasattr(keras.backend, attr)`` in Keras 3 (None for a dunder name: every module has
    some)."""
    return None if attr.startswith("__") else attr in KERAS3_BACKEND


def check_backend_name(attr: str, raises: str = "builtins.AttributeError") -> None:
    """Raise what Keras 3 raises for a Keras 2 helper looked up in ``keras.backend``: the
    attribute's AttributeError, or ``builtins.ImportError`` for a from-import of it."""
    if has_name(attr) is not False:
        return
    how = "ImportError at this import" if raises == "builtins.ImportError" else "AttributeError"
    err = ShapeError(
        f"`{attr}` is not in Keras 3's keras.backend ({how}): Keras 2's backend helpers are gone. "
        f"Use keras.ops (`keras.ops.shape(x)` or `x.shape` for int_shape, `keras.ops.mean`...) "
        f"or `tf.keras.backend.{attr}`, which TensorFlow still maps to the legacy backend",
        code="keras3-backend",
    )
    err.raises = raises
    raise err

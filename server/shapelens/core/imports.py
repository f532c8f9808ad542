"""What imported names refer to: canonical dotted names for TF, Keras, numpy and their aliases.

``tensorflow.keras.layers.Dense``, ``tf.keras.layers.Dense``, ``keras.layers.Dense`` and
``keras.layers.core.Dense`` all become ``keras.layers.Dense``; ``tensorflow`` is ``tf``,
``numpy`` is ``np``; ``tf.math.reduce_sum`` is ``tf.reduce_sum``. Rules are registered under
canonical names only.
"""

from __future__ import annotations

from functools import lru_cache

# Module prefixes rewritten to their canonical spelling, longest first.
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("tensorflow.python.keras.", "keras."),
    ("tensorflow.keras.", "keras."),
    ("tf.keras.", "keras."),
    ("tf_keras.", "keras."),
    ("tensorflow.", "tf."),
    ("numpy.", "np."),
    ("keras.src.", "keras."),
)

_EXACT = {
    "tensorflow": "tf",
    "tensorflow.keras": "keras",
    "tf.keras": "keras",
    "tensorflow.python.keras": "keras",
    "tf_keras": "keras",
    "numpy": "np",
}

# Keras sub-packages whose public names also live in keras.layers / keras (Keras 2 spellings).
_KERAS_LAYER_SUBMODULES = (
    "keras.layers.experimental.preprocessing.",
    "keras.layers.preprocessing.",
    "keras.layers.experimental.",
    "keras.layers.core.",
    "keras.layers.convolutional.",
    "keras.layers.pooling.",
    "keras.layers.recurrent.",
    "keras.layers.merge.",
    "keras.layers.normalization.",
    "keras.layers.reshaping.",
    "keras.layers.regularization.",
    "keras.layers.activation.",
    "keras.layers.attention.",
    "keras.layers.rnn.",
)

_KERAS_OPS_SUBMODULES = ("keras.ops.numpy.", "keras.ops.nn.", "keras.ops.linalg.")

_KERAS_MODEL_ALIASES = {
    "keras.models.Sequential": "keras.Sequential",
    "keras.models.Model": "keras.Model",
    "keras.engine.sequential.Sequential": "keras.Sequential",
    "keras.engine.training.Model": "keras.Model",
    "keras.layers.Input": "keras.Input",
    "keras.engine.input_layer.Input": "keras.Input",
    "keras.layers.Layer": "keras.Layer",
    "keras.engine.base_layer.Layer": "keras.Layer",
    "keras.models.load_model": "keras.saving.load_model",
    "keras.utils.to_categorical": "keras.utils.to_categorical",
    "keras.utils.np_utils.to_categorical": "keras.utils.to_categorical",
}

# tf.math / tf.linalg / tf.nn spellings of the same op.
_TF_ALIASES = {
    "tf.math.reduce_sum": "tf.reduce_sum",
    "tf.math.reduce_mean": "tf.reduce_mean",
    "tf.math.reduce_max": "tf.reduce_max",
    "tf.math.reduce_min": "tf.reduce_min",
    "tf.math.reduce_prod": "tf.reduce_prod",
    "tf.math.reduce_std": "tf.reduce_std",
    "tf.math.reduce_variance": "tf.reduce_variance",
    "tf.math.reduce_any": "tf.reduce_any",
    "tf.math.reduce_all": "tf.reduce_all",
    "tf.math.reduce_logsumexp": "tf.reduce_logsumexp",
    "tf.math.argmax": "tf.argmax",
    "tf.math.argmin": "tf.argmin",
    "tf.linalg.matmul": "tf.matmul",
    "tf.linalg.einsum": "tf.einsum",
    "tf.linalg.tensordot": "tf.tensordot",
    "tf.linalg.transpose": "tf.transpose",
    "tf.math.add": "tf.add",
    "tf.math.subtract": "tf.subtract",
    "tf.math.multiply": "tf.multiply",
    "tf.math.divide": "tf.divide",
    "tf.math.truediv": "tf.truediv",
    "tf.math.pow": "tf.pow",
    "tf.math.maximum": "tf.maximum",
    "tf.math.minimum": "tf.minimum",
    "tf.math.abs": "tf.abs",
    "tf.math.exp": "tf.exp",
    "tf.math.log": "tf.math.log",
    "tf.math.sqrt": "tf.sqrt",
    "tf.math.square": "tf.square",
    "tf.math.sigmoid": "tf.sigmoid",
    "tf.math.tanh": "tf.tanh",
    "tf.nn.sigmoid": "tf.sigmoid",
    "tf.nn.tanh": "tf.tanh",
    "tf.math.equal": "tf.equal",
    "tf.math.not_equal": "tf.not_equal",
    "tf.math.greater": "tf.greater",
    "tf.math.less": "tf.less",
    "tf.math.cumsum": "tf.cumsum",
    "tf.math.l2_normalize": "tf.nn.l2_normalize",
    "tf.image.resize_images": "tf.image.resize",
    "tf.compat.v1.placeholder": "tf.compat.v1.placeholder",
}


# tf.keras.backend (the legacy backend TF ships) is tf ops with Keras argument names; where the
# signature matches, the tf rule serves.
_KERAS_BACKEND = {
    "abs": "tf.abs", "sum": "tf.reduce_sum", "max": "tf.reduce_max",
    "min": "tf.reduce_min", "prod": "tf.reduce_prod", "any": "tf.reduce_any", "all": "tf.reduce_all",
    "square": "tf.square", "sqrt": "tf.sqrt", "exp": "tf.exp", "log": "tf.math.log",
    "maximum": "tf.maximum", "minimum": "tf.minimum", "pow": "tf.pow", "sign": "tf.sign",
    "round": "tf.round", "cos": "tf.cos", "sin": "tf.sin", "clip": "tf.clip_by_value",
    "reshape": "tf.reshape", "squeeze": "tf.squeeze", "stack": "tf.stack",
    "transpose": "tf.transpose", "permute_dimensions": "tf.transpose", "tile": "tf.tile",
    "cast": "tf.cast", "shape": "tf.shape", "l2_normalize": "tf.nn.l2_normalize",
    "relu": "tf.nn.relu", "sigmoid": "tf.sigmoid", "tanh": "tf.tanh", "softmax": "tf.nn.softmax",
    "softplus": "tf.nn.softplus", "softsign": "tf.nn.softsign", "elu": "tf.nn.elu",
    "ones": "tf.ones", "zeros": "tf.zeros", "ones_like": "tf.ones_like",
    "zeros_like": "tf.zeros_like", "random_normal": "tf.random.normal",
    "random_uniform": "tf.random.uniform", "one_hot": "tf.one_hot", "gather": "tf.gather",
    "argmax": "tf.argmax", "argmin": "tf.argmin", "equal": "tf.equal", "greater": "tf.greater",
    "less": "tf.less", "cumsum": "tf.cumsum", "stop_gradient": "tf.stop_gradient",
    "constant": "tf.constant", "eye": "tf.eye",
}


@lru_cache(maxsize=4096)
def canonical(name: str) -> str:
    """Canonical dotted name for a fully qualified import path or attribute chain."""
    if name in _EXACT:
        return _EXACT[name]
    for prefix, repl in _PREFIXES:
        if name.startswith(prefix):
            name = repl + name[len(prefix) :]
            break
    if name.startswith("keras.layers."):
        for sub in _KERAS_LAYER_SUBMODULES:
            if name.startswith(sub):
                name = "keras.layers." + name[len(sub) :]
                break
    if name.startswith("keras.api."):
        name = "keras." + name[len("keras.api.") :]
    if name.startswith(_KERAS_OPS_SUBMODULES):
        # keras.ops.numpy.X, keras.ops.nn.X and keras.ops.linalg.X are the very objects at keras.ops.X
        _, _, rest = name[len("keras.ops.") :].partition(".")
        if rest:
            name = "keras.ops." + rest
    name = _KERAS_MODEL_ALIASES.get(name, name)
    if name.startswith("keras.backend."):
        name = _KERAS_BACKEND.get(name[len("keras.backend.") :], name)
    return _TF_ALIASES.get(name, name)


def module_for_import(module: str) -> str:
    """``import tensorflow as tf`` binds ``tf`` to the canonical module name."""
    return canonical(module)

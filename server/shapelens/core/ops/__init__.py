"""Shape rules for tensor operations (tf.*, numpy, keras.ops); importing registers them."""

from . import elementwise as _elementwise  # noqa: F401

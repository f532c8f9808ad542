"""Shape rules for tensor operations (tf.*, numpy, keras.ops); importing registers them."""

from . import axis_order_ops as _axis_order_ops  # noqa: F401
from . import detection_ops as _detection_ops  # noqa: F401
from . import elementwise as _elementwise  # noqa: F401
from . import fourier_ops as _fourier_ops  # noqa: F401
from . import image_ops as _image_ops  # noqa: F401
from . import keras_array_ops as _keras_array_ops  # noqa: F401
from . import keras_math_ops as _keras_math_ops  # noqa: F401
from . import keras_ops as _keras_ops  # noqa: F401
from . import keras_signal_ops as _keras_signal_ops  # noqa: F401
from . import linalg_ops as _linalg_ops  # noqa: F401
from . import methods as _methods  # noqa: F401
from . import numpy_ops as _numpy_ops  # noqa: F401
from . import numpy_stats_ops as _numpy_stats_ops  # noqa: F401
from . import ragged_ops as _ragged_ops  # noqa: F401
from . import segment_ops as _segment_ops  # noqa: F401
from . import shape_ops as _shape_ops  # noqa: F401
from . import sparse_ops as _sparse_ops  # noqa: F401
from . import string_ops as _string_ops  # noqa: F401
from . import tf_counting_ops as _tf_counting_ops  # noqa: F401
from . import tf_map_ops as _tf_map_ops  # noqa: F401
from . import tf_nn_window_ops as _tf_nn_window_ops  # noqa: F401
from . import tf_ops as _tf_ops  # noqa: F401
from . import tf_signal_ops as _tf_signal_ops  # noqa: F401
from . import tf_training_ops as _tf_training_ops  # noqa: F401
from . import tfrecord_ops as _tfrecord_ops  # noqa: F401

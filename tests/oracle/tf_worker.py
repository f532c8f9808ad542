"""Set-up shared by the processes that run test scripts under real TensorFlow (the corpus
oracle's and the mutation runner's workers): quiet, CPU-only TF configured once, the same clean
Keras state before each script, and the script's own ``tf.function``\\s traced as plain Python
so that their layer calls and tracebacks keep the script's line numbers."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any


def configure_tensorflow() -> None:
    """Import TF quietly on the CPU; the thread counts follow ``SHAPELENS_ORACLE_THREADS``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    import warnings

    warnings.filterwarnings("ignore")
    import keras  # noqa: F401
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    # Speed only: the test graphs are tiny, grappler's rewrites cost more than they save.
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    threads = os.environ.get("SHAPELENS_ORACLE_THREADS")
    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(int(threads))


def reset_state() -> None:
    """A fresh Keras session, float32 defaults and fixed seeds before each script."""
    import random

    import keras
    import numpy as np
    import tensorflow as tf

    # floatx first, then clear_session, which also forgets the global dtype policy: the script
    # starts with none set, as a fresh process does (the first layer it makes fixes one)
    keras.config.set_floatx("float32")
    keras.backend.clear_session()
    tf.config.run_functions_eagerly(False)
    np.random.seed(0)
    tf.random.set_seed(0)
    random.seed(0)


def trace_script_functions_as_python(current_script: Callable[[], str | None]) -> None:
    """AutoGraph would run converted copies of the script's functions from generated files;
    functions defined in ``current_script()`` are called as they are instead. The test scripts
    use no Python control flow on tensors, so no result changes."""
    from tensorflow.python.autograph.impl import api as ag_api

    orig = ag_api.converted_call

    def converted_call(
        f: Any, args: Any, kwargs: Any, caller_fn_scope: Any = None, options: Any = None
    ) -> Any:
        code = getattr(getattr(f, "__func__", f), "__code__", None)
        script = current_script()
        if script is not None and code is not None and code.co_filename == script:
            bound_to = getattr(f, "__self__", None)
            if type(bound_to).__name__ == "TfMethodTarget":
                # a tf.function method: TF binds it to a weak proxy of the instance
                return f.__func__(bound_to.target, *args, **(kwargs or {}))
            return f(*args, **(kwargs or {}))
        return orig(f, args, kwargs, caller_fn_scope, options)

    ag_api.converted_call = converted_call
    extra = getattr(getattr(ag_api, "_TRANSPILER", None), "_extra_locals", None)
    if extra and "ag__" in extra:  # generated code calls ag__.converted_call
        extra["ag__"].converted_call = converted_call

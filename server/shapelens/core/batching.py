"""The batch sizes Keras' fit/evaluate/predict cut array data into.

``batch_size`` (32 by default) for every step but the last, which holds what is left; the whole
array for ``*_on_batch``. Unknown where a dataset or generator makes the batches, or where
``validation_split``/``steps`` change how much data the steps see.
"""

from __future__ import annotations

from .registry import Call
from .values import Const

DEFAULT_BATCH_SIZE = 32


def configured_batch_size(call: Call) -> int:
    """The ``batch_size`` a fit/evaluate/predict call asks for (0 when not readable)."""
    given = call.kwargs.get("batch_size")
    if given is None or (isinstance(given, Const) and given.value is None):
        return DEFAULT_BATCH_SIZE
    if isinstance(given, Const) and isinstance(given.value, int) and not isinstance(given.value, bool):
        return given.value
    return 0


def step_batch_sizes(call: Call, samples: object) -> set[int] | None:
    """The sizes of the batches a training/inference call on ``samples`` rows makes."""
    if not isinstance(samples, int) or samples < 1:
        return None
    if call.name.endswith("_on_batch") or call.name == "__call__":
        return {samples}
    if any(k in call.kwargs for k in ("validation_split", "steps_per_epoch", "steps")):
        return None
    given = call.kwargs.get("batch_size")
    if given is None or (isinstance(given, Const) and given.value is None):
        size = DEFAULT_BATCH_SIZE
    elif isinstance(given, Const) and isinstance(given.value, int) and not isinstance(given.value, bool) and given.value > 0:
        size = given.value
    else:
        return None
    if samples <= size:
        return {samples}
    return {size} | ({samples % size} if samples % size else set())

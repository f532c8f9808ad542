"""Channels-first data fed to a channels-last model (and the reverse): Keras rejects it, the
engine flags it and says that the channel axis is the problem; the transposed data is quiet."""

from __future__ import annotations

import pytest

from oracle.harness import run_engine, run_real

pytestmark = pytest.mark.tf

CASES = [
    # (model, data shape, channels-first data?)
    ("keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Conv2D(8, 3)])", "(4, 3, 32, 32)", True),
    ("keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Conv2D(8, 3)])", "(4, 32, 32, 3)", None),
    ("keras.Sequential([keras.Input(shape=(20, 6)), layers.Conv1D(4, 3)])", "(4, 6, 20)", True),
    ("keras.Sequential([keras.Input(shape=(8, 8, 8, 2)), layers.Conv3D(2, 3)])", "(4, 2, 8, 8, 8)", True),
    (
        "keras.Sequential([keras.Input(shape=(3, 16, 16)), layers.Conv2D(4, 3, data_format='channels_first')])",
        "(4, 16, 16, 3)",
        False,
    ),
    # (the matching channels-first data cannot be the quiet twin here: TF's CPU kernels run
    # channels-first convolutions not at all)
]


@pytest.mark.parametrize(("model", "data", "channels_first"), CASES)
def test_channel_order(model: str, data: str, channels_first: bool | None) -> None:
    src = f"""
    model = {model}
    out = model.predict(np.zeros({data}, dtype="float32"), verbose=0)
    """
    real = run_real(src)
    engine = run_engine(src)
    if channels_first is None:
        assert real.error is None and not engine.errors, (real.error, engine.errors)
        return
    assert isinstance(real.error, ValueError), f"Keras did not reject the shape: {real.error!r}"
    assert engine.errors, f"TF raised {real.error!r}; the engine said nothing"
    wanted = "channels-first" if channels_first else "channels-last"
    assert f"the data looks {wanted}" in engine.errors[0], engine.errors

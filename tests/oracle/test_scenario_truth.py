"""The scenario fixtures say what TensorFlow really does: a line marked `# RAISES` must raise
under real TF (at that line), and every other fixture must run cleanly."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "scenarios"
NOT_RUNNABLE = {"s003_2_tfrecord_one_hot.py"}  # reads a TFRecord file by design


def _raise_line(text: str) -> int | None:
    for i, line in enumerate(text.splitlines(), start=1):
        if "# RAISES" in line:
            return i
    return None


@pytest.mark.parametrize("name", sorted(p.name for p in FIXTURES.glob("*.py")))
def test_fixture_truth(name: str) -> None:
    if name in NOT_RUNNABLE:
        pytest.skip("needs input files")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    path = FIXTURES / name
    text = path.read_text()
    expected = _raise_line(text)
    ns: dict[str, object] = {"__name__": "__main__"}
    try:
        exec(compile(text, str(path), "exec"), ns)
    except Exception as err:
        frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == str(path)]
        assert expected is not None, f"{name} raised unexpectedly: {err}"
        # the deepest frame in the fixture is where the user's code failed
        assert frames and frames[-1].lineno == expected, (frames, err)
        return
    assert expected is None, f"{name} was expected to raise at line {expected}"

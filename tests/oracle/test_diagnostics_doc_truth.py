"""Every error example in docs/DIAGNOSTICS.md really fails under TensorFlow (the doc never shows
a diagnostic for code that works)."""

import re
from pathlib import Path

import pytest

from oracle.harness import run_real

DOC = (Path(__file__).parents[2] / "docs" / "DIAGNOSTICS.md").read_text()
EXAMPLES = re.findall(r"### `([a-z0-9-]+)`\n\n([^\n]*)\n\n```python\n(.*?)```", DOC, re.S)
ERRORS = [(code, src) for code, desc, src in EXAMPLES if not desc.lower().startswith("information")]


@pytest.mark.parametrize(("code", "src"), ERRORS, ids=[c for c, _ in ERRORS])
def test_error_example_fails_under_tf(code: str, src: str) -> None:
    if code == "syntax-error":
        pytest.skip("not Python")
    assert run_real(src).error is not None

"""docs/DIAGNOSTICS.md stays true: every example produces its code, and every code the engine
can emit is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from shapelens.core.analysis import analyze_source

ROOT = Path(__file__).parents[2]
DOC = (ROOT / "docs" / "DIAGNOSTICS.md").read_text()
HEAD = "import numpy as np\nimport tensorflow as tf\nimport keras\nfrom keras import layers\n"
EXAMPLES = re.findall(r"### `([a-z0-9-]+)`\n\n[^\n]*\n\n```python\n(.*?)```", DOC, re.S)


def test_the_doc_has_examples() -> None:
    assert len(EXAMPLES) >= 20


@pytest.mark.parametrize(("code", "src"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_example_produces_its_code(code: str, src: str) -> None:
    codes = [i.code for i in analyze_source(HEAD + src).issues]
    assert code in codes, codes


def test_every_emitted_code_is_documented() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "server" / "shapelens").rglob("*.py"))
    emitted = set(re.findall(r'code="([a-z0-9-]+)"', source))
    emitted |= set(re.findall(r'"(?:error|warning|information)", "([a-z0-9-]+)"', source))
    emitted |= {"image-rank", "inference-shape", "dtype-cast", "merge-mismatch", "layer-config"}
    documented = set(re.findall(r"`([a-z0-9-]+)`", DOC))
    emitted -= {"error", "warning", "information", "hint"}  # severities, not codes
    assert emitted - documented == set()


def test_the_code_catalog_matches_the_doc() -> None:
    """shapelens.codes (SARIF rule descriptions) lists exactly the documented codes."""
    from shapelens.codes import CODES

    headed = set(re.findall(r"^### `([a-z0-9-]+)`", DOC, re.M))
    tabled = set(re.findall(r"^\| `([a-z0-9-]+)` \|", DOC, re.M))
    assert set(CODES) == headed | tabled

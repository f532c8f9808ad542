"""`shapelens check --format sarif` passes Microsoft's SARIF validator: the SARIF 2.1.0 schema
and the rules GitHub code scanning applies when it ingests a file (rule descriptions, help,
locations). The validator comes from npm (@microsoft/sarif-multitool-linux, a devDependency that
`make test` installs before pytest)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from shapelens.codes import CODES

ROOT = Path(__file__).parents[2]
HEAD = "import numpy as np\nimport tensorflow as tf\nimport keras\nfrom keras import layers\n"
VALIDATOR = ROOT / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the validator package is Linux-only")


def _validator() -> Path:
    assert VALIDATOR.is_file(), f"{VALIDATOR} is missing: run `npm ci` (make test does)"
    if not os.access(VALIDATOR, os.X_OK):
        VALIDATOR.chmod(VALIDATOR.stat().st_mode | stat.S_IXUSR)
    return VALIDATOR


def _check_sarif(*paths: Path | str, cwd: Path | None = None) -> dict:
    proc = subprocess.run(
        [sys.executable, "-m", "shapelens.cli", "check", *map(str, paths), "--format", "sarif"],
        capture_output=True, text=True, timeout=300, cwd=cwd,
    )
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)


def test_sarif_output_passes_the_schema_and_github_rules(tmp_path: Path) -> None:
    odd = tmp_path / "odd.py"  # non-ASCII before the mistake: columns are UTF-16 code units
    odd.write_text("import tensorflow as tf\nnote = 'é😀'; y = tf.zeros((2, 3)) + tf.zeros((4,))\n")
    binary = tmp_path / "binary.py"
    binary.write_bytes(b"\x00\xff\xfe\x00binary")
    documented = tmp_path / "documented"  # every example of docs/DIAGNOSTICS.md: one per code
    documented.mkdir()
    doc_text = (ROOT / "docs" / "DIAGNOSTICS.md").read_text()
    for code, src in re.findall(r"### `([a-z0-9-]+)`\n\n[^\n]*\n\n```python\n(.*?)```", doc_text, re.S):
        (documented / f"{code.replace('-', '_')}.py").write_text(HEAD + src)
    doc = _check_sarif(ROOT / "examples", documented, odd, binary)
    results = doc["runs"][0]["results"]
    codes = {r["ruleId"] for r in results}
    assert len(results) >= 30 and len(codes) >= 20, codes  # a real workout for the validator
    [odd_result] = [r for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("odd.py")]
    region = odd_result["locations"][0]["physicalLocation"]["region"]
    line = odd.read_text().splitlines()[1]
    assert region["startColumn"] == line.index("tf.zeros((2") + 2  # 1-based, the emoji counts 2

    _assert_valid(doc, tmp_path)


def test_relative_paths_are_relative_to_the_source_root(tmp_path: Path) -> None:
    doc = _check_sarif("examples", cwd=ROOT)
    artifact = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"].startswith("examples/") and artifact["uriBaseId"] == "%SRCROOT%"
    assert doc["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == ROOT.as_uri() + "/"
    _assert_valid(doc, tmp_path)


def _assert_valid(doc: dict, tmp_path: Path) -> None:
    sarif = tmp_path / "out.sarif"
    sarif.write_text(json.dumps(doc))
    report = tmp_path / "validation.sarif"
    proc = subprocess.run(
        [str(_validator()), "validate", str(sarif), "--output", str(report),
         "--rule-kind", "Gh;Sarif", "--level", "Error;Warning"],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1"},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    found = json.loads(report.read_text())["runs"][0]["results"]
    problems = [f"{r['ruleId']}: {r['message']}" for r in found if r.get("level", "warning") in ("error", "warning")]
    assert not problems, "\n".join(problems)


def test_every_rule_has_its_description() -> None:
    doc = _check_sarif(ROOT / "examples")
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        assert rule["fullDescription"]["text"] == CODES[rule["id"]]
        assert rule["helpUri"].endswith(f"DIAGNOSTICS.md#{rule['id']}")

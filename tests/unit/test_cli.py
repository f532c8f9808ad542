"""The CLI contracts: `shapes` JSON/text, `check` text/json/sarif and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "shapelens.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_shapes_json_follows_the_contract(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("import keras\nx = keras.Input(shape=(3, 4))\ny = keras.layers.Dense(5)(x)\n")
    proc = run("shapes", str(f), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["file"] == str(f)
    assert set(doc) == {"file", "shapes", "diagnostics"}
    entry = next(s for s in doc["shapes"] if s["name"] == "y")
    assert entry == {
        "line": 3, "column": 0, "end_line": 3, "end_column": 1, "name": "y",
        "shape": [None, 3, 5], "dtype": "float32", "origin": "static",
    }
    layer = next(s for s in doc["shapes"] if s["name"] == "Dense")
    assert layer["line"] == 3 and layer["column"] == 4 and layer["shape"] == [None, 3, 5]


def test_shapes_text_prints_source_with_shapes() -> None:
    proc = run("shapes", str(EXAMPLES / "multi_input.py"), "--format", "text")
    assert proc.returncode == 0
    assert "image_input: (None, 64, 64, 3) float32" in proc.stdout


def test_check_exit_codes(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text("import keras\nx = keras.Input(shape=(3,))\n")
    assert run("check", str(good)).returncode == 0
    assert run("check", str(tmp_path / "missing.py")).returncode == 2
    assert run("check").returncode == 2
    assert run("bogus-command").returncode == 2
    bad = tmp_path / "bad.py"
    bad.write_text("import keras\nx = keras.Input(shape=(3,)\n")
    proc = run("check", str(tmp_path))
    assert proc.returncode == 1
    assert "bad.py:2:" in proc.stdout and "syntax-error" in proc.stdout


def test_check_sarif_is_valid_2_1_0(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_bytes(b"\xff\xfe\x00")
    proc = run("check", str(bad), "--format", "sarif")
    doc = json.loads(proc.stdout)
    assert doc["version"] == "2.1.0"
    result = doc["runs"][0]["results"][0]
    assert result["ruleId"] == "unreadable-file"
    region = result["locations"][0]["physicalLocation"]["region"]
    assert region["startLine"] >= 1 and region["startColumn"] >= 1


def test_check_json(tmp_path: Path) -> None:
    good = tmp_path / "good.py"
    good.write_text("x = 1\n")
    doc = json.loads(run("check", str(good), "--format", "json").stdout)
    assert doc == [{"file": str(good), "diagnostics": []}]

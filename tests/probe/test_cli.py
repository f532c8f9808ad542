"""``shapelens probe FILE [--cell N] --format json|text`` from the terminal."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SCENARIOS

pytestmark = pytest.mark.tf

CELLS = """import numpy as np
# %% make data
data = np.zeros((6, 4), dtype=np.float32)
# %% use it
half = data[:3]
print("visible output")
"""


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "shapelens.cli", "probe", *args], capture_output=True, text=True, timeout=300)


def test_json_contract_with_runtime_origin(tmp_path: Path) -> None:
    script = tmp_path / "cells.py"
    script.write_text(CELLS)
    done = probe(str(script), "--format", "json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)  # user output went to stderr, stdout is only the JSON
    assert "visible output" in done.stderr
    assert out["file"] == str(script)
    shapes = {(s["line"], s["name"]): s for s in out["shapes"]}
    assert shapes[(3, "data")] == {
        "line": 3, "column": 0, "end_line": 3, "end_column": 4, "name": "data", "shape": [6, 4],
        "dtype": "float32", "origin": "runtime", "device": "CPU", "nonfinite": 0,
    }
    assert shapes[(5, "half")]["shape"] == [3, 4]
    assert [c["status"] for c in out["cells"]] == ["ok", "ok", "ok"]


def test_one_cell_only(tmp_path: Path) -> None:
    script = tmp_path / "cells.py"
    script.write_text(CELLS)
    done = probe(str(script), "--cell", "2", "--format", "json")
    out = json.loads(done.stdout)
    assert [s["name"] for s in out["shapes"]] == ["data"] and [c["cell"] for c in out["cells"]] == [2]
    assert probe(str(script), "--cell", "9").returncode == 2


def test_text_format_and_error_exit_status() -> None:
    done = probe(str(SCENARIOS / "s002_1_custom_layer_broadcast.py"))
    assert done.returncode == 1
    assert "features: (32, 10) float32" in done.stdout
    assert ":14:" in done.stdout and "runtime-error" in done.stdout and "Incompatible shapes" in done.stdout


def test_notebook_cells(tmp_path: Path) -> None:
    nb = tmp_path / "nb.ipynb"
    nb.write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["import numpy as np\n", "a = np.ones((2, 5))\n"]},
        {"cell_type": "markdown", "source": "text"},
        {"cell_type": "code", "source": ["%time b = a.T\n", "c = a.T\n"]},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    out = json.loads(probe(str(nb), "--format", "json").stdout)
    got = {(s["cell"], s["line"], s["name"]): s["shape"] for s in out["shapes"]}
    assert got == {(1, 2, "a"): [2, 5], (2, 1, "b"): [5, 2], (2, 2, "c"): [5, 2]}


def test_missing_file_and_unavailable_interpreter(tmp_path: Path) -> None:
    assert probe(str(tmp_path / "nope.py")).returncode == 2
    script = tmp_path / "x.py"
    script.write_text("x = 1\n")
    done = probe(str(script), "--python", str(tmp_path / "missing-python"))
    assert done.returncode == 2 and "cannot run the interpreter" in done.stderr

"""Runtime exceptions become diagnostics on the user's line, with the operands' shapes."""

from __future__ import annotations

import sys

import pytest

from shapelens.probe.runner import Prober

from .conftest import SCENARIOS, probe_file, probe_text

pytestmark = pytest.mark.tf


def test_seed_002_broadcast_error_pinned_inside_call(prober: Prober) -> None:
    [outcome] = probe_file(prober, SCENARIOS / "s002_1_custom_layer_broadcast.py")
    assert outcome.status == "error"
    [issue] = [i for i in outcome.issues if i.code == "runtime-error"]
    assert issue.span.line == 14 and issue.severity == "error"
    assert "Incompatible shapes: [32,5] vs. [32,2]" in issue.message
    assert "(32, 5) float32" in issue.message and "(32, 2) float32" in issue.message
    assert [r.span.line for r in issue.related] == [19]  # the call site `layer(features)`


def test_seed_000_predict_error_pinned_to_the_predict_line(prober: Prober) -> None:
    [outcome] = probe_file(prober, SCENARIOS / "s000_2_predict_on_slice.py")
    [issue] = [i for i in outcome.issues if i.code == "runtime-error"]
    assert issue.span.line == 11
    assert "expected axis -1 of input shape to have value 10" in issue.message
    assert "`part` is (16, 5) float32" in issue.message
    assert any(f.name == "part" and f.shape.to_json() == [16, 5] for f in outcome.facts)


def test_syntax_error_cell_is_reported_on_its_line(prober: Prober) -> None:
    outcome = probe_text(prober, "a = 1\nb = (2,\n", first_line=30)
    assert outcome.status == "error"
    [issue] = outcome.issues
    assert issue.span.line == 31 and issue.message.startswith("SyntaxError: ")
    assert (issue.span.column, issue.span.end_column) == (0, 7)


def test_sys_exit_is_information_and_the_kernel_lives_on(prober: Prober) -> None:
    outcome = probe_text(prober, "import sys\nsys.exit(3)\n")
    [issue] = outcome.issues
    assert issue.severity == "information" and "sys.exit(3)" in issue.message
    after = probe_text(prober, "import numpy as np\nstill = np.zeros(1)\n")
    assert after.status == "ok" and after.facts[0].name == "still"


def test_error_in_a_helper_function_points_at_the_helper_line(prober: Prober) -> None:
    code = (
        "import numpy as np\n"
        "def join(a, b):\n"
        "    return np.concatenate([a, b], axis=1)\n"
        "left = np.zeros((4, 3))\n"
        "right = np.zeros((5, 3))\n"
        "both = join(left, right)\n"
    )
    outcome = probe_text(prober, code)
    [issue] = [i for i in outcome.issues if i.code == "runtime-error"]
    assert issue.span.line == 3 and "`a` is (4, 3) float64" in issue.message and "`b` is (5, 3) float64" in issue.message
    assert [r.span.line for r in issue.related] == [6]


def test_missing_library_names_the_install_command(prober: Prober) -> None:
    outcome = probe_text(prober, "import numpy as np\nimport not_installed_lib_xyz\n")
    [issue] = outcome.issues
    assert issue.span.line == 2 and "No module named 'not_installed_lib_xyz'" in issue.message
    assert f"{sys.executable} -m pip install not_installed_lib_xyz" in issue.message

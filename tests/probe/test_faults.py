"""A kernel that loops forever, ignores interrupts, dies, floods stdout or is missing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shapelens.probe.cells import Cell
from shapelens.probe.runner import Prober
from shapelens.probe.session import SessionEvents

from .conftest import facts_by_name, probe_text

pytestmark = pytest.mark.tf


def test_infinite_loop_is_interrupted_at_the_timeout(prober: Prober) -> None:
    probe_text(prober, "import numpy as np\nkept = np.zeros((3,))\n")
    outcome = probe_text(prober, "n = 0\nwhile True:\n    n += 1\n", timeout=2)
    assert outcome.status == "timeout" and "interrupted" in outcome.message
    after = probe_text(prober, "again = kept * 2\n")  # the same kernel: earlier state is still there
    assert after.status == "ok" and facts_by_name(after)["again"].shape.to_json() == [3]


def test_loop_that_swallows_interrupts_gets_the_kernel_restarted(prober: Prober) -> None:
    code = "import time\nwhile True:\n    try:\n        time.sleep(0.2)\n    except KeyboardInterrupt:\n        pass\n"
    outcome = probe_text(prober, code, timeout=2)
    assert outcome.status == "timeout" and "restarted" in outcome.message
    after = probe_text(prober, "import numpy as np\nfresh = np.ones((2, 2))\n")
    assert after.status == "ok" and facts_by_name(after)["fresh"].shape.to_json() == [2, 2]


def test_kernel_killed_mid_probe_then_next_probe_works(prober: Prober, recorder) -> None:  # type: ignore[no-untyped-def]
    outcome = probe_text(prober, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")
    assert outcome.status == "dead" and "kernel died" in outcome.message
    assert "dead" in recorder.states
    after = probe_text(prober, "import numpy as np\nback = np.zeros((1, 5))\n")
    assert after.status == "ok" and facts_by_name(after)["back"].shape.to_json() == [1, 5]


def test_hundred_megabytes_of_output_are_truncated(prober: Prober, recorder) -> None:  # type: ignore[no-untyped-def]
    before = len(recorder.text)
    code = "import sys\nfor _ in range(100):\n    sys.stdout.write('y' * 1_000_000)\nimport numpy as np\nlast = np.zeros(4)\n"
    outcome = probe_text(prober, code, timeout=300)
    assert outcome.status == "ok" and outcome.output_truncated
    forwarded = recorder.text[before:]
    assert 900_000 < len(forwarded) < 1_100_000 and "output truncated" in forwarded
    assert facts_by_name(outcome)["last"].shape.to_json() == [4]


def test_missing_ipykernel_says_how_to_install_it(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True)
    python = str(bare / "bin" / "python")
    prober = Prober(python, str(tmp_path))
    try:
        outcome = prober.probe(str(tmp_path / "x.py"), Cell(1, 1, "x = 1\n"))
    finally:
        prober.close()
    assert outcome.status == "unavailable"
    assert "ipykernel" in outcome.message and f"{python} -m pip install ipykernel" in outcome.message


def test_interpreter_that_does_not_exist(tmp_path: Path) -> None:
    prober = Prober(str(tmp_path / "no-python"), str(tmp_path))
    outcome = prober.probe(str(tmp_path / "x.py"), Cell(1, 1, "x = 1\n"))
    assert outcome.status == "unavailable" and "cannot run the interpreter" in outcome.message


def _gone(pid: int, wait: float = 15.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def test_closing_the_session_ends_the_kernel() -> None:
    output: list[str] = []
    prober = Prober(sys.executable, events=SessionEvents(on_output=output.append))
    outcome = probe_text(prober, "import os\nprint('PID', os.getpid())\n")
    assert outcome.status == "ok"
    pid = int("".join(output).split("PID", 1)[1].split()[0])
    prober.close()
    assert _gone(pid)


CRASHING_SERVER = """
import sys
from shapelens.probe.cells import Cell
from shapelens.probe.runner import Prober
from shapelens.probe.session import SessionEvents
from shapelens.probe.session import SessionEvents
out = []
p = Prober(sys.executable, events=SessionEvents(on_output=out.append))
p.probe("/x.py", Cell(1, 1, "import os\\nprint('PID', os.getpid())\\n"))
print("".join(out).split("PID", 1)[1].split()[0], flush=True)
import time
time.sleep(600)
"""


def test_kernel_does_not_outlive_a_killed_shapelens() -> None:
    """SIGKILL on the process that owns the probe (the language server, say): no orphan kernel."""
    proc = subprocess.Popen([sys.executable, "-c", CRASHING_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        pid = int(proc.stdout.readline().strip())
        os.kill(pid, 0)  # the kernel is running
    finally:
        proc.kill()
        proc.wait()
    assert _gone(pid, wait=20)

"""Probing cells: sends each cell to the warm kernel and turns the reply into a ProbeOutcome.

Used by ``shapelens probe`` and by the language server; one ``Prober`` per interpreter and
working directory keeps one kernel alive across probes (TensorFlow is imported once).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .cells import Cell, trimmed
from .results import ProbeOutcome, error_issue, nonfinite_issues, observation_facts
from .session import ProbeSession, ProbeUnavailable, SessionEvents

DEFAULT_TIMEOUT = 300.0


class Prober:
    def __init__(self, python: str, cwd: str | None = None, events: SessionEvents | None = None) -> None:
        self.python = python
        self.cwd = cwd
        self.session = ProbeSession(python, cwd, events)

    @property
    def state(self) -> str:
        return self.session.state

    def probe(self, path: str, cell: Cell, timeout: float = DEFAULT_TIMEOUT) -> ProbeOutcome:
        """Runs one cell; ``path`` names the document its lines belong to."""
        cell = trimmed(cell)
        if not cell.text.strip():
            return ProbeOutcome("ok")
        code, first_line = cell.text, cell.first_line
        if code[:1] in (" ", "\t") and first_line > 1:
            # an indented selection: run it as the body of a block so its columns stay true
            code, first_line = "if True:\n" + code, first_line - 1
        try:
            reply = self.session.run(code, path, first_line, timeout)
        except ProbeUnavailable as err:
            return ProbeOutcome("unavailable", message=str(err))
        return outcome_of(reply, path, timeout, self.python)

    def probe_all(self, path: str, cells: Sequence[Cell], timeout: float = DEFAULT_TIMEOUT) -> list[ProbeOutcome]:
        """Runs cells in order and stops at the first that fails, as Jupyter's "run all" does."""
        outcomes: list[ProbeOutcome] = []
        for cell in cells:
            outcome = self.probe(path, cell, timeout)
            outcomes.append(outcome)
            if outcome.status != "ok":
                break
        return outcomes

    def interrupt(self) -> None:
        self.session.interrupt()

    def restart(self) -> ProbeOutcome:
        try:
            reply = self.session.restart()
        except ProbeUnavailable as err:
            return ProbeOutcome("unavailable", message=str(err))
        if not reply.get("ok"):
            return ProbeOutcome("failed", message=str(reply.get("error", "the kernel did not restart")))
        return ProbeOutcome("ok", message="kernel restarted")

    def close(self) -> None:
        self.session.close()


def outcome_of(reply: dict[str, Any], path: str, timeout: float, python: str = "python") -> ProbeOutcome:
    if not reply.get("ok"):
        return ProbeOutcome("failed", message=str(reply.get("error", "the probe failed")))
    status = str(reply.get("status", "ok"))
    seconds = float(reply.get("seconds", 0.0))
    truncated = bool(reply.get("output_truncated"))
    if status == "dead":
        return ProbeOutcome("dead", message="the kernel died while running the cell; the next probe starts a new one",
                            seconds=seconds, output_truncated=truncated)
    if status == "restarted":
        return ProbeOutcome(
            "timeout",
            message=f"the cell ran past the {timeout:g} s timeout and did not stop when interrupted; "
            "the kernel was restarted (earlier cells must be probed again)",
            seconds=seconds, output_truncated=truncated,
        )
    result = reply.get("result") or {}
    facts = observation_facts(result.get("observations", []))
    issues = []
    message = ""
    if reply.get("timed_out"):
        status = "timeout"
        message = f"the cell ran past the {timeout:g} s timeout and was interrupted"
    elif isinstance(result.get("error"), dict) and result["error"].get("type") == "KeyboardInterrupt":
        status, message = "interrupted", "the probe was interrupted"
    elif isinstance(result.get("error"), dict):
        issue = error_issue(result["error"], path)
        missing = _missing_module(result["error"])
        if issue is not None and missing:
            # TensorFlow (or another library) is not in the kernel's interpreter: say how to add it
            issue.message += f" — install it in the probe's interpreter: {python} -m pip install {missing}"
        if issue is not None:
            issues.append(issue)
        else:
            message = f"{result['error'].get('type')}: {result['error'].get('message', '')}"
    if result.get("probe_error"):
        message = (message + "; " if message else "") + f"probe problem: {result['probe_error']}"
    issues.extend(nonfinite_issues(facts))
    return ProbeOutcome(status, facts, issues, message, seconds, truncated)


def _missing_module(error: dict[str, Any]) -> str | None:
    if error.get("type") not in ("ModuleNotFoundError", "ImportError"):
        return None
    found = re.search(r"No module named '([\w.]+)'", str(error.get("message", "")))
    return found.group(1).split(".")[0] if found else None

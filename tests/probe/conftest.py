"""A real kernel (ipykernel in this interpreter, where TensorFlow is) shared per test module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shapelens.core.facts import ShapeFact
from shapelens.probe.cells import Cell, split_cells
from shapelens.probe.results import ProbeOutcome
from shapelens.probe.runner import Prober
from shapelens.probe.session import SessionEvents

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "tests" / "fixtures" / "scenarios"


class Recorder:
    def __init__(self) -> None:
        self.output: list[str] = []
        self.states: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.output)


@pytest.fixture(scope="module")
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture(scope="module")
def prober(recorder: Recorder) -> Iterator[Prober]:
    events = SessionEvents(on_state=recorder.states.append, on_output=recorder.output.append)
    p = Prober(sys.executable, str(ROOT), events)
    yield p
    p.close()


def probe_file(prober: Prober, path: Path, timeout: float = 120) -> list[ProbeOutcome]:
    return prober.probe_all(str(path), split_cells(path.read_text()), timeout)


def probe_text(prober: Prober, text: str, name: str = "/virtual/cell.py", first_line: int = 1,
               timeout: float = 60) -> ProbeOutcome:
    return prober.probe(name, Cell(1, first_line, text), timeout)


def facts_by_name(outcome: ProbeOutcome) -> dict[str, ShapeFact]:
    return {f.name: f for f in outcome.facts if f.kind != "layer"}


def dims(fact: ShapeFact) -> list[object] | None:
    return fact.shape.to_json()

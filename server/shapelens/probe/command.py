"""``shapelens probe FILE [--cell N]``: run a file's cells in a kernel and print the real shapes.

User output (print, warnings, tracebacks) goes to stderr as it happens, so ``--format json`` on
stdout stays one clean JSON object.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from ..core.facts import Issue, ShapeFact
from ..core.shapes import format_shape
from .cells import Cell, notebook_cells, split_cells
from .results import ProbeOutcome
from .runner import Prober
from .session import SessionEvents


def run_probe(file: str, cell: int | None, fmt: str, python: str | None, timeout: float) -> int:
    path = Path(file)
    if not path.is_file():
        print(f"shapelens: no such file: {file}", file=sys.stderr)
        return 2
    try:
        raw = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        print(f"shapelens: {file} is not UTF-8 text", file=sys.stderr)
        return 2
    notebook = path.suffix == ".ipynb"
    try:
        cells = notebook_cells(raw) if notebook else split_cells(raw)
    except ValueError as err:
        print(f"shapelens: {file} is not a readable notebook: {err}", file=sys.stderr)
        return 2
    setup: list[Cell] = []
    if cell is not None:
        if not 1 <= cell <= len(cells):
            print(f"shapelens: {file} has {len(cells)} cell(s); there is no cell {cell}", file=sys.stderr)
            return 2
        # a fresh kernel: the cells above run first (as in Jupyter), only cell N is reported
        setup, cells = cells[: cell - 1], [cells[cell - 1]]

    def echo(text: str) -> None:
        sys.stderr.write(text)
        sys.stderr.flush()

    prober = Prober(python or sys.executable, str(path.resolve().parent), SessionEvents(on_output=echo))
    doc = str(path.resolve())
    results: list[tuple[Cell, ProbeOutcome]] = []
    try:
        for c in setup:
            outcome = prober.probe(f"{doc}#cell{c.index}" if notebook else doc, c, timeout)
            if outcome.status != "ok":
                results.append((c, outcome))
                break
        for c in cells if not results else []:
            # notebook cells are separate documents: each gets its own name in the kernel
            outcome = prober.probe(f"{doc}#cell{c.index}" if notebook else doc, c, timeout)
            results.append((c, outcome))
            if outcome.status != "ok":
                break
    finally:
        prober.close()
    if results and results[-1][1].status == "unavailable":
        print(f"shapelens: {results[-1][1].message}", file=sys.stderr)
        return 2
    if fmt == "json":
        json.dump(probe_json(file, results, notebook), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(probe_text(file, raw, results, notebook))
    failed = any(o.status not in ("ok",) for _, o in results)
    has_error = any(i.severity == "error" for _, o in results for i in o.issues)
    return 1 if failed or has_error else 0


def probe_json(file: str, results: list[tuple[Cell, ProbeOutcome]], notebook: bool) -> dict[str, Any]:
    shapes: list[dict[str, Any]] = []
    diagnostics: list[dict[str, Any]] = []
    cells: list[dict[str, Any]] = []
    for c, outcome in results:
        extra = {"cell": c.index} if notebook else {}
        shapes.extend({**f.to_json(), **extra} for f in outcome.facts if f.kind in ("assign", "layer", "expr"))
        diagnostics.extend({**i.to_json(), **extra} for i in outcome.issues)
        entry: dict[str, Any] = {"cell": c.index, "first_line": c.first_line, "status": outcome.status,
                                 "seconds": round(outcome.seconds, 3)}
        if outcome.message:
            entry["message"] = outcome.message
        if outcome.output_truncated:
            entry["output_truncated"] = True
        cells.append(entry)
    return {"file": file, "shapes": shapes, "diagnostics": diagnostics, "cells": cells}


def probe_text(file: str, raw: str, results: list[tuple[Cell, ProbeOutcome]], notebook: bool) -> str:
    out: list[str] = [f"== {file} (probed in a kernel)"]
    for c, outcome in results:
        lines = c.text.splitlines() if notebook else raw.splitlines()[c.first_line - 1 : c.last_line]
        by_line: dict[int, list[ShapeFact]] = {}
        for f in outcome.facts:
            by_line.setdefault(f.span.line, []).append(f)
        width = min(max((len(line) for line in lines), default=0), 72)
        out.append(f"-- cell {c.index}: {outcome.status} in {outcome.seconds:.2f} s")
        for n, line in enumerate(lines, start=c.first_line):
            notes = "; ".join(_notes(by_line.get(n, [])))
            out.append(f"{n:4} | {line.ljust(width)}  # {notes}" if notes else f"{n:4} | {line}")
        for issue in outcome.issues:
            out.append(_issue_line(file, issue, c.index if notebook else None))
        if outcome.message:
            out.append(f"note: {outcome.message}")
    return "\n".join(out) + "\n"


def _notes(facts: list[ShapeFact]) -> list[str]:
    """One note per fact; a layer output already shown by its assignment only names the layer."""
    assigned = [(f.shape, f.variants) for f in facts if f.kind == "assign"]
    notes: list[str] = []
    for f in facts:
        if f.kind == "layer" and (f.shape, f.variants) in assigned and notes:
            notes[-1] += f" ({f.name})"
            continue
        notes.append(_note(f))
    return notes


def _note(f: ShapeFact) -> str:
    if f.kind in ("dataset", "model") or f.shape.dims is None:
        return f"{f.name}: {f.detail or f.kind}"
    shape = " | ".join(format_shape(v) for v in f.variants) if f.variants else format_shape(f.shape)
    text = f"{f.name}{' ->' if f.kind == 'layer' else ':'} {shape} {f.dtype or ''}".rstrip()
    if f.device and not f.device.startswith("CPU"):
        text += f" on {f.device}"
    if f.nonfinite:
        text += f" ({f.nonfinite} NaN/Inf)"
    return text


def _issue_line(file: str, issue: Issue, cell: int | None) -> str:
    where = f"{file}[cell {cell}]" if cell is not None else file
    message = issue.message.replace(os.linesep, " ")
    return f"{where}:{issue.span.line}:{issue.span.column + 1}: {issue.severity} {issue.code} {message}"

"""Cells of a probed document: ``# %%`` cells of a .py file, code cells of an .ipynb file.

A cell knows the document line it starts on, so what the kernel reports (in document lines,
see ``runtime``) lands on the right line and can be remapped after edits elsewhere.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

CELL_MARKER = re.compile(r"^\s*#\s*(%%|In\[[ 0-9]*\]:)")


@dataclass(frozen=True, slots=True)
class Cell:
    index: int  # 1-based, in document order
    first_line: int  # document line of the cell's first line of code (1-based)
    text: str
    marker_line: int | None = None  # the `# %%` line that opens it, if any

    @property
    def last_line(self) -> int:
        return self.first_line + max(len(self.text.splitlines()), 1) - 1

    def contains(self, line: int) -> bool:
        start = self.marker_line if self.marker_line is not None else self.first_line
        return start <= line <= self.last_line


def split_cells(text: str) -> list[Cell]:
    """The ``# %%`` cells of a Python file; the whole file is one cell when it has no marker.
    Code before the first marker is a cell of its own when it holds any code."""
    lines = text.splitlines(True)
    starts = [i for i, line in enumerate(lines) if CELL_MARKER.match(line)]
    if not starts:
        return [Cell(1, 1, text)] if text.strip() else []
    cells: list[Cell] = []
    bounds: list[tuple[int, int, int | None]] = []
    if "".join(lines[: starts[0]]).strip():
        bounds.append((0, starts[0], None))
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        bounds.append((start + 1, end, start + 1))
    for lo, hi, marker in bounds:
        cells.append(Cell(len(cells) + 1, lo + 1, "".join(lines[lo:hi]), marker))
    return cells


def trimmed(cell: Cell) -> Cell:
    """The cell without its leading blank lines (IPython drops them, which would shift every
    line number the kernel reports)."""
    lines = cell.text.splitlines(True)
    skip = 0
    while skip < len(lines) and not lines[skip].strip():
        skip += 1
    return Cell(cell.index, cell.first_line + skip, "".join(lines[skip:]), cell.marker_line)


def notebook_cells(raw: str) -> list[Cell]:
    """Code cells of an .ipynb file, each numbered from line 1 (cells are separate documents)."""
    data = json.loads(raw)
    cells: list[Cell] = []
    for cell in data.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        cells.append(Cell(len(cells) + 1, 1, text))
    return cells

"""Notebooks: the code cells, in order, are one program; results map back to the cells.

A notebook's Python cells are concatenated (each cell ends with a newline) and analysed as one
file, so a tensor made in one cell has its shape in the next. IPython syntax the engine cannot
parse is blanked without changing the line count: ``%line`` magics and ``!shell`` lines become
``pass`` (keeping their indentation), and a cell whose first line is a non-Python cell magic
(``%%bash``, ``%%writefile`` ...) is blanked entirely.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lsprotocol import types as lsp

from ..core.facts import Span
from .convert import LineIndex, split_lines

# Cell magics whose body is still Python.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "tensorflow_version"}
_STRINGS = re.compile(r"'[^'\\]*(?:\\.[^'\\]*)*'|\"[^\"\\]*(?:\\.[^\"\\]*)*\"")


@dataclass(frozen=True)
class CellText:
    uri: str
    text: str
    version: int | None
    number: int = 0  # 1-based position among all the notebook's cells (as the user counts)


@dataclass(frozen=True)
class CellLayout:
    uri: str
    start: int  # 0-based line of the cell's first line in the program
    lines: int
    version: int | None
    number: int = 0


def _depth_change(line: str) -> int:
    code = _STRINGS.sub("", line.split("#", 1)[0]) if "#" in line or "'" in line or '"' in line else line
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


def strip_magics(text: str) -> str:
    """The cell with IPython-only lines blanked; same number of lines."""
    lines = split_lines(text)
    first = next((ln.strip() for ln in lines if ln.strip()), "")
    if first.startswith("%%"):
        name = first[2:].split(maxsplit=1)[0] if len(first) > 2 else ""
        if name not in PYTHON_CELL_MAGICS:
            return "\n".join("" for _ in lines)
        blank_first = True
    else:
        blank_first = False
    out: list[str] = []
    depth = 0
    for ln in lines:
        stripped = ln.lstrip()
        indent = ln[: len(ln) - len(stripped)]
        if blank_first and stripped.startswith("%%"):
            out.append("")
            blank_first = False
            continue
        if depth <= 0 and stripped[:1] in ("%", "!"):
            out.append(indent + "pass")
            continue
        if depth <= 0 and stripped.endswith("?") and not stripped.startswith("#"):
            out.append(indent + "pass")  # `obj?` help
            continue
        out.append(ln)
        depth = max(0, depth + _depth_change(ln))
    return "\n".join(out)


def build_program(cells: Sequence[CellText]) -> tuple[str, str, list[CellLayout]]:
    """(engine text, display text, layout): the cells joined in order, each ending a line."""
    engine_parts: list[str] = []
    display_parts: list[str] = []
    layout: list[CellLayout] = []
    line = 0
    for cell in cells:
        body = cell.text if cell.text.endswith(("\n", "\r")) else cell.text + "\n"
        lines = split_lines(body)[:-1]
        engine_lines = split_lines(strip_magics("\n".join(lines)))
        if len(engine_lines) != len(lines):  # never expected; keep the mapping exact regardless
            engine_lines = lines
        engine_parts.append("\n".join(engine_lines) + "\n")
        display_parts.append(body)
        layout.append(CellLayout(cell.uri, line, len(lines), cell.version, cell.number))
        line += len(lines)
    return "".join(engine_parts), "".join(display_parts), layout


class NotebookLocator:
    """Engine coordinates in the joined program <-> positions in cell documents."""

    def __init__(self, display_text: str, layout: list[CellLayout], encoding: str = "utf-16") -> None:
        self.index = LineIndex(display_text, encoding)
        self.layout = layout
        self._starts = [c.start for c in layout]
        self._by_uri = {c.uri: c for c in layout}

    def cell_of(self, line0: int) -> CellLayout | None:
        i = bisect.bisect_right(self._starts, line0) - 1
        if i < 0:
            return None
        cell = self.layout[i]
        if line0 >= cell.start + max(cell.lines, 1):
            return None
        return cell

    def range_of(self, span: Span) -> tuple[str, lsp.Range] | None:
        line0 = max(0, span.line - 1)
        cell = self.cell_of(line0)
        if cell is None:
            return None
        start = self.index.position(span.line, span.column)
        last0 = cell.start + max(cell.lines, 1) - 1
        if span.end_line - 1 > last0:  # a span running into the next cell: stop at this one's end
            end = lsp.Position(last0, self.index.units_from_index(last0, len(self.index.line(last0))))
        else:
            end = self.index.position(span.end_line, span.end_column)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return cell.uri, lsp.Range(
            lsp.Position(start.line - cell.start, start.character),
            lsp.Position(end.line - cell.start, end.character),
        )

    def to_engine(self, uri: str, position: lsp.Position) -> tuple[int, int] | None:
        cell = self._by_uri.get(uri)
        if cell is None or position.line < 0 or position.line >= max(cell.lines, 1):
            return None
        return self.index.engine(lsp.Position(cell.start + position.line, position.character))

    def engine_line(self, line1: int) -> str:
        return self.index.line(line1 - 1)

    def describe_line(self, line1: int) -> str:
        cell = self.cell_of(line1 - 1)
        if cell is None:
            return f"line {line1}"
        return f"cell {cell.number}, line {line1 - cell.start}"

    def uris(self) -> Sequence[str]:
        return [c.uri for c in self.layout]


def is_python_cell(cell: lsp.NotebookCell, language_id: str | None) -> bool:
    if cell.kind != lsp.NotebookCellKind.Code:
        return False
    return language_id in (None, "", "python")

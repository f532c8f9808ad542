"""Runtime results kept per document, and how they follow the text as the user edits.

A probe's results belong to the block of lines it ran (a cell, a selection, a notebook cell).
After an edit the block is looked up again in the new text: found unchanged, its facts move with
it; changed or gone, they are dropped. Runtime facts are never shown on text they did not see.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..core.facts import Issue, Related, ShapeFact, Span


@dataclass
class ProbedBlock:
    first_line: int  # 1-based line of the block in the document's (display) text
    lines: list[str]  # the block's text as probed, one entry per line
    facts: list[ShapeFact] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def last_line(self) -> int:
        return self.first_line + max(len(self.lines), 1) - 1

    def overlaps(self, first: int, last: int) -> bool:
        return not (last < self.first_line or first > self.last_line)


def _norm(lines: Sequence[str]) -> list[str]:
    return [line.rstrip() for line in lines]


def locate(block: Sequence[str], text_lines: Sequence[str], near: int) -> int | None:
    """The 1-based line where ``block`` occurs in ``text_lines``, the occurrence nearest ``near``."""
    want = _norm(block)
    if not want:
        return None
    have = _norm(text_lines)
    n = len(want)
    best: int | None = None
    for start in range(0, len(have) - n + 1):
        if have[start] == want[0] and have[start : start + n] == want:
            line = start + 1
            if best is None or abs(line - near) < abs(best - near):
                best = line
    return best


def _moved_span(span: Span, delta: int) -> Span:
    return Span(span.line + delta, span.column, span.end_line + delta, span.end_column)


def _moved_issue(issue: Issue, delta: int) -> Issue:
    return dataclasses.replace(
        issue,
        span=_moved_span(issue.span, delta),
        related=[Related(_moved_span(r.span, delta), r.message) for r in issue.related],
    )


class ProbeStore:
    """document key -> probed blocks; thread-safe (probes finish on worker threads)."""

    def __init__(self) -> None:
        self._blocks: dict[str, list[ProbedBlock]] = {}
        self._lock = threading.Lock()

    def put(self, key: str, block: ProbedBlock) -> None:
        with self._lock:
            kept = [b for b in self._blocks.get(key, []) if not b.overlaps(block.first_line, block.last_line)]
            self._blocks[key] = sorted([*kept, block], key=lambda b: b.first_line)

    def clear(self, key: str) -> bool:
        with self._lock:
            return bool(self._blocks.pop(key, None))

    def documents(self) -> list[str]:
        with self._lock:
            return list(self._blocks)

    def follow(self, key: str, text: str) -> bool:
        """Moves or drops the document's blocks to match ``text``; True when anything changed."""
        with self._lock:
            blocks = self._blocks.get(key)
            if not blocks:
                return False
            lines = text.splitlines()
            kept: list[ProbedBlock] = []
            changed = False
            for block in blocks:
                at = locate(block.lines, lines, block.first_line)
                if at is None:
                    changed = True
                    continue
                delta = at - block.first_line
                if delta:
                    changed = True
                    block = ProbedBlock(
                        at,
                        block.lines,
                        [dataclasses.replace(f, span=_moved_span(f.span, delta)) for f in block.facts],
                        [_moved_issue(i, delta) for i in block.issues],
                    )
                kept.append(block)
            self._blocks[key] = kept
            return changed

    def facts(self, key: str) -> list[ShapeFact]:
        with self._lock:
            out = [f for b in self._blocks.get(key, []) for f in b.facts]
        return sorted(out, key=lambda f: f.span)

    def issues(self, key: str) -> list[Issue]:
        with self._lock:
            return [i for b in self._blocks.get(key, []) for i in b.issues]

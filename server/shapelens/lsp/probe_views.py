"""How probe results appear next to the static ones: diagnostics, hover, code lenses.

Inlay hints for runtime facts are drawn by ``convert.to_inlay_hints`` (one place for hint
placement); this module owns what only the probe has: runtime errors, static/runtime
disagreements, device and NaN/Inf notes, model tables, and the "Probe shapes" lenses.
"""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types as lsp

from ..core.facts import Issue, ShapeFact
from ..core.shapes import format_shape
from ..probe.cells import split_cells
from ..probe.results import disagreements
from .convert import fact_at, fact_markdown
from .documents import Snapshot
from .probe_store import ProbeStore

CLIENT_PROBE_CELL = "shapelens.probeCell"
CLIENT_PROBE_FILE = "shapelens.probeFile"
CLIENT_PROBE_CLEAR = "shapelens.probeClear"


def with_runtime_issues(snapshot: Snapshot, store: ProbeStore) -> list[Issue]:
    """The snapshot's static issues plus the probe's, after moving probe results with the text."""
    key = snapshot.key
    store.follow(key, snapshot.source.display)
    runtime_facts = store.facts(key)
    if not runtime_facts and not store.issues(key):
        return list(snapshot.analysis.issues)
    return [*snapshot.analysis.issues, *store.issues(key), *disagreements(snapshot.analysis.facts, runtime_facts)]


def runtime_markdown(f: ShapeFact, static: ShapeFact | None) -> str:
    parts = [fact_markdown(f)]
    notes = []
    if f.device:
        notes.append(f"on {f.device}")
    if f.nonfinite is not None:
        notes.append(f"{f.nonfinite} NaN/Inf value{'s' if f.nonfinite != 1 else ''}")
    if f.detail and f.kind not in ("dataset", "model"):
        notes.append(f.detail)
    if f.variants:
        notes.append("shapes seen: " + ", ".join(f"`{format_shape(v)}`" for v in f.variants))
    if notes:
        parts.append("observed at runtime " + "; ".join(notes))
    if static is not None and static.shape.dims is not None:
        parts.append(f"static analysis: `{format_shape(static.shape)}` {static.dtype or ''}".rstrip())
    return "\n\n".join(parts)


def runtime_hover(
    snapshot: Snapshot, runtime: Sequence[ShapeFact], uri: str, here: tuple[int, int]
) -> lsp.Hover | None:
    fact = fact_at(runtime, *here) if runtime else None
    if fact is None:
        return None
    static = next(
        (s for s in snapshot.analysis.facts if s.span.line == fact.span.line and s.name == fact.name and s.kind == fact.kind),
        None,
    )
    where = snapshot.locator.range_of(fact.span)
    return lsp.Hover(
        contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=runtime_markdown(fact, static)),
        range=where[1] if where is not None and where[0] == uri else None,
    )


def code_lenses(uri: str, text: str, has_results: bool) -> list[lsp.CodeLens]:
    """"Probe shapes" above each ``# %%`` cell and at the top of the file."""
    top = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
    lenses = [
        lsp.CodeLens(range=top, command=lsp.Command("$(play) Probe shapes (file)", CLIENT_PROBE_FILE, arguments=[uri]))
    ]
    if has_results:
        lenses.append(lsp.CodeLens(range=top, command=lsp.Command("Clear probe results", CLIENT_PROBE_CLEAR, arguments=[uri])))
    for cell in split_cells(text):
        if cell.marker_line is None:
            continue
        at = lsp.Range(lsp.Position(cell.marker_line - 1, 0), lsp.Position(cell.marker_line - 1, 0))
        lenses.append(
            lsp.CodeLens(range=at, command=lsp.Command("$(play) Probe shapes", CLIENT_PROBE_CELL, arguments=[uri, cell.marker_line - 1]))
        )
    return lenses

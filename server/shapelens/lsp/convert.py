"""Facts and issues -> lsprotocol objects (diagnostics, hover, inlay hints).

The only module that knows both the engine's coordinates and the protocol's. Engine spans are
1-based lines and UTF-8 byte columns (Python's ``ast``); LSP positions are 0-based lines and
columns in the negotiated encoding (UTF-16 unless the client offers another). A ``Locator``
maps between the two and, for notebooks, between the concatenated program and its cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

from lsprotocol import types as lsp

from ..core.facts import Issue, ShapeFact, Span
from ..core.shapes import format_shape
from .settings import Settings

SOURCE = "shapelens"
_NEWLINE = re.compile(r"\r\n|\r|\n")

_SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "information": lsp.DiagnosticSeverity.Information,
    "hint": lsp.DiagnosticSeverity.Hint,
}

INLAY_LABEL_MAX = 48


# ----------------------------------------------------------------------------------------------
# coordinates


def split_lines(text: str) -> list[str]:
    """Lines as LSP and ``ast`` count them (only CR, LF and CRLF end a line)."""
    return _NEWLINE.split(text)


def _utf8_len(s: str) -> int:
    return len(s.encode("utf-8", "surrogatepass"))


class LineIndex:
    """Column conversions for one text, by 0-based line number."""

    def __init__(self, text: str, encoding: str = "utf-16") -> None:
        self.lines = split_lines(text)
        self.encoding = str(encoding)

    def __len__(self) -> int:
        return len(self.lines)

    def line(self, line0: int) -> str:
        return self.lines[line0] if 0 <= line0 < len(self.lines) else ""

    # engine (UTF-8 bytes) <-> str index
    def index_from_bytes(self, line0: int, col: int) -> int:
        text = self.line(line0)
        if col <= 0:
            return 0
        if text.isascii():
            return min(col, len(text))
        return len(text.encode("utf-8", "surrogatepass")[:col].decode("utf-8", "ignore"))

    def bytes_from_index(self, line0: int, index: int) -> int:
        text = self.line(line0)
        if text.isascii():
            return max(0, min(index, len(text)))
        return _utf8_len(text[: max(0, index)])

    # str index <-> client units
    def units_from_index(self, line0: int, index: int) -> int:
        text = self.line(line0)
        index = max(0, min(index, len(text)))
        if text.isascii() or self.encoding == "utf-32":
            return index
        prefix = text[:index]
        if self.encoding == "utf-8":
            return _utf8_len(prefix)
        return index + sum(1 for ch in prefix if ord(ch) > 0xFFFF)

    def index_from_units(self, line0: int, units: int) -> int:
        text = self.line(line0)
        units = max(0, units)
        if text.isascii() or self.encoding == "utf-32":
            return min(units, len(text))
        count = 0
        for i, ch in enumerate(text):
            width = _utf8_len(ch) if self.encoding == "utf-8" else (2 if ord(ch) > 0xFFFF else 1)
            if count + width > units:
                return i
            count += width
        return len(text)

    def clamp_line(self, line1: int) -> int:
        """0-based line for an engine line, kept inside the text."""
        return max(0, min(line1 - 1, len(self.lines) - 1))

    def position(self, line1: int, col: int) -> lsp.Position:
        line0 = self.clamp_line(line1)
        if line1 - 1 > line0:  # past the end: the end of the last line
            return lsp.Position(line0, self.units_from_index(line0, len(self.line(line0))))
        return lsp.Position(line0, self.units_from_index(line0, self.index_from_bytes(line0, col)))

    def engine(self, position: lsp.Position) -> tuple[int, int]:
        line0 = max(0, position.line)
        index = self.index_from_units(line0, position.character)
        return line0 + 1, self.bytes_from_index(line0, index)


class Locator(Protocol):
    """Where engine coordinates land in the client's documents, and back."""

    def range_of(self, span: Span) -> tuple[str, lsp.Range] | None: ...

    def to_engine(self, uri: str, position: lsp.Position) -> tuple[int, int] | None: ...

    def engine_line(self, line1: int) -> str: ...

    def describe_line(self, line1: int) -> str: ...

    def uris(self) -> Sequence[str]: ...


class TextLocator:
    """A plain text document: the engine sees exactly the document."""

    def __init__(self, uri: str, text: str, encoding: str = "utf-16") -> None:
        self.uri = uri
        self.index = LineIndex(text, encoding)

    def range_of(self, span: Span) -> tuple[str, lsp.Range] | None:
        start = self.index.position(span.line, span.column)
        end = self.index.position(span.end_line, span.end_column)
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return self.uri, lsp.Range(start, end)

    def to_engine(self, uri: str, position: lsp.Position) -> tuple[int, int] | None:
        if uri != self.uri or position.line < 0 or position.line >= len(self.index):
            return None
        return self.index.engine(position)

    def engine_line(self, line1: int) -> str:
        return self.index.line(line1 - 1)

    def describe_line(self, line1: int) -> str:
        return f"line {line1}"

    def uris(self) -> Sequence[str]:
        return [self.uri]


def _contains(span: Span, line: int, col: int) -> bool:
    start = (span.line, span.column)
    end = (span.end_line, span.end_column)
    here = (line, col)
    if start == end:
        return here == start
    return start <= here < end


def _span_size(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_column - span.column)


# ----------------------------------------------------------------------------------------------
# diagnostics


def to_diagnostics(
    issues: Iterable[Issue], locator: Locator, settings: Settings
) -> dict[str, list[lsp.Diagnostic]]:
    """Diagnostics per document URI; every URI the locator covers gets an entry (maybe empty)."""
    out: dict[str, list[lsp.Diagnostic]] = {uri: [] for uri in locator.uris()}
    if not settings.diagnostics_enable:
        return out
    for issue in issues:
        severity = settings.severity_for(issue.code, issue.severity)
        if severity == "off":
            continue
        where = locator.range_of(issue.span)
        if where is None:
            continue
        uri, rng = where
        related: list[lsp.DiagnosticRelatedInformation] = []
        for rel in issue.related:
            rel_where = locator.range_of(rel.span)
            if rel_where is not None:
                related.append(
                    lsp.DiagnosticRelatedInformation(lsp.Location(*rel_where), rel.message)
                )
        diag = lsp.Diagnostic(
            range=rng,
            message=issue.message,
            severity=_SEVERITY.get(severity, lsp.DiagnosticSeverity.Error),
            code=issue.code,
            source=SOURCE,
            related_information=related or None,
        )
        out.setdefault(uri, []).append(diag)
    return out


# ----------------------------------------------------------------------------------------------
# hover


def _shape_dtype(f: ShapeFact) -> str:
    dtype = f.dtype or "unknown dtype"
    if f.shape.dims is None:
        return f"shape unknown, {dtype}"
    return f"`{format_shape(f.shape)}` {dtype}"


Linker = Callable[[Span], "str | None"]


def _no_links(span: Span) -> str | None:
    return None


def _chain_text(steps: Sequence[tuple[str, Span]], link: Linker) -> str:
    """``[Dense at line 7](…#L7) ← [Flatten at line 6](…#L6) ← …``: each step links to its line."""
    parts = []
    for label, span in steps:
        text = label.replace("[", "\\[").replace("]", "\\]")
        target = link(span)
        parts.append(f"[{text}]({target})" if target else text)
    return " ← ".join(parts)


def fact_markdown(f: ShapeFact, assigned_at: str | None = None, link: Linker = _no_links) -> str:
    origin = "runtime (probe)" if f.origin == "runtime" else "static"
    if f.kind == "dataset":
        head = f"`{f.name}`: tf.data.Dataset"
        body = [f"element spec: `{f.detail}`" if f.detail else "element spec unknown"]
    elif f.kind == "model":
        head = f"`{f.name}`: Keras {f.detail} model" if f.detail else f"`{f.name}`: Keras model"
        if f.origin == "runtime":
            head += " — runtime (probe)"
        table = f.model_table()
        body = [table.to_markdown()] if table is not None else []
    elif f.kind == "layer":
        head = f"`{f.name}` → {_shape_dtype(f)} — {origin}"
        body = []
        steps = f.steps()
        if len(steps) > 1:
            body.append(f"input from {_chain_text(steps[1:], link)}")
        elif f.provenance and f.provenance != f"{f.name} at line {f.span.line}":
            body.append(f"output of {f.provenance}")
    else:
        head = f"`{f.name}`: {_shape_dtype(f)} — {origin}"
        steps = f.steps()
        if steps:
            body = [f"from {_chain_text(steps, link)}"]
        else:
            body = [f"from {f.provenance}"] if f.provenance else []
    if assigned_at is not None:
        body.append(f"as assigned at {assigned_at}")
    return "\n\n".join([head, *body])


_KIND_ORDER = {"assign": 0, "expr": 1, "dataset": 2, "layer": 3, "model": 4}


def fact_at(facts: Sequence[ShapeFact], line: int, col: int) -> ShapeFact | None:
    """The fact whose span holds the position; the smallest span wins."""
    best: ShapeFact | None = None
    for f in facts:
        if f.span.line > line:
            break  # facts are sorted by span
        if _contains(f.span, line, col) and (
            best is None
            or (_span_size(f.span), _KIND_ORDER.get(f.kind, 9))
            < (_span_size(best.span), _KIND_ORDER.get(best.kind, 9))
        ):
            best = f
    return best


def to_hover(
    fact: ShapeFact, locator: Locator, uri: str, at: Span | None = None, assigned_at: int | None = None
) -> lsp.Hover | None:
    where_assigned = locator.describe_line(assigned_at) if assigned_at is not None else None
    where = locator.range_of(at or fact.span)
    rng = where[1] if where is not None and where[0] == uri else None
    value = fact_markdown(fact, where_assigned, link=lambda span: line_link(locator, span))
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=value), range=rng)


def line_link(locator: Locator, span: Span) -> str | None:
    """A link that opens a file at a line (VS Code reads ``#L<line>``); none into notebook
    cells, whose URIs already carry a fragment."""
    where = locator.range_of(span)
    if where is None or not where[0].startswith("file:"):
        return None
    return f"{where[0]}#L{where[1].start.line + 1}"


# ----------------------------------------------------------------------------------------------
# inlay hints


def _truncate(label: str) -> str:
    return label if len(label) <= INLAY_LABEL_MAX else label[: INLAY_LABEL_MAX - 1] + "…"


def _runtime_mark(f: ShapeFact) -> str:
    """Runtime hints end with a mark saying so (and the device when it is not the CPU)."""
    if f.origin != "runtime":
        return ""
    device = f" {f.device}" if f.device and not f.device.upper().startswith("CPU") else ""
    return f" ⚡run{device}"


def _shape_text(f: ShapeFact) -> str:
    if f.origin == "runtime" and f.variants:
        return " | ".join(format_shape(v) for v in f.variants)
    return format_shape(f.shape)


def assignment_label(f: ShapeFact) -> str | None:
    if f.kind == "dataset":
        return _truncate(f": Dataset {f.detail}{_runtime_mark(f)}") if f.detail and f.detail != "varies" else None
    if f.shape.dims is None:
        return None
    return _truncate(f": {_shape_text(f)} {f.dtype or '?'}{_runtime_mark(f)}")


def layer_label(f: ShapeFact) -> str | None:
    if f.shape.dims is None:
        return None
    dtype = "" if f.dtype in (None, "float32") else f" {f.dtype}"
    return _truncate(f"→ {_shape_text(f)}{dtype}{_runtime_mark(f)}")


def hint_tooltip(f: ShapeFact) -> lsp.MarkupContent:
    return lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=fact_markdown(f))


def _layer_hint_column(line_text: str, end_col: int) -> int:
    """Where a layer line's hint goes: the end of the line, or just after the layer
    (and its comma) when something else (a comment, another layer) follows."""
    raw = line_text.encode("utf-8", "surrogatepass")
    rest = raw[end_col:]
    stripped = rest.lstrip()
    after = end_col + (len(rest) - len(stripped))
    if stripped.startswith(b","):
        after += 1
        stripped = stripped[1:]
    if stripped.strip() == b"":
        return len(raw.rstrip())
    return after


def _in_range(pos: lsp.Position, rng: lsp.Range) -> bool:
    here = (pos.line, pos.character)
    return (rng.start.line, rng.start.character) <= here <= (rng.end.line, rng.end.character)


def _with_runtime(static: Sequence[ShapeFact], runtime: Sequence[ShapeFact]) -> list[ShapeFact]:
    """Runtime facts replace the static ones for the same name on the same line."""
    if not runtime:
        return list(static)
    observed = {(f.span.line, f.name, f.kind) for f in runtime if f.shape.dims is not None or f.kind == "dataset"}
    merged = [f for f in static if (f.span.line, f.name, f.kind) not in observed]
    merged.extend(f for f in runtime if (f.span.line, f.name, f.kind) in observed)
    merged.sort(key=lambda f: f.span)
    return merged


def hint_data(uri: str, f: ShapeFact) -> dict[str, object]:
    """What inlayHint/resolve needs to find the hint's fact again."""
    span = [f.span.line, f.span.column, f.span.end_line, f.span.end_column]
    return {"uri": uri, "span": span, "kind": f.kind, "name": f.name, "origin": f.origin}


def fact_for_hint(data: object, facts: Iterable[ShapeFact]) -> ShapeFact | None:
    """The fact a resolved hint was made from, if the document still has it."""
    if not isinstance(data, dict) or not isinstance(data.get("span"), list) or len(data["span"]) != 4:
        return None
    try:
        span = Span(*(int(v) for v in data["span"]))
    except (TypeError, ValueError):
        return None
    for f in facts:
        if f.span == span and f.kind == data.get("kind") and f.name == data.get("name") and f.origin == data.get("origin"):
            return f
    return None


def to_inlay_hints(
    facts: Sequence[ShapeFact],
    locator: Locator,
    uri: str,
    rng: lsp.Range,
    settings: Settings,
    runtime: Sequence[ShapeFact] = (),
    defer_tooltips: bool = False,
) -> list[lsp.InlayHint]:
    """Hints in ``rng``; with ``defer_tooltips`` the tooltip is left to inlayHint/resolve
    (the client asks only for the hint under the mouse) and ``data`` says which fact it is."""
    hints: list[lsp.InlayHint] = []

    def tooltip(f: ShapeFact) -> lsp.MarkupContent | None:
        return None if defer_tooltips else hint_tooltip(f)

    def data(f: ShapeFact) -> dict[str, object] | None:
        return hint_data(uri, f) if defer_tooltips else None

    facts = _with_runtime(facts, runtime if settings.inlay_runtime else ())
    if not (settings.inlay_assignments or settings.inlay_layers):
        return hints
    first = locator.to_engine(uri, rng.start)
    last = locator.to_engine(uri, lsp.Position(rng.end.line, 0))
    if first is None:
        return hints
    lo = first[0]
    hi = last[0] if last is not None else 1 << 60
    visible = [f for f in facts if f.span.end_line >= lo and f.span.line <= hi]
    assigned_lines = {f.span.line for f in visible if f.kind in ("assign", "dataset")}
    for f in visible:
        if f.kind in ("assign", "dataset") and settings.inlay_assignments:
            label = assignment_label(f)
            if label is None:
                continue
            where = locator.range_of(Span(f.span.end_line, f.span.end_column, f.span.end_line, f.span.end_column))
            if where is None or where[0] != uri or not _in_range(where[1].start, rng):
                continue
            hints.append(
                lsp.InlayHint(
                    position=where[1].start,
                    label=label,
                    kind=lsp.InlayHintKind.Type,
                    tooltip=tooltip(f),
                    padding_left=False,
                    padding_right=True,
                    data=data(f),
                )
            )
        elif f.kind == "layer" and settings.inlay_layers and f.span.end_line not in assigned_lines:
            if f.span.line in assigned_lines:
                continue
            label = layer_label(f)
            if label is None:
                continue
            col = _layer_hint_column(locator.engine_line(f.span.end_line), f.span.end_column)
            where = locator.range_of(Span(f.span.end_line, col, f.span.end_line, col))
            if where is None or where[0] != uri or not _in_range(where[1].start, rng):
                continue
            hints.append(
                lsp.InlayHint(
                    position=where[1].start,
                    label=label,
                    kind=lsp.InlayHintKind.Type,
                    tooltip=tooltip(f),
                    padding_left=True,
                    data=data(f),
                )
            )
    hints.sort(key=lambda h: (h.position.line, h.position.character))
    return hints

"""What a probe run means for the document: runtime shape facts, the runtime error as a
diagnostic on the user's line, and warnings where static analysis and the run disagree.

Input is the JSON the kernel-side ``runtime`` returns (document lines, 1-based; columns 0-based).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.facts import Issue, Related, ShapeFact, Span
from ..core.model_table import ModelTable, TableRow
from ..core.shapes import Dim, Shape, format_shape, join_shape

RUNTIME_ERROR = "runtime-error"
MISMATCH = "static-runtime-mismatch"
NONFINITE = "nonfinite-values"


@dataclass
class ProbeOutcome:
    """One probe of one cell (or file): facts and issues in document coordinates."""

    status: str  # ok | error | timeout | dead | unavailable | failed
    facts: list[ShapeFact] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    message: str = ""  # for the user when status is not ok/error
    seconds: float = 0.0
    output_truncated: bool = False


# ----------------------------------------------------------------------------------------------
# descriptions


def _shape(desc: dict[str, Any]) -> Shape:
    dims = desc.get("shape")
    if not isinstance(dims, list):
        return Shape(None)
    return Shape.of(d if isinstance(d, int) or d is None else None for d in dims)


def describe_value(desc: Any) -> str:
    """``(32, 10) float32 on GPU:0`` and the like, for messages and hovers."""
    if not isinstance(desc, dict):
        return "?"
    kind = desc.get("type", "")
    if "items" in desc:
        inner = ", ".join(describe_value(d) if d else "-" for d in desc["items"])
        more = f", … ({desc['length']} items)" if "length" in desc else ""
        return f"{kind}({inner}{more})" if kind != "list" else f"[{inner}{more}]"
    if "entries" in desc:
        inner = ", ".join(f"{k!r}: {describe_value(v) if v else '-'}" for k, v in desc["entries"].items())
        return "{" + inner + "}"
    if kind == "tf.data.Dataset":
        return f"Dataset {describe_value(desc.get('element_spec'))}"
    if kind == "keras.Model":
        return f"Keras model {desc.get('name', '')}".rstrip()
    text = f"{format_shape(_shape(desc))} {desc.get('dtype', '?')}"
    if desc.get("device"):
        text += f" on {desc['device']}"
    return text


def _tensor_like(desc: dict[str, Any]) -> bool:
    return "shape" in desc and "items" not in desc and "entries" not in desc


# ----------------------------------------------------------------------------------------------
# observations -> facts


def observation_facts(observations: Sequence[dict[str, Any]]) -> list[ShapeFact]:
    facts: list[ShapeFact] = []
    for obs in observations:
        try:
            fact = _fact(obs)
        except (KeyError, TypeError, ValueError):
            continue
        if fact is not None:
            facts.append(fact)
    facts.sort(key=lambda f: f.span)
    return facts


def _fact(obs: dict[str, Any]) -> ShapeFact | None:
    values = [v for v in obs.get("values", []) if isinstance(v, dict)]
    if not values:
        return None
    span = Span(int(obs["line"]), int(obs["column"]), int(obs["end_line"]), int(obs["end_column"]))
    first = values[0]
    name = str(obs.get("name", ""))
    kind = {"layer": "layer", "expr": "expr"}.get(str(obs.get("kind")), "assign")
    if first.get("type") == "tf.data.Dataset":
        return ShapeFact(span, name, Shape(None), None, "dataset", "runtime", detail=describe_value(first.get("element_spec")))
    if first.get("type") == "keras.Model":
        summary = obs.get("summary")
        return ShapeFact(
            span, name, Shape(None), None, "model", "runtime",
            detail=str(summary.get("class", "")) if isinstance(summary, dict) else "",
            table=model_table(summary) if isinstance(summary, dict) else None,
        )
    if not _tensor_like(first):
        return ShapeFact(span, name, Shape(None), None, kind, "runtime", detail=" | ".join(describe_value(v) for v in values))  # type: ignore[arg-type]
    shapes = [_shape(v) for v in values if _tensor_like(v)]
    joined = shapes[0]
    for s in shapes[1:]:
        joined = join_shape(joined, s)
    nonfinite = [int(v["nonfinite"]) for v in values if isinstance(v.get("nonfinite"), int)]
    hits = int(obs.get("hits", 1))
    detail = f"seen {hits} times" if hits > 1 else ""
    if any(v.get("symbolic") for v in values):
        detail = (detail + "; " if detail else "") + "symbolic (traced)"
    return ShapeFact(
        span,
        name,
        joined,
        str(first.get("dtype")) if first.get("dtype") else None,
        kind,  # type: ignore[arg-type]
        "runtime",
        detail=detail,
        provenance=f"{obs.get('layer')}" if obs.get("layer") else "",
        variants=shapes if len(shapes) > 1 else [],
        device=str(first.get("device") or ""),
        nonfinite=max(nonfinite) if nonfinite else None,
    )


def model_table(summary: dict[str, Any]) -> ModelTable:
    """The live model's layer table, as ``model.summary()`` would print it."""
    rows = []
    for layer in summary.get("layers", []):
        params = layer.get("params")
        rows.append(
            TableRow(
                str(layer.get("class", "")),
                describe_value(layer.get("output")) if layer.get("output") else "?",
                params if isinstance(params, int) else None,
                str(layer.get("name", "")),
            )
        )
    total, trainable = summary.get("params"), summary.get("trainable")
    return ModelTable(
        tuple(rows),
        total if isinstance(total, int) else None,
        trainable if isinstance(trainable, int) else None,
    )


# ----------------------------------------------------------------------------------------------
# issues


def error_issue(error: dict[str, Any], path: str) -> Issue | None:
    """The runtime exception as a diagnostic on the deepest line of the probed document."""
    if "line" not in error:
        return None
    span = Span(int(error["line"]), int(error.get("column", 0)), int(error.get("end_line", error["line"])),
                int(error.get("end_column", 0)))
    head = _first_sentence(str(error.get("message", "")))
    values = [v for v in error.get("values", []) if isinstance(v, dict)]
    operands = "; ".join(f"`{v.get('expr')}` is {describe_value(v.get('value'))}" for v in values[:4])
    if error.get("type") == "SystemExit":
        return Issue(span, "information", RUNTIME_ERROR,
                     f"the cell called sys.exit({head if head != 'SystemExit' else ''}); the kernel keeps running")
    kind = str(error.get("type", "Error"))
    message = f"{kind}: {head}" if kind == "SyntaxError" else f"{kind} at runtime: {head}"
    if operands:
        message += f" — {operands}"
    related = []
    for frame in error.get("frames", []):
        if frame.get("path") == path and int(frame.get("line", 0)) != span.line:
            line = int(frame["line"])
            related.append(Related(Span(line, 0, line, 0), "called from here"))
    return Issue(span, "error", RUNTIME_ERROR, message, related)


def _first_sentence(message: str) -> str:
    """The useful line of a TF/Keras message (they wrap the op error in boilerplate)."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    for line in lines:
        if "Exception encountered when calling" in line or line.startswith("Arguments received"):
            continue
        if line.startswith("{{function_node"):
            line = line.split("}}", 1)[-1].strip()
        return re.sub(r"\s*name:\s*$", "", line)[:500]
    return (lines[0] if lines else message)[:500]


def nonfinite_issues(facts: Sequence[ShapeFact]) -> list[Issue]:
    """Arrays holding NaN or Inf, as information (the seed documents' silent-NaN question)."""
    out = []
    for f in facts:
        if f.nonfinite:
            out.append(Issue(f.span, "information", NONFINITE,
                             f"`{f.name}` holds {f.nonfinite} NaN/Inf value{'s' if f.nonfinite != 1 else ''} (observed at runtime)"))
    return out


def disagreements(static: Sequence[ShapeFact], runtime: Sequence[ShapeFact]) -> list[Issue]:
    """Warnings where a fully known static dim differs from what the run produced."""
    by_place: dict[tuple[int, str, str], ShapeFact] = {}
    for f in static:
        if f.origin == "static" and not f.variants:
            by_place.setdefault((f.span.line, f.name, f.kind), f)
    out: list[Issue] = []
    for r in runtime:
        if r.variants or "symbolic" in r.detail or r.shape.dims is None:
            continue
        s = by_place.get((r.span.line, r.name, r.kind))
        if s is None or s.shape.dims is None or not _conflict(s.shape.dims, r.shape.dims):
            continue
        out.append(Issue(
            r.span, "warning", MISMATCH,
            f"`{r.name}`: static analysis says {format_shape(s.shape)} {s.dtype or ''} but the probe observed "
            f"{format_shape(r.shape)} {r.dtype or ''}".replace("  ", " "),
            [Related(s.span, "static shape inferred here")],
        ))
    return out


def _conflict(a: tuple[Dim, ...], b: tuple[Dim, ...]) -> bool:
    if len(a) != len(b):
        return True
    return any(isinstance(x, int) and isinstance(y, int) and x != y for x, y in zip(a, b))

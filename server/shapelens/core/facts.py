"""What the engine and the probe report about a document: shape facts and issues.

Every view (hover, inlay hints, diagnostics, CLI output) renders these and nothing else.
Lines are 1-based and columns 0-based, as in Python's ``ast``.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from .model_table import ModelTable
from .shapes import Dim, DType, Shape

Severity = Literal["error", "warning", "information", "hint"]
FactKind = Literal["assign", "layer", "expr", "dataset", "model"]
Origin = Literal["static", "runtime"]


class Span(NamedTuple):
    """A source range. A named tuple rather than a frozen dataclass: the engine makes one per
    visited node, and a tuple is several times cheaper to build, hash and compare."""

    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def of(node: ast.AST) -> Span:
        try:  # the fast path: a located node from ast.parse
            line: int = node.lineno  # type: ignore[attr-defined]
            col: int = node.col_offset  # type: ignore[attr-defined]
            end_line: int | None = node.end_lineno  # type: ignore[attr-defined]
            end_col: int | None = node.end_col_offset  # type: ignore[attr-defined]
        except AttributeError:
            line = getattr(node, "lineno", 1)
            col = getattr(node, "col_offset", 0)
            end_line = getattr(node, "end_lineno", None)
            end_col = getattr(node, "end_col_offset", None)
        return Span(line, col, end_line or line, col if end_col is None else end_col)

    def to_json(self) -> dict[str, object]:
        return {
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }


@dataclass(slots=True)
class ShapeFact:
    """The shape/dtype of one tensor-valued name or expression at one place in the source."""

    span: Span
    name: str
    shape: Shape
    dtype: DType
    kind: FactKind = "assign"
    origin: Origin = "static"
    detail: str = ""  # e.g. a dataset's element spec or a model's summary line
    provenance: str = ""  # where the value came from, in words ("Dense(64) at line 12")
    # the steps that made it, latest first: (what, where), e.g. the layers back to its Input;
    # read it through ``steps()``
    chain: tuple[tuple[str, Span], ...] = ()
    # distinct shapes seen here when the line ran several times (loop iterations, call sites);
    # ``shape`` is their join
    variants: list[Shape] = field(default_factory=list)
    # what only the probe sees: the device a tensor lives on and its NaN/Inf count
    device: str = ""
    nonfinite: int | None = None
    table: ModelTable | None = None  # a model's layers, output shapes and parameter counts
    # makes `table` on first use: most model facts are never hovered, and a table costs
    # tens of microseconds per model
    table_maker: Callable[[], ModelTable | None] | None = field(default=None, repr=False, compare=False)

    # makes `chain` on first use (hover): walking every fact's history costs a tenth of an
    # analysis, and only hovered facts need it
    chain_maker: Callable[[], tuple[tuple[str, Span], ...]] | None = field(
        default=None, repr=False, compare=False
    )

    def steps(self) -> tuple[tuple[str, Span], ...]:
        if self.chain_maker is not None:
            self.chain, self.chain_maker = self.chain_maker(), None
        return self.chain

    def model_table(self) -> ModelTable | None:
        if self.table is None and self.table_maker is not None:
            self.table, self.table_maker = self.table_maker(), None
        return self.table

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = self.span.to_json()
        dims: list[Dim] | None = self.shape.to_json()
        out.update({"name": self.name, "shape": dims, "dtype": self.dtype, "origin": self.origin})
        if self.device:
            out["device"] = self.device
        if self.nonfinite is not None:
            out["nonfinite"] = self.nonfinite
        if len(self.variants) > 1:
            out["variants"] = [v.to_json() for v in self.variants]
        return out


@dataclass(frozen=True, slots=True)
class Related:
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class TextEdit:
    span: Span
    new_text: str


@dataclass(frozen=True, slots=True)
class Fix:
    title: str
    edits: tuple[TextEdit, ...]


@dataclass(slots=True)
class Issue:
    span: Span
    severity: Severity
    code: str
    message: str
    related: list[Related] = field(default_factory=list)
    fixes: list[Fix] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = self.span.to_json()
        out.update({"severity": self.severity, "code": self.code, "message": self.message})
        if self.related:
            out["related"] = [
                {**r.span.to_json(), "message": r.message} for r in self.related
            ]
        if self.fixes:
            out["fixes"] = [
                {
                    "title": f.title,
                    "edits": [{**e.span.to_json(), "new_text": e.new_text} for e in f.edits],
                }
                for f in self.fixes
            ]
        return out

"""A model's layer table, like ``model.summary()``: one row per layer with its output and
parameter count, and the totals. The engine fills it statically, the probe from the live model;
hovers render it as markdown."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TableRow:
    class_name: str
    output: str  # the output shape(s) and dtype as text, "?" when unknown
    params: int | None  # None: not known
    name: str = ""  # the layer's name when known (given by the user, or Keras' own at runtime)
    trainable: int | None = None


@dataclass(frozen=True, slots=True)
class ModelTable:
    rows: tuple[TableRow, ...]
    total: int | None = None  # None when some row's count is unknown
    trainable: int | None = None

    @property
    def known_params(self) -> int:
        return sum(r.params for r in self.rows if r.params is not None)

    @property
    def unknown_rows(self) -> list[TableRow]:
        return [r for r in self.rows if r.params is None]

    def to_markdown(self) -> str:
        lines = ["| layer | output | params |", "|---|---|---:|"]
        for row in self.rows:
            label = f"{row.name} ({row.class_name})" if row.name else row.class_name
            params = f"{row.params:,}" if row.params is not None else "?"
            lines.append(f"| {label} | `{row.output}` | {params} |")
        lines.append("")
        if self.total is not None:
            totals = f"**{self.total:,} parameters**"
            if self.trainable is not None:
                totals += f" ({self.trainable:,} trainable, {self.total - self.trainable:,} non-trainable)"
            lines.append(totals)
        else:
            unknown = sorted({r.class_name for r in self.unknown_rows})
            lines.append(
                f"**at least {self.known_params:,} parameters**, plus those of "
                f"{', '.join(unknown) or 'layers not known'}"
            )
        return "\n".join(lines)

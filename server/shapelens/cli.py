"""Command line: ``shapelens shapes FILE``, ``shapelens check PATH...`` and ``shapelens probe FILE``.

``shapes`` prints every tensor-valued assignment and layer output (JSON per the contract in the
design doc, or the source with shapes beside each line); ``check`` prints diagnostics like a
linter (text, JSON or SARIF) and exits 1 when any error is reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import __version__
from .core.analysis import Analysis, analyze_file
from .core.facts import Issue, ShapeFact
from .core.shapes import format_shape

SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache", "build", "dist"}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="shapelens", description="Keras/TensorFlow shapes, statically.")
    parser.add_argument("--version", action="version", version=f"shapelens {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p_shapes = sub.add_parser("shapes", help="print inferred shapes of a file")
    p_shapes.add_argument("file")
    p_shapes.add_argument("--format", choices=("json", "text"), default="text")

    p_check = sub.add_parser("check", help="report shape and dtype mistakes")
    p_check.add_argument("paths", nargs="+")
    p_check.add_argument("--format", choices=("text", "json", "sarif"), default="text")

    p_probe = sub.add_parser("probe", help="run a file's cells in a kernel and print the real shapes")
    p_probe.add_argument("file")
    p_probe.add_argument("--cell", type=int, help="run only this cell (1-based; `# %%` cells or notebook cells)")
    p_probe.add_argument("--format", choices=("json", "text"), default="text")
    p_probe.add_argument("--python", help="interpreter to run the kernel in (default: this one)")
    p_probe.add_argument("--timeout", type=float, default=300.0, help="seconds per cell before it is interrupted")

    p_serve = sub.add_parser("serve", help="run the language server on stdin/stdout")
    p_serve.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")

    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 2

    if args.command == "serve":
        from .lsp.server import main as serve

        return serve()
    if args.command == "probe":
        from .probe.command import run_probe

        return run_probe(args.file, args.cell, args.format, args.python, args.timeout)
    if args.command == "shapes":
        return _cmd_shapes(args.file, args.format)
    return _cmd_check(args.paths, args.format)


def _cmd_shapes(file: str, fmt: str) -> int:
    if not Path(file).is_file():
        print(f"shapelens: no such file: {file}", file=sys.stderr)
        return 2
    analysis = analyze_file(file)
    if fmt == "json":
        json.dump(analysis.shapes_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(analysis))
    return 0


def render_text(analysis: Analysis) -> str:
    """The source with each line's shapes beside it, then the diagnostics."""
    by_line: dict[int, list[ShapeFact]] = {}
    for f in analysis.facts:
        if f.kind in ("assign", "layer", "dataset"):
            by_line.setdefault(f.span.line, []).append(f)
    lines = analysis.text.splitlines()
    width = min(max((len(line) for line in lines), default=0), 72)
    out: list[str] = [f"== {analysis.path}"]
    for i, line in enumerate(lines, start=1):
        facts = by_line.get(i)
        if facts:
            notes = "; ".join(_line_notes(facts))
            out.append(f"{i:4} | {line.ljust(width)}  # {notes}")
        else:
            out.append(f"{i:4} | {line}")
    out.append("")
    if analysis.issues:
        for issue in analysis.issues:
            out.append(_issue_text(analysis.path, issue))
    else:
        out.append("no shape problems found")
    return "\n".join(out) + "\n"


def _line_notes(facts: list[ShapeFact]) -> list[str]:
    """One note per fact; a layer output already shown by its assignment only names the layer."""
    assigned = [(f.shape, f.variants) for f in facts if f.kind == "assign"]
    notes: list[str] = []
    for f in facts:
        if f.kind == "layer" and (f.shape, f.variants) in assigned:
            notes[-1:] = [f"{notes[-1]} ({f.name})"] if notes else [f.name]
            continue
        notes.append(_fact_text(f))
    return notes


def _fact_text(f: ShapeFact) -> str:
    if f.kind == "dataset":
        return f"{f.name}: dataset of {f.detail}"
    if len(f.variants) > 1:
        shape = " | ".join(format_shape(v) for v in f.variants)
    elif f.shape.dims is None:
        shape = "unknown shape"
    else:
        shape = format_shape(f.shape)
    sep = " ->" if f.kind == "layer" else ":"
    return f"{f.name}{sep} {shape} {f.dtype or ''}".rstrip()


def _issue_text(path: str, issue: Issue) -> str:
    return f"{path}:{issue.span.line}:{issue.span.column + 1}: {issue.severity} {issue.code} {issue.message}"


def _walk(paths: Sequence[str]) -> Iterator[Path]:
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            for child in sorted(p.rglob("*.py")):
                if not any(part in SKIP_DIRS for part in child.parts):
                    yield child
        else:
            yield p


def _cmd_check(paths: Sequence[str], fmt: str) -> int:
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        print(f"shapelens: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 2
    analyses = [analyze_file(p) for p in _walk(paths)]
    has_error = any(i.severity == "error" for a in analyses for i in a.issues)
    if fmt == "json":
        json.dump(
            [{"file": a.path, "diagnostics": [i.to_json() for i in a.issues]} for a in analyses],
            sys.stdout,
            indent=1,
        )
        sys.stdout.write("\n")
    elif fmt == "sarif":
        from .sarif import to_sarif

        json.dump(to_sarif(analyses), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        count = 0
        for a in analyses:
            for issue in a.issues:
                print(_issue_text(a.path, issue))
                count += 1
        print(f"{count} problem{'s' if count != 1 else ''} in {len(analyses)} file{'s' if len(analyses) != 1 else ''}")
    return 1 if has_error else 0


if __name__ == "__main__":
    raise SystemExit(main())

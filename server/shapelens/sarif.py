"""SARIF 2.1.0 output for ``shapelens check --format sarif`` (GitHub code scanning).

Each rule carries the Pascal-case name, short and full descriptions, help text and a link to its
section of docs/DIAGNOSTICS.md that GitHub requires; each result its source line as a snippet and
the lines around it as the context region. tests/unit/test_sarif_validation.py runs Microsoft's
SARIF validator (schema plus GitHub ingestion rules) on this output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import __version__
from .codes import CODES, friendly_name, help_uri
from .core.analysis import Analysis
from .core.facts import Span

SRCROOT = "%SRCROOT%"
_LEVELS = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}


def _rule(code: str) -> dict[str, Any]:
    meaning = CODES.get(code, code.replace("-", " ").capitalize() + ".")
    short = meaning.split(" (", 1)[0].rstrip(".") + "."
    rule: dict[str, Any] = {"id": code}
    name = friendly_name(code)
    if name.lower() != code.lower():  # SARIF wants no name that only repeats the id
        rule["name"] = name
    return {
        **rule,
        "shortDescription": {"text": short},
        "fullDescription": {"text": meaning},
        "help": {
            "text": f"{meaning} See {help_uri(code)} for an example.",
            "markdown": f"{meaning}\n\nSee [`{code}`]({help_uri(code)}) for an example.",
        },
        "helpUri": help_uri(code),
    }


def to_sarif(analyses: list[Analysis]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for a in analyses:
        uri = _artifact(a.path)
        lines = a.text.splitlines()
        for issue in a.issues:
            if issue.code not in rules:
                rule_index[issue.code] = len(rules)
                rules[issue.code] = _rule(issue.code)
            results.append(
                {
                    "ruleId": issue.code,
                    "ruleIndex": rule_index[issue.code],
                    "level": _LEVELS[issue.severity],
                    "message": {"text": issue.message},
                    "locations": [_location(uri, issue.span, lines)],
                    "relatedLocations": [
                        {**_location(uri, r.span, lines), "id": n, "message": {"text": r.message}}
                        for n, r in enumerate(issue.related)
                    ],
                }
            )
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "shapelens",
                        "version": __version__,
                        "informationUri": "https://github.com/shapelens/shapelens",
                        "rules": list(rules.values()),
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": Path.cwd().as_uri() + "/"}},
                "results": results,
            }
        ],
    }


def _artifact(path: str) -> dict[str, str]:
    """An absolute path as a file URI; a relative one (as GitHub wants, relative to the checkout)
    against %SRCROOT%, the directory the check ran in."""
    p = Path(path)
    if p.is_absolute():
        return {"uri": p.as_uri()}
    return {"uri": quote(p.as_posix()), "uriBaseId": SRCROOT}


def _utf16_column(lines: list[str], line: int, byte_col: int) -> int:
    """SARIF counts columns in UTF-16 code units (its default columnKind); ``ast`` in bytes."""
    if not 1 <= line <= len(lines):
        return byte_col
    prefix = lines[line - 1].encode("utf-8", "surrogatepass")[:byte_col].decode("utf-8", "ignore")
    return len(prefix.encode("utf-16-le", "surrogatepass")) // 2


def _location(artifact: dict[str, str], span: Span, lines: list[str]) -> dict[str, Any]:
    start = _utf16_column(lines, span.line, span.column)
    end = _utf16_column(lines, span.end_line, span.end_column)
    region: dict[str, Any] = {
        "startLine": span.line,
        "startColumn": start + 1,
        "endLine": span.end_line,
        "endColumn": max(end + 1, start + 2) if span.end_line == span.line else end + 1,
    }
    physical: dict[str, Any] = {"artifactLocation": dict(artifact), "region": region}
    if 1 <= span.line <= len(lines):
        region["snippet"] = {"text": lines[span.line - 1]}
        first, last = max(1, span.line - 2), min(len(lines), max(span.end_line, span.line) + 2)
        physical["contextRegion"] = {
            "startLine": first,
            "endLine": last,
            "snippet": {"text": "\n".join(lines[first - 1 : last])},
        }
    return {"physicalLocation": physical}

"""SARIF 2.1.0 output for ``shapelens check --format sarif`` (GitHub code scanning)."""

from __future__ import annotations

from typing import Any

from . import __version__
from .core.analysis import Analysis

_LEVELS = {"error": "error", "warning": "warning", "information": "note", "hint": "note"}


def to_sarif(analyses: list[Analysis]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []
    for a in analyses:
        uri = a.path.replace("\\", "/")
        for issue in a.issues:
            rules.setdefault(
                issue.code,
                {"id": issue.code, "shortDescription": {"text": issue.code.replace("-", " ")}},
            )
            results.append(
                {
                    "ruleId": issue.code,
                    "level": _LEVELS[issue.severity],
                    "message": {"text": issue.message},
                    "locations": [_location(uri, issue.span)],
                    "relatedLocations": [
                        {**_location(uri, r.span), "id": n, "message": {"text": r.message}}
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
                "results": results,
            }
        ],
    }


def _location(uri: str, span: Any) -> dict[str, Any]:
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": uri},
            "region": {
                "startLine": span.line,
                "startColumn": span.column + 1,
                "endLine": span.end_line,
                "endColumn": max(span.end_column + 1, span.column + 2),
            },
        }
    }

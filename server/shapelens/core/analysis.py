"""The engine's front door: source text (or a file) in, shape facts and issues out."""

from __future__ import annotations

import functools
import gc
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import activations as _activations  # noqa: F401
from . import builtins_rules as _builtins  # noqa: F401  (registers rules)
from . import checks as _checks  # noqa: F401
from . import data as _data  # noqa: F401
from . import distribute_rules as _distribute  # noqa: F401
from . import json_rules as _json  # noqa: F401
from . import keras_utils as _keras_utils  # noqa: F401
from . import layers as _layers  # noqa: F401
from . import loss_calls as _loss_calls  # noqa: F401
from . import models as _models  # noqa: F401
from . import ops as _ops  # noqa: F401
from . import pylib_rules as _pylib  # noqa: F401
from . import regex_rules as _regex  # noqa: F401
from . import traced_functions as _traced  # noqa: F401
from .facts import Issue, ShapeFact, Span
from .interpreter import Interpreter
from .model_summary import summarize
from .source import UnreadableSource, decode, parse

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass
class Analysis:
    path: str
    facts: list[ShapeFact] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    text: str = ""

    def shapes_json(self) -> dict[str, object]:
        return {
            "file": self.path,
            "shapes": [f.to_json() for f in self.facts if f.kind in ("assign", "layer")],
            "diagnostics": [i.to_json() for i in self.issues],
        }


def analyze_source(text: str, path: str = "<string>") -> Analysis:
    """Analyse Python source text. Never raises for any input text."""
    # The cyclic GC rescans every live AST node and value on each generation-2 pass, which
    # makes large files quadratic; nothing here needs it, so it is paused for the analysis.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyze(text, path)
    finally:
        if gc_was_enabled:
            gc.enable()


def _analyze(text: str, path: str) -> Analysis:
    parsed = parse(text)
    interp = Interpreter(text.splitlines(), path)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, 6000))
    try:
        interp.run_module(parsed.tree)
    except RecursionError:
        parsed.issues.append(
            Issue(Span(1, 0, 1, 0), "information", "analysis-limit",
                  "the file is nested too deeply to analyse completely")
        )
    except Exception as err:  # an engine bug: keep what was found so far, say so, never crash
        parsed.issues.append(
            Issue(Span(1, 0, 1, 0), "information", "internal-error",
                  f"shapelens stopped analysing this file after an internal error "
                  f"({type(err).__name__}: {err}); the shapes shown so far stand, please report it")
        )
    finally:
        sys.setrecursionlimit(old_limit)
    for key, model in interp.models_at.items():
        interp.facts[key].table_maker = functools.partial(
            summarize, model, trainable_known=not interp.trainable_unknown
        )
    facts = sorted(interp.facts.values(), key=lambda f: (f.span, f.kind))
    issues = sorted([*parsed.issues, *interp.issues.values()], key=lambda i: i.span)
    return Analysis(path, facts, apply_ignore_comments(issues, text), text)


_IGNORE = re.compile(r"#\s*shapelens:\s*ignore(?:\[([^\]]*)\])?")


def apply_ignore_comments(issues: list[Issue], text: str) -> list[Issue]:
    """Drop issues on lines marked ``# shapelens: ignore`` (all codes) or
    ``# shapelens: ignore[code, other-code]`` (those codes only)."""
    if "shapelens" not in text:
        return issues
    rules: dict[int, set[str] | None] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        m = _IGNORE.search(line)
        if m:
            codes = m.group(1)
            rules[n] = None if codes is None else {c.strip() for c in codes.split(",") if c.strip()}
    if not rules:
        return issues
    kept = []
    for issue in issues:
        if issue.span.line in rules:
            codes = rules[issue.span.line]
            if codes is None or issue.code in codes:
                continue
        kept.append(issue)
    return kept


def analyze_bytes(data: bytes, path: str) -> Analysis:
    if len(data) > MAX_FILE_BYTES:
        return _unreadable(path, f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; not analysed")
    try:
        text = decode(data)
    except UnreadableSource as err:
        return _unreadable(path, str(err))
    return analyze_source(text, path)


def analyze_file(path: str | Path) -> Analysis:
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as err:
        return _unreadable(str(path), f"cannot read the file: {err.strerror or err}")
    return analyze_bytes(data, str(path))


def _unreadable(path: str, message: str) -> Analysis:
    return Analysis(path, [], [Issue(Span(1, 0, 1, 0), "error", "unreadable-file", message)])

"""Reading source text safely and parsing it even while it is half-typed.

Bytes are decoded per PEP 263 (BOM, coding cookie, else UTF-8); undecodable or binary input is
reported, never raised. A syntax error blanks the offending statement's lines and parsing is
retried, so the rest of the file is still analysed.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from dataclasses import dataclass, field

from .facts import Issue, Span

MAX_RECOVERY_ATTEMPTS = 50


@dataclass
class ParsedSource:
    text: str
    tree: ast.Module
    issues: list[Issue] = field(default_factory=list)
    blanked_lines: set[int] = field(default_factory=set)


class UnreadableSource(Exception):
    """The input is not text (binary, or not decodable)."""


def decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise UnreadableSource("the file looks binary (it contains NUL bytes); nothing was analysed")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as err:
        raise UnreadableSource(f"cannot determine the file's encoding: {err}") from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as err:
        pos = getattr(err, "start", None)
        where = f" at byte {pos}" if pos is not None else ""
        raise UnreadableSource(
            f"the file is not valid {encoding} text{where}; nothing was analysed"
        ) from None


def _try_parse(text: str) -> ast.Module | SyntaxError:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except SyntaxError as err:
        return err
    except (ValueError, MemoryError, RecursionError) as err:
        e = SyntaxError(str(err))
        e.lineno = 1
        return e


def parse(text: str) -> ParsedSource:
    """Parse ``text``; on syntax errors, blank the broken lines and retry."""
    lines = text.splitlines(keepends=True)
    issues: list[Issue] = []
    blanked: set[int] = set()
    first_error: SyntaxError | None = None
    for _ in range(MAX_RECOVERY_ATTEMPTS):
        result = _try_parse("".join(lines))
        if isinstance(result, ast.Module):
            if first_error is not None:
                issues.append(_syntax_issue(first_error, lines))
            return ParsedSource(text, result, issues, blanked)
        if first_error is None:
            first_error = result
        lineno = result.lineno or 1
        target = _pick_line(lines, lineno, blanked)
        if target is None:
            break
        for ln in _statement_lines(lines, target):
            blanked.add(ln)
            original = lines[ln - 1]
            indent = original[: len(original) - len(original.lstrip())]
            newline = "\n" if original.endswith("\n") else ""
            lines[ln - 1] = (indent + "pass" + newline) if ln == target else newline
    issues.append(_syntax_issue(first_error, lines) if first_error else Issue(
        Span(1, 0, 1, 0), "error", "syntax-error", "the file could not be parsed"
    ))
    return ParsedSource(text, ast.Module(body=[], type_ignores=[]), issues, blanked)


def _pick_line(lines: list[str], lineno: int, blanked: set[int]) -> int | None:
    n = len(lines)
    if n == 0:
        return None
    ln = min(max(lineno, 1), n)
    # An error reported at/after EOF usually belongs to the last non-blank unblanked line.
    while ln >= 1 and (ln in blanked or not lines[ln - 1].strip()):
        ln -= 1
    if ln < 1:
        return None
    return ln


def _statement_lines(lines: list[str], target: int) -> list[int]:
    """The broken line plus continuation lines that belong to it (open brackets, backslashes)."""
    out = [target]
    depth = 0
    for ch in lines[target - 1]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
    ln = target
    while depth > 0 and ln < len(lines):
        nxt = lines[ln]
        stripped = nxt.strip()
        if stripped and not nxt[:1].isspace() and _starts_statement(stripped):
            break
        ln += 1
        out.append(ln)
        for ch in nxt:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
    return out


def _starts_statement(stripped: str) -> bool:
    first = stripped.split(maxsplit=1)[0] if stripped else ""
    return first in {"def", "class", "import", "from", "if", "for", "while", "with", "try", "@"} or (
        "=" in stripped and not stripped.startswith((")", "]", "}"))
    )


def _syntax_issue(err: SyntaxError, lines: list[str]) -> Issue:
    line = max(err.lineno or 1, 1)
    col = max((err.offset or 1) - 1, 0)
    return Issue(
        Span(line, col, line, col + 1),
        "error",
        "syntax-error",
        f"syntax error: {err.msg}; shapes are shown for the rest of the file",
    )

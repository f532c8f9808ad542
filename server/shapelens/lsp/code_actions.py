"""Quick fixes as LSP code actions: each Issue.fix overlapping the requested range becomes a
``quickfix`` action tied to its diagnostic, with the edits mapped to the document (or cell)."""

from __future__ import annotations

from lsprotocol import types as lsp

from ..core.facts import Issue
from .convert import Locator

SOURCE = "shapelens"


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return not (key(a.end) < key(b.start) or key(b.end) < key(a.start))


def to_code_actions(
    issues: list[Issue], locator: Locator, uri: str, requested: lsp.Range
) -> list[lsp.CodeAction]:
    actions: list[lsp.CodeAction] = []
    for issue in issues:
        if not issue.fixes:
            continue
        where = locator.range_of(issue.span)
        if where is None or where[0] != uri or not _overlaps(where[1], requested):
            continue
        diagnostic = lsp.Diagnostic(
            range=where[1], message=issue.message, code=issue.code, source=SOURCE
        )
        for fix in issue.fixes:
            changes: dict[str, list[lsp.TextEdit]] = {}
            for edit in fix.edits:
                target = locator.range_of(edit.span)
                if target is None:
                    break
                changes.setdefault(target[0], []).append(lsp.TextEdit(target[1], edit.new_text))
            else:
                actions.append(
                    lsp.CodeAction(
                        title=fix.title,
                        kind=lsp.CodeActionKind.QuickFix,
                        diagnostics=[diagnostic],
                        is_preferred=len(issue.fixes) == 1,
                        edit=lsp.WorkspaceEdit(changes=changes),
                    )
                )
    return actions

"""Text documents whose lines are counted the way LSP, VS Code and Python count them.

pygls splits a document with ``str.splitlines``, which also breaks lines at form feeds,
``\\x1c``-``\\x1e``, ``\\x85`` and U+2028/U+2029. The client does not, so after such a character every
incremental edit would be applied to the wrong line and the server's copy of the text would drift
from the editor's. Here only CR, LF and CRLF end a line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pygls.workspace import TextDocument, Workspace

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def lsp_lines(text: str) -> list[str]:
    """``text`` split after each CR, LF or CRLF, line ends kept (as ``splitlines(True)``)."""
    return _LINE.findall(text)


class LspTextDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return tuple(lsp_lines(self.source))


class LspWorkspace(Workspace):
    def _create_text_document(
        self,
        doc_uri: str,
        source: str | None = None,
        version: int | None = None,
        language_id: str | None = None,
    ) -> TextDocument:
        return LspTextDocument(
            doc_uri,
            source=source,
            version=version,
            language_id=language_id,
            sync_kind=self._sync_kind,
            position_codec=self._position_codec,
        )


def use_lsp_lines(workspace: Workspace) -> None:
    """Make a workspace pygls created (during ``initialize``) create LSP-line documents."""
    if type(workspace) is Workspace:
        workspace.__class__ = LspWorkspace

"""pytest-lsp set-up: the real server (``python -m shapelens.cli serve``) over stdio, driven by a
client that declares VS Code's capabilities and records every diagnostics publication.

One server per test module (starting one costs about a second); each test uses its own URIs.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import pytest_lsp
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER_COMMAND = [sys.executable, "-m", "shapelens.cli", "serve"]
ROOT = "file:///tmp/shapelens-lsp-tests"


def uri_for(name: str) -> str:
    return f"{ROOT}/{name}"


def vscode_capabilities() -> lsp.ClientCapabilities:
    """VS Code's capabilities as pytest-lsp records them (1.65), plus what later VS Code added:
    inlay hints with lazily resolved tooltips (1.67), notebook document sync (1.74) and
    versioned diagnostics."""
    caps = client_capabilities("visual-studio-code")
    assert caps.text_document is not None and caps.workspace is not None
    caps.text_document.inlay_hint = lsp.InlayHintClientCapabilities(
        dynamic_registration=True,
        resolve_support=lsp.ClientInlayHintResolveOptions(
            properties=["tooltip", "textEdits", "label.tooltip", "label.location", "label.command"]
        ),
    )
    caps.workspace.inlay_hint = lsp.InlayHintWorkspaceClientCapabilities(refresh_support=True)
    caps.notebook_document = lsp.NotebookDocumentClientCapabilities(
        synchronization=lsp.NotebookDocumentSyncClientCapabilities(
            dynamic_registration=True, execution_summary_support=True
        )
    )
    if caps.text_document.publish_diagnostics is not None:
        caps.text_document.publish_diagnostics.version_support = True
    return caps


class ShapelensClient(LanguageClient):
    """Records every ``publishDiagnostics`` (with its version) and inlay hint refreshes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.published: list[lsp.PublishDiagnosticsParams] = []
        self.inlay_refreshes = 0
        self.kernel_states: list[str] = []
        self.probe_output: list[str] = []
        self._versions: dict[str, int] = {}

    async def wait_for_published(
        self,
        uri: str,
        version: int | None = None,
        after: int = 0,
        predicate: Callable[[lsp.PublishDiagnosticsParams], bool] | None = None,
        timeout: float = 15.0,
    ) -> lsp.PublishDiagnosticsParams:
        """The latest publication for ``uri`` (at ``version``, if given) after index ``after``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for params in reversed(self.published[after:]):
                if params.uri == uri and (version is None or params.version == version) and (
                    predicate is None or predicate(params)
                ):
                    return params
            if loop.time() > deadline:
                seen = [(p.uri, p.version, len(p.diagnostics)) for p in self.published[after:]]
                raise TimeoutError(f"no diagnostics for {uri} version {version}; saw {seen}")
            await asyncio.sleep(0.01)

    # -- document helpers ------------------------------------------------------------------

    def open(self, uri: str, text: str, version: int = 1) -> int:
        mark = len(self.published)
        self._versions[uri] = version
        self.text_document_did_open(
            lsp.DidOpenTextDocumentParams(
                text_document=lsp.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)
            )
        )
        return mark

    def edit(self, uri: str, start: tuple[int, int], end: tuple[int, int], text: str) -> int:
        """Replace a range (0-based line, UTF-16 column) and return the new version."""
        version = self._versions[uri] = self._versions[uri] + 1
        self.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    lsp.TextDocumentContentChangePartial(
                        range=lsp.Range(lsp.Position(*start), lsp.Position(*end)), text=text
                    )
                ],
            )
        )
        return version

    def replace_all(self, uri: str, text: str) -> int:
        version = self._versions[uri] = self._versions[uri] + 1
        self.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        return version

    def close(self, uri: str) -> int:
        mark = len(self.published)
        self.text_document_did_close(
            lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        return mark

    async def hover_at(self, uri: str, line: int, character: int) -> lsp.Hover | None:
        return await self.text_document_hover_async(
            lsp.HoverParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                position=lsp.Position(line=line, character=character),
            )
        )

    async def hints(self, uri: str, start: int = 0, end: int = 10_000) -> list[lsp.InlayHint]:
        result = await self.text_document_inlay_hint_async(
            lsp.InlayHintParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(lsp.Position(start, 0), lsp.Position(end, 0)),
            )
        )
        return list(result or [])

    async def tooltip(self, hint: lsp.InlayHint) -> str:
        """The hint's tooltip as VS Code gets it: resolved when the mouse rests on the hint."""
        assert hint.tooltip is None and hint.data is not None, "tooltips are left to inlayHint/resolve"
        resolved = await self.inlay_hint_resolve_async(hint)
        assert isinstance(resolved.tooltip, lsp.MarkupContent)
        return resolved.tooltip.value


def _record_diagnostics(client: ShapelensClient, params: lsp.PublishDiagnosticsParams) -> None:
    client.diagnostics[params.uri] = params.diagnostics
    client.published.append(params)


def _inlay_refresh(client: ShapelensClient, params: None) -> None:
    client.inlay_refreshes += 1


def _kernel_state(client: ShapelensClient, params: Any) -> None:
    client.kernel_states.append(str(getattr(params, "state", "")))


def _probe_output(client: ShapelensClient, params: Any) -> None:
    client.probe_output.append(str(getattr(params, "text", "")))


def make_client() -> ShapelensClient:
    client = ShapelensClient(converter_factory=default_converter)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _record_diagnostics
    features[lsp.WORKSPACE_INLAY_HINT_REFRESH] = _inlay_refresh
    features["shapelens/kernelState"] = _kernel_state
    features["shapelens/probeOutput"] = _probe_output
    register_lsp_features(client, features)
    return client


DEFAULT_SETTINGS: dict[str, Any] = {
    "diagnostics": {"enable": True},
    "inlayHints": {"assignments": True, "layers": True},
    "severityOverrides": {},
}


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client),
    scope="module",
)
async def client(lsp_client: ShapelensClient):
    lsp_client.set_configuration(dict(DEFAULT_SETTINGS), section="shapelens")
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=vscode_capabilities(),
            root_uri=ROOT,
            workspace_folders=[lsp.WorkspaceFolder(uri=ROOT, name="tests")],
        )
    )
    yield
    await lsp_client.shutdown_session()

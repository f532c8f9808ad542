"""The pygls language server: handler registration only; the work lives in the sibling modules.

Every handler is wrapped by ``guarded``: an exception is logged to the client
(``window/logMessage``) and the request answers empty, so one bad document never takes the
server down or silences it for the others.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
import traceback
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from .code_actions import to_code_actions
from .convert import TextLocator, fact_at, to_diagnostics, to_hover, to_inlay_hints
from .documents import DocumentStore, Snapshot, Source
from .model_graph import MODEL_GRAPH, model_graph
from .notebooks import CellText, NotebookLocator, build_program, is_python_cell
from .probe_service import (
    COMMAND_CLEAR,
    COMMAND_INTERRUPT,
    COMMAND_PROBE,
    COMMAND_RESTART,
    COMMANDS,
    ProbeService,
)
from .probe_views import code_lenses, runtime_hover, with_runtime_issues
from .settings import SECTION, Settings, parse_settings

log = logging.getLogger("shapelens.lsp")
F = TypeVar("F", bound=Callable[..., Any])

NOTEBOOK_SYNC = lsp.NotebookDocumentSyncOptions(
    notebook_selector=[
        lsp.NotebookDocumentFilterWithCells(notebook="*", cells=[lsp.NotebookCellLanguage(language="python")])
    ]
)


class ShapelensServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "shapelens",
            __version__,
            text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
            notebook_document_sync=NOTEBOOK_SYNC,
        )
        self.settings = Settings()
        self.store = DocumentStore(publish=self.publish, log_error=self.log_error)
        self._refresh_hints_after: set[str] = set()
        self.probes = ProbeService(self)

    # -- logging ---------------------------------------------------------------------------

    def log_message(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        try:
            self.window_log_message(lsp.LogMessageParams(type=kind, message=message))
        except Exception:
            log.exception("cannot send a log message")

    def log_error(self, message: str) -> None:
        log.error("%s", message)
        self.log_message(message, lsp.MessageType.Error)

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Errors outside our handlers (pygls' own document bookkeeping, a malformed message)
        go to the log, not to a pop-up; the server carries on."""
        name = getattr(source, "__name__", str(source))
        self.log_error(f"shapelens: {name}: {error}")

    # -- capabilities ----------------------------------------------------------------------

    def show_message(self, message: str, kind: lsp.MessageType = lsp.MessageType.Info) -> None:
        try:
            self.window_show_message(lsp.ShowMessageParams(type=kind, message=message))
        except Exception:
            log.exception("cannot show a message")
        self.log_message(message, kind)

    def client_can(self, path: str) -> bool:
        return self._client_can(path)

    def _client_can(self, path: str) -> bool:
        node: Any = self.client_capabilities
        for part in path.split("."):
            node = getattr(node, part, None)
            if node is None:
                return False
        return bool(node)

    # -- documents -------------------------------------------------------------------------

    @property
    def encoding(self) -> str:
        return str(self.workspace.position_encoding or "utf-16")

    def text_source(self, uri: str) -> Source:
        doc = self.workspace.get_text_document(uri)
        text, encoding = doc.source, self.encoding
        return Source(
            key=uri,
            path=_path(uri),
            text=text,
            version=doc.version,
            make_locator=lambda: TextLocator(uri, text, encoding),
            max_bytes=self.settings.max_file_kb * 1024,
            versions={uri: doc.version},
        )

    def notebook_source(self, notebook_uri: str) -> Source:
        notebook = self.workspace.get_notebook_document(notebook_uri=notebook_uri)
        cells: list[CellText] = []
        if notebook is not None:
            for number, cell in enumerate(notebook.cells, start=1):
                # pygls keys documents by the decoded URI; VS Code's cell URIs are %-escaped
                doc = self.workspace.text_documents.get(cell.document) or self.workspace.text_documents.get(
                    unquote(cell.document)
                )
                if doc is not None and is_python_cell(cell, doc.language_id):
                    cells.append(CellText(cell.document, doc.source, doc.version, number))
        engine_text, display_text, layout = build_program(cells)
        encoding = self.encoding
        return Source(
            key=notebook_uri,
            path=_path(notebook_uri),
            text=engine_text,
            version=notebook.version if notebook is not None else None,
            make_locator=lambda: NotebookLocator(display_text, layout, encoding),
            max_bytes=self.settings.max_file_kb * 1024,
            versions={c.uri: c.version for c in layout},
            display_text=display_text,
            layout=layout,
        )

    def unit_key(self, uri: str) -> str | None:
        """The unit (text document or notebook) that a document URI belongs to."""
        notebook = self.workspace.get_notebook_document(cell_uri=uri)
        key = notebook.uri if notebook is not None else uri
        return key if self.store.is_open(key) else None

    def path_of(self, key: str) -> str:
        return _path(key)

    def republish(self, key: str) -> None:
        snapshot = self.store.latest(key)
        if snapshot is not None:
            self.publish(snapshot)

    def publish(self, snapshot: Snapshot) -> None:
        issues = with_runtime_issues(snapshot, self.probes.store)
        per_uri = to_diagnostics(issues, snapshot.locator, self.settings)
        for uri, diagnostics in per_uri.items():
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(
                    uri=uri, diagnostics=diagnostics, version=snapshot.source.versions.get(uri)
                )
            )
        if snapshot.key in self._refresh_hints_after:
            self._refresh_hints_after.discard(snapshot.key)
            self.refresh_inlay_hints()

    def clear(self, uris: list[str]) -> None:
        for uri in uris:
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def republish_all(self) -> None:
        for key in self.store.open_keys():
            snapshot = self.store.latest(key)
            if snapshot is not None:
                self.publish(snapshot)

    def refresh_inlay_hints(self) -> None:
        if not self._client_can("workspace.inlay_hint.refresh_support"):
            return
        future = self.protocol.send_request(lsp.WORKSPACE_INLAY_HINT_REFRESH, None)
        future.add_done_callback(_ignore_result)

    # -- settings --------------------------------------------------------------------------

    async def load_settings(self, pushed: Any = None) -> None:
        raw = pushed
        if self._client_can("workspace.configuration"):
            try:
                result = await self.workspace_configuration_async(
                    lsp.ConfigurationParams(items=[lsp.ConfigurationItem(section=SECTION)])
                )
                raw = result[0] if result else None
            except Exception as err:
                self.log_message(f"shapelens: cannot read settings ({err}); keeping defaults")
        settings, problems = parse_settings(raw)
        for problem in problems:
            self.log_message(problem, lsp.MessageType.Warning)
        old, self.settings = self.settings, settings
        if old.max_file_kb != settings.max_file_kb:
            self.reanalyse_all()
            return
        self.republish_all()  # cheap (cached analyses), and the client sees the settings applied
        if old != settings:
            self.refresh_inlay_hints()

    def reanalyse_all(self) -> None:
        for key in self.store.open_keys():
            notebook = self.workspace.get_notebook_document(notebook_uri=key)
            if notebook is not None:
                self.store.update(key, functools.partial(self.notebook_source, key), immediate=True)
            else:
                self.store.update(key, functools.partial(self.text_source, key), immediate=True)
        self.refresh_inlay_hints()


def _path(uri: str) -> str:
    try:
        return to_fs_path(uri) or uri
    except Exception:
        return uri


def _ignore_result(future: Any) -> None:
    try:
        future.result()
    except Exception:
        pass


def guarded(default: Any = None) -> Callable[[F], F]:
    """Log any exception from a handler and answer ``default`` instead."""

    def wrap(fn: F) -> F:
        def report(ls: ShapelensServer) -> Any:
            ls.log_error(f"shapelens: {fn.__name__} failed:\n{traceback.format_exc()}")
            return default() if callable(default) else default

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(ls: ShapelensServer, params: Any) -> Any:
                try:
                    return await fn(ls, params)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    return report(ls)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(ls: ShapelensServer, params: Any) -> Any:
            try:
                return fn(ls, params)
            except Exception:
                return report(ls)

        return run  # type: ignore[return-value]

    return wrap


def guarded_command(fn: F) -> F:
    """``guarded`` for workspace/executeCommand handlers, which take positional arguments."""

    @functools.wraps(fn)
    async def run(ls: ShapelensServer, *args: Any) -> Any:
        try:
            result = fn(ls, *args)
            return await result if inspect.isawaitable(result) else result
        except asyncio.CancelledError:
            raise
        except Exception as err:
            ls.log_error(f"shapelens: {fn.__name__} failed:\n{traceback.format_exc()}")
            return {"status": "failed", "message": f"{type(err).__name__}: {err}"}

    return run  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------
# handlers


def initialize(ls: ShapelensServer, params: lsp.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict) and isinstance(options.get("probe"), dict):
        # the client says whether the workspace is trusted: untrusted means static analysis only
        ls.probes.enabled = options["probe"].get("enabled") is not False
    if isinstance(options, dict) and isinstance(options.get(SECTION), dict):
        ls.settings, problems = parse_settings(options[SECTION])
        for problem in problems:
            ls.log_message(problem, lsp.MessageType.Warning)


async def initialized(ls: ShapelensServer, params: lsp.InitializedParams) -> None:
    await ls.load_settings()


async def did_change_configuration(ls: ShapelensServer, params: lsp.DidChangeConfigurationParams) -> None:
    await ls.load_settings(params.settings)


def did_open(ls: ShapelensServer, params: lsp.DidOpenTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.store.update(uri, functools.partial(ls.text_source, uri), immediate=True)


def did_change(ls: ShapelensServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.store.update(uri, functools.partial(ls.text_source, uri))


def did_close(ls: ShapelensServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.store.close(params.text_document.uri)
    ls.probes.store.clear(params.text_document.uri)
    ls.clear([params.text_document.uri])


def notebook_did_open(ls: ShapelensServer, params: lsp.DidOpenNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    ls.store.update(uri, functools.partial(ls.notebook_source, uri), immediate=True)


def notebook_did_change(ls: ShapelensServer, params: lsp.DidChangeNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    cells = params.change.cells
    if cells is not None and cells.structure is not None and cells.structure.did_close:
        ls.clear([c.uri for c in cells.structure.did_close])
    ls.store.update(uri, functools.partial(ls.notebook_source, uri))


def notebook_did_close(ls: ShapelensServer, params: lsp.DidCloseNotebookDocumentParams) -> None:
    ls.store.close(params.notebook_document.uri)
    ls.probes.store.clear(params.notebook_document.uri)
    ls.clear([c.uri for c in params.cell_text_documents])


async def _snapshot_for(ls: ShapelensServer, uri: str) -> Snapshot | None:
    key = ls.unit_key(uri)
    return await ls.store.snapshot(key) if key is not None else None


async def hover(ls: ShapelensServer, params: lsp.HoverParams) -> lsp.Hover | None:
    uri = params.text_document.uri
    snapshot = await _snapshot_for(ls, uri)
    if snapshot is None:
        return None
    here = snapshot.locator.to_engine(uri, params.position)
    if here is None:
        return None
    observed = runtime_hover(snapshot, ls.probes.store.facts(snapshot.key), uri, here)
    if observed is not None:
        return observed
    facts = snapshot.analysis.facts
    if not facts:
        return None
    fact = fact_at(facts, *here)
    # A name used inside a larger fact (the `x` in `Dense(10)(x)`) is about the name.
    found = (await ls.store.names(snapshot)).binding_at(*here)
    if found is not None and (fact is None or found[0] != fact.span):
        use, binding = found
        bound = next((f for f in facts if f.span == binding and f.kind != "layer"), None)
        if bound is not None:
            return to_hover(bound, snapshot.locator, uri, at=use, assigned_at=binding.line)
    return to_hover(fact, snapshot.locator, uri) if fact is not None else None


async def inlay_hints(ls: ShapelensServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
    uri = params.text_document.uri
    snapshot = await _snapshot_for(ls, uri)
    if snapshot is None:
        return []
    if not ls.store.is_current(snapshot):
        ls._refresh_hints_after.add(snapshot.key)  # ask again once the current text is analysed
    return to_inlay_hints(
        snapshot.analysis.facts, snapshot.locator, uri, params.range, ls.settings,
        runtime=ls.probes.store.facts(snapshot.key),
    )


async def code_action(ls: ShapelensServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    snapshot = await _snapshot_for(ls, uri)
    if snapshot is None:
        return []
    return to_code_actions(snapshot.analysis.issues, snapshot.locator, uri, params.range)


async def code_lens(ls: ShapelensServer, params: lsp.CodeLensParams) -> list[lsp.CodeLens]:
    uri = params.text_document.uri
    if not ls.probes.enabled or ls.workspace.get_notebook_document(cell_uri=uri) is not None:
        return []
    key = ls.unit_key(uri)
    if key is None:
        return []
    doc = ls.workspace.get_text_document(uri)
    return code_lenses(uri, doc.source, has_results=bool(ls.probes.store.facts(key) or ls.probes.store.issues(key)))


def _command_args(args: tuple[Any, ...]) -> dict[str, Any]:
    first = args[0] if args else {}
    return first if isinstance(first, dict) else {}


async def probe_command(ls: ShapelensServer, *args: Any) -> dict[str, Any]:
    return await ls.probes.probe(_command_args(args))


def probe_clear_command(ls: ShapelensServer, *args: Any) -> dict[str, Any]:
    return ls.probes.clear(_command_args(args))


async def restart_kernel_command(ls: ShapelensServer, *args: Any) -> dict[str, Any]:
    return await ls.probes.restart()


async def interrupt_kernel_command(ls: ShapelensServer, *args: Any) -> dict[str, Any]:
    return await ls.probes.interrupt()


def shutdown(ls: ShapelensServer, params: None) -> None:
    ls.store.shutdown()
    ls.probes.shutdown()


HANDLERS: list[tuple[str, Callable[..., Any], Any, Any]] = [
    (lsp.INITIALIZE, initialize, None, None),
    (lsp.INITIALIZED, initialized, None, None),
    (lsp.WORKSPACE_DID_CHANGE_CONFIGURATION, did_change_configuration, None, None),
    (lsp.TEXT_DOCUMENT_DID_OPEN, did_open, None, None),
    (lsp.TEXT_DOCUMENT_DID_CHANGE, did_change, None, None),
    (lsp.TEXT_DOCUMENT_DID_CLOSE, did_close, None, None),
    (lsp.NOTEBOOK_DOCUMENT_DID_OPEN, notebook_did_open, None, None),
    (lsp.NOTEBOOK_DOCUMENT_DID_CHANGE, notebook_did_change, None, None),
    (lsp.NOTEBOOK_DOCUMENT_DID_CLOSE, notebook_did_close, None, None),
    (lsp.TEXT_DOCUMENT_HOVER, hover, None, None),
    (lsp.TEXT_DOCUMENT_INLAY_HINT, inlay_hints, lsp.InlayHintOptions(resolve_provider=False), list),
    (
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        code_action,
        lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
        list,
    ),
    (lsp.TEXT_DOCUMENT_CODE_LENS, code_lens, lsp.CodeLensOptions(resolve_provider=False), list),
    (lsp.SHUTDOWN, shutdown, None, None),
    # custom request for the client's model picture (see model_graph.py)
    (MODEL_GRAPH, model_graph, None, None),
]


COMMAND_HANDLERS: list[tuple[str, Callable[..., Any]]] = [
    (COMMAND_PROBE, probe_command),
    (COMMAND_CLEAR, probe_clear_command),
    (COMMAND_RESTART, restart_kernel_command),
    (COMMAND_INTERRUPT, interrupt_kernel_command),
]
assert {name for name, _ in COMMAND_HANDLERS} == set(COMMANDS)


def create_server() -> ShapelensServer:
    server = ShapelensServer()
    for method, handler, options, default in HANDLERS:
        server.feature(method, options)(guarded(default)(handler))
    for name, command in COMMAND_HANDLERS:
        server.command(name)(guarded_command(command))
    return server


def main() -> int:
    logging.basicConfig(level=logging.WARNING, format="shapelens: %(levelname)s %(message)s")
    create_server().start_io()
    return 0

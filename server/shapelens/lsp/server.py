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
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from .code_actions import to_code_actions
from .convert import (
    TextLocator,
    fact_at,
    fact_for_hint,
    hint_tooltip,
    to_diagnostics,
    to_hover,
    to_inlay_hints,
)
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
from .scoped_settings import ScopedSettings
from .settings import SECTION, Settings, parse_settings
from .text_documents import use_lsp_lines

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
        self.scoped = ScopedSettings(self._fetch_settings, self._warn)
        self.store = DocumentStore(publish=self.publish, log_error=self.log_error)
        self._refresh_hints_after: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.probes = ProbeService(self)

    @property
    def settings(self) -> Settings:
        """The global (window-level) settings."""
        return self.scoped.global_settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self.scoped.global_settings = value

    def settings_for(self, key: str | None) -> Settings:
        """The settings of one document or notebook (its folder's, where it has its own)."""
        return self.scoped.for_key(key)

    # -- logging ---------------------------------------------------------------------------

    def log_message(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        try:
            self.window_log_message(lsp.LogMessageParams(type=kind, message=message))
        except Exception:
            log.exception("cannot send a log message")

    def _warn(self, message: str) -> None:
        self.log_message(message, lsp.MessageType.Warning)

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

    def client_resolves_tooltips(self) -> bool:
        caps = self.client_capabilities.text_document
        resolve = caps.inlay_hint.resolve_support if caps is not None and caps.inlay_hint is not None else None
        return resolve is not None and "tooltip" in resolve.properties

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
            max_bytes=self.settings_for(uri).max_file_kb * 1024,
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
            max_bytes=self.settings_for(notebook_uri).max_file_kb * 1024,
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
        if self.scoped.is_pending(snapshot.key):
            return  # published once the document's own settings are known
        issues = with_runtime_issues(snapshot, self.probes.store)
        per_uri = to_diagnostics(issues, snapshot.locator, self.settings_for(snapshot.key))
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

    async def _fetch_settings(self, scopes: Sequence[str | None]) -> list[Any]:
        items = [lsp.ConfigurationItem(scope_uri=scope, section=SECTION) for scope in scopes]
        return list(await self.workspace_configuration_async(lsp.ConfigurationParams(items=items)))

    async def load_settings(self, pushed: Any = None) -> None:
        """The global settings and every open document's, after start and on each change."""
        if not self._client_can("workspace.configuration"):
            settings, problems = parse_settings(pushed)
            for problem in problems:
                self._warn(problem)
            old, self.settings = self.settings, settings
            self.apply_settings(self.store.open_keys(), {None: (old, settings)} if old != settings else {})
            return
        keys = self.store.open_keys()
        self.apply_settings(keys, await self.scoped.load(keys, with_global=True))

    async def load_scope(self, key: str) -> None:
        """One newly opened document's settings (its diagnostics wait for them)."""
        changed = await self.scoped.load([key], with_global=False)
        self.apply_settings([key], changed)

    def watch_settings_of(self, key: str) -> None:
        if not self._client_can("workspace.configuration"):
            return
        self.scoped.mark_pending(key)
        task = asyncio.ensure_future(self.load_scope(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def apply_settings(self, keys: Sequence[str], changed: dict[str | None, tuple[Settings, Settings]]) -> None:
        """Re-analyse documents whose size limit changed, republish the others (cheap: cached
        analyses; the client sees the settings applied) and refresh hints if anything changed."""
        global_change = changed.get(None)
        for key in keys:
            old, new = changed.get(key) or global_change or (None, None)
            if old is not None and new is not None and old.max_file_kb != new.max_file_kb:
                self.reanalyse(key)
            else:
                self.republish(key)
        if changed:
            self.refresh_inlay_hints()

    def reanalyse(self, key: str) -> None:
        if not self.store.is_open(key):
            return
        notebook = self.workspace.get_notebook_document(notebook_uri=key)
        if notebook is not None:
            self.store.update(key, functools.partial(self.notebook_source, key), immediate=True)
        else:
            self.store.update(key, functools.partial(self.text_source, key), immediate=True)

    def reanalyse_all(self) -> None:
        for key in self.store.open_keys():
            self.reanalyse(key)
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
    use_lsp_lines(ls.workspace)
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
    ls.watch_settings_of(uri)
    ls.store.update(uri, functools.partial(ls.text_source, uri), immediate=True)


def did_change(ls: ShapelensServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.store.update(uri, functools.partial(ls.text_source, uri))


def did_close(ls: ShapelensServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.store.close(params.text_document.uri)
    ls.scoped.forget(params.text_document.uri)
    ls.probes.store.clear(params.text_document.uri)
    ls.clear([params.text_document.uri])


def notebook_did_open(ls: ShapelensServer, params: lsp.DidOpenNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    ls.watch_settings_of(uri)
    ls.store.update(uri, functools.partial(ls.notebook_source, uri), immediate=True)


def notebook_did_change(ls: ShapelensServer, params: lsp.DidChangeNotebookDocumentParams) -> None:
    uri = params.notebook_document.uri
    cells = params.change.cells
    if cells is not None and cells.structure is not None and cells.structure.did_close:
        ls.clear([c.uri for c in cells.structure.did_close])
    ls.store.update(uri, functools.partial(ls.notebook_source, uri))


def notebook_did_close(ls: ShapelensServer, params: lsp.DidCloseNotebookDocumentParams) -> None:
    ls.store.close(params.notebook_document.uri)
    ls.scoped.forget(params.notebook_document.uri)
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
        snapshot.analysis.facts, snapshot.locator, uri, params.range, ls.settings_for(snapshot.key),
        runtime=ls.probes.store.facts(snapshot.key),
        defer_tooltips=ls.client_resolves_tooltips(),
    )


def resolve_inlay_hint(ls: ShapelensServer, hint: lsp.InlayHint) -> lsp.InlayHint:
    data = hint.data if isinstance(hint.data, dict) else {}
    key = ls.unit_key(str(data.get("uri", "")))
    snapshot = ls.store.latest(key) if key is not None else None
    if snapshot is None:
        return hint
    runtime = ls.probes.store.facts(snapshot.key)
    fact = fact_for_hint(data, [*snapshot.analysis.facts, *runtime])
    if fact is not None:
        hint.tooltip = hint_tooltip(fact)
    return hint


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
    (lsp.TEXT_DOCUMENT_INLAY_HINT, inlay_hints, lsp.InlayHintOptions(resolve_provider=True), list),
    (lsp.INLAY_HINT_RESOLVE, resolve_inlay_hint, None, None),
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

"""The probe inside the language server: commands, progress with cancel, kernel state, results.

User code runs only from these commands (the client sends them when the user asks), never on
open, save or hover, and not at all when the client says the workspace is untrusted. Results go
to ``ProbeStore`` and are rendered by the same views as static facts, marked as runtime.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lsprotocol import types as lsp
from pygls.uris import to_fs_path

from ..probe.cells import Cell, split_cells
from ..probe.results import ProbeOutcome
from ..probe.runner import Prober
from ..probe.session import SessionEvents
from .probe_store import ProbedBlock, ProbeStore

if TYPE_CHECKING:
    from .server import ShapelensServer

COMMAND_PROBE = "shapelens.server.probe"
COMMAND_CLEAR = "shapelens.server.probeClear"
COMMAND_RESTART = "shapelens.server.restartKernel"
COMMAND_INTERRUPT = "shapelens.server.interruptKernel"
COMMANDS = [COMMAND_PROBE, COMMAND_CLEAR, COMMAND_RESTART, COMMAND_INTERRUPT]
KERNEL_STATE = "shapelens/kernelState"
PROBE_OUTPUT = "shapelens/probeOutput"
UNTRUSTED = "The shape probe runs your code, so it is off in an untrusted workspace; trust the folder to use it."


@dataclass(frozen=True)
class Block:
    """A run of lines to probe, in the unit's (display) coordinates."""

    first_line: int
    text: str
    label: str


class ProbeService:
    def __init__(self, server: ShapelensServer) -> None:
        self.server = server
        self.store = ProbeStore()
        self.enabled = True
        self._probers: dict[tuple[str, str], Prober] = {}
        self._lock = asyncio.Lock()
        self._tokens = itertools.count(1)
        self._running: Prober | None = None

    # -- kernel ------------------------------------------------------------------------------

    def python(self, key: str | None = None) -> str:
        """The interpreter for a document's kernel: its folder's ``shapelens.interpreter``,
        else the one the server runs in (the extension's choice)."""
        return self.server.settings_for(key).probe_interpreter or sys.executable

    def folder_of(self, path: str) -> str:
        """The workspace folder holding ``path`` (one kernel per folder), else its directory."""
        best = ""
        for folder in self.server.workspace.folders.values():
            root = to_fs_path(folder.uri) or ""
            if root and (path == root or path.startswith(root.rstrip(os.sep) + os.sep)) and len(root) > len(best):
                best = root
        for candidate in (best, os.path.dirname(path)):
            if candidate and os.path.isdir(candidate):
                return candidate
        return os.getcwd()

    def prober_for(self, path: str, unit: str | None = None) -> Prober:
        key = (self.python(unit), self.folder_of(path))
        prober = self._probers.get(key)
        if prober is None:
            events = SessionEvents(on_state=self._on_state, on_output=self._on_output)
            prober = self._probers[key] = Prober(key[0], key[1], events)
        return prober

    def _on_state(self, state: str) -> None:
        self._notify(KERNEL_STATE, {"state": state})

    def _on_output(self, text: str) -> None:
        self._notify(PROBE_OUTPUT, {"text": text})

    def _notify(self, method: str, params: dict[str, Any]) -> None:
        # called from the session's reader thread: hand the send to the event loop
        loop = getattr(self.server, "loop", None)
        try:
            if loop is not None and loop.is_running():
                loop.call_soon_threadsafe(self.server.protocol.notify, method, params)
            else:
                self.server.protocol.notify(method, params)
        except Exception:
            pass

    def shutdown(self) -> None:
        for prober in self._probers.values():
            prober.close()
        self._probers.clear()

    # -- commands ------------------------------------------------------------------------------

    async def probe(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self.enabled:
            self.server.show_message(UNTRUSTED, lsp.MessageType.Warning)
            return {"status": "disabled", "message": UNTRUSTED}
        uri = str(args.get("uri", ""))
        key = self.server.unit_key(uri)
        if key is None:
            return {"status": "failed", "message": f"{uri} is not open"}
        blocks = self.blocks(key, uri, str(args.get("scope", "file")), args)
        if not blocks:
            return {"status": "ok", "message": "nothing to probe", "facts": 0}
        if self._lock.locked():
            return {"status": "busy", "message": "a probe is already running"}
        async with self._lock:
            return await self._run_blocks(key, blocks)

    def blocks(self, key: str, uri: str, scope: str, args: dict[str, Any]) -> list[Block]:
        notebook = self.server.workspace.get_notebook_document(notebook_uri=key)
        source = self.server.notebook_source(key) if notebook is not None else self.server.text_source(key)
        text = source.display
        if notebook is not None:
            layout = source.layout
            lines = text.splitlines(True)
            cells = [
                Block(c.start + 1, "".join(lines[c.start : c.start + c.lines]), f"cell {c.number}")
                for c in layout
            ]
            if scope == "file":
                return cells
            cell_uris = [c.uri for c in layout]
            if uri in cell_uris:
                return [cells[cell_uris.index(uri)]]
            return []
        if scope == "selection":
            rng = args.get("range") or {}
            start = int(rng.get("start", {}).get("line", 0))
            end = int(rng.get("end", {}).get("line", start))
            if rng.get("end", {}).get("character", 1) == 0 and end > start:
                end -= 1  # a selection ending at a line start does not take that line
            lines = text.splitlines(True)[start : end + 1]
            return [Block(start + 1, "".join(lines), "selection")]
        file_cells = split_cells(text)
        if scope == "cell":
            line = int(args.get("line", 0)) + 1
            file_cells = [c for c in file_cells if c.contains(line)][:1]
        many = len(file_cells) > 1 or scope == "cell"
        return [Block(c.first_line, c.text, f"cell {c.index}" if many else "file") for c in file_cells]

    async def _run_blocks(self, key: str, blocks: list[Block]) -> dict[str, Any]:
        path = self.server.path_of(key)
        prober = self.prober_for(path, key)
        token = f"shapelens-probe-{next(self._tokens)}"
        progress = await self._begin_progress(token, prober, len(blocks))
        self._running = prober
        outcomes: list[ProbeOutcome] = []
        try:
            for n, block in enumerate(blocks, start=1):
                if progress:
                    self.server.work_done_progress.report(
                        token, lsp.WorkDoneProgressReport(message=f"{block.label} ({n}/{len(blocks)})",
                                                          percentage=int(100 * (n - 1) / len(blocks)))
                    )
                cell = Cell(n, block.first_line, block.text)
                timeout = self.server.settings_for(key).probe_timeout
                outcome = await asyncio.to_thread(prober.probe, key, cell, timeout)
                outcomes.append(outcome)
                if outcome.status in ("ok", "timeout", "interrupted", "error"):
                    self.store.put(key, ProbedBlock(block.first_line, block.text.splitlines(), outcome.facts, outcome.issues))
                self.server.republish(key)
                if outcome.status != "ok":
                    break
        finally:
            self._running = None
            if progress:
                self.server.work_done_progress.end(token, lsp.WorkDoneProgressEnd(message="done"))
        self.server.refresh_inlay_hints()
        return self._report(outcomes)

    async def _begin_progress(self, token: str, prober: Prober, count: int) -> bool:
        if not self.server.client_can("window.work_done_progress"):
            return False
        try:
            await self.server.work_done_progress.create_async(token)
        except Exception:
            return False
        self.server.work_done_progress.begin(
            token, lsp.WorkDoneProgressBegin(title="shapelens: probing shapes", cancellable=True,
                                             message=f"{count} block(s)", percentage=0)
        )
        future = self.server.work_done_progress.tokens.get(token)
        if future is not None:

            def on_cancel(done: Any) -> None:
                if done.cancelled():
                    self._interrupt(prober)

            future.add_done_callback(on_cancel)
        return True

    def _interrupt(self, prober: Prober) -> None:
        asyncio.get_event_loop().run_in_executor(None, prober.interrupt)

    def _report(self, outcomes: list[ProbeOutcome]) -> dict[str, Any]:
        last = outcomes[-1] if outcomes else ProbeOutcome("ok")
        facts = sum(len(o.facts) for o in outcomes)
        errors = [i for o in outcomes for i in o.issues if i.severity == "error"]
        message = last.message
        if last.status == "error" and errors:
            message = f"line {errors[0].span.line}: {errors[0].message}"
        if last.status in ("unavailable", "failed", "dead", "timeout"):
            self.server.show_message(f"shapelens probe: {last.message}", lsp.MessageType.Error)
        elif last.status == "error":
            self.server.show_message(f"shapelens probe: the code raised at {message}", lsp.MessageType.Warning)
        return {"status": last.status, "message": message, "facts": facts, "blocks": len(outcomes),
                "seconds": round(sum(o.seconds for o in outcomes), 3)}

    def clear(self, args: dict[str, Any]) -> dict[str, Any]:
        key = self.server.unit_key(str(args.get("uri", "")))
        if key is not None and self.store.clear(key):
            self.server.republish(key)
            self.server.refresh_inlay_hints()
        return {"status": "ok"}

    async def interrupt(self) -> dict[str, Any]:
        prober = self._running
        if prober is None:
            return {"status": "idle", "message": "no probe is running"}
        await asyncio.to_thread(prober.interrupt)
        return {"status": "ok"}

    async def restart(self) -> dict[str, Any]:
        if not self.enabled:
            return {"status": "disabled", "message": UNTRUSTED}
        probers = list(self._probers.values())
        if not probers:
            return {"status": "ok", "message": "no kernel was running"}
        for prober in probers:
            if self._running is prober:
                await asyncio.to_thread(prober.interrupt)
            outcome = await asyncio.to_thread(prober.restart)
            if outcome.status != "ok":
                self.server.show_message(f"shapelens probe: {outcome.message}", lsp.MessageType.Error)
                return {"status": outcome.status, "message": outcome.message}
        for key in self.store.documents():  # the kernel forgot everything those results came from
            self.store.clear(key)
            self.server.republish(key)
        self.server.refresh_inlay_hints()
        return {"status": "ok", "message": "kernel restarted"}

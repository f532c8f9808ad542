"""The shapelens side of a probe kernel: starts the host in the user's interpreter, sends it
requests and waits for replies (thread-safe, blocking; the language server calls it from a
worker thread, the CLI directly).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HOST_FILE = Path(__file__).with_name("host.py")


class ProbeUnavailable(Exception):
    """The probe cannot run in this interpreter; the message says why and how to fix it."""


@dataclass
class SessionEvents:
    on_state: Callable[[str], None] = lambda state: None
    on_output: Callable[[str], None] = lambda text: None


@dataclass
class _Pending:
    done: threading.Event = field(default_factory=threading.Event)
    reply: dict[str, Any] | None = None


class ProbeSession:
    """One host process and its kernel, for one interpreter and working directory."""

    def __init__(self, python: str, cwd: str | None = None, events: SessionEvents | None = None) -> None:
        self.python = python
        self.cwd = cwd
        self.events = events or SessionEvents()
        self.state = "none"
        self._proc: subprocess.Popen[str] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._fatal: dict[str, Any] | None = None
        self._stderr_tail: list[str] = []

    # -- process --------------------------------------------------------------------------

    def _spawn(self) -> None:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # the host and kernel see the user's environment only
        env["PYTHONUNBUFFERED"] = "1"
        try:
            self._proc = subprocess.Popen(
                [self.python, str(HOST_FILE)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                errors="replace",
                cwd=self.cwd or None,
                env=env,
            )
        except OSError as err:
            raise ProbeUnavailable(f"cannot run the interpreter {self.python}: {err}") from err
        self._ready.clear()
        self._fatal = None
        threading.Thread(target=self._read_stdout, args=(self._proc,), daemon=True).start()
        threading.Thread(target=self._read_stderr, args=(self._proc,), daemon=True).start()
        if not self._ready.wait(60):
            self.close()
            raise ProbeUnavailable(f"the probe host did not start in {self.python}{self._stderr_note()}")
        if self._fatal is not None:
            message = self._fatal.get("message", "the probe cannot run")
            install = self._fatal.get("install")
            self.close()
            raise ProbeUnavailable(f"{message}. Install it with: {install}" if install else str(message))

    def _stderr_note(self) -> str:
        tail = "".join(self._stderr_tail[-20:]).strip()
        return f":\n{tail}" if tail else ""

    def _read_stdout(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            self._dispatch(message)
        # the host is gone: fail everything still waiting
        self._set_state("dead" if self.state not in ("none",) else "none")
        with self._lock:
            pending, self._pending = self._pending, {}
        for entry in pending.values():
            entry.reply = {"ok": False, "error": "the probe host ended" + self._stderr_note()}
            entry.done.set()
        self._ready.set()

    def _read_stderr(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self._stderr_tail.append(line)
            del self._stderr_tail[:-50]

    def _dispatch(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "ready":
            self._ready.set()
        elif event == "fatal":
            self._fatal = message
            self._ready.set()
        elif event == "state":
            self._set_state(str(message.get("state")))
        elif event == "output":
            self.events.on_output(str(message.get("text", "")))
        elif "id" in message:
            with self._lock:
                entry = self._pending.pop(message["id"], None)
            if entry is not None:
                entry.reply = message
                entry.done.set()

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.events.on_state(state)

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- requests -------------------------------------------------------------------------

    def request(self, op: str, wait: float | None = None, **fields: Any) -> dict[str, Any]:
        if not self.alive:
            self._spawn()
        proc = self._proc
        assert proc is not None and proc.stdin is not None
        request_id = next(self._ids)
        entry = _Pending()
        with self._lock:
            self._pending[request_id] = entry
        try:
            proc.stdin.write(json.dumps({"id": request_id, "op": op, **fields}) + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            with self._lock:
                self._pending.pop(request_id, None)
            return {"ok": False, "error": "the probe host ended" + self._stderr_note()}
        if not entry.done.wait(wait):
            with self._lock:
                self._pending.pop(request_id, None)
            return {"ok": False, "error": f"no answer from the probe host in {wait or 0:.0f} s"}
        return entry.reply or {"ok": False, "error": "empty reply"}

    def start(self) -> dict[str, Any]:
        return self.request("start", wait=180, cwd=self.cwd)

    def run(self, code: str, path: str, first_line: int, timeout: float, instrument: bool = True) -> dict[str, Any]:
        # the host enforces ``timeout`` (interrupt, then restart); the margin covers a restart
        return self.request(
            "run", wait=timeout + 180, code=code, path=path, first_line=first_line, timeout=timeout,
            cwd=self.cwd, instrument=instrument,
        )

    def interrupt(self) -> None:
        if self.alive:
            self.request("interrupt", wait=10)

    def restart(self) -> dict[str, Any]:
        return self.request("restart", wait=180, cwd=self.cwd)

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"op": "shutdown"}) + "\n")
            proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError, AssertionError):
            pass
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        self._set_state("none")


def default_python() -> str:
    return sys.executable

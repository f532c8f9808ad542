"""The probe host: runs in the USER's interpreter and owns their kernel through jupyter_client.

Started by shapelens as ``python host.py`` (a plain script: it imports nothing from shapelens,
only the standard library and the jupyter_client/ipykernel that the user's interpreter has).
It speaks JSON lines: requests on stdin, replies and events on stdout. The user's output travels
as ``output`` events (truncated past a limit), never as raw bytes on this stream.

Requests: ``{"id", "op": "start"|"run"|"interrupt"|"restart"|"shutdown", ...}``.
Events: ``{"event": "state", "state": "starting"|"idle"|"busy"|"dead"}``, ``{"event": "output",
"id", "text"}``. The kernel dies with the host: jupyter_client tells ipykernel to watch its
parent (JPY_PARENT_PID), and the host ends the kernel's process group when its stdin closes.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

OUTPUT_LIMIT = 1_000_000  # characters of user output forwarded per run
INTERRUPT_GRACE = 5.0  # seconds a run gets to stop after an interrupt before the kernel restarts
RUNTIME_FILE = Path(__file__).with_name("runtime.py")
RUNTIME_MODULE = "shapelens_probe_runtime"


class Protocol:
    """The JSON-lines channel to shapelens (a private copy of the original stdout)."""

    def __init__(self) -> None:
        self._out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        os.dup2(2, 1)  # anything else printing to stdout lands on stderr, not on the protocol
        sys.stdout = sys.stderr
        self._lock = threading.Lock()

    def send(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, default=str)
        with self._lock:
            try:
                self._out.write(line + "\n")
                self._out.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass


def missing_requirements() -> str | None:
    missing = []
    for module in ("jupyter_client", "ipykernel"):
        try:
            __import__(module)
        except Exception:
            missing.append(module)
    if not missing:
        return None
    return " and ".join(missing)


class Host:
    def __init__(self, proto: Protocol) -> None:
        self.proto = proto
        self.km: Any = None
        self.kc: Any = None
        self.state = "none"
        self.cwd: str | None = None
        self.run_lock = threading.Lock()

    # -- kernel lifecycle ------------------------------------------------------------------

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.proto.send({"event": "state", "state": state})

    def start(self, cwd: str | None) -> dict[str, Any]:
        from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
        from jupyter_client.manager import KernelManager

        class ThisInterpreter(KernelSpecManager):  # type: ignore[misc]
            """The kernel always runs in the interpreter the host runs in, whatever specs exist."""

            def get_kernel_spec(self, kernel_name: str) -> Any:
                return KernelSpec(
                    argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                    display_name="shapelens probe",
                    language="python",
                    env={"PYTHONUNBUFFERED": "1"},
                )

        self.cwd = cwd or self.cwd
        self.set_state("starting")
        km = KernelManager(kernel_name="shapelens", kernel_spec_manager=ThisInterpreter())
        km.transport = "tcp"
        km.ip = "127.0.0.1"
        km.start_kernel(cwd=self.cwd or os.getcwd())
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
        except RuntimeError as err:
            km.shutdown_kernel(now=True)
            self.set_state("dead")
            return {"ok": False, "error": f"the kernel did not start: {err}"}
        self.km, self.kc = km, kc
        setup = self.install_runtime()
        if not setup.get("ok"):
            return setup
        self.set_state("idle")
        return {"ok": True, "environment": setup.get("environment")}

    def install_runtime(self) -> dict[str, Any]:
        source = RUNTIME_FILE.read_text(encoding="utf-8")
        code = (
            "def __shapelens_install(source):\n"
            "    import sys, types\n"
            f"    module = types.ModuleType({RUNTIME_MODULE!r})\n"
            f"    sys.modules[{RUNTIME_MODULE!r}] = module\n"
            "    exec(compile(source, '<shapelens-probe-runtime>', 'exec'), module.__dict__)\n"
            "    module.install()\n"
            f"__shapelens_install({source!r})\n"
            "del __shapelens_install\n"
        )
        reply = self.silent(code, {"env": "__shapelens_probe__.environment()"})
        if reply is None or reply.get("status") != "ok":
            return {"ok": False, "error": f"cannot set up the probe in the kernel: {_reply_error(reply)}"}
        return {"ok": True, "environment": _expression_json(reply, "env")}

    def silent(self, code: str, expressions: dict[str, str], timeout: float = 60) -> dict[str, Any] | None:
        """Runs bookkeeping code that leaves no trace in the user's history or output."""
        msg_id = self.kc.execute(code, silent=True, store_history=False, user_expressions=expressions)
        return self.shell_reply(msg_id, timeout)

    def shell_reply(self, msg_id: str, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                msg = self.kc.get_shell_msg(timeout=0.2)
            except queue.Empty:
                if not self.km.is_alive():
                    return None
                continue
            if msg["parent_header"].get("msg_id") == msg_id:
                return dict(msg["content"])
        return None

    def ensure_kernel(self, cwd: str | None) -> dict[str, Any] | None:
        """None when the kernel is up; else the failed start's reply."""
        if self.km is not None and self.km.is_alive():
            return None
        restarted = self.km is not None
        if restarted:
            self.drop_kernel()
        started = self.start(cwd)
        if not started.get("ok"):
            return started
        return None

    def drop_kernel(self) -> None:
        if self.kc is not None:
            try:
                self.kc.stop_channels()
            except Exception:
                pass
        if self.km is not None:
            try:
                self.km.shutdown_kernel(now=True)
            except Exception:
                pass
        self.km = self.kc = None

    def restart(self, cwd: str | None) -> dict[str, Any]:
        with self.run_lock:
            self.drop_kernel()
            return self.start(cwd)

    def interrupt(self) -> dict[str, Any]:
        if self.km is not None and self.km.is_alive():
            self.km.interrupt_kernel()
            return {"ok": True}
        return {"ok": False, "error": "no kernel is running"}

    def shutdown(self) -> None:
        self.drop_kernel()
        self.set_state("none")

    def kill_kernel_now(self) -> None:
        """SIGKILL to the kernel's process group (its own session, as jupyter_client starts it)."""
        provisioner = getattr(self.km, "provisioner", None) if self.km is not None else None
        pid, pgid = getattr(provisioner, "pid", None), getattr(provisioner, "pgid", None)
        try:
            if pgid:
                os.killpg(pgid, signal.SIGKILL)
            elif pid:
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass

    # -- one probe ---------------------------------------------------------------------------

    def run(self, request: dict[str, Any]) -> dict[str, Any]:
        with self.run_lock:
            failed = self.ensure_kernel(request.get("cwd"))
            if failed is not None:
                return failed
            return self._run(request)

    def _run(self, request: dict[str, Any]) -> dict[str, Any]:
        code = str(request["code"])
        first_line = int(request.get("first_line", 1))
        timeout = float(request.get("timeout") or 300)
        instrument = request.get("instrument", True) is not False  # False: the benchmark's baseline
        if instrument:
            begin = f"__shapelens_probe__.begin({str(request.get('path', ''))!r}, {first_line}, {code!r})"
            armed = self.silent(begin, {})
            if armed is None or armed.get("status") != "ok":
                return {"ok": False, "error": f"cannot arm the probe: {_reply_error(armed)}"}
        self.set_state("busy")
        started = time.monotonic()
        msg_id = self.kc.execute(code, silent=False, store_history=True, allow_stdin=False, stop_on_error=False)
        outcome = self.collect(msg_id, request.get("id"), timeout)
        elapsed = time.monotonic() - started
        if outcome["status"] in ("dead", "restarted"):
            self.set_state("dead" if outcome["status"] == "dead" else "idle")
            return {"ok": True, "status": outcome["status"], "output_truncated": outcome["truncated"],
                    "seconds": elapsed, "timed_out": outcome.get("timed_out", False)}
        reply = self.silent("", {"result": "__shapelens_probe__.end()"}) if instrument else None
        self.set_state("idle")
        result = _expression_json(reply, "result") if reply else None
        return {
            "ok": True,
            "status": outcome["status"],
            "timed_out": outcome.get("timed_out", False),
            "seconds": elapsed,
            "output_truncated": outcome["truncated"],
            "result": result or {"observations": []},
        }

    def collect(self, msg_id: str, request_id: Any, timeout: float) -> dict[str, Any]:
        """Forwards the run's output until the kernel is idle again; interrupts past the timeout
        and restarts the kernel if the interrupt does not stop it."""
        sent = 0
        truncated = False
        deadline = time.monotonic() + timeout
        interrupted_at: float | None = None
        status = "ok"
        while True:
            now = time.monotonic()
            if interrupted_at is None and now > deadline:
                self.km.interrupt_kernel()
                interrupted_at = now
            if interrupted_at is not None and now > interrupted_at + INTERRUPT_GRACE:
                self.drop_kernel()
                started = self.start(self.cwd)
                return {"status": "restarted" if started.get("ok") else "dead", "truncated": truncated,
                        "timed_out": True}
            try:
                msg = self.kc.get_iopub_msg(timeout=0.2)
            except queue.Empty:
                if not self.km.is_alive():
                    return {"status": "dead", "truncated": truncated}
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            content = msg["content"]
            text = ""
            if kind == "stream":
                text = content.get("text", "")
            elif kind in ("execute_result", "display_data"):
                text = str(content.get("data", {}).get("text/plain", "")) + "\n"
            elif kind == "error":
                status = "error"
                text = _strip_ansi("\n".join(content.get("traceback", []))) + "\n"
            elif kind == "status" and content.get("execution_state") == "idle":
                break
            if text and not truncated:
                room = OUTPUT_LIMIT - sent
                if len(text) > room:
                    text = text[:room] + "\n[shapelens: output truncated]\n"
                    truncated = True
                sent += len(text)
                self.proto.send({"event": "output", "id": request_id, "text": text})
        reply = self.shell_reply(msg_id, 10)
        if reply is not None and reply.get("status") == "error":
            status = "error"
        return {"status": status, "truncated": truncated, "timed_out": interrupted_at is not None}


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)


def _reply_error(reply: dict[str, Any] | None) -> str:
    if reply is None:
        return "no reply from the kernel"
    return f"{reply.get('ename', '')}: {reply.get('evalue', '')}".strip(": ")


def _expression_json(reply: dict[str, Any] | None, name: str) -> Any:
    import ast

    entry = (reply or {}).get("user_expressions", {}).get(name, {})
    if entry.get("status") != "ok":
        return {"observations": [], "probe_error": f"{entry.get('ename', '')}: {entry.get('evalue', '')}"}
    try:
        return json.loads(ast.literal_eval(entry["data"]["text/plain"]))
    except Exception as err:
        return {"observations": [], "probe_error": f"unreadable probe result: {err}"}


def _die_with_parent() -> None:
    """Linux: the host gets SIGTERM when shapelens dies, however it dies."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def main() -> int:
    proto = Protocol()
    missing = missing_requirements()
    if missing is not None:
        proto.send({
            "event": "fatal",
            "error": "missing",
            "message": f"{missing} is not installed in {sys.executable}",
            "install": f"{sys.executable} -m pip install ipykernel",
        })
        return 3
    host = Host(proto)
    _die_with_parent()

    def stop(signum: int, frame: Any) -> None:
        # No jupyter_client calls here: the main thread may be inside one (closing after its
        # stdin ended) and re-entering it can deadlock, leaving the kernel behind.
        host.kill_kernel_now()
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    proto.send({"event": "ready", "python": sys.version.split()[0], "executable": sys.executable})
    work: queue.Queue[dict[str, Any] | None] = queue.Queue()

    def worker() -> None:
        while True:
            request = work.get()
            if request is None:
                return
            op = request.get("op")
            try:
                if op == "start":
                    reply = host.ensure_kernel(request.get("cwd")) or {"ok": True}
                elif op == "run":
                    reply = host.run(request)
                elif op == "restart":
                    reply = host.restart(request.get("cwd"))
                else:
                    reply = {"ok": False, "error": f"unknown request {op!r}"}
            except Exception as err:  # the host keeps serving; shapelens shows the message
                reply = {"ok": False, "error": f"{type(err).__name__}: {err}"}
            proto.send({"id": request.get("id"), **reply})

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    for line in sys.stdin:
        try:
            request = json.loads(line)
        except ValueError:
            continue
        op = request.get("op")
        if op == "interrupt":  # answered at once, while a run may be in flight
            proto.send({"id": request.get("id"), **host.interrupt()})
        elif op == "shutdown":
            break
        else:
            work.put(request)
    host.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

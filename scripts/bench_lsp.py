"""Language server benchmark, measured in one run on this machine.

On the same generated 1,000-line Keras file and the same position:
1. hover latency: shapelens vs jedi-language-server (goal: shapelens <= 0.2x);
2. diagnostics latency after an edit (didChange -> publishDiagnostics for that version);
3. server start time (spawn -> initialize answered) and resident memory after analysing
   (goal <= 80 MB), with a check that TensorFlow is not loaded into the server.

Talks LSP over stdio with a small JSON-RPC client of its own. Usage:
    python scripts/bench_lsp.py          (installs jedi-language-server into this venv if missing)
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_engine import generate


class Client:
    """A minimal LSP client over a subprocess's stdio."""

    def __init__(self, argv: list[str]) -> None:
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        self.next_id = 0
        self.responses: dict[int, queue.Queue[Any]] = {}
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = 0
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            msg = json.loads(out.read(length))
            if "id" in msg and "method" not in msg:
                self.responses.setdefault(msg["id"], queue.Queue()).put(msg)
            elif "id" in msg:  # a request from the server: answer it plainly
                result: Any = None
                if msg["method"] == "workspace/configuration":
                    result = [None for _ in msg["params"]["items"]]
                self._send({"jsonrpc": "2.0", "id": msg["id"], "result": result})
            else:
                self.notifications.put(msg)

    def _send(self, msg: dict[str, Any]) -> None:
        body = json.dumps(msg).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def request(self, method: str, params: Any, timeout: float = 60) -> Any:
        self.next_id += 1
        rid = self.next_id
        box = self.responses.setdefault(rid, queue.Queue())
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        return box.get(timeout=timeout).get("result")

    def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def wait_diagnostics(self, uri: str, version: int | None, timeout: float = 60) -> float:
        deadline = time.perf_counter() + timeout
        while True:
            msg = self.notifications.get(timeout=max(deadline - time.perf_counter(), 0.01))
            if msg.get("method") != "textDocument/publishDiagnostics":
                continue
            p = msg["params"]
            if p["uri"] == uri and (version is None or p.get("version") == version):
                return time.perf_counter()

    def start(self, root: Path) -> float:
        caps = {
            "textDocument": {
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "publishDiagnostics": {"versionSupport": True, "relatedInformation": True},
                "synchronization": {"didSave": True},
            },
            "workspace": {"configuration": True},
        }
        self.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(),
                                    "capabilities": caps})
        started = time.perf_counter() - self.t0
        self.notify("initialized", {})
        return started

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def maps_mention(self, needle: str) -> bool:
        try:
            return needle in Path(f"/proc/{self.proc.pid}/maps").read_text()
        except OSError:
            return False

    def stop(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


def hover_latency(client: Client, uri: str, line: int, col: int, n: int = 30) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        client.request("textDocument/hover",
                       {"textDocument": {"uri": uri}, "position": {"line": line, "character": col}})
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    bindir = Path(sys.executable).parent
    jls = shutil.which("jedi-language-server", path=str(bindir)) or shutil.which("jedi-language-server")
    if jls is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "jedi-language-server"], check=True)
        jls = str(bindir / "jedi-language-server")
    text = generate(1000)
    lines = text.splitlines()
    # hover on `x` at the start of a `x = layers.Conv2D(...)` line in the middle of the file
    target = next(i for i in range(len(lines) // 2, len(lines)) if lines[i].startswith("x = layers.Conv2D"))
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        path = root / "models.py"
        path.write_text(text)
        uri = path.as_uri()
        results: dict[str, dict[str, float]] = {}
        for name, argv in (
            ("shapelens", [sys.executable, "-m", "shapelens.cli", "serve"]),
            ("jedi-language-server", [jls]),
        ):
            c = Client(argv)
            started = c.start(root)
            c.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": text}})
            if name == "shapelens":
                c.wait_diagnostics(uri, 1)
            c.request("textDocument/hover", {"textDocument": {"uri": uri},
                                             "position": {"line": target, "character": 0}})
            r = {"start_s": started, "hover_s": hover_latency(c, uri, target, 0)}
            if name == "shapelens":
                edits = []
                end = len(lines[target])
                for version in range(2, 7):
                    t0 = time.perf_counter()
                    c.notify("textDocument/didChange", {
                        "textDocument": {"uri": uri, "version": version},
                        # type one space at the end of the line (a real edit, same program)
                        "contentChanges": [{"range": {"start": {"line": target, "character": end},
                                                      "end": {"line": target, "character": end}},
                                            "text": " "}],
                    })
                    edits.append(c.wait_diagnostics(uri, version) - t0)
                    end += 1
                r["diagnostics_s"] = statistics.median(edits)
                r["rss_mb"] = c.rss_mb()
                r["tensorflow_loaded"] = float(c.maps_mention("tensorflow"))
            c.stop()
            results[name] = r
    s, j = results["shapelens"], results["jedi-language-server"]
    print(f"file: {len(lines)} lines, hover at line {target + 1}")
    print(f"1. hover latency   shapelens {s['hover_s'] * 1000:7.2f} ms   "
          f"jedi-language-server {j['hover_s'] * 1000:7.2f} ms   "
          f"ratio {s['hover_s'] / j['hover_s']:.3f}x (goal <= 0.2x)")
    print(f"2. diagnostics after an edit (debounce included): {s['diagnostics_s'] * 1000:7.1f} ms")
    print(f"3. server start    shapelens {s['start_s'] * 1000:7.1f} ms   "
          f"jedi-language-server {j['start_s'] * 1000:7.1f} ms")
    print(f"   shapelens RSS after analysing: {s['rss_mb']:.1f} MB (goal <= 80 MB); "
          f"TensorFlow loaded: {'yes' if s['tensorflow_loaded'] else 'no'}")


if __name__ == "__main__":
    main()

"""Never crash, never go silent: pathological documents and bursts of edits leave the server
answering; handler exceptions are logged and answered empty; start-up never imports TF."""

from __future__ import annotations

import asyncio
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from shapelens.core.analysis import Analysis
from shapelens.lsp import documents
from shapelens.lsp.convert import TextLocator
from shapelens.lsp.documents import DocumentStore, Snapshot, Source
from shapelens.lsp.server import create_server, guarded

from .conftest import ShapelensClient, uri_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "cnn.py"
HEALTHY = "import tensorflow as tf\nok = tf.zeros((2, 2))\nbad = ok + tf.zeros((3,))\n"


async def assert_healthy(client: ShapelensClient, name: str) -> None:
    """A fresh document still gets diagnostics and hover."""
    uri = uri_for(f"healthy_{name}.py")
    mark = client.open(uri, HEALTHY)
    published = await client.wait_for_published(uri, version=1, after=mark)
    assert [d.code for d in published.diagnostics] == ["broadcast"]
    hover = await client.hover_at(uri, 1, 0)
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "`(2, 2)` float32" in hover.contents.value
    client.close(uri)


async def test_binary_looking_text(client: ShapelensClient):
    rng = random.Random(1234)
    junk = "".join(chr(rng.choice([0, 1, 7, 27, 0xFFFD, 0xD7FF, 0x1F600, rng.randrange(32, 0x3000)]))
                   for _ in range(20_000))
    uri = uri_for("binary.py")
    mark = client.open(uri, junk)
    await client.wait_for_published(uri, version=1, after=mark)
    await client.hover_at(uri, 0, 5)
    await client.hints(uri)
    await assert_healthy(client, "binary")


async def test_deeply_nested_source(client: ShapelensClient):
    uri = uri_for("nested.py")
    text = "x = " + "(" * 3000 + "1" + ")" * 3000 + "\ny = " + "-" * 50_000 + "1\nz = [" * 200 + "\n"
    mark = client.open(uri, text)
    await client.wait_for_published(uri, version=1, after=mark)
    await client.hover_at(uri, 0, 0)
    await assert_healthy(client, "nested")


async def test_five_megabyte_document(client: ShapelensClient):
    uri = uri_for("huge.py")
    line = "x = tf.zeros((3, 4))  # a line of a very large generated file\n"
    text = "import tensorflow as tf\n" + line * (5 * 1024 * 1024 // len(line))
    assert len(text) > 5_000_000
    loop = asyncio.get_running_loop()
    started = loop.time()
    mark = client.open(uri, text)
    published = await client.wait_for_published(uri, version=1, after=mark)
    assert [d.code for d in published.diagnostics] == ["file-too-large"]
    assert loop.time() - started < 10
    version = client.edit(uri, (1, 0), (1, 0), "y = 1\n")
    await client.wait_for_published(uri, version=version)
    assert await client.hover_at(uri, 2, 0) is None
    assert await client.hints(uri, 0, 100) == []
    client.close(uri)
    await assert_healthy(client, "huge")


async def test_thousands_of_rapid_edits(client: ShapelensClient):
    uri = uri_for("typing.py")
    mark = client.open(uri, "import tensorflow as tf\n")
    await client.wait_for_published(uri, version=1, after=mark)
    mark = len(client.published)
    typed = "b = tf.zeros((4, 4))\nc = b + tf.zeros((3,))\n" + "# a comment typed key by key\n" * 70
    line, col = 1, 0
    version = 1
    for ch in typed:  # one keystroke per didChange, as an editor sends them
        version = client.edit(uri, (line, col), (line, col), ch)
        if ch == "\n":
            line, col = line + 1, 0
        else:
            col += 1
    assert version > 2000
    # hover while the burst is being processed still answers, and about the latest text
    hover = await client.hover_at(uri, 1, 0)
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "`(4, 4)` float32" in hover.contents.value
    final = await client.wait_for_published(uri, version=version)
    assert [d.code for d in final.diagnostics] == ["broadcast"]
    assert final.diagnostics[0].range.start.line == 2
    # debounced: a handful of analyses were published, not one per keystroke
    assert len([p for p in client.published[mark:] if p.uri == uri]) <= 10
    await assert_healthy(client, "typing")


async def test_requests_for_documents_that_are_not_open(client: ShapelensClient):
    uri = uri_for("not-open.py")
    assert await client.hover_at(uri, 0, 0) is None
    assert await client.hints(uri) == []
    client.close(uri)  # closing what was never opened is harmless
    await assert_healthy(client, "not-open")


async def test_changes_to_documents_that_are_not_open_are_logged_quietly(client: ShapelensClient):
    uri = uri_for("phantom.py")
    logged = len(client.log_messages)
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
        )
    )
    client.notebook_document_did_change(
        lsp.DidChangeNotebookDocumentParams(
            notebook_document=lsp.VersionedNotebookDocumentIdentifier(version=2, uri=uri_for("phantom.ipynb")),
            change=lsp.NotebookDocumentChangeEvent(),
        )
    )
    await assert_healthy(client, "phantom")
    errors = [m for m in client.log_messages[logged:] if m.type == lsp.MessageType.Error]
    assert len(errors) == 2
    assert client.messages == []  # no pop-ups


async def test_handler_exceptions_are_logged_and_answered_empty():
    server = create_server()
    logged: list[str] = []
    server.log_error = logged.append  # type: ignore[method-assign]

    @guarded(list)
    async def broken_async(ls: Any, params: Any) -> list[int]:
        raise RuntimeError("boom")

    @guarded(None)
    def broken_sync(ls: Any, params: Any) -> int:
        return 1 // 0

    assert await broken_async(server, None) == []
    assert broken_sync(server, None) is None
    assert "RuntimeError: boom" in logged[0] and "ZeroDivisionError" in logged[1]
    assert "broken_async failed" in logged[0]


async def test_engine_failures_become_a_diagnostic_and_a_log(monkeypatch: pytest.MonkeyPatch):
    published: list[Snapshot] = []
    logged: list[str] = []

    def explode(source: Source) -> Analysis:
        raise ValueError("engine bug")

    monkeypatch.setattr(documents, "_analyse", explode)
    store = DocumentStore(publish=published.append, log_error=logged.append, debounce=0.01)
    source = Source("mem://a", "a.py", "x = 1\n", 1, lambda: TextLocator("mem://a", "x = 1\n"), 1 << 20)
    store.update("mem://a", lambda: source, immediate=True)
    snapshot = await store.snapshot("mem://a")
    assert snapshot is not None
    assert [i.code for i in snapshot.analysis.issues] == ["internal-error"]
    assert published and "ValueError: engine bug" in logged[0]

    def unreadable() -> Source:
        raise OSError("gone")

    store.update("mem://b", unreadable, immediate=True)
    assert await store.snapshot("mem://b", wait=0.2) is None
    assert any("cannot read mem://b" in m for m in logged)
    store.shutdown()


async def test_stale_runs_are_skipped():
    published: list[Snapshot] = []
    texts = iter(f"x = {i}\n" for i in range(1000))

    def load() -> Source:
        text = next(texts)
        return Source("mem://s", "s.py", text, None, lambda: TextLocator("mem://s", text), 1 << 20)

    store = DocumentStore(publish=published.append, log_error=print, debounce=0.05)
    for _ in range(200):
        store.update("mem://s", load)
    snapshot = await store.snapshot("mem://s")
    assert snapshot is not None and snapshot.generation == 200
    assert store.runs == 1 and len(published) == 1
    store.shutdown()


async def test_server_start_does_not_import_tensorflow():
    code = (
        "import sys\n"
        "from shapelens.lsp.server import create_server\n"
        "from shapelens.core.analysis import analyze_source\n"
        "create_server()\n"
        f"analyze_source(open({str(EXAMPLE)!r}).read(), 'cnn.py')\n"
        "heavy = {'tensorflow', 'keras', 'numpy', 'jax', 'torch'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


async def test_serve_accepts_the_stdio_flag():
    result = subprocess.run([sys.executable, "-m", "shapelens.cli", "serve", "--help"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--stdio" in result.stdout


async def test_exit_does_not_wait_for_a_running_analysis():
    """The analysis thread is a daemon: leaving the server never waits for a long analysis."""
    code = (
        "import time\n"
        "from shapelens.lsp.documents import Worker\n"
        "Worker().submit(lambda: time.sleep(60))\n"
        "time.sleep(0.2)\n"
    )
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert time.perf_counter() - started < 20


async def test_only_cr_and_lf_end_lines_when_edits_are_applied(client: ShapelensClient):
    """Form feeds (common in older Python sources), \\x1c and U+2028 are not line breaks for VS
    Code, Python or LSP; an edit after them must land where the client put it."""
    uri = uri_for("formfeed.py")
    text = "import tensorflow as tf\n\x0c\na = 1  # \u2028 \x1c\nx = tf.zeros((2, 3))\n"
    mark = client.open(uri, text)
    await client.wait_for_published(uri, version=1, after=mark)
    version = client.edit(uri, (3, 0), (3, 1), "y")  # rename x -> y on line 3
    published = await client.wait_for_published(uri, version=version)
    assert list(published.diagnostics) == []
    hover = await client.hover_at(uri, 3, 0)
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert hover.contents.value.startswith("`y`: `(2, 3)` float32")
    client.close(uri)

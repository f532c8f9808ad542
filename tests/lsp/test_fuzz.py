"""Fuzzing the server through a real client: thousands of random edits of real Keras files.

Each round opens a real file (the examples and part of the corpus) and sends a storm of
incremental didChange edits the way an editor would: keystrokes, pasted fragments of the same
file, half-typed calls, deletions across lines, truncations, NUL and other control characters,
non-BMP characters (two UTF-16 units), CRLF line ends, whole-document binary junk and one 5 MB
paste. Hover, inlay hint, code action and code lens requests are sent in between without
waiting. The server must answer every request, log no error, and publish diagnostics for the
final version that equal what the engine says about the final text.
"""

from __future__ import annotations

import asyncio
import random
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types as lsp

from shapelens.core.analysis import analyze_source

from .conftest import ShapelensClient, uri_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
FILES = [
    *sorted((ROOT / "examples").glob("*.py")),
    ROOT / "tests" / "corpus" / "resnet_block.py",
    ROOT / "tests" / "corpus" / "multi_io_tickets.py",
    ROOT / "tests" / "corpus" / "lstm_seq2seq_onehot.py",
]
EDITS_PER_FILE = 330  # 9 files: about 3,000 edits in all
REQUEST_EVERY = 20
MAX_FILE_BYTES = 1024 * 1024  # the server's default shapelens.maxFileSizeKB

_BREAK = re.compile(r"\r\n|\r|\n")
HALF_TYPED = [
    "layers.Dense(", "tf.reshape(x, (", "keras.Input(shape=(28, 28", "model.fit(x_train, ",
    "x = ", "def f(", "class M(keras.Model):\n    def call(self, x):\n        return ", "[:, ::",
    "layers.Conv2D(32, 3, padding='", "tf.concat([a, b], axis=", ")))", "]]", "lambda t: t[",
    "\"\"\"", "'", "\\", "@tf.function\n", "import ", "from keras import (", "x: tf.Tensor = ",
]
ODD = ["\x00", "\x07", "\x0c", "\x1b", "\u2028", "\x85", "\ufeff", "é", "中", "😀", "\t", "\r\n"]


def utf16_len(s: str) -> int:
    return sum(2 if ord(c) > 0xFFFF else 1 for c in s)


class Mirror:
    """The client's copy of the document, to compute LSP positions as VS Code would."""

    def __init__(self, text: str) -> None:
        self.text = text

    def lines(self) -> list[tuple[int, str]]:
        """(offset, content) of each line, line breaks excluded."""
        out, start = [], 0
        for m in _BREAK.finditer(self.text):
            out.append((start, self.text[start : m.start()]))
            start = m.end()
        out.append((start, self.text[start:]))
        return out

    def position(self, offset: int) -> tuple[int, int]:
        for n, (start, content) in enumerate(self.lines()):
            if start <= offset <= start + len(content):
                return n, utf16_len(content[: offset - start])
        raise AssertionError(f"offset {offset} is inside a line break")

    def random_offset(self, rng: random.Random) -> int:
        """An offset that is not between the CR and LF of a CRLF."""
        start, content = rng.choice(self.lines())
        return start + rng.randint(0, len(content))

    def replace(self, start: int, end: int, new: str) -> tuple[tuple[int, int], tuple[int, int]]:
        where = (self.position(start), self.position(end))
        self.text = self.text[:start] + new + self.text[end:]
        return where


def _fragment(rng: random.Random, source: str) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice("abcxyz_0123456789()[],.:= \n")
    if roll < 0.6:
        return rng.choice(HALF_TYPED)
    if roll < 0.8:
        a = rng.randrange(len(source))
        return source[a : a + rng.randint(1, 400)]
    return "".join(rng.choice(ODD) for _ in range(rng.randint(1, 4)))


def _edit(client: ShapelensClient, uri: str, doc: Mirror, rng: random.Random, source: str) -> int:
    roll = rng.random()
    a = doc.random_offset(rng)
    if roll < 0.55:  # type or paste
        new, b = _fragment(rng, source), a
    elif roll < 0.8:  # delete a range, often across lines
        b = doc.random_offset(rng)
        a, b = min(a, b), max(a, b)
        if b - a > 2000:
            b = a + 2000
            while b < len(doc.text) and doc.text[b - 1 : b + 1] == "\r\n":
                b += 1
        new = ""
    elif roll < 0.9:  # select and overwrite
        b = min(len(doc.text), a + rng.randint(1, 40))
        while b < len(doc.text) and doc.text[b - 1 : b + 1] == "\r\n":
            b += 1
        new = _fragment(rng, source)
    elif roll < 0.92:  # truncate the rest of the file
        b, new = len(doc.text), ""
    elif roll < 0.95:  # a binary file opened as text
        doc.text = "".join(chr(rng.choice([0, 1, 0x1B, 0xFFFD, 0x1F600, rng.randrange(32, 0x2FFF)])) for _ in range(3000))
        return client.replace_all(uri, doc.text)
    else:  # restore the original, as after an undo-all
        doc.text = source
        return client.replace_all(uri, source)
    start, end = doc.replace(a, b, new)
    return client.edit(uri, start, end, new)


def _request(client: ShapelensClient, uri: str, doc: Mirror, rng: random.Random) -> Any:
    line = rng.randrange(len(doc.lines()) + 2)
    where = lsp.Position(line, rng.randrange(0, 120))
    ident = lsp.TextDocumentIdentifier(uri=uri)
    kind = rng.randrange(4)
    if kind == 0:
        return client.text_document_hover_async(lsp.HoverParams(text_document=ident, position=where))
    if kind == 1:
        rng_ = lsp.Range(lsp.Position(max(0, line - 30), 0), lsp.Position(line + 30, 0))
        return client.text_document_inlay_hint_async(lsp.InlayHintParams(text_document=ident, range=rng_))
    if kind == 2:
        return client.text_document_code_action_async(
            lsp.CodeActionParams(
                text_document=ident,
                range=lsp.Range(where, where),
                context=lsp.CodeActionContext(diagnostics=[]),
            )
        )
    return client.text_document_code_lens_async(lsp.CodeLensParams(text_document=ident))


def _expected(text: str) -> list[tuple[str, int]]:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return [("file-too-large", 0)]
    return sorted((i.code, i.span.line - 1) for i in analyze_source(text).issues)


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
async def test_random_edit_storm(client: ShapelensClient, path: Path):
    seed = zlib.crc32(path.name.encode()) % 10_000
    rng = random.Random(seed)
    source = path.read_text()
    uri = uri_for(f"fuzz_{path.name}")
    errors_before = sum(1 for m in client.log_messages if m.type == lsp.MessageType.Error)
    mark = client.open(uri, source)
    await client.wait_for_published(uri, version=1, after=mark)
    doc = Mirror(source)
    pending = []
    version = 1
    big_at = EDITS_PER_FILE // 2 if path.name == "cnn.py" else -1
    for n in range(EDITS_PER_FILE):
        if n == big_at:  # a 5 MB paste, a few edits into it, then back to the original size
            big = source + "y = 1  # generated\n" * (5 * 1024 * 1024 // 19)
            doc.text = big
            version = client.replace_all(uri, big)
            for _ in range(3):
                version = _edit(client, uri, doc, rng, source)
            start, end = doc.replace(len(source), len(doc.text), "")
            version = client.edit(uri, start, end, "")
            continue
        version = _edit(client, uri, doc, rng, source)
        if n % REQUEST_EVERY == 0:
            pending.append(asyncio.ensure_future(_request(client, uri, doc, rng)))
        if n % 50 == 0:
            await asyncio.sleep(0)  # let the transport breathe, as an editor would between keys
    answers = await asyncio.wait_for(asyncio.gather(*pending, return_exceptions=True), 120)
    failed = [a for a in answers if isinstance(a, BaseException)]
    assert not failed, f"seed {seed}: requests failed: {failed[:3]}"
    await _assert_diagnosed_like_the_engine(client, uri, doc, version, seed)

    # then the file is typed back in, chunk by chunk, after the chaos: the server's copy of the
    # text must still be the editor's, and a real program gets its real diagnostics and hints
    start, end = doc.replace(0, len(doc.text), "")
    version = client.edit(uri, start, end, "")
    for chunk in re.findall(r"(?:[^\n]*\n){1,3}|[^\n]+$", source):
        start, end = doc.replace(len(doc.text), len(doc.text), chunk)
        version = client.edit(uri, start, end, chunk)
    assert doc.text == source
    await _assert_diagnosed_like_the_engine(client, uri, doc, version, seed)
    if "Dense(" in source:
        assert await client.hints(uri), "the rebuilt file gets its inlay hints"
    errors = [m.message for m in client.log_messages if m.type == lsp.MessageType.Error][errors_before:]
    assert not errors, f"seed {seed}: the server logged errors: {errors[:2]}"
    client.close(uri)


async def _assert_diagnosed_like_the_engine(
    client: ShapelensClient, uri: str, doc: Mirror, version: int, seed: int
) -> None:
    final = await client.wait_for_published(uri, version=version, timeout=60)
    got = sorted((str(d.code), d.range.start.line) for d in final.diagnostics)
    assert got == _expected(doc.text), f"seed {seed}: diagnostics of version {version} differ from the engine's"
    hover = await client.hover_at(uri, 0, 0)  # the server still answers about this document
    assert hover is None or isinstance(hover.contents, lsp.MarkupContent)

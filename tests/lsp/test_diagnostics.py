"""Diagnostics: published with the document version after open and change, cleared on close;
severity, code, message and related locations come from the engine's issues."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from .conftest import ShapelensClient, uri_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

BROKEN = """\
import tensorflow as tf

x = tf.random.normal((32, 10))
w = tf.random.normal((10, 5))
broken = tf.matmul(x, w) + x[:, :2]
"""


async def test_open_publishes_versioned_diagnostics(client: ShapelensClient):
    uri = uri_for("diag_open.py")
    mark = client.open(uri, BROKEN, version=7)
    published = await client.wait_for_published(uri, version=7, after=mark)
    [diag] = published.diagnostics
    assert diag.source == "shapelens"
    assert diag.code == "broadcast"
    assert diag.severity == lsp.DiagnosticSeverity.Error
    assert "(32, 5)" in diag.message and "(32, 2)" in diag.message
    assert diag.range == lsp.Range(lsp.Position(4, 9), lsp.Position(4, 35))
    related = diag.related_information or []
    assert [r.message for r in related] == [
        "left operand (32, 5) comes from here",
        "right operand (32, 2) comes from here",
    ]
    assert all(r.location.uri == uri for r in related)
    assert related[0].location.range == lsp.Range(lsp.Position(4, 9), lsp.Position(4, 24))


async def test_change_republishes_for_the_new_version(client: ShapelensClient):
    uri = uri_for("diag_change.py")
    mark = client.open(uri, BROKEN)
    first = await client.wait_for_published(uri, version=1, after=mark)
    assert len(first.diagnostics) == 1
    col = BROKEN.splitlines()[4].index("2]")
    version = client.edit(uri, (4, col), (4, col + 1), "5")  # x[:, :5] now broadcasts
    fixed = await client.wait_for_published(uri, version=version)
    assert list(fixed.diagnostics) == []
    version = client.edit(uri, (4, col), (4, col + 1), "3")
    again = await client.wait_for_published(uri, version=version)
    assert [d.code for d in again.diagnostics] == ["broadcast"]
    assert "(32, 3)" in again.diagnostics[0].message


async def test_close_clears_diagnostics(client: ShapelensClient):
    uri = uri_for("diag_close.py")
    mark = client.open(uri, BROKEN)
    await client.wait_for_published(uri, version=1, after=mark)
    mark = client.close(uri)
    cleared = await client.wait_for_published(uri, after=mark)
    assert list(cleared.diagnostics) == []
    assert list(client.diagnostics[uri]) == []


async def test_related_locations_point_at_the_layer_definition(client: ShapelensClient):
    uri = uri_for("diag_related.py")
    text = """\
import numpy as np
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    layers.Dense(32, activation="relu", input_shape=(10,)),
    layers.Dense(1),
])
data = np.random.rand(100, 10).astype("float32")
predictions = model.predict(data[:16, :5])
"""
    mark = client.open(uri, text)
    published = await client.wait_for_published(uri, version=1, after=mark)
    [diag] = published.diagnostics
    assert diag.code == "layer-input-mismatch"
    assert diag.range.start.line == 9
    lines = {r.location.range.start.line for r in diag.related_information or []}
    assert 5 in lines  # the Dense layer that expects 10 features


async def test_columns_are_utf16_for_non_ascii_lines(client: ShapelensClient):
    uri = uri_for("diag_unicode.py")
    # "é" is 2 UTF-8 bytes but 1 UTF-16 unit; U+1D569 is 4 bytes and 2 units.
    text = (
        "import tensorflow as tf\n"
        "x = tf.zeros((2, 3))\n"
        "y = tf.zeros((2, 4))\n"
        "z = {'é𝕩': 1}['é𝕩'] * (x + y)\n"
    )
    mark = client.open(uri, text)
    published = await client.wait_for_published(uri, version=1, after=mark)
    [diag] = published.diagnostics
    line = text.splitlines()[3]
    start = line.index("(x + y)") + 1
    utf16_start = len(line[:start].encode("utf-16-le")) // 2
    assert diag.range.start == lsp.Position(3, utf16_start)
    assert diag.range.end == lsp.Position(3, utf16_start + len("x + y"))


async def test_syntax_errors_do_not_hide_other_diagnostics(client: ShapelensClient):
    uri = uri_for("diag_syntax.py")
    text = BROKEN + "def half_typed(:\n"
    mark = client.open(uri, text)
    published = await client.wait_for_published(uri, version=1, after=mark)
    codes = sorted(str(d.code) for d in published.diagnostics)
    assert codes == ["broadcast", "syntax-error"]


async def test_line_index_converts_engine_columns_for_each_encoding():
    from shapelens.lsp.convert import LineIndex

    text = "a = 'é\U0001d569' + b\r\nnext\rlast"
    col_b = len("a = 'é\U0001d569' + ".encode())  # engine column of `b` (UTF-8 bytes)
    expected = {"utf-8": col_b, "utf-16": len("a = 'é") + 2 + len("' + "), "utf-32": len("a = 'é\U0001d569' + ")}
    for encoding, units in expected.items():
        index = LineIndex(text, encoding)
        assert len(index) == 3  # CRLF and a lone CR both end a line
        assert index.position(1, col_b) == lsp.Position(0, units)
        assert index.engine(lsp.Position(0, units)) == (1, col_b)
    index = LineIndex(text)
    assert index.position(99, 0) == lsp.Position(2, 4)  # past the end: end of the last line
    assert index.position(2, 999) == lsp.Position(1, 4)  # past a line's end: its end

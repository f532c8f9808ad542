"""Inlay hints: after assignment targets and at the end of layer lines inside a Sequential,
only within the requested range, each with a tooltip (resolved through inlayHint/resolve when
the client can, as VS Code does)."""

from __future__ import annotations

import pytest
import pytest_asyncio
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig

from .conftest import (
    DEFAULT_SETTINGS,
    ROOT,
    SERVER_COMMAND,
    ShapelensClient,
    make_client,
    uri_for,
    vscode_capabilities,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = """\
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    keras.Input(shape=(32, 32, 3)),
    layers.Conv2D(16, 3),  # a comment
    layers.MaxPooling2D(), layers.Flatten(),
    layers.Dense(10, dtype="float16"),
])

x = tf.zeros((4, 32, 32, 3))
y = model(x)
for i in range(3):
    z = tf.reshape(x, (4, -1))
unknown = some_function()
"""
LINES = SOURCE.splitlines()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def doc(client: ShapelensClient) -> str:
    uri = uri_for("hints.py")
    mark = client.open(uri, SOURCE)
    await client.wait_for_published(uri, version=1, after=mark)
    return uri


def by_line(hints: list[lsp.InlayHint]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for h in hints:
        assert isinstance(h.label, str) and h.label
        out.setdefault(h.position.line, []).append(h.label)
    return out


async def test_assignment_hints_follow_the_target(client: ShapelensClient, doc: str):
    hints = await client.hints(doc)
    lines = by_line(hints)
    assert lines[11] == [": (4, 32, 32, 3) float32"]
    assert lines[12] == [": (4, 10) float16"]
    assert lines[14] == [": (4, 3072) float32"]
    assert 15 not in lines  # unknown is silent
    [x_hint] = [h for h in hints if h.position.line == 11]
    assert x_hint.position == lsp.Position(11, 1)  # right after `x`
    assert x_hint.kind == lsp.InlayHintKind.Type
    assert "`x`: `(4, 32, 32, 3)` float32 — static" in await client.tooltip(x_hint)


async def test_layer_hints_at_the_end_of_sequential_lines(client: ShapelensClient, doc: str):
    hints = await client.hints(doc, 4, 10)
    lines = by_line(hints)
    assert lines[6] == ["→ (None, 30, 30, 16)"]
    assert lines[7] == ["→ (None, 15, 15, 16)", "→ (None, 3600)"]
    assert lines[8] == ["→ (None, 10) float16"]
    positions = {h.position.line: h for h in hints}
    # before the comment, right after the layer and its comma
    assert positions[6].position.character == LINES[6].index(",  #") + 1
    # at the end of the line when nothing follows
    assert positions[8].position.character == len(LINES[8])
    first_on_7 = min((h for h in hints if h.position.line == 7), key=lambda h: h.position.character)
    assert first_on_7.position.character == LINES[7].index(", layers.Flatten") + 1
    assert all(h.padding_left for h in hints)
    assert "`Dense` → `(None, 10)` float16" in await client.tooltip(positions[8])


async def test_only_the_requested_range(client: ShapelensClient, doc: str):
    assert set(by_line(await client.hints(doc, 11, 13))) == {11, 12}
    assert set(by_line(await client.hints(doc, 12, 12))) == set()
    assert await client.hints(doc, 500, 600) == []


async def test_hints_follow_edits(client: ShapelensClient):
    uri = uri_for("hints_edit.py")
    mark = client.open(uri, "import tensorflow as tf\na = tf.ones((2, 3))\n")
    await client.wait_for_published(uri, version=1, after=mark)
    assert by_line(await client.hints(uri)) == {1: [": (2, 3) float32"]}
    client.edit(uri, (1, 12), (1, 18), "(5, 7, 9)")
    # the request waits for the analysis of the edited text (no stale hints)
    assert by_line(await client.hints(uri)) == {1: [": (5, 7, 9) float32"]}


async def test_no_hints_for_unknown_documents(client: ShapelensClient):
    assert await client.hints(uri_for("never-opened-hints.py")) == []


async def test_a_tooltip_for_text_that_changed_since_is_left_out(client: ShapelensClient):
    uri = uri_for("hints_stale.py")
    mark = client.open(uri, "import tensorflow as tf\nx = tf.zeros((2, 3))\n")
    await client.wait_for_published(uri, version=1, after=mark)
    [hint] = await client.hints(uri)
    version = client.edit(uri, (1, 0), (2, 0), "")
    await client.wait_for_published(uri, version=version)
    resolved = await client.inlay_hint_resolve_async(hint)
    assert resolved.label == hint.label and resolved.tooltip is None
    client.close(uri)


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=SERVER_COMMAND, client_factory=make_client),
    scope="module",
)
async def plain_client(lsp_client: ShapelensClient):  # type: ignore[no-untyped-def]
    """A client that cannot resolve inlay hints (no resolveSupport) gets tooltips inline."""
    caps = vscode_capabilities()
    assert caps.text_document is not None
    caps.text_document.inlay_hint = lsp.InlayHintClientCapabilities()
    lsp_client.set_configuration(dict(DEFAULT_SETTINGS), section="shapelens")
    await lsp_client.initialize_session(lsp.InitializeParams(capabilities=caps, root_uri=ROOT))
    yield
    await lsp_client.shutdown_session()


async def test_clients_without_resolve_get_tooltips_inline(plain_client: ShapelensClient):
    uri = uri_for("hints_plain.py")
    mark = plain_client.open(uri, SOURCE)
    await plain_client.wait_for_published(uri, version=1, after=mark)
    hints = await plain_client.hints(uri)
    assert hints and all(isinstance(h.tooltip, lsp.MarkupContent) and h.data is None for h in hints)


async def test_a_rejected_call_does_not_blur_the_layer_hints(client: ShapelensClient):
    """predict() on data of the wrong width is flagged; the layers still show the shapes the
    model was built for (the failing replay used to turn the first layer's hint unknown)."""
    uri = uri_for("hints_input_shape.py")
    text = (
        "import numpy as np\n"
        "from tensorflow import keras\n"
        "from tensorflow.keras import layers\n"
        "model = keras.Sequential([\n"
        "    layers.Dense(32, activation='relu', input_shape=(10,)),\n"
        "    layers.Dense(1),\n"
        "])\n"
        "model.predict(np.zeros((16, 5), dtype='float32'))\n"
    )
    mark = client.open(uri, text)
    published = await client.wait_for_published(uri, version=1, after=mark)
    assert [d.code for d in published.diagnostics] == ["layer-input-mismatch"]
    assert by_line(await client.hints(uri)) == {4: ["→ (None, 32)"], 5: ["→ (None, 1)"]}
    client.close(uri)

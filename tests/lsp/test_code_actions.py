"""Code actions: the quick fixes the engine attaches to diagnostics, offered as `quickfix`
actions on the diagnostic's range, with edits that make the problem go away."""

from __future__ import annotations

import pytest
import pytest_asyncio
from lsprotocol import types as lsp

from .conftest import ShapelensClient, uri_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = """\
import numpy as np
import keras

model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(np.zeros((8, 4), dtype="float32"), np.zeros((8,), dtype="int64"))
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def doc(client: ShapelensClient) -> str:
    uri = uri_for("actions.py")
    mark = client.open(uri, SOURCE)
    await client.wait_for_published(uri, version=1, after=mark)
    return uri


async def _actions(client: ShapelensClient, uri: str, line: int) -> list[lsp.CodeAction]:
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=lsp.Range(lsp.Position(line, 0), lsp.Position(line, 5)),
            context=lsp.CodeActionContext(diagnostics=[]),
        )
    )
    return [a for a in result or [] if isinstance(a, lsp.CodeAction)]


async def test_loss_twin_offered_on_the_fit_line(client: ShapelensClient, doc: str) -> None:
    [action] = await _actions(client, doc, 5)
    assert action.kind == lsp.CodeActionKind.QuickFix
    assert "sparse_categorical_crossentropy" in action.title
    assert action.diagnostics and action.diagnostics[0].code == "loss-target-mismatch"
    [edit] = action.edit.changes[doc]
    assert edit.range.start.line == 4
    assert edit.new_text == '"sparse_categorical_crossentropy"'


async def test_no_actions_where_nothing_is_wrong(client: ShapelensClient, doc: str) -> None:
    assert await _actions(client, doc, 0) == []

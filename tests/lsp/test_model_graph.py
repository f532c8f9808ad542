"""``shapelens/modelGraph``, the custom request behind the client's model picture, through the
real server: positions in and node ranges out in LSP coordinates."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ShapelensClient, uri_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = """\
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    layers.Dense(32, activation="relu", input_shape=(10,)),
    layers.Dense(1),
])
"""


def as_dict(value: Any) -> Any:
    """The client hands custom results back as namedtuples; plain data is easier to compare."""
    if hasattr(value, "_asdict"):
        return {k: as_dict(v) for k, v in value._asdict().items()}
    if isinstance(value, list):
        return [as_dict(v) for v in value]
    return value


async def model_graph(client: ShapelensClient, uri: str, line: int, character: int) -> Any:
    result = await client.protocol.send_request_async(
        "shapelens/modelGraph",
        {"textDocument": {"uri": uri}, "position": {"line": line, "character": character}},
    )
    return as_dict(result)


async def test_model_graph_of_the_model_at_the_cursor(client: ShapelensClient) -> None:
    uri = uri_for("model_graph.py")
    client.open(uri, SOURCE)
    await client.wait_for_published(uri, version=1)
    graph = await model_graph(client, uri, 3, 0)
    assert graph["model"]["name"] == "model" and graph["model"]["kind"] == "sequential"
    assert [(n["label"], n["shape"]) for n in graph["nodes"]] == [
        ("Input", "(None, 10)"), ("Dense", "(None, 32)"), ("Dense", "(None, 1)"),
    ]
    assert [(e["source"], e["target"]) for e in graph["edges"]] == [("n0", "n1"), ("n1", "n2")]
    last = graph["nodes"][2]
    assert last["uri"] == uri and last["output"] is True
    assert last["range"]["start"] == {"line": 5, "character": 4}  # LSP: 0-based
    client.close(uri)


async def test_model_graph_without_a_model_or_document(client: ShapelensClient) -> None:
    uri = uri_for("model_graph_none.py")
    client.open(uri, "x = 1\n")
    await client.wait_for_published(uri, version=1)
    graph = await model_graph(client, uri, 0, 0)
    assert graph["nodes"] == [] and graph["model"] is None and "No Keras" in graph["message"]
    closed = await model_graph(client, uri_for("never_opened.py"), 0, 0)
    assert closed["nodes"] == [] and "not open" in closed["message"]
    client.close(uri)


async def test_model_graph_with_bad_params_answers_null(client: ShapelensClient) -> None:
    result = await client.protocol.send_request_async("shapelens/modelGraph", {"position": {}})
    assert result is None

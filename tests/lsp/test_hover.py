"""Hover: shape, dtype and origin of the tensor under the cursor, its provenance, a dataset's
element spec, a layer's output; name uses show the assignment that reaches them."""

from __future__ import annotations

import pytest
import pytest_asyncio
from lsprotocol import types as lsp

from .conftest import ShapelensClient, uri_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

SOURCE = """\
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(8, 3, activation="relu")(inputs)
x = layers.Flatten()(x)
outputs = layers.Dense(10)(x)

model = keras.Sequential([
    layers.Dense(64, input_shape=(20,)),
    layers.Dense(1),
])

images = np.zeros((100, 28, 28, 1), dtype="float32")
labels = np.zeros((100,), dtype="int32")
dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(32)


def head(t):
    t = layers.Dense(3)(t)
    return t
"""

LINES = SOURCE.splitlines()


def pos(line: int, needle: str, nth: int = 0) -> tuple[int, int]:
    text = LINES[line]
    col = -1
    for _ in range(nth + 1):
        col = text.index(needle, col + 1)
    return line, col


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def doc(client: ShapelensClient) -> str:
    uri = uri_for("hover.py")
    mark = client.open(uri, SOURCE)
    await client.wait_for_published(uri, version=1, after=mark)
    return uri


def markdown(hover: lsp.Hover | None) -> str:
    assert hover is not None
    assert isinstance(hover.contents, lsp.MarkupContent)
    assert hover.contents.kind == lsp.MarkupKind.Markdown
    return hover.contents.value


async def test_hover_on_assignment_target(client: ShapelensClient, doc: str):
    hover = await client.hover_at(doc, *pos(6, "x"))
    text = markdown(hover)
    assert text.startswith("`x`: `(None, 26, 26, 8)` float32 — static")
    assert "Conv2D" in text
    assert hover is not None and hover.range == lsp.Range(lsp.Position(6, 0), lsp.Position(6, 1))


async def test_hover_on_functional_layer_call(client: ShapelensClient, doc: str):
    text = markdown(await client.hover_at(doc, *pos(8, "Dense")))
    assert text.startswith("`Dense` → `(None, 10)` float32")


async def test_hover_names_the_chain_of_layers_as_links(client: ShapelensClient, doc: str):
    text = markdown(await client.hover_at(doc, *pos(8, "outputs")))
    assert text.splitlines()[-1] == (
        f"from [Dense at line 9]({doc}#L9) ← [Flatten at line 8]({doc}#L8) ← "
        f"[Conv2D at line 7]({doc}#L7) ← [Input at line 6]({doc}#L6)"
    )
    text = markdown(await client.hover_at(doc, *pos(8, "Dense")))
    assert text.splitlines()[-1].startswith(f"input from [Flatten at line 8]({doc}#L8) ← ")


async def test_hover_on_part_of_a_line(client: ShapelensClient):
    uri = uri_for("hover_parts.py")
    text = (
        "import tensorflow as tf\n"
        "x = tf.zeros((32, 10))\n"
        "w = tf.zeros((10, 5))\n"
        "y = tf.nn.relu(tf.matmul(x, w) * 2.0) + x[:, :5]\n"
    )
    mark = client.open(uri, text)
    await client.wait_for_published(uri, version=1, after=mark)
    line = text.splitlines()[3]
    assert markdown(await client.hover_at(uri, 3, line.index("matmul"))).startswith("`tf.matmul(…)`: `(32, 5)` float32")
    assert markdown(await client.hover_at(uri, 3, line.index("relu"))).startswith("`tf.nn.relu(…)`: `(32, 5)` float32")
    assert markdown(await client.hover_at(uri, 3, line.index(":5"))).startswith("`x[:, :5]`: `(32, 5)` float32")
    assert markdown(await client.hover_at(uri, 3, line.index("*"))).startswith("`… * …`: `(32, 5)` float32")
    # a name inside the expression is still about the name
    assert markdown(await client.hover_at(uri, 3, line.index("w)"))).startswith("`w`: `(10, 5)` float32")
    client.close(uri)


async def test_hover_on_layer_inside_sequential(client: ShapelensClient, doc: str):
    text = markdown(await client.hover_at(doc, *pos(11, "Dense")))
    assert text.startswith("`Dense` → `(None, 64)` float32 — static")
    text = markdown(await client.hover_at(doc, *pos(12, "1")))
    assert text.startswith("`Dense` → `(None, 1)` float32")


async def test_hover_on_dataset_shows_element_spec(client: ShapelensClient, doc: str):
    text = markdown(await client.hover_at(doc, *pos(17, "dataset")))
    assert "tf.data.Dataset" in text
    assert "((None, 28, 28, 1) float32, (None,) int32)" in text


async def test_hover_on_model(client: ShapelensClient, doc: str):
    # like model.summary(), without running anything: 20*64+64 and 64*1+1 parameters
    text = markdown(await client.hover_at(doc, 10, 2))
    assert text.splitlines() == [
        "`model`: Keras sequential model",
        "",
        "| layer | output | params |",
        "|---|---|---:|",
        "| Dense | `(None, 64) float32` | 1,344 |",
        "| Dense | `(None, 1) float32` | 65 |",
        "",
        "**1,409 parameters** (1,409 trainable, 0 non-trainable)",
    ]


async def test_model_hover_with_a_custom_layer_gives_a_lower_bound(client: ShapelensClient):
    uri = uri_for("custom_model_table.py")
    text = (
        "import keras\n"
        "class Scale(keras.layers.Layer):\n"
        "    def build(self, shape):\n"
        "        self.w = self.add_weight(shape=(int(open('n.txt').read()),))\n"
        "    def call(self, x):\n"
        "        return x * 2.0\n"
        "class Double(keras.layers.Layer):\n"
        "    def call(self, x):\n"
        "        return x * 2.0\n"
        "inp = keras.Input((8,))\n"
        "out = keras.layers.Dense(4)(Scale()(keras.layers.Dense(8)(inp)))\n"
        "net = keras.Model(inp, out)\n"
        "known = keras.Model(inp, Double()(keras.layers.Dense(4)(inp)))\n"
    )
    mark = client.open(uri, text)
    await client.wait_for_published(uri, version=1, after=mark)
    # a weight whose shape the engine cannot read: a lower bound
    shown = markdown(await client.hover_at(uri, 11, 1))
    assert "| Scale | `(None, 8) float32` | ? |" in shown
    assert "**at least 108 parameters**, plus those of Scale" in shown
    # a custom layer without weights of its own counts 0
    shown = markdown(await client.hover_at(uri, 12, 1))
    assert "| Double | `(None, 4) float32` | 0 |" in shown
    assert "**36 parameters**" in shown
    client.close(uri)


async def test_hover_on_a_name_use_shows_the_reaching_assignment(client: ShapelensClient, doc: str):
    # `x` in `layers.Dense(10)(x)` is the Flatten output of line 8, not the Conv2D one of line 7
    line, col = pos(8, "(x)")
    hover = await client.hover_at(doc, line, col + 1)
    text = markdown(hover)
    assert text.startswith("`x`: `(None, 5408)` float32")
    assert "as assigned at line 8" in text
    assert hover is not None and hover.range == lsp.Range(lsp.Position(8, col + 1), lsp.Position(8, col + 2))
    # the `x` inside `Flatten()(x)` on line 8 is still the Conv2D output of line 7
    line, col = pos(7, "(x)")
    text = markdown(await client.hover_at(doc, line, col + 1))
    assert "(None, 26, 26, 8)" in text and "as assigned at line 7" in text


async def test_no_hover_where_nothing_is_known(client: ShapelensClient, doc: str):
    assert await client.hover_at(doc, 0, 3) is None  # `import`
    assert await client.hover_at(doc, 19, 0) is None  # blank line
    # a parameter of a function never called: the module's names are not claimed for it
    line, col = pos(21, "(t)")
    hover = await client.hover_at(doc, line, col + 1)
    assert hover is None or "`t`" not in markdown(hover)


async def test_no_hover_for_unknown_documents_or_positions(client: ShapelensClient, doc: str):
    assert await client.hover_at(uri_for("never-opened.py"), 0, 0) is None
    assert await client.hover_at(doc, 10_000, 5) is None
    assert await client.hover_at(doc, 6, 10_000) is None

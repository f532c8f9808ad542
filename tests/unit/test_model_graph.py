"""The model graph behind the client's model picture (server/shapelens/lsp/model_graph.py):
nodes with the engine's layer output shapes, edges along the data flow."""

from __future__ import annotations

import textwrap

from shapelens.core.analysis import analyze_source
from shapelens.lsp.model_graph import Graph, build_graph


def graph(source: str, line: int, col: int = 0) -> Graph:
    text = textwrap.dedent(source)
    analysis = analyze_source(text, "model.py")
    return build_graph(text, analysis.facts, line, col)


def chain(g: Graph) -> list[str]:
    return [f"{n.label}{'·' + n.name if n.name else ''} {n.shape}" for n in g.nodes]


def edges(g: Graph) -> set[tuple[str, str]]:
    label = {n.id: f"{n.label}@{n.span.line}" for n in g.nodes}
    return {(label[s], label[t]) for s, t in g.edges}


SEQUENTIAL = """\
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    layers.Dense(32, activation="relu", input_shape=(10,)),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse")
"""


def test_sequential_is_a_chain_with_the_input_and_each_layer_output() -> None:
    g = graph(SEQUENTIAL, 4)
    assert (g.model_name, g.model_kind) == ("model", "sequential")
    assert chain(g) == ["Input (None, 10)", "Dense (None, 32)", "Dense (None, 1)"]
    assert edges(g) == {("Input@5", "Dense@5"), ("Dense@5", "Dense@6")}
    assert [n.output for n in g.nodes] == [False, False, True]
    assert g.nodes[0].kind == "input"


def test_a_layer_called_again_with_bad_data_keeps_its_build_shape() -> None:
    g = graph(SEQUENTIAL + "model.predict(__import__('numpy').zeros((4, 5)))\n", 4)
    assert chain(g)[1] == "Dense (None, 32)"


def test_sequential_add_and_layer_variables() -> None:
    g = graph(
        """\
        import keras
        from keras import layers
        seq = keras.Sequential()
        seq.add(keras.Input(shape=(5,)))
        seq.add(layers.Dense(3))
        hidden = layers.Dense(7, name="hidden")
        seq.add(hidden)
        seq = None
        seq2 = keras.Sequential()
        """,
        3,
    )
    assert chain(g) == ["Input (None, 5)", "Dense (None, 3)", "Dense·hidden (None, 7)"]
    assert len(g.edges) == 2


MULTI = """\
import keras
from keras import layers

image = keras.Input(shape=(64, 64, 3), name="image")
aux = keras.Input(shape=(10,), name="aux")
x = layers.Conv2D(16, 3, strides=2)(image)
x = layers.Flatten()(x)
a = layers.Dense(16, activation="relu")(aux)
merged = layers.concatenate([x, a])
hidden = layers.Dense(64)(keras.ops.relu(merged))
price = layers.Dense(1, name="price")(hidden)
category = layers.Dense(5, name="category")(hidden)
unused = layers.Dense(3)(hidden)
model = keras.Model(inputs=[image, aux], outputs=[price, category])
model.fit
"""


def test_functional_edges_follow_the_data_flow() -> None:
    g = graph(MULTI, 15, 2)  # on the name `model`, below the model
    assert (g.model_name, g.model_kind) == ("model", "functional")
    assert edges(g) == {
        ("Input@4", "Conv2D@6"),
        ("Conv2D@6", "Flatten@7"),
        ("Input@5", "Dense@8"),
        ("Flatten@7", "Concatenate@9"),
        ("Dense@8", "Concatenate@9"),
        ("Concatenate@9", "Dense@10"),  # through keras.ops.relu
        ("Dense@10", "Dense@11"),
        ("Dense@10", "Dense@12"),
    }
    by_line = {n.span.line: n for n in g.nodes}
    assert 13 not in by_line  # a layer the outputs do not depend on
    assert by_line[4].name == "image" and by_line[4].shape == "(None, 64, 64, 3)"
    assert by_line[9].shape == "(None, 15392)"  # 31 * 31 * 16 + 16
    assert {n.name for n in g.nodes if n.output} == {"price", "category"}


def test_functions_called_while_building_are_followed_per_call() -> None:
    g = graph(
        """\
        import keras
        from keras import layers

        def block(t, units):
            t = layers.Dense(units)(t)
            return layers.Dropout(0.1)(t)

        def build():
            inputs = keras.Input(shape=(8,))
            x = block(inputs, 16)
            x = block(x, 4)
            return keras.Model(inputs, x)

        net = build()
        """,
        14,
    )
    assert g.model_kind == "functional"
    assert chain(g) == [
        "Input (None, 8)", "Dense (None, 16) | (None, 4)", "Dropout (None, 16) | (None, 4)",
        "Dense (None, 16) | (None, 4)", "Dropout (None, 16) | (None, 4)",
    ]
    assert len(g.edges) == 4  # Input -> Dense -> Dropout -> Dense -> Dropout


def test_a_loop_body_is_walked_once() -> None:
    g = graph(
        """\
        import keras
        from keras import layers
        inputs = keras.Input(shape=(32, 32, 3))
        x = inputs
        for filters in [8, 16]:
            x = layers.Conv2D(filters, 3)(x)
        outputs = layers.GlobalAveragePooling2D()(x)
        model = keras.Model(inputs, outputs)
        """,
        8,
    )
    assert [n.label for n in g.nodes] == ["Input", "Conv2D", "GlobalAveragePooling2D"]
    assert len(g.edges) == 2


def test_the_model_at_the_cursor() -> None:
    source = SEQUENTIAL + "\nother = keras.Sequential([layers.Dense(4, input_shape=(2,))])\n"
    assert graph(source, 5).model_name == "model"  # inside the first model's statement
    assert graph(source, 10).model_name == "other"
    assert graph(source, 8, 0).model_name == "model"  # on a use of the name
    assert graph(source, 1).model_name == "model"  # above every model: the first


def test_no_model_and_broken_source_answer_with_a_message() -> None:
    g = graph("import tensorflow as tf\nx = tf.zeros((2, 3))\n", 1)
    assert g.nodes == [] and g.message and "No Keras" in g.message
    broken = graph(SEQUENTIAL + "x = (\n", 4)
    assert len(broken.nodes) == 3


def test_json_shape() -> None:
    out = graph(SEQUENTIAL, 4).to_json()
    assert out["model"] == {"name": "model", "kind": "sequential", "line": 4}
    assert out["nodes"][1] == {
        "id": "n1", "label": "Dense", "name": "", "shape": "(None, 32)", "dtype": "float32",
        "kind": "layer", "output": False, "line": 5,
    }
    assert out["edges"] == [{"source": "n0", "target": "n1"}, {"source": "n1", "target": "n2"}]
    assert out["message"] is None
